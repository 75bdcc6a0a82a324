//! Who hands customers to whom over a window: edges and handover-of-work weights.

use entity::function;
use rules::flags::FlagCounts;
use rules::Window;
use sea_orm::ConnectionTrait;

use super::scan::report;
pub use crate::calendar::Granularity;
use crate::error::ServiceResult;
use crate::reports::snapshot::Figures;

/// Handoffs from one function to another.
#[derive(Clone, Debug)]
pub struct Edge {
    pub from: Option<function::Model>,
    pub to: Option<function::Model>,
    pub figures: FlagCounts,
}

/// A handover-of-work weight.
#[derive(Clone, Debug)]
pub struct Weight {
    pub from: Option<function::Model>,
    pub to: Option<function::Model>,
    /// Consecutive pairs (same-function pairs included) from `from` to `to`.
    pub count: i64,
    /// `count` over all pairs in the window.
    pub weight: f64,
}

/// Who hands customers to whom over a window.
#[derive(Clone, Debug)]
pub struct Network {
    pub window: Window,
    /// One per (from, to) with handoffs, by the functions' ids.
    pub edges: Vec<Edge>,
    /// Consecutive pairs whose second interaction is in the window.
    pub total_pairs: i64,
    /// One per (from, to) with pairs, by the functions' ids.
    pub handover_of_work: Vec<Weight>,
}

/// The handoff network of a window.
pub async fn handoff_network(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    window: Window,
) -> ServiceResult<Network> {
    let snapshot = figures.snapshot(db, organization_id).await?;
    let report = report(db, figures, &snapshot, window).await?;
    let names = &snapshot.names;
    let function = |id: i64| names.function(id).cloned();
    let weights = report.handover_of_work();
    Ok(Network {
        window,
        edges: report
            .edges
            .iter()
            .map(|(&(from, to), figures)| Edge {
                from: function(from),
                to: function(to),
                figures: *figures,
            })
            .collect(),
        total_pairs: report.pairs.values().sum(),
        handover_of_work: report
            .pairs
            .iter()
            .map(|(&(from, to), &count)| Weight {
                from: function(from),
                to: function(to),
                count,
                weight: weights.get(&(from, to)).copied().unwrap_or_default(),
            })
            .collect(),
    })
}
