//! API keys for connectors and the audit trail of every change.

use api::server::auth::AccessRole;
use sea_orm::{ConnectionTrait, Database, Statement};
use serde_json::{json, Value};

use crate::helpers::{item, spawn_app, TestApp};

const CREATE_KEY: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { apiKey { id name roles createdBy expiresAt revokedAt lastUsedAt } secret userErrors { code path message } } }";

async fn create_key(app: &TestApp, name: &str, roles: &[&str]) -> (String, String) {
    let data = app
        .gql(
            CREATE_KEY,
            json!({ "input": { "name": name, "roles": roles } }),
        )
        .await;
    let payload = &data["createApiKey"];
    assert_eq!(payload["userErrors"], json!([]), "{payload}");
    (
        payload["apiKey"]["id"].as_str().unwrap().to_owned(),
        payload["secret"].as_str().unwrap().to_owned(),
    )
}

/// Runs SQL against the test's database as its owner.
async fn sql(app: &TestApp, statement: &str) -> Vec<sea_orm::QueryResult> {
    let db = Database::connect(&app.database_url).await.unwrap();
    db.query_all_raw(Statement::from_string(db.get_database_backend(), statement))
        .await
        .unwrap()
}

async fn viewer_of(app: &TestApp, token: &str) -> (u16, Value) {
    app.post(
        Some(token),
        "{ viewer { subject roles organization { slug } } }",
        json!({}),
    )
    .await
}

#[tokio::test]
async fn api_keys_work_until_revoked_or_expired_and_their_secrets_are_never_stored() {
    let app = spawn_app().await;
    app.create_function("Sales", false).await;
    let (id, secret) = create_key(&app, "entra-provisioning", &["INTEGRATION"]).await;
    assert!(secret.starts_with("sk_"), "{secret}");

    // The key is a bearer token on /graphql, scoped to its organization and roles.
    let (status, body) = viewer_of(&app, &secret).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["viewer"]["subject"], "entra-provisioning");
    assert_eq!(body["data"]["viewer"]["roles"], json!(["INTEGRATION"]));
    assert_eq!(body["data"]["viewer"]["organization"]["slug"], "acme");
    let (_, body) = app
        .post(
            Some(&secret),
            "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { recorded userErrors { message } } }",
            json!({ "input": [item("k-1", "K-1", "2026-05-01T10:00:00Z", "Sales", None, None)] }),
        )
        .await;
    assert_eq!(body["data"]["recordInteractions"]["recorded"], 1, "{body}");
    // ... and on the import endpoint.
    let response = app
        .client
        .post(format!("{}/import/interactions?format=csv", app.address))
        .bearer_auth(&secret)
        .header("Content-Type", "text/csv")
        .body("external_id,case_ref,occurred_at,function\nk-2,K-2,2026-05-02T10:00:00Z,Sales\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    // An INTEGRATION key administers nothing.
    let (_, body) = app
        .post(
            Some(&secret),
            CREATE_KEY,
            json!({ "input": { "name": "x", "roles": ["ADMIN"] } }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{body}"
    );

    // A wrong secret, an unknown key and a revoked key are refused.
    let (public, _) = secret.trim_start_matches("sk_").split_once('_').unwrap();
    for bad in [format!("sk_{public}_wrong"), "sk_nope_nope".to_owned()] {
        let (status, body) = viewer_of(&app, &bad).await;
        assert_eq!(status, 401, "{body}");
        assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    }
    let keys = app
        .gql("{ apiKeys { name lastUsedAt revokedAt } }", json!({}))
        .await;
    assert!(keys["apiKeys"][0]["lastUsedAt"].is_string(), "{keys}");
    let revoked = app
        .gql(
            "mutation($id: ID!) { revokeApiKey(id: $id) { apiKey { revokedAt } userErrors { message } } }",
            json!({ "id": id }),
        )
        .await;
    assert!(revoked["revokeApiKey"]["apiKey"]["revokedAt"].is_string());
    let (status, body) = viewer_of(&app, &secret).await;
    assert_eq!(status, 401);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("revoked"),
        "{body}"
    );

    // An expired key is refused; one cannot be made expired.
    let (_, later) = create_key(&app, "nightly-export", &["VIEWER"]).await;
    assert_eq!(viewer_of(&app, &later).await.0, 200);
    sql(
        &app,
        "UPDATE api_key SET expires_at = 1 WHERE name = 'nightly-export'",
    )
    .await;
    let (status, body) = viewer_of(&app, &later).await;
    assert_eq!(status, 401);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
    let data = app
        .gql(
            CREATE_KEY,
            json!({ "input": { "name": "past", "roles": ["VIEWER"], "expiresAt": "2020-01-01T00:00:00Z" } }),
        )
        .await;
    assert_eq!(
        data["createApiKey"]["userErrors"][0]["path"],
        json!(["input", "expiresAt"])
    );
    let data = app
        .gql(
            CREATE_KEY,
            json!({ "input": { "name": "Entra-Provisioning", "roles": ["VIEWER"] } }),
        )
        .await;
    assert_eq!(data["createApiKey"]["userErrors"][0]["code"], "DUPLICATE");
    assert!(data["createApiKey"]["secret"].is_null());

    // The secrets are nowhere in the database: not in the keys, not in the audit trail.
    for secret in [&secret, &later] {
        let secret_part = secret.rsplit('_').next().unwrap();
        for table in ["api_key", "audit_event"] {
            let rows = sql(&app, &format!("SELECT * FROM {table}")).await;
            let text = format!("{rows:?}");
            assert!(!text.contains(secret_part), "{table} holds a secret");
        }
    }
}

