//! The HTTP application: `/graphql` (POST for every operation, GET for queries and,
//! from a browser, GraphiQL, whose files are under `/graphiql/`), `/livez`, `/readyz`
//! and `/metrics`.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context as _;
use secrecy::ExposeSecret;
use service::db::Db;

use crate::auth::{TokenKeys, Viewer};
use crate::config::Settings;
use crate::graphql;
use crate::http::{self as gql_http, Media, Params, Refusal};
use crate::observe::Metrics;
use crate::state::{authenticate, AppState, OrganizationIds};
use service::{ApiError, Code};

/// A bound, ready-to-run server (and the metrics listener, when configured).
pub struct Application {
    port: u16,
    server: Server,
    metrics_port: Option<u16>,
    /// Tells the WebSockets the server is stopping.
    stopping: tokio::sync::watch::Sender<bool>,
}

impl Application {
    /// Connects to and migrates the configured database, then binds the listener.
    pub async fn build(settings: &Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database(settings.db_max_connections), true).await?;
        Application::with_database(settings, db).await
    }

    /// Binds the listener on an already migrated database, and starts this replica's
    /// live relay and webhook sender.
    pub async fn with_database(settings: &Settings, db: Db) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.listen).with_context(|| {
            format!("failed to listen on {} (SILOSCOPE_LISTEN)", settings.listen)
        })?;
        let port = listener
            .local_addr()
            .context("the listener has no address")?
            .port();
        let metrics = Metrics::new()?;
        let (stopping, stopping_rx) = tokio::sync::watch::channel(false);
        let key = service::secret::id_key(&db.owner(service::db::OwnerWork::ServerKeys))
            .await
            .map_err(|e| anyhow::anyhow!("cannot read the key ids are made with: {e}"))?;
        crate::graphql::ids::init(key);
        let mut db = db;
        if settings.otlp_endpoint.is_some() {
            // Statements are named on their spans only when spans are exported: the
            // callback is not paid for otherwise.
            db.set_metric_callback(crate::telemetry::name_statement);
        }
        let relay = service::live::Relay::start(
            db.clone(),
            service::live::LiveOptions {
                poll: settings.limits.live_poll,
                ..Default::default()
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot start live delivery: {e}"))?;
        crate::live::sender::spawn(db.clone(), &settings.limits)?;
        let state = web::Data::new(AppState {
            schema: graphql::build(&settings.limits, metrics.clone(), relay),
            keys: TokenKeys::load(&settings.jwt)?,
            db,
            organizations: OrganizationIds::default(),
            limits: settings.limits.clone(),
            metrics: metrics.clone(),
            metrics_token: settings.metrics_token.clone(),
            answers: crate::responses::Answers::new(settings.limits.cache_bytes / 2),
            running: std::sync::Arc::default(),
            documents: settings.documents.clone(),
            stopping: stopping_rx,
        });
        service::retention::spawn_schedule(state.db.clone(), settings.retention_interval);
        let metrics = web::Data::new(metrics);
        let metrics_port = match settings.metrics_listen {
            Some(address) => Some(metrics_listener(address, state.clone())?),
            None => None,
        };
        let cors_origins = settings.cors_origins.clone();
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .app_data(metrics.clone())
                .wrap(actix_web::middleware::Condition::new(
                    !cors_origins.is_empty(),
                    cors(&cors_origins),
                ))
                .wrap(actix_web::middleware::from_fn(crate::observe::around))
                .service(
                    web::resource("/graphql")
                        .route(
                            web::get()
                                .guard(actix_web::guard::fn_guard(is_websocket))
                                .to(crate::live::ws::upgrade),
                        )
                        .route(web::post().to(graphql_post))
                        .route(web::get().to(graphql_get))
                        .default_service(web::to(method_not_allowed)),
                )
                .route(
                    "/graphiql/{file}",
                    web::get().to(crate::pages::graphiql_asset),
                )
                .route("/", web::get().to(front_door))
                .route("/dashboard", web::get().to(crate::pages::dashboard))
                .route(
                    "/dashboard/{file}",
                    web::get().to(crate::pages::dashboard_asset),
                )
                .route("/import/interactions", web::post().to(import_interactions))
                .route("/export/interactions", web::get().to(export_interactions))
                .service(crate::scim::routes(web::scope("/scim/v2")))
                .route("/livez", web::get().to(livez))
                .route("/readyz", web::get().to(readyz))
                .route("/metrics", web::get().to(metrics_text))
        })
        .listen(listener)
        .context("failed to start the HTTP server")?
        .shutdown_timeout(settings.shutdown_grace_seconds)
        // Signals are ours (`run_until_stopped`): WebSockets close first.
        .disable_signals()
        .run();
        Ok(Application {
            port,
            server,
            metrics_port,
            stopping,
        })
    }

    /// The port the server listens on (useful with port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of the metrics listener, when one is configured.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_port
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM): then the listener
    /// closes, WebSockets are closed with 1001 (going away), and requests in flight
    /// finish (up to SILOSCOPE_SHUTDOWN_GRACE_SECONDS).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let stopping = self.stopping;
        tokio::spawn(async move {
            stop_signal().await;
            tracing::info!("stopping: closing WebSockets, finishing requests in flight");
            let _ = stopping.send(true);
            handle.stop(true).await;
        });
        self.server.await
    }
}

