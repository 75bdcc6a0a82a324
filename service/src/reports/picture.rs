//! The handoff network as pictures other tools draw: Graphviz DOT and Mermaid text,
//! and the nodes and edges Grafana's Node Graph panel reads. In each, an edge that
//! carries SILO handoffs is marked and a function flagged as a CX team is marked.
//!
//! Nodes are the functions at either end of an edge, identified `f<id>` (`unknown`
//! for a function that cannot be named); nodes and edges come sorted by name, so the
//! same network always gives the same text.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use entity::function;

use crate::reports::network::Network;

/// A function in the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PictureNode {
    /// `f<function id>`, or `unknown`.
    pub id: String,
    /// The function's name.
    pub title: String,
    pub is_cx_team: bool,
    /// Handoffs the function passed on in the window.
    pub handoffs_out: i64,
    /// Handoffs the function received in the window.
    pub handoffs_in: i64,
}

/// Handoffs from one function to another in the picture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PictureEdge {
    /// `<source>-<target>`.
    pub id: String,
    pub source: String,
    pub target: String,
    pub handoffs: i64,
    pub silo_handoffs: i64,
}

impl PictureEdge {
    /// Whether the edge carries SILO handoffs.
    pub fn is_silo(&self) -> bool {
        self.silo_handoffs > 0
    }

    fn label(&self) -> String {
        if self.is_silo() {
            format!("{} ({} silo)", self.handoffs, self.silo_handoffs)
        } else {
            self.handoffs.to_string()
        }
    }
}

/// The network's functions and edges, sorted by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Picture {
    pub nodes: Vec<PictureNode>,
    pub edges: Vec<PictureEdge>,
}

fn node_id(function: Option<&function::Model>) -> String {
    function.map_or_else(|| "unknown".to_owned(), |f| format!("f{}", f.id))
}

impl Picture {
    /// The picture of `network`.
    pub fn of(network: &Network) -> Picture {
        let mut nodes: BTreeMap<String, PictureNode> = BTreeMap::new();
        let mut node = |function: Option<&function::Model>| -> String {
            let id = node_id(function);
            nodes.entry(id.clone()).or_insert_with(|| PictureNode {
                id: id.clone(),
                title: function.map_or_else(|| "(unknown)".to_owned(), |f| f.name.clone()),
                is_cx_team: function.is_some_and(|f| f.is_cx_team),
                handoffs_out: 0,
                handoffs_in: 0,
            });
            id
        };
        let mut edges: Vec<PictureEdge> = Vec::with_capacity(network.edges.len());
        for edge in &network.edges {
            let source = node(edge.from.as_ref());
            let target = node(edge.to.as_ref());
            edges.push(PictureEdge {
                id: format!("{source}-{target}"),
                source,
                target,
                handoffs: edge.figures.handoffs,
                silo_handoffs: edge.figures.silo_handoffs,
            });
        }
        for edge in &edges {
            if let Some(n) = nodes.get_mut(&edge.source) {
                n.handoffs_out += edge.handoffs;
            }
            if let Some(n) = nodes.get_mut(&edge.target) {
                n.handoffs_in += edge.handoffs;
            }
        }
        let mut nodes: Vec<PictureNode> = nodes.into_values().collect();
        nodes.sort_by(|a, b| (&a.title, &a.id).cmp(&(&b.title, &b.id)));
        let title: BTreeMap<&str, &str> = nodes
            .iter()
            .map(|n| (n.id.as_str(), n.title.as_str()))
            .collect();
        edges.sort_by(|a, b| {
            let key = |e: &PictureEdge| {
                (
                    title.get(e.source.as_str()).copied().unwrap_or_default(),
                    title.get(e.target.as_str()).copied().unwrap_or_default(),
                    e.id.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        Picture { nodes, edges }
    }

    /// Graphviz DOT: functions as boxes (CX teams filled), edges labelled with their
    /// handoffs; SILO edges red and bold, their label giving the SILO count.
    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph handoffs {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\"];\n",
        );
        for n in &self.nodes {
            let style = if n.is_cx_team {
                ", style=\"rounded,filled\", fillcolor=\"#6a3fb5\", fontcolor=\"white\", tooltip=\"CX team\""
            } else {
                ""
            };
            let _ = writeln!(out, "  {} [label={}{style}];", n.id, dot_string(&n.title));
        }
        for e in &self.edges {
            let style = if e.is_silo() {
                ", color=\"#c62828\", fontcolor=\"#c62828\", penwidth=2.5"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {} -> {} [label={}{style}];",
                e.source,
                e.target,
                dot_string(&e.label())
            );
        }
        out.push_str("}\n");
        out
    }

    /// Mermaid flowchart: functions as boxes (CX teams as stadiums, class `cx`), edges
    /// labelled with their handoffs; SILO edges thick and red, their label giving the
    /// SILO count.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for n in &self.nodes {
            let title = mermaid_string(&n.title);
            if n.is_cx_team {
                let _ = writeln!(out, "  {}([\"{title}\"]):::cx", n.id);
            } else {
                let _ = writeln!(out, "  {}[\"{title}\"]", n.id);
            }
        }
        let mut silo_links = Vec::new();
        for (index, e) in self.edges.iter().enumerate() {
            let arrow = if e.is_silo() {
                silo_links.push(index.to_string());
                "==>"
            } else {
                "-->"
            };
            let _ = writeln!(
                out,
                "  {} {arrow}|\"{}\"| {}",
                e.source,
                mermaid_string(&e.label()),
                e.target
            );
        }
        out.push_str("  classDef cx fill:#6a3fb5,stroke:#4a2a85,color:#ffffff\n");
        if !silo_links.is_empty() {
            let _ = writeln!(
                out,
                "  linkStyle {} stroke:#c62828,stroke-width:3px,color:#c62828",
                silo_links.join(",")
            );
        }
        out
    }
}

/// A DOT double-quoted string.
fn dot_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Text inside a Mermaid double-quoted label: quotes and the characters Mermaid
/// reads as markup become its entity codes, `%`, `{` and `}` too (Mermaid looks for
/// `%%{init: …}%%` directives anywhere in the text, so a name must never form one).
fn mermaid_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("#quot;"),
            '#' => out.push_str("#35;"),
            '%' => out.push_str("#37;"),
            '{' => out.push_str("#123;"),
            '}' => out.push_str("#125;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reports::network::Edge;
    use rules::flags::FlagCounts;
    use rules::Window;

    fn function(id: i64, name: &str, cx: bool) -> function::Model {
        function::Model {
            id,
            organization_id: 1,
            name: name.into(),
            name_key: name.to_lowercase(),
            external_id: None,
            parent_id: None,
            is_cx_team: cx,
            archived: false,
            created_at: 0,
            updated_at: 0,
            deleted_at: None,
            managed_by: None,
        }
    }

    fn network() -> Network {
        let billing = function(2, "Billing \"East\"", false);
        let cx = function(1, "Customer Experience", true);
        let edge = |from: &function::Model, to: &function::Model, handoffs, silo| Edge {
            from: Some(from.clone()),
            to: Some(to.clone()),
            figures: FlagCounts {
                handoffs,
                silo_handoffs: silo,
                ..FlagCounts::default()
            },
        };
        Network {
            window: Window::default(),
            edges: vec![edge(&cx, &billing, 3, 0), edge(&billing, &cx, 5, 4)],
            total_pairs: 8,
            handover_of_work: Vec::new(),
        }
    }

    #[test]
    fn nodes_and_edges_count_handoffs_and_sort_by_name() {
        let picture = Picture::of(&network());
        let titles: Vec<&str> = picture.nodes.iter().map(|n| n.title.as_str()).collect();
        assert_eq!(titles, ["Billing \"East\"", "Customer Experience"]);
        assert_eq!(
            (picture.nodes[0].handoffs_out, picture.nodes[0].handoffs_in),
            (5, 3)
        );
        assert!(picture.nodes[1].is_cx_team);
        let ids: Vec<&str> = picture.edges.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["f2-f1", "f1-f2"]);
        assert!(picture.edges[0].is_silo() && !picture.edges[1].is_silo());
    }

