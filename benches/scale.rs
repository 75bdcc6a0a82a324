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
use sea_orm::{ConnectionTrait, DatabaseBackend, DatabaseConnection, Statement};

mod floor;
mod support;
use serde_json::{json, Value};
use support::{free_port, graphql_input, start, Server};

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
    /// How the log gets in: `record` (recordInteractions over HTTP, timed) or `import`
    /// (a generated CSV through `siloscope import interactions`, faster to set up).
    #[arg(long, default_value = "record")]
    load: String,
    /// Seconds of each sustained-load run (wrk, 16 connections).
    #[arg(long, default_value_t = 10)]
    load_seconds: u64,
    /// PostGraphile's CLI, to compare list queries with (PostgreSQL runs only).
    #[arg(long)]
    postgraphile: Option<String>,
    /// A Python with pm4py installed, to compare handover-of-work with.
    #[arg(long)]
    python: Option<String>,
    /// Also write the table (Markdown) to this file.
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    /// `cargo bench` passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
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
) -> anyhow::Result<((f64, f64), Value)> {
    let mut data = server.post(query, variables.clone()).await?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        data = server.post(query, variables.clone()).await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(((percentile(&times, 0.5), percentile(&times, 0.95)), data))
}

const REPORT: &str = "query($w: WindowInput) { siloReport(window: $w) { totals { cases interactions handoffs siloHandoffs deferralsToCx ownedDeferrals pingPongs customerBurden deferralLanguage casesEndingAtCx singlePointOfContactRate meanFunctionsPerCase } byFunction { function { name } handoffsOut siloHandoffs deferralRate casesTouched } byTouchpoint { touchpoint { name } handoffs siloHandoffs } } }";
const NETWORK: &str = "{ handoffNetwork { edges { from { name } to { name } count flags { siloHandoffs } } handoverOfWork { from { name } to { name } weight } } }";
const CASE: &str = "query($c: String!) { case(caseRef: $c) { interactions { occurredAt function { name } } handoffs { at from { name } to { name } flags } } }";
const SILO_PAGE: &str = "{ handoffs(first: 50, filter: { flags: [SILO] }) { edges { node { caseRef at from { name } to { name } } } } }";
/// The dashboard's main query: last month's report with the previous month beside it.
const DASHBOARD: &str = "query($w: WindowInput) { siloReport(window: $w, compareTo: [PREVIOUS_PERIOD]) { totals { cases handoffs siloHandoffs deferralsToCx singlePointOfContactRate } comparisons { delta { siloHandoffs deferralsToCx } } byFunction { function { name } handoffsOut siloHandoffs deferralRate } } }";
/// The list query compared with PostGraphile's.
/// A year by month with the year-ago series: what the dashboard's trend asks.
const TREND: &str = "query($f: DateTime!, $t: DateTime!) { siloTrend(from: $f, to: $t, granularity: MONTH, compareTo: [SAME_PERIOD_LAST_YEAR]) { points { window { from to } totals { cases handoffs siloHandoffs deferralRate customerBurden pingPongs } comparisons { totals { siloHandoffs } } } } }";
/// De facto ownership of every touchpoint, with the findings.
const OWNERSHIP: &str = "query($w: WindowInput) { touchpointOwnership(window: $w) { touchpoints { touchpoint { name } interactions shares { function { name } interactions share } deFactoOwner { function { name } } findings } findings { kind message } } }";
/// Promises kept at every touchpoint.
const PROMISES: &str = "query($w: WindowInput) { promiseReport(window: $w) { promises { touchpoint { name } element measured opportunities breaches breachRate } } }";
const FUNCTION_LIST: &str = "{ functions(first: 100) { nodes { name isCxTeam responsibilities { role touchpoint { name } } } } }";
const POSTGRAPHILE_LIST: &str = "{ allFunctions(first: 100) { nodes { name isCxTeam responsibilitiesByFunctionId { nodes { role touchpointByTouchpointId { name } } } } } }";

fn micros(value: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(value.as_str().unwrap_or_default())
        .map(|t| t.timestamp_micros())
        .unwrap_or(i64::MIN)
}

