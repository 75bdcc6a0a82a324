//! What every door of a running server shares: the application state (schema,
//! database pool, keys, limits, metrics, kept answers) and the authentication of a
//! request's bearer token (a JWT or an API key).

use actix_web::http::header;
use actix_web::{web, HttpRequest};
use secrecy::SecretString;
use service::storage::db::{Db, OwnerWork};
use service::ServiceError;

use crate::graphql::AppSchema;
use crate::server::auth::{AccessRole, Credential, TokenKeys, Viewer};
use crate::server::config::Limits;
use crate::server::observe::Metrics;

pub(crate) struct AppState {
    pub(crate) schema: AppSchema,
    pub(crate) keys: TokenKeys,
    pub(crate) db: Db,
    pub(crate) organizations: OrganizationIds,
    pub(crate) limits: Limits,
    pub(crate) metrics: Metrics,
    pub(crate) metrics_token: Option<SecretString>,
    pub(crate) answers: crate::graphql::answers::Answers,
    /// Subscriptions running per organization on this server.
    pub(crate) running: std::sync::Arc<Running>,
    /// Which documents may run.
    pub(crate) documents: crate::server::config::DocumentPolicy,
    /// Set when the server begins to stop: WebSockets close (1001) instead of holding
    /// the shutdown up until the grace period ends.
    pub(crate) stopping: tokio::sync::watch::Receiver<bool>,
}

/// Organization ids by slug, filled as tokens name them. A slug never changes owner
/// and organizations are not deleted, so an entry never goes stale and replicas need
/// not share theirs; the map is emptied when it reaches its cap.
#[derive(Default)]
pub(crate) struct OrganizationIds(std::sync::RwLock<std::collections::HashMap<String, i64>>);

impl OrganizationIds {
    const CAP: usize = 10_000;

    fn get(&self, slug: &str) -> Option<i64> {
        self.0.read().ok()?.get(slug).copied()
    }

    fn insert(&self, slug: &str, id: i64) {
        if let Ok(mut map) = self.0.write() {
            if map.len() >= Self::CAP {
                map.clear();
            }
            map.insert(slug.to_owned(), id);
        }
    }
}

/// The caller a request's bearer token names, for the doors that are not GraphQL.
pub(crate) async fn authenticate_request(request: &HttpRequest) -> Result<Viewer, ServiceError> {
    let state = request
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no application state")))?;
    authenticate(request, state).await
}

/// The handle on the caller's organization's rows, for the doors that are not GraphQL.
pub(crate) fn tenant(
    request: &HttpRequest,
    viewer: &Viewer,
) -> Result<service::storage::db::Tenant, ServiceError> {
    request
        .app_data::<web::Data<AppState>>()
        .map(|state| state.db.tenant(viewer.organization_id))
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no application state")))
}

/// The largest body a request may send.
pub(crate) fn body_limit(request: &HttpRequest) -> usize {
    request
        .app_data::<web::Data<AppState>>()
        .map_or(1 << 20, |state| state.limits.max_body_bytes)
}

/// The caller a request's bearer token names.
pub(crate) async fn authenticate(
    request: &HttpRequest,
    state: &AppState,
) -> Result<Viewer, ServiceError> {
    let request_id = actix_web::HttpMessage::extensions(request)
        .get::<crate::server::observe::RequestId>()
        .map(|id| id.0.clone());
    let token = bearer(request)?;
    let viewer = authenticate_token(state, token, request_id).await?.viewer;
    crate::server::observe::note_caller(request, &viewer);
    Ok(viewer)
}

/// Trusted documents: a document sent by id becomes its registered text; a document
/// sent as text runs when the caller may send ad-hoc documents
/// (`SILOSCOPE_TRUSTED_DOCUMENTS`, `SILOSCOPE_ADHOC_DOCUMENT_ROLES`) or its text is
/// registered.
pub(crate) async fn trusted(
    state: &AppState,
    viewer: &Viewer,
    mut params: crate::graphql::over_http::Params,
) -> Result<crate::graphql::over_http::Params, crate::graphql::over_http::Refusal> {
    let refused = |e: ServiceError| crate::graphql::over_http::Refusal::from(&e);
    if let Some(given) = params.document_id.take() {
        let id = service::access::document::canonical_id(&given).map_err(|e| {
            crate::graphql::over_http::Refusal::new(service::Code::BadRequest, e.to_string())
        })?;
        if !params.query.is_empty() {
            // Apollo's clients send the text with its hash to register it: siloscope
            // registers nothing this way, and treats the text as sent.
            if service::access::document::id_of(&params.query) != id {
                return Err(crate::graphql::over_http::Refusal::new(
                    service::Code::BadRequest,
                    "the document's text does not have the id sent with it",
                ));
            }
        } else {
            params.query =
                service::access::document::find(&state.db.owner(OwnerWork::Authentication), &id)
                    .await
                    .map_err(refused)?
                    .ok_or_else(|| {
                        crate::graphql::over_http::Refusal::new(
                            service::Code::PersistedQueryNotFound,
                            format!("no document {id} is registered (siloscope documents add)"),
                        )
                    })?;
            return Ok(params);
        }
    }
    if state
        .documents
        .allows_adhoc(viewer.roles.iter().map(|r| r.as_str()))
        || service::access::document::is_registered(
            &state.db.owner(OwnerWork::Authentication),
            &params.query,
        )
        .await
        .map_err(refused)?
    {
        return Ok(params);
    }
    Err(crate::graphql::over_http::Refusal::new(
        service::Code::DocumentNotTrusted,
        "this server runs registered documents only (SILOSCOPE_TRUSTED_DOCUMENTS=enforce) and your roles may not send others: send a registered document, or its documentId",
    ))
}

