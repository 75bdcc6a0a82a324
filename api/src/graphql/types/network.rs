//! The handoff network: who hands customers to whom, and the handover-of-work weights.

use async_graphql::{Object, SimpleObject};
use service::reports::network::{self as reports, Edge, Weight};
use service::reports::picture::Picture;

use super::chart::Function;
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
    /// The network as Graphviz DOT text (`dot -Tsvg` draws it): functions as boxes, CX
    /// teams filled, each edge labelled with its handoffs; edges with SILO handoffs red
    /// and bold, labelled `N (S silo)`. Node ids are `f` and the function's number.
    async fn dot(&self) -> String {
        Picture::of(&self.0).dot()
    }
    /// The network as a Mermaid flowchart (GitHub, GitLab and most wikis draw it):
    /// CX teams as rounded nodes of class `cx`, edges with SILO handoffs thick and red,
    /// labelled `N (S silo)`.
    async fn mermaid(&self) -> String {
        Picture::of(&self.0).mermaid()
    }
    /// The network in the shape Grafana's Node Graph panel reads (for example through
    /// the Infinity data source: nodes from `nodeGraph.nodes`, edges from
    /// `nodeGraph.edges`).
    async fn node_graph(&self) -> NodeGraph {
        NodeGraph::from(Picture::of(&self.0))
    }
}

/// The handoff network in the shape of Grafana's Node Graph panel: nodes and edges
/// with the panel's field names. Nodes and edges are sorted by function name.
#[derive(SimpleObject)]
pub struct NodeGraph {
    /// One per function at either end of an edge.
    nodes: Vec<NodeGraphNode>,
    /// One per (from, to) with handoffs in the window.
    edges: Vec<NodeGraphEdge>,
}

/// A function as a Node Graph node.
#[derive(SimpleObject)]
pub struct NodeGraphNode {
    /// `f` and the function's number; `unknown` for a function that cannot be named.
    id: String,
    /// The function's name.
    title: String,
    /// `CX team` for a function flagged as one, otherwise empty.
    sub_title: String,
    /// Handoffs the function passed on in the window.
    main_stat: i64,
    /// Handoffs the function received in the window.
    secondary_stat: i64,
    /// The function is a CX team.
    highlighted: bool,
}

/// Handoffs between two functions as a Node Graph edge.
#[derive(SimpleObject)]
pub struct NodeGraphEdge {
    /// `source-target`.
    id: String,
    /// The node id of the function that handed the customer on.
    source: String,
    /// The node id of the function that received the customer.
    target: String,
    /// Handoffs along the edge.
    main_stat: i64,
    /// SILO handoffs among them.
    secondary_stat: i64,
    /// Line width, 1 to 8, by handoffs relative to the busiest edge.
    thickness: i32,
    /// The edge carries SILO handoffs.
    highlighted: bool,
    /// `#c62828` (red) for an edge with SILO handoffs, otherwise `#8e8e8e` (grey).
    color: String,
}

impl From<Picture> for NodeGraph {
    fn from(picture: Picture) -> NodeGraph {
        let busiest = picture
            .edges
            .iter()
            .map(|e| e.handoffs)
            .max()
            .unwrap_or(1)
            .max(1);
        NodeGraph {
            nodes: picture
                .nodes
                .into_iter()
                .map(|n| NodeGraphNode {
                    sub_title: if n.is_cx_team {
                        "CX team".into()
                    } else {
                        String::new()
                    },
                    id: n.id,
                    title: n.title,
                    main_stat: n.handoffs_out,
                    secondary_stat: n.handoffs_in,
                    highlighted: n.is_cx_team,
                })
                .collect(),
            edges: picture
                .edges
                .into_iter()
                .map(|e| NodeGraphEdge {
                    thickness: (1 + e.handoffs * 7 / busiest) as i32,
                    highlighted: e.is_silo(),
                    color: if e.is_silo() { "#c62828" } else { "#8e8e8e" }.into(),
                    main_stat: e.handoffs,
                    secondary_stat: e.silo_handoffs,
                    id: e.id,
                    source: e.source,
                    target: e.target,
                })
                .collect(),
        }
    }
}
