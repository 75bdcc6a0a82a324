//! One tenant cannot stall the service: eight clients of one organization send the
//! heaviest report request its limits allow (twelve monthly `siloReport`s over
//! windows off midnight, each compared with the previous period) in a loop, while a
//! client of another organization sends `{ viewer { subject } }` one after another.
//! Prints the cheap request's latency (p50, p99, max) with and without the load, and
//! what the heavy clients got. Markdown table.
//!
//! ```sh
//! cargo bench --bench fairness -- --base 100000 --seconds 10 --db sqlite,postgres
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use serde_json::{json, Value};

mod support;
use support::{graphql_input, SECRET};

#[derive(Parser, Debug)]
struct Args {
    /// Interactions recorded before the runs.
    #[arg(long, default_value_t = 100_000)]
    base: usize,
    /// Seconds of each run.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Concurrent clients sending the heavy request.
    #[arg(long, default_value_t = 8)]
    heavy: usize,
    /// Databases: sqlite, postgres.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    db: Vec<String>,
    /// `cargo bench` passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

const RECORD: &str = "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { userErrors { message } } }";

/// Twelve monthly reports ending at `now`, each window starting at 09:30 (off
/// midnight: read from the steps, not the daily rollups), compared with the
/// previous period: within the default complexity budget.
fn heavy_query(now: i64) -> String {
    let at = |t: i64| {
        chrono::DateTime::from_timestamp(t - t.rem_euclid(86_400) + 9 * 3600 + 1800, 0)
            .unwrap()
            .to_rfc3339()
    };
    let month = 30 * 86_400;
    let fields: Vec<String> = (0..12)
        .map(|i| {
            let to = now - i * month;
            format!(
                "m{i}: siloReport(window: {{ from: \"{}\", to: \"{}\" }}, compareTo: [PREVIOUS_PERIOD]) {{ totals {{ handoffs siloHandoffs }} }}",
                at(to - month),
                at(to)
            )
        })
        .collect();
    format!("{{ {} }}", fields.join(" "))
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

/// Sends the cheap query one after another for `seconds`; returns sorted latencies.
async fn cheap_latencies(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    seconds: u64,
) -> anyhow::Result<Vec<Duration>> {
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut times = Vec::new();
    while Instant::now() < until {
        let started = Instant::now();
        let body: Value = client
            .post(url)
            .bearer_auth(token)
            .json(&json!({ "query": "{ viewer { subject } }" }))
            .send()
            .await?
            .json()
            .await?;
        times.push(started.elapsed());
        if body.get("errors").is_some() {
            bail!("the cheap query failed: {body}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    times.sort();
    Ok(times)
}

async fn run(kind: &str, args: &Args) -> anyhow::Result<()> {
    let url = support::fresh_database(kind, "siloscope_fairness_bench").await?;
    // Without the caches: every heavy request computes, as the first ones after a
    // write would (with them, repeated requests are answered from memory).
    let server = Arc::new(support::start_with(&url, &[("SILOSCOPE_CACHE_MIB", "0")]).await?);
    let db = service::upgrade::open(&service::storage::db::DbOptions::new(&url, 1), false).await?;
    api::demo::create_model(&db, "other", 5).await?;
    db.close().await?;
    let now = chrono::Utc::now().timestamp();
    let mut generator = api::demo::LogGenerator::new(31, now);
    let mut recorded = 0;
    while recorded < args.base {
        let items: Vec<Value> = generator.batch(1_000).iter().map(graphql_input).collect();
        recorded += items.len();
        let data = server.post(RECORD, json!({ "input": items })).await?;
        if data["recordInteractions"]["userErrors"] != json!([]) {
            bail!("recording failed: {data}");
        }
    }
    let keys = api::server::auth::TokenKeys::new(&api::server::config::JwtSettings::hs256(SECRET));
    let other = keys.mint(
        "other",
        "other",
        &[api::server::auth::AccessRole::Viewer],
        3600,
    )?;

    let idle = cheap_latencies(&server.client, &server.url, &other, 3).await?;
    println!(
        "| {kind} | no load | {:.1} ms | {:.1} ms | {:.1} ms | — | — |",
        percentile(&idle, 0.5),
        percentile(&idle, 0.99),
        percentile(&idle, 1.0)
    );

    let query = heavy_query(now);
    let done = Arc::new(AtomicBool::new(false));
    let (answered, refused, failed) = (
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
        Arc::new(AtomicU64::new(0)),
    );
    let heavy_times = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut clients = Vec::new();
    for _ in 0..args.heavy {
        let (server, done, query) = (server.clone(), done.clone(), query.clone());
        let (answered, refused, failed, times) = (
            answered.clone(),
            refused.clone(),
            failed.clone(),
            heavy_times.clone(),
        );
        clients.push(tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let sent = server
                    .client
                    .post(&server.url)
                    .bearer_auth(&server.token)
                    .json(&json!({ "query": query }))
                    .send()
                    .await;
                let body: Option<Value> = match sent {
                    Ok(response) => response.json().await.ok(),
                    Err(_) => None,
                };
                match body {
                    Some(body) if body.get("errors").is_none() => {
                        answered.fetch_add(1, Ordering::Relaxed);
                        times.lock().unwrap().push(started.elapsed());
                    }
                    Some(body) if body.to_string().contains("TOO_MANY_REQUESTS") => {
                        refused.fetch_add(1, Ordering::Relaxed);
                    }
                    _ => {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    // Let the heavy clients fill the server first.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let loaded = cheap_latencies(&server.client, &server.url, &other, args.seconds).await?;
    done.store(true, Ordering::Relaxed);
    for client in clients {
        client.await?;
    }
    let mut heavy = heavy_times.lock().unwrap().clone();
    heavy.sort();
    println!(
        "| {kind} | {} clients of one organization, heavy requests | {:.1} ms | {:.1} ms | {:.1} ms | {} answered (p50 {:.0} ms) | {} refused TOO_MANY_REQUESTS, {} failed otherwise |",
        args.heavy,
        percentile(&loaded, 0.5),
        percentile(&loaded, 0.99),
        percentile(&loaded, 1.0),
        answered.load(Ordering::Relaxed),
        percentile(&heavy, 0.5),
        refused.load(Ordering::Relaxed),
        failed.load(Ordering::Relaxed),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "Base log {} interactions; each heavy request is twelve monthly reports off midnight, each compared with the previous period.\n",
        args.base
    );
    println!("| database | load | other organization's `{{ viewer {{ subject }} }}` p50 | p99 | max | heavy requests | heavy refused |");
    println!("|---|---|---|---|---|---|---|");
    for kind in &args.db {
        run(kind, &args).await?;
    }
    Ok(())
}
