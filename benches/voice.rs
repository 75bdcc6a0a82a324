//! The voice benchmark: `voiceReport` over the whole history of an organization with
//! the demo's chart, a generated log of `--interactions` interactions (imported with
//! `siloscope import interactions`) and the demo generator's surveys and complaints
//! for those cases, cut to `--surveys` (imported with `siloscope import feedback`).
//! Computed is the first read after a write (a one-item `recordFeedback` raises the
//! organization's revision before each one), cached a repeated read. Beside it: the
//! floor, one plain SQL statement that groups the feedback by kind (the least any
//! report over the feedback must read). Prints a Markdown table.
//!
//! `cargo bench --bench voice -- --interactions 1000000 --surveys 200000 --db sqlite,postgres`

use std::time::Instant;

use anyhow::Context;
use clap::Parser;
use sea_orm::{ConnectionTrait, Database};
use serde_json::json;

mod support;

#[derive(Parser, Debug)]
struct Args {
    /// Interactions in the log.
    #[arg(long, default_value_t = 100_000)]
    interactions: usize,
    /// Surveys and complaints (at most what the generator makes for the log's cases).
    #[arg(long, default_value_t = 20_000)]
    surveys: usize,
    /// Databases: sqlite, postgres.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    db: Vec<String>,
    /// Timed reads of each kind.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// `cargo bench` passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

const REPORT: &str = "{ voiceReport { figures { surveys { kind overall { offered answered responseRate meanScore topBoxRate nps } buckets { siloHandoffs figures { offered answered responseRate meanScore topBoxRate } } raw { meanScore topBoxRate } reweighted { meanScore topBoxRate } } complaints { total withTopBox } absorbed { function { name } kind lastTouch { answers meanScore } touched { answers meanScore } } findings { feedbackKind message } } } }";

/// Writes the log (gzipped CSV) and the feedback of its cases (CSV).
fn write_files(
    log: &std::path::Path,
    feedback: &std::path::Path,
    interactions: usize,
    surveys: usize,
) -> anyhow::Result<(usize, usize)> {
    let written = support::write_log(log, interactions, support::Order::Case)?;
    // The same generator, seed and clock as `write_log`: the same cases.
    let mut generator = api::demo::LogGenerator::new(7, chrono::Utc::now().timestamp());
    let mut cases = std::collections::HashSet::new();
    let mut said = Vec::new();
    let mut seen = 0;
    while seen < written {
        let batch = generator.batch(10_000.min(written - seen));
        if batch.is_empty() {
            break;
        }
        seen += batch.len();
        cases.extend(batch.into_iter().map(|i| i.case_ref));
        said.extend(generator.take_feedback());
    }
    // Only cases the (possibly cut) log holds, and at most `surveys` of them.
    said.retain(|f| cases.contains(&f.case_ref));
    said.truncate(surveys);
    let mut out = csv::Writer::from_path(feedback)?;
    out.write_record(api::logs::feedback::COLUMNS)?;
    for f in &said {
        out.write_record([
            f.external_id.as_str(),
            &f.case_ref,
            &f.kind,
            &f.at,
            f.answered_at.as_deref().unwrap_or(""),
            &f.score.map(|s| s.to_string()).unwrap_or_default(),
            f.channel.as_deref().unwrap_or(""),
            f.comment.as_deref().unwrap_or(""),
        ])?;
    }
    out.flush()?;
    Ok((written, said.len()))
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-voice");
    std::fs::create_dir_all(&dir)?;
    let log = dir.join("log.csv.gz");
    let feedback = dir.join("feedback.csv");
    let (interactions, surveys) = write_files(&log, &feedback, args.interactions, args.surveys)?;
    println!("| database | interactions | feedback | computed (median) | cached (median) | floor | computed × floor |");
    println!("|---|---|---|---|---|---|---|");
    for kind in &args.db {
        let url = support::fresh_database(kind, "siloscope_voice_bench").await?;
        let db =
            service::upgrade::open(&service::storage::db::DbOptions::new(&url, 2), true).await?;
        api::demo::create_model(&db, "bench", 7).await?;
        db.close().await?;
        support::import(&url, &log)?;
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_siloscope"))
            .args(["import", "feedback"])
            .arg(&feedback)
            .args(["--org", "bench"])
            .env("SILOSCOPE_DATABASE_URL", &url)
            .env("SILOSCOPE_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .status()?;
        anyhow::ensure!(status.success(), "the feedback import failed");
        let server = support::serve(&url, &[]).await?;
        let first_case: String = {
            let raw = Database::connect(&url).await?;
            let row = raw
                .query_one_raw(sea_orm::Statement::from_string(
                    raw.get_database_backend(),
                    "SELECT case_ref FROM customer_case ORDER BY id LIMIT 1",
                ))
                .await?
                .context("a case")?;
            row.try_get_by_index(0)?
        };
        let (mut computed, mut cached) = (Vec::new(), Vec::new());
        for run in 0..args.runs {
            // A write first: the next read is computed, not answered from the cache.
            let write = server
                .post(
                    "mutation($i: [FeedbackInput!]!) { recordFeedback(input: $i) { recorded userErrors { message } } }",
                    json!({ "i": [{ "externalId": format!("bench-{run}"), "caseRef": first_case, "kind": "COMPLAINT", "at": "2026-01-01T00:00:00Z" }] }),
                )
                .await?;
            anyhow::ensure!(write["recordFeedback"]["recorded"] == 1, "{write}");
            let started = Instant::now();
            let answer = server.post(REPORT, json!({})).await?;
            computed.push(started.elapsed().as_secs_f64() * 1000.0);
            anyhow::ensure!(answer["voiceReport"].is_object(), "{answer}");
            let started = Instant::now();
            server.post(REPORT, json!({})).await?;
            cached.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let raw = Database::connect(&url).await?;
        let mut floors = Vec::new();
        for _ in 0..args.runs {
            let started = Instant::now();
            raw.query_all_raw(sea_orm::Statement::from_string(
                raw.get_database_backend(),
                "SELECT kind, count(*), count(score), sum(score) FROM feedback GROUP BY kind",
            ))
            .await?;
            floors.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let (computed, cached, floor) = (median(computed), median(cached), median(floors));
        println!(
            "| {kind} | {interactions} | {surveys} | **{computed:.1} ms** | {cached:.1} ms | {floor:.1} ms | {:.1}× |",
            computed / floor
        );
    }
    Ok(())
}
