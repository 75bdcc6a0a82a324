//! Observability: a request id on every request (taken from `X-Request-Id` when the
//! caller sends a sane one, else made up) in the logs and echoed in the response, one
//! structured log line per request with the organization, the caller and the
//! operation as the handlers learn them, the request's span (exported as a trace when
//! `SILOSCOPE_OTLP_ENDPOINT` is set; see `telemetry`), and Prometheus metrics at
//! `GET /metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpRequest;
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

use crate::server::auth::Viewer;
use tracing::Instrument;

/// The header that carries the request id, both ways.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The service's metrics, per process (Prometheus scrapes each replica).
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    latency: HistogramVec,
    errors: IntCounterVec,
    /// Interactions newly recorded (duplicates not counted).
    pub recorded: IntCounter,
    pool: IntGaugeVec,
    answers: IntCounterVec,
    operations: IntCounterVec,
    /// The label sets of `operations` seen so far, bounded (see `count_operation`).
    operation_labels: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<[String; 4]>>>,
}

/// The most label sets `graphql_operations_total` takes; later new organizations and
/// operation names are counted as `other`, so a client cannot grow the metrics
/// without bound.
const MAX_OPERATION_LABELS: usize = 1_000;

impl Metrics {
    pub fn new() -> anyhow::Result<Metrics> {
        let registry = Registry::new_custom(Some("siloscope".into()), None)?;
        let requests = IntCounterVec::new(
            Opts::new(
                "http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )?;
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
            ]),
            &["route"],
        )?;
        let errors = IntCounterVec::new(
            Opts::new("graphql_errors_total", "GraphQL errors by extensions.code"),
            &["code"],
        )?;
        let recorded = IntCounter::new(
            "interactions_recorded_total",
            "Interactions recorded (a re-sent one is not counted)",
        )?;
        let pool = IntGaugeVec::new(
            Opts::new("db_pool_connections", "Database pool connections by state"),
            &["state"],
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(latency.clone()))?;
        registry.register(Box::new(errors.clone()))?;
        registry.register(Box::new(recorded.clone()))?;
        let answers = IntCounterVec::new(
            Opts::new(
                "query_answers_total",
                "Queries that could be answered from the kept answers, by whether they were (hit) or executed (miss)",
            ),
            &["outcome"],
        )?;
        registry.register(Box::new(pool.clone()))?;
        registry.register(Box::new(answers.clone()))?;
        let operations = IntCounterVec::new(
            Opts::new(
                "graphql_operations_total",
                "GraphQL operations accepted, by organization (slug), credential (token or api_key), operation type and operation name",
            ),
            &["organization", "credential", "operation_type", "operation_name"],
        )?;
        registry.register(Box::new(operations.clone()))?;
        Ok(Metrics {
            registry,
            requests,
            latency,
            errors,
            recorded,
            pool,
            answers,
            operations,
            operation_labels: std::sync::Arc::default(),
        })
    }

    /// Counts an accepted operation. No label names a person: the caller is told by
    /// the kind of credential only (who it was is in the request's log line). Label
    /// sets are kept up to [`MAX_OPERATION_LABELS`]; past that, a new one is counted
    /// with `other` as its organization and operation name.
    pub fn count_operation(&self, viewer: &Viewer, operation: &Operation) {
        let credential = match viewer.credential {
            crate::server::auth::Credential::Token => "token",
            crate::server::auth::Credential::ApiKey => "api_key",
        };
        let mut labels = [
            viewer.organization_slug.clone(),
            credential.to_owned(),
            operation.kind.to_owned(),
            operation.name.clone().unwrap_or_default(),
        ];
        {
            let mut seen = self
                .operation_labels
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if !seen.contains(&labels) {
                if seen.len() >= MAX_OPERATION_LABELS {
                    labels[0] = "other".to_owned();
                    labels[3] = "other".to_owned();
                } else {
                    seen.insert(labels.clone());
                }
            }
        }
        let labels: [&str; 4] = [&labels[0], &labels[1], &labels[2], &labels[3]];
        self.operations.with_label_values(&labels).inc();
    }

    /// Counts a query answered from the kept answers (`hit`) or executed.
    pub fn count_answer(&self, hit: bool) {
        let outcome = if hit { "hit" } else { "miss" };
        self.answers.with_label_values(&[outcome]).inc();
    }

    /// Counts the errors of a GraphQL response by code.
    pub fn count_errors<'a>(&self, codes: impl Iterator<Item = &'a str>) {
        for code in codes {
            self.errors.with_label_values(&[code]).inc();
        }
    }

    /// The text exposition, with the pool's current figures.
    pub fn render(&self, db: &service::storage::db::Db) -> String {
        let (in_use, idle) = db.pool_connections();
        let (in_use, idle) = (i64::from(in_use), i64::from(idle));
        let size = in_use + idle;
        self.pool.with_label_values(&["open"]).set(size);
        self.pool.with_label_values(&["idle"]).set(idle);
        self.pool.with_label_values(&["in_use"]).set(size - idle);
        let mut buffer = Vec::new();
        if let Err(error) = TextEncoder::new().encode(&self.registry.gather(), &mut buffer) {
            tracing::error!(error = %error, "metrics could not be encoded");
        }
        String::from_utf8_lossy(&buffer).into_owned()
    }
}

