//! The import benchmark: a generated CSV log (the demo's generator, gzipped) loaded
//! end to end by `siloscope import interactions` (parse, check, write, derive steps
//! and rollups) into an organization with the demo's chart and no log, then a later
//! tenth of the same log added to it, then the whole first file again (every row a
//! duplicate), on SQLite and PostgreSQL, with the rows in each order asked for.
//! Beside each: the floor, the plainest bulk load of the same CSV into a bare table
//! (`sqlite3 .import`, `psql \copy`). Prints rows per second, the ratio to the floor,
//! the importer's peak RSS (VmHWM) and where its time went, as a Markdown table.
//!
//! `cargo bench --bench import -- --sizes 1000000 --db sqlite,postgres --order time,shuffled`

use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context};
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
    /// Row orders: case (each case's rows together), time, shuffled.
    #[arg(
        long,
        value_delimiter = ',',
        value_enum,
        default_value = "time,shuffled"
    )]
    order: Vec<support::Order>,
    /// `cargo bench` passes --bench; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// The floor: seconds to load the CSV as it is into a bare table of text columns.
fn floor(kind: &str, url: &str, csv: &std::path::Path) -> anyhow::Result<f64> {
    let create = "CREATE TABLE bare (external_id TEXT, case_ref TEXT, occurred_at TEXT, \
                  function TEXT, touchpoint TEXT, note TEXT, customer_action_required TEXT)";
    let started = Instant::now();
    let status = match kind {
        "sqlite" => {
            let file = url
                .trim_start_matches("sqlite://")
                .split('?')
                .next()
                .unwrap_or_default();
            Command::new("sqlite3")
                .arg(file)
                .arg(format!("{create};"))
                .arg(".mode csv")
                .arg(format!(".import --skip 1 {} bare", csv.display()))
                .status()
        }
        _ => Command::new("psql")
            .args(["-q", "-v", "ON_ERROR_STOP=1", url, "-c", create, "-c"])
            .arg(format!("\\copy bare FROM '{}' CSV HEADER", csv.display()))
            .status(),
    }
    .context("the floor needs sqlite3 and psql on the PATH")?;
    if !status.success() {
        bail!("the plain load failed");
    }
    Ok(started.elapsed().as_secs_f64())
}

/// The gzipped log as plain CSV, for the floor.
fn gunzip(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    let mut reader = flate2::read::GzDecoder::new(std::fs::File::open(from)?);
    let mut writer = std::io::BufWriter::new(std::fs::File::create(to)?);
    std::io::copy(&mut reader, &mut writer)?;
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-import");
    std::fs::create_dir_all(&dir)?;
    println!("| database | order | rows | run | rows/s | wall | floor | × floor | importer CPU | peak RSS | phases |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for &size in &args.sizes {
        for &order in &args.order {
            let file = dir.join(format!("log-{size}-{order:?}.csv.gz"));
            let more = dir.join(format!("log-{size}-{order:?}-more.csv.gz"));
            let plain = dir.join(format!("log-{size}-{order:?}.csv"));
            let counts = support::write_logs(&[(&file, size), (&more, size / 10)], order)?;
            gunzip(&file, &plain)?;
            for kind in &args.db {
                let floor_url = support::fresh_database(kind, "siloscope_import_floor").await?;
                let floor = floor(kind, &floor_url, &plain)?;
                let url = support::fresh_database(kind, "siloscope_import_bench").await?;
                let db =
                    service::upgrade::open(&service::storage::db::DbOptions::new(&url, 2), true)
                        .await?;
                api::demo::create_model(&db, "bench", 7).await?;
                db.close().await?;
                let runs = [
                    ("first import", &file, counts[0], Some(floor)),
                    ("a tenth more", &more, counts[1], None),
                    ("again (all duplicates)", &file, counts[0], Some(floor)),
                ];
                for (run, path, rows, floor) in runs {
                    let (elapsed, peak, cpu, summary) = support::import_with_cpu(&url, path)?;
                    let seconds = elapsed.as_secs_f64();
                    let phases = summary
                        .lines()
                        .find_map(|l| l.strip_prefix("time: "))
                        .unwrap_or("")
                        .to_owned();
                    let (floor_cell, ratio) = match floor {
                        Some(f) => (format!("{f:.1} s"), format!("{:.1}×", seconds / f)),
                        None => ("".into(), "".into()),
                    };
                    println!(
                        "| {kind} | {order:?} | {rows} | {run} | **{:.0}** | {seconds:.1} s | {floor_cell} | {ratio} | {cpu:.1} s | {peak:.0} MiB | {phases} |",
                        rows as f64 / seconds,
                    );
                }
            }
            std::fs::remove_file(&plain).ok();
        }
    }
    Ok(())
}
