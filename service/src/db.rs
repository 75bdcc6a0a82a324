//! Connecting to the database, migrating it, and starting write transactions.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};

use crate::error::{ApiResult, Write};

/// Opens a pool on `url` (a SQLite file is created when missing).
pub async fn connect(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let connected = if url.starts_with("postgres") {
        connect_postgres(url, max_connections).await
    } else {
        connect_sqlite(url, max_connections).await
    };
    connected.with_context(|| format!("failed to connect to the database ({})", redact(url)))
}

async fn connect_sqlite(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                .create_if_missing(true)
                // The OS caches the rest.
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
        });
    Ok(Database::connect(options).await?)
}

tokio::task_local! {
    /// The organization the running request acts for.
    static TENANT: i64;
}

/// Runs `future` on behalf of organization `organization_id`. On PostgreSQL, every
/// connection it takes from the pool runs as the role `siloscope_tenant` with
/// `siloscope.organization_id` set, so row-level security hides every other
/// organization's rows even from a query that forgot to filter. Outside such a scope
/// connections run as the owner (authentication, migrations, statistics).
pub async fn as_tenant<F: std::future::Future>(organization_id: i64, future: F) -> F::Output {
    TENANT.scope(organization_id, future).await
}

/// The organization of the enclosing [`as_tenant`] scope.
pub fn current_tenant() -> Option<i64> {
    TENANT.try_with(|id| *id).ok()
}

/// Switches a pooled PostgreSQL connection to the current tenant (or back to the owner).
async fn switch_tenant(
    connection: &mut sea_orm::sqlx::PgConnection,
) -> Result<(), sea_orm::sqlx::Error> {
    let (role, organization) = match current_tenant() {
        Some(id) => (
            migration::m20261122_000012_row_level_security::TENANT_ROLE,
            id.to_string(),
        ),
        None => ("none", String::new()),
    };
    sea_orm::sqlx::query(
        "SELECT set_config('role', $1, false), set_config('siloscope.organization_id', $2, false)",
    )
    .bind(role)
    .bind(organization)
    .execute(connection)
    .await?;
    Ok(())
}

async fn connect_postgres(url: &str, max_connections: u32) -> anyhow::Result<DatabaseConnection> {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sea_orm::sqlx::ConnectOptions as _;
    use sea_orm::sqlx::Connection as _;
    let options: PgConnectOptions = url.parse::<PgConnectOptions>()?.disable_statement_logging();
    // One direct connection first, so that an unreachable server is reported at once
    // and by its cause, not as a pool that timed out.
    let place = format!("{}:{}", options.get_host(), options.get_port());
    match tokio::time::timeout(
        Duration::from_secs(10),
        sea_orm::sqlx::PgConnection::connect_with(&options),
    )
    .await
    {
        Err(_) => anyhow::bail!("PostgreSQL at {place} did not answer within 10 s"),
        Ok(Err(sea_orm::sqlx::Error::Io(error)))
            if error.kind() == std::io::ErrorKind::ConnectionRefused =>
        {
            anyhow::bail!("connection refused at {place}: is PostgreSQL running there?")
        }
        Ok(Err(error)) => {
            return Err(anyhow::Error::new(error)
                .context(format!("could not connect to PostgreSQL at {place}")))
        }
        Ok(Ok(connection)) => connection.close().await?,
    }
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(|connection, _| Box::pin(switch_tenant(connection)))
        .before_acquire(|connection, _| {
            Box::pin(async move { switch_tenant(connection).await.map(|()| true) })
        })
        .connect_with(options)
        .await?;
    Ok(sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(
        pool,
    ))
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let pending = Migrator::get_pending_migrations(db)
        .await
        .context("failed to read the database's migrations")?
        .len();
    if db.get_database_backend() == sea_orm::DatabaseBackend::Sqlite {
        // One connection for the whole run: another connection of the pool may hold a
        // schema from before an earlier statement (SQLite reloads it only when a
        // transaction starts) and refuse to re-create an index just dropped. SQLite's
        // DDL is transactional, so the run also lands whole or not at all.
        let txn = db.begin().await?;
        Migrator::up(&txn, None)
            .await
            .context("failed to migrate the database")?;
        txn.commit().await?;
    } else {
        Migrator::up(db, None)
            .await
            .context("failed to migrate the database")?;
    }
    if pending == 0 {
        tracing::info!("the database schema is up to date");
    } else {
        tracing::info!(applied = pending, "migrated the database");
    }
    rebuild_outdated_rollups(db).await
}

