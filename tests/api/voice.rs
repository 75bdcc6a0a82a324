//! What customers say, against the silos: the fixture's feedback gives every figure
//! the independent oracle (tests/data/voice.py) computed, through `recordFeedback` in
//! any order and batching and through `POST /import/feedback`; bad items write nothing.

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use crate::fixture::{interactions, load_org, read};
use crate::helpers::{spawn_app, TestApp};

const VOICE: &str = r#"query($w: WindowInput, $c: [ComparisonPeriod!]!) {
  voiceReport(window: $w, compareTo: $c) {
    minResponses
    figures { ...V }
    comparisons { period window { from to } figures { ...V } }
  }
}
fragment F on SurveyFigures { offered answered responseRate meanScore topBoxRate nps }
fragment S on ScoreFigures { meanScore topBoxRate }
fragment V on VoiceFigures {
  surveys { kind overall { ...F } buckets { siloHandoffs figures { ...F } } raw { ...S } reweighted { ...S } gap { ...S } }
  complaints { total buckets { siloHandoffs complaints } withTopBox }
  absorbed { function { name } kind lastTouch { answers meanScore } touched { answers meanScore } }
  findings { kind severity feedbackKind message responseRateWithSilos responseRateWithoutSilos rawTopBoxRate reweightedTopBoxRate }
}"#;

const RECORD: &str = r#"mutation($input: [FeedbackInput!]!) {
  recordFeedback(input: $input) { recorded answered duplicates userErrors { path message code } }
}"#;

/// The fixture's feedback as API inputs, in file order.
fn feedback() -> Vec<Value> {
    let text = read("feedback.csv");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            let optional = |s: &str| if s.is_empty() { Value::Null } else { json!(s) };
            json!({
                "externalId": &r[0],
                "caseRef": &r[1],
                "kind": &r[2],
                "at": &r[3],
                "answeredAt": optional(&r[4]),
                "score": if r[5].is_empty() { Value::Null } else { json!(r[5].parse::<i64>().unwrap()) },
                "channel": optional(&r[6]),
                "comment": optional(&r[7]),
            })
        })
        .collect()
}

fn bucket(name: &str) -> &'static str {
    match name {
        "NONE" => "0",
        "ONE" => "1",
        "TWO" => "2",
        "THREE_OR_MORE" => "3+",
        other => panic!("no bucket {other}"),
    }
}

/// The API's figures in the oracle's shape.
fn oracle_shape(figures: &Value) -> Value {
    let mut kinds = Map::new();
    for survey in figures["surveys"].as_array().unwrap() {
        let mut buckets = Map::new();
        for b in survey["buckets"].as_array().unwrap() {
            buckets.insert(
                bucket(b["siloHandoffs"].as_str().unwrap()).into(),
                b["figures"].clone(),
            );
        }
        kinds.insert(
            survey["kind"].as_str().unwrap().into(),
            json!({
                "overall": survey["overall"], "buckets": buckets,
                "raw": survey["raw"], "reweighted": survey["reweighted"], "gap": survey["gap"],
            }),
        );
    }
    let c = &figures["complaints"];
    let mut complaint_buckets = Map::new();
    for b in c["buckets"].as_array().unwrap() {
        complaint_buckets.insert(
            bucket(b["siloHandoffs"].as_str().unwrap()).into(),
            b["complaints"].clone(),
        );
    }
    let mut absorbed = Map::new();
    for row in figures["absorbed"].as_array().unwrap() {
        let name = row["function"]["name"].as_str().unwrap();
        let entry = absorbed.entry(name.to_owned()).or_insert_with(|| json!({}));
        entry[row["kind"].as_str().unwrap()] =
            json!({ "lastTouch": row["lastTouch"], "touched": row["touched"] });
    }
    let findings: Vec<Value> = figures["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["kind"], "SCORES_HIDE_SILOS");
            assert_eq!(f["severity"], "WARNING");
            assert!(f["message"].as_str().unwrap().contains(" %"), "{f}");
            json!({
                "kind": f["feedbackKind"],
                "responseRateWithSilos": f["responseRateWithSilos"],
                "responseRateWithoutSilos": f["responseRateWithoutSilos"],
                "rawTopBoxRate": f["rawTopBoxRate"],
                "reweightedTopBoxRate": f["reweightedTopBoxRate"],
            })
        })
        .collect();
    json!({
        "kinds": kinds,
        "complaints": { "total": c["total"], "buckets": complaint_buckets, "withTopBox": c["withTopBox"] },
        "absorbed": absorbed,
        "findings": findings,
    })
}

