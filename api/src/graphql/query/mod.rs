//! Queries, one module per domain.

mod admin;
mod analytics;
mod chart;

use async_graphql::MergedObject;

/// Everything that can be read: the organization's model (functions, people, journeys,
/// touchpoints, responsibilities), its interaction log and the silo analytics. Every
/// field is scoped to the token's organization.
#[derive(MergedObject, Default)]
pub struct Query(
    chart::ChartQuery,
    analytics::AnalyticsQuery,
    admin::AdminQuery,
);
