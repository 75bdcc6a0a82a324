//! Trends and the organization's time zone: each point is its period's report, periods
//! begin at local midnight across daylight-saving changes, and nothing read is stale.

use api::server::auth::AccessRole;
use chrono::{DateTime, Datelike, NaiveTime, TimeZone, Timelike};
use chrono_tz::Tz;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::fixture::{interactions, load_org};
use crate::helpers::{item, spawn_app, TestApp};

const TOTALS: &str = "cases interactions handoffs siloHandoffs deferralsToCx ownedDeferrals pingPongs customerBurden deferralLanguage casesEndingAtCx singlePointOfContactRate meanFunctionsPerCase deferralRate";

/// The figures a trend sums over its points (the rates are not sums).
const ADDITIVE: [&str; 10] = [
    "interactions",
    "handoffs",
    "siloHandoffs",
    "deferralsToCx",
    "ownedDeferrals",
    "pingPongs",
    "customerBurden",
    "deferralLanguage",
    "casesEndingAtCx",
    "cases",
];

async fn set_time_zone(app: &TestApp, zone: &str) -> Value {
    app.gql(
        "mutation($tz: String!) { updateSettings(input: { timeZone: $tz }) { organization { timeZone } userErrors { code path message } } }",
        json!({ "tz": zone }),
    )
    .await["updateSettings"]
        .clone()
}

async fn trend(app: &TestApp, from: &str, to: &str, granularity: &str) -> Value {
    let query = format!(
        "query($from: DateTime!, $to: DateTime!, $g: Granularity!) {{ siloTrend(from: $from, to: $to, granularity: $g, compareTo: [PREVIOUS_PERIOD, SAME_PERIOD_LAST_YEAR]) {{ granularity timeZone points {{ window {{ from to }} totals {{ {TOTALS} }} byFunction {{ function {{ name }} handoffsOut siloHandoffs casesTouched }} comparisons {{ period window {{ from to }} totals {{ {TOTALS} }} delta {{ siloHandoffs deferralRate }} }} }} }} }}"
    );
    app.gql(&query, json!({ "from": from, "to": to, "g": granularity }))
        .await["siloTrend"]
        .clone()
}

async fn report(app: &TestApp, from: &str, to: &str) -> Value {
    let query = format!(
        "query($from: DateTime!, $to: DateTime!) {{ siloReport(window: {{ from: $from, to: $to }}) {{ totals {{ {TOTALS} }} byFunction {{ function {{ name }} handoffsOut siloHandoffs casesTouched }} }} }}"
    );
    app.gql(&query, json!({ "from": from, "to": to })).await["siloReport"].clone()
}

fn micros(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_micros()
}

fn instant(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .unwrap()
        .to_rfc3339()
}

/// Every point is the report of its window, read from the rollups, and the same
/// window moved back a microsecond (read from the steps, since it starts off
/// midnight) holds the same interactions at this log's whole seconds. Its comparisons
/// are the reports of the period before and of the period a year earlier. Returns the
/// points.
async fn assert_points_are_reports(app: &TestApp, trend: &Value, zone: Tz) -> Vec<Value> {
    let points = trend["points"].as_array().unwrap().clone();
    for (i, point) in points.iter().enumerate() {
        let (from, to) = (
            point["window"]["from"].as_str().unwrap(),
            point["window"]["to"].as_str().unwrap(),
        );
        // Periods begin at a local midnight (or the first instant after one the
        // clock skipped).
        let local = DateTime::parse_from_rfc3339(from)
            .unwrap()
            .with_timezone(&zone);
        let skipped = matches!(
            zone.from_local_datetime(&local.date_naive().and_time(NaiveTime::MIN)),
            chrono::LocalResult::None
        );
        assert!(
            local.time() == NaiveTime::MIN || (skipped && local.hour() < 2),
            "{zone}: {from} is {local}"
        );
        let from_rollups = report(app, from, to).await;
        assert_eq!(point["totals"], from_rollups["totals"], "{zone} {from}");
        assert_eq!(
            point["byFunction"], from_rollups["byFunction"],
            "{zone} {from}"
        );
        let from_steps = report(app, &instant(micros(from) - 1), &instant(micros(to) - 1)).await;
        assert_eq!(
            point["totals"], from_steps["totals"],
            "{zone} {from} (steps)"
        );

        let comparisons = point["comparisons"].as_array().unwrap();
        assert_eq!(comparisons[0]["period"], "PREVIOUS_PERIOD");
        assert_eq!(
            comparisons[0]["window"]["to"], from,
            "previous period ends here"
        );
        if i > 0 {
            assert_eq!(comparisons[0]["window"], points[i - 1]["window"]);
            assert_eq!(comparisons[0]["totals"], points[i - 1]["totals"]);
        }
        let year_ago = &comparisons[1];
        assert_eq!(year_ago["period"], "SAME_PERIOD_LAST_YEAR");
        let w = &year_ago["window"];
        let earlier = report(app, w["from"].as_str().unwrap(), w["to"].as_str().unwrap()).await;
        assert_eq!(year_ago["totals"], earlier["totals"]);
    }
    points
}

