//! The SCIM 2.0 door (RFC 7643, RFC 7644) at `/scim/v2`: identity providers (Entra ID,
//! Okta, OneLogin, JumpCloud) push people as Users and functions as Groups. It only
//! translates: SCIM JSON to and from `service::model::directory`, PATCH operations applied to
//! the resource's JSON before it is saved whole, SCIM errors from the services'.
//!
//! Every request needs a bearer token (JWT or API key) of role INTEGRATION or ADMIN;
//! its organization scopes everything, under the same row-level security as GraphQL.

mod discovery;
mod groups;
mod json;
mod patch;
mod query;
mod users;

use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};
use service::{Code, ServiceError, UserError, UserErrorCode, WriteError};

use crate::server::auth::{may, Viewer};

/// The media type of every SCIM body.
pub const MEDIA: &str = "application/scim+json";

/// The routes, to mount at `/scim/v2`. A method a path does not serve gets 405.
pub fn routes(scope: actix_web::Scope) -> actix_web::Scope {
    let resource = |path: &str| web::resource(path).default_service(web::to(method_not_allowed));
    scope
        .service(
            resource("/ServiceProviderConfig")
                .route(web::get().to(discovery::service_provider_config)),
        )
        .service(resource("/ResourceTypes").route(web::get().to(discovery::resource_types)))
        .service(resource("/ResourceTypes/{id}").route(web::get().to(discovery::resource_type)))
        .service(resource("/Schemas").route(web::get().to(discovery::schemas)))
        .service(resource("/Schemas/{id}").route(web::get().to(discovery::schema)))
        .service(
            resource("/Users")
                .route(web::get().to(users::list))
                .route(web::post().to(users::create)),
        )
        .service(resource("/Users/.search").route(web::post().to(users::search)))
        .service(
            resource("/Users/{id}")
                .route(web::get().to(users::get))
                .route(web::put().to(users::replace))
                .route(web::patch().to(users::patch))
                .route(web::delete().to(users::delete)),
        )
        .service(
            resource("/Groups")
                .route(web::get().to(groups::list))
                .route(web::post().to(groups::create)),
        )
        .service(resource("/Groups/.search").route(web::post().to(groups::search)))
        .service(
            resource("/Groups/{id}")
                .route(web::get().to(groups::get))
                .route(web::put().to(groups::replace))
                .route(web::patch().to(groups::patch))
                .route(web::delete().to(groups::delete)),
        )
        .service(resource("/.search").route(web::post().to(query::search_all)))
        .default_service(web::to(not_found))
}

async fn method_not_allowed(request: HttpRequest) -> HttpResponse {
    ScimError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        format!("{} does not serve {}", request.path(), request.method()),
    )
    .response()
}

/// Answers an operation's result, or its error, as SCIM.
pub async fn respond(
    work: impl std::future::Future<Output = Result<HttpResponse, ScimError>>,
) -> HttpResponse {
    match work.await {
        Ok(response) => response,
        Err(error) => error.response(),
    }
}

/// A SCIM error response (RFC 7644 §3.12).
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        ScimError {
            status,
            scim_type,
            detail: detail.into(),
        }
    }

    pub fn invalid_value(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::BAD_REQUEST, Some("invalidValue"), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ScimError::new(StatusCode::NOT_FOUND, None, detail)
    }

    pub fn response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        HttpResponse::build(self.status)
            .insert_header((header::CONTENT_TYPE, MEDIA))
            .body(body.to_string())
    }
}

impl From<ServiceError> for ScimError {
    fn from(error: ServiceError) -> Self {
        let status = match error.code() {
            Code::Unauthenticated => StatusCode::UNAUTHORIZED,
            Code::Forbidden => StatusCode::FORBIDDEN,
            Code::NotFound => StatusCode::NOT_FOUND,
            Code::BadUserInput => StatusCode::BAD_REQUEST,
            Code::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Code::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(error = %error, "SCIM request failed");
            return ScimError::new(status, None, "internal error");
        }
        ScimError::new(status, None, error.to_string())
    }
}

/// The SCIM attribute a service's field is (RFC 7643's names, siloscope's extension's
/// `parent`).
fn attribute(field: &service::Field) -> &str {
    match field.name.as_ref() {
        "name" => "displayName",
        "user_name" => "userName",
        "email" => "emails",
        "given_name" => "name.givenName",
        "family_name" => "name.familyName",
        "external_id" => "externalId",
        "parent_id" => "parent",
        "is_cx_team" => "isCxTeam",
        other => other,
    }
}

impl From<Vec<UserError>> for ScimError {
    fn from(errors: Vec<UserError>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", attribute(&e.field), e.message))
            .collect::<Vec<_>>()
            .join("; ");
        // The resource addressed does not exist, was deleted, or is another
        // organization's: 404 (RFC 7644 §3.12), which an identity provider takes as
        // done for a DELETE.
        if errors
            .iter()
            .any(|e| e.code == UserErrorCode::NotFound && e.field == service::Field::id())
        {
            ScimError::not_found(detail)
        } else if errors.iter().any(|e| e.code == UserErrorCode::Duplicate) {
            ScimError::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
        } else {
            ScimError::invalid_value(detail)
        }
    }
}

impl From<WriteError> for ScimError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::Invalid(errors) => errors.into(),
            WriteError::Fault(error) => error.into(),
        }
    }
}

/// A SCIM resource answer: `status` with `body` as `application/scim+json`, and a
/// `Location` when given.
pub fn resource(status: StatusCode, body: Value, location: Option<&str>) -> HttpResponse {
    let mut reply = HttpResponse::build(status);
    reply.insert_header((header::CONTENT_TYPE, MEDIA));
    if let Some(location) = location {
        reply.insert_header((header::LOCATION, location.to_owned()));
    }
    reply.body(body.to_string())
}

/// The service's base URL as the caller reached it (`https://host/scim/v2`), which
/// `location` and `$ref` values begin with.
pub fn base_url(request: &HttpRequest) -> String {
    let info = request.connection_info();
    format!("{}://{}/scim/v2", info.scheme(), info.host())
}

/// The caller, who must hold INTEGRATION or ADMIN; an error response otherwise.
pub async fn caller(request: &HttpRequest) -> Result<Viewer, ScimError> {
    let viewer = crate::server::state::authenticate_request(request).await?;
    viewer.require(may::PROVISION)?;
    Ok(viewer)
}

/// Runs a SCIM operation for the caller, recorded as theirs in the audit trail (the
/// work reads and writes through the tenant handle of their organization).
pub async fn on_behalf<F, T>(viewer: &Viewer, work: F) -> T
where
    F: std::future::Future<Output = T>,
{
    service::access::audit::as_actor(viewer.actor(), work).await
}

/// Reads a JSON body (any content type a SCIM client sends), bounded by the body
/// limit.
pub async fn body(request: &HttpRequest, payload: web::Payload) -> Result<Value, ScimError> {
    let limit = crate::server::state::body_limit(request);
    let bytes = payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| {
            ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("the body is over {limit} bytes"),
            )
        })?
        .map_err(|_| ScimError::invalid_value("the body could not be read"))?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ScimError::new(
            StatusCode::BAD_REQUEST,
            Some("invalidSyntax"),
            format!("the body is not JSON: {e}"),
        )
    })
}

/// Any other path under `/scim/v2` (for an authenticated caller).
async fn not_found(request: HttpRequest) -> HttpResponse {
    if let Err(refused) = caller(&request).await {
        return refused.response();
    }
    ScimError::not_found(format!("no SCIM resource at {}", request.path())).response()
}
