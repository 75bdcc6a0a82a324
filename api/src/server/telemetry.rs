//! Logs and traces. Log lines go to standard error (text or JSON, filtered by
//! `SILOSCOPE_LOG`). When `SILOSCOPE_OTLP_ENDPOINT` is set, spans also go to an
//! OpenTelemetry collector over OTLP/HTTP: one per request (a child of the caller's
//! W3C `traceparent`, when it sends one), one per top-level GraphQL field (each
//! report's resolver) and one per database statement (sea-orm's own spans, with the
//! statement's text as `db.query.text`). The batch exporter runs on a thread of its
//! own and reads the standard `OTEL_BSP_*` variables.

use actix_web::http::header::HeaderMap;
use anyhow::Context as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig as _;
use tracing::level_filters::LevelFilter;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::Layer as _;

use crate::server::config::Settings;

/// The spans that go to the collector: siloscope's own, and sea-orm's spans of the
/// statements it sends (inside transactions and on the pool).
fn traced() -> Targets {
    Targets::new()
        .with_target("api", LevelFilter::INFO)
        .with_target("service", LevelFilter::INFO)
        .with_target("sea_orm::driver", LevelFilter::TRACE)
        .with_target("sea_orm::database::transaction", LevelFilter::TRACE)
}

/// The tracer provider, flushed when dropped (at the end of `main`).
pub struct Telemetry {
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported.
    pub fn tracing(&self) -> bool {
        self.provider.is_some()
    }
}

impl Drop for Telemetry {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            // The exporter's client blocks: shut down off the async runtime.
            let _ = std::thread::spawn(move || provider.shutdown()).join();
        }
    }
}

/// Installs the log output and, when configured, the trace exporter.
pub fn init(settings: &Settings) -> anyhow::Result<Telemetry> {
    use std::io::IsTerminal;
    // sea-orm-migration logs every step; `db::migrate` logs one line instead, unless
    // the filter asks for the migrator's own lines.
    let directives = if settings.log.contains("sea_orm_migration") {
        settings.log.clone()
    } else {
        format!("{},sea_orm_migration=warn", settings.log)
    };
    let filter = tracing_subscriber::EnvFilter::new(directives);
    let fmt = tracing_subscriber::fmt::layer()
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let fmt = if settings.log_json {
        fmt.json().with_filter(filter).boxed()
    } else {
        fmt.with_filter(filter).boxed()
    };
    let provider = settings
        .otlp_endpoint
        .as_deref()
        .map(provider)
        .transpose()?;
    let otel = provider.as_ref().map(|provider| {
        tracing_opentelemetry::layer()
            .with_tracer(provider.tracer("siloscope"))
            .with_filter(traced())
    });
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init();
    if provider.is_some() {
        opentelemetry::global::set_text_map_propagator(
            opentelemetry_sdk::propagation::TraceContextPropagator::new(),
        );
    }
    Ok(Telemetry { provider })
}

/// The OTLP/HTTP exporter behind a batch processor, built off the async runtime (its
/// client blocks).
fn provider(endpoint: &str) -> anyhow::Result<opentelemetry_sdk::trace::SdkTracerProvider> {
    let url = if endpoint.ends_with("/v1/traces") {
        endpoint.to_owned()
    } else {
        format!("{endpoint}/v1/traces")
    };
    let exporter = std::thread::spawn(move || {
        opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_endpoint(url)
            .build()
    })
    .join()
    .map_err(|_| anyhow::anyhow!("the OTLP exporter could not be built"))?
    .context("SILOSCOPE_OTLP_ENDPOINT: the OTLP exporter could not be built")?;
    Ok(opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("siloscope")
                .build(),
        )
        .build())
}

/// The headers of a request, as the propagator reads them.
struct Headers<'a>(&'a HeaderMap);

impl opentelemetry::propagation::Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|k| k.as_str()).collect()
    }
}

/// Makes `span` a child of the caller's trace (`traceparent`, `tracestate`), when
/// traces are on and the caller sent one.
pub fn adopt_parent(span: &tracing::Span, headers: &HeaderMap) {
    if !headers.contains_key("traceparent") {
        return;
    }
    let parent = opentelemetry::global::get_text_map_propagator(|p| p.extract(&Headers(headers)));
    let _ = span.set_parent(parent);
}

/// Names the statement on the current span (sea-orm's span of that statement).
pub fn name_statement(info: &sea_orm::metric::Info<'_>) {
    let span = tracing::Span::current();
    if span.is_disabled() {
        return;
    }
    span.set_attribute("db.query.text", info.statement.sql.clone());
    span.set_attribute(
        "db.system.name",
        match info.statement.db_backend {
            sea_orm::DatabaseBackend::Postgres => "postgresql",
            _ => "sqlite",
        },
    );
    if info.failed {
        span.set_attribute("error.type", "statement_failed");
    }
}