#[tokio::test]
async fn every_kind_of_change_appends_one_event_and_a_failed_change_none() {
    let app = spawn_app().await;
    let admin = app.admin();
    let run = |query: &'static str, variables: Value| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let response = app
                .client
                .post(format!("{}/graphql", app.address))
                .bearer_auth(&admin)
                .header("X-Request-Id", "audit-test-1")
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap();
            let body: Value = response.json().await.unwrap();
            assert!(body.get("errors").is_none(), "{body}");
            body["data"].clone()
        }
    };
    let sales = app.create_function("Sales", false).await;
    let cx = app.create_function("CX", true).await;
    run("mutation($id: ID!) { updateFunction(id: $id, input: { name: \"Sales & Co\" }) { userErrors { message } } }", json!({ "id": sales })).await;
    let person = run("mutation($f: ID!) { createPerson(input: { name: \"Ana\", email: \"ana@example.com\", functionId: $f }) { person { id } } }", json!({ "f": sales })).await["createPerson"]["person"]["id"].clone();
    run("mutation($id: ID!) { updatePerson(id: $id, input: { title: \"Lead\" }) { userErrors { message } } }", json!({ "id": person })).await;
    let journey = run("mutation { createJourney(input: { name: \"Onboarding\", stages: [\"Sign up\"] }) { journey { id } } }", json!({})).await["createJourney"]["journey"]["id"].clone();
    run("mutation($j: ID!) { addStage(input: { journeyId: $j, name: \"First use\" }) { userErrors { message } } }", json!({ "j": journey })).await;
    let touchpoint = app.create_touchpoint("Welcome call").await;
    let responsibility = run("mutation($t: ID!, $f: ID!) { assignResponsibility(input: { touchpointId: $t, functionId: $f, role: RESPONSIBLE }) { responsibility { id } } }", json!({ "t": touchpoint, "f": sales })).await["assignResponsibility"]["responsibility"]["id"].clone();
    run("mutation($r: ID!, $p: ID!) { acknowledgeResponsibility(responsibilityId: $r, personId: $p) { userErrors { message } } }", json!({ "r": responsibility, "p": person })).await;
    run("mutation { updateSettings(input: { timeZone: \"Europe/Berlin\" }) { userErrors { message } } }", json!({})).await;
    run(
        "mutation($i: [InteractionInput!]!) { recordInteractions(input: $i) { recorded } }",
        json!({ "i": [item("a-1", "A-1", "2026-05-01T10:00:00Z", "Sales & Co", None, None)] }),
    )
    .await;
    run(
        "mutation { retractInteractions(externalIds: [\"a-1\"]) { retracted } }",
        json!({}),
    )
    .await;
    run(
        "mutation($id: ID!) { archiveFunction(id: $id) { userErrors { message } } }",
        json!({ "id": cx }),
    )
    .await;

    const EVENTS: &str = "query($f: AuditFilterInput, $after: String) { auditEvents(first: 100, filter: $f, after: $after) { edges { cursor node { action actor actorKind roles entityKind entityId before after requestId } } pageInfo { hasNextPage endCursor } } }";
    let events = app.gql(EVENTS, json!({})).await["auditEvents"]["edges"].clone();
    let actions: Vec<&str> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap())
        .collect();
    // Newest first, one event per change.
    assert_eq!(
        actions,
        vec![
            "function.archive",
            "interactions.retract",
            "interactions.record",
            "organization.settings",
            "acknowledgement.create",
            "responsibility.assign",
            "touchpoint.create",
            "stage.create",
            "journey.create",
            "person.update",
            "person.create",
            "membership.add",
            "function.update",
            "function.create",
            "function.create",
        ]
    );
    let update = &events[12]["node"];
    assert_eq!(update["actor"], "tester");
    assert_eq!(update["actorKind"], "token");
    assert_eq!(update["roles"], json!(["ADMIN"]));
    assert_eq!(update["entityId"], sales);
    assert_eq!(update["requestId"], "audit-test-1");
    let before: Value = serde_json::from_str(update["before"].as_str().unwrap()).unwrap();
    let after: Value = serde_json::from_str(update["after"].as_str().unwrap()).unwrap();
    assert_eq!(
        (before["name"].as_str(), after["name"].as_str()),
        (Some("Sales"), Some("Sales & Co"))
    );
    assert!(
        events[13]["node"]["before"].is_null(),
        "a creation has no before"
    );

    // A change that fails writes no event.
    let failed = app
        .gql(
            "mutation { createFunction(input: { name: \"SALES & CO\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        failed["createFunction"]["userErrors"][0]["code"],
        "DUPLICATE"
    );
    let again = app.gql(EVENTS, json!({})).await["auditEvents"]["edges"].clone();
    assert_eq!(
        again.as_array().unwrap().len(),
        events.as_array().unwrap().len()
    );

    // Changes made with an API key name the key; filters and paging work.
    let (_, secret) = create_key(&app, "hr-sync", &["INTEGRATION"]).await;
    let (_, body) = app
        .post(
            Some(&secret),
            "mutation { createFunction(input: { name: \"Legal\" }) { userErrors { message } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let by_key = app
        .gql(EVENTS, json!({ "f": { "actor": "hr-sync" } }))
        .await;
    let node = &by_key["auditEvents"]["edges"][0]["node"];
    assert_eq!(
        (node["action"].as_str(), node["actorKind"].as_str()),
        (Some("function.create"), Some("api_key"))
    );
    let page = app.gql("{ auditEvents(first: 2, filter: { action: \"function.create\" }) { edges { node { action } } pageInfo { hasNextPage endCursor } } }", json!({})).await;
    assert_eq!(page["auditEvents"]["pageInfo"]["hasNextPage"], true);
    let cursor = page["auditEvents"]["pageInfo"]["endCursor"].clone();
    let rest = app
        .gql(
            EVENTS,
            json!({ "f": { "action": "function.create" }, "after": cursor }),
        )
        .await;
    assert_eq!(rest["auditEvents"]["edges"].as_array().unwrap().len(), 1);
    let sales_events = app.gql(EVENTS, json!({ "f": { "entityId": sales } })).await;
    assert_eq!(
        sales_events["auditEvents"]["edges"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Only ADMIN reads the trail.
    let viewer = app.token("acme", &[AccessRole::Viewer]);
    let (_, body) = app
        .post(
            Some(&viewer),
            "{ auditEvents { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

/// On PostgreSQL the requests' role cannot change or remove an event, even by a query
/// that forgot its filters.
#[tokio::test]
async fn requests_cannot_rewrite_the_audit_trail() {
    let app = spawn_app().await;
    if !app.database_url.starts_with("postgres") {
        return;
    }
    app.create_function("Sales", false).await;
    for statement in [
        "UPDATE audit_event SET actor = 'someone else'",
        "DELETE FROM audit_event",
    ] {
        let db = Database::connect(&app.database_url).await.unwrap();
        let result = db
            .execute_unprepared(&format!(
                "SET ROLE siloscope_tenant; SET siloscope.organization_id = '1'; {statement}"
            ))
            .await;
        assert!(result.is_err(), "{statement} must be refused");
    }
    let rows = sql(&app, "SELECT actor FROM audit_event").await;
    assert_eq!(rows.len(), 1);
}