/// The first SIGINT or SIGTERM.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut terminate) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// CORS for the origins of SILOSCOPE_CORS_ORIGINS (`*`: any). Requests carry their
/// credential in `Authorization`, so credentials mode (cookies) is never allowed, and
/// a wildcard can never be combined with it. A page siloscope serves itself (GraphiQL,
/// the dashboard) is same-origin and always allowed.
fn cors(origins: &[String]) -> actix_cors::Cors {
    let any = origins.iter().any(|o| o == "*");
    let listed: Vec<String> = origins.to_vec();
    let cors = actix_cors::Cors::default()
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            crate::observe::REQUEST_ID,
            header::HeaderName::from_static("traceparent"),
            header::HeaderName::from_static("tracestate"),
        ])
        .expose_headers([crate::observe::REQUEST_ID, header::RETRY_AFTER])
        .max_age(600);
    if any {
        return cors.allow_any_origin().send_wildcard();
    }
    cors.allowed_origin_fn(move |origin, head| {
        let origin = origin.as_bytes();
        listed.iter().any(|o| o.as_bytes() == origin) || same_origin(origin, head)
    })
}

/// Whether `origin` is the request's own (a page siloscope served): its host and port
/// are the `Host` the request was sent to, or the `X-Forwarded-Host` a proxy in front
/// names (a browser cannot add that header to a cross-origin request without a
/// preflight, and a preflight carries none), default ports left out.
fn same_origin(origin: &[u8], head: &actix_web::dev::RequestHead) -> bool {
    let Some((scheme, authority)) = std::str::from_utf8(origin)
        .ok()
        .and_then(|o| o.split_once("://"))
    else {
        return false;
    };
    let default_port = if scheme == "https" { ":443" } else { ":80" };
    let bare = |host: &str| {
        let host = host.trim().to_ascii_lowercase();
        host.strip_suffix(default_port)
            .map(str::to_owned)
            .unwrap_or(host)
    };
    let origin_host = bare(authority);
    [
        header::HOST,
        header::HeaderName::from_static("x-forwarded-host"),
    ]
    .iter()
    .filter_map(|name| head.headers().get(name))
    .filter_map(|value| value.to_str().ok())
    .filter_map(|value| value.split(',').next())
    .any(|host| bare(host) == origin_host)
}

