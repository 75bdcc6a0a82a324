//! The chart against the log: de facto ownership and promises kept, from the fixture's
//! independently computed figures (tests/data/chart_vs_log.py) and from hand-made cases
//! at the rules' edges; every figure traced back to its interactions.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::fixture::{interactions, load_org, read};
use crate::helpers::{item, spawn_app, TestApp};

const OWNERSHIP: &str = r#"query($w: WindowInput) {
  touchpointOwnership(window: $w) {
    minInteractions
    touchpoints {
      touchpoint { id name }
      interactions judged findings
      shares { ...S } deFactoOwner { ...S } accountable { ...S } responsible { ...S }
    }
    findings { kind severity touchpoint { name } deFactoOwner { ...S } message }
  }
}
fragment S on FunctionShare { function { id name } interactions share }"#;

const PROMISES: &str = r#"query($w: WindowInput, $c: [ComparisonPeriod!]!) {
  promiseReport(window: $w, compareTo: $c) { window { from to } promises { ...P } }
}
fragment P on PromiseFigures {
  touchpoint { id name promptWithin } element promised measured opportunities breaches breachRate
  comparisons { period window { from to } opportunities breaches breachRate breachRateDelta }
}"#;

const SILO_PROMISES: &str = r#"query($w: WindowInput, $c: [ComparisonPeriod!]!) {
  siloReport(window: $w, compareTo: $c) { promises {
    touchpoint { id name promptWithin } element promised measured opportunities breaches breachRate
    comparisons { period window { from to } opportunities breaches breachRate breachRateDelta }
  } }
}"#;

fn close(what: &str, got: &Value, want: &Value) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => assert!((g - w).abs() < 1e-9, "{what}: got {g}, want {w}"),
        _ => assert_eq!(got, want, "{what}"),
    }
}

/// The API's shares as the script writes them: `[name, interactions, share]`.
fn shares(list: &Value) -> Vec<Value> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|s| json!([s["function"]["name"], s["interactions"], s["share"]]))
        .collect()
}

fn close_lists(what: &str, got: &[Value], want: &Value) {
    let want = want.as_array().unwrap();
    assert_eq!(got.len(), want.len(), "{what}: {got:?} against {want:?}");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        for k in 0..3 {
            close(&format!("{what}[{i}][{k}]"), &g[k], &w[k]);
        }
    }
}

/// Instants as the script writes them (UTC with `Z`).
fn utc(value: &Value) -> Value {
    value
        .as_str()
        .map_or(Value::Null, |s| json!(s.replace("+00:00", "Z")))
}

async fn set_min_interactions(app: &TestApp, min: i64) {
    let data = app
        .gql(
            "mutation($m: Int!) { updateSettings(input: { minInteractions: $m }) { organization { minInteractions } userErrors { message } } }",
            json!({ "m": min }),
        )
        .await;
    assert_eq!(data["updateSettings"]["userErrors"], json!([]));
    assert_eq!(
        data["updateSettings"]["organization"]["minInteractions"],
        json!(min)
    );
}

async fn count_breaches(app: &TestApp, filter: Value) -> (i64, Vec<Value>) {
    let data = app
        .gql(
            "query($f: PromiseBreachFilterInput!) { promiseBreaches(filter: $f, first: 100) {
                totalCount pageInfo { hasNextPage }
                nodes { element caseRef waited at
                  interaction { touchpoint { name } function { name } customerActionRequired occurredAt }
                  next { function { name } occurredAt caseRef } } } }",
            json!({ "f": filter }),
        )
        .await;
    let list = &data["promiseBreaches"];
    assert_eq!(list["pageInfo"]["hasNextPage"], false);
    (
        list["totalCount"].as_i64().unwrap(),
        list["nodes"].as_array().unwrap().clone(),
    )
}

async fn count_handled(app: &TestApp, filter: Value) -> i64 {
    let data = app
        .gql(
            "query($f: TouchpointInteractionFilterInput!) { touchpointInteractions(filter: $f, first: 1) { totalCount } }",
            json!({ "f": filter }),
        )
        .await;
    data["touchpointInteractions"]["totalCount"]
        .as_i64()
        .unwrap()
}

fn seconds_of(duration: &str) -> f64 {
    // The API writes P#DT#H#M#S; enough for the fixture's durations.
    let mut total = 0.0;
    let mut number = String::new();
    let mut in_time = false;
    for c in duration.chars() {
        match c {
            'P' => {}
            'T' => in_time = true,
            '0'..='9' | '.' => number.push(c),
            unit => {
                let value: f64 = number.parse().unwrap();
                number.clear();
                total += value
                    * match (unit, in_time) {
                        ('W', false) => 604_800.0,
                        ('D', false) => 86_400.0,
                        ('H', true) => 3_600.0,
                        ('M', true) => 60.0,
                        ('S', true) => 1.0,
                        other => panic!("unexpected {other:?} in {duration}"),
                    };
            }
        }
    }
    total
}

