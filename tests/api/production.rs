//! Running in production: request fields in the logs and metrics, traces to an OTLP
//! collector, CORS, trusted documents, and backups taken while recording.

use service::storage::db::{DbOptions, OwnerWork};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use api::server::auth::AccessRole;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::trace::v1::Span;
use sea_orm::ConnectionTrait;
use serde_json::{json, Value};

use crate::helpers::{database, postgres_admin_url, spawn_app, spawn_app_with, TestApp, SECRET};

const SILOSCOPE: &str = env!("CARGO_BIN_EXE_siloscope");

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An OTLP/HTTP receiver: every span posted to `/v1/traces`.
async fn otlp_receiver() -> (String, Arc<Mutex<Vec<Span>>>) {
    use actix_web::{web, App, HttpResponse, HttpServer};
    let spans: Arc<Mutex<Vec<Span>>> = Arc::default();
    let kept = spans.clone();
    let server = HttpServer::new(move || {
        let kept = kept.clone();
        App::new().route(
            "/v1/traces",
            web::post().to(move |body: web::Bytes| {
                let kept = kept.clone();
                async move {
                    let request = <ExportTraceServiceRequest as prost::Message>::decode(body)
                        .expect("an OTLP protobuf export request");
                    let mut kept = kept.lock().unwrap();
                    for resource in request.resource_spans {
                        for scope in resource.scope_spans {
                            kept.extend(scope.spans);
                        }
                    }
                    HttpResponse::Ok()
                        .content_type("application/x-protobuf")
                        .finish()
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let address = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    (address, spans)
}

fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a str> {
    use opentelemetry_proto::tonic::common::v1::any_value::Value as V;
    span.attributes
        .iter()
        .find(|a| a.key == key)
        .and_then(|a| a.value.as_ref())
        .and_then(|v| match &v.value {
            Some(V::StringValue(s)) => Some(s.as_str()),
            _ => None,
        })
}

#[tokio::test]
async fn request_lines_name_the_caller_metrics_count_without_naming_anyone_and_traces_reach_a_collector(
) {
    let (url, _guard) = database().await;
    let db = service::upgrade::open(&DbOptions::new(&url, 2), true)
        .await
        .unwrap();
    service::model::organization::create(&db.owner(OwnerWork::Organizations), "acme", "Acme")
        .await
        .unwrap();
    db.close().await.unwrap();
    let (collector, spans) = otlp_receiver().await;

    let metrics_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(SILOSCOPE);
    child
        .arg("serve")
        .env("SILOSCOPE_DATABASE_URL", &url)
        .env("SILOSCOPE_JWT_SECRET", SECRET)
        .env("SILOSCOPE_LISTEN", "127.0.0.1:0")
        .env("SILOSCOPE_LOG_FORMAT", "json")
        .env("SILOSCOPE_LOG", "info")
        .env("SILOSCOPE_OTLP_ENDPOINT", &collector)
        .env(
            "SILOSCOPE_METRICS_LISTEN",
            format!("127.0.0.1:{metrics_port}"),
        )
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut server = Running(child.spawn().unwrap());
    let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
    let stderr = server.0.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut seen = Vec::new();
    let port = loop {
        let line = lines
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server did not start: {seen:?}"));
        let parsed: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if parsed["fields"]["message"] == "serving /graphql" {
            break parsed["fields"]["port"].as_u64().unwrap();
        }
        seen.push(line);
    };
    let address = format!("http://127.0.0.1:{port}");
    let token = api::server::auth::TokenKeys::new(&api::server::config::JwtSettings::hs256(SECRET))
        .mint("dash-user", "acme", &[AccessRole::Viewer], 600)
        .unwrap();
    let trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
    let parent_id = "00f067aa0ba902b7";
    let client = reqwest::Client::new();
    let response = client
        .post(format!("{address}/graphql"))
        .bearer_auth(&token)
        .header("traceparent", format!("00-{trace_id}-{parent_id}-01"))
        .json(&json!({
            "query": "query Figures { siloReport { totals { handoffs } } }",
            "operationName": "Figures",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["data"]["siloReport"]["totals"]["handoffs"], 0,
        "{body}"
    );

    // The request's log line carries the organization, the caller and the operation.
    let deadline = Instant::now() + Duration::from_secs(30);
    let served = loop {
        let line = lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("a `request served` line");
        let parsed: Value = serde_json::from_str(&line).unwrap_or(Value::Null);
        if parsed["fields"]["message"] == "request served" && parsed["span"]["route"] == "/graphql"
        {
            break parsed;
        }
    };
    let span = &served["span"];
    assert_eq!(span["organization"], "acme", "{served}");
    assert_eq!(span["caller"], "dash-user", "{served}");
    assert_eq!(span["operation_name"], "Figures", "{served}");
    assert_eq!(span["operation_type"], "query", "{served}");

    // So do the metrics, on their own listener (the main one serves none without a
    // metrics token), without naming the caller.
    let closed = client
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(closed.status().as_u16(), 404);
    let metrics = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !metrics.contains("dash-user"),
        "a caller is named in {metrics}"
    );
    let counted = metrics.lines().find(|l| {
        l.starts_with("siloscope_graphql_operations_total{")
            && [
                "organization=\"acme\"",
                "credential=\"token\"",
                "operation_type=\"query\"",
                "operation_name=\"Figures\"",
            ]
            .iter()
            .all(|label| l.contains(label))
    });
    assert!(
        counted.is_some_and(|l| l.ends_with(" 1")),
        "no operation counted in {metrics}"
    );

    // The trace: the request's span is the caller's child, the report's resolver is
    // the request's, and statements are spans of the same trace.
    let trace = hex(trace_id);
    let deadline = Instant::now() + Duration::from_secs(30);
    let (request, resolver, statements) = loop {
        let found: Vec<Span> = spans
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.trace_id == trace)
            .cloned()
            .collect();
        let request = found.iter().find(|s| s.name == "POST /graphql").cloned();
        let resolver = found.iter().find(|s| s.name == "Query.siloReport").cloned();
        let statements: Vec<Span> = found
            .iter()
            .filter(|s| attribute(s, "db.query.text").is_some())
            .cloned()
            .collect();
        if let (Some(request), Some(resolver), false) = (&request, &resolver, statements.is_empty())
        {
            break (request.clone(), resolver.clone(), statements);
        }
        assert!(
            Instant::now() < deadline,
            "the trace did not arrive whole: {found:#?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(request.parent_span_id, hex(parent_id));
    assert_eq!(
        request.kind,
        opentelemetry_proto::tonic::trace::v1::span::SpanKind::Server as i32
    );
    assert_eq!(resolver.parent_span_id, request.span_id);
    assert!(statements
        .iter()
        .any(|s| attribute(s, "db.query.text").is_some_and(|q| q.contains("SELECT"))));
    drop(server);
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
        .collect()
}

/// A preflight from `origin` for a POST with a bearer token.
async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.client
        .request(reqwest::Method::OPTIONS, format!("{}/graphql", app.address))
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

fn header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn browsers_may_call_from_listed_origins_only_and_never_with_credentials() {
    let app = spawn_app_with(|s| s.cors_origins = vec!["https://dash.example.com".into()]).await;
    let allowed = preflight(&app, "https://dash.example.com").await;
    assert!(allowed.status().is_success(), "{}", allowed.status());
    assert_eq!(
        header(&allowed, "access-control-allow-origin"),
        Some("https://dash.example.com")
    );
    let headers = header(&allowed, "access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"));
    assert!(header(&allowed, "access-control-allow-methods")
        .unwrap()
        .contains("POST"));
    assert_eq!(header(&allowed, "access-control-allow-credentials"), None);

    let refused = preflight(&app, "https://evil.example.com").await;
    assert_eq!(header(&refused, "access-control-allow-origin"), None);
    assert!(!refused.status().is_success(), "{}", refused.status());

    let post = |origin: &'static str| {
        app.client
            .post(format!("{}/graphql", app.address))
            .header("Origin", origin)
            .bearer_auth(app.admin())
            .json(&json!({ "query": "{ viewer { subject } }" }))
            .send()
    };
    let answered = post("https://dash.example.com").await.unwrap();
    assert_eq!(answered.status(), 200);
    assert_eq!(
        header(&answered, "access-control-allow-origin"),
        Some("https://dash.example.com")
    );
    assert!(header(&answered, "access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase()
        .contains("x-request-id"));
    let refused = post("https://evil.example.com").await.unwrap();
    assert_eq!(header(&refused, "access-control-allow-origin"), None);

    // A page the server served itself (GraphiQL, the dashboard) is same-origin.
    let own = app.address.clone();
    let same = app
        .client
        .post(format!("{own}/graphql"))
        .header("Origin", own.as_str())
        .bearer_auth(app.admin())
        .json(&json!({ "query": "{ viewer { subject } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);

    // By default no origin is allowed.
    let closed = spawn_app().await;
    let response = preflight(&closed, "https://dash.example.com").await;
    assert_eq!(header(&response, "access-control-allow-origin"), None);

    // `*` allows any origin, and never with credentials.
    let open = spawn_app_with(|s| s.cors_origins = vec!["*".into()]).await;
    let response = preflight(&open, "https://anywhere.example.org").await;
    assert!(response.status().is_success());
    assert_eq!(header(&response, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&response, "access-control-allow-credentials"), None);
}

#[test]
fn cors_origins_are_checked_when_the_server_starts() {
    let settings = |value: &str| {
        api::server::config::Settings::from_vars(
            [("SILOSCOPE_CORS_ORIGINS".to_owned(), value.to_owned())]
                .into_iter()
                .collect(),
        )
    };
    assert_eq!(
        settings("https://a.example.com, http://localhost:3000")
            .unwrap()
            .cors_origins,
        vec!["https://a.example.com", "http://localhost:3000"]
    );
    for bad in [
        "https://a.example.com/",
        "https://a.example.com/path",
        "a.example.com",
        "*, https://a.example.com",
        "ftp://a.example.com",
    ] {
        let error = settings(bad).unwrap_err();
        assert_eq!(error.variable, "SILOSCOPE_CORS_ORIGINS", "{bad}");
    }
}

/// Runs the CLI against `app`'s database.
fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(SILOSCOPE)
        .args(args)
        .env("SILOSCOPE_DATABASE_URL", &app.database_url)
        .env_remove("SILOSCOPE_JWT_SECRET")
        .output()
        .unwrap()
}

#[tokio::test]
async fn only_registered_documents_run_for_roles_without_ad_hoc_documents() {
    let app = spawn_app_with(|s| {
        s.documents = api::server::config::DocumentPolicy {
            enforce: true,
            adhoc_roles: vec!["ADMIN".into()],
        }
    })
    .await;
    let text = "query Subject { viewer { subject roles } }\n";
    let dir = std::env::temp_dir().join(format!("siloscope_docs_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("subject.graphql");
    std::fs::write(&file, text).unwrap();
    let added = cli(&app, &["documents", "add", file.to_str().unwrap()]);
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let printed = String::from_utf8_lossy(&added.stdout).into_owned();
    let id = printed.split('\t').next().unwrap().to_owned();
    assert_eq!(id, service::access::document::id_of(text));
    let again = cli(&app, &["documents", "add", file.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already registered"));
    let listed = cli(&app, &["documents", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains(&id));

    let viewer = app.token("acme", &[AccessRole::Viewer]);
    let send = |body: Value, token: String| {
        let request = app
            .client
            .post(format!("{}/graphql", app.address))
            .header("Accept", "application/graphql-response+json")
            .bearer_auth(token)
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    // By id, as trusted documents and Apollo's persisted queries send it.
    let (status, body) = send(json!({ "documentId": id }), viewer.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["subject"], "tester");
    let hash = id.trim_start_matches("sha256:");
    let (status, body) = send(
        json!({ "extensions": { "persistedQuery": { "version": 1, "sha256Hash": hash } } }),
        viewer.clone(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // GET, by id.
    let response = app
        .client
        .get(format!("{}/graphql", app.address))
        .query(&[("documentId", id.as_str())])
        .bearer_auth(&viewer)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // The registered text itself runs too.
    let (status, _) = send(json!({ "query": text }), viewer.clone()).await;
    assert_eq!(status, 200);

    // Anything else is refused, with a code that says why.
    let (status, body) = send(json!({ "query": "{ viewer { subject } }" }), viewer.clone()).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "DOCUMENT_NOT_TRUSTED"
    );
    let unknown = service::access::document::id_of("{ functions { nodes { name } } }");
    let (status, body) = send(json!({ "documentId": unknown }), viewer.clone()).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "PERSISTED_QUERY_NOT_FOUND"
    );
    let (status, body) = send(
        json!({ "documentId": id, "query": "{ viewer { subject } }" }),
        viewer.clone(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _) = send(json!({ "documentId": "sha256:nothex" }), viewer.clone()).await;
    assert_eq!(status, 400);

    // The operator's chosen roles may still send any document.
    let (status, body) = send(json!({ "query": "{ viewer { subject } }" }), app.admin()).await;
    assert_eq!(status, 200, "{body}");

    // Removing a document stops it from running.
    let removed = cli(&app, &["documents", "remove", &id]);
    assert!(removed.status.success());
    let (status, _) = send(json!({ "documentId": id }), viewer).await;
    assert_eq!(status, 400);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn without_enforcement_any_document_runs_and_ids_still_resolve() {
    let app = spawn_app().await;
    let text = "{ viewer { subject } }";
    let db = app.service_db().await;
    let registered = service::access::document::register(
        &db.owner(OwnerWork::Authentication),
        text,
        Some("inline"),
    )
    .await
    .unwrap();
    assert!(registered.added);
    let viewer = app.token("acme", &[AccessRole::Viewer]);
    let (status, body) = app
        .post(Some(&viewer), "{ viewer { roles } }", json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let response = app
        .client
        .post(format!("{}/graphql", app.address))
        .bearer_auth(&viewer)
        .json(&json!({ "documentId": registered.document_id }))
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["data"]["viewer"]["subject"], "tester");
}

/// Records `batches` batches of 10 interactions and returns their externalIds; after
/// `first` batches, tells `committed` the externalIds recorded so far (their requests
/// have returned, so they are committed) and goes on.
async fn record_while(
    address: String,
    token: String,
    batches: usize,
    first: usize,
    committed: tokio::sync::oneshot::Sender<Vec<String>>,
) -> Vec<String> {
    let mut recorded = Vec::new();
    let mut tell = Some(committed);
    for batch in 0..batches {
        if batch == first {
            if let Some(tell) = tell.take() {
                let _ = tell.send(recorded.clone());
            }
        }
        let items: Vec<Value> = (0..10)
            .map(|i| {
                json!({
                    "externalId": format!("b{batch}-{i}"),
                    "caseRef": format!("case-{}", (batch * 10 + i) % 37),
                    "occurredAt": format!("2026-05-{:02}T{:02}:00:00Z", 1 + batch % 28, i),
                    "function": { "name": if i % 2 == 0 { "Sales" } else { "CX" } },
                })
            })
            .collect();
        let body: Value = reqwest::Client::new()
            .post(format!("{address}/graphql"))
            .bearer_auth(&token)
            .json(&json!({
                "query": "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { recorded } }",
                "variables": { "input": items },
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(body["data"]["recordInteractions"]["recorded"], 10, "{body}");
        recorded.extend((0..10).map(|i| format!("b{batch}-{i}")));
    }
    recorded
}

#[tokio::test]
async fn a_backup_taken_while_recording_restores_every_committed_interaction() {
    let app = spawn_app().await;
    app.create_function("Sales", false).await;
    app.create_function("CX", true).await;
    let dir = std::env::temp_dir().join(format!(
        "siloscope_backup_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let (told, committed) = tokio::sync::oneshot::channel();
    let recording = {
        let (address, token) = (app.address.clone(), app.admin());
        tokio::spawn(async move { record_while(address, token, 60, 10, told).await })
    };
    // Some batches have committed; back up while the rest are recorded.
    let committed_before = committed.await.unwrap();
    assert!(
        !committed_before.is_empty(),
        "no batch had committed before the backup"
    );
    let restored_url;
    let _restored_guard;
    match postgres_admin_url() {
        None => {
            let backup = dir.join("backup.db");
            let output = cli(&app, &["backup", "--out", backup.to_str().unwrap()]);
            assert!(
                output.status.success(),
                "{}",
                String::from_utf8_lossy(&output.stderr)
            );
            // A backup never overwrites.
            let again = cli(&app, &["backup", "--out", backup.to_str().unwrap()]);
            assert!(!again.status.success());
            let all = recording.await.unwrap();
            assert_eq!(all.len(), 600);
            let target = dir.join("restored.db");
            restored_url = format!("sqlite://{}?mode=rwc", target.display());
            let restore = Command::new(SILOSCOPE)
                .args(["restore", "--from", backup.to_str().unwrap()])
                .env("SILOSCOPE_DATABASE_URL", &restored_url)
                .output()
                .unwrap();
            assert!(
                restore.status.success(),
                "{}",
                String::from_utf8_lossy(&restore.stderr)
            );
            // An existing database is replaced only when asked.
            let twice = Command::new(SILOSCOPE)
                .args(["restore", "--from", backup.to_str().unwrap()])
                .env("SILOSCOPE_DATABASE_URL", &restored_url)
                .output()
                .unwrap();
            assert!(!twice.status.success());
            assert!(String::from_utf8_lossy(&twice.stderr).contains("--replace"));
            _restored_guard = None;
        }
        Some(_) => {
            // PostgreSQL: its own tools, as the README says; siloscope says so too.
            let output = cli(&app, &["backup", "--out", dir.join("x").to_str().unwrap()]);
            assert!(!output.status.success());
            assert!(String::from_utf8_lossy(&output.stderr).contains("pg_dump"));
            let dump = dir.join("siloscope.dump");
            let dumped = Command::new("pg_dump")
                .args(["--format=custom", "--file", dump.to_str().unwrap()])
                .arg(&app.database_url)
                .output()
                .unwrap();
            assert!(
                dumped.status.success(),
                "{}",
                String::from_utf8_lossy(&dumped.stderr)
            );
            let all = recording.await.unwrap();
            assert_eq!(all.len(), 600);
            let (url, guard) = database().await;
            let restored = Command::new("pg_restore")
                .args(["--no-owner", "--exit-on-error", "--dbname"])
                .arg(&url)
                .arg(&dump)
                .output()
                .unwrap();
            assert!(
                restored.status.success(),
                "{}",
                String::from_utf8_lossy(&restored.stderr)
            );
            restored_url = url;
            _restored_guard = Some(guard);
        }
    }
    // The restored database serves, and holds every interaction committed before the
    // backup began, with its derived steps.
    service::upgrade::open(&DbOptions::new(&restored_url, 1), true)
        .await
        .unwrap();
    let db = sea_orm::Database::connect(&restored_url).await.unwrap();
    let ids: Vec<String> = <entity::interaction::Entity as sea_orm::EntityTrait>::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|i| i.external_id)
        .collect();
    for id in &committed_before {
        assert!(ids.contains(id), "{id} was committed before the backup");
    }
    let steps = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM step",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(steps as usize, ids.len(), "every interaction has its step");
    db.close().await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
