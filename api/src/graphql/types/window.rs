//! Time windows as the API takes and returns them.

use async_graphql::{
    InputObject, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};
use service::log::recording::parse_instant;
use service::rules::Window;
use service::{ServiceError, ServiceResult};

/// An instant as the API carries it: the text sent (checked where it is used) or
/// RFC 3339 in UTC (for output). The schema's description is on the `ScalarType` impl.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Instant(String);

/// The API's one time scalar. Sent: RFC 3339 with an offset, like
/// `2026-03-01T09:30:00Z` or `2026-03-01T10:30:00+01:00`; a time without an offset is
/// refused, never guessed. Received: RFC 3339 in UTC (`+00:00`), to the microsecond.
/// Instants are absolute: the offset only says how the sender wrote it.
#[Scalar(name = "DateTime")]
impl ScalarType for Instant {
    fn parse(value: Value) -> InputValueResult<Self> {
        // Checked where it is used, so that a batch reports each bad item by its index.
        match value {
            Value::String(text) => Ok(Instant(text)),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.clone())
    }
}

impl Instant {
    /// The text as sent.
    pub fn into_text(self) -> String {
        self.0
    }

    /// The instant of an optional mutation input, in microseconds since the epoch, or
    /// the user error (INVALID on `field`) when it is not an instant.
    pub fn input_micros(
        at: Option<Instant>,
        field: service::Field,
    ) -> Result<Option<i64>, service::UserError> {
        let Some(at) = at else { return Ok(None) };
        parse_instant(&at.0).map(Some).ok_or_else(|| {
            service::UserError::new(
                service::UserErrorCode::Invalid,
                field,
                format!("`{}` is not an RFC 3339 instant with an offset", at.0),
            )
        })
    }

    /// Microseconds since the epoch; BAD_USER_INPUT naming `what` when it is not an
    /// instant.
    fn micros(&self, what: &str) -> ServiceResult<i64> {
        parse_instant(&self.0).ok_or_else(|| {
            ServiceError::bad_input(format!(
                "{what} `{}` is not an RFC 3339 instant with an offset, like 2026-03-01T00:00:00Z",
                self.0
            ))
        })
    }
}

/// A half-open window `[from, to)`; either end may be left open.
#[derive(InputObject, Clone, Debug, Default)]
pub struct WindowInput {
    /// Start, inclusive; `null` means since the first interaction.
    pub from: Option<Instant>,
    /// End, exclusive; `null` means up to now and beyond.
    pub to: Option<Instant>,
}

/// The window a figure covers.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Window")]
pub struct WindowOutput {
    /// Start, inclusive; `null` when open.
    pub from: Option<Instant>,
    /// End, exclusive; `null` when open.
    pub to: Option<Instant>,
}

/// Microseconds to an instant, in UTC.
pub fn instant(micros: i64) -> Instant {
    Instant(
        chrono::DateTime::from_timestamp_micros(micros)
            .unwrap_or_default()
            .to_rfc3339(),
    )
}

impl WindowInput {
    /// The window in microseconds; `from` must come before `to`.
    pub fn resolve(input: Option<WindowInput>) -> ServiceResult<Window> {
        let input = input.unwrap_or_default();
        let window = Window {
            from: input.from.map(|t| t.micros("`from`")).transpose()?,
            to: input.to.map(|t| t.micros("`to`")).transpose()?,
        };
        if let (Some(from), Some(to)) = (window.from, window.to) {
            if from >= to {
                return Err(ServiceError::bad_input(
                    "the window's `from` must be before its `to`",
                ));
            }
        }
        Ok(window)
    }
}

impl From<Window> for WindowOutput {
    fn from(window: Window) -> Self {
        WindowOutput {
            from: window.from.map(instant),
            to: window.to.map(instant),
        }
    }
}

/// A length of time as the API carries it, in microseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Duration(pub i64);

/// A length of time in ISO 8601, like `PT4H`, `PT1H30M`, `P2D` or `P1W`. A day is 24
/// hours and a week 7 days; years and months (`P1M`), whose length depends on the
/// calendar, are refused. Received in days, hours, minutes and seconds (`P1DT12H`).
#[Scalar(name = "Duration")]
impl ScalarType for Duration {
    fn parse(value: Value) -> InputValueResult<Self> {
        match value {
            Value::String(text) => service::duration::parse(&text)
                .map(Duration)
                .map_err(InputValueError::custom),
            other => Err(InputValueError::expected_type(other)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(service::duration::format(self.0))
    }
}
