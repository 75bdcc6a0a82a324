//! Recording interactions: atomic batches, clear errors, order independence, windows.

use proptest::prelude::*;
use serde_json::{json, Value};

use crate::helpers::{item, spawn_app, TestApp};

async fn small_org(app: &TestApp) {
    let sales = app.create_function("Sales", false).await;
    app.create_function("Billing", false).await;
    app.create_function("CX", true).await;
    let call = app.create_touchpoint("Call").await;
    app.assign(&call, &sales, "ACCOUNTABLE").await;
}

async fn totals(app: &TestApp, window: Value) -> Value {
    app.gql(
        "query($w: WindowInput) { siloReport(window: $w) { totals { cases interactions handoffs siloHandoffs ownedDeferrals pingPongs casesEndingAtCx singlePointOfContactRate meanFunctionsPerCase } } }",
        json!({ "w": window }),
    )
    .await["siloReport"]["totals"]
        .clone()
}

/// Nonsense is refused with a userError that says why (docs/rules.md, "What is
/// recorded"): instants before 1970 or more than a day ahead, and functions that are
/// archived. A timestamp without an offset is not a `DateTime` at all.
#[tokio::test]
async fn nonsense_is_refused_and_said_why() {
    let app = spawn_app().await;
    small_org(&app).await;
    let billing = app
        .gql(
            "{ functions(filter: { name: \"Billing\" }) { nodes { id } } }",
            json!({}),
        )
        .await["functions"]["nodes"][0]["id"]
        .clone();
    let archived = app
        .gql(
            "mutation($id: ID!) { archiveFunction(id: $id) { userErrors { code } } }",
            json!({ "id": billing }),
        )
        .await;
    assert_eq!(archived["archiveFunction"]["userErrors"], json!([]));
    let tomorrow_and_more = (chrono::Utc::now() + chrono::Duration::hours(25)).to_rfc3339();
    let payload = app
        .record(json!([
            item("n1", "c1", "9999-12-31T23:59:59Z", "Sales", None, None),
            item("n2", "c1", "1969-12-31T23:59:59Z", "Sales", None, None),
            item("n3", "c1", &tomorrow_and_more, "Sales", None, None),
            item("n4", "c1", "2026-01-01T10:00:00Z", "Billing", None, None),
            item("n5", "c1", "2026-01-01T10:00:00+09:00", "Sales", None, None),
        ]))
        .await;
    let errors: Vec<(String, String, String)> = payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_owned(),
                e["path"][1].as_str().unwrap().to_owned(),
                e["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(errors.len(), 4, "{payload}");
    assert_eq!(errors[0].0, "INVALID");
    assert_eq!(errors[0].1, "0");
    assert!(errors[0].2.contains("a day after"), "{errors:?}");
    assert_eq!(errors[1].1, "1");
    assert!(errors[1].2.contains("1970"), "{errors:?}");
    assert_eq!(errors[2].1, "2");
    assert_eq!(
        (errors[3].0.as_str(), errors[3].1.as_str()),
        ("INVALID", "3")
    );
    assert!(errors[3].2.contains("`Billing` is archived"), "{errors:?}");
    assert_eq!(payload["recorded"], 0);

    // Without an offset the value is refused, by its index, not guessed.
    let payload = app
        .record(json!([
            item("n6", "c1", "2026-01-01T10:00:00Z", "Sales", None, None),
            item("n7", "c1", "2026-01-01T10:00:00", "Sales", None, None),
        ]))
        .await;
    assert_eq!(
        payload["userErrors"][0]["path"],
        json!(["input", "1", "occurredAt"])
    );
    assert!(
        payload["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("offset"),
        "{payload}"
    );

    // With an offset, the instant is kept: 10:00 in Tokyo is 01:00 UTC.
    let recorded = app
        .record(json!([item(
            "n7",
            "c1",
            "2026-01-01T10:00:00+09:00",
            "Sales",
            None,
            None
        )]))
        .await;
    assert_eq!(recorded["recorded"], 1, "{recorded}");
    let case = app
        .gql(
            "{ case(caseRef: \"c1\") { interactions { occurredAt caseRef person { name } } } }",
            json!({}),
        )
        .await;
    let interaction = &case["case"]["interactions"][0];
    assert_eq!(interaction["occurredAt"], "2026-01-01T01:00:00+00:00");
    assert_eq!(interaction["caseRef"], "c1");
    assert_eq!(interaction["person"], Value::Null);
}

#[tokio::test]
async fn bad_items_are_all_reported_by_index_and_nothing_is_written() {
    let app = spawn_app().await;
    small_org(&app).await;
    let payload = app
        .record(json!([
            item(
                "e1",
                "c1",
                "2026-01-01T10:00:00Z",
                "Sales",
                Some("Call"),
                None
            ),
            item("e2", "c1", "2026-01-01T11:00:00Z", "Nobody", None, None),
            item("e3", "c1", "0001-01-01T00:00:00Z", "Sales", None, None),
            item("e4", "", "2026-01-01T12:00:00Z", "Sales", None, None),
            item("e1", "c1", "2026-01-01T10:00:00Z", "Billing", None, None),
            item(
                "e5",
                "c1",
                "2026-01-01T13:00:00Z",
                "Sales",
                Some("Nowhere"),
                None
            ),
        ]))
        .await;
    let errors: Vec<(String, String)> = payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_owned(),
                e["path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join("."),
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            ("NOT_FOUND".into(), "input.1.function".into()),
            ("INVALID".into(), "input.2.occurredAt".into()),
            ("REQUIRED".into(), "input.3.caseRef".into()),
            ("CONFLICT".into(), "input.4.externalId".into()),
            ("NOT_FOUND".into(), "input.5.touchpoint".into()),
        ]
    );
    assert_eq!(payload["recorded"], 0);
    assert_eq!(totals(&app, Value::Null).await["interactions"], 0);
    // Each message names the thing that was not found.
    let messages: Vec<&str> = payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect();
    assert!(messages[0].contains("`Nobody`"), "{messages:?}");
    assert!(messages[4].contains("`Nowhere`"), "{messages:?}");

    let too_many: Vec<Value> = (0..10_001)
        .map(|i| {
            item(
                &format!("x{i}"),
                "c",
                "2026-01-01T00:00:00Z",
                "Sales",
                None,
                None,
            )
        })
        .collect();
    let payload = app.record(json!(too_many)).await;
    assert_eq!(payload["userErrors"][0]["code"], "TOO_MANY");
    assert_eq!(totals(&app, Value::Null).await["interactions"], 0);

    app.record(json!([item(
        "e1",
        "c1",
        "2026-01-01T10:00:00Z",
        "Sales",
        None,
        None
    )]))
    .await;
    let payload = app
        .record(json!([item(
            "e1",
            "c1",
            "2026-01-01T10:00:01Z",
            "Sales",
            None,
            None
        )]))
        .await;
    assert_eq!(payload["userErrors"][0]["code"], "CONFLICT");
}

#[tokio::test]
async fn a_case_shows_its_chain_and_flags() {
    let app = spawn_app().await;
    small_org(&app).await;
    let payload = app
        .record(json!([
            item("a3", "c1", "2026-02-01T12:00:00Z", "Sales", None, None),
            item(
                "a1",
                "c1",
                "2026-02-01T10:00:00Z",
                "Sales",
                Some("Call"),
                Some("That's for the CX team")
            ),
            item("a2", "c1", "2026-02-01T11:00:00Z", "CX", None, None),
        ]))
        .await;
    assert_eq!(payload["newSiloHandoffs"], 1);
    let data = app
        .gql("{ case(caseRef: \"c1\") { interactions { externalId } handoffs { from { name } to { name } touchpoint { name } flags } } }", json!({}))
        .await;
    assert_eq!(
        data["case"]["interactions"],
        json!([{ "externalId": "a1" }, { "externalId": "a2" }, { "externalId": "a3" }])
    );
    assert_eq!(
        data["case"]["handoffs"],
        json!([
            { "from": { "name": "Sales" }, "to": { "name": "CX" }, "touchpoint": { "name": "Call" }, "flags": ["DEFERRAL_TO_CX", "SILO", "OWNED_DEFERRAL", "DEFERRAL_LANGUAGE"] },
            { "from": { "name": "CX" }, "to": { "name": "Sales" }, "touchpoint": null, "flags": ["PING_PONG"] }
        ])
    );
    let data = app
        .gql(
            "{ handoffs(filter: { flags: [SILO] }) { edges { node { caseRef at } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["handoffs"]["edges"],
        json!([{ "node": { "caseRef": "c1", "at": "2026-02-01T11:00:00+00:00" } }])
    );
    assert_eq!(
        app.gql("{ case(caseRef: \"nope\") { caseRef } }", json!({}))
            .await["case"],
        Value::Null
    );
    // Changing the phrase lists changes the flags of every later report.
    let data = app
        .gql("mutation { updateSettings(input: { deferralPhrases: [\"never matches\"] }) { organization { deferralPhrases } userErrors { code } } }", json!({}))
        .await;
    assert_eq!(
        data["updateSettings"]["organization"]["deferralPhrases"],
        json!(["never matches"])
    );
    let data = app
        .gql(
            "{ case(caseRef: \"c1\") { handoffs { flags } } siloReport { totals { deferralLanguage } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["siloReport"]["totals"]["deferralLanguage"], 0);
    assert_eq!(
        data["case"]["handoffs"][0]["flags"],
        json!(["DEFERRAL_TO_CX", "SILO", "OWNED_DEFERRAL"])
    );
}

#[tokio::test]
async fn windows_count_handoffs_by_their_second_interaction_and_compare_periods() {
    let app = spawn_app().await;
    small_org(&app).await;
    app.record(json!([
        item(
            "b1",
            "c1",
            "2026-01-31T23:00:00Z",
            "Sales",
            Some("Call"),
            None
        ),
        item("b2", "c1", "2026-02-01T00:00:00Z", "CX", None, None),
        item("b3", "c2", "2026-02-10T00:00:00Z", "Billing", None, None),
        item("b4", "c2", "2026-02-10T00:00:00Z", "Sales", None, None),
        item("b5", "c3", "2026-01-15T00:00:00Z", "Billing", None, None),
    ]))
    .await;
    let february = json!({ "from": "2026-02-01T00:00:00Z", "to": "2026-03-01T00:00:00Z" });
    assert_eq!(
        totals(&app, february.clone()).await,
        json!({ "cases": 2, "interactions": 3, "handoffs": 2, "siloHandoffs": 1, "ownedDeferrals": 1, "pingPongs": 0, "casesEndingAtCx": 1, "singlePointOfContactRate": 0.5, "meanFunctionsPerCase": 1.5 })
    );
    // A window not on midnights is answered from the steps, with the same figures.
    let shifted = json!({ "from": "2026-01-31T23:59:59.999999Z", "to": "2026-03-01T00:00:00.5Z" });
    assert_eq!(
        totals(&app, shifted).await,
        totals(&app, february.clone()).await
    );
    let empty = totals(
        &app,
        json!({ "from": "2025-01-01T00:00:00Z", "to": "2025-02-01T00:00:00Z" }),
    )
    .await;
    assert_eq!(
        (
            empty["cases"].clone(),
            empty["singlePointOfContactRate"].clone()
        ),
        (json!(0), Value::Null)
    );
    let data = app
        .gql(
            "query($w: WindowInput) { siloReport(window: $w, compareTo: [PREVIOUS_PERIOD, SAME_PERIOD_LAST_YEAR]) { comparisons { period window { from to } totals { interactions } delta { interactions handoffs } } } }",
            json!({ "w": february }),
        )
        .await;
    let comparisons = &data["siloReport"]["comparisons"];
    // February is a whole month: the period before is January (rules §5).
    assert_eq!(
        comparisons[0]["window"]["from"],
        "2026-01-01T00:00:00+00:00"
    );
    assert_eq!(comparisons[0]["totals"]["interactions"], 2);
    assert_eq!(
        comparisons[0]["delta"],
        json!({ "interactions": 1, "handoffs": 2 })
    );
    assert_eq!(
        comparisons[1]["window"]["from"],
        "2025-02-01T00:00:00+00:00"
    );
    let (_, body) = app
        .post(
            Some(&app.admin()),
            "{ siloReport(compareTo: [PREVIOUS_PERIOD]) { totals { cases } } }",
            json!({}),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
}

/// A random log: (externalId, case, second, function) with ties in time.
fn logs() -> impl Strategy<Value = Vec<(u32, u8, u8, u8)>> {
    prop::collection::vec((0u32..10_000, 0u8..4, 0u8..6, 0u8..3), 1..25)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, .. ProptestConfig::default() })]
    #[test]
    fn any_order_and_batching_gives_the_sorted_result(log in logs(), seed in 0u64..1000) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async move {
            let functions = ["Sales", "Billing", "CX"];
            let mut items: Vec<Value> = log
                .iter()
                .enumerate()
                .map(|(i, (id, case, second, function))| {
                    item(&format!("e{id:05}-{i}"), &format!("c{case}"), &format!("2026-03-01T00:00:0{second}Z"), functions[*function as usize], Some("Call"), None)
                })
                .collect();
            let sorted_app = spawn_app().await;
            small_org(&sorted_app).await;
            items.sort_by(|a, b| (a["occurredAt"].as_str(), a["externalId"].as_str()).cmp(&(b["occurredAt"].as_str(), b["externalId"].as_str())));
            sorted_app.record(json!(items)).await;

            let shuffled_app = spawn_app().await;
            small_org(&shuffled_app).await;
            use rand::{seq::SliceRandom, Rng, SeedableRng};
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            items.shuffle(&mut rng);
            let mut rest = items.clone();
            while !rest.is_empty() {
                let n = rng.random_range(1..=rest.len());
                shuffled_app.record(json!(rest.drain(..n).collect::<Vec<_>>())).await;
            }
            // Re-sending a subset changes nothing.
            let resent = shuffled_app.record(json!(items[..items.len() / 2].to_vec())).await;
            assert_eq!(resent["recorded"], 0);

            let query = "{ siloReport { totals { cases interactions handoffs siloHandoffs pingPongs casesEndingAtCx singlePointOfContactRate meanFunctionsPerCase } } handoffs(first: 100) { edges { node { caseRef at from { name } to { name } flags } } } }";
            let (sorted, shuffled) = (sorted_app.gql(query, json!({})).await, shuffled_app.gql(query, json!({})).await);
            assert_eq!(sorted["siloReport"], shuffled["siloReport"]);
            // The daily rollups kept up by shuffled batches give what the steps give.
            let raw = totals(&shuffled_app, json!({ "from": "2000-01-01T00:00:00.000001Z" })).await;
            assert_eq!(raw, totals(&shuffled_app, Value::Null).await);
            // Handoffs of different cases at one instant list in recording order: compare as sets.
            let set = |v: &Value| {
                let mut edges: Vec<String> = v["handoffs"]["edges"].as_array().unwrap().iter().map(|e| e.to_string()).collect();
                edges.sort();
                edges
            };
            assert_eq!(set(&sorted), set(&shuffled));
        });
    }
}
