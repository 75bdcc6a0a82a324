//! The HTTP application, wired: each door's routes (GraphQL over HTTP and WebSocket at
//! `/graphql`, the pages, the log files, SCIM, health and metrics) over one shared
//! state, with the middleware every request passes (request ids and log lines, CORS).
//! The handlers live beside their doors.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};
use anyhow::Context as _;
use service::storage::db::Db;

use crate::graphql;
use crate::graphql::handlers::{graphql_get, graphql_post, is_websocket, method_not_allowed};
use crate::logs::http::{export_interactions, import_interactions};
use crate::server::auth::TokenKeys;
use crate::server::config::Settings;
use crate::server::cors::cors;
use crate::server::health::{livez, metrics_listener, metrics_text, readyz};
use crate::server::observe::Metrics;
use crate::server::state::{AppState, OrganizationIds};

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
        let db =
            service::upgrade::open(&settings.database(settings.db_max_connections), true).await?;
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
        let key = service::storage::secret::id_key(
            &db.owner(service::storage::db::OwnerWork::ServerKeys),
        )
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the key ids are made with: {e}"))?;
        crate::graphql::ids::init(key);
        let mut db = db;
        if settings.otlp_endpoint.is_some() {
            // Statements are named on their spans only when spans are exported: the
            // callback is not paid for otherwise.
            db.set_metric_callback(crate::server::telemetry::name_statement);
        }
        let relay = service::notify::live::Relay::start(
            db.clone(),
            service::notify::live::LiveOptions {
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
            answers: crate::graphql::answers::Answers::new(settings.limits.cache_bytes / 2),
            running: std::sync::Arc::default(),
            documents: settings.documents.clone(),
            stopping: stopping_rx,
        });
        service::log::retention::spawn_schedule(state.db.clone(), settings.retention_interval);
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
                .wrap(actix_web::middleware::from_fn(
                    crate::server::observe::around,
                ))
                .configure(routes)
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

/// Every door and where it is: GraphQL (HTTP and WebSocket), the pages, the import
/// and export, SCIM, health and metrics.
fn routes(config: &mut web::ServiceConfig) {
    config
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
        .route("/", web::get().to(crate::pages::front_door))
        .route("/dashboard", web::get().to(crate::pages::dashboard))
        .route(
            "/dashboard/{file}",
            web::get().to(crate::pages::dashboard_asset),
        )
        .route("/import/interactions", web::post().to(import_interactions))
        .route(
            "/import/feedback",
            web::post().to(crate::logs::feedback::import_feedback),
        )
        .route(
            "/export/feedback",
            web::get().to(crate::logs::feedback::export_feedback),
        )
        .route("/export/interactions", web::get().to(export_interactions))
        .service(crate::scim::routes(web::scope("/scim/v2")))
        .route("/livez", web::get().to(livez))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics_text));
}