/// A caller and until when its credential is good.
pub(crate) struct Authenticated {
    pub(crate) viewer: Viewer,
    /// When the token or key expires (µs); `None`: a key without expiry.
    pub(crate) expires_at: Option<i64>,
}

/// The token of a request's `Authorization: Bearer` header.
fn bearer(request: &HttpRequest) -> Result<&str, ServiceError> {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ServiceError::Unauthenticated(
                "a bearer token is required (Authorization: Bearer …)".into(),
            )
        })?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ServiceError::Unauthenticated(
                "the Authorization header must be `Bearer <token>`".into(),
            )
        })?;
    Ok(token)
}

/// The caller a bearer token (a JWT or an API key) names.
pub(crate) async fn authenticate_token(
    state: &AppState,
    token: &str,
    request_id: Option<String>,
) -> Result<Authenticated, ServiceError> {
    let owner = state.db.owner(OwnerWork::Authentication);
    if token.starts_with(service::access::api_key::PREFIX) {
        let key = service::access::api_key::verify(&owner, token).await?;
        let organization = service::model::organization::get(&owner, key.organization_id).await?;
        let viewer = Viewer {
            roles: service::access::api_key::roles(&key)
                .iter()
                .filter_map(|r| AccessRole::named(r))
                .collect(),
            subject: key.name,
            organization_id: organization.id,
            organization_slug: organization.slug,
            credential: Credential::ApiKey,
            request_id,
        };
        if viewer.roles.is_empty() {
            return Err(ServiceError::forbidden(
                "the API key holds no siloscope role (VIEWER, EDITOR, INTEGRATION or ADMIN): no role, no access",
            ));
        }
        return Ok(Authenticated {
            viewer,
            expires_at: key.expires_at,
        });
    }
    let claims = state.keys.verify(token).await?;
    if claims.roles.is_empty() {
        // Checked before the organization is looked up: a token without a role learns
        // nothing, not even whether its organization exists.
        return Err(ServiceError::forbidden(format!(
            "the token carries no siloscope role at `{}` (VIEWER, EDITOR, INTEGRATION or ADMIN, in any case): no role, no access",
            state.keys.roles_claim()
        )));
    }
    let organization_id = match state.organizations.get(&claims.org) {
        Some(id) => id,
        None => {
            let organization = service::model::organization::find_by_slug(&owner, &claims.org)
                .await?
                .ok_or_else(|| {
                    ServiceError::Unauthenticated("the token's organization does not exist".into())
                })?;
            state
                .organizations
                .insert(&organization.slug, organization.id);
            organization.id
        }
    };
    let viewer = Viewer {
        subject: claims.sub,
        organization_id,
        organization_slug: claims.org,
        roles: claims.roles.into_iter().collect(),
        credential: Credential::Token,
        request_id,
    };
    Ok(Authenticated {
        viewer,
        expires_at: Some(claims.exp.saturating_mul(1_000_000)),
    })
}

/// Subscriptions running per organization on this server.
#[derive(Default)]
pub struct Running(std::sync::Mutex<std::collections::HashMap<i64, usize>>);

impl Running {
    /// Takes a place for the organization if it has fewer than `max`.
    pub(crate) fn take(
        self: &std::sync::Arc<Self>,
        organization_id: i64,
        max: usize,
    ) -> Option<Place> {
        let mut counts = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = counts.entry(organization_id).or_default();
        if *count >= max {
            return None;
        }
        *count += 1;
        Some(Place {
            running: self.clone(),
            organization_id,
        })
    }
}

/// A place taken in [`Running`], given back when dropped.
pub(crate) struct Place {
    running: std::sync::Arc<Running>,
    organization_id: i64,
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut counts = self
            .running
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = counts.get_mut(&self.organization_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.organization_id);
            }
        }
    }
}
