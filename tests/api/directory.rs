//! `syncDirectory`: an HR export of functions and people, by HR ids.

use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const SYNC: &str = "mutation($input: SyncDirectoryInput!) { syncDirectory(input: $input) { dryRun functions { created updated archived unchanged } people { created updated archived unchanged } userErrors { code path message } } }";

async fn sync(app: &TestApp, input: Value) -> Value {
    app.gql(SYNC, json!({ "input": input })).await["syncDirectory"].clone()
}

fn export() -> Value {
    json!({
        "functions": [
            { "externalId": "F-CX", "name": "Customer Experience", "isCxTeam": true },
            { "externalId": "F-OPS", "name": "Operations" },
            { "externalId": "F-BIL", "name": "Billing", "parentExternalId": "F-OPS" },
        ],
        "people": [
            { "externalId": "P-1", "name": "Ana", "email": "ana@acme.test", "functionExternalId": "F-BIL", "title": "Clerk" },
            { "externalId": "P-2", "name": "Ben", "email": "ben@acme.test", "functionExternalId": "F-CX" },
        ]
    })
}

fn counts(payload: &Value, kind: &str) -> [i64; 4] {
    let c = &payload[kind];
    ["created", "updated", "archived", "unchanged"].map(|k| c[k].as_i64().unwrap())
}

async fn function_by_hr_id(app: &TestApp, external_id: &str) -> Value {
    app.gql(
        "query($e: String) { function(externalId: $e) { name archived isCxTeam parent { name } } }",
        json!({ "e": external_id }),
    )
    .await["function"]
        .clone()
}

#[tokio::test]
async fn merge_mirror_dry_run_and_repeat() {
    let app = spawn_app().await;
    // A function made by hand before the first sync is adopted by name.
    app.create_function("Operations", false).await;

    let mut dry = export();
    dry["mode"] = json!("MERGE");
    dry["dryRun"] = json!(true);
    let plan = sync(&app, dry).await;
    assert_eq!(plan["userErrors"], json!([]), "{plan}");
    assert_eq!(plan["dryRun"], true);
    assert_eq!(counts(&plan, "functions"), [2, 1, 0, 0]);
    assert_eq!(counts(&plan, "people"), [2, 0, 0, 0]);
    assert!(
        function_by_hr_id(&app, "F-CX").await.is_null(),
        "a dry run writes nothing"
    );

    let mut merge = export();
    merge["mode"] = json!("MERGE");
    let done = sync(&app, merge.clone()).await;
    assert_eq!(counts(&done, "functions"), [2, 1, 0, 0], "{done}");
    assert_eq!(counts(&done, "people"), [2, 0, 0, 0]);
    let billing = function_by_hr_id(&app, "F-BIL").await;
    assert_eq!(billing["parent"]["name"], "Operations");
    assert_eq!(function_by_hr_id(&app, "F-CX").await["isCxTeam"], true);
    let ana = app
        .gql(
            "{ person(externalId: \"P-1\") { name title function { name } } }",
            json!({}),
        )
        .await;
    assert_eq!(ana["person"]["function"]["name"], "Billing");
    let listed = app
        .gql("{ people(filter: { externalId: \"P-2\" }) { nodes { name } } functions(filter: { externalId: \"F-OPS\" }) { nodes { name } } }", json!({}))
        .await;
    assert_eq!(listed["people"]["nodes"][0]["name"], "Ben");
    assert_eq!(listed["functions"]["nodes"][0]["name"], "Operations");

    // The same export again changes nothing.
    let again = sync(&app, merge.clone()).await;
    assert_eq!(counts(&again, "functions"), [0, 0, 0, 3], "{again}");
    assert_eq!(counts(&again, "people"), [0, 0, 0, 2]);

    // MIRROR: Ben and Customer Experience are gone from the export; Ana moved.
    let mirror = json!({
        "mode": "MIRROR",
        "functions": [
            { "externalId": "F-OPS", "name": "Operations" },
            { "externalId": "F-BIL", "name": "Billing & Payments", "parentExternalId": "F-OPS" },
        ],
        "people": [
            { "externalId": "P-1", "name": "Ana", "email": "ana@acme.test", "functionExternalId": "F-OPS", "title": "Clerk" },
        ]
    });
    let mirrored = sync(&app, mirror).await;
    assert_eq!(counts(&mirrored, "functions"), [0, 1, 1, 1], "{mirrored}");
    assert_eq!(counts(&mirrored, "people"), [0, 1, 1, 0]);
    assert_eq!(function_by_hr_id(&app, "F-CX").await["archived"], true);
    let ben = app
        .gql("{ person(externalId: \"P-2\") { archived } }", json!({}))
        .await;
    assert_eq!(ben["person"]["archived"], true);
    // ... and merging the first export restores them.
    let restored = sync(&app, merge).await;
    assert_eq!(counts(&restored, "functions")[1], 2, "{restored}");
    assert_eq!(function_by_hr_id(&app, "F-CX").await["archived"], false);

    // One audit event per change, and one for the sync.
    let events = app
        .gql("{ auditEvents(first: 100, filter: { action: \"directory.sync\" }) { edges { node { after } } } }", json!({}))
        .await;
    assert_eq!(
        events["auditEvents"]["edges"].as_array().unwrap().len(),
        4,
        "dry runs leave no event"
    );
}

