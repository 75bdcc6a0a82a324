//! `/livez`, `/readyz` and `/metrics` (on the main listener with a metrics token, or on
//! a listener of its own).

use std::net::TcpListener;

use actix_web::http::header;
use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use anyhow::Context as _;
use secrecy::ExposeSecret;

use crate::server::state::AppState;

/// Binds SILOSCOPE_METRICS_LISTEN: a listener of its own that serves `GET /metrics`
/// only, without a credential (an operator binds it where only Prometheus reaches).
pub(crate) fn metrics_listener(
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
pub(crate) async fn metrics_text(request: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
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

pub(crate) async fn livez() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub(crate) async fn readyz(state: web::Data<AppState>) -> HttpResponse {
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
