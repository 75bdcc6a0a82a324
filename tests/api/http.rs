//! GraphQL over HTTP, request limits, malformed input, observability and, on
//! PostgreSQL, row-level security.

use std::time::Duration;

use api::server::auth::AccessRole;
use serde_json::{json, Value};

use crate::helpers::{item, spawn_app, spawn_app_with, TestApp};

const GQL_RESPONSE: &str = "application/graphql-response+json";

impl TestApp {
    fn url(&self) -> String {
        format!("{}/graphql", self.address)
    }

    /// Posts `body` as it is, with `content_type` and `accept`; returns status,
    /// content type and body text.
    async fn raw(
        &self,
        body: impl Into<reqwest::Body>,
        content_type: &str,
        accept: Option<&str>,
    ) -> (u16, String, String) {
        let mut request = self
            .client
            .post(self.url())
            .bearer_auth(self.admin())
            .header("content-type", content_type)
            .body(body);
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let media = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, media, response.text().await.unwrap())
    }

    async fn get(&self, params: &[(&str, &str)], accept: Option<&str>) -> (u16, Value) {
        let mut request = self
            .client
            .get(self.url())
            .query(params)
            .bearer_auth(self.admin());
        if let Some(accept) = accept {
            request = request.header("accept", accept);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("(none)")
}

fn code_of(text: &str) -> String {
    code(&serde_json::from_str(text).unwrap_or(Value::Null)).to_owned()
}

#[tokio::test]
async fn get_serves_queries_and_refuses_mutations() {
    let app = spawn_app().await;
    let (status, body) = app.get(&[("query", "{ viewer { subject } }")], None).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["subject"], "tester");

    let (status, body) = app
        .get(
            &[(
                "query",
                "mutation { createFunction(input: {name: \"X\", isCxTeam: false}) { userErrors { code } } }",
            )],
            None,
        )
        .await;
    assert_eq!((status, code(&body)), (405, "METHOD_NOT_ALLOWED"));

    let response = app
        .client
        .put(app.url())
        .bearer_auth(app.admin())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "POST");

    // A browser asking for the page gets GraphiQL, without a token.
    let page = app
        .client
        .get(app.url())
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 200);
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(policy.contains("script-src 'self'"), "{policy}");
    let html = page.text().await.unwrap();
    assert!(html.contains("graphiql"));
    // Every script and stylesheet comes from the binary, none from elsewhere.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    for file in [
        "graphiql.min.js",
        "graphiql.min.css",
        "react.production.min.js",
        "react-dom.production.min.js",
        "start.js",
        "THIRD-PARTY-LICENSES.txt",
    ] {
        assert!(
            file.ends_with(".txt") || html.contains(&format!("/graphiql/{file}")),
            "{file}"
        );
        let asset = app
            .client
            .get(format!("{}/graphiql/{file}", app.address))
            .send()
            .await
            .unwrap();
        assert_eq!(asset.status().as_u16(), 200, "{file}");
        let body = asset.text().await.unwrap();
        assert!(body.len() > 100, "{file}");
    }
    let missing = app
        .client
        .get(format!("{}/graphiql/nope.js", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status().as_u16(), 404);
    // Nothing else is answered without one.
    let anonymous = app
        .client
        .get(app.url())
        .query(&[("query", "{ __schema { types { name } } }")])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status().as_u16(), 401);
}

