//! What writes need of the database: the organization's lock and revision, the
//! bulk-load page cache, fresh planner statistics, and the clock.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend};

use super::{Db, OwnerWork, Tenant, TENANT_ROLE};
use crate::error::{ServiceError, ServiceResult, Write};

/// SQLite's page cache per connection, in KiB (its default is 2 MiB).
pub(super) const SQLITE_CACHE_KIB: u32 = 4 * 1024;
/// The page cache of a connection running a bulk load: a long transaction whose
/// dirty pages outgrow the cache spills them to the WAL and writes them again.
///
/// Measured on a 1M-row import (BENCHMARKS.md, issue 29): 64 MiB, with statement
/// journals in memory, was slower (50.5 s against 43.4 s) and took 30 MiB more.
const SQLITE_BULK_CACHE_KIB: u32 = 32 * 1024;

/// Gives the transaction's SQLite connection the bulk-load page cache (`bulk`), or
/// the usual one back. Nothing on PostgreSQL.
pub async fn bulk_cache(db: &impl ConnectionTrait, bulk: bool) -> ServiceResult<()> {
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
pub async fn refresh_statistics(db: &Db) {
    if !db.is_postgres() {
        return;
    }
    let owner = db.owner(OwnerWork::Statistics);
    let stale = owner
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT n_mod_since_analyze > GREATEST(5000, n_live_tup / 5) AS stale \
             FROM pg_stat_user_tables WHERE relname = 'interaction'",
        ))
        .await
        .and_then(|row| row.map(|r| r.try_get::<bool>("", "stale")).transpose());
    match stale {
        Ok(Some(true)) => {
            // As the tables' owner: ANALYZE needs it.
            if let Err(error) = owner
                .execute_unprepared("ANALYZE interaction, step, customer_case")
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
pub async fn lock(txn: &DatabaseTransaction, organization_id: i64) -> ServiceResult<()> {
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

/// Begins a write to the organization: a write transaction ([`Tenant::begin_write`])
/// that has taken the organization's lock and raised its revision ([`lock`]). Every
/// write to an organization's rows begins here. `organization_id` must be the
/// handle's.
pub async fn begin_change(db: &Tenant, organization_id: i64) -> ServiceResult<DatabaseTransaction> {
    if db.organization_id() != organization_id {
        return Err(ServiceError::internal(anyhow::anyhow!(
            "a write to organization {organization_id} through the handle of organization {}",
            db.organization_id()
        )));
    }
    let txn = db.begin_write().await?;
    lock(&txn, organization_id).await?;
    Ok(txn)
}

/// Runs `work` as a write to the organization ([`begin_change`]), committed when it
/// succeeds and rolled back otherwise.
pub async fn atomically<T>(
    db: &Tenant,
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
/// for the rest of the transaction. It samples a tenth of the usual rows (3,000 a
/// table): enough to choose between an index and a scan, and a tenth of the cost (at
/// 200,000 rows the import's ANALYZEs took 2.3 s of 14 s of the server's time); the
/// full statistics are refreshed after the commit. No-op on SQLite.
pub async fn analyze_in(txn: &DatabaseTransaction, organization_id: i64) -> ServiceResult<()> {
    if !is_postgres(txn) {
        return Ok(());
    }
    leave_tenant_role(txn).await?;
    txn.execute_unprepared(
        "SELECT set_config('default_statistics_target', '10', true); \
         ANALYZE interaction, step, customer_case",
    )
    .await?;
    return_to_tenant_role(txn, organization_id).await
}

/// PostgreSQL: the rest of `txn` runs as the connection's own user, not the tenant
/// role, until [`return_to_tenant_role`]. For the few statements the tenant role may
/// not run: ANALYZE, and erasure's rewrite of the audit trail, which is append-only
/// to the tenant role. Each such statement names its organization itself. No-op on
/// SQLite.
pub(crate) async fn leave_tenant_role(txn: &DatabaseTransaction) -> ServiceResult<()> {
    if is_postgres(txn) {
        txn.execute_unprepared("SELECT set_config('role', 'none', true)")
            .await?;
    }
    Ok(())
}

/// Undoes [`leave_tenant_role`]: `txn` runs as organization `organization_id`'s
/// tenant again.
pub(crate) async fn return_to_tenant_role(
    txn: &DatabaseTransaction,
    organization_id: i64,
) -> ServiceResult<()> {
    if is_postgres(txn) {
        txn.execute_unprepared(&format!(
            "SELECT set_config('role', '{TENANT_ROLE}', true), \
             set_config('siloscope.organization_id', '{organization_id}', true)"
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