fn assert_sums(points: &[Value], whole: &Value) {
    for figure in ADDITIVE {
        if figure == "cases" {
            continue; // a case can be in two periods
        }
        let sum: i64 = points
            .iter()
            .map(|p| p["totals"][figure].as_i64().unwrap())
            .sum();
        assert_eq!(sum, whole["totals"][figure].as_i64().unwrap(), "{figure}");
    }
}

#[tokio::test]
async fn trend_points_are_the_reports_of_their_local_periods() {
    let app = spawn_app().await;
    load_org(&app).await;
    let payload = app.record(json!(interactions())).await;
    assert_eq!(payload["userErrors"], json!([]));
    // Zones with summer time in either hemisphere, a half-hour change, and odd offsets.
    for zone in [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kathmandu",
    ] {
        let set = set_time_zone(&app, zone).await;
        assert_eq!(set["userErrors"], json!([]));
        assert_eq!(set["organization"]["timeZone"], zone);
        let tz: Tz = zone.parse().unwrap();
        for granularity in ["MONTH", "WEEK", "QUARTER"] {
            let trend = trend(
                &app,
                "2026-01-15T00:00:00Z",
                "2026-10-20T00:00:00Z",
                granularity,
            )
            .await;
            assert_eq!(trend["timeZone"], zone);
            assert_eq!(trend["granularity"], granularity);
            let points = assert_points_are_reports(&app, &trend, tz).await;
            let first = points[0]["window"]["from"].as_str().unwrap();
            let last = points.last().unwrap()["window"]["to"].as_str().unwrap();
            assert_sums(&points, &report(&app, first, last).await);
            let local = DateTime::parse_from_rfc3339(first)
                .unwrap()
                .with_timezone(&tz);
            match granularity {
                "MONTH" => assert_eq!((local.month(), local.day()), (1, 1)),
                "QUARTER" => assert_eq!((local.month(), local.day()), (1, 1)),
                _ => assert_eq!(local.weekday(), chrono::Weekday::Mon),
            }
        }
    }
}