fn instant(text: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(text.as_str().unwrap())
        .unwrap()
        .to_utc()
}

#[tokio::test]
async fn the_fixture_gives_every_chart_against_log_figure_traced_to_its_interactions() {
    let app = spawn_app().await;
    load_org(&app).await;
    let mut log = interactions();
    let mut rng = rand::rngs::StdRng::seed_from_u64(14);
    log.shuffle(&mut rng);
    while !log.is_empty() {
        let size = rng.random_range(1..=150).min(log.len());
        let payload = app
            .record(json!(log.drain(..size).collect::<Vec<_>>()))
            .await;
        assert_eq!(payload["userErrors"], json!([]));
    }
    let expected: Value = serde_json::from_str(&read("chart_vs_log.json")).unwrap();
    for window in expected["windows"].as_array().unwrap() {
        let name = window["name"].as_str().unwrap();
        let input = json!({ "from": window["from"], "to": window["to"] });
        set_min_interactions(&app, window["minInteractions"].as_i64().unwrap()).await;

        // De facto ownership, touchpoint by touchpoint.
        let data = app.gql(OWNERSHIP, json!({ "w": input })).await;
        let report = &data["touchpointOwnership"];
        assert_eq!(report["minInteractions"], window["minInteractions"]);
        let rows = report["touchpoints"].as_array().unwrap();
        let want_rows = window["ownership"].as_object().unwrap();
        assert_eq!(rows.len(), want_rows.len(), "{name}");
        let mut finding_count = 0;
        for row in rows {
            let tp = row["touchpoint"]["name"].as_str().unwrap();
            let want = &want_rows[tp];
            let what = format!("{name} / {tp}");
            assert_eq!(row["interactions"], want["interactions"], "{what}");
            assert_eq!(row["judged"], want["judged"], "{what}");
            assert_eq!(row["findings"], want["findings"], "{what}");
            assert_eq!(
                row["deFactoOwner"]["function"]["name"], want["deFactoOwner"],
                "{what}"
            );
            close_lists(
                &format!("{what} shares"),
                &shares(&row["shares"]),
                &want["shares"],
            );
            close_lists(
                &format!("{what} accountable"),
                &shares(&row["accountable"]),
                &want["accountable"],
            );
            close_lists(
                &format!("{what} responsible"),
                &shares(&row["responsible"]),
                &want["responsible"],
            );
            let sum: f64 = row["shares"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["share"].as_f64().unwrap())
                .sum();
            assert!(
                row["shares"] == json!([]) || (sum - 1.0).abs() < 1e-9,
                "{what}: {sum}"
            );
            // Each share is the interactions `touchpointInteractions` lists.
            for share in row["shares"].as_array().unwrap() {
                let listed = count_handled(
                    &app,
                    json!({ "touchpointId": row["touchpoint"]["id"], "functionId": share["function"]["id"], "window": input }),
                )
                .await;
                assert_eq!(json!(listed), share["interactions"], "{what}");
            }
            let all = count_handled(
                &app,
                json!({ "touchpointId": row["touchpoint"]["id"], "window": input }),
            )
            .await;
            assert_eq!(json!(all), row["interactions"], "{what}");
            finding_count += want["findings"].as_array().unwrap().len();
        }
        let findings = report["findings"].as_array().unwrap();
        assert_eq!(findings.len(), finding_count, "{name}");
        for f in findings {
            let severity = if f["kind"] == "CX_CARRIES_OWNED_TOUCHPOINT" {
                "ERROR"
            } else {
                "WARNING"
            };
            assert_eq!(f["severity"], severity);
            let tp = f["touchpoint"]["name"].as_str().unwrap();
            assert!(want_rows[tp]["findings"]
                .as_array()
                .unwrap()
                .contains(&f["kind"]));
            assert!(f["message"].as_str().unwrap().contains(tp), "{f}");
        }
        let severities: Vec<&Value> = findings.iter().map(|f| &f["severity"]).collect();
        let mut sorted = severities.clone();
        sorted.sort_by_key(|s| *s != "ERROR");
        assert_eq!(severities, sorted, "errors first");

        // Promises kept, element by element, with their comparisons.
        let variables = json!({ "w": input, "c": window["compareTo"] });
        let data = app.gql(PROMISES, variables.clone()).await;
        let promises = data["promiseReport"]["promises"].as_array().unwrap();
        let silo = app.gql(SILO_PROMISES, variables).await;
        assert_eq!(
            &silo["siloReport"]["promises"], &data["promiseReport"]["promises"],
            "{name}: siloReport.promises is promiseReport's"
        );
        let want_promises = window["promises"].as_object().unwrap();
        let keys: Vec<String> = promises
            .iter()
            .map(|p| {
                format!(
                    "{}/{}",
                    p["touchpoint"]["name"].as_str().unwrap(),
                    p["element"].as_str().unwrap()
                )
            })
            .collect();
        let want_keys: Vec<&String> = want_promises.keys().collect();
        let mut sorted_keys: Vec<&String> = keys.iter().collect();
        sorted_keys.sort();
        let mut sorted_want = want_keys.clone();
        sorted_want.sort();
        assert_eq!(sorted_keys, sorted_want, "{name}: the rows");
        for (row, key) in promises.iter().zip(&keys) {
            let want = &want_promises[key];
            let what = format!("{name} / {key}");
            for field in [
                "promised",
                "measured",
                "opportunities",
                "breaches",
                "breachRate",
            ] {
                close(&format!("{what}.{field}"), &row[field], &want[field]);
            }
            let comparisons = row["comparisons"].as_array().unwrap();
            let want_comparisons = want["comparisons"].as_array().unwrap();
            assert_eq!(comparisons.len(), want_comparisons.len(), "{what}");
            for (got, want) in comparisons.iter().zip(want_comparisons) {
                assert_eq!(got["period"], want["period"], "{what}");
                assert_eq!(utc(&got["window"]["from"]), want["from"], "{what}");
                assert_eq!(utc(&got["window"]["to"]), want["to"], "{what}");
                for field in ["opportunities", "breaches", "breachRate", "breachRateDelta"] {
                    close(
                        &format!("{what} {}.{field}", want["period"]),
                        &got[field],
                        &want[field],
                    );
                }
            }
            // Every breach is listed, and each is one by the rules.
            let Some(breaches) = row["breaches"].as_i64() else {
                continue;
            };
            let (total, nodes) = count_breaches(
                &app,
                json!({ "touchpointId": row["touchpoint"]["id"], "element": row["element"], "window": input }),
            )
            .await;
            assert_eq!(total, breaches, "{what}: promiseBreaches");
            assert_eq!(nodes.len() as i64, breaches, "{what}");
            let within = row["touchpoint"]["promptWithin"].as_str().map(seconds_of);
            for b in &nodes {
                let (here, next) = (&b["interaction"], &b["next"]);
                assert_eq!(here["touchpoint"]["name"], row["touchpoint"]["name"]);
                assert_eq!(b["caseRef"], next["caseRef"]);
                assert_eq!(b["at"], next["occurredAt"]);
                let waited = (instant(&next["occurredAt"]) - instant(&here["occurredAt"]))
                    .num_microseconds()
                    .unwrap() as f64
                    / 1e6;
                assert!((seconds_of(b["waited"].as_str().unwrap()) - waited).abs() < 1e-3);
                match row["element"].as_str().unwrap() {
                    "SINGLE_POINT_OF_CONTACT" => {
                        assert_ne!(here["function"], next["function"], "{what}: {b}")
                    }
                    "PROMPT" => {
                        assert_eq!(here["customerActionRequired"], false, "{what}: {b}");
                        assert!(waited > within.unwrap(), "{what}: {b}");
                    }
                    other => panic!("{other} is not measured"),
                }
            }
        }
    }
}

