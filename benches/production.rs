//! Running in production: how long a backup and a retention pass take on a year of
//! ticket exports, beside their floors and peers in the same run.
//!
//! For each database, a generated log (the demo's generator: one year up to now) is
//! imported into a fresh database, then:
//! - **backup**: on SQLite, `siloscope backup` (online `VACUUM INTO`, then its check)
//!   against the floor, a plain file copy of the closed database, and the peer,
//!   Python's `sqlite3` online backup API on the same file; on PostgreSQL, `pg_dump
//!   --format=custom` and `pg_restore` (what the README tells operators to use);
//! - **retention**: `siloscope retention` with a 182-day period (deletes about half
//!   the log, re-deriving every touched case and adjusting the rollups) against the
//!   floor, plain `DELETE`s of the same interactions and their step rows on a copy of
//!   the same database (no case re-derived, no rollup adjusted).
//!
//! `cargo bench --bench production -- --size 1000000 --db sqlite,postgres`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Parser;
use sea_orm::{ConnectionTrait, Statement};

mod support;

#[derive(Parser, Debug)]
struct Args {
    /// Interactions in the log.
    #[arg(long, default_value_t = 100_000)]
    size: usize,
    /// Databases: sqlite, postgres.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    db: Vec<String>,
    /// `cargo bench` passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

const RETENTION_DAYS: i32 = 182;

fn run(command: &mut Command) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let output = command.output().context("the command could not start")?;
    if !output.status.success() {
        bail!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(started.elapsed())
}

fn siloscope(url: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_siloscope"));
    command
        .env("SILOSCOPE_DATABASE_URL", url)
        .env("SILOSCOPE_LOG", "warn");
    command
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

fn row(database: &str, what: &str, seconds: f64, figure: String) {
    println!("| {database} | {what} | {seconds:.2} s | {figure} |");
}

async fn count(url: &str, sql: &str) -> anyhow::Result<i64> {
    // A plain connection as the database's owner: a floor, not the service.
    let db = sea_orm::Database::connect(url).await?;
    let n = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql))
        .await?
        .context("no row")?
        .try_get_by_index::<i64>(0)?;
    db.close().await?;
    Ok(n)
}

/// The floor of a retention pass: the same interactions and their steps deleted by
/// plain SQL, nothing re-derived.
async fn plain_delete(url: &str, cutoff: i64) -> anyhow::Result<(Duration, u64)> {
    let db = sea_orm::Database::connect(url).await?;
    let backend = db.get_database_backend();
    let started = Instant::now();
    let txn = sea_orm::TransactionTrait::begin(&db).await?;
    txn.execute_raw(Statement::from_string(
        backend,
        format!(
            "DELETE FROM step WHERE interaction_id IN (SELECT id FROM interaction WHERE occurred_at < {cutoff})"
        ),
    ))
    .await?;
    let deleted = txn
        .execute_raw(Statement::from_string(
            backend,
            format!("DELETE FROM interaction WHERE occurred_at < {cutoff}"),
        ))
        .await?
        .rows_affected();
    txn.commit().await?;
    let elapsed = started.elapsed();
    db.close().await?;
    Ok((elapsed, deleted))
}

