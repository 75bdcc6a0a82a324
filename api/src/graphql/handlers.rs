//! The GraphQL door's HTTP handlers: `POST /graphql` for every operation, `GET
//! /graphql` for queries (and GraphiQL from a browser), each authenticated, held to the
//! trusted-documents policy and the request limits, answered from the kept answers or
//! executed through the request's tenant handle within the request timeout.

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use service::{Code, ServiceError};

use crate::graphql::over_http::{self as gql_http, Media, Params, Refusal};
use crate::server::auth::Viewer;
use crate::server::state::{authenticate, AppState};

/// Whether a request asks to upgrade to a WebSocket.
pub(crate) fn is_websocket(context: &actix_web::guard::GuardContext) -> bool {
    context
        .head()
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

pub(crate) async fn method_not_allowed(request: HttpRequest) -> HttpResponse {
    let media = gql_http::negotiate(&request).unwrap_or(Media::Json);
    Refusal::new(Code::MethodNotAllowed, "use POST (or GET for queries)").response(media)
}

pub(crate) async fn graphql_post(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let media = match gql_http::negotiate(&request) {
        Ok(media) => media,
        Err(refusal) => return refusal.response(Media::Json),
    };
    let outcome = async {
        gql_http::require_json_body(&request)?;
        let viewer = authenticate(&request, &state)
            .await
            .map_err(|e| Refusal::from(&e))?;
        // Read up to the larger limit (only once the caller is known); the smaller one
        // applies below unless the request only records interactions.
        let limit = state
            .limits
            .max_body_bytes
            .max(state.limits.max_recording_body_bytes);
        let body = match payload.to_bytes_limited(limit).await {
            Ok(Ok(body)) => body,
            Ok(Err(_)) => return Err(Refusal::new(Code::BadRequest, "the body could not be read")),
            Err(_) => {
                return Err(Refusal::new(
                    Code::RequestTooLarge,
                    format!("the body is over {limit} bytes"),
                ))
            }
        };
        let params = gql_http::params_from_body(&body)?;
        let params = crate::server::state::trusted(&state, &viewer, params).await?;
        let shape = gql_http::inspect(
            &params.query,
            params.operation_name.as_deref(),
            &state.limits,
        )?;
        crate::server::observe::note_operation(&request, &shape.operation);
        state.metrics.count_operation(&viewer, &shape.operation);
        if body.len() > state.limits.max_body_bytes && !shape.recording_only {
            return Err(Refusal::new(
                Code::RequestTooLarge,
                format!(
                    "the body is over {} bytes (only recording requests may be larger)",
                    state.limits.max_body_bytes
                ),
            ));
        }
        Ok((viewer, params, shape.mutation))
    }
    .await;
    respond(&state, outcome, media).await
}

pub(crate) async fn graphql_get(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let wants_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    let names_a_document = ["query=", "documentId=", "extensions="]
        .iter()
        .any(|p| request.query_string().contains(p));
    if wants_html && !names_a_document {
        return crate::pages::GRAPHIQL.page();
    }
    let media = match gql_http::negotiate(&request) {
        Ok(media) => media,
        Err(refusal) => return refusal.response(Media::Json),
    };
    let outcome = async {
        let viewer = authenticate(&request, &state)
            .await
            .map_err(|e| Refusal::from(&e))?;
        if request.query_string().len() > state.limits.max_body_bytes {
            return Err(Refusal::new(Code::RequestTooLarge, "the URL is too long")
                .with_status(StatusCode::URI_TOO_LONG));
        }
        let params = gql_http::params_from_url(request.query_string())?;
        let params = crate::server::state::trusted(&state, &viewer, params).await?;
        let shape = gql_http::inspect(
            &params.query,
            params.operation_name.as_deref(),
            &state.limits,
        )?;
        crate::server::observe::note_operation(&request, &shape.operation);
        if shape.mutation {
            return Err(Refusal::new(
                Code::MethodNotAllowed,
                "mutations must be sent with POST",
            ));
        }
        state.metrics.count_operation(&viewer, &shape.operation);
        Ok((viewer, params, false))
    }
    .await;
    respond(&state, outcome, media).await
}

/// Answers an accepted request (from the kept answers, or by executing it), or its
/// refusal.
async fn respond(
    state: &AppState,
    outcome: Result<(Viewer, Params, bool), Refusal>,
    media: Media,
) -> HttpResponse {
    match outcome {
        Ok((viewer, params, mutation)) => {
            let tenant = state.db.tenant(viewer.organization_id);
            // A query's answer is kept under the organization's revision, read first:
            // a write committed after this read raises it, so nothing kept is stale.
            let key = if mutation || !state.answers.enabled() {
                None
            } else {
                let organization_id = viewer.organization_id;
                service::reports::snapshot::revision(&tenant, organization_id)
                    .await
                    .ok()
                    .map(|(revision, _)| {
                        crate::graphql::answers::Key::new(
                            &viewer,
                            revision,
                            &params.query,
                            params.operation_name.as_deref(),
                            params.variables.as_ref(),
                            media,
                        )
                    })
            };
            if let Some(answer) = key.as_ref().and_then(|k| state.answers.get(k)) {
                state.metrics.count_answer(true);
                return HttpResponse::Ok()
                    .content_type(media.content_type())
                    .body(answer.as_ref().clone());
            }
            execute(state, viewer, tenant, params, media, key).await
        }
        Err(refusal) => {
            state
                .metrics
                .count_errors(std::iter::once(refusal.code.as_str()));
            refusal.response(media)
        }
    }
}

/// Runs one operation for `viewer`, within the request timeout; keeps its answer under
/// `key` when it has no error.
async fn execute(
    state: &AppState,
    viewer: Viewer,
    tenant: service::storage::db::Tenant,
    params: Params,
    media: Media,
    key: Option<crate::graphql::answers::Key>,
) -> HttpResponse {
    let actor = viewer.actor();
    let loader = crate::graphql::loader::for_request(tenant.clone());
    let mut request = async_graphql::Request::new(params.query)
        .data(viewer)
        .data(tenant.clone())
        .data(loader);
    if let Some(name) = params.operation_name {
        request = request.operation_name(name);
    }
    if let Some(variables) = params.variables {
        request = request.variables(async_graphql::Variables::from_json(variables));
    }
    let response = match tokio::time::timeout(
        state.limits.request_timeout,
        service::access::audit::as_actor(actor, state.schema.execute(request)),
    )
    .await
    {
        Ok(response) => {
            tenant.end_reads().await;
            response
        }
        Err(_) => {
            state
                .metrics
                .count_errors(std::iter::once(Code::Timeout.as_str()));
            return Refusal::new(
                Code::Timeout,
                format!(
                    "the request took longer than {} s and was abandoned; nothing it wrote was kept",
                    state.limits.request_timeout.as_secs()
                ),
            )
            .response(media);
        }
    };
    state.metrics.count_errors(gql_http::codes(&response));
    let status = gql_http::status_of(&response, media);
    // A request error has no `data` entry at all (graphql-over-http).
    let body = if gql_http::is_request_error(&response) {
        serde_json::to_vec(&serde_json::json!({ "errors": response.errors }))
    } else {
        serde_json::to_vec(&response)
    };
    let busy = gql_http::codes(&response).any(|c| c == Code::TooManyRequests.as_str());
    match body {
        Ok(body) => {
            if let Some(key) = key {
                state.metrics.count_answer(false);
                // Webhooks and their messages change without a write (a sender
                // settles attempts): answers holding them are not kept.
                let no_cache = response.cache_control.max_age < 0;
                if response.errors.is_empty() && status == StatusCode::OK && !no_cache {
                    state.answers.keep(key, std::sync::Arc::new(body.clone()));
                }
            }
            let mut reply = HttpResponse::build(status);
            if busy {
                reply.insert_header((
                    actix_web::http::header::RETRY_AFTER,
                    crate::graphql::reports_gate::RETRY_AFTER_SECONDS.to_string(),
                ));
            }
            reply.content_type(media.content_type()).body(body)
        }
        Err(error) => Refusal::from(&ServiceError::internal(error)).response(media),
    }
}