/// Names of the organization's functions and touchpoints by id.
async fn names(
    db: &DatabaseConnection,
    org: i64,
) -> anyhow::Result<std::collections::HashMap<(char, i64), String>> {
    let mut out = std::collections::HashMap::new();
    for (kind, table) in [('f', "function"), ('t', "touchpoint")] {
        let rows = db
            .query_all_raw(Statement::from_string(
                db.get_database_backend(),
                format!("SELECT id, name FROM {table} WHERE organization_id = {org}"),
            ))
            .await?;
        for row in rows {
            out.insert(
                (kind, row.try_get_by_index::<i64>(0)?),
                row.try_get_by_index::<String>(1)?,
            );
        }
    }
    Ok(out)
}

type Names = std::collections::HashMap<(char, i64), String>;

fn name(names: &Names, kind: char, id: i64) -> String {
    names.get(&(kind, id)).cloned().unwrap_or_default()
}

/// Checks `touchpointOwnership`'s shares against the floor's counts.
fn check_ownership(data: &Value, floor: &[(i64, i64, i64)], names: &Names) -> anyhow::Result<()> {
    let mut ours = Vec::new();
    for t in data["touchpointOwnership"]["touchpoints"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for s in t["shares"].as_array().into_iter().flatten() {
            ours.push((
                t["touchpoint"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                s["function"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                s["interactions"].as_i64().unwrap_or(-1),
            ));
        }
    }
    let mut theirs: Vec<(String, String, i64)> = floor
        .iter()
        .map(|(t, f, n)| (name(names, 't', *t), name(names, 'f', *f), *n))
        .collect();
    ours.sort();
    theirs.sort();
    if ours != theirs {
        bail!("touchpointOwnership's shares differ from the floor's counts");
    }
    Ok(())
}

/// Checks `promiseReport`'s measured figures against the floor's.
fn check_promises(data: &Value, floor: &[(i64, [i64; 4])], names: &Names) -> anyhow::Result<()> {
    let mut ours = std::collections::BTreeMap::new();
    for p in data["promiseReport"]["promises"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["measured"] == true)
    {
        let figures = [p["opportunities"].as_i64(), p["breaches"].as_i64()];
        ours.insert(
            (
                p["touchpoint"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                p["element"].as_str().unwrap_or_default().to_owned(),
            ),
            figures,
        );
    }
    for (tp, [spoc, spoc_breaches, prompt, prompt_breaches]) in floor {
        let tp = name(names, 't', *tp);
        for (element, want) in [
            ("SINGLE_POINT_OF_CONTACT", [*spoc, *spoc_breaches]),
            ("PROMPT", [*prompt, *prompt_breaches]),
        ] {
            let got = ours.get(&(tp.clone(), element.to_owned())).copied();
            if want[0] > 0 && got != Some([Some(want[0]), Some(want[1])]) {
                bail!("promiseReport {tp} {element}: {got:?}, the floor says {want:?}");
            }
        }
    }
    Ok(())
}

/// Checks a siloscope report against the floor's figures.
fn check_report(data: &Value, floor: &floor::FloorReport, names: &Names) -> anyhow::Result<()> {
    let t = &data["siloReport"]["totals"];
    let int = |k: &str| t[k].as_i64().unwrap_or(-1);
    let ours = vec![
        int("cases"),
        int("interactions"),
        int("handoffs"),
        int("siloHandoffs"),
        int("deferralsToCx"),
        int("ownedDeferrals"),
        int("pingPongs"),
        int("customerBurden"),
        int("deferralLanguage"),
        int("casesEndingAtCx"),
    ];
    if ours[..] != floor.totals[..10] {
        bail!(
            "totals differ: siloscope {ours:?}, floor {:?}",
            &floor.totals[..10]
        );
    }
    let cases = floor.totals[0].max(1) as f64;
    for (field, expected) in [
        ("singlePointOfContactRate", floor.totals[10] as f64 / cases),
        ("meanFunctionsPerCase", floor.totals[11] as f64 / cases),
    ] {
        let got = t[field].as_f64().unwrap_or(f64::NAN);
        if floor.totals[0] > 0 && (got - expected).abs() > 1e-9 {
            bail!("{field} differs: siloscope {got}, floor {expected}");
        }
    }
    for (list, entity, kind, count, rows) in [
        (
            "byFunction",
            "function",
            'f',
            "handoffsOut",
            &floor.by_function,
        ),
        (
            "byTouchpoint",
            "touchpoint",
            't',
            "handoffs",
            &floor.by_touchpoint,
        ),
    ] {
        // Rows with handoffs (the floor has no others), by name.
        let mut ours: Vec<(String, i64, i64)> = data["siloReport"][list]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| r[count].as_i64() > Some(0) && r[entity].is_object())
            .map(|r| {
                (
                    r[entity]["name"].as_str().unwrap_or_default().to_owned(),
                    r[count].as_i64().unwrap_or(-1),
                    r["siloHandoffs"].as_i64().unwrap_or(-1),
                )
            })
            .collect();
        let mut expected: Vec<(String, i64, i64)> = rows
            .iter()
            .map(|(id, n, silo)| (name(names, kind, *id), *n, *silo))
            .collect();
        ours.sort();
        expected.sort();
        if ours != expected {
            bail!("{list} differs: siloscope {ours:?}, floor {expected:?}");
        }
    }
    Ok(())
}

/// siloscope's handover-of-work weights, by "From->To".
fn weights(data: &Value) -> std::collections::BTreeMap<String, f64> {
    data["handoffNetwork"]["handoverOfWork"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|w| {
            (
                format!(
                    "{}->{}",
                    w["from"]["name"].as_str().unwrap_or_default(),
                    w["to"]["name"].as_str().unwrap_or_default()
                ),
                w["weight"].as_f64().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

fn check_network(data: &Value, floor: &floor::Network, names: &Names) -> anyhow::Result<()> {
    let mut edges: Vec<(String, String, i64, i64)> = data["handoffNetwork"]["edges"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["from"]["name"].as_str().unwrap_or_default().to_owned(),
                e["to"]["name"].as_str().unwrap_or_default().to_owned(),
                e["count"].as_i64().unwrap_or(-1),
                e["flags"]["siloHandoffs"].as_i64().unwrap_or(-1),
            )
        })
        .collect();
    let mut expected: Vec<(String, String, i64, i64)> = floor
        .0
        .iter()
        .map(|(f, t, n, s)| (name(names, 'f', *f), name(names, 'f', *t), *n, *s))
        .collect();
    edges.sort();
    expected.sort();
    if edges != expected {
        bail!("handoffNetwork edges differ from the floor's");
    }
    let total: i64 = floor.1.iter().map(|p| p.2).sum();
    let ours = weights(data);
    for (f, t, n) in &floor.1 {
        let key = format!("{}->{}", name(names, 'f', *f), name(names, 'f', *t));
        let expected = *n as f64 / total as f64;
        if ours.get(&key).is_none_or(|w| (w - expected).abs() > 1e-9) {
            bail!(
                "handover-of-work {key} differs: {:?} vs floor {expected}",
                ours.get(&key)
            );
        }
    }
    if ours.len() != floor.1.len() {
        bail!(
            "handover-of-work has {} pairs, the floor {}",
            ours.len(),
            floor.1.len()
        );
    }
    Ok(())
}

/// Times `f` like [`time_query`]: one warm-up, then `runs` timed calls; the last result.
async fn time_floor<T, F, Fut>(runs: usize, mut f: F) -> anyhow::Result<((f64, f64), T)>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let mut result = f().await?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        result = f().await?;
        times.push(start.elapsed());
    }
    times.sort();
    Ok(((percentile(&times, 0.5), percentile(&times, 0.95)), result))
}

/// Result of a sustained load run.
struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// Drives `url` with `wrk` (16 connections, `seconds` long) posting `body`.
fn wrk(url: &str, token: Option<&str>, body: &Value, seconds: u64) -> anyhow::Result<Load> {
    let dir = std::env::temp_dir().join("siloscope_bench_wrk");
    std::fs::create_dir_all(&dir)?;
    let script = dir.join("post.lua");
    let auth = token
        .map(|t| format!("wrk.headers[\"Authorization\"] = \"Bearer {t}\"\n"))
        .unwrap_or_default();
    std::fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n{auth}wrk.body = [==[{body}]==]\n"
        ),
    )?;
    let output = Command::new("wrk")
        .args(["-t", "2", "-c", &CLIENTS.to_string(), "-d"])
        .arg(format!("{seconds}s"))
        .args(["--latency", "--timeout", "30s"])
        .arg("-s")
        .arg(&script)
        .arg(url)
        .output()
        .context("wrk is not installed (scripts/bench.sh installs it)")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("Non-2xx")
        || text.contains("Socket errors: connect") && !text.contains("connect 0, read 0, write 0")
    {
        bail!("wrk saw failed requests:\n{text}");
    }
    let field = |prefix: &str| -> Option<&str> {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(str::trim)
    };
    let ms = |v: Option<&str>| -> f64 {
        let v = v.unwrap_or_default();
        let (number, scale) = if let Some(n) = v.strip_suffix("us") {
            (n, 0.001)
        } else if let Some(n) = v.strip_suffix("ms") {
            (n, 1.0)
        } else if let Some(n) = v.strip_suffix('s') {
            (n, 1000.0)
        } else {
            (v, f64::NAN)
        };
        number.parse::<f64>().map_or(f64::NAN, |n| n * scale)
    };
    Ok(Load {
        rps: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN),
        p50_ms: ms(field("50%")),
        p99_ms: ms(field("99%")),
    })
}

