//! Scratch databases: a fresh, empty database that goes away when dropped, for tests
//! and benchmarks. SQLite (a file in the temporary directory) unless a PostgreSQL
//! admin URL is given, in which case a database of its own is created beside it.

use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, Database};

/// A database that is dropped with this guard.
pub enum Scratch {
    Sqlite(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_name() -> String {
    let micros = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() % 1_000_000);
    format!(
        "siloscope_test_{}_{}_{micros}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
    )
}

impl Scratch {
    /// A fresh database: on PostgreSQL beside `postgres_admin_url` when one is given,
    /// else a SQLite file. Returns its URL and the guard that drops it.
    pub async fn create(postgres_admin_url: Option<&str>) -> anyhow::Result<(String, Scratch)> {
        let name = unique_name();
        let Some(admin_url) = postgres_admin_url else {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            return Ok((
                format!("sqlite://{}?mode=rwc", path.display()),
                Scratch::Sqlite(path),
            ));
        };
        let admin = Database::connect(admin_url).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url, |(base, _)| base);
        Ok((
            format!("{base}/{name}"),
            Scratch::Postgres {
                admin_url: admin_url.to_owned(),
                name,
            },
        ))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        match self {
            Scratch::Sqlite(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Scratch::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // On a thread of its own: the drop may run inside a runtime.
                let _ = std::thread::spawn(move || {
                    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                    else {
                        return;
                    };
                    runtime.block_on(async {
                        if let Ok(db) = Database::connect(&admin_url).await {
                            let _ = db
                                .execute_unprepared(&format!(
                                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                                ))
                                .await;
                        }
                    });
                })
                .join();
            }
        }
    }
}
