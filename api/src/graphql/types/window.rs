//! Time windows as the API takes and returns them.

use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Months, Utc};

use crate::analysis::Window;
use crate::error::{ApiError, ApiResult};

/// A half-open window `[from, to)`; either end may be left open.
#[derive(InputObject, Clone, Copy, Debug, Default)]
pub struct WindowInput {
    /// Start, inclusive; `null` means since the first interaction.
    pub from: Option<DateTime<Utc>>,
    /// End, exclusive; `null` means up to now and beyond.
    pub to: Option<DateTime<Utc>>,
}

/// The window a figure covers.
#[derive(SimpleObject, Clone, Copy, Debug)]
#[graphql(name = "Window")]
pub struct WindowOutput {
    /// Start, inclusive; `null` when open.
    pub from: Option<DateTime<Utc>>,
    /// End, exclusive; `null` when open.
    pub to: Option<DateTime<Utc>>,
}

/// Microseconds to an instant.
pub fn instant(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

impl WindowInput {
    /// The window in microseconds; `from` must come before `to`.
    pub fn resolve(input: Option<WindowInput>) -> ApiResult<Window> {
        let input = input.unwrap_or_default();
        let window = Window {
            from: input.from.map(|t| t.timestamp_micros()),
            to: input.to.map(|t| t.timestamp_micros()),
        };
        if let (Some(from), Some(to)) = (window.from, window.to) {
            if from >= to {
                return Err(ApiError::bad_input(
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

/// The period of equal length that ends where `window` starts.
pub fn previous_period(window: Window) -> ApiResult<Window> {
    let (Some(from), Some(to)) = (window.from, window.to) else {
        return Err(ApiError::bad_input(
            "a comparison needs a window with both `from` and `to`",
        ));
    };
    Ok(Window {
        from: Some(from - (to - from)),
        to: Some(from),
    })
}

/// The same window one calendar year earlier (29 February maps to 28 February).
pub fn year_before(window: Window) -> ApiResult<Window> {
    let (Some(from), Some(to)) = (window.from, window.to) else {
        return Err(ApiError::bad_input(
            "a comparison needs a window with both `from` and `to`",
        ));
    };
    let shift = |micros: i64| -> ApiResult<i64> {
        instant(micros)
            .checked_sub_months(Months::new(12))
            .map(|t| t.timestamp_micros())
            .ok_or_else(|| {
                ApiError::bad_input("the window is too early to compare with a year before")
            })
    };
    Ok(Window {
        from: Some(shift(from)?),
        to: Some(shift(to)?),
    })
}