#[tokio::test]
async fn posts_must_be_json_and_responses_follow_accept() {
    let app = spawn_app().await;
    let query = r#"{"query":"{ viewer { subject } }"}"#;
    for content_type in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/graphql",
    ] {
        let (status, _, body) = app.raw(query, content_type, None).await;
        assert_eq!(status, 415, "{content_type}");
        assert_eq!(code_of(&body), "UNSUPPORTED_MEDIA_TYPE");
    }
    let (status, media, _) = app
        .raw(query, "application/json; charset=utf-8", None)
        .await;
    assert_eq!(status, 200);
    assert!(media.starts_with("application/json"));

    let (status, media, _) = app.raw(query, "application/json", Some(GQL_RESPONSE)).await;
    assert_eq!(status, 200);
    assert!(media.starts_with(GQL_RESPONSE));

    // A request error: 400 with the GraphQL response type, 200 with plain JSON.
    let broken = r#"{"query":"{ viewer { "}"#;
    let (status, _, body) = app
        .raw(broken, "application/json", Some(GQL_RESPONSE))
        .await;
    assert_eq!(
        (status, code_of(&body).as_str()),
        (400, "GRAPHQL_PARSE_FAILED")
    );
    let (status, _, _) = app
        .raw(broken, "application/json", Some("application/json"))
        .await;
    assert_eq!(status, 200);
    let unknown = r#"{"query":"{ nothingHere }"}"#;
    let (status, _, body) = app
        .raw(unknown, "application/json", Some(GQL_RESPONSE))
        .await;
    assert_eq!(
        (status, code_of(&body).as_str()),
        (400, "GRAPHQL_VALIDATION_FAILED")
    );

    let (status, _, _) = app.raw(query, "application/json", Some("text/xml")).await;
    assert_eq!(status, 406);

    let (status, _, body) = app
        .raw(format!("[{query},{query}]"), "application/json", None)
        .await;
    assert_eq!(
        (status, code_of(&body).as_str()),
        (400, "BATCH_NOT_SUPPORTED")
    );
}

#[tokio::test]
async fn every_limit_is_enforced_with_its_code() {
    let app = spawn_app_with(|settings| {
        settings.limits.max_body_bytes = 4096;
        settings.limits.max_recording_body_bytes = 1 << 20;
        settings.limits.max_aliases = 3;
        settings.limits.max_directives = 3;
        settings.limits.max_tokens = 200;
        settings.limits.max_depth = 5;
        settings.limits.max_complexity = 500;
    })
    .await;
    let token = app.admin();
    let post = |query: String| {
        let app = &app;
        let token = token.clone();
        async move { app.post(Some(&token), &query, json!({})).await }
    };
    let (status, body) = post(format!("{{ viewer {{ subject }} }}{}", " ".repeat(5000))).await;
    assert_eq!((status, code(&body)), (413, "REQUEST_TOO_LARGE"));

    let (_, body) = post("{ a: viewer { subject } b: viewer { subject } c: viewer { subject } d: viewer { subject } }".into()).await;
    assert_eq!(code(&body), "TOO_MANY_ALIASES");

    let (_, body) = post("{ viewer @skip(if: false) @include(if: true) { subject @skip(if: false) @include(if: true) } }".into()).await;
    assert_eq!(code(&body), "TOO_MANY_DIRECTIVES");

    let (_, body) = post(format!("{{ viewer {{ {} }} }}", "subject ".repeat(150))).await;
    assert_eq!(code(&body), "TOO_MANY_TOKENS");

    let (_, body) =
        post("{ functions { nodes { parent { parent { parent { parent { name } } } } } } }".into())
            .await;
    assert_eq!(code(&body), "QUERY_TOO_DEEP");
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("more than 5 levels deep"), "{message}");

    // Cost grows with `first`: the same selection passes with a small page only.
    let list = |first: u32| {
        format!("{{ functions(first: {first}) {{ nodes {{ name isCxTeam externalId archived responsibilities {{ role }} }} }} }}")
    };
    let (_, body) = post(list(5)).await;
    assert!(body.get("errors").is_none(), "{body}");
    let (_, body) = post(list(100)).await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX");

    let (_, body) = post("{ functions(first: 101) { nodes { name } } }".into()).await;
    assert_eq!(code(&body), "BAD_USER_INPUT");

    // A recording request may be larger than the query limit; its batch is bounded.
    app.create_function("Sales", false).await;
    let items: Vec<Value> = (0..60)
        .map(|i| {
            item(
                &format!("e{i}"),
                &format!("C{i}"),
                "2026-01-01T10:00:00Z",
                "Sales",
                None,
                Some("a note that makes the body longer"),
            )
        })
        .collect();
    let payload = app.record(json!(items)).await;
    assert_eq!(payload["recorded"], 60);
    let too_many: Vec<Value> = (0..10_001)
        .map(|i| json!({ "caseRef": format!("C{i}"), "occurredAt": "2026-01-01T10:00:00Z", "function": { "name": "Sales" }, "note": "n".repeat(100) }))
        .collect();
    let big = app
        .client
        .post(app.url())
        .bearer_auth(&token)
        .json(&json!({ "query": "mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { recorded } }", "variables": { "i": too_many } }))
        .send()
        .await
        .unwrap();
    assert_eq!(big.status().as_u16(), 413, "over the recording body limit");
    let body: Value = big.json().await.unwrap();
    assert_eq!(code(&body), "REQUEST_TOO_LARGE");
}