/// A random log dense around the daylight-saving changes of a random zone, by day:
/// each point is its local day's report, and the points add up to the whole.
#[tokio::test]
async fn daily_points_across_daylight_saving_add_up_to_the_whole() {
    let app = spawn_app().await;
    let functions = ["Sales", "Billing", "Support", "CX"];
    for (i, name) in functions.iter().enumerate() {
        app.create_function(name, i == 3).await;
    }
    app.create_touchpoint("Phone").await;
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let zones = [
        "Europe/Berlin",
        "America/New_York",
        "Australia/Sydney",
        "America/Santiago",
        "Asia/Beirut",
    ];
    let zone = zones[rng.random_range(0..zones.len())];
    let tz: Tz = zone.parse().unwrap();
    // Days around each change of 2025 in that zone.
    let mut changes = Vec::new();
    for day in 0..365 {
        let noon = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + chrono::Days::new(day);
        let at = |d: chrono::NaiveDate| tz.from_utc_datetime(&d.and_hms_opt(12, 0, 0).unwrap());
        if at(noon).offset().to_string() != at(noon + chrono::Days::new(1)).offset().to_string() {
            changes.push(noon);
        }
    }
    assert!(!changes.is_empty(), "{zone} changes its clocks in 2025");
    let mut log = Vec::new();
    for (c, change) in changes.iter().enumerate() {
        let start = tz
            .from_utc_datetime(&change.and_hms_opt(0, 0, 0).unwrap())
            .timestamp()
            - 3 * 86_400;
        for case in 0..40 {
            let mut at = start + rng.random_range(0..6 * 86_400);
            for step in 0..rng.random_range(1..6) {
                log.push(item(
                    &format!("dst-{c}-{case}-{step}"),
                    &format!("DST-{c}-{case}"),
                    &instant(at * 1_000_000),
                    functions[rng.random_range(0..functions.len())],
                    Some("Phone"),
                    rng.random_bool(0.3)
                        .then_some("not my job, ask the CX team"),
                ));
                at += rng.random_range(600..30 * 3600);
            }
        }
    }
    let payload = app.record(json!(log)).await;
    assert_eq!(payload["userErrors"], json!([]));
    assert_eq!(set_time_zone(&app, zone).await["userErrors"], json!([]));
    for change in changes {
        let from = tz.from_utc_datetime(
            &(change - chrono::Days::new(4))
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        );
        let to = tz.from_utc_datetime(
            &(change + chrono::Days::new(5))
                .and_hms_opt(0, 0, 0)
                .unwrap(),
        );
        let trend = trend(&app, &from.to_rfc3339(), &to.to_rfc3339(), "DAY").await;
        let points = assert_points_are_reports(&app, &trend, tz).await;
        assert!(points.len() >= 9, "{zone}: {} days", points.len());
        let first = points[0]["window"]["from"].as_str().unwrap();
        let last = points.last().unwrap()["window"]["to"].as_str().unwrap();
        assert_sums(&points, &report(&app, first, last).await);
        // The day of the change is 23 or 25 hours long (or 23.5, 24.5).
        let lengths: Vec<i64> = points
            .iter()
            .map(|p| {
                micros(p["window"]["to"].as_str().unwrap())
                    - micros(p["window"]["from"].as_str().unwrap())
            })
            .collect();
        assert!(
            lengths.iter().any(|l| *l != 86_400_000_000),
            "{zone}: no day of another length among {lengths:?}"
        );
    }
}