    #[test]
    fn dot_marks_silo_edges_and_cx_teams_and_escapes_names() {
        let dot = Picture::of(&network()).dot();
        assert!(
            dot.contains("  f2 [label=\"Billing \\\"East\\\"\"];\n"),
            "{dot}"
        );
        assert!(dot.contains("f1 [label=\"Customer Experience\", style=\"rounded,filled\""));
        assert!(dot.contains(
            "  f2 -> f1 [label=\"5 (4 silo)\", color=\"#c62828\", fontcolor=\"#c62828\", penwidth=2.5];\n"
        ));
        assert!(dot.contains("  f1 -> f2 [label=\"3\"];\n"));
        assert!(dot.starts_with("digraph handoffs {") && dot.ends_with("}\n"));
    }

    #[test]
    fn mermaid_marks_silo_edges_and_cx_teams_and_escapes_names() {
        let mermaid = Picture::of(&network()).mermaid();
        assert!(mermaid.starts_with("flowchart LR\n"));
        assert!(
            mermaid.contains("  f2[\"Billing #quot;East#quot;\"]\n"),
            "{mermaid}"
        );
        assert!(mermaid.contains("  f1([\"Customer Experience\"]):::cx\n"));
        assert!(mermaid.contains("  f2 ==>|\"5 (4 silo)\"| f1\n"));
        assert!(mermaid.contains("  f1 -->|\"3\"| f2\n"));
        assert!(mermaid.contains("  linkStyle 0 stroke:#c62828"));
    }

    #[test]
    fn a_name_cannot_form_a_mermaid_directive() {
        let text = mermaid_string("%%{init: {'theme':'dark'}}%% <b>x</b>");
        assert!(
            !text.contains('%') && !text.contains('{') && !text.contains('<'),
            "{text}"
        );
        assert_eq!(
            text,
            "#37;#37;#123;init: #123;'theme':'dark'#125;#125;#37;#37; #lt;b#gt;x#lt;/b#gt;"
        );
    }
}