/// Equal, numbers to 1e-9.
fn assert_same(what: &str, got: &Value, want: &Value) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            let mut gk: Vec<&String> = g.keys().collect();
            let mut wk: Vec<&String> = w.keys().collect();
            gk.sort();
            wk.sort();
            assert_eq!(gk, wk, "{what}: keys");
            for (k, v) in w {
                assert_same(&format!("{what}.{k}"), &g[k], v);
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            assert_eq!(g.len(), w.len(), "{what}: length");
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                assert_same(&format!("{what}[{i}]"), a, b);
            }
        }
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap(), b.as_f64().unwrap());
            assert!((a - b).abs() < 1e-9, "{what}: got {a}, want {b}");
        }
        _ => assert_eq!(got, want, "{what}"),
    }
}

async fn set_min_responses(app: &TestApp, min: i64) {
    let data = app
        .gql(
            "mutation($m: Int!) { updateSettings(input: { minResponses: $m }) { organization { minResponses } userErrors { message } } }",
            json!({ "m": min }),
        )
        .await;
    assert_eq!(data["updateSettings"]["userErrors"], json!([]));
}

/// Every window of voice.json, compared with the API's report.
async fn assert_matches_oracle(app: &TestApp, only_whole_log: bool) {
    let expected: Value = serde_json::from_str(&read("voice.json")).unwrap();
    for window in expected["windows"].as_array().unwrap() {
        let name = window["name"].as_str().unwrap();
        if only_whole_log && !window["from"].is_null() {
            continue;
        }
        set_min_responses(app, window["minResponses"].as_i64().unwrap()).await;
        let input = json!({ "from": window["from"], "to": window["to"] });
        let data = app
            .gql(VOICE, json!({ "w": input, "c": window["compareTo"] }))
            .await;
        let report = &data["voiceReport"];
        assert_eq!(report["minResponses"], window["minResponses"], "{name}");
        assert_same(name, &oracle_shape(&report["figures"]), &window["report"]);
        let comparisons = report["comparisons"].as_array().unwrap();
        let wanted = window["comparisons"].as_array().unwrap();
        assert_eq!(comparisons.len(), wanted.len(), "{name}");
        for (got, want) in comparisons.iter().zip(wanted) {
            let what = format!("{name} / {}", want["period"]);
            assert_eq!(got["period"], want["period"], "{what}");
            for end in ["from", "to"] {
                let g = chrono::DateTime::parse_from_rfc3339(got["window"][end].as_str().unwrap());
                let w = chrono::DateTime::parse_from_rfc3339(want[end].as_str().unwrap());
                assert_eq!(g.unwrap(), w.unwrap(), "{what} {end}");
            }
            assert_same(&what, &oracle_shape(&got["figures"]), &want["report"]);
        }
    }
}

async fn load_log(app: &TestApp, seed: u64) {
    load_org(app).await;
    let mut log = interactions();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    log.shuffle(&mut rng);
    for batch in log.chunks(200) {
        let payload = app.record(json!(batch)).await;
        assert_eq!(payload["userErrors"], json!([]));
    }
}

