//! The chart's promises against the log: per touchpoint and experience element,
//! whether it is promised and what the log shows of it.

use std::sync::Arc;

use entity::touchpoint;
use rules::drift::{kept, Kept, Measure};
use rules::report::{PromiseCounts, Report};
use rules::Window;

use super::period::ComparisonPeriod;
use crate::model::touchpoint::ExperienceElement;
use crate::reports::snapshot::Snapshot;

/// One experience element of one touchpoint: whether it is promised, and what the log
/// shows of it (docs/rules.md, "Promises kept").
#[derive(Clone, Debug)]
pub struct PromiseRow {
    pub touchpoint: touchpoint::Model,
    pub element: ExperienceElement,
    /// The touchpoint lists the element among its desired experience.
    pub promised: bool,
    /// `None` when the log cannot check the element here.
    pub kept: Option<Kept>,
    /// The same figures over each earlier period asked for, in the order asked.
    pub comparisons: Vec<(ComparisonPeriod, Window, Option<Kept>)>,
}

/// How the log checks `element`; `None` for the elements it cannot check.
pub fn measure(element: ExperienceElement) -> Option<Measure> {
    match element {
        ExperienceElement::SinglePointOfContact => Some(Measure::SinglePointOfContact),
        ExperienceElement::Prompt => Some(Measure::Prompt),
        _ => None,
    }
}

/// Per live touchpoint (by creation) and element (in declaration order): the elements
/// promised there, and those the log checks there even unpromised.
pub(super) fn promise_rows(
    snapshot: &Snapshot,
    current: &Report,
    earlier: &[(ComparisonPeriod, Window, Arc<Report>)],
) -> Vec<PromiseRow> {
    let none = PromiseCounts::default();
    let kept_in = |report: &Report, touchpoint: &touchpoint::Model, element| {
        let counts = report.promises.get(&touchpoint.id).unwrap_or(&none);
        measure(element).and_then(|m| kept(counts, m, touchpoint.prompt_within))
    };
    let mut rows = Vec::new();
    for touchpoint in snapshot.names.live_touchpoints() {
        let promised = ExperienceElement::load(&touchpoint.experience);
        for element in ExperienceElement::ALL {
            let kept = kept_in(current, touchpoint, element);
            let is_promised = promised.contains(&element);
            if !is_promised && kept.is_none() {
                continue;
            }
            rows.push(PromiseRow {
                touchpoint: touchpoint.clone(),
                element,
                promised: is_promised,
                kept,
                comparisons: earlier
                    .iter()
                    .map(|(period, window, report)| {
                        (*period, *window, kept_in(report, touchpoint, element))
                    })
                    .collect(),
            });
        }
    }
    rows
}

/// The promises of a window, compared with earlier periods.
#[derive(Clone, Debug)]
pub struct PromiseReport {
    pub window: Window,
    pub rows: Vec<PromiseRow>,
}
