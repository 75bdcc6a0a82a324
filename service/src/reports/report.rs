//! Reports over a window: the silo report with its comparisons and the handoff
//! network, as finished values (figures folded by the rules, rows named and ordered).
//!
//! Beside it: [`super::promises`] (the chart's promises against the log),
//! [`super::trend`] (one report per calendar period), [`super::network`] (who hands
//! customers to whom) and [`super::scan`] (the one read of a window's figures).

use std::sync::Arc;

use entity::{function, touchpoint};
use rules::flags::FlagCounts;
use rules::report::{FunctionFigures, Report, Totals, TotalsDelta};
use rules::Window;
use sea_orm::ConnectionTrait;

use super::promises::{promise_rows, PromiseRow};
use super::scan::report;
pub use crate::calendar::Granularity;
use crate::error::{ServiceError, ServiceResult};
use crate::reports::snapshot::{Figures, Snapshot};

/// Which earlier period a report is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComparisonPeriod {
    /// The period of equal length that ends where the window starts.
    PreviousPeriod,
    /// The same window one calendar year earlier.
    SamePeriodLastYear,
}

/// The report's totals beside an earlier period's.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub period: ComparisonPeriod,
    pub window: Window,
    pub totals: Totals,
    /// The report's totals minus the earlier ones.
    pub delta: TotalsDelta,
}

/// Figures attributed to one function.
#[derive(Clone, Debug)]
pub struct FunctionRow {
    /// `None` only if the function was deleted from the database by hand.
    pub function: Option<function::Model>,
    pub figures: FunctionFigures,
}

/// Figures attributed to one touchpoint.
#[derive(Clone, Debug)]
pub struct TouchpointRow {
    /// `None` for handoffs whose first interaction had no touchpoint.
    pub touchpoint: Option<touchpoint::Model>,
    pub figures: FlagCounts,
}

/// Silo handoffs per function and touchpoint over a window.
#[derive(Clone, Debug)]
pub struct SiloReport {
    pub window: Window,
    pub totals: Totals,
    /// Most SILO handoffs out first; ties in creation order.
    pub by_function: Vec<FunctionRow>,
    /// Most SILO handoffs first; ties in creation order, the row without a touchpoint first.
    pub by_touchpoint: Vec<TouchpointRow>,
    /// One per period asked for, in the order asked.
    pub comparisons: Vec<Comparison>,
    /// When retention deleted what occurred before an instant after the window's start
    /// (or the window has none): that instant (µs), from which the figures are
    /// complete (docs/rules.md §8).
    pub complete_from: Option<i64>,
    /// What the promise rows are computed from, when asked for ([`SiloReport::promises`]).
    sources: PromiseSources,
}

/// The report and the earlier ones a silo report was assembled from.
#[derive(Clone, Debug)]
struct PromiseSources {
    snapshot: Arc<Snapshot>,
    current: Arc<Report>,
    earlier: Vec<(ComparisonPeriod, Window, Arc<Report>)>,
}

impl SiloReport {
    /// The promises of live touchpoints as the log kept them (see [`PromiseRow`]).
    pub fn promises(&self) -> Vec<PromiseRow> {
        let s = &self.sources;
        promise_rows(&s.snapshot, &s.current, &s.earlier)
    }
}

/// The silo report of a window, compared with the given earlier periods.
pub async fn silo_report(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    window: Window,
    compare_to: &[ComparisonPeriod],
) -> ServiceResult<SiloReport> {
    let snapshot = figures.snapshot(db, organization_id).await?;
    let current = report(db, figures, &snapshot, window).await?;
    let mut earlier = Vec::new();
    for &period in compare_to {
        let window = earlier_window(&snapshot, period, window)?;
        earlier.push((
            period,
            window,
            report(db, figures, &snapshot, window).await?,
        ));
    }
    Ok(assemble(&snapshot, window, &current, &earlier))
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

/// A report with its rows named and ordered, beside the earlier periods' totals.
pub(super) fn assemble(
    snapshot: &Arc<Snapshot>,
    window: Window,
    current: &Arc<Report>,
    earlier: &[(ComparisonPeriod, Window, Arc<Report>)],
) -> SiloReport {
    let names = &snapshot.names;
    let comparisons = earlier
        .iter()
        .map(|(period, window, report)| Comparison {
            period: *period,
            window: *window,
            delta: TotalsDelta::between(&current.totals, &report.totals),
            totals: report.totals.clone(),
        })
        .collect();
    let mut by_function: Vec<FunctionRow> = current
        .by_function
        .iter()
        .map(|(id, figures)| FunctionRow {
            function: names.function(*id).cloned(),
            figures: figures.clone(),
        })
        .collect();
    by_function.sort_by_key(|r| std::cmp::Reverse(r.figures.out.silo_handoffs));
    let mut by_touchpoint: Vec<TouchpointRow> = current
        .by_touchpoint
        .iter()
        .map(|(id, figures)| TouchpointRow {
            touchpoint: names.touchpoint(*id).cloned(),
            figures: *figures,
        })
        .collect();
    by_touchpoint.sort_by_key(|r| std::cmp::Reverse(r.figures.silo_handoffs));
    SiloReport {
        window,
        totals: current.totals.clone(),
        by_function,
        by_touchpoint,
        comparisons,
        complete_from: snapshot
            .complete_from
            .filter(|c| window.from.is_none_or(|from| from < *c)),
        sources: PromiseSources {
            snapshot: snapshot.clone(),
            current: current.clone(),
            earlier: earlier.to_vec(),
        },
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

pub(super) fn closed(window: Window) -> ServiceResult<(i64, i64)> {
    match (window.from, window.to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(ServiceError::bad_input(
            "a comparison needs a window with both `from` and `to`",
        )),
    }
}