const CLIENTS: usize = 16;

/// PostGraphile serving the benchmark database, when its CLI was given.
struct Peer {
    child: Child,
    url: String,
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start_postgraphile(cli: &str, database_url: &str) -> anyhow::Result<Peer> {
    let port = free_port();
    let child = Command::new(cli)
        .args(["--connection", database_url, "--schema", "public"])
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--disable-query-log", "--disable-graphiql"])
        .env("NODE_ENV", "production")
        .stdout(Stdio::null())
        .spawn()
        .context("failed to start PostGraphile")?;
    let peer = Peer {
        child,
        url: format!("http://127.0.0.1:{port}/graphql"),
    };
    let client = reqwest::Client::new();
    for _ in 0..300 {
        let answer = client
            .post(&peer.url)
            .json(&json!({ "query": POSTGRAPHILE_LIST }))
            .send()
            .await;
        if let Ok(answer) = answer {
            let body: Value = answer.json().await.unwrap_or_default();
            if body.get("errors").is_some() {
                bail!("PostGraphile answered errors: {body}");
            }
            return Ok(peer);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("PostGraphile did not start")
}

/// Writes the log as CSV for PM4Py; runs the script; returns its seconds and weights.
fn pm4py(
    python: &str,
    csv_path: &std::path::Path,
) -> anyhow::Result<(f64, f64, std::collections::BTreeMap<String, f64>)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pm4py_handover.py");
    let output = Command::new(python)
        .arg(script)
        .arg(csv_path)
        .output()
        .context("failed to run PM4Py")?;
    if !output.status.success() {
        bail!("PM4Py failed: {}", String::from_utf8_lossy(&output.stderr));
    }
    let answer: Value = serde_json::from_slice(&output.stdout)?;
    let weights = answer["weights"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.clone(), v.as_f64().unwrap_or(f64::NAN)))
        .collect();
    Ok((
        answer["load_seconds"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        answer["discover_seconds"].as_f64().unwrap_or(f64::NAN) * 1000.0,
        weights,
    ))
}

/// Exports the organization's log as CSV (case, time, function) ordered as siloscope
/// orders it.
async fn export_csv(
    db: &DatabaseConnection,
    org: i64,
    path: &std::path::Path,
) -> anyhow::Result<()> {
    let order = match db.get_database_backend() {
        DatabaseBackend::Postgres => "i.occurred_at, i.external_id COLLATE \"C\" NULLS LAST, i.id",
        _ => "i.occurred_at, i.external_id IS NULL, i.external_id, i.id",
    };
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT c.case_ref, i.occurred_at, f.name FROM interaction i \
                 JOIN customer_case c ON c.id = i.case_id JOIN function f ON f.id = i.function_id \
                 WHERE i.organization_id = {org} ORDER BY i.case_id, {order}"
            ),
        ))
        .await?;
    let mut writer = csv::Writer::from_path(path)?;
    writer.write_record(["case", "time", "group"])?;
    for row in rows {
        let at = row.try_get_by_index::<i64>(1)?;
        let time = chrono::DateTime::from_timestamp_micros(at)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        writer.write_record([
            row.try_get_by_index::<String>(0)?,
            time,
            row.try_get_by_index::<String>(2)?,
        ])?;
    }
    writer.flush()?;
    Ok(())
}

