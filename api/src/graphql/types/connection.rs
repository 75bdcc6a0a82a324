//! Relay connections over pages of rows, one pair of types per list, each described.
//! Paging is forward only (`first`/`after`), so `PageInfo` has no backward fields.

use async_graphql::SimpleObject;
use service::storage::scoped::{OrgScoped, Page};

use super::case::{Handoff, Interaction};
use super::chart::{Function, Journey, Person, Responsibility, Touchpoint};
use super::drift::PromiseBreach;
use super::live::WebhookDelivery;
use crate::graphql::ids;

/// Where a page ends. Paging runs forward: pass `endCursor` as `after` to get the
/// next page while `hasNextPage` is true.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// Whether another page follows this one.
    pub has_next_page: bool,
    /// The cursor of the page's last item; `null` when the page is empty.
    pub end_cursor: Option<String>,
}

/// A connection built from a page's items, each with its cursor.
pub trait Connection: Sized {
    type Node;
    fn new(items: Vec<(String, Self::Node)>, has_next_page: bool, total_count: u64) -> Self;
}

macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty, $doc:literal, $edge_doc:literal, $total:literal) => {
        #[doc = $doc]
        #[derive(SimpleObject)]
        pub struct $connection {
            /// The page's items, each with its cursor.
            pub edges: Vec<$edge>,
            /// The page's items, without their cursors.
            pub nodes: Vec<$node>,
            /// Whether another page follows, and the cursor to ask for it with.
            pub page_info: PageInfo,
            #[doc = $total]
            pub total_count: u64,
        }

        #[doc = $edge_doc]
        #[derive(SimpleObject)]
        pub struct $edge {
            /// The item.
            pub node: $node,
            /// Opaque; pass it as `after` to the same list for the items after this one.
            pub cursor: String,
        }

        impl Connection for $connection {
            type Node = $node;
            fn new(items: Vec<(String, $node)>, has_next_page: bool, total_count: u64) -> Self {
                let end_cursor = items.last().map(|(cursor, _)| cursor.clone());
                let nodes = items.iter().map(|(_, node)| node.clone()).collect();
                let edges = items
                    .into_iter()
                    .map(|(cursor, node)| $edge { node, cursor })
                    .collect();
                $connection {
                    edges,
                    nodes,
                    page_info: PageInfo {
                        has_next_page,
                        end_cursor,
                    },
                    total_count,
                }
            }
        }
    };
}

connection!(
    WebhookDeliveryConnection,
    WebhookDeliveryEdge,
    WebhookDelivery,
    "A page of webhook messages, oldest first.",
    "A webhook message and its cursor.",
    "How many messages match the filter, over all pages."
);
connection!(
    FunctionConnection,
    FunctionEdge,
    Function,
    "A page of functions.",
    "A function and its cursor.",
    "How many functions match the filter, over all pages."
);
connection!(
    PersonConnection,
    PersonEdge,
    Person,
    "A page of people.",
    "A person and their cursor.",
    "How many people match the filter, over all pages."
);
connection!(
    JourneyConnection,
    JourneyEdge,
    Journey,
    "A page of journeys.",
    "A journey and its cursor.",
    "How many journeys match the filter, over all pages."
);
connection!(
    TouchpointConnection,
    TouchpointEdge,
    Touchpoint,
    "A page of touchpoints.",
    "A touchpoint and its cursor.",
    "How many touchpoints match the filter, over all pages."
);
connection!(
    ResponsibilityConnection,
    ResponsibilityEdge,
    Responsibility,
    "A page of responsibilities.",
    "A responsibility and its cursor.",
    "How many responsibilities match the filter, over all pages."
);
connection!(
    HandoffConnection,
    HandoffEdge,
    Handoff,
    "A page of handoffs, in time order.",
    "A handoff and its cursor.",
    "How many handoffs match the filter, over all pages."
);

connection!(
    PromiseBreachConnection,
    PromiseBreachEdge,
    PromiseBreach,
    "A page of broken promises, in the order of their next interactions.",
    "A broken promise and its cursor.",
    "How many breaches match the filter, over all pages."
);
connection!(
    InteractionConnection,
    InteractionEdge,
    Interaction,
    "A page of interactions, in time order.",
    "An interaction and its cursor.",
    "How many interactions match the filter, over all pages."
);

connection!(
    FeedbackConnection,
    FeedbackEdge,
    crate::graphql::types::voice::FeedbackItem,
    "A page of feedback, in recording order.",
    "A piece of feedback and its cursor.",
    "How much feedback matches the filter, over all pages."
);

/// The connection of a page of rows of entity `E` (whose cursors only its own list
/// accepts), wrapping each row as the connection's node.
pub fn list<E: OrgScoped, M, C: Connection>(
    page: Page<M>,
    id: impl Fn(&M) -> i64,
    wrap: impl Fn(M) -> C::Node,
) -> C {
    let items = page
        .items
        .into_iter()
        .map(|m| (ids::cursor::<E>(id(&m)), wrap(m)))
        .collect();
    C::new(items, page.has_next, page.total)
}
