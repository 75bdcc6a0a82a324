//! The backbone: the fixture in `tests/data/small` loaded through the public API
//! gives every expected figure.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/small");

pub fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURE}/{name}"))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Loads org.json through the API.
pub async fn load_org(app: &TestApp) {
    let org: Value = serde_json::from_str(&read("org.json")).unwrap();
    let mut functions = std::collections::HashMap::new();
    for f in org["functions"].as_array().unwrap() {
        let data = app
            .gql(
                "mutation($input: CreateFunctionInput!) { createFunction(input: $input) { function { id } userErrors { message } } }",
                json!({ "input": { "name": f["name"], "isCxTeam": f["isCxTeam"], "externalId": f["externalId"] } }),
            )
            .await;
        functions.insert(
            f["name"].as_str().unwrap().to_owned(),
            data["createFunction"]["function"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let mut touchpoints = std::collections::HashMap::new();
    for t in org["touchpoints"].as_array().unwrap() {
        let data = app
            .gql(
                "mutation($input: CreateTouchpointInput!) { createTouchpoint(input: $input) { touchpoint { id } } }",
                json!({ "input": {
                    "name": t["name"],
                    "channel": t["channel"],
                    "experience": t.get("experience").cloned().unwrap_or(json!([])),
                    "promptWithin": t.get("promptWithin").cloned().unwrap_or(Value::Null),
                } }),
            )
            .await;
        touchpoints.insert(
            t["name"].as_str().unwrap().to_owned(),
            data["createTouchpoint"]["touchpoint"]["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    for r in org["responsibilities"].as_array().unwrap() {
        app.assign(
            &touchpoints[r["touchpoint"].as_str().unwrap()],
            &functions[r["function"].as_str().unwrap()],
            r["role"].as_str().unwrap(),
        )
        .await;
    }
}

/// The fixture's interactions as API inputs, in file order (which is shuffled).
pub fn interactions() -> Vec<Value> {
    let text = read("interactions.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let optional = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
            json!({
                "externalId": &r[0],
                "caseRef": &r[1],
                "occurredAt": &r[2],
                "function": { "name": &r[3] },
                "touchpoint": if r[4].is_empty() { Value::Null } else { json!({ "name": &r[4] }) },
                "note": optional(&r[5]),
                "customerActionRequired": &r[6] == "true",
            })
        })
        .collect()
}

pub const REPORT: &str = r#"{
  siloReport {
    totals { cases interactions handoffs siloHandoffs deferralsToCx ownedDeferrals pingPongs customerBurden deferralLanguage casesEndingAtCx singlePointOfContactRate meanFunctionsPerCase }
    byFunction { function { name } handoffsOut handoffsIn deferralsToCx siloHandoffs ownedDeferrals pingPongs customerBurden deferralLanguage casesTouched deferralRate }
    byTouchpoint { touchpoint { name } handoffs deferralsToCx siloHandoffs ownedDeferrals pingPongs customerBurden deferralLanguage }
  }
  handoffNetwork {
    edges { from { name } to { name } count flags { siloHandoffs deferralsToCx ownedDeferrals pingPongs customerBurden deferralLanguage } }
    handoverOfWork { from { name } to { name } weight }
  }
  ownershipFindings { kind touchpoint { name } }
}"#;

fn assert_close(what: &str, got: &Value, want: &Value) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{what}: got {g}, want {w}"),
        _ => assert_eq!(got, want, "{what}"),
    }
}

fn assert_fields(what: &str, got: &Value, want: &Value) {
    for (key, expected) in want.as_object().unwrap() {
        assert_close(&format!("{what}.{key}"), &got[key], expected);
    }
}

/// Compares the API's report with expected.json, figure by figure.
pub async fn assert_matches_expected(app: &TestApp) {
    let expected: Value = serde_json::from_str(&read("expected.json")).unwrap();
    let data = app.gql(REPORT, json!({})).await;
    let report = &data["siloReport"];
    assert_fields("totals", &report["totals"], &expected["totals"]);
    // The same figures from the steps (a window not on midnights) as from the rollups.
    let raw = app
        .gql(
            "{ siloReport(window: { from: \"2000-01-01T00:00:00.5Z\" }) { totals { cases interactions handoffs siloHandoffs deferralsToCx ownedDeferrals pingPongs customerBurden deferralLanguage casesEndingAtCx singlePointOfContactRate meanFunctionsPerCase } } }",
            json!({}),
        )
        .await;
    assert_fields(
        "totals from steps",
        &raw["siloReport"]["totals"],
        &expected["totals"],
    );

    let by_function = report["byFunction"].as_array().unwrap();
    assert_eq!(
        by_function.len(),
        expected["byFunction"].as_object().unwrap().len()
    );
    for row in by_function {
        let name = row["function"]["name"].as_str().unwrap();
        assert_fields(
            &format!("byFunction[{name}]"),
            row,
            &expected["byFunction"][name],
        );
    }
    let by_touchpoint = report["byTouchpoint"].as_array().unwrap();
    assert_eq!(
        by_touchpoint.len(),
        expected["byTouchpoint"].as_object().unwrap().len()
    );
    for row in by_touchpoint {
        let name = row["touchpoint"]["name"].as_str().unwrap_or("(none)");
        assert_fields(
            &format!("byTouchpoint[{name}]"),
            row,
            &expected["byTouchpoint"][name],
        );
    }

    let network = &data["handoffNetwork"];
    let edges = network["edges"].as_array().unwrap();
    assert_eq!(edges.len(), expected["edges"].as_object().unwrap().len());
    for edge in edges {
        let key = format!(
            "{}->{}",
            edge["from"]["name"].as_str().unwrap(),
            edge["to"]["name"].as_str().unwrap()
        );
        let want = &expected["edges"][&key];
        assert_close(
            &format!("edges[{key}].count"),
            &edge["count"],
            &want["count"],
        );
        for flag in [
            "siloHandoffs",
            "deferralsToCx",
            "ownedDeferrals",
            "pingPongs",
            "customerBurden",
            "deferralLanguage",
        ] {
            assert_close(
                &format!("edges[{key}].{flag}"),
                &edge["flags"][flag],
                &want[flag],
            );
        }
    }
    let weights = network["handoverOfWork"].as_array().unwrap();
    assert_eq!(
        weights.len(),
        expected["handoverOfWork"].as_object().unwrap().len()
    );
    for weight in weights {
        let key = format!(
            "{}->{}",
            weight["from"]["name"].as_str().unwrap(),
            weight["to"]["name"].as_str().unwrap()
        );
        assert_close(
            &format!("handoverOfWork[{key}]"),
            &weight["weight"],
            &expected["handoverOfWork"][&key],
        );
    }

    let mut findings: Vec<Value> = data["ownershipFindings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| json!([f["kind"], f["touchpoint"]["name"]]))
        .collect();
    findings.sort_by_key(|f| f.to_string());
    let mut want = expected["ownershipFindings"].as_array().unwrap().clone();
    want.sort_by_key(|f| f.to_string());
    assert_eq!(findings, want);

    // The handoff list filtered by each flag holds exactly the report's count of it.
    for (flag, total) in [
        ("SILO", "siloHandoffs"),
        ("DEFERRAL_TO_CX", "deferralsToCx"),
        ("OWNED_DEFERRAL", "ownedDeferrals"),
        ("PING_PONG", "pingPongs"),
        ("CUSTOMER_BURDEN", "customerBurden"),
        ("DEFERRAL_LANGUAGE", "deferralLanguage"),
    ] {
        let data = app
            .gql(
                "query($f: [HandoffFlag!]!) { handoffs(first: 100, filter: { flags: $f }) { pageInfo { hasNextPage } edges { node { flags } } } }",
                json!({ "f": [flag] }),
            )
            .await;
        let edges = data["handoffs"]["edges"].as_array().unwrap();
        assert_eq!(data["handoffs"]["pageInfo"]["hasNextPage"], false);
        assert_eq!(
            json!(edges.len()),
            expected["totals"][total],
            "handoffs filtered by {flag}"
        );
        assert!(edges.iter().all(|e| e["node"]["flags"]
            .as_array()
            .unwrap()
            .contains(&json!(flag))));
    }
}

#[tokio::test]
async fn the_fixture_recorded_in_shuffled_batches_gives_every_expected_figure() {
    let app = spawn_app().await;
    load_org(&app).await;
    let mut log = interactions();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    log.shuffle(&mut rng);
    let mut recorded = 0;
    while !log.is_empty() {
        let size = rng.random_range(1..=120).min(log.len());
        let batch: Vec<Value> = log.drain(..size).collect();
        let payload = app.record(json!(batch)).await;
        assert_eq!(payload["userErrors"], json!([]));
        recorded += payload["recorded"].as_i64().unwrap();
    }
    assert_eq!(recorded, 423);
    assert_matches_expected(&app).await;
}

#[tokio::test]
async fn resending_the_whole_fixture_changes_nothing() {
    let app = spawn_app().await;
    load_org(&app).await;
    let log = interactions();
    let first = app.record(json!(log)).await;
    assert_eq!(
        (
            first["recorded"].as_i64(),
            first["newSiloHandoffs"].as_i64()
        ),
        (Some(423), Some(55))
    );
    let again = app.record(json!(log[..200].to_vec())).await;
    assert_eq!(
        (
            again["recorded"].as_i64(),
            again["duplicates"].as_i64(),
            again["newSiloHandoffs"].as_i64()
        ),
        (Some(0), Some(200), Some(0))
    );
    assert_matches_expected(&app).await;
}

/// DOT, Mermaid and the Node Graph shape of the fixture's network say what
/// `expected.json` says: every edge with its handoffs, SILO edges marked, CX teams
/// marked.
#[tokio::test]
async fn the_fixture_network_as_dot_mermaid_and_node_graph() {
    let app = spawn_app().await;
    load_org(&app).await;
    let payload = app.record(json!(interactions())).await;
    assert_eq!(payload["userErrors"], json!([]));
    let data = app
        .gql(
            "{ handoffNetwork { dot mermaid nodeGraph {
                 nodes { id title subTitle mainStat secondaryStat highlighted }
                 edges { id source target mainStat secondaryStat thickness highlighted color } } } }",
            json!({}),
        )
        .await;
    let network = &data["handoffNetwork"];
    let expected: Value = serde_json::from_str(&read("expected.json")).unwrap();
    let org: Value = serde_json::from_str(&read("org.json")).unwrap();
    let cx: std::collections::HashSet<&str> = org["functions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["isCxTeam"] == json!(true))
        .map(|f| f["name"].as_str().unwrap())
        .collect();

    let nodes = network["nodeGraph"]["nodes"].as_array().unwrap();
    let id_of: std::collections::HashMap<&str, &str> = nodes
        .iter()
        .map(|n| (n["title"].as_str().unwrap(), n["id"].as_str().unwrap()))
        .collect();
    for node in nodes {
        let title = node["title"].as_str().unwrap();
        let is_cx = cx.contains(title);
        assert_eq!(node["highlighted"], json!(is_cx), "{title}");
        assert_eq!(node["subTitle"], json!(if is_cx { "CX team" } else { "" }));
        let by_function = &expected["byFunction"][title];
        assert_eq!(node["mainStat"], by_function["handoffsOut"], "{title} out");
        assert_eq!(
            node["secondaryStat"], by_function["handoffsIn"],
            "{title} in"
        );
    }
    let titles: Vec<&str> = nodes.iter().map(|n| n["title"].as_str().unwrap()).collect();
    let mut sorted = titles.clone();
    sorted.sort();
    assert_eq!(titles, sorted, "nodes sorted by name");

    let want_edges = expected["edges"].as_object().unwrap();
    let edges = network["nodeGraph"]["edges"].as_array().unwrap();
    assert_eq!(edges.len(), want_edges.len());
    let dot = network["dot"].as_str().unwrap();
    let mermaid = network["mermaid"].as_str().unwrap();
    assert!(dot.starts_with("digraph handoffs {\n") && dot.ends_with("}\n"));
    assert!(mermaid.starts_with("flowchart LR\n"));
    let mut silo_edges = 0;
    for (key, want) in want_edges {
        let (from, to) = key.split_once("->").unwrap();
        let (source, target) = (id_of[from], id_of[to]);
        let count = want["count"].as_i64().unwrap();
        let silo = want["siloHandoffs"].as_i64().unwrap();
        let edge = edges
            .iter()
            .find(|e| e["source"] == json!(source) && e["target"] == json!(target))
            .unwrap_or_else(|| panic!("no node graph edge {key}"));
        assert_eq!(edge["id"], json!(format!("{source}-{target}")));
        assert_eq!(
            (edge["mainStat"].as_i64(), edge["secondaryStat"].as_i64()),
            (Some(count), Some(silo)),
            "{key}"
        );
        assert_eq!(edge["highlighted"], json!(silo > 0), "{key}");
        let thickness = edge["thickness"].as_i64().unwrap();
        assert!((1..=8).contains(&thickness), "{key}: thickness {thickness}");
        let label = if silo > 0 {
            format!("{count} ({silo} silo)")
        } else {
            count.to_string()
        };
        let dot_line = dot
            .lines()
            .find(|l| l.starts_with(&format!("  {source} -> {target} [")))
            .unwrap_or_else(|| panic!("no DOT edge {key}:\n{dot}"));
        assert!(
            dot_line.contains(&format!("label=\"{label}\"")),
            "{dot_line}"
        );
        assert_eq!(
            dot_line.contains("color=\"#c62828\""),
            silo > 0,
            "{dot_line}"
        );
        let arrow = if silo > 0 { "==>" } else { "-->" };
        assert!(
            mermaid.contains(&format!("  {source} {arrow}|\"{label}\"| {target}\n")),
            "no Mermaid edge {key}:\n{mermaid}"
        );
        silo_edges += usize::from(silo > 0);
    }
    assert!(silo_edges > 0, "the fixture has SILO edges");
    let link_style = mermaid
        .lines()
        .find(|l| l.trim_start().starts_with("linkStyle "))
        .expect("SILO edges are styled");
    let styled = link_style
        .split_whitespace()
        .nth(1)
        .unwrap()
        .split(',')
        .count();
    assert_eq!(styled, silo_edges);
    for (title, id) in &id_of {
        let cx_node = dot
            .lines()
            .find(|l| l.starts_with(&format!("  {id} [label=")))
            .unwrap_or_else(|| panic!("no DOT node {title}"));
        assert_eq!(cx_node.contains("filled"), cx.contains(title), "{cx_node}");
    }
}
