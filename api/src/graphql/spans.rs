//! A span per top-level field: each report, list or mutation a request runs is a
//! span of its own under the request's, named `Query.siloReport` and so on, so a
//! trace shows which resolver its time went to. Nested fields are not spanned (they
//! read what their parent loaded).

use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextResolve, ResolveInfo,
};
use async_graphql::{ServerResult, Value};
use tracing::Instrument as _;

/// The extension's factory, for `Schema::build`.
pub struct ResolverSpans;

impl ExtensionFactory for ResolverSpans {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResolverSpansExtension)
    }
}

struct ResolverSpansExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for ResolverSpansExtension {
    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        if info.path_node.parent.is_some() || info.is_for_introspection {
            return next.run(ctx, info).await;
        }
        let span = tracing::info_span!(
            "resolve",
            otel.name = %format!("{}.{}", info.parent_type, info.name),
            graphql.field.name = info.name,
            graphql.field.alias = info.alias.unwrap_or_default(),
        );
        next.run(ctx, info).instrument(span).await
    }
}