struct Table {
    rows: Vec<String>,
    kind: String,
    size: usize,
}

/// The instants (µs) at `at` of each element of a JSON list.
fn instants(list: &Value, at: impl Fn(&Value) -> &Value) -> Vec<i64> {
    list.as_array()
        .into_iter()
        .flatten()
        .map(|item| micros(at(item)))
        .collect()
}

impl Table {
    /// A sustained-load row.
    fn load(&mut self, operation: &str, load: &Load, note: String) {
        self.row(
            operation,
            format!("**{:.0} req/s**", load.rps),
            format!("p50 {:.1} ms, p99 {:.1} ms", load.p50_ms, load.p99_ms),
            String::new(),
            note,
        );
    }

    /// A timed query's row beside the floor's time for the same figures.
    fn compared(&mut self, operation: &str, ours: (f64, f64), floor: (f64, f64)) {
        self.row(
            operation,
            format!("{:.1} ms", ours.0),
            format!("{:.1} ms", ours.1),
            format!("{:.1} ms", floor.0),
            format!("{:.2}×", ours.0 / floor.0),
        );
    }

    fn row(&mut self, operation: &str, figure: String, p95: String, floor: String, ratio: String) {
        let line = format!(
            "| {} | {} | {operation} | {figure} | {p95} | {floor} | {ratio} |",
            self.kind, self.size
        );
        println!("{line}");
        self.rows.push(line);
    }
}

