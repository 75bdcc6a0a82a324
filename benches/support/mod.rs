//! What the benchmarks share.
#![allow(dead_code)] // each benchmark uses a part
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{json, Value};

/// The JWT secret of the servers the benchmarks start.
pub const SECRET: &str = "benchmark-secret-benchmark-secret-0123456789";

/// A fresh, empty database named `name`: a SQLite file in the temporary directory, or
/// a PostgreSQL database at `SILOSCOPE_BENCH_POSTGRES_URL` (default
/// `postgres://postgres@127.0.0.1:5432/postgres`), dropped first if it exists.
pub async fn fresh_database(kind: &str, name: &str) -> anyhow::Result<String> {
    match kind {
        "sqlite" => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
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
                .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .await?;
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await?;
            // Swap the database name, keeping any parameters (`?host=/run/postgresql`).
            let (address, parameters) = admin_url
                .split_once('?')
                .map_or((admin_url.as_str(), ""), |(a, p)| (a, p));
            let base = address.rsplit_once('/').map_or(address, |(b, _)| b);
            let parameters = if parameters.is_empty() {
                String::new()
            } else {
                format!("?{parameters}")
            };
            Ok(format!("{base}/{name}{parameters}"))
        }
        other => bail!("unknown database `{other}` (sqlite or postgres)"),
    }
}

