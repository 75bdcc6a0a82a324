//! Which earlier period a report is compared with, and the window that names.

use rules::Window;

use crate::error::{ServiceError, ServiceResult};
use crate::reports::snapshot::Snapshot;

/// Which earlier period a report is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComparisonPeriod {
    /// The period of equal length that ends where the window starts.
    PreviousPeriod,
    /// The same window one calendar year earlier.
    SamePeriodLastYear,
}

/// The window `period` names for a report over `window`.
pub(crate) fn earlier_window(
    snapshot: &Snapshot,
    period: ComparisonPeriod,
    window: Window,
) -> ServiceResult<Window> {
    match period {
        ComparisonPeriod::PreviousPeriod => previous_period(&snapshot.calendar, window),
        ComparisonPeriod::SamePeriodLastYear => {
            crate::calendar::window_year_earlier(snapshot.zone, window)
        }
    }
}

/// The period before `window` in `calendar` (the same number of whole local calendar
/// periods, else the same length; rules::calendar::Calendar::period_before).
pub fn previous_period(
    calendar: &rules::calendar::Calendar,
    window: Window,
) -> ServiceResult<Window> {
    let (from, to) = closed(window)?;
    let (before, end) = calendar.period_before(from, to);
    Ok(Window {
        from: Some(before),
        to: Some(end),
    })
}

/// The window's two ends: a comparison needs both.
pub(super) fn closed(window: Window) -> ServiceResult<(i64, i64)> {
    match (window.from, window.to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(ServiceError::bad_input(
            "a comparison needs a window with both `from` and `to`",
        )),
    }
}