/// Records a generated log of `size` through recordInteractions, timing it.
async fn record_log(
    server: &Server,
    size: usize,
    args: &Args,
    now: i64,
    table: &mut Table,
) -> anyhow::Result<()> {
    let mut generator = api::demo::LogGenerator::new(7, now);
    let record = "mutation($input: [InteractionInput!]!) { recordInteractions(input: $input) { recorded userErrors { message } } }";
    let (mut recorded, started) = (0usize, Instant::now());
    let mut batch_times = Vec::new();
    while recorded < size {
        let batch = generator.batch(args.batch.min(size - recorded));
        let batch_started = Instant::now();
        let input: Vec<Value> = batch.iter().map(graphql_input).collect();
        let data = server.post(record, json!({ "input": input })).await?;
        batch_times.push(batch_started.elapsed());
        if data["recordInteractions"]["userErrors"] != json!([]) {
            bail!(
                "recording failed: {}",
                data["recordInteractions"]["userErrors"]
            );
        }
        recorded += batch.len();
    }
    let seconds = started.elapsed().as_secs_f64();
    batch_times.sort();
    table.size = recorded;
    table.row(
        &format!("recordInteractions, batches of {}", args.batch),
        format!(
            "**{:.0} interactions/s** ({seconds:.1} s)",
            recorded as f64 / seconds
        ),
        format!(
            "batch {:.0} ms median, {:.0} ms p95",
            percentile(&batch_times, 0.5),
            percentile(&batch_times, 0.95)
        ),
        String::new(),
        String::new(),
    );
    Ok(())
}