#[tokio::test]
async fn the_request_timeout_abandons_the_request_and_keeps_nothing() {
    let app = spawn_app_with(|settings| {
        settings.limits.request_timeout = Duration::from_millis(300);
    })
    .await;
    app.create_function("Sales", false).await;
    // Another writer holds the organization's write lock (SQLite's BEGIN IMMEDIATE,
    // PostgreSQL's row lock), so the recording below cannot finish in time.
    use sea_orm::ConnectionTrait;
    let db = app.service_db().await;
    let blocker = db
        .tenant(app.organization_id("acme").await)
        .begin_write()
        .await
        .unwrap();
    blocker
        .execute_unprepared("UPDATE organization SET updated_at = updated_at WHERE slug = 'acme'")
        .await
        .unwrap();
    let items: Vec<Value> = (0..3000)
        .map(|i| json!({ "caseRef": format!("C{i}"), "occurredAt": "2026-01-01T10:00:00Z", "function": { "name": "Sales" } }))
        .collect();
    let record =
        "mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { recorded } }";
    let (status, body) = app
        .post(Some(&app.admin()), record, json!({ "i": items }))
        .await;
    assert_eq!((status, code(&body)), (503, "TIMEOUT"), "{body}");
    blocker.rollback().await.unwrap();
    let (_, body) = app
        .post(
            Some(&app.admin()),
            "{ siloReport { totals { interactions } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["siloReport"]["totals"]["interactions"], 0);
}

#[tokio::test]
async fn malformed_input_is_refused_cleanly() {
    let app = spawn_app().await;
    app.create_function("Sales", false).await;
    let token = app.admin();

    // Invalid UTF-8 and deeply nested JSON bodies.
    let (status, _, body) = app
        .raw(&b"{\"query\":\"\xff\xfe\"}"[..], "application/json", None)
        .await;
    assert_eq!((status, code_of(&body).as_str()), (400, "BAD_REQUEST"));
    let deep = format!(
        r#"{{"query":"{{ viewer {{ subject }} }}","variables":{{"x":{}{}}}}}"#,
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let (status, _, _) = app.raw(deep, "application/json", None).await;
    assert_eq!(status, 400);

    let create = "mutation($input: CreateFunctionInput!) { createFunction(input: $input) { function { id } userErrors { code path } } }";
    // NUL characters are refused wherever they are; a long name is a user error.
    let (status, body) = app
        .post(
            Some(&token),
            create,
            json!({ "input": { "name": "a\u{0}b", "isCxTeam": false } }),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT"), "{body}");
    let (status, body) = app
        .post(
            Some(&token),
            "mutation { createFunction(input: {name: \"a\\u0000b\", isCxTeam: false}) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!((status, code(&body)), (400, "BAD_USER_INPUT"), "{body}");
    let (status, body) = app
        .post(
            Some(&token),
            create,
            json!({ "input": { "name": "x".repeat(100_000), "isCxTeam": false } }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["createFunction"]["userErrors"][0]["path"],
        json!(["input", "name"]),
        "{body}"
    );
    // Huge numbers, unknown enum values, negative or huge `first`.
    for (query, expected) in [
        ("{ functions(first: 99999999999) { nodes { name } } }", "GRAPHQL_VALIDATION_FAILED"),
        ("{ functions(first: -1) { nodes { name } } }", "BAD_USER_INPUT"),
        ("{ functions(first: 0) { nodes { name } } }", "BAD_USER_INPUT"),
        ("mutation { createTouchpoint(input: {name: \"T\", channel: TELEPATHY}) { userErrors { code } } }", "GRAPHQL_VALIDATION_FAILED"),
    ] {
        let (_, body) = app.post(Some(&token), query, json!({})).await;
        assert_eq!(code(&body), expected, "{query}: {body}");
    }
    // Timestamps out of range, and a 1 MB note, are refused item by item.
    let record = "mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { recorded userErrors { code path } } }";
    for (at, note) in [
        ("99999-01-01T00:00:00Z", None),
        ("-5000-01-01T00:00:00Z", None),
        ("2026-13-45T99:00:00Z", None),
        ("2026-01-01T00:00:00Z", Some("n".repeat(1_000_000))),
    ] {
        let (_, body) = app
            .post(
                Some(&token),
                record,
                json!({ "i": [{ "caseRef": "C1", "occurredAt": at, "function": { "name": "Sales" }, "note": note }] }),
            )
            .await;
        let refused = body["errors"].is_array()
            || body["data"]["recordInteractions"]["userErrors"]
                .as_array()
                .is_some_and(|e| !e.is_empty());
        assert!(refused, "{at}: {body}");
    }
    let data = app
        .gql("{ siloReport { totals { interactions } } }", json!({}))
        .await;
    assert_eq!(data["siloReport"]["totals"]["interactions"], 0);
}

#[tokio::test]
async fn requests_carry_an_id_and_are_counted_in_metrics() {
    let app = spawn_app_with(|settings| {
        settings.metrics_token = Some(secrecy::SecretString::from("metrics-token".to_owned()));
    })
    .await;
    let response = app
        .client
        .post(app.url())
        .bearer_auth(app.admin())
        .header("x-request-id", "trace-me-42")
        .json(&json!({ "query": "{ viewer { subject } }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-me-42");
    let generated = app
        .client
        .get(format!("{}/livez", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(generated.headers()["x-request-id"].len(), 32);

    app.create_function("Sales", false).await;
    app.record(json!([item(
        "m1",
        "C1",
        "2026-01-01T10:00:00Z",
        "Sales",
        None,
        None
    )]))
    .await;
    app.post(Some(&app.admin()), "{ nothingHere }", json!({}))
        .await;

    let metrics = format!("{}/metrics", app.address);
    let refused = app.client.get(&metrics).send().await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let text = app
        .client
        .get(&metrics)
        .bearer_auth("metrics-token")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        "siloscope_http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}",
        "siloscope_http_request_duration_seconds_bucket",
        "siloscope_graphql_errors_total{code=\"GRAPHQL_VALIDATION_FAILED\"} 1",
        "siloscope_interactions_recorded_total 1",
        "siloscope_db_pool_connections{state=\"open\"}",
    ] {
        assert!(text.contains(expected), "{expected} missing from\n{text}");
    }
}

/// PostgreSQL only: through a tenant handle even an unfiltered query sees only the
/// organization's rows and cannot write another's, and a connection no handle scoped
/// sees no organization's rows at all.
#[tokio::test]
async fn row_level_security_hides_other_organizations() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("postgres") {
        return;
    }
    app.create_function("Ours", false).await;
    let other = app.token("other", &[AccessRole::Admin]);
    let (_, body) = app
        .post(
            Some(&other),
            "mutation { createFunction(input: {name: \"Theirs\", isCxTeam: false}) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["createFunction"]["userErrors"], json!([]));

    use sea_orm::{ConnectionTrait, Statement};
    let db = app.service_db().await;
    let backend = db.backend();
    let (acme, other_id) = (
        app.organization_id("acme").await,
        app.organization_id("other").await,
    );
    let select = || Statement::from_string(backend, "SELECT name FROM function ORDER BY name");
    let names = |rows: Vec<sea_orm::QueryResult>| {
        rows.iter()
            .map(|r| r.try_get_by_index::<String>(0).unwrap())
            .collect::<Vec<_>>()
    };
    // Through each organization's handle, an unfiltered read sees its own rows only.
    let ours = db.tenant(acme);
    assert_eq!(
        names(ours.query_all_raw(select()).await.unwrap()),
        vec!["Ours"]
    );
    let theirs = db.tenant(other_id);
    assert_eq!(
        names(theirs.query_all_raw(select()).await.unwrap()),
        vec!["Theirs"]
    );
    // A write through acme's handle cannot touch or plant another's rows.
    let txn = ours.begin_write().await.unwrap();
    let changed = txn
        .execute_unprepared(&format!(
            "UPDATE function SET name = 'Stolen' WHERE organization_id = {other_id}"
        ))
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(changed, 0);
    let planted = txn
        .execute_unprepared(&format!(
            "INSERT INTO function (organization_id, name, name_key, is_cx_team, archived, created_at, updated_at) \
             VALUES ({other_id}, 'Planted', 'planted', false, false, 0, 0)"
        ))
        .await;
    assert!(
        planted.is_err(),
        "a row for another organization was written"
    );
    drop(txn);
    // Scopes fail closed: the same request path (the function list every door reads)
    // run on a pool connection no handle scoped sees nothing.
    let request = service::storage::scoped::PageRequest {
        first: 100,
        after: None,
        with_total: false,
    };
    let all = service::model::function::FunctionFilter::default();
    let unscoped = service::model::function::list(db.pool_without_scope(), acme, &all, request)
        .await
        .unwrap();
    assert!(
        unscoped.items.is_empty(),
        "a scope-less read saw {} rows",
        unscoped.items.len()
    );
    // The owner, asked for by name, sees both.
    let owner = db.owner(service::storage::db::OwnerWork::Statistics);
    assert_eq!(owner.query_all_raw(select()).await.unwrap().len(), 2);
    // Through a tenant handle the request path sees its own.
    let scoped = service::model::function::list(&ours, acme, &all, request)
        .await
        .unwrap();
    assert_eq!(scoped.items.len(), 1);
}

/// Reports and networks cost by the periods they compute: a dashboard's eleven
/// monthly reports pass, fourteen reports and fourteen networks in one request are
/// refused before anything runs.
#[tokio::test]
async fn reports_cost_what_they_compute() {
    let app = spawn_app().await;
    let token = app.token("acme", &[AccessRole::Viewer]);
    let month = |m: u32| {
        format!(
            "m{m}: siloReport(window: {{ from: \"2026-{m:02}-01T00:00:00Z\", to: \"2026-{:02}-01T00:00:00Z\" }}) {{ totals {{ handoffs siloHandoffs }} }}",
            m + 1
        )
    };
    let months: Vec<String> = (1..=11).map(month).collect();
    let (status, body) = app
        .post(
            Some(&token),
            &format!("{{ {} }}", months.join(" ")),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(body.get("errors").is_none(), "{body}");

    let mut heavy: Vec<String> = (1..=11).map(month).collect();
    heavy.extend((1..=3).map(|i| format!("w{i}: siloReport {{ totals {{ handoffs }} }}")));
    heavy.extend((1..=14).map(|i| format!("n{i}: handoffNetwork {{ edges {{ count }} }}")));
    let (_, body) = app
        .post(
            Some(&token),
            &format!("{{ {} }}", heavy.join(" ")),
            json!({}),
        )
        .await;
    assert_eq!(code(&body), "QUERY_TOO_COMPLEX", "{body}");
    assert!(body.get("data").is_none(), "nothing ran: {body}");
}
