//! The import benchmark: a generated CSV log (the demo's generator, gzipped) loaded
//! end to end by `siloscope import interactions` (parse, check, write, derive steps
//! and rollups), then loaded again (every row a duplicate), on SQLite and PostgreSQL.
//! Prints rows per second and the importer's peak RSS (VmHWM) as a Markdown table.
//!
//! `cargo bench --bench import -- --sizes 1000000 --db sqlite,postgres`

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

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-import");
    std::fs::create_dir_all(&dir)?;
    println!("| database | rows | run | rows/s | wall | peak RSS | summary |");
    println!("|---|---|---|---|---|---|---|");
    for &size in &args.sizes {
        let file = dir.join(format!("log-{size}.csv.gz"));
        let rows = support::write_log(&file, size)?;
        for kind in &args.db {
            let url = support::fresh_database(kind, "siloscope_import_bench").await?;
            let db = service::storage::db::Db::connect(
                &service::storage::db::DbOptions::new(&url, 2),
                true,
            )
            .await?;
            api::demo::create_model(&db, "bench", 7).await?;
            db.close().await?;
            for run in ["first import", "again (all duplicates)"] {
                let (elapsed, peak, summary) = support::import(&url, &file)?;
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