async fn read(app: &TestApp) -> i64 {
    report(app, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z").await["totals"]["siloHandoffs"]
        .as_i64()
        .unwrap()
}

#[tokio::test]
async fn a_report_read_after_a_write_includes_it() {
    let app = spawn_app().await;
    load_org(&app).await;
    app.record(json!(interactions())).await;
    let before = read(&app).await;
    assert_eq!(read(&app).await, before, "the same answer twice");
    // One more SILO handoff: Sales passes a case to Customer Experience.
    let payload = app
        .record(json!([
            item(
                "fresh-1",
                "FRESH-1",
                "2026-06-01T10:00:00Z",
                "Sales",
                None,
                None
            ),
            item(
                "fresh-2",
                "FRESH-1",
                "2026-06-01T11:00:00Z",
                "Customer Experience",
                None,
                None
            ),
        ]))
        .await;
    assert_eq!(payload["newSiloHandoffs"], 1);
    assert_eq!(read(&app).await, before + 1, "recorded, then read");
    // The chart changes what counts: without a CX team there is no silo handoff.
    let cx = app
        .gql("{ functions(first: 100, filter: { name: \"Customer Experience\" }) { edges { node { id } } } }", json!({}))
        .await["functions"]["edges"][0]["node"]["id"]
        .clone();
    let changed = app
        .gql(
            "mutation($id: ID!) { updateFunction(id: $id, input: { isCxTeam: false }) { userErrors { message } } }",
            json!({ "id": cx }),
        )
        .await;
    assert_eq!(changed["updateFunction"]["userErrors"], json!([]));
    assert_eq!(read(&app).await, 0, "the chart changed, then read");
}

#[tokio::test]
async fn bad_time_zones_and_trends_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let set = set_time_zone(&app, "Mars/Olympus_Mons").await;
    assert_eq!(set["userErrors"][0]["code"], "INVALID");
    assert_eq!(set["userErrors"][0]["path"], json!(["input", "timeZone"]));
    assert!(set["userErrors"][0]["message"]
        .as_str()
        .unwrap()
        .contains("Mars/Olympus_Mons"));
    let org = app.gql("{ organization { timeZone } }", json!({})).await;
    assert_eq!(org["organization"]["timeZone"], "UTC");

    let ask = |from: &str, to: &str, g: &str| {
        json!({ "query": "query($f: DateTime!, $t: DateTime!, $g: Granularity!) { siloTrend(from: $f, to: $t, granularity: $g) { points { totals { cases } } } }",
                "variables": { "f": from, "t": to, "g": g } })
    };
    for (body, says) in [
        (
            ask("2026-02-01T00:00:00Z", "2026-01-01T00:00:00Z", "DAY"),
            "before",
        ),
        (
            ask("2020-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "DAY"),
            "at most 400 points",
        ),
        (
            ask("2026-01-01T00:00:00", "2026-02-01T00:00:00Z", "DAY"),
            "offset",
        ),
    ] {
        let response = app
            .client
            .post(format!("{}/graphql", app.address))
            .bearer_auth(app.admin())
            .json(&body)
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        let error = &body["errors"][0];
        assert_eq!(error["extensions"]["code"], "BAD_USER_INPUT", "{body}");
        assert!(error["message"].as_str().unwrap().contains(says), "{body}");
    }
}

#[tokio::test]
async fn a_year_ago_is_taken_in_the_organizations_time_zone() {
    let app = spawn_app().await;
    assert_eq!(
        set_time_zone(&app, "Europe/Berlin").await["userErrors"],
        json!([])
    );
    // July 2026 in Berlin (summer time) against July 2025 in Berlin.
    let data = app
        .gql(
            "{ siloReport(window: { from: \"2026-06-30T22:00:00Z\", to: \"2026-07-31T22:00:00Z\" }, compareTo: [SAME_PERIOD_LAST_YEAR]) { comparisons { window { from to } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        data["siloReport"]["comparisons"][0]["window"],
        json!({ "from": "2025-06-30T22:00:00+00:00", "to": "2025-07-31T22:00:00+00:00" })
    );
    // February 2028 (a leap year) by month: a year earlier is February 2027.
    let trend = trend(
        &app,
        "2028-02-10T00:00:00Z",
        "2028-02-11T00:00:00Z",
        "MONTH",
    )
    .await;
    assert_eq!(
        trend["points"][0]["comparisons"][1]["window"],
        json!({ "from": "2027-01-31T23:00:00+00:00", "to": "2027-02-28T23:00:00+00:00" })
    );
}

/// What one replica keeps (reports and answers) is never read after another replica
/// wrote: the organization's revision, raised by the write, is part of every key.
#[tokio::test]
async fn a_replica_never_answers_from_before_another_replicas_write() {
    let first = crate::helpers::spawn_app_with(|settings| {
        settings.metrics_token = Some(secrecy::SecretString::from("m".to_owned()));
    })
    .await;
    load_org(&first).await;
    first.record(json!(interactions())).await;
    let second = first.replica().await;
    let before = read(&first).await;
    assert_eq!(read(&first).await, before, "kept, and the same");
    let payload = second
        .record(json!([
            item(
                "replica-1",
                "REPLICA-1",
                "2026-07-01T10:00:00Z",
                "Sales",
                None,
                None
            ),
            item(
                "replica-2",
                "REPLICA-1",
                "2026-07-01T11:00:00Z",
                "Customer Experience",
                None,
                None
            ),
        ]))
        .await;
    assert_eq!(payload["newSiloHandoffs"], 1);
    assert_eq!(
        read(&first).await,
        before + 1,
        "written by the other replica"
    );
    let metrics = first
        .client
        .get(format!("{}/metrics", first.address))
        .bearer_auth("m")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("siloscope_query_answers_total{outcome=\"hit\"}"),
        "{metrics}"
    );
}

