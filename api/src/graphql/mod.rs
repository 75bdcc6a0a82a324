//! The GraphQL schema: queries and mutations merged per domain, output types that
//! wrap entity models, and the request context.

pub mod context;
pub mod loader;
pub mod mutation;
pub mod query;
pub mod types;

use async_graphql::{EmptySubscription, Schema};
use sea_orm::DatabaseConnection;

use crate::error::ErrorCodes;

pub type AppSchema = Schema<query::Query, mutation::Mutation, EmptySubscription>;

/// Limits on what one request may ask for.
pub const MAX_DEPTH: usize = 12;
pub const MAX_COMPLEXITY: usize = 20_000;

/// Builds the schema with the database pool as shared data.
pub fn build(db: DatabaseConnection) -> AppSchema {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        EmptySubscription,
    )
    .data(db)
    .extension(ErrorCodes)
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
    .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        EmptySubscription,
    )
    .finish()
    .sdl()
}
