//! Queries, one module per domain.

mod analytics;
mod model;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Query(model::ModelQuery, analytics::AnalyticsQuery);
