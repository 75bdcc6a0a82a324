//! Personal data's lifetime: retention, erasing a person, redacting notes.

use api::server::auth::AccessRole;
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{json, Value};

use crate::fixture::{interactions, load_org, REPORT};
use crate::helpers::{spawn_app, TestApp};

/// Interactions that occurred before this are past the period in the retention test.
const CUTOFF: &str = "2026-06-01T00:00:00Z";

async fn record_all(app: &TestApp, items: &[Value]) {
    for chunk in items.chunks(100) {
        let payload = app.record(json!(chunk)).await;
        assert_eq!(payload["userErrors"], json!([]), "{payload}");
    }
}

fn micros(text: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_micros()
}

#[tokio::test]
async fn retention_deletes_exactly_the_interactions_past_the_period_and_reports_equal_a_log_that_never_had_them(
) {
    let all = interactions();
    let kept: Vec<Value> = all
        .iter()
        .filter(|i| micros(i["occurredAt"].as_str().unwrap()) >= micros(CUTOFF))
        .cloned()
        .collect();
    assert!(kept.len() > 50 && kept.len() < all.len() - 50);
    let (full, never) = (spawn_app().await, spawn_app().await);
    load_org(&full).await;
    load_org(&never).await;
    record_all(&full, &all).await;
    record_all(&never, &kept).await;

    // ADMIN only, and checked.
    let editor = full.token("acme", &[AccessRole::Editor]);
    let (_, body) = full
        .post(
            Some(&editor),
            "mutation { setRetention(days: 100) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let data = full
        .gql(
            "mutation { setRetention(days: 0) { userErrors { code path } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["setRetention"]["userErrors"][0]["code"], "INVALID");
    let data = full
        .gql(
            "mutation { setRetention(days: 100) { organization { retentionDays completeFrom } userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["setRetention"]["organization"]["retentionDays"], 100);
    assert_eq!(
        data["setRetention"]["organization"]["completeFrom"],
        Value::Null
    );

    // A pass as of 100 days after the cutoff.
    let db = full.service_db().await;
    let org = full.organization_id("acme").await;
    let now = micros(CUTOFF) + 100 * 86_400 * 1_000_000;
    let deleted = service::log::retention::apply_all(&db, now).await.unwrap();
    assert_eq!(deleted as usize, all.len() - kept.len());
    let again = service::access::audit::as_actor(
        service::access::audit::Actor::system("retention"),
        service::log::retention::apply(&db.tenant(org), org, now),
    )
    .await
    .unwrap();
    assert_eq!(again.deleted, 0, "a second pass finds nothing");
    assert_eq!(again.complete_from, Some(micros(CUTOFF)));

    // Every report equals the one of a log that never had the older interactions.
    assert_eq!(
        full.gql(REPORT, json!({})).await,
        never.gql(REPORT, json!({})).await
    );
    let ids = |db: DatabaseConnection| async move {
        let mut ids: Vec<String> = <entity::interaction::Entity as sea_orm::EntityTrait>::find()
            .all(&db)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|i| i.external_id)
            .collect();
        ids.sort();
        ids
    };
    let mut want: Vec<String> = kept
        .iter()
        .map(|i| i["externalId"].as_str().unwrap().to_owned())
        .collect();
    want.sort();
    assert_eq!(ids(full.raw_db().await).await, want);

    // Reports say from when they are complete.
    let data = full
        .gql(
            r#"{ viewer { organization { completeFrom } }
                 all: siloReport { completeFrom }
                 later: siloReport(window: { from: "2026-07-01T00:00:00Z" }) { completeFrom } }"#,
            json!({}),
        )
        .await;
    let complete_from = data["viewer"]["organization"]["completeFrom"]
        .as_str()
        .unwrap();
    assert_eq!(micros(complete_from), micros(CUTOFF));
    assert_eq!(data["all"]["completeFrom"], json!(complete_from));
    assert_eq!(data["later"]["completeFrom"], Value::Null);

    // Audited, as the system.
    let data = full
        .gql(
            "{ auditEvents(first: 50) { edges { node { action actor actorKind } } } }",
            json!({}),
        )
        .await;
    let events: Vec<&Value> = data["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .collect();
    assert!(events
        .iter()
        .any(|e| e["action"] == "interactions.retention" && e["actorKind"] == "system"));
    assert!(events
        .iter()
        .any(|e| e["action"] == "organization.retention"));
}

/// Every table's rows, as text, that contain `needle` (case-insensitively).
async fn traces_of(db: &DatabaseConnection, needle: &str) -> Vec<String> {
    let backend = db.get_database_backend();
    let postgres = backend == sea_orm::DatabaseBackend::Postgres;
    let columns_sql = if postgres {
        "SELECT table_name AS t, column_name AS c FROM information_schema.columns WHERE table_schema = 'public'"
    } else {
        "SELECT m.name AS t, p.name AS c FROM sqlite_master m, pragma_table_info(m.name) p WHERE m.type = 'table'"
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, columns_sql))
        .await
        .unwrap();
    let mut tables: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for row in rows {
        let table: String = row.try_get("", "t").unwrap();
        let column: String = row.try_get("", "c").unwrap();
        tables.entry(table).or_default().push(column);
    }
    assert!(tables.contains_key("person") && tables.contains_key("audit_event"));
    let needle = needle.to_lowercase().replace('\'', "''");
    let mut found = Vec::new();
    for (table, columns) in tables {
        let test: Vec<String> = columns
            .iter()
            .map(|c| format!("LOWER(CAST(\"{c}\" AS TEXT)) LIKE '%{needle}%'"))
            .collect();
        let sql = format!(
            "SELECT COUNT(*) AS n FROM \"{table}\" WHERE {}",
            test.join(" OR ")
        );
        let n: i64 = db
            .query_one_raw(Statement::from_string(backend, sql))
            .await
            .unwrap()
            .unwrap()
            .try_get("", "n")
            .unwrap();
        if n > 0 {
            found.push(format!("{table} ({n} rows)"));
        }
    }
    found
}

#[tokio::test]
async fn erasing_a_person_leaves_no_trace_of_their_name_or_email_and_keeps_every_count() {
    let app = spawn_app().await;
    app.create_function("Sales", false).await;
    app.create_function("CX", true).await;
    // A person provisioned over SCIM, then changed, so the audit trail holds them.
    let data = app
        .gql(
            "mutation { createApiKey(input: { name: \"entra\", roles: [INTEGRATION] }) { secret } }",
            json!({}),
        )
        .await;
    let key = data["createApiKey"]["secret"].as_str().unwrap().to_owned();
    let scim = |method: reqwest::Method, path: String, body: Value| {
        app.client
            .request(method, format!("{}/scim/v2{path}", app.address))
            .bearer_auth(&key)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
    };
    let created: Value = scim(
        reqwest::Method::POST,
        "/Users".into(),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "externalId": "hr-7731-zq",
            "userName": "zelda.quartermaine@example.com",
            "displayName": "Zelda Quartermaine",
            "name": { "givenName": "Zelda", "familyName": "Quartermaine" },
            "emails": [{ "primary": true, "type": "work", "value": "Zelda.Quartermaine@example.com" }],
            "title": "Retention specialist",
            "active": true,
        }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let scim_id = created["id"].as_str().unwrap().to_owned();
    // A colleague with the same title, whose data erasure must leave alone.
    let colleague = app
        .gql(
            "mutation { createPerson(input: { name: \"Ann Other\", email: \"ann.other@example.com\", title: \"Team lead\" }) { person { id } userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(colleague["createPerson"]["userErrors"], json!([]));
    let response = scim(
        reqwest::Method::PATCH,
        format!("/Users/{scim_id}"),
        json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{ "op": "replace", "path": "title", "value": "Team lead" }],
        }),
    )
    .await
    .unwrap();
    assert!(response.status().is_success());
    let people = app
        .gql(
            "{ people(first: 10) { nodes { id name email } } }",
            json!({}),
        )
        .await;
    let person = people["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Zelda Quartermaine")
        .unwrap()
        .clone();
    let person_id = person["id"].as_str().unwrap().to_owned();
    // They handled cases, and a colleague's note names them; they made a change
    // under their own name (a token whose `sub` is their email).
    let items: Vec<Value> = (0..6)
        .map(|i| {
            json!({
                "externalId": format!("e-{i}"),
                "caseRef": format!("c-{}", i / 3),
                "occurredAt": format!("2026-03-0{}T10:00:00Z", i + 1),
                "function": { "name": if i % 2 == 0 { "Sales" } else { "CX" } },
                "personId": if i % 2 == 0 { json!(person_id) } else { Value::Null },
                "note": if i == 1 { json!("passed on by Zelda Quartermaine, that's what CX is there for") } else { Value::Null },
            })
        })
        .collect();
    let payload = app.record(json!(items)).await;
    assert_eq!(payload["recorded"], 6, "{payload}");
    let own = app.keys_mint("zelda.quartermaine@example.com", AccessRole::Editor);
    let (_, body) = app
        .post(
            Some(&own),
            "mutation { createFunction(input: { name: \"Billing\" }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["data"]["createFunction"]["userErrors"], json!([]));
    let report =
        "{ siloReport { totals { interactions handoffs siloHandoffs deferralLanguage } } }";
    let before = app.gql(report, json!({})).await;

    let db = app.raw_db().await;
    let needles = [
        "Zelda Quartermaine",
        "zelda.quartermaine@example.com",
        "Quartermaine",
        "hr-7731-zq",
    ];
    for needle in needles {
        assert!(
            !traces_of(&db, needle).await.is_empty(),
            "the scan must see {needle} before the erasure"
        );
    }

    // ADMIN only.
    let (_, body) = app
        .post(
            Some(&app.token("acme", &[AccessRole::Editor])),
            "mutation($id: ID!) { erasePerson(id: $id) { userErrors { code } } }",
            json!({ "id": person_id }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let data = app
        .gql(
            "mutation($id: ID!) { erasePerson(id: $id) { person { name email externalId erasedAt } userErrors { code } } }",
            json!({ "id": person_id }),
        )
        .await;
    let erased = &data["erasePerson"]["person"];
    assert_eq!(data["erasePerson"]["userErrors"], json!([]));
    assert!(erased["name"]
        .as_str()
        .unwrap()
        .starts_with("Erased person"));
    assert_eq!(erased["externalId"], Value::Null);
    assert!(erased["erasedAt"].is_string());
    // The directory no longer sees them, and they cannot be changed.
    let gone = scim(reqwest::Method::GET, format!("/Users/{scim_id}"), json!({}))
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);
    let data = app
        .gql(
            "mutation($id: ID!) { updatePerson(id: $id, input: { name: \"Zelda Quartermaine\" }) { userErrors { code } } }",
            json!({ "id": person_id }),
        )
        .await;
    assert_eq!(data["updatePerson"]["userErrors"][0]["code"], "INVALID");

    for needle in needles.into_iter().chain(["Retention specialist"]) {
        assert_eq!(
            traces_of(&db, needle).await,
            Vec::<String>::new(),
            "{needle} is still stored"
        );
    }
    // Nobody else's data changed: the colleague keeps name, email and title, and
    // the rest of the note that quoted the person is as it was.
    for kept in ["ann.other@example.com", "Team lead", "what CX is there for"] {
        assert!(
            !traces_of(&db, kept).await.is_empty(),
            "{kept} was rewritten too"
        );
    }
    let people = app
        .gql("{ people(first: 10) { nodes { name title } } }", json!({}))
        .await;
    assert!(people["people"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Ann Other" && p["title"] == "Team lead"));
    // Counts stay, and the person's interactions are still theirs.
    assert_eq!(app.gql(report, json!({})).await, before);
    let data = app
        .gql(
            "{ auditEvents(first: 100) { edges { node { action entityId } } } }",
            json!({}),
        )
        .await;
    assert!(data["auditEvents"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["node"]["action"] == "person.erase"));
    // Erasing again changes nothing; an unknown person is a user error.
    let data = app
        .gql(
            "mutation($id: ID!) { erasePerson(id: $id) { person { name } userErrors { code } } }",
            json!({ "id": person_id }),
        )
        .await;
    assert_eq!(data["erasePerson"]["person"]["name"], erased["name"]);
}

#[tokio::test]
async fn redacting_blanks_the_matching_notes_and_keeps_their_flags() {
    let app = spawn_app().await;
    app.create_function("Sales", false).await;
    app.create_function("CX", true).await;
    let items: Vec<Value> = (0..4)
        .map(|i| {
            json!({
                "externalId": format!("r-{i}"),
                "caseRef": "case-r",
                "occurredAt": format!("2026-04-0{}T09:00:00Z", i + 1),
                "function": { "name": if i % 2 == 0 { "Sales" } else { "CX" } },
                "note": format!("Call 555-0{i}: not my department, ask the CX team"),
            })
        })
        .collect();
    app.record(json!(items)).await;
    let report = "{ siloReport { totals { deferralLanguage siloHandoffs } } }";
    let before = app.gql(report, json!({})).await;
    assert!(before["siloReport"]["totals"]["deferralLanguage"].as_i64() > Some(0));

    let (_, body) = app
        .post(
            Some(&app.token("acme", &[AccessRole::Editor])),
            "mutation { redactInteractions(filter: { caseRefs: [\"case-r\"] }) { redacted } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let data = app
        .gql(
            "mutation { redactInteractions(filter: {}) { redacted userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["redactInteractions"]["userErrors"][0]["code"],
        "REQUIRED"
    );
    let data = app
        .gql(
            "mutation($t: String) { redactInteractions(filter: { noteContains: $t }) { redacted userErrors { code } } }",
            json!({ "t": "x".repeat(1_001) }),
        )
        .await;
    assert_eq!(
        data["redactInteractions"]["userErrors"][0]["code"],
        "INVALID"
    );
    let data = app
        .gql(
            "mutation { redactInteractions(filter: { caseRefs: [\"case-r\"], noteContains: \"555-01\" }) { redacted userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["redactInteractions"]["redacted"], 1);
    let data = app
        .gql(
            "mutation { redactInteractions(filter: { occurredBefore: \"2026-04-03T00:00:00Z\" }) { redacted } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["redactInteractions"]["redacted"], 1,
        "one note is left before then"
    );

    let db = app.raw_db().await;
    let rows = <entity::interaction::Entity as sea_orm::EntityTrait>::find()
        .all(&db)
        .await
        .unwrap();
    for row in &rows {
        let blank = matches!(row.external_id.as_deref(), Some("r-0") | Some("r-1"));
        assert_eq!(row.note.is_none(), blank, "{row:?}");
        assert_eq!(row.note_redacted, blank, "{row:?}");
    }
    assert!(traces_of(&db, "555-00").await.is_empty());
    assert!(traces_of(&db, "555-01").await.is_empty());
    // The flags the notes earned stay, also when the phrase lists change.
    assert_eq!(app.gql(report, json!({})).await, before);
    let data = app
        .gql(
            "mutation { updateSettings(input: { deferralPhrases: [\"cx team\", \"ask the\"] }) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["updateSettings"]["userErrors"], json!([]));
    assert_eq!(app.gql(report, json!({})).await, before);
}
