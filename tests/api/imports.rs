//! Real exports in one command: logs that create their own chart, local timestamps,
//! identity without external ids, and the Zendesk, Jira and ServiceNow presets, over
//! HTTP and the command line, with figures computed by hand from the fixtures.

use serde_json::{json, Value};

use crate::cli::{siloscope, stderr, stdout};
use crate::fixture::{interactions, load_org};
use crate::helpers::{spawn_app, TestApp};

const FIXTURE_CSV: &str = include_str!("../data/small/interactions.csv");
const PRESETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/presets");

/// POSTs `body` (with `content_type`) to /import/interactions as admin.
async fn import(app: &TestApp, query: &str, content_type: &str, body: Vec<u8>) -> (u16, Value) {
    let response = app
        .client
        .post(format!("{}/import/interactions?{query}", app.address))
        .bearer_auth(app.admin())
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

/// A multipart/form-data body of named parts, in order.
fn multipart(parts: &[(&str, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = "siloscope-test-boundary-7d2f";
    let mut body = Vec::new();
    for (name, bytes) in parts {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn preset_file(path: &str) -> Vec<u8> {
    std::fs::read(format!("{PRESETS}/{path}")).unwrap()
}

/// The network's edges as `from → to: count`, sorted, and the interactions counted.
async fn network(app: &TestApp) -> (Vec<String>, i64) {
    let data = app
        .gql(
            "{ handoffNetwork { edges { from { name } to { name } count } } siloReport { totals { interactions } } }",
            json!({}),
        )
        .await;
    let mut edges: Vec<String> = data["handoffNetwork"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} → {}: {}",
                e["from"]["name"].as_str().unwrap(),
                e["to"]["name"].as_str().unwrap(),
                e["count"]
            )
        })
        .collect();
    edges.sort();
    let total = data["siloReport"]["totals"]["interactions"]
        .as_i64()
        .unwrap();
    (edges, total)
}

async fn names(app: &TestApp, list: &str) -> Vec<String> {
    let data = app
        .gql(
            &format!("{{ {list}(first: 100) {{ edges {{ node {{ name }} }} }} }}"),
            json!({}),
        )
        .await;
    let mut names: Vec<String> = data[list]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

/// The fixture's log, loaded into an organization that has no chart, creates the
/// chart it names; its network is the one the loaded chart gives. So does its XES.
#[tokio::test]
async fn a_log_brings_its_own_chart_into_an_empty_organization() {
    let charted = spawn_app().await;
    load_org(&charted).await;
    charted.record(json!(interactions())).await;
    let expected = network(&charted).await;
    let xes = {
        let response = charted
            .client
            .get(format!(
                "{}/export/interactions?format=xes",
                charted.address
            ))
            .bearer_auth(charted.admin())
            .send()
            .await
            .unwrap();
        response.bytes().await.unwrap().to_vec()
    };

    let empty = spawn_app().await;
    // Strict by default: every row names a function that does not exist.
    let (status, refused) = import(&empty, "format=csv", "text/csv", FIXTURE_CSV.into()).await;
    assert_eq!(status, 422, "{refused}");
    // A dry run lists what it would create and writes nothing.
    let (status, dry) = import(
        &empty,
        "format=csv&dry_run=true&createMissing=true",
        "text/csv",
        FIXTURE_CSV.into(),
    )
    .await;
    assert_eq!(status, 200, "{dry}");
    let functions = dry["created"]["functions"].as_array().unwrap().len();
    assert_eq!(functions, 8, "{dry}");
    assert!(
        names(&empty, "functions").await.is_empty(),
        "a dry run creates nothing"
    );
    let (status, done) = import(
        &empty,
        "format=csv&create_missing=true",
        "text/csv",
        FIXTURE_CSV.into(),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(done["recorded"], 423);
    assert_eq!(done["created"]["functions"].as_array().unwrap().len(), 8);
    assert_eq!(network(&empty).await, expected);
    assert_eq!(
        names(&empty, "functions").await,
        names(&charted, "functions").await
    );
    // Created functions are not CX teams until someone says so: no SILO flag yet.
    let silo = empty
        .gql("{ siloReport { totals { siloHandoffs } } }", json!({}))
        .await;
    assert_eq!(silo["siloReport"]["totals"]["siloHandoffs"], 0);

    let from_xes = spawn_app().await;
    let (status, done) = import(
        &from_xes,
        "format=xes&createMissing=true",
        "application/xml",
        xes.clone(),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    assert_eq!(network(&from_xes).await, expected);
    let (_, again) = import(
        &from_xes,
        "format=xes&createMissing=true",
        "application/xml",
        xes,
    )
    .await;
    assert_eq!(
        (again["recorded"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(423))
    );
    assert_eq!(again["created"]["functions"], json!([]));
}

/// Rows without an externalId are recognised by their content: a file imported
/// twice records nothing the second time, as does a batch sent twice; they can be
/// retracted by their key or by case and instant.
#[tokio::test]
async fn rows_without_external_ids_are_recorded_once() {
    let app = spawn_app().await;
    load_org(&app).await;
    // The fixture without its externalId column.
    let without: String = FIXTURE_CSV
        .lines()
        .map(|line| line.split_once(',').unwrap().1)
        .collect::<Vec<_>>()
        .join("\n");
    let (status, first) = import(&app, "format=csv", "text/csv", without.clone().into()).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["recorded"], 423);
    let (_, second) = import(&app, "format=csv", "text/csv", without.into()).await;
    assert_eq!(
        (second["recorded"].as_i64(), second["duplicates"].as_i64()),
        (Some(0), Some(423))
    );
    crate::fixture::assert_matches_expected(&app).await;

    // The same through GraphQL: an item without externalId sent twice.
    let item = json!({
        "caseRef": "NEW-1", "occurredAt": "2026-06-01T10:00:00+02:00",
        "function": { "name": "Sales" }, "note": "first contact",
    });
    let once = app.record(json!([item.clone(), item.clone()])).await;
    assert_eq!(
        (once["recorded"].as_i64(), once["duplicates"].as_i64()),
        (Some(1), Some(1))
    );
    let twice = app.record(json!([item])).await;
    assert_eq!(
        (twice["recorded"].as_i64(), twice["duplicates"].as_i64()),
        (Some(0), Some(1))
    );
    let case = app
        .gql(
            "{ case(caseRef: \"NEW-1\") { interactions { externalId contentKey } } }",
            json!({}),
        )
        .await;
    let key = case["case"]["interactions"][0]["contentKey"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(key.starts_with("ck1:") && key.len() == 36, "{key}");
    assert_eq!(case["case"]["interactions"][0]["externalId"], Value::Null);
    let retract = "mutation($keys: [String!]!, $at: [OccurrenceInput!]!) { retractInteractions(contentKeys: $keys, occurrences: $at) { retracted notFound userErrors { code path } } }";
    let data = app
        .gql(retract, json!({ "keys": [key], "at": [{ "caseRef": "NEW-1", "occurredAt": "2026-06-01T08:00:00Z" }] }))
        .await;
    assert_eq!(data["retractInteractions"]["retracted"], 1);
    assert_eq!(data["retractInteractions"]["notFound"], json!([]));
    let data = app
        .gql(
            retract,
            json!({ "keys": [key], "at": [{ "caseRef": "NEW-1", "occurredAt": "yesterday" }] }),
        )
        .await;
    assert_eq!(
        data["retractInteractions"]["userErrors"],
        json!([{ "code": "INVALID", "path": ["occurrences", "0", "occurredAt"] }])
    );
}

/// Local times are refused without a zone, with a message naming both options;
/// with one (or the organization's) they are the instants they name there.
#[tokio::test]
async fn local_timestamps_need_their_zone() {
    let app = spawn_app().await;
    load_org(&app).await;
    let csv =
        "case_ref,occurred_at,function\nL-1,01/03/2026 14:02,Sales\nL-1,01/03/2026 15:30,Billing\n";
    let (status, refused) = import(&app, "format=csv", "text/csv", csv.into()).await;
    assert_eq!(status, 422, "{refused}");
    let reason = refused["rejections"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("time_format"), "{reason}");
    let iso = "case_ref,occurred_at,function\nL-2,2026-03-01 14:02,Sales\n";
    let (_, refused) = import(&app, "format=csv", "text/csv", iso.into()).await;
    let reason = refused["rejections"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("time_zone") && reason.contains("time_format"),
        "{reason}"
    );
    let (status, done) = import(
        &app,
        "format=csv&time_zone=Europe/Berlin&timeFormat=%25d/%25m/%25Y%20%25H:%25M",
        "text/csv",
        csv.into(),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    let case = app
        .gql(
            "{ case(caseRef: \"L-1\") { interactions { occurredAt } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        case["case"]["interactions"],
        json!([{ "occurredAt": "2026-03-01T13:02:00+00:00" }, { "occurredAt": "2026-03-01T14:30:00+00:00" }])
    );
    // `org`: the organization's zone.
    app.gql(
        "mutation { updateSettings(input: { timeZone: \"America/New_York\" }) { userErrors { message } } }",
        json!({}),
    )
    .await;
    let (status, done) = import(&app, "format=csv&time_zone=org", "text/csv", iso.into()).await;
    assert_eq!(status, 200, "{done}");
    let case = app
        .gql(
            "{ case(caseRef: \"L-2\") { interactions { occurredAt } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        case["case"]["interactions"][0]["occurredAt"],
        "2026-03-01T19:02:00+00:00"
    );
    let (status, bad) = import(
        &app,
        "format=csv&time_zone=Mars/Olympus",
        "text/csv",
        iso.into(),
    )
    .await;
    assert_eq!(status, 400, "{bad}");
}

/// Zendesk's ticket events, with its groups export as a multipart part: each group
/// taking a ticket and each comment is an interaction (hand-counted below).
#[tokio::test]
async fn a_zendesk_export_loads_in_one_request() {
    let app = spawn_app().await;
    let (content_type, body) = multipart(&[
        ("groups", preset_file("zendesk/groups.json")),
        ("file", preset_file("zendesk/ticket_events.json")),
    ]);
    let (status, done) = import(
        &app,
        "format=zendesk-events&createMissing=true",
        &content_type,
        body.clone(),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    // 5101: Tier 1 group and comment, Billing group and comment, Billing comment;
    // 5102: Tier 1 group and comment, Escalations group, Escalations comment;
    // 5103: Billing group and comment, Tier 1 group; 5104: Tier 1 group and comment.
    assert_eq!(done["recorded"], 14, "{done}");
    let mut touchpoints: Vec<String> =
        serde_json::from_value(done["created"]["touchpoints"].clone()).unwrap();
    touchpoints.sort();
    assert_eq!(touchpoints, ["Chat", "Email", "Voice", "Web"]);
    let (edges, total) = network(&app).await;
    assert_eq!(total, 14);
    assert_eq!(
        edges,
        [
            "Billing → Tier 1 Support: 1",
            "Tier 1 Support → Billing: 1",
            "Tier 1 Support → Escalations: 1",
        ]
    );
    let (_, again) = import(&app, "format=zendesk-events", &content_type, body).await;
    assert_eq!(
        (again["recorded"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(14))
    );
    // Without names for the groups each row says how to give them.
    let other = spawn_app().await;
    let (status, refused) = import(
        &other,
        "format=zendesk-events&createMissing=true",
        "application/json",
        preset_file("zendesk/ticket_events.json"),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    let reason = refused["rejections"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("map_group=360001=NAME"), "{reason}");
}

/// Jira's changelog from the command line: each change of the Team field is an
/// interaction by the new team.
#[tokio::test]
async fn a_jira_changelog_loads_in_one_command() {
    let app = spawn_app().await;
    let vars = [("SILOSCOPE_DATABASE_URL", app.database_url.as_str())];
    let file = format!("{PRESETS}/jira/changelog.json");
    let args = [
        "import",
        "interactions",
        file.as_str(),
        "--org",
        "acme",
        "--format",
        "jira-changelog",
        "--create-missing",
    ];
    let output = siloscope(&args, &vars);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("recorded 6,"),
        "{}",
        stdout(&output)
    );
    assert!(
        stdout(&output).contains("created 3 function(s)"),
        "{}",
        stdout(&output)
    );
    let (edges, total) = network(&app).await;
    assert_eq!(total, 6);
    assert_eq!(
        edges,
        [
            "Billing Squad → Tier 1 Support: 1",
            "Tier 1 Support → Billing Squad: 1",
            "Tier 1 Support → Escalations: 1",
        ]
    );
    let output = siloscope(&args, &vars);
    assert!(
        stdout(&output).contains("recorded 0, duplicates 6"),
        "{}",
        stdout(&output)
    );
}

/// ServiceNow's sys_audit with the groups and incident exports: numbers as cases,
/// contact types as touchpoints, work notes and comments as interactions.
#[tokio::test]
async fn a_servicenow_audit_loads_with_its_groups_and_incidents() {
    let app = spawn_app().await;
    let (content_type, body) = multipart(&[
        ("groups", preset_file("servicenow/sys_user_group.csv")),
        ("incidents", preset_file("servicenow/incident.csv")),
        ("file", preset_file("servicenow/sys_audit.csv")),
    ]);
    let (status, done) = import(
        &app,
        "format=servicenow-audit&create_missing=true",
        &content_type,
        body.clone(),
    )
    .await;
    assert_eq!(status, 200, "{done}");
    // INC1: Service Desk, Network, work note; INC2: Service Desk, Hardware, comment;
    // INC3: Service Desk, Application Support, Database; INC4: Service Desk;
    // INC5: Service Desk, Hardware; INC6: Service Desk.
    assert_eq!(done["recorded"], 13, "{done}");
    let (edges, _) = network(&app).await;
    assert_eq!(
        edges,
        [
            "Application Support → Database: 1",
            "Service Desk → Application Support: 1",
            "Service Desk → Hardware: 2",
            "Service Desk → Network: 1",
        ]
    );
    let case = app
        .gql("{ case(caseRef: \"INC0010001\") { interactions { function { name } touchpoint { name channel } note } } }", json!({}))
        .await;
    assert_eq!(
        case["case"]["interactions"][2]["note"],
        "Caller on VPN client 5.2, escalating to Network"
    );
    assert_eq!(
        case["case"]["interactions"][0]["touchpoint"],
        json!({ "name": "Phone", "channel": "PHONE" })
    );
    let (_, again) = import(&app, "format=servicenow-audit", &content_type, body).await;
    assert_eq!(
        (again["recorded"].as_i64(), again["duplicates"].as_i64()),
        (Some(0), Some(13))
    );
}
