//! Concurrent writers: eight clients record batches of 500 through
//! `recordInteractions` into shared cases while four clients read the dashboard's
//! report, against one writer alone on the same server and log. Checks that nothing is
//! lost and nothing fails; prints a Markdown table.
//!
//! ```sh
//! cargo bench --bench writers -- --base 40000 --interactions 40000 --db sqlite,postgres
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;
use serde_json::{json, Value};

mod support;
use support::{graphql_input, start, Server};

#[derive(Parser, Debug)]
struct Args {
    /// Interactions recorded before the timed runs.
    #[arg(long, default_value_t = 40_000)]
    base: usize,
    /// Interactions recorded by each timed run (one writer, then all writers).
    #[arg(long, default_value_t = 40_000)]
    interactions: usize,
    /// Concurrent writers.
    #[arg(long, default_value_t = 8)]
    writers: usize,
    /// Concurrent readers of the dashboard report while the writers run.
    #[arg(long, default_value_t = 4)]
    readers: usize,
    /// Interactions per recordInteractions call.
    #[arg(long, default_value_t = 500)]
    batch: usize,
    /// Databases: sqlite, postgres.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    db: Vec<String>,
    /// `cargo bench` passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

const RECORD: &str = "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { recorded duplicates userErrors { message } } }";
const DASHBOARD: &str = "query($w: WindowInput) { siloReport(window: $w, compareTo: [PREVIOUS_PERIOD]) { totals { cases handoffs siloHandoffs deferralsToCx singlePointOfContactRate } comparisons { delta { siloHandoffs deferralsToCx } } byFunction { function { name } handoffsOut siloHandoffs deferralRate } } }";
const COUNT: &str = "{ siloReport { totals { interactions } } }";

/// Records `items` in batches; returns how many were recorded.
async fn record(server: &Server, items: &[Value], batch: usize) -> anyhow::Result<u64> {
    let mut recorded = 0;
    for chunk in items.chunks(batch) {
        let data = server.post(RECORD, json!({ "input": chunk })).await?;
        let payload = &data["recordInteractions"];
        if payload["userErrors"] != json!([]) {
            bail!("userErrors: {}", payload["userErrors"]);
        }
        recorded += payload["recorded"].as_u64().unwrap_or(0);
    }
    Ok(recorded)
}

async fn interactions(server: &Server) -> anyhow::Result<u64> {
    let data = server.post(COUNT, json!({})).await?;
    Ok(data["siloReport"]["totals"]["interactions"]
        .as_u64()
        .unwrap_or(0))
}

/// The generator's next `n` interactions, whole cases, as GraphQL input.
fn next_items(generator: &mut api::demo::LogGenerator, n: usize) -> Vec<Value> {
    generator.batch(n).iter().map(graphql_input).collect()
}

struct Run {
    rate: f64,
    seconds: f64,
    reads: u64,
    read_errors: u64,
}

/// All writers at once, each with its share of `items`, while the readers loop.
async fn concurrent(
    server: &Arc<Server>,
    items: Vec<Value>,
    args: &Args,
    window: &Value,
) -> anyhow::Result<(Run, u64)> {
    // Interaction i goes to writer i mod n: every case is written by several writers.
    let mut shares: Vec<Vec<Value>> = vec![Vec::new(); args.writers];
    for (i, item) in items.into_iter().enumerate() {
        shares[i % args.writers].push(item);
    }
    let done = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let read_errors = Arc::new(AtomicU64::new(0));
    let mut readers = Vec::new();
    for _ in 0..args.readers {
        let (server, done, reads, errors) = (
            server.clone(),
            done.clone(),
            reads.clone(),
            read_errors.clone(),
        );
        let window = window.clone();
        readers.push(tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                match server.post(DASHBOARD, window.clone()).await {
                    Ok(_) => reads.fetch_add(1, Ordering::Relaxed),
                    Err(_) => errors.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    let started = Instant::now();
    let mut writers = Vec::new();
    for share in shares {
        let server = server.clone();
        let batch = args.batch;
        writers.push(tokio::spawn(
            async move { record(&server, &share, batch).await },
        ));
    }
    let mut recorded = 0;
    let mut failure = None;
    for writer in writers {
        match writer.await? {
            Ok(n) => recorded += n,
            Err(error) => failure = Some(error),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.await?;
    }
    if let Some(error) = failure {
        bail!("a writer failed: {error}");
    }
    let run = Run {
        rate: recorded as f64 / seconds,
        seconds,
        reads: reads.load(Ordering::Relaxed),
        read_errors: read_errors.load(Ordering::Relaxed),
    };
    Ok((run, recorded))
}

async fn run(kind: &str, args: &Args) -> anyhow::Result<()> {
    let url = support::fresh_database(kind, "siloscope_writers_bench").await?;
    let server = Arc::new(start(&url).await?);
    let now = chrono::Utc::now().timestamp();
    let mut generator = api::demo::LogGenerator::new(23, now);
    record(&server, &next_items(&mut generator, args.base), 1_000).await?;
    let window = json!({ "w": {
        "from": chrono::DateTime::from_timestamp(now - 30 * 86_400, 0).unwrap().to_rfc3339(),
        "to": chrono::DateTime::from_timestamp(now, 0).unwrap().to_rfc3339(),
    }});

    let before = interactions(&server).await?;
    let items = next_items(&mut generator, args.interactions);
    let expected = items.len() as u64;
    let started = Instant::now();
    let recorded = record(&server, &items, args.batch).await?;
    let seconds = started.elapsed().as_secs_f64();
    let single = recorded as f64 / seconds;
    let after_single = interactions(&server).await?;
    println!(
        "| {kind} | 1 writer, no readers | **{single:.0}** | {seconds:.1} s | — | {} of {expected} |",
        after_single - before
    );

    let items = next_items(&mut generator, args.interactions);
    let expected = items.len() as u64;
    let (run, recorded) = concurrent(&server, items, args, &window).await?;
    let after = interactions(&server).await?;
    let lost = expected.saturating_sub(after - after_single);
    println!(
        "| {kind} | {} writers, {} readers | **{:.0}** ({:.0}% of one writer) | {:.1} s | {} reads, {} failed | {} of {expected} ({recorded} reported, {lost} lost) |",
        args.writers,
        args.readers,
        run.rate,
        run.rate / single * 100.0,
        run.seconds,
        run.reads,
        run.read_errors,
        after - after_single,
    );
    drop(server);
    // Let the server's port and connections go before the next database.
    tokio::time::sleep(Duration::from_millis(200)).await;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!(
        "Base log {} interactions; each run records {} more in batches of {}.\n",
        args.base, args.interactions, args.batch
    );
    println!(
        "| database | clients | interactions/s | wall | dashboard reads | in the log afterwards |"
    );
    println!("|---|---|---|---|---|---|");
    for kind in &args.db {
        run(kind, &args).await?;
    }
    Ok(())
}