/// What a request runs, as its log line and metrics name it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Operation {
    /// `query`, `mutation` or `subscription`.
    pub kind: &'static str,
    pub name: Option<String>,
}

/// The span of a request, for the handlers to record what they learn.
#[derive(Clone)]
pub struct RequestSpan(pub tracing::Span);

fn request_span(request: &HttpRequest) -> Option<tracing::Span> {
    actix_web::HttpMessage::extensions(request)
        .get::<RequestSpan>()
        .map(|s| s.0.clone())
}

/// Records the authenticated caller on the request's log line and span.
pub fn note_caller(request: &HttpRequest, viewer: &Viewer) {
    if let Some(span) = request_span(request) {
        span.record("organization", viewer.organization_slug.as_str());
        span.record("caller", viewer.subject.as_str());
    }
}

/// Records the operation on the request's log line and span.
pub fn note_operation(request: &HttpRequest, operation: &Operation) {
    if let Some(span) = request_span(request) {
        span.record("operation_type", operation.kind);
        if let Some(name) = &operation.name {
            span.record("operation_name", name.as_str());
        }
    }
}

/// The request's id, for the handlers (the audit trail names it).
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// A caller's request id is kept when it is 1–128 visible ASCII characters.
fn request_id(request: &ServiceRequest) -> String {
    request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128 && v.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .unwrap_or_else(|| {
            use rand::Rng;
            format!("{:032x}", rand::rng().random::<u128>())
        })
}

/// Middleware: request id, access log line, request metrics.
pub async fn around(
    request: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = request_id(&request);
    actix_web::HttpMessage::extensions_mut(&request).insert(RequestId(id.clone()));
    let metrics = request.app_data::<actix_web::web::Data<Metrics>>().cloned();
    let method = request.method().to_string();
    let route = match request.path() {
        "/graphql" | "/livez" | "/readyz" | "/metrics" => request.path().to_owned(),
        _ => "other".to_owned(),
    };
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %method,
        route = %route,
        organization = tracing::field::Empty,
        caller = tracing::field::Empty,
        operation_type = tracing::field::Empty,
        operation_name = tracing::field::Empty,
        otel.name = %format!("{method} {route}"),
        otel.kind = "server",
        http.response.status_code = tracing::field::Empty,
    );
    crate::server::telemetry::adopt_parent(&span, request.headers());
    actix_web::HttpMessage::extensions_mut(&request).insert(RequestSpan(span.clone()));
    let started = Instant::now();
    let result = next.call(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = match &result {
        Ok(response) => response.status().as_u16(),
        Err(error) => error.as_response_error().status_code().as_u16(),
    };
    span.record("http.response.status_code", status);
    span.in_scope(|| {
        tracing::info!(
            status,
            // Microsecond precision, as a number a reader can take in.
            elapsed_ms = (elapsed.as_micros() as f64) / 1000.0,
            "request served"
        )
    });
    if let Some(metrics) = metrics {
        metrics
            .requests
            .with_label_values(&[route.as_str(), method.as_str(), &status.to_string()])
            .inc();
        metrics
            .latency
            .with_label_values(&[route.as_str()])
            .observe(elapsed.as_secs_f64());
    }
    let mut response = result?;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    Ok(response)
}