/// Builds a small organization: functions by (name, is CX team), touchpoint `T`
/// promising PROMPT within `within` and SINGLE_POINT_OF_CONTACT, roles as given.
async fn small_org(
    app: &TestApp,
    functions: &[(&str, bool)],
    roles: &[(&str, &str)],
    within: Option<&str>,
) -> (String, Vec<String>) {
    let ids: Vec<String> = create_functions(app, functions).await;
    let data = app
        .gql(
            "mutation($i: CreateTouchpointInput!) { createTouchpoint(input: $i) { touchpoint { id promptWithin } userErrors { message } } }",
            json!({ "i": { "name": "T", "channel": "PHONE", "experience": ["PROMPT", "SINGLE_POINT_OF_CONTACT"], "promptWithin": within } }),
        )
        .await;
    assert_eq!(data["createTouchpoint"]["userErrors"], json!([]));
    let tp = data["createTouchpoint"]["touchpoint"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (function, role) in roles {
        let index = functions.iter().position(|f| f.0 == *function).unwrap();
        app.assign(&tp, &ids[index], role).await;
    }
    (tp, ids)
}

async fn create_functions(app: &TestApp, functions: &[(&str, bool)]) -> Vec<String> {
    let mut ids = Vec::new();
    for (name, is_cx) in functions {
        ids.push(app.create_function(name, *is_cx).await);
    }
    ids
}

async fn ownership_of_t(app: &TestApp) -> Value {
    let data = app.gql(OWNERSHIP, json!({ "w": null })).await;
    data["touchpointOwnership"]["touchpoints"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["touchpoint"]["name"] == "T")
        .cloned()
        .unwrap_or(Value::Null)
}

/// The promises and ownership over whole days (from the rollups) equal those over the
/// same instants off midnight (from the steps).
async fn assert_rollups_agree_with_steps(app: &TestApp) {
    let days = json!({ "from": "2026-04-01T00:00:00Z", "to": "2026-06-01T00:00:00Z" });
    let steps = json!({ "from": "2026-03-31T23:59:59.999999Z", "to": "2026-06-01T00:00:00Z" });
    for (query, compare) in [(PROMISES, Some(json!([]))), (OWNERSHIP, None)] {
        let variables = |w: &Value| match &compare {
            Some(c) => json!({ "w": w, "c": c }),
            None => json!({ "w": w }),
        };
        let by_days = app.gql(query, variables(&days)).await;
        let by_steps = app.gql(query, variables(&steps)).await;
        let strip = |mut v: Value| {
            if let Some(report) = v.get_mut("promiseReport") {
                report["window"] = Value::Null;
            }
            if let Some(report) = v.get_mut("touchpointOwnership") {
                report["window"] = Value::Null;
            }
            v
        };
        assert_eq!(strip(by_days), strip(by_steps));
    }
}

async fn promises_of_t(app: &TestApp) -> Vec<Value> {
    let data = app.gql(PROMISES, json!({ "w": null, "c": [] })).await;
    data["promiseReport"]["promises"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["touchpoint"]["name"] == "T")
        .map(|p| {
            json!([
                p["element"],
                p["measured"],
                p["opportunities"],
                p["breaches"],
                p["breachRate"]
            ])
        })
        .collect()
}

#[tokio::test]
async fn a_tie_goes_to_the_name_that_sorts_first_byte_wise_and_small_touchpoints_are_not_judged() {
    let app = spawn_app().await;
    // Byte-wise, upper case sorts before lower case: "Zeta" before "alpha".
    small_org(
        &app,
        &[("alpha", false), ("Zeta", true), ("Owner", false)],
        &[("Owner", "ACCOUNTABLE"), ("Owner", "RESPONSIBLE")],
        None,
    )
    .await;
    app.record(json!([
        item("a1", "c1", "2026-05-01T09:00:00Z", "alpha", Some("T"), None),
        item("z1", "c2", "2026-05-01T10:00:00Z", "Zeta", Some("T"), None),
    ]))
    .await;
    let t = ownership_of_t(&app).await;
    assert_eq!(t["deFactoOwner"]["function"]["name"], "Zeta");
    assert_eq!(
        shares(&t["shares"]),
        vec![json!(["Zeta", 1, 0.5]), json!(["alpha", 1, 0.5])]
    );
    // The owner on paper handled none: listed with share 0.
    assert_eq!(shares(&t["accountable"]), vec![json!(["Owner", 0, 0.0])]);
    // Two interactions are under the default minInteractions of 20: no finding.
    assert_eq!(t["judged"], false);
    assert_eq!(t["findings"], json!([]));
    // A minInteractions out of range is refused and changes nothing.
    for bad in [0, 1_000_001] {
        let data = app
            .gql(
                "mutation($m: Int!) { updateSettings(input: { minInteractions: $m, timeZone: \"Europe/Paris\" }) { organization { minInteractions } userErrors { code path } } }",
                json!({ "m": bad }),
            )
            .await;
        let payload = &data["updateSettings"];
        assert_eq!(payload["organization"], Value::Null, "{bad}");
        assert_eq!(
            payload["userErrors"],
            json!([{ "code": "INVALID", "path": ["input", "minInteractions"] }])
        );
    }
    let settings = app
        .gql(
            "{ viewer { organization { minInteractions timeZone } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        settings["viewer"]["organization"],
        json!({ "minInteractions": 20, "timeZone": "UTC" })
    );
    // At 2 it is judged: a CX team carries what Owner owns on paper.
    set_min_interactions(&app, 2).await;
    let t = ownership_of_t(&app).await;
    assert_eq!(t["judged"], true);
    assert_eq!(
        t["findings"],
        json!([
            "DE_FACTO_OWNER_NOT_RESPONSIBLE",
            "CX_CARRIES_OWNED_TOUCHPOINT"
        ])
    );
    // One more by alpha breaks the tie the other way.
    app.record(json!([item(
        "a2",
        "c3",
        "2026-05-02T09:00:00Z",
        "alpha",
        Some("T"),
        None
    )]))
    .await;
    let t = ownership_of_t(&app).await;
    assert_eq!(t["deFactoOwner"]["function"]["name"], "alpha");
    assert_eq!(t["findings"], json!(["DE_FACTO_OWNER_NOT_RESPONSIBLE"]));
    // In another time zone the rollups are rebuilt by local day: Berlin's May read
    // from them equals the same instants read from the steps.
    let data = app
        .gql(
            "mutation { updateSettings(input: { timeZone: \"Europe/Berlin\" }) { userErrors { message } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["updateSettings"]["userErrors"], json!([]));
    let may = |from: &str| json!({ "w": { "from": from, "to": "2026-05-31T22:00:00Z" } });
    let by_days = app.gql(OWNERSHIP, may("2026-04-30T22:00:00Z")).await;
    let by_steps = app.gql(OWNERSHIP, may("2026-04-30T21:59:59.999999Z")).await;
    assert_eq!(by_days, by_steps);
    assert_eq!(
        by_days["touchpointOwnership"]["touchpoints"][0]["interactions"],
        3
    );
    // A touchpoint nobody handled has no owner and shares of null.
    let data = app
        .gql(
            OWNERSHIP,
            json!({ "w": { "from": "2027-01-01T00:00:00Z" } }),
        )
        .await;
    let t = &data["touchpointOwnership"]["touchpoints"][0];
    assert_eq!(t["interactions"], 0);
    assert_eq!(t["deFactoOwner"], Value::Null);
    assert_eq!(t["shares"], json!([]));
    assert_eq!(t["accountable"][0]["share"], Value::Null);
}

#[tokio::test]
async fn the_last_interaction_of_a_case_and_one_waiting_on_the_customer_are_no_opportunity() {
    let app = spawn_app().await;
    small_org(
        &app,
        &[("Sales", false), ("Billing", false)],
        &[],
        Some("PT4H"),
    )
    .await;
    let mut waiting = item("w1", "c2", "2026-05-01T09:00:00Z", "Sales", Some("T"), None);
    waiting["customerActionRequired"] = json!(true);
    app.record(json!([
        // c1: T then Billing 5 h later: a PROMPT breach and a SPOC breach.
        item("a1", "c1", "2026-05-01T09:00:00Z", "Sales", Some("T"), None),
        item("a2", "c1", "2026-05-01T14:00:00Z", "Billing", None, None),
        // c2: waiting on the customer, who comes back after two days: SPOC kept,
        // PROMPT no opportunity.
        waiting,
        item("w2", "c2", "2026-05-03T09:00:00Z", "Sales", None, None),
        // c3: a single interaction: no next one, no opportunity at all.
        item("s1", "c3", "2026-05-01T09:00:00Z", "Sales", Some("T"), None),
        // c4: exactly 4 h later is in time.
        item("e1", "c4", "2026-05-01T09:00:00Z", "Sales", Some("T"), None),
        item("e2", "c4", "2026-05-01T13:00:00Z", "Sales", Some("T"), None),
    ]))
    .await;
    assert_eq!(
        promises_of_t(&app).await,
        vec![
            json!(["PROMPT", true, 2, 1, 0.5]),
            json!(["SINGLE_POINT_OF_CONTACT", true, 3, 1, 1.0 / 3.0]),
        ]
    );
    // The window holds an opportunity by its next interaction.
    let data = app
        .gql(
            PROMISES,
            json!({ "w": { "from": "2026-05-01T13:30:00Z" }, "c": [] }),
        )
        .await;
    let prompt = &data["promiseReport"]["promises"][0];
    assert_eq!(
        (prompt["opportunities"].clone(), prompt["breaches"].clone()),
        (json!(1), json!(1))
    );

    // A new promptWithin judges the recorded interactions anew.
    let tp = ownership_of_t(&app).await["touchpoint"]["id"].clone();
    let update = |within: Value| json!({ "id": tp, "i": { "promptWithin": within } });
    let mutation = "mutation($id: ID!, $i: UpdateTouchpointInput!) { updateTouchpoint(id: $id, input: $i) { touchpoint { promptWithin } userErrors { code path message } } }";
    let data = app.gql(mutation, update(json!("PT6H"))).await;
    assert_eq!(
        data["updateTouchpoint"]["touchpoint"]["promptWithin"],
        "PT6H"
    );
    assert_eq!(
        promises_of_t(&app).await[0],
        json!(["PROMPT", true, 2, 0, 0.0])
    );
    assert_rollups_agree_with_steps(&app).await;
    let data = app.gql(mutation, update(json!("P1DT12H"))).await;
    assert_eq!(
        data["updateTouchpoint"]["touchpoint"]["promptWithin"],
        "P1DT12H"
    );
    let data = app.gql(mutation, update(json!("PT1H"))).await;
    assert_eq!(data["updateTouchpoint"]["userErrors"], json!([]));
    assert_eq!(
        promises_of_t(&app).await[0],
        json!(["PROMPT", true, 2, 2, 1.0])
    );
    assert_rollups_agree_with_steps(&app).await;
    // Retracting the late answer of c4 leaves e1 the last of its case: no opportunity.
    let data = app
        .gql(
            "mutation { retractInteractions(externalIds: [\"e2\"]) { retracted } }",
            json!({}),
        )
        .await;
    assert_eq!(data["retractInteractions"]["retracted"], 1);
    assert_eq!(
        promises_of_t(&app).await[0],
        json!(["PROMPT", true, 1, 1, 1.0])
    );
    assert_rollups_agree_with_steps(&app).await;
    // null stops measuring PROMPT; it stays promised.
    let data = app.gql(mutation, update(Value::Null)).await;
    assert_eq!(
        data["updateTouchpoint"]["touchpoint"]["promptWithin"],
        Value::Null
    );
    assert_eq!(
        promises_of_t(&app).await[0],
        json!(["PROMPT", false, null, null, null])
    );

    // Bad durations: not ISO 8601, calendar units, out of range.
    for (within, says) in [
        ("soon", "ISO 8601"),
        ("P1M", "years and months"),
        ("4", "ISO 8601"),
    ] {
        let (_, body) = app
            .post(Some(&app.admin()), mutation, update(json!(within)))
            .await;
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(says), "{within}: {body}");
    }
    for within in ["PT0.5S", "P367D"] {
        let data = app.gql(mutation, update(json!(within))).await;
        let errors = &data["updateTouchpoint"]["userErrors"];
        assert_eq!(errors[0]["code"], "INVALID", "{within}: {errors}");
        assert_eq!(errors[0]["path"], json!(["input", "promptWithin"]));
    }
    // Each list takes only its own cursors.
    let handoffs = app
        .gql(
            "{ handoffs(first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = handoffs["handoffs"]["pageInfo"]["endCursor"].clone();
    let (_, body) = app
        .post(
            Some(&app.admin()),
            "query($t: ID!, $a: String) { promiseBreaches(filter: { touchpointId: $t, element: PROMPT }, after: $a) { totalCount } }",
            json!({ "t": tp, "a": cursor }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
    // Elements the log cannot check have no breaches to list.
    let (status, body) = app
        .post(
            Some(&app.admin()),
            "query($t: ID!) { promiseBreaches(filter: { touchpointId: $t, element: ACCURATE }) { totalCount } }",
            json!({ "t": tp }),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
        "{body}"
    );
}

#[tokio::test]
async fn archived_functions_and_touchpoints_are_left_out() {
    let app = spawn_app().await;
    let (tp, ids) = small_org(
        &app,
        &[("Billing", false), ("CX", true), ("Gone", false)],
        &[("Gone", "ACCOUNTABLE"), ("Billing", "RESPONSIBLE")],
        None,
    )
    .await;
    set_min_interactions(&app, 1).await;
    app.record(json!([
        item("g1", "c1", "2026-05-01T09:00:00Z", "Gone", Some("T"), None),
        item("g2", "c2", "2026-05-01T09:00:00Z", "Gone", Some("T"), None),
        item("x1", "c3", "2026-05-01T09:00:00Z", "CX", Some("T"), None),
        item(
            "b1",
            "c4",
            "2026-05-01T09:00:00Z",
            "Billing",
            Some("T"),
            None
        ),
    ]))
    .await;
    let t = ownership_of_t(&app).await;
    assert_eq!(t["deFactoOwner"]["function"]["name"], "Gone");
    assert_eq!(t["findings"], json!([]));
    let archive = "mutation($id: ID!, $a: Boolean) { archiveFunction(id: $id, archived: $a) { userErrors { message } } }";
    app.gql(archive, json!({ "id": ids[2], "a": true })).await;
    // Gone's interactions leave the shares, and its role the map; CX and Billing tie.
    let t = ownership_of_t(&app).await;
    assert_eq!(t["interactions"], 2);
    assert_eq!(
        shares(&t["shares"]),
        vec![json!(["Billing", 1, 0.5]), json!(["CX", 1, 0.5])]
    );
    assert_eq!(t["accountable"], json!([]));
    assert_eq!(t["findings"], json!([]));
    app.record(json!([item(
        "x2",
        "c5",
        "2026-05-02T09:00:00Z",
        "CX",
        Some("T"),
        None
    )]))
    .await;
    let t = ownership_of_t(&app).await;
    assert_eq!(
        t["findings"],
        json!([
            "DE_FACTO_OWNER_NOT_RESPONSIBLE",
            "CX_CARRIES_OWNED_TOUCHPOINT"
        ])
    );
    let data = app.gql(OWNERSHIP, json!({ "w": null })).await;
    let messages: Vec<&Value> = data["touchpointOwnership"]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["message"])
        .collect();
    assert_eq!(
        messages,
        [
            "the CX team `CX` (67%) carries touchpoint `T`, owned on paper by `Billing` (33%): the owner has relinquished the customer",
            "`CX` (67%) handles most of touchpoint `T` but is neither accountable nor responsible for it; on paper: `Billing` (33%)",
        ]
    );
    // The history is unchanged: restored, Gone counts again (tied with CX, which
    // sorts first).
    app.gql(archive, json!({ "id": ids[2], "a": false })).await;
    assert_eq!(
        shares(&ownership_of_t(&app).await["shares"]),
        vec![
            json!(["CX", 2, 0.4]),
            json!(["Gone", 2, 0.4]),
            json!(["Billing", 1, 0.2])
        ]
    );
    // An archived touchpoint leaves both reports.
    app.gql(
        "mutation($id: ID!) { archiveTouchpoint(id: $id) { userErrors { message } } }",
        json!({ "id": tp }),
    )
    .await;
    assert_eq!(ownership_of_t(&app).await, Value::Null);
    assert_eq!(promises_of_t(&app).await, Vec::<Value>::new());
}

/// A random log: (externalId, case, hour, function, touchpoint, waits on the customer).
fn logs() -> impl proptest::strategy::Strategy<Value = Vec<(u32, u8, u8, u8, u8, bool)>> {
    use proptest::prelude::*;
    prop::collection::vec(
        (
            0u32..10_000,
            0u8..5,
            0u8..72,
            0u8..3,
            0u8..3,
            prop::bool::weighted(0.2),
        ),
        1..30,
    )
}

const EVERY_FIGURE: &str = r#"query($w: WindowInput) {
  touchpointOwnership(window: $w) { touchpoints {
    touchpoint { name } interactions judged findings
    shares { function { name } interactions share } deFactoOwner { function { name } }
  } }
  promiseReport(window: $w) { promises { touchpoint { name } element measured opportunities breaches breachRate } }
}"#;

async fn every_figure(app: &TestApp, window: Value) -> Value {
    app.gql(EVERY_FIGURE, json!({ "w": window })).await
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 6, .. proptest::prelude::ProptestConfig::default() })]
    #[test]
    fn any_order_and_batching_gives_the_same_chart_against_log(log in logs(), seed in 0u64..1000) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let functions = ["Sales", "Billing", "CX"];
            let touchpoints = [Some("T"), Some("U"), None];
            let items: Vec<Value> = log
                .iter()
                .enumerate()
                .map(|(i, (id, case, hour, function, touchpoint, waits))| {
                    let at = format!("2026-03-{:02}T{:02}:00:00Z", 1 + hour / 24, hour % 24);
                    let mut item = item(&format!("e{id:05}-{i}"), &format!("c{case}"), &at, functions[*function as usize], touchpoints[*touchpoint as usize], None);
                    item["customerActionRequired"] = json!(waits);
                    item
                })
                .collect();
            let setup = |app: TestApp| async move {
                small_org(&app, &[("Sales", false), ("Billing", false), ("CX", true)], &[("Sales", "ACCOUNTABLE"), ("Billing", "RESPONSIBLE")], Some("PT5H")).await;
                let data = app.gql("mutation { createTouchpoint(input: { name: \"U\", channel: EMAIL, experience: [SINGLE_POINT_OF_CONTACT] }) { userErrors { message } } }", json!({})).await;
                assert_eq!(data["createTouchpoint"]["userErrors"], json!([]));
                set_min_interactions(&app, 2).await;
                app
            };
            let sorted_app = setup(spawn_app().await).await;
            let mut sorted = items.clone();
            sorted.sort_by(|a, b| (a["occurredAt"].as_str(), a["externalId"].as_str()).cmp(&(b["occurredAt"].as_str(), b["externalId"].as_str())));
            sorted_app.record(json!(sorted)).await;

            let shuffled_app = setup(spawn_app().await).await;
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let mut rest = items.clone();
            rest.shuffle(&mut rng);
            while !rest.is_empty() {
                let n = rng.random_range(1..=rest.len());
                shuffled_app.record(json!(rest.drain(..n).collect::<Vec<_>>())).await;
            }

            for window in [
                Value::Null,
                json!({ "from": "2026-03-02T00:00:00Z", "to": "2026-03-03T00:00:00Z" }),
                json!({ "from": "2026-03-01T10:30:00Z", "to": "2026-03-03T05:00:00.5Z" }),
            ] {
                let figures = every_figure(&sorted_app, window.clone()).await;
                assert_eq!(figures, every_figure(&shuffled_app, window.clone()).await, "{window}");
                for t in figures["touchpointOwnership"]["touchpoints"].as_array().unwrap() {
                    let shares = t["shares"].as_array().unwrap();
                    let sum: f64 = shares.iter().map(|s| s["share"].as_f64().unwrap()).sum();
                    let count: i64 = shares.iter().map(|s| s["interactions"].as_i64().unwrap()).sum();
                    assert_eq!(json!(count), t["interactions"], "{t}");
                    assert!(shares.is_empty() || (sum - 1.0).abs() < 1e-9, "{t}");
                }
                for p in figures["promiseReport"]["promises"].as_array().unwrap() {
                    if p["measured"] == true {
                        assert!(p["breaches"].as_i64() <= p["opportunities"].as_i64(), "{p}");
                    }
                }
            }
            // From the rollups (whole days) as from the steps (the same range, off midnight).
            let days = every_figure(&shuffled_app, json!({ "from": "2026-03-01T00:00:00Z", "to": "2026-03-05T00:00:00Z" })).await;
            let steps = every_figure(&shuffled_app, json!({ "from": "2026-02-28T23:59:59.999999Z", "to": "2026-03-05T00:00:00Z" })).await;
            assert_eq!(days, steps);
        });
    }
}

