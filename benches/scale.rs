//! The scale benchmark: records a generated log through the real HTTP endpoint of a
//! `siloscope serve` child process, then times the report queries. Prints tables.
//!
//! ```sh
//! cargo bench --bench scale -- --sizes 10000,100000,1000000 --db sqlite,postgres
//! ```
//!
//! PostgreSQL is reached at SILOSCOPE_BENCH_POSTGRES_URL (default
//! postgres://postgres@127.0.0.1:5432/postgres); the benchmark creates and drops a
//! database `siloscope_bench` there.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use sea_orm::{ConnectionTrait, Database};
use secrecy::SecretString;
use serde_json::{json, Value};

const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";

#[derive(Parser, Debug)]
struct Args {
    /// Log sizes (interactions), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
    sizes: Vec<usize>,
    /// Databases: sqlite, postgres.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    db: Vec<String>,
    /// Timed runs of each query (after one warm-up).
    #[arg(long, default_value_t = 9)]
    runs: usize,
    /// Interactions per recordInteractions call.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// `cargo bench` passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

struct Server {
    child: Child,
    url: String,
    client: reqwest::Client,
    token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    async fn post(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body: Value = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if let Some(errors) = body.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(body["data"].clone())
    }

    /// Peak resident set of the server process, in MiB.
    fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

/// A fresh database URL for one run.
async fn fresh_database(kind: &str) -> anyhow::Result<String> {
    match kind {
        "sqlite" => {
            let path = std::env::temp_dir().join("siloscope_bench.db");
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            Ok(format!("sqlite://{}?mode=rwc", path.display()))
        }
        "postgres" => {
            let admin_url = std::env::var("SILOSCOPE_BENCH_POSTGRES_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let admin = Database::connect(&admin_url)
                .await
                .context("PostgreSQL is not reachable")?;
            admin
                .execute_unprepared("DROP DATABASE IF EXISTS siloscope_bench WITH (FORCE)")
                .await?;
            admin
                .execute_unprepared("CREATE DATABASE siloscope_bench")
                .await?;
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin_url);
            Ok(format!("{base}/siloscope_bench"))
        }
        other => bail!("unknown database `{other}` (sqlite or postgres)"),
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Creates the demo organization's model, then starts `siloscope serve` on it.
async fn start(database_url: &str) -> anyhow::Result<Server> {
    let db = api::db::connect(database_url, 2).await?;
    api::db::migrate(&db).await?;
    api::demo::create_model(&db, "bench", 42).await?;
    db.close().await?;

    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_siloscope"));
    for (name, _) in std::env::vars().filter(|(k, _)| k.starts_with("SILOSCOPE_")) {
        command.env_remove(name);
    }
    let child = command
        .arg("serve")
        .env("SILOSCOPE_DATABASE_URL", database_url)
        .env("SILOSCOPE_LISTEN", format!("127.0.0.1:{port}"))
        .env("SILOSCOPE_JWT_SECRET", SECRET)
        .env(
            "SILOSCOPE_LOG",
            std::env::var("BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::null())
        .spawn()
        .context("failed to start siloscope serve")?;
    let keys = api::auth::TokenKeys::new(&api::config::JwtSettings {
        secret: Some(SecretString::from(SECRET.to_owned())),
        issuer: None,
        audience: None,
    });
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}/graphql"),
        client: reqwest::Client::new(),
        token: keys.mint("bench", "bench", &[api::auth::AccessRole::Admin], 24 * 3600)?,
    };
    let ready = format!("http://127.0.0.1:{port}/readyz");
    for _ in 0..200 {
        if server
            .client
            .get(&ready)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("siloscope serve did not become ready")
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn time_query(
    server: &Server,
    runs: usize,
    query: &str,
    variables: Value,
) -> anyhow::Result<(f64, f64)> {
    server.post(query, variables.clone()).await?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        server.post(query, variables.clone()).await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok((percentile(&times, 0.5), percentile(&times, 0.95)))
}

const REPORT: &str = "query($w: WindowInput) { siloReport(window: $w) { totals { cases interactions handoffs siloHandoffs deferralsToCx ownedDeferrals pingPongs customerBurden deferralLanguage casesEndingAtCx singlePointOfContactRate meanFunctionsPerCase } byFunction { function { name } handoffsOut siloHandoffs deferralRate casesTouched } byTouchpoint { touchpoint { name } handoffs siloHandoffs } } }";
const NETWORK: &str = "{ handoffNetwork { edges { from { name } to { name } count flags { siloHandoffs } } handoverOfWork { from { name } to { name } weight } } }";
const CASE: &str = "query($c: String!) { case(caseRef: $c) { interactions { occurredAt function { name } } handoffs { flags } } }";
const SILO_PAGE: &str = "{ handoffs(first: 50, filter: { flags: [SILO] }) { edges { node { caseRef at from { name } to { name } } } } }";

async fn run(kind: &str, size: usize, args: &Args) -> anyhow::Result<Vec<String>> {
    let url = fresh_database(kind).await?;
    let server = start(&url).await?;
    let now = chrono::Utc::now().timestamp();
    let mut generator = api::demo::LogGenerator::new(7, now);
    let record = "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { recorded userErrors { message } } }";
    let (mut recorded, started) = (0usize, Instant::now());
    while recorded < size {
        let batch = generator.batch(args.batch.min(size - recorded));
        let data = server.post(record, json!({ "input": batch })).await?;
        if data["recordInteractions"]["userErrors"] != json!([]) {
            bail!(
                "recording failed: {}",
                data["recordInteractions"]["userErrors"]
            );
        }
        recorded += batch.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut rows = vec![format!("| {kind} | {recorded} | recordInteractions (batches of {}) | {:.0} interactions/s | {seconds:.1} s total |", args.batch, recorded as f64 / seconds)];

    let month = json!({
        "from": chrono::DateTime::from_timestamp(now - 60 * 86_400, 0).unwrap().to_rfc3339(),
        "to": chrono::DateTime::from_timestamp(now - 30 * 86_400, 0).unwrap().to_rfc3339(),
    });
    let queries: [(&str, &str, Value); 5] = [
        ("siloReport, whole range", REPORT, json!({})),
        ("siloReport, one month", REPORT, json!({ "w": month })),
        ("handoffNetwork, whole range", NETWORK, json!({})),
        ("case(caseRef:)", CASE, json!({ "c": "DEMO-000123" })),
        ("handoffs, first 50 SILO", SILO_PAGE, json!({})),
    ];
    for (name, query, variables) in queries {
        let (median, p95) = time_query(&server, args.runs, query, variables).await?;
        rows.push(format!(
            "| {kind} | {recorded} | {name} | {median:.1} ms median | {p95:.1} ms p95 |"
        ));
    }
    rows.push(format!(
        "| {kind} | {recorded} | server peak RSS | {:.0} MiB | |",
        server.peak_rss_mib()
    ));
    Ok(rows)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!("| database | interactions | operation | figure | |");
    println!("|---|---|---|---|---|");
    for kind in &args.db {
        for &size in &args.sizes {
            for row in run(kind, size, &args).await? {
                println!("{row}");
            }
        }
    }
    Ok(())
}
