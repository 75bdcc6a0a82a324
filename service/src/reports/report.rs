//! Reports over a window: the silo report with its comparisons and the handoff
//! network, as finished values (figures folded by the rules, rows named and ordered).
//!
//! Beside it in this room: the periods a report is compared with (`period`), the
//! chart's promises against the log (`promises`), one report per calendar period
//! (`trend`), who hands customers to whom (`network`) and the one read of a window's
//! figures (`scan`).

use std::sync::Arc;

use entity::{function, touchpoint};
use rules::flags::FlagCounts;
use rules::report::{FunctionFigures, Report, Totals, TotalsDelta};
use rules::Window;
use sea_orm::ConnectionTrait;

pub(crate) use super::period::earlier_window;
pub use super::period::{previous_period, ComparisonPeriod};
use super::promises::{promise_rows, PromiseReport, PromiseRow};
use super::scan::report;
pub use crate::calendar::Granularity;
use crate::error::ServiceResult;
use crate::reports::snapshot::{Figures, Snapshot};

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

/// Which promised experience elements the log shows kept or broken over a window.
pub async fn promise_report(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    window: Window,
    compare_to: &[ComparisonPeriod],
) -> ServiceResult<PromiseReport> {
    let report = silo_report(db, figures, organization_id, window, compare_to).await?;
    Ok(PromiseReport {
        window,
        rows: report.promises(),
    })
}