/// Migration 16 on a database with a log: taken down to the layout before it (rollups
/// of the earlier layout, left empty) and up again, the service rebuilds every
/// organization's rollups in its calendar before serving, and every figure is as before.
#[tokio::test]
async fn the_chart_against_log_migration_rebuilds_the_rollups_it_changes() {
    use migration::MigratorTrait;
    let app = spawn_app().await;
    load_org(&app).await;
    let payload = app.record(json!(interactions())).await;
    assert_eq!(payload["userErrors"], json!([]));
    let data = app
        .gql(
            "mutation { updateSettings(input: { timeZone: \"Europe/Berlin\" }) { userErrors { message } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["updateSettings"]["userErrors"], json!([]));
    let figures = r#"{
      siloReport(window: { from: "2026-02-28T23:00:00Z", to: "2026-08-31T22:00:00Z" }) {
        totals { cases interactions handoffs siloHandoffs casesEndingAtCx }
        promises { touchpoint { name } element opportunities breaches }
      }
      touchpointOwnership(window: { from: "2026-02-28T23:00:00Z" }) {
        touchpoints { touchpoint { name } interactions shares { function { name } interactions } }
      }
      siloTrend(from: "2026-01-01T00:00:00+01:00", to: "2027-01-01T00:00:00+01:00", granularity: MONTH) {
        points { totals { handoffs siloHandoffs } }
      }
    }"#;
    let before = app.gql(figures, json!({})).await;
    assert!(before["siloReport"]["totals"]["handoffs"].as_i64().unwrap() > 0);

    let db = app.raw_db().await;
    // Migrations 17 (live delivery and webhooks) and 18 (running in production) came
    // after 16: undo all three.
    migration::Migrator::down(&db, Some(3)).await.unwrap();
    let pending = migration::Migrator::get_pending_migrations(&db)
        .await
        .unwrap();
    assert_eq!(pending.len(), 3, "migrations 16 to 18 are undone");
    // What the next start does: migrate, then rebuild the outdated rollups.
    service::upgrade::open(
        &service::storage::db::DbOptions::new(&app.database_url, 1),
        true,
    )
    .await
    .unwrap();
    // Every organization's rollups are current again (acme and the empty one).
    let versions: Vec<i32> = {
        use sea_orm::ConnectionTrait;
        let rows = db
            .query_all_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                "SELECT rollup_version FROM organization",
            ))
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.try_get_by_index::<i32>(0).unwrap())
            .collect()
    };
    assert_eq!(versions, [1, 1]);
    // Going down dropped the touchpoints' promptWithin: set them again (which re-marks
    // the steps), and every figure is back.
    let org: Value = serde_json::from_str(&read("org.json")).unwrap();
    let ids = app
        .gql(
            "{ touchpoints(first: 100) { nodes { id name } } }",
            json!({}),
        )
        .await;
    for t in org["touchpoints"].as_array().unwrap() {
        let Some(within) = t.get("promptWithin") else {
            continue;
        };
        let id = ids["touchpoints"]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["name"] == t["name"])
            .unwrap()["id"]
            .clone();
        let data = app
            .gql(
                "mutation($id: ID!, $w: Duration) { updateTouchpoint(id: $id, input: { promptWithin: $w }) { userErrors { message } } }",
                json!({ "id": id, "w": within }),
            )
            .await;
        assert_eq!(data["updateTouchpoint"]["userErrors"], json!([]));
    }
    assert_eq!(app.gql(figures, json!({})).await, before);
}
