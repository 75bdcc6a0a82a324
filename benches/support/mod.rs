//! What the benchmarks share.

use anyhow::{bail, Context};
use sea_orm::{ConnectionTrait, Database};

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
