//! Time windows as the API takes and returns them.

use async_graphql::{InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use service::rules::Window;
use service::{ApiError, ApiResult};

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
