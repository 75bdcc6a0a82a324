//! The demo a newcomer sees first: a log that runs up to today, so the dashboard's
//! default (the last complete month) is a normal month with a year earlier to compare.

use chrono::{Datelike, TimeZone, Utc};
use serde_json::{json, Value};

use crate::helpers::spawn_app;

/// The first instant of the month `back` months before the current one (UTC).
fn month_start(back: i32) -> chrono::DateTime<Utc> {
    let now = Utc::now();
    let months = now.year() * 12 + now.month0() as i32 - back;
    Utc.with_ymd_and_hms(
        months.div_euclid(12),
        months.rem_euclid(12) as u32 + 1,
        1,
        0,
        0,
        0,
    )
    .unwrap()
}

#[tokio::test]
async fn the_demos_last_complete_month_is_a_normal_month_with_a_year_earlier_to_compare() {
    let app = spawn_app().await;
    api::demo::create(&app.service_db().await, "demo", 2026, 6000)
        .await
        .unwrap();
    let token = app.token("demo", &[api::server::auth::AccessRole::Viewer]);
    let (status, body) = app
        .post(
            Some(&token),
            "query($from: DateTime!, $to: DateTime!) { siloTrend(from: $from, to: $to, granularity: MONTH, compareTo: [PREVIOUS_PERIOD, SAME_PERIOD_LAST_YEAR]) { points { window { from } totals { cases siloHandoffs } comparisons { period window { from to } totals { cases } } } } }",
            json!({ "from": month_start(12).to_rfc3339(), "to": month_start(0).to_rfc3339() }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let points = body["data"]["siloTrend"]["points"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(points.len(), 12);
    let cases: Vec<i64> = points
        .iter()
        .map(|p| p["totals"]["cases"].as_i64().unwrap())
        .collect();
    let mean = cases.iter().sum::<i64>() as f64 / cases.len() as f64;
    let last = &points[11];
    let last_cases = cases[11] as f64;
    assert!(
        (last_cases - mean).abs() < 0.35 * mean,
        "the last complete month has {last_cases} cases against a mean of {mean:.0}: {cases:?}"
    );
    let comparison = |period: &str| -> Value {
        last["comparisons"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["period"] == period)
            .cloned()
            .unwrap()
    };
    // The period before is the month before, and a year earlier is not empty.
    assert_eq!(
        comparison("PREVIOUS_PERIOD")["window"]["from"],
        points[10]["window"]["from"]
    );
    let year_ago = comparison("SAME_PERIOD_LAST_YEAR")["totals"]["cases"]
        .as_f64()
        .unwrap();
    assert!(year_ago > 0.5 * mean, "a year earlier had {year_ago} cases");
    // The story: silos shrink over the year.
    let silos: Vec<i64> = points
        .iter()
        .map(|p| p["totals"]["siloHandoffs"].as_i64().unwrap())
        .collect();
    let first_half: i64 = silos[..6].iter().sum();
    let second_half: i64 = silos[6..].iter().sum();
    assert!(second_half < first_half, "silos grow: {silos:?}");

    // And what customers say: over the last year the raw CSAT flatters, because the
    // customers who were passed on answer less; the finding says so.
    let (status, body) = app
        .post(
            Some(&token),
            "query($w: WindowInput!) { voiceReport(window: $w) { figures { surveys { kind overall { offered answered } buckets { siloHandoffs figures { responseRate } } raw { topBoxRate } reweighted { topBoxRate } } findings { feedbackKind } complaints { total } } } }",
            json!({ "w": { "from": month_start(12).to_rfc3339(), "to": month_start(0).to_rfc3339() } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let figures = &body["data"]["voiceReport"]["figures"];
    let csat = &figures["surveys"][0];
    assert!(
        csat["overall"]["answered"].as_i64().unwrap() >= 30,
        "{csat}"
    );
    let rate = |bucket: usize| {
        csat["buckets"][bucket]["figures"]["responseRate"]
            .as_f64()
            .unwrap()
    };
    assert!(
        rate(1) < rate(0) / 2.0,
        "bounced customers answer less: {csat}"
    );
    assert!(
        csat["raw"]["topBoxRate"].as_f64() > csat["reweighted"]["topBoxRate"].as_f64(),
        "{csat}"
    );
    assert_eq!(figures["findings"][0]["feedbackKind"], "CSAT", "{figures}");
    assert!(figures["complaints"]["total"].as_i64().unwrap() > 0);
}
