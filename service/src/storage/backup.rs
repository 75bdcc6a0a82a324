//! Backups of the embedded database. A SQLite file is copied online with `VACUUM
//! INTO`: the copy is one read transaction's view, so it holds every transaction
//! committed before it began and nothing half-written, while the server goes on
//! recording. PostgreSQL has its own tools (`pg_dump`, `pg_restore`): siloscope adds
//! nothing there but the advice (README, "Running in production").

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};
use migration::MigratorTrait as _;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

/// What a backup file holds, as checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The last migration applied to it.
    pub migration: String,
    pub organizations: i64,
    pub interactions: i64,
}

/// How to back up PostgreSQL instead.
pub const POSTGRES_ADVICE: &str = "siloscope backs up its embedded SQLite database only; \
for PostgreSQL use its own tools: `pg_dump --format=custom --file=siloscope.dump \"$SILOSCOPE_DATABASE_URL\"` \
(consistent while siloscope serves), and to restore, into a new empty database, \
`pg_restore --no-owner --dbname=postgres://…/siloscope_restored siloscope.dump`, then \
`siloscope migrate` against it before serving";

/// Copies the SQLite database `db` to `out`, online, and checks the copy.
pub async fn sqlite_copy(db: &crate::storage::db::Owner, out: &Path) -> anyhow::Result<Summary> {
    if db.get_database_backend() != DbBackend::Sqlite {
        bail!("{POSTGRES_ADVICE}");
    }
    if out.exists() {
        bail!(
            "{} exists already; a backup never overwrites a file",
            out.display()
        );
    }
    let target = out
        .to_str()
        .with_context(|| format!("{} is not a UTF-8 path", out.display()))?;
    db.execute_raw(Statement::from_sql_and_values(
        DbBackend::Sqlite,
        "VACUUM INTO ?",
        [target.into()],
    ))
    .await
    .with_context(|| format!("failed to write the backup to {}", out.display()))?;
    check(out).await
}

/// Checks that `file` is a sound siloscope SQLite database this version can serve:
/// SQLite's integrity check passes and its migrations are ones this version knows.
pub async fn check(file: &Path) -> anyhow::Result<Summary> {
    if !file.is_file() {
        bail!("{} is not a file", file.display());
    }
    // By file name, not URL: a path may hold `?`, `#` or `%`.
    let options = sea_orm::sqlx::sqlite::SqliteConnectOptions::new()
        .filename(file)
        .read_only(true);
    let pool = sea_orm::sqlx::SqlitePool::connect_with(options)
        .await
        .with_context(|| format!("{} cannot be opened as SQLite", file.display()))?;
    let db = sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
    let scalar = async |sql: &str| -> anyhow::Result<sea_orm::QueryResult> {
        db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql))
            .await
            .with_context(|| format!("{} is not a siloscope database", file.display()))?
            .with_context(|| format!("{} is not a siloscope database", file.display()))
    };
    let integrity: String = scalar("PRAGMA integrity_check")
        .await?
        .try_get_by_index(0)?;
    if integrity != "ok" {
        bail!(
            "{} fails SQLite's integrity check: {integrity}",
            file.display()
        );
    }
    let migration: String =
        scalar("SELECT version FROM seaql_migrations ORDER BY version DESC LIMIT 1")
            .await?
            .try_get_by_index(0)?;
    let known = migration::Migrator::migrations()
        .iter()
        .any(|m| m.name() == migration);
    if !known {
        bail!(
            "{} was written by a newer siloscope (its last migration, {migration}, is unknown here)",
            file.display()
        );
    }
    let organizations: i64 = scalar("SELECT COUNT(*) FROM organization")
        .await?
        .try_get_by_index(0)?;
    let interactions: i64 = scalar("SELECT COUNT(*) FROM interaction")
        .await?
        .try_get_by_index(0)?;
    db.close().await?;
    Ok(Summary {
        migration,
        organizations,
        interactions,
    })
}

/// Puts the backup `from` in place as the SQLite database `target`, after checking
/// it. An existing `target` is replaced only with `replace` (stop every server using
/// it first). The file is copied beside the target and renamed over it, so the target
/// is either the old database or the whole backup, never a part of it.
pub async fn sqlite_restore(from: &Path, target: &Path, replace: bool) -> anyhow::Result<Summary> {
    let summary = check(from).await?;
    if target.exists() && !replace {
        bail!(
            "{} exists; pass --replace to replace it (stop every siloscope using it first)",
            target.display()
        );
    }
    let partial = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(from, &partial)
        .with_context(|| format!("failed to copy {} to {}", from.display(), partial.display()))?;
    std::fs::File::open(&partial)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("failed to flush {}", partial.display()))?;
    for suffix in ["-wal", "-shm"] {
        let stale = PathBuf::from(format!("{}{suffix}", target.display()));
        if stale.exists() {
            std::fs::remove_file(&stale)
                .with_context(|| format!("failed to remove {}", stale.display()))?;
        }
    }
    std::fs::rename(&partial, target).with_context(|| {
        format!(
            "failed to move {} to {}",
            partial.display(),
            target.display()
        )
    })?;
    Ok(summary)
}
