//! The handoff network: who hands customers to whom, and the handover-of-work weights.

use async_graphql::Object;
use service::report::{self as reports, Edge, Weight};

use super::model::Function;
use super::report::FlagFigures;
use super::window::WindowOutput;

/// Handoffs from one function to another.
pub struct HandoffEdge(Edge);

/// Handoffs from one function to another.
#[Object(name = "NetworkEdge")]
impl HandoffEdge {
    /// The function that handed the customer on.
    async fn from(&self) -> Option<Function> {
        self.0.from.clone().map(Function)
    }
    /// The function that received the customer.
    async fn to(&self) -> Option<Function> {
        self.0.to.clone().map(Function)
    }
    /// Handoffs along this edge.
    async fn count(&self) -> i64 {
        self.0.figures.handoffs
    }
    /// Their flag counts.
    async fn flags(&self) -> FlagFigures {
        self.0.figures.into()
    }
}

/// A handover-of-work weight (van der Aalst; PM4Py's with beta = 0).
pub struct HandoverWeight(Weight);

/// A handover-of-work weight (van der Aalst; PM4Py's with beta = 0).
#[Object]
impl HandoverWeight {
    /// The function of the first interaction of the pairs.
    async fn from(&self) -> Option<Function> {
        self.0.from.clone().map(Function)
    }
    /// The function of the second interaction of the pairs.
    async fn to(&self) -> Option<Function> {
        self.0.to.clone().map(Function)
    }
    /// Consecutive pairs (same-function pairs included) from `from` to `to`.
    async fn count(&self) -> i64 {
        self.0.count
    }
    /// `count` over all consecutive pairs in the window.
    async fn weight(&self) -> f64 {
        self.0.weight
    }
}

/// Who hands customers to whom.
pub struct HandoffNetwork(pub reports::Network);

/// Who hands customers to whom.
#[Object]
impl HandoffNetwork {
    /// The window reported on.
    async fn window(&self) -> WindowOutput {
        self.0.window.into()
    }
    /// One edge per (from, to) with handoffs.
    async fn edges(&self) -> Vec<HandoffEdge> {
        self.0.edges.iter().cloned().map(HandoffEdge).collect()
    }
    /// Consecutive pairs whose second interaction is in the window.
    async fn total_pairs(&self) -> i64 {
        self.0.total_pairs
    }
    /// The handover-of-work weights, same-function pairs included.
    async fn handover_of_work(&self) -> Vec<HandoverWeight> {
        self.0
            .handover_of_work
            .iter()
            .cloned()
            .map(HandoverWeight)
            .collect()
    }
}