/// Rebuilds, from its steps and in its calendar, the rollups of every organization
/// whose `rollup_version` is below [`crate::derived::rollup::ROLLUP_VERSION`] (a
/// migration that changed their layout sets it to 0). Each organization in a write of
/// its own, so another replica starting at once waits and then finds it done.
async fn rebuild_outdated_rollups(db: &DatabaseConnection) -> anyhow::Result<()> {
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
    let current = crate::derived::rollup::ROLLUP_VERSION;
    let outdated: Vec<i64> = entity::organization::Entity::find()
        .filter(entity::organization::Column::RollupVersion.lt(current))
        .select_only()
        .column(entity::organization::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for organization_id in &outdated {
        let txn = begin_change(db, *organization_id).await?;
        let org = entity::organization::Entity::find_by_id(*organization_id)
            .one(&txn)
            .await?
            .context("an organization went away while its rollups were rebuilt")?;
        if org.rollup_version < current {
            let calendar = crate::calendar::of_organization(&txn, *organization_id).await?;
            crate::derived::rollup::rebuild(&txn, *organization_id, &calendar).await?;
            let mut active: entity::organization::ActiveModel = org.into();
            active.rollup_version = Set(current);
            active.update(&txn).await?;
        }
        txn.commit().await?;
    }
    if !outdated.is_empty() {
        tracing::info!(
            organizations = outdated.len(),
            "rebuilt the rollups in their current layout"
        );
    }
    Ok(())
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Begins a transaction that will write: on SQLite it takes the write lock at once
/// (BEGIN IMMEDIATE), so that two writers queue instead of failing half-way.
pub async fn begin_write(db: &DatabaseConnection) -> ApiResult<DatabaseTransaction> {
    let options = TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    Ok(db.begin_with_options(options).await?)
}

/// SQLite's page cache per connection, in KiB (its default is 2 MiB).
const SQLITE_CACHE_KIB: u32 = 4 * 1024;
/// The page cache of a connection running a bulk load: a long transaction whose
/// dirty pages outgrow the cache spills them to the WAL and writes them again.
const SQLITE_BULK_CACHE_KIB: u32 = 32 * 1024;

/// Gives the transaction's SQLite connection the bulk-load page cache (`bulk`), or
/// the usual one back. Nothing on PostgreSQL.
pub async fn bulk_cache(db: &impl ConnectionTrait, bulk: bool) -> ApiResult<()> {
    if db.get_database_backend() == DbBackend::Sqlite {
        let kib = if bulk {
            SQLITE_BULK_CACHE_KIB
        } else {
            SQLITE_CACHE_KIB
        };
        db.execute_unprepared(&format!("PRAGMA cache_size = -{kib}"))
            .await?;
    }
    Ok(())
}

/// Keeps PostgreSQL's planner statistics fresh while a log is bulk-loaded: once the
/// interactions changed since the last ANALYZE pass a fifth of the table (and 5,000),
/// the tables recording touches are analyzed, so lookups by case and externalId keep
/// using their indexes. Autovacuum does the same, but only after up to a minute.
/// Best effort: a failure is logged, never returned.
pub async fn refresh_statistics(db: &impl ConnectionTrait) {
    if !is_postgres(db) {
        return;
    }
    let stale = db
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT n_mod_since_analyze > GREATEST(5000, n_live_tup / 5) AS stale \
             FROM pg_stat_user_tables WHERE relname = 'interaction'",
        ))
        .await
        .and_then(|row| row.map(|r| r.try_get::<bool>("", "stale")).transpose());
    match stale {
        Ok(Some(true)) => {
            if let Err(error) = db
                // As the tables' owner (ANALYZE needs it), on the one connection: the
                // pool puts the tenant role back on the next acquire.
                .execute_unprepared("SET ROLE NONE; ANALYZE interaction, step, customer_case")
                .await
            {
                tracing::warn!(error = %error, "ANALYZE after recording failed");
            }
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(error = %error, "reading table statistics failed"),
    }
}

/// Serializes writers of one organization (on PostgreSQL a row lock on the
/// organization; on SQLite the write transaction is exclusive already) and raises its
/// revision, so that figures cached before the write are not read after it
/// (`snapshot`).
pub async fn lock(txn: &DatabaseTransaction, organization_id: i64) -> ApiResult<()> {
    use entity::organization::{Column, Entity};
    use sea_orm::sea_query::{Expr, ExprTrait};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Entity::update_many()
        .col_expr(Column::Revision, Expr::col(Column::Revision).add(1))
        .filter(Column::Id.eq(organization_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Begins a write to the organization: a write transaction ([`begin_write`]) that
/// has taken the organization's lock and raised its revision ([`lock`]). Every write
/// to an organization's rows begins here.
pub async fn begin_change(
    db: &DatabaseConnection,
    organization_id: i64,
) -> ApiResult<DatabaseTransaction> {
    let txn = begin_write(db).await?;
    lock(&txn, organization_id).await?;
    Ok(txn)
}

/// Runs `work` as a write to the organization ([`begin_change`]), committed when it
/// succeeds and rolled back otherwise.
pub async fn atomically<T>(
    db: &DatabaseConnection,
    organization_id: i64,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Write<T>,
) -> Write<T> {
    let txn = begin_change(db, organization_id).await?;
    let value = work(&txn).await?;
    txn.commit().await?;
    Ok(value)
}

/// Refreshes PostgreSQL's statistics of the recording tables inside a long write
/// transaction (an import): the planner then sees the rows the transaction added
/// (ANALYZE counts its own transaction's inserts), instead of planning every later
/// statement for the empty tables it started with. ANALYZE needs the tables' owner, so
/// the statement runs as the connection's own user, and the tenant role is restored
/// for the rest of the transaction. No-op on SQLite.
pub async fn analyze_in(txn: &DatabaseTransaction) -> ApiResult<()> {
    if !is_postgres(txn) {
        return Ok(());
    }
    leave_tenant_role(txn).await?;
    txn.execute_unprepared("ANALYZE interaction, step, customer_case")
        .await?;
    return_to_tenant_role(txn).await
}

/// PostgreSQL: the rest of `txn` runs as the connection's own user, not the tenant
/// role, until [`return_to_tenant_role`]. For the few statements the tenant role may
/// not run: ANALYZE, and erasure's rewrite of the audit trail, which is append-only
/// to the tenant role. Each such statement names its organization itself. No-op on
/// SQLite.
pub(crate) async fn leave_tenant_role(txn: &DatabaseTransaction) -> ApiResult<()> {
    if is_postgres(txn) {
        txn.execute_unprepared("SELECT set_config('role', 'none', true)")
            .await?;
    }
    Ok(())
}

/// Undoes [`leave_tenant_role`] inside a tenant scope.
pub(crate) async fn return_to_tenant_role(txn: &DatabaseTransaction) -> ApiResult<()> {
    if is_postgres(txn) && current_tenant().is_some() {
        txn.execute_unprepared(&format!(
            "SELECT set_config('role', '{}', true)",
            migration::m20261122_000012_row_level_security::TENANT_ROLE
        ))
        .await?;
    }
    Ok(())
}

/// Whether the backend is PostgreSQL.
pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// The current instant in microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Microseconds since the epoch as RFC 3339 in UTC, to the second (for messages).
pub fn format_instant(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
