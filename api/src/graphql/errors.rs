//! Errors as GraphQL sends them: every error of a response gets its
//! `extensions.code` from the catalogue (`service::Code`, docs/errors.md). Internal
//! causes are logged, never sent.

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextRequest, NextValidation,
};
use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Response, ServerError, ServerResult, ValidationResult, Variables};
use std::sync::Arc;

use service::{Code, ServiceError};

/// A GraphQL error with this error's message and code; internal causes are logged.
pub fn to_server_error(error: &ServiceError, mut server_error: ServerError) -> ServerError {
    if let ServiceError::Internal(cause) = error {
        tracing::error!(error = format!("{cause:#}"), "request failed");
    }
    server_error.message = error.to_string();
    server_error.source = None;
    server_error
        .extensions
        .get_or_insert_with(Default::default)
        .set("code", error.code().as_str());
    server_error
}

/// Gives every error of a response its `extensions.code`: the code of an [`ServiceError`],
/// `GRAPHQL_PARSE_FAILED`, `GRAPHQL_VALIDATION_FAILED`, `BAD_USER_INPUT` for values
/// the engine refused, and `INTERNAL` (with the message hidden) for anything else.
/// The engine's depth and complexity limits are named in their messages.
pub struct ErrorCodes {
    pub max_depth: usize,
    pub max_complexity: usize,
}

impl ExtensionFactory for ErrorCodes {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ErrorCodesExtension {
            max_depth: self.max_depth,
            max_complexity: self.max_complexity,
        })
    }
}

struct ErrorCodesExtension {
    max_depth: usize,
    max_complexity: usize,
}

fn with_code(mut error: ServerError, code: Code) -> ServerError {
    let extensions = error.extensions.get_or_insert_with(Default::default);
    if extensions.get("code").is_none() {
        extensions.set("code", code.as_str());
    }
    error
}

#[async_graphql::async_trait::async_trait]
impl Extension for ErrorCodesExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|error| {
                let source = error.source.clone();
                match source {
                    Some(source) => match source.downcast_ref::<ServiceError>() {
                        Some(api_error) => to_server_error(api_error, error),
                        None => {
                            tracing::error!(error = %error.message, "unexpected resolver error");
                            let mut hidden = error;
                            hidden.message = "internal error".to_owned();
                            hidden.source = None;
                            with_code(hidden, Code::Internal)
                        }
                    },
                    None => with_code(error, Code::BadUserInput),
                }
            })
            .collect();
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        next.run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, Code::GraphqlParseFailed))
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|mut e| {
                    // The engine's own limits get codes of their own, and messages
                    // that say what the limit is.
                    let code = match e.message.as_str() {
                        "Query is nested too deep." => {
                            e.message = format!(
                                "the query is nested more than {} levels deep \
                                 (SILOSCOPE_MAX_DEPTH)",
                                self.max_depth
                            );
                            Code::QueryTooDeep
                        }
                        "Query is too complex." => {
                            e.message = format!(
                                "the query costs more than {} (SILOSCOPE_MAX_COMPLEXITY; \
                                 a list's cost is its page size times its fields)",
                                self.max_complexity
                            );
                            Code::QueryTooComplex
                        }
                        _ => Code::GraphqlValidationFailed,
                    };
                    with_code(e, code)
                })
                .collect()
        })
    }
}