#[tokio::test]
async fn cycles_unknown_functions_and_duplicates_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    for (input, path) in [
        (
            json!({ "mode": "MERGE", "functions": [
                { "externalId": "A", "name": "A", "parentExternalId": "B" },
                { "externalId": "B", "name": "B", "parentExternalId": "A" },
            ] }),
            json!(["functions", "0", "parentExternalId"]),
        ),
        (
            json!({ "mode": "MERGE", "functions": [{ "externalId": "A", "name": "A" }],
                    "people": [{ "externalId": "P", "name": "P", "email": "p@x.test", "functionExternalId": "NOPE" }] }),
            json!(["people", "0", "functionExternalId"]),
        ),
        (
            json!({ "mode": "MERGE", "functions": [
                { "externalId": "A", "name": "A" }, { "externalId": "A", "name": "B" },
            ] }),
            json!(["functions", "1", "externalId"]),
        ),
        (
            json!({ "mode": "MERGE", "functions": [{ "externalId": "A", "name": "A", "parentExternalId": "MISSING" }] }),
            json!(["functions", "0", "parentExternalId"]),
        ),
        (
            json!({ "mode": "MERGE", "people": [{ "externalId": "P", "name": "P", "email": "not an email" }] }),
            json!(["people", "0", "email"]),
        ),
    ] {
        let refused = sync(&app, input).await;
        assert!(refused["functions"].is_null(), "{refused}");
        let paths: Vec<&Value> = refused["userErrors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["path"])
            .collect();
        assert!(paths.contains(&&path), "{path} in {refused}");
        let nothing = app
            .gql(
                "{ functions { totalCount } people { totalCount } }",
                json!({}),
            )
            .await;
        assert_eq!(nothing["functions"]["totalCount"], 0, "nothing written");
        assert_eq!(nothing["people"]["totalCount"], 0, "nothing written");
    }
    let (_, body) = app
        .post(
            Some(&app.token("acme", &[api::server::auth::AccessRole::Viewer])),
            SYNC,
            json!({ "input": { "mode": "MERGE" } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    let (_, body) = app
        .post(
            Some(&app.admin()),
            "{ function(id: \"x\", externalId: \"y\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// A MIRROR sync archives only what the sync manages: people and groups an identity
/// provider provisioned over SCIM (they carry external ids too) are left alone, and a
/// dry run names what it would archive. An email held by someone else names who.
#[tokio::test]
async fn mirror_leaves_what_scim_provisioned_and_names_what_it_would_archive() {
    let app = spawn_app().await;
    let (_, key) = app
        .post(
            Some(&app.admin()),
            "mutation { createApiKey(input: { name: \"idp\", roles: [INTEGRATION] }) { secret } }",
            json!({}),
        )
        .await;
    let key = key["data"]["createApiKey"]["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let scim = |path: &str, body: Value| {
        app.client
            .post(format!("{}/scim/v2{path}", app.address))
            .bearer_auth(&key)
            .header("Content-Type", "application/scim+json")
            .body(body.to_string())
            .send()
    };
    let created = scim("/Users", json!({ "userName": "zoe@acme.test", "externalId": "entra-zoe", "displayName": "Zoe", "emails": [{ "value": "zoe@acme.test" }], "active": true }))
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    let created = scim(
        "/Groups",
        json!({ "displayName": "Field Sales", "externalId": "entra-fs" }),
    )
    .await
    .unwrap();
    assert_eq!(created.status().as_u16(), 201);

    let mut mirror = export();
    mirror["mode"] = json!("MIRROR");
    assert_eq!(sync(&app, mirror.clone()).await["userErrors"], json!([]));
    // The payload drops Ben and Billing: a dry run names them, and only them.
    mirror["people"].as_array_mut().unwrap().remove(1);
    mirror["functions"].as_array_mut().unwrap().remove(2);
    mirror["people"][0]["functionExternalId"] = json!("F-OPS");
    mirror["dryRun"] = json!(true);
    let named = app
        .gql(
            "mutation($input: SyncDirectoryInput!) { syncDirectory(input: $input) { functions { archived archivedNames } people { archived archivedNames updatedNames } userErrors { message } } }",
            json!({ "input": mirror }),
        )
        .await["syncDirectory"]
        .clone();
    assert_eq!(named["userErrors"], json!([]), "{named}");
    assert_eq!(
        named["functions"]["archivedNames"],
        json!(["Billing"]),
        "{named}"
    );
    assert_eq!(named["people"]["archivedNames"], json!(["Ben"]), "{named}");
    assert_eq!(named["people"]["updatedNames"], json!(["Ana"]), "{named}");
    mirror["dryRun"] = json!(false);
    let done = sync(&app, mirror).await;
    assert_eq!(
        (counts(&done, "functions")[2], counts(&done, "people")[2]),
        (1, 1),
        "{done}"
    );
    let zoe = app
        .gql(
            "{ people(first: 5, filter: { externalId: \"entra-zoe\" }) { nodes { archived } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        zoe["people"]["nodes"][0]["archived"], false,
        "SCIM's people stay"
    );
    assert_eq!(
        function_by_hr_id(&app, "entra-fs").await["archived"],
        false,
        "SCIM's groups stay"
    );

    // Someone else already has the email: the error says whose it is.
    let mut clash = export();
    clash["mode"] = json!("MERGE");
    clash["people"][1]["email"] = json!("ana@acme.test");
    clash["people"][0]["email"] = json!("ana2@acme.test");
    clash["people"][0]["externalId"] = json!("P-9");
    let refused = sync(&app, clash).await;
    let message = refused["userErrors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("P-1"), "{refused}");
}