async fn bench(kind: &str, log: &std::path::Path) -> anyhow::Result<()> {
    let url = support::fresh_database(kind, "siloscope_production_bench").await?;
    let db = service::upgrade::open(&service::storage::db::DbOptions::new(&url, 2), true).await?;
    api::demo::create_model(&db, "bench", 7).await?;
    let (import, _, _) = support::import(&url, log)?;
    let interactions = count(&url, "SELECT COUNT(*) FROM interaction").await?;
    println!(
        "| {kind} | import of the log ({interactions} interactions, for reference) | {:.2} s | {:.0} interactions/s |",
        import.as_secs_f64(),
        interactions as f64 / import.as_secs_f64()
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-production");
    std::fs::create_dir_all(&dir)?;
    let cutoff = service::storage::db::now_micros() - i64::from(RETENTION_DAYS) * 86_400_000_000;
    let floor_url;
    match kind {
        "sqlite" => {
            let file = url
                .strip_prefix("sqlite://")
                .and_then(|u| u.split('?').next())
                .context("a SQLite URL")?
                .to_owned();
            let backup = dir.join("backup.db");
            let _ = std::fs::remove_file(&backup);
            let took = run(siloscope(&url).args(["backup", "--out"]).arg(&backup))?;
            let size = std::fs::metadata(&backup)?.len();
            row(
                kind,
                "`siloscope backup` (online `VACUUM INTO`, then checked)",
                took.as_secs_f64(),
                format!(
                    "{:.0} MiB/s of {:.0} MiB written",
                    mib(size) / took.as_secs_f64(),
                    mib(size)
                ),
            );
            let peer = dir.join("peer.db");
            let _ = std::fs::remove_file(&peer);
            let took = run(Command::new("python3")
                .args([
                    "-c",
                    "import sqlite3, sys\nsource = sqlite3.connect(sys.argv[1])\ntarget = sqlite3.connect(sys.argv[2])\nsource.backup(target)\ntarget.close()",
                ])
                .arg(&file)
                .arg(&peer))?;
            let size = std::fs::metadata(&peer)?.len();
            row(
                kind,
                "peer: Python `sqlite3` online backup API",
                took.as_secs_f64(),
                format!(
                    "{:.0} MiB/s of {:.0} MiB written",
                    mib(size) / took.as_secs_f64(),
                    mib(size)
                ),
            );
            let copy = dir.join("copy.db");
            let started = Instant::now();
            let size = std::fs::copy(&file, &copy)?;
            let took = started.elapsed();
            row(
                kind,
                "floor: copying the closed database file",
                took.as_secs_f64(),
                format!(
                    "{:.0} MiB/s of {:.0} MiB",
                    mib(size) / took.as_secs_f64(),
                    mib(size)
                ),
            );
            floor_url = format!("sqlite://{}?mode=rw", backup.display());
        }
        _ => {
            let dump = dir.join("siloscope.dump");
            let took = run(Command::new("pg_dump")
                .args(["--format=custom", "--file"])
                .arg(&dump)
                .arg(&url))?;
            let size = std::fs::metadata(&dump)?.len();
            row(
                kind,
                "`pg_dump --format=custom` (what the README says to use)",
                took.as_secs_f64(),
                format!("{:.0} MiB dump", mib(size)),
            );
            let restored = support::fresh_database(kind, "siloscope_production_restored").await?;
            let took = run(Command::new("pg_restore")
                .args(["--no-owner", "--exit-on-error", "--dbname"])
                .arg(&restored)
                .arg(&dump))?;
            let restored_count = count(&restored, "SELECT COUNT(*) FROM interaction").await?;
            if restored_count != interactions {
                bail!("the restore holds {restored_count} interactions, not {interactions}");
            }
            row(
                kind,
                "`pg_restore` into an empty database",
                took.as_secs_f64(),
                format!("{restored_count} interactions restored"),
            );
            floor_url = restored;
        }
    }
    // Retention.
    let org = service::model::organization::find_by_slug(
        &db.owner(service::storage::db::OwnerWork::Organizations),
        "bench",
    )
    .await?
    .context("the bench organization")?
    .id;
    service::access::audit::as_actor(
        service::access::audit::Actor::system("bench"),
        service::log::retention::set_period(&db.tenant(org), org, Some(RETENTION_DAYS)),
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    db.close().await?;
    let took = run(siloscope(&url).arg("retention"))?;
    let left = count(&url, "SELECT COUNT(*) FROM interaction").await?;
    let deleted = interactions - left;
    row(
        kind,
        &format!(
            "`siloscope retention` ({RETENTION_DAYS} days: cases re-derived, rollups adjusted)"
        ),
        took.as_secs_f64(),
        format!(
            "{deleted} deleted, {:.0} interactions/s",
            deleted as f64 / took.as_secs_f64()
        ),
    );
    let (took, floor_deleted) = plain_delete(&floor_url, cutoff).await?;
    row(
        kind,
        "floor: plain `DELETE` of those interactions and their steps",
        took.as_secs_f64(),
        format!(
            "{floor_deleted} deleted, {:.0} interactions/s",
            floor_deleted as f64 / took.as_secs_f64()
        ),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-production");
    std::fs::create_dir_all(&dir)?;
    let log = dir.join(format!("log-{}.csv.gz", args.size));
    support::write_log(&log, args.size, support::Order::Case)?;
    println!("| database | what | wall | figure |");
    println!("|---|---|---|---|");
    for kind in &args.db {
        bench(kind, &log).await?;
    }
    Ok(())
}