/// A `siloscope serve` child process with an ADMIN token for its organization.
pub struct Server {
    pub child: Child,
    pub url: String,
    pub client: reqwest::Client,
    pub token: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub async fn post(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
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
    pub fn peak_rss_mib(&self) -> f64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(f64::NAN, |kb| kb / 1024.0)
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Creates the demo organization's model, then starts `siloscope serve` on it.
pub async fn start(database_url: &str) -> anyhow::Result<Server> {
    start_with(database_url, &[]).await
}

/// [`start`] with the given variables for the server (see [`serve`]).
pub async fn start_with(database_url: &str, env: &[(&str, &str)]) -> anyhow::Result<Server> {
    let db = service::upgrade::open(&service::storage::db::DbOptions::new(database_url, 2), true)
        .await?;
    api::demo::create_model(&db, "bench", 42).await?;
    db.close().await?;
    serve(database_url, env).await
}

/// Starts `siloscope serve` on a database that has the organization `bench`, with
/// the given variables besides the database, address, secret and log level.
pub async fn serve(database_url: &str, env: &[(&str, &str)]) -> anyhow::Result<Server> {
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
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .spawn()
        .context("failed to start siloscope serve")?;
    let keys = api::server::auth::TokenKeys::new(&api::server::config::JwtSettings::hs256(SECRET));
    let server = Server {
        child,
        url: format!("http://127.0.0.1:{port}/graphql"),
        client: reqwest::Client::new(),
        token: keys.mint(
            "bench",
            "bench",
            &[api::server::auth::AccessRole::Admin],
            24 * 3600,
        )?,
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

/// A generated interaction as `recordInteractions` takes it.
pub fn graphql_input(item: &service::log::recording::InteractionInput) -> Value {
    use service::log::recording::{FunctionRef, TouchpointRef};
    let function = match &item.function {
        FunctionRef::Name(name) => json!({ "name": name }),
        FunctionRef::ExternalId(external) => json!({ "externalId": external }),
        FunctionRef::Id(id) => json!({ "id": api::graphql::ids::global_of("Function", *id).0 }),
    };
    let touchpoint = item.touchpoint.as_ref().map(|t| match t {
        TouchpointRef::Name(name) => json!({ "name": name }),
        TouchpointRef::Id(id) => json!({ "id": api::graphql::ids::global_of("Touchpoint", *id).0 }),
    });
    json!({
        "caseRef": item.case_ref,
        "occurredAt": item.occurred_at,
        "function": function,
        "touchpoint": touchpoint,
        "note": item.note,
        "customerActionRequired": item.customer_action_required,
        "externalId": item.external_id,
    })
}

/// The order of a generated log's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Order {
    /// Case by case, as the generator makes them (each case's rows together).
    Case,
    /// By instant, as a ticketing system's event stream (cases interleaved).
    Time,
    /// Shuffled, as an export by page or by agent can be.
    Shuffled,
}

/// Writes `size` generated interactions as a gzipped CSV with the import's columns,
/// in `order`.
pub fn write_log(path: &std::path::Path, size: usize, order: Order) -> anyhow::Result<usize> {
    Ok(write_logs(&[(path, size)], order)?[0])
}

/// Writes one generated log in `order` cut into consecutive files of the given sizes
/// (the second a later part of the same log: more of its cases, or later rows of
/// them); returns how many rows each holds.
pub fn write_logs(parts: &[(&std::path::Path, usize)], order: Order) -> anyhow::Result<Vec<usize>> {
    let size: usize = parts.iter().map(|(_, n)| n).sum();
    use rand::{seq::SliceRandom, SeedableRng};
    let mut generator = api::demo::LogGenerator::new(7, chrono::Utc::now().timestamp());
    let mut items = Vec::with_capacity(size + 8);
    while items.len() < size {
        let batch = generator.batch(10_000.min(size - items.len()));
        if batch.is_empty() {
            break;
        }
        items.extend(batch);
    }
    items.truncate(size);
    match order {
        Order::Case => {}
        // RFC 3339 in UTC throughout: the text sorts as the instant does.
        Order::Time => items.sort_by(|a, b| a.occurred_at.cmp(&b.occurred_at)),
        Order::Shuffled => items.shuffle(&mut rand::rngs::StdRng::seed_from_u64(29)),
    }
    let mut counts = Vec::new();
    let mut rest = &items[..];
    for (path, n) in parts {
        let (part, after) = rest.split_at((*n).min(rest.len()));
        rest = after;
        write_csv(path, part)?;
        counts.push(part.len());
    }
    Ok(counts)
}

fn write_csv(
    path: &std::path::Path,
    items: &[service::log::recording::InteractionInput],
) -> anyhow::Result<()> {
    let file = std::fs::File::create(path)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    let mut writer = csv::Writer::from_writer(gz);
    writer.write_record([
        "external_id",
        "case_ref",
        "occurred_at",
        "function",
        "touchpoint",
        "note",
        "customer_action_required",
    ])?;
    for item in items {
        let function = match &item.function {
            service::log::recording::FunctionRef::Name(name) => name.clone(),
            other => bail!("unexpected {other:?}"),
        };
        let touchpoint = match &item.touchpoint {
            Some(service::log::recording::TouchpointRef::Name(name)) => name.clone(),
            _ => String::new(),
        };
        writer.write_record([
            item.external_id.as_deref().unwrap_or(""),
            &item.case_ref,
            &item.occurred_at,
            &function,
            &touchpoint,
            item.note.as_deref().unwrap_or(""),
            if item.customer_action_required {
                "true"
            } else {
                "false"
            },
        ])?;
    }
    writer.into_inner()?.finish()?.flush()?;
    Ok(())
}

/// Runs the importer; returns its wall time, peak RSS in MiB and summary line.
pub fn import(url: &str, file: &std::path::Path) -> anyhow::Result<(Duration, f64, String)> {
    let (elapsed, peak, _, summary) = import_with_cpu(url, file)?;
    Ok((elapsed, peak, summary))
}

/// The same, and the importer's own CPU seconds (user and system, read from
/// `/proc` every 50 ms, so up to 50 ms short).
pub fn import_with_cpu(
    url: &str,
    file: &std::path::Path,
) -> anyhow::Result<(Duration, f64, f64, String)> {
    let started = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_siloscope"))
        .args(["import", "interactions"])
        .arg(file)
        .args(["--org", "bench"])
        .env("SILOSCOPE_DATABASE_URL", url)
        .env("SILOSCOPE_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()?;
    let status_file = format!("/proc/{}/status", child.id());
    let stat_file = format!("/proc/{}/stat", child.id());
    let mut peak_kib = 0u64;
    let mut cpu_ticks = 0u64;
    loop {
        if let Ok(stat) = std::fs::read_to_string(&stat_file) {
            // After the command's name in parentheses: utime and stime are the 12th
            // and 13th fields.
            if let Some((_, rest)) = stat.rsplit_once(')') {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let ticks = |i: usize| {
                    fields
                        .get(i)
                        .and_then(|f| f.parse::<u64>().ok())
                        .unwrap_or(0)
                };
                cpu_ticks = cpu_ticks.max(ticks(11) + ticks(12));
            }
        }
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
                let kib: u64 = line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                peak_kib = peak_kib.max(kib);
            }
        }
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let elapsed = started.elapsed();
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!("the import failed");
    }
    let summary = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    // Linux counts CPU time in ticks of 1/100 s (USER_HZ).
    Ok((
        elapsed,
        peak_kib as f64 / 1024.0,
        cpu_ticks as f64 / 100.0,
        summary,
    ))
}