#[tokio::test]
async fn the_fixture_gives_every_voice_figure_in_any_order_and_batching() {
    let app = spawn_app().await;
    load_log(&app, 30).await;
    let mut items = feedback();
    let mut rng = rand::rngs::StdRng::seed_from_u64(31);
    // First every survey as offered only, in shuffled batches; then everything again,
    // answers included, in another order: the answers are added, the rest duplicates.
    let offered: Vec<Value> = items
        .iter()
        .map(|i| {
            let mut i = i.clone();
            i["answeredAt"] = Value::Null;
            i["score"] = Value::Null;
            i
        })
        .collect();
    let answers = items.iter().filter(|i| !i["score"].is_null()).count() as i64;
    let mut recorded = 0;
    for batch in offered.chunks(97) {
        let data = app.gql(RECORD, json!({ "input": batch })).await;
        assert_eq!(data["recordFeedback"]["userErrors"], json!([]));
        recorded += data["recordFeedback"]["recorded"].as_i64().unwrap();
    }
    assert_eq!(recorded, items.len() as i64);
    items.shuffle(&mut rng);
    let (mut answered, mut duplicates) = (0, 0);
    while !items.is_empty() {
        let size = rng.random_range(1..=120).min(items.len());
        let batch: Vec<Value> = items.drain(..size).collect();
        let data = app.gql(RECORD, json!({ "input": batch })).await;
        let payload = &data["recordFeedback"];
        assert_eq!(payload["userErrors"], json!([]));
        assert_eq!(payload["recorded"], 0);
        answered += payload["answered"].as_i64().unwrap();
        duplicates += payload["duplicates"].as_i64().unwrap();
    }
    assert_eq!(answered, answers);
    assert_eq!(answered + duplicates, recorded);
    assert_matches_oracle(&app, false).await;

    // Every trend point carries the voice report of its own period.
    let trend = app
        .gql(
            "query { siloTrend(from: \"2026-01-01T00:00:00Z\", to: \"2027-01-01T00:00:00Z\", granularity: QUARTER) { points { window { from to } voice { ...V } } } } fragment F on SurveyFigures { offered answered responseRate meanScore topBoxRate nps } fragment S on ScoreFigures { meanScore topBoxRate } fragment V on VoiceFigures { surveys { kind overall { ...F } buckets { siloHandoffs figures { ...F } } raw { ...S } reweighted { ...S } gap { ...S } } complaints { total buckets { siloHandoffs complaints } withTopBox } absorbed { function { name } kind lastTouch { answers meanScore } touched { answers meanScore } } findings { kind severity feedbackKind message responseRateWithSilos responseRateWithoutSilos rawTopBoxRate reweightedTopBoxRate } }",
            json!({}),
        )
        .await;
    let points = trend["siloTrend"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    let mut offered = 0;
    for point in points {
        let report = app
            .gql(VOICE, json!({ "w": point["window"], "c": [] }))
            .await;
        assert_eq!(
            point["voice"], report["voiceReport"]["figures"],
            "{}",
            point["window"]
        );
        offered += point["voice"]["surveys"][0]["overall"]["offered"]
            .as_i64()
            .unwrap();
    }
    assert!(offered > 0);
}

#[tokio::test]
async fn the_import_door_gives_the_same_figures_and_importing_twice_records_nothing_new() {
    let app = spawn_app().await;
    load_log(&app, 32).await;
    let post = |query: &'static str| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(format!("{}/import/feedback?{query}", app.address))
                .bearer_auth(app.admin())
                .header("Content-Type", "text/csv")
                .body(read("feedback.csv"))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let rows = feedback().len() as i64;
    let (status, dry) = post("dry_run=true").await;
    assert_eq!((status, &dry["committed"]), (200, &json!(false)), "{dry}");
    assert_eq!(dry["recorded"], rows);
    let (status, first) = post("").await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(
        (&first["recorded"], &first["rejected"]),
        (&json!(rows), &json!(0))
    );
    let (_, again) = post("").await;
    assert_eq!(
        (&again["recorded"], &again["duplicates"]),
        (&json!(0), &json!(rows))
    );
    assert_matches_oracle(&app, true).await;
}

#[tokio::test]
async fn a_bad_item_writes_nothing_and_names_what_to_fix() {
    let app = spawn_app().await;
    load_log(&app, 33).await;
    let case = interactions()[0]["caseRef"].clone();
    let good = json!({ "externalId": "ok-1", "caseRef": case, "kind": "CSAT", "at": "2026-06-01T10:00:00Z", "answeredAt": "2026-06-01T11:00:00Z", "score": 5 });
    let mut unknown_case = good.clone();
    unknown_case["externalId"] = json!("bad-1");
    unknown_case["caseRef"] = json!("no-such-case");
    let mut out_of_range = good.clone();
    out_of_range["externalId"] = json!("bad-2");
    out_of_range["kind"] = json!("CES");
    out_of_range["score"] = json!(8);
    let mut answered_before = good.clone();
    answered_before["externalId"] = json!("bad-3");
    answered_before["answeredAt"] = json!("2026-06-01T09:00:00Z");
    let mut scored_complaint = good.clone();
    scored_complaint["externalId"] = json!("bad-4");
    scored_complaint["kind"] = json!("COMPLAINT");
    let mut half_answered = good.clone();
    half_answered["externalId"] = json!("bad-5");
    half_answered["answeredAt"] = Value::Null;
    let batch = json!([
        good,
        unknown_case,
        out_of_range,
        answered_before,
        scored_complaint,
        half_answered
    ]);
    let data = app.gql(RECORD, json!({ "input": batch })).await;
    let payload = &data["recordFeedback"];
    assert_eq!(payload["recorded"], 0);
    let fields: Vec<String> = payload["userErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            e["path"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
                .join(".")
        })
        .collect();
    assert_eq!(
        fields,
        [
            "input.1.caseRef",
            "input.2.score",
            "input.3.answeredAt",
            "input.4.score",
            "input.5.answeredAt"
        ],
        "{payload}"
    );
    let report = app
        .gql(
            "{ voiceReport { figures { surveys { overall { offered } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        report["voiceReport"]["figures"]["surveys"][0]["overall"]["offered"],
        0
    );

    // Recorded once; the same externalId with another score is a CONFLICT.
    let data = app.gql(RECORD, json!({ "input": [batch[0]] })).await;
    assert_eq!(data["recordFeedback"]["recorded"], 1);
    let mut other = batch[0].clone();
    other["score"] = json!(1);
    let data = app.gql(RECORD, json!({ "input": [other] })).await;
    assert_eq!(data["recordFeedback"]["userErrors"][0]["code"], "CONFLICT");
}