/// Whether a request asks to upgrade to a WebSocket.
fn is_websocket(context: &actix_web::guard::GuardContext) -> bool {
    context
        .head()
        .headers()
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

async fn method_not_allowed(request: HttpRequest) -> HttpResponse {
    let media = gql_http::negotiate(&request).unwrap_or(Media::Json);
    Refusal::new(Code::MethodNotAllowed, "use POST (or GET for queries)").response(media)
}

async fn graphql_post(
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
        let params = crate::state::trusted(&state, &viewer, params).await?;
        let shape = gql_http::inspect(
            &params.query,
            params.operation_name.as_deref(),
            &state.limits,
        )?;
        crate::observe::note_operation(&request, &shape.operation);
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

async fn graphql_get(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
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
        let params = crate::state::trusted(&state, &viewer, params).await?;
        let shape = gql_http::inspect(
            &params.query,
            params.operation_name.as_deref(),
            &state.limits,
        )?;
        crate::observe::note_operation(&request, &shape.operation);
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
                service::snapshot::revision(&tenant, organization_id)
                    .await
                    .ok()
                    .map(|(revision, _)| {
                        crate::responses::Key::new(
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
    tenant: service::db::Tenant,
    params: Params,
    media: Media,
    key: Option<crate::responses::Key>,
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
        service::audit::as_actor(actor, state.schema.execute(request)),
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
        Err(error) => Refusal::from(&ApiError::internal(error)).response(media),
    }
}

/// POST /import/interactions: a log file into the caller's organization (roles
/// INTEGRATION, ADMIN); see `logs::http`.
async fn import_interactions(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let viewer = match authenticate(&request, &state).await {
        Ok(viewer) => viewer,
        Err(error) => return Refusal::from(&error).response(Media::Json),
    };
    if let Err(error) = viewer.require(crate::auth::may::IMPORT) {
        return Refusal::from(&error).response(Media::Json);
    }
    let params = match crate::logs::http::ImportParams::parse(&request) {
        Ok(params) => params,
        Err(refusal) => return refusal.response(Media::Json),
    };
    service::audit::as_actor(
        viewer.actor(),
        crate::logs::http::import(
            &state.db.tenant(viewer.organization_id),
            viewer.organization_id,
            params,
            payload,
            &state.limits,
        ),
    )
    .await
}

/// GET /export/interactions: the caller's organization's log as CSV or XES.
async fn export_interactions(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let viewer = match authenticate(&request, &state).await {
        Ok(viewer) => viewer,
        Err(error) => return Refusal::from(&error).response(Media::Json),
    };
    match crate::logs::http::export_params(&request) {
        Ok((format, window)) => {
            crate::logs::http::export(state.db.tenant(viewer.organization_id), format, window).await
        }
        Err(refusal) => refusal.response(Media::Json),
    }
}

/// Binds SILOSCOPE_METRICS_LISTEN: a listener of its own that serves `GET /metrics`
/// only, without a credential (an operator binds it where only Prometheus reaches).
fn metrics_listener(
    address: std::net::SocketAddr,
    state: web::Data<AppState>,
) -> anyhow::Result<u16> {
    let listener = TcpListener::bind(address)
        .with_context(|| format!("failed to listen on {address} (SILOSCOPE_METRICS_LISTEN)"))?;
    let port = listener
        .local_addr()
        .context("the metrics listener has no address")?
        .port();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route("/metrics", web::get().to(open_metrics_text))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .context("failed to start the metrics listener")?
    .run();
    tokio::spawn(server);
    Ok(port)
}

/// GET /metrics on the metrics listener.
async fn open_metrics_text(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state.db))
}

/// GET /metrics on the main listener: only with SILOSCOPE_METRICS_TOKEN set, and then
/// only to a request bearing it. Nothing about organizations or callers is reachable
/// without configuration.
async fn metrics_text(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let Some(expected) = &state.metrics_token else {
        return HttpResponse::NotFound().content_type("text/plain").body(
            "metrics are not served here: set SILOSCOPE_METRICS_TOKEN (then send it as a bearer token) \
             or SILOSCOPE_METRICS_LISTEN (a listener of their own)",
        );
    };
    {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let matches = given.is_some_and(|g| {
            use subtle::ConstantTimeEq;
            g.as_bytes()
                .ct_eq(expected.expose_secret().as_bytes())
                .into()
        });
        if !matches {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain")
                .body("a metrics token is required");
        }
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render(&state.db))
}

/// GET /: the dashboard is the front page.
async fn front_door() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/dashboard"))
        .finish()
}

async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.db.ping().await {
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed");
            HttpResponse::ServiceUnavailable()
                .content_type("text/plain")
                .body("database unavailable")
        }
    }
}