async fn run(kind: &str, size: usize, args: &Args) -> anyhow::Result<Vec<String>> {
    let url = support::fresh_database(kind, "siloscope_bench").await?;
    let server = start(&url).await?;
    let now = chrono::Utc::now().timestamp();
    let mut table = Table {
        rows: Vec::new(),
        kind: kind.to_owned(),
        size,
    };
    if args.load == "import" {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-scale");
        std::fs::create_dir_all(&dir)?;
        let file = dir.join(format!("log-{size}.csv.gz"));
        let rows = support::write_log(&file, size, support::Order::Case)?;
        let (elapsed, peak, _) = support::import(&url, &file)?;
        table.size = rows;
        table.row(
            "siloscope import interactions (CLI), to set up",
            format!("{:.0} interactions/s", rows as f64 / elapsed.as_secs_f64()),
            format!(
                "{:.1} s, importer peak {peak:.0} MiB",
                elapsed.as_secs_f64()
            ),
            String::new(),
            String::new(),
        );
    } else {
        record_log(&server, size, args, now, &mut table).await?;
    }
    // The same database served without the caches: what a report costs to compute
    // (the first read after a write, on any replica).
    let cold = support::serve(&url, &[("SILOSCOPE_CACHE_MIB", "0")]).await?;
    // A plain pool as the database's owner: the floors are plain SQL, not the service.
    let db = sea_orm::Database::connect(&url).await?;
    let org: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT id FROM organization WHERE slug = 'bench'",
        ))
        .await?
        .context("the benchmark organization is missing")?
        .try_get_by_index(0)?;
    let phrases = (
        service::rules::flags::DEFAULT_DEFERRAL_PHRASES
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>(),
        service::rules::flags::DEFAULT_BURDEN_PHRASES
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>(),
    );
    let names = names(&db, org).await?;

    let (month_from, month_to) = (now - 60 * 86_400, now - 30 * 86_400);
    let month = json!({
        "from": chrono::DateTime::from_timestamp(month_from, 0).unwrap().to_rfc3339(),
        "to": chrono::DateTime::from_timestamp(month_to, 0).unwrap().to_rfc3339(),
    });

    for (label, variables, window) in [
        ("siloReport, whole range", json!({}), None),
        (
            "siloReport, one month (not midnight-aligned)",
            json!({ "w": month }),
            Some((month_from * 1_000_000, month_to * 1_000_000)),
        ),
    ] {
        let (warm, data) = time_query(&server, args.runs, REPORT, variables.clone()).await?;
        let (computed, cold_data) = time_query(&cold, args.runs, REPORT, variables).await?;
        let (floor_time, floor) =
            time_floor(args.runs, || floor::silo_report(&db, org, &phrases, window)).await?;
        check_report(&data, &floor, &names).with_context(|| format!("{label} on {kind}"))?;
        check_report(&cold_data, &floor, &names)
            .with_context(|| format!("{label} on {kind}, computed"))?;
        table.compared(
            &format!("{label}, computed (no cache)"),
            computed,
            floor_time,
        );
        table.compared(&format!("{label}, cached"), warm, floor_time);
    }

    // The chart against the log: de facto ownership and promises kept.
    for (label, variables, window) in [
        ("whole range", json!({}), None),
        (
            "one month (not midnight-aligned)",
            json!({ "w": month }),
            Some((month_from * 1_000_000, month_to * 1_000_000)),
        ),
    ] {
        let (computed, cold_data) =
            time_query(&cold, args.runs, OWNERSHIP, variables.clone()).await?;
        let (warm, data) = time_query(&server, args.runs, OWNERSHIP, variables.clone()).await?;
        let (floor_time, floor) =
            time_floor(args.runs, || floor::ownership(&db, org, window)).await?;
        check_ownership(&cold_data, &floor, &names)
            .with_context(|| format!("ownership, {label}"))?;
        check_ownership(&data, &floor, &names)?;
        table.compared(
            &format!("touchpointOwnership, {label}, computed (no cache)"),
            computed,
            floor_time,
        );
        table.compared(
            &format!("touchpointOwnership, {label}, cached"),
            warm,
            floor_time,
        );

        let (computed, cold_data) =
            time_query(&cold, args.runs, PROMISES, variables.clone()).await?;
        let (warm, data) = time_query(&server, args.runs, PROMISES, variables).await?;
        let (floor_time, floor) =
            time_floor(args.runs, || floor::promises(&db, org, window)).await?;
        check_promises(&cold_data, &floor, &names).with_context(|| format!("promises, {label}"))?;
        check_promises(&data, &floor, &names)?;
        table.compared(
            &format!("promiseReport, {label}, computed (no cache)"),
            computed,
            floor_time,
        );
        table.compared(&format!("promiseReport, {label}, cached"), warm, floor_time);
    }

    let (cached, network) = time_query(&server, args.runs, NETWORK, json!({})).await?;
    let (network_time, cold_network) = time_query(&cold, args.runs, NETWORK, json!({})).await?;
    let (floor_time, floor_network) =
        time_floor(args.runs, || floor::network(&db, org, &phrases)).await?;
    check_network(&network, &floor_network, &names)?;
    check_network(&cold_network, &floor_network, &names)?;
    table.compared(
        "handoffNetwork, whole range, computed (no cache)",
        network_time,
        floor_time,
    );
    table.compared("handoffNetwork, whole range, cached", cached, floor_time);

    // The dashboard's trend: the last twelve months with the year before beside them.
    let trend = json!({
        "f": chrono::DateTime::from_timestamp(now - 335 * 86_400, 0).unwrap().to_rfc3339(),
        "t": chrono::DateTime::from_timestamp(now, 0).unwrap().to_rfc3339(),
    });
    let (computed, cold_trend) = time_query(&cold, args.runs, TREND, trend.clone()).await?;
    let (warm, warm_trend) = time_query(&server, args.runs, TREND, trend).await?;
    if cold_trend != warm_trend {
        bail!("the cached trend differs from the computed one");
    }
    let points = warm_trend["siloTrend"]["points"]
        .as_array()
        .map_or(0, Vec::len);
    for (label, time) in [("computed (no cache)", computed), ("cached", warm)] {
        table.row(
            &format!("siloTrend, {points} months with the year-ago series, {label}"),
            format!("{:.1} ms", time.0),
            format!("{:.1} ms", time.1),
            String::new(),
            String::new(),
        );
    }

    // Lists and chains: executed (the server without caches), then answered again.
    let (computed, case) =
        time_query(&cold, args.runs, CASE, json!({ "c": "DEMO-000123" })).await?;
    let (warm, _) = time_query(&server, args.runs, CASE, json!({ "c": "DEMO-000123" })).await?;
    let (floor_time, floor_case) =
        time_floor(args.runs, || floor::case(&db, org, &phrases, "DEMO-000123")).await?;
    let case_handoffs = instants(&case["case"]["handoffs"], |h| &h["at"]);
    if case_handoffs != floor_case.iter().map(|r| r[0]).collect::<Vec<_>>() {
        bail!("case(caseRef:) handoffs differ from the floor's");
    }
    table.compared("case(caseRef:), executed (no cache)", computed, floor_time);
    table.compared("case(caseRef:), answered again (cached)", warm, floor_time);

    let (computed, page) = time_query(&cold, args.runs, SILO_PAGE, json!({})).await?;
    let (warm, _) = time_query(&server, args.runs, SILO_PAGE, json!({})).await?;
    let (floor_time, floor_page) =
        time_floor(args.runs, || floor::silo_page(&db, org, &phrases, 50)).await?;
    let page_at = instants(&page["handoffs"]["edges"], |e| &e["node"]["at"]);
    if page_at != floor_page.iter().map(|r| r[0]).collect::<Vec<_>>() {
        bail!("the first page of SILO handoffs differs from the floor's");
    }
    table.compared(
        "handoffs, first 50 SILO, executed (no cache)",
        computed,
        floor_time,
    );
    table.compared(
        "handoffs, first 50 SILO, answered again (cached)",
        warm,
        floor_time,
    );

    // Sustained load: the dashboard's report over the last 30 whole days.
    let today = now - now.rem_euclid(86_400);
    let dashboard_window = json!({ "w": {
        "from": chrono::DateTime::from_timestamp(today - 30 * 86_400, 0).unwrap().to_rfc3339(),
        "to": chrono::DateTime::from_timestamp(today, 0).unwrap().to_rfc3339(),
    }});
    let mut ours = None;
    for (label, target, query, variables) in [
        (
            "dashboard siloReport (30 days, compared), computed (no cache)",
            &cold,
            DASHBOARD,
            dashboard_window.clone(),
        ),
        (
            "dashboard siloReport (30 days, compared), cached",
            &server,
            DASHBOARD,
            dashboard_window,
        ),
        (
            "functions with responsibilities (first 100), executed (no cache)",
            &cold,
            FUNCTION_LIST,
            json!({}),
        ),
        (
            "functions with responsibilities (first 100), answered again (cached)",
            &server,
            FUNCTION_LIST,
            json!({}),
        ),
    ] {
        target.post(query, variables.clone()).await?;
        let load = wrk(
            &target.url,
            Some(&target.token),
            &json!({ "query": query, "variables": variables }),
            args.load_seconds,
        )?;
        table.load(&format!("{label}, {CLIENTS} clients"), &load, String::new());
        ours = Some(load);
    }
    let ours = ours.context("no load run")?;

    // Peers.
    if kind == "postgres" {
        match &args.postgraphile {
            Some(cli) => {
                let peer = start_postgraphile(cli, &url).await?;
                let theirs = wrk(
                    &peer.url,
                    None,
                    &json!({ "query": POSTGRAPHILE_LIST }),
                    args.load_seconds,
                )?;
                table.load(
                    &format!("PostGraphile 4.14: allFunctions with responsibilities (first 100), {CLIENTS} clients"),
                    &theirs,
                    format!("siloscope {:.2}× PostGraphile", ours.rps / theirs.rps),
                );
            }
            None => {
                println!("(PostGraphile skipped: pass --postgraphile, as scripts/bench.sh does)")
            }
        }
    }
    match &args.python {
        Some(python) => {
            let csv_path =
                std::env::temp_dir().join(format!("siloscope_bench_{kind}_{}.csv", table.size));
            export_csv(&db, org, &csv_path).await?;
            let (load_ms, discover_ms, theirs) = pm4py(python, &csv_path)?;
            let ours_weights = weights(&network);
            let equal = theirs.len() == ours_weights.len()
                && theirs
                    .iter()
                    .all(|(k, w)| ours_weights.get(k).is_some_and(|o| (o - w).abs() < 1e-9));
            if !equal {
                bail!("PM4Py's handover-of-work weights differ from handoffNetwork's");
            }
            table.row(
                "PM4Py 2.7.23.11 discover_handover_of_work_network (weights equal to handoffNetwork's)",
                format!("{discover_ms:.0} ms"),
                format!("+ {load_ms:.0} ms to read the CSV"),
                String::new(),
                format!(
                    "handoffNetwork (computed) {:.4}× PM4Py",
                    network_time.0 / discover_ms
                ),
            );
        }
        None => println!("(PM4Py skipped: pass --python, as scripts/bench.sh does)"),
    }
    table.row(
        "server peak RSS (with the cache; without: see the next row)",
        format!("{:.0} MiB", server.peak_rss_mib()),
        String::new(),
        String::new(),
        String::new(),
    );
    table.row(
        "server peak RSS, no cache",
        format!("{:.0} MiB", cold.peak_rss_mib()),
        String::new(),
        String::new(),
        String::new(),
    );
    db.close().await?;
    Ok(table.rows)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!("| database | interactions | operation | siloscope median | p95 | floor (plain SQL) median | siloscope ÷ floor |");
    println!("|---|---|---|---|---|---|---|");
    let mut all = Vec::new();
    for kind in &args.db {
        for &size in &args.sizes {
            all.extend(run(kind, size, &args).await?);
        }
    }
    if let Some(path) = &args.out {
        let header = "| database | interactions | operation | siloscope median | p95 | floor (plain SQL) median | siloscope ÷ floor |\n|---|---|---|---|---|---|---|\n";
        std::fs::write(path, format!("{header}{}\n", all.join("\n")))?;
    }
    Ok(())
}
