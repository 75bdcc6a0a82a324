//! The import benchmark: a generated CSV log (the demo's generator, gzipped) loaded
//! end to end by `siloscope import interactions` (parse, check, write, derive steps
//! and rollups), then loaded again (every row a duplicate), on SQLite and PostgreSQL.
//! Prints rows per second and the importer's peak RSS (VmHWM) as a Markdown table.
//!
//! `cargo bench --bench import -- --sizes 1000000 --db sqlite,postgres`

use std::io::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::bail;
use clap::Parser;

mod support;

#[derive(Parser, Debug)]
struct Args {
    /// Log sizes (interactions), comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100000")]
    sizes: Vec<usize>,
    /// Databases: sqlite, postgres.
    #[arg(long, value_delimiter = ',', default_value = "sqlite,postgres")]
    db: Vec<String>,
    /// `cargo bench` passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// Writes `size` generated interactions as a gzipped CSV with the import's columns.
fn write_log(path: &std::path::Path, size: usize) -> anyhow::Result<usize> {
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
    let mut generator = api::demo::LogGenerator::new(7, chrono::Utc::now().timestamp());
    let mut written = 0;
    while written < size {
        for item in generator.batch(10_000.min(size - written)) {
            let function = match &item.function {
                service::recording::FunctionRef::Name(name) => name.clone(),
                other => bail!("unexpected {other:?}"),
            };
            let touchpoint = match &item.touchpoint {
                Some(service::recording::TouchpointRef::Name(name)) => name.clone(),
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
            written += 1;
        }
    }
    writer.into_inner()?.finish()?.flush()?;
    Ok(written)
}

/// Runs the importer; returns its wall time, peak RSS in MiB and summary line.
fn import(url: &str, file: &std::path::Path) -> anyhow::Result<(Duration, f64, String)> {
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
    let mut peak_kib = 0u64;
    loop {
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
    Ok((elapsed, peak_kib as f64 / 1024.0, summary))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-import");
    std::fs::create_dir_all(&dir)?;
    println!("| database | rows | run | rows/s | wall | peak RSS | summary |");
    println!("|---|---|---|---|---|---|---|");
    for &size in &args.sizes {
        let file = dir.join(format!("log-{size}.csv.gz"));
        let rows = write_log(&file, size)?;
        for kind in &args.db {
            let url = support::fresh_database(kind, "siloscope_import_bench").await?;
            let db = service::db::connect(&url, 2).await?;
            service::db::migrate(&db).await?;
            api::demo::create_model(&db, "bench", 7).await?;
            db.close().await?;
            for run in ["first import", "again (all duplicates)"] {
                let (elapsed, peak, summary) = import(&url, &file)?;
                println!(
                    "| {kind} | {rows} | {run} | **{:.0}** | {:.1} s | {peak:.0} MiB | {summary} |",
                    rows as f64 / elapsed.as_secs_f64(),
                    elapsed.as_secs_f64()
                );
            }
        }
    }
    Ok(())
}
