//! Relay connections over pages of rows.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{OutputType, SimpleObject};

use service::scoped::Page;

use crate::graphql::ids;

/// Fields every list has beside its edges.
#[derive(SimpleObject, Clone, Copy, Debug, Default)]
pub struct ListInfo {
    /// How many rows match the filters, over all pages.
    pub total_count: u64,
}

/// A Relay connection whose cursors are opaque strings.
pub type List<N> = Connection<String, N, ListInfo>;

/// The connection of a page, wrapping each row as `N`.
pub fn list<M, N: OutputType>(
    page: Page<M>,
    id: impl Fn(&M) -> i64,
    wrap: impl Fn(M) -> N,
    after: bool,
) -> List<N> {
    let mut connection = Connection::with_additional_fields(
        after,
        page.has_next,
        ListInfo {
            total_count: page.total,
        },
    );
    connection.edges = page
        .items
        .into_iter()
        .map(|m| Edge::new(ids::cursor(id(&m)), wrap(m)))
        .collect();
    connection
}
