//! The GraphQL door: queries and mutations merged per domain, output types that wrap
//! what the services return, inputs that translate into the services' inputs, the
//! id codec and the request context. Resolvers check roles, call one service and
//! wrap its result; they hold no rule and run no query of their own.

pub mod answers;
pub mod context;
pub mod errors;
pub mod handlers;
pub mod ids;
pub mod loader;
pub mod mutation;
pub mod over_http;
pub mod query;
pub mod reports_gate;
pub mod spans;
pub mod subscription;
pub mod types;

use async_graphql::Schema;

use errors::ErrorCodes;

pub type AppSchema = Schema<query::Query, mutation::Mutation, subscription::Subscription>;

/// The cost of a paged list: its page size (default 20) times the cost of one node,
/// so a deep selection is affordable on a small page only.
pub fn list_cost(first: Option<i32>, child_complexity: usize) -> usize {
    first.unwrap_or(20).clamp(1, 100) as usize * child_complexity
}

/// What an unpaged nested list (a function's responsibilities…) is assumed to hold,
/// for the complexity limit.
pub const NESTED_LIST_COST: usize = 10;

/// Where webhooks may post (SILOSCOPE_WEBHOOK_ALLOW_PRIVATE_NETWORKS), for the check
/// at registration.
pub struct WebhookPolicy {
    pub allow_private_networks: bool,
}

/// Builds the schema with the live relay, the metrics, the reports gate and the kept
/// report figures as shared data, and the depth and complexity limits. The database
/// is not among them: each request brings its own tenant handle.
pub fn build(
    limits: &crate::server::config::Limits,
    metrics: crate::server::observe::Metrics,
    relay: service::notify::live::Relay,
) -> AppSchema {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        subscription::Subscription,
    )
    .data(relay)
    .data(metrics)
    .data(WebhookPolicy {
        allow_private_networks: limits.webhook_allow_private_networks,
    })
    .data(reports_gate::ReportsGate::new(limits.max_reports_per_org))
    .data(std::sync::Arc::new(
        service::reports::snapshot::Figures::new(limits.cache_bytes / 2),
    ))
    .extension(ErrorCodes {
        max_depth: limits.max_depth,
        max_complexity: limits.max_complexity,
    })
    .extension(spans::ResolverSpans)
    .limit_depth(limits.max_depth)
    .limit_complexity(limits.max_complexity)
    .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        query::Query::default(),
        mutation::Mutation::default(),
        subscription::Subscription,
    )
    .finish()
    .sdl()
}
