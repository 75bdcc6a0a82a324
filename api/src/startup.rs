//! The HTTP application: `/graphql` (POST for operations, GET for GraphiQL),
//! `/livez` and `/readyz`.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{web, App, Either, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context as _;
use async_graphql::http::GraphiQLSource;
use async_graphql_actix_web::{GraphQLRequest, GraphQLResponse};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::auth::{TokenKeys, Viewer};
use crate::config::Settings;
use crate::error::ApiError;
use crate::graphql::{self, AppSchema};

/// Largest request body accepted (a batch of 10,000 interactions fits).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// A bound, ready-to-run server.
pub struct Application {
    port: u16,
    server: Server,
}

struct AppState {
    schema: AppSchema,
    keys: TokenKeys,
    db: DatabaseConnection,
    organizations: OrganizationIds,
}

/// Organization ids by slug, filled as tokens name them. A slug never changes owner
/// and organizations are not deleted, so an entry never goes stale and replicas need
/// not share theirs; the map is emptied when it reaches its cap.
#[derive(Default)]
struct OrganizationIds(std::sync::RwLock<std::collections::HashMap<String, i64>>);

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

impl Application {
    /// Connects to and migrates the configured database, then binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        let db = crate::db::connect(&settings.database_url, settings.db_max_connections).await?;
        crate::db::migrate(&db).await?;
        Application::with_database(settings, db)
    }

    /// Binds the listener on an already migrated database.
    pub fn with_database(
        settings: &Settings,
        db: DatabaseConnection,
    ) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.listen).with_context(|| {
            format!("failed to listen on {} (SILOSCOPE_LISTEN)", settings.listen)
        })?;
        let port = listener
            .local_addr()
            .context("the listener has no address")?
            .port();
        let state = web::Data::new(AppState {
            schema: graphql::build(db.clone()),
            keys: TokenKeys::new(&settings.jwt),
            db,
            organizations: OrganizationIds::default(),
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
                .wrap(access_log())
                .route("/graphql", web::post().to(graphql_post))
                .route("/graphql", web::get().to(graphiql))
                .route("/livez", web::get().to(livez))
                .route("/readyz", web::get().to(readyz))
        })
        .listen(listener)
        .context("failed to start the HTTP server")?
        .shutdown_timeout(30)
        .run();
        Ok(Application { port, server })
    }

    /// The port the server listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn access_log() -> actix_web::middleware::Logger {
    actix_web::middleware::Logger::new("%a \"%r\" %s %b %Dms")
}

/// A GraphQL-shaped error body with `extensions.code`.
fn error_response(error: &ApiError) -> HttpResponse {
    let body = serde_json::json!({
        "errors": [{ "message": error.to_string(), "extensions": { "code": error.code() } }]
    });
    match error {
        ApiError::Unauthenticated(_) => HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
            .json(body),
        ApiError::Forbidden(_) => HttpResponse::Forbidden().json(body),
        ApiError::Internal(cause) => {
            tracing::error!(error = format!("{cause:#}"), "request failed");
            HttpResponse::InternalServerError().json(body)
        }
        _ => HttpResponse::BadRequest().json(body),
    }
}

/// The caller a request's bearer token names.
async fn authenticate(request: &HttpRequest, state: &AppState) -> Result<Viewer, ApiError> {
    let header = request
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::Unauthenticated("a bearer token is required (Authorization: Bearer …)".into())
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
            ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`".into())
        })?;
    let claims = state.keys.verify(token)?;
    let organization_id = match state.organizations.get(&claims.org) {
        Some(id) => id,
        None => {
            let organization =
                crate::service::organization::find_by_slug(&state.db, &claims.org)
                    .await?
                    .ok_or_else(|| {
                        ApiError::Unauthenticated("the token's organization does not exist".into())
                    })?;
            state.organizations.insert(&organization.slug, organization.id);
            organization.id
        }
    };
    Ok(Viewer {
        subject: claims.sub,
        organization_id,
        organization_slug: claims.org,
        roles: claims.roles.into_iter().collect(),
    })
}

async fn graphql_post(
    request: HttpRequest,
    state: web::Data<AppState>,
    body: GraphQLRequest,
) -> Either<HttpResponse, GraphQLResponse> {
    match authenticate(&request, &state).await {
        Ok(viewer) => {
            let loader = crate::graphql::loader::for_request(
                state.db.clone(),
                viewer.organization_id,
            );
            Either::Right(
                state
                    .schema
                    .execute(body.into_inner().data(viewer).data(loader))
                    .await
                    .into(),
            )
        }
        Err(error) => Either::Left(error_response(&error)),
    }
}

async fn graphiql() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(
            GraphiQLSource::build()
                .endpoint("/graphql")
                .title("siloscope")
                .finish(),
        )
}

async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.execute_unprepared("SELECT 1").await {
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