/// An answer belongs to its caller: the same document for another subject or other
/// roles is executed for them.
#[tokio::test]
async fn answers_are_kept_per_caller() {
    let app = spawn_app().await;
    let query = "{ viewer { subject roles } }";
    for (subject, role) in [
        ("ana", AccessRole::Viewer),
        ("bob", AccessRole::Viewer),
        ("ana", AccessRole::Admin),
        ("ana", AccessRole::Viewer),
    ] {
        let token = app.keys_mint(subject, role);
        let (_, body) = app.post(Some(&token), query, json!({})).await;
        assert_eq!(body["data"]["viewer"]["subject"], subject);
        assert_eq!(body["data"]["viewer"]["roles"], json!([role_name(role)]));
    }
}

fn role_name(role: AccessRole) -> &'static str {
    match role {
        AccessRole::Viewer => "VIEWER",
        AccessRole::Editor => "EDITOR",
        AccessRole::Integration => "INTEGRATION",
        AccessRole::Admin => "ADMIN",
    }
}

/// `PREVIOUS_PERIOD` has one meaning: a window of whole calendar periods in the
/// organization's time zone is compared with the same number of periods just before
/// it (February for March, Q1 for Q2, the week before), any other window with the
/// window of equal length before it; the report's figures are those of that window.
#[tokio::test]
async fn the_period_before_a_calendar_period_is_the_calendar_period_before_it() {
    let app = spawn_app().await;
    app.gql(
        "mutation { updateSettings(input: { timeZone: \"Europe/Berlin\" }) { userErrors { message } } }",
        json!({}),
    )
    .await;
    let report = "query($w: WindowInput!) { siloReport(window: $w, compareTo: [PREVIOUS_PERIOD]) { comparisons { window { from to } } } }";
    let before = |from: &str, to: &str| {
        let app = &app;
        let variables = json!({ "w": { "from": from, "to": to } });
        async move {
            let data = app.gql(report, variables).await;
            let window = &data["siloReport"]["comparisons"][0]["window"];
            let end = |key: &str| {
                chrono::DateTime::parse_from_rfc3339(window[key].as_str().unwrap())
                    .unwrap()
                    .timestamp()
            };
            (end("from"), end("to"))
        }
    };
    let at = |text: &str| {
        chrono::DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp()
    };
    // March in Berlin (summer time from 29 March) → February.
    assert_eq!(
        before("2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00").await,
        (
            at("2026-02-01T00:00:00+01:00"),
            at("2026-03-01T00:00:00+01:00")
        )
    );
    // Q2 → Q1.
    assert_eq!(
        before("2026-04-01T00:00:00+02:00", "2026-07-01T00:00:00+02:00").await,
        (
            at("2026-01-01T00:00:00+01:00"),
            at("2026-04-01T00:00:00+02:00")
        )
    );
    // The ISO week across the clock change (Monday 23 March) → the week before.
    assert_eq!(
        before("2026-03-30T00:00:00+02:00", "2026-04-06T00:00:00+02:00").await,
        (
            at("2026-03-23T00:00:00+01:00"),
            at("2026-03-30T00:00:00+02:00")
        )
    );
    // Not whole days: the same length before.
    assert_eq!(
        before("2026-03-10T12:00:00Z", "2026-03-11T12:00:00Z").await,
        (at("2026-03-09T12:00:00Z"), at("2026-03-10T12:00:00Z"))
    );
}
