//! The rollups gain a level: each step counts in its local day's bucket and in its
//! local month's (`step_rollup`, `step_rollup_entry`), so that a report over months
//! reads a month's rows instead of thirty days' (see `rules::rollup`). They replace
//! `step_daily` and `step_daily_entry`. Every organization is in UTC when this runs,
//! so the buckets are filled from the steps in UTC.

use sea_orm_migration::prelude::*;

use crate::common::tenant_policy;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables, keyed by the bucket and every column a flag depends on. A report reads
/// a range of one organization's buckets, so each table is stored in key order with
/// its counts beside the key: on SQLite a table WITHOUT ROWID (the key is the table),
/// on PostgreSQL a primary key that INCLUDEs the counts (index-only scans).
fn create(backend: sea_orm::DatabaseBackend) -> [String; 2] {
    let postgres = backend == sea_orm::DatabaseBackend::Postgres;
    let (big, small) = if postgres {
        ("BIGINT", "SMALLINT")
    } else {
        ("INTEGER", "INTEGER")
    };
    // The key, and what closes the table.
    let tail = |key: &str, counts: &str| {
        if postgres {
            format!("PRIMARY KEY ({key}) INCLUDE ({counts}))")
        } else {
            format!("PRIMARY KEY ({key})) WITHOUT ROWID")
        }
    };
    [
        format!(
            "CREATE TABLE step_rollup (organization_id {big} NOT NULL, level {small} NOT NULL, \
             first_day {big} NOT NULL, prev_function_id {big} NOT NULL, function_id {big} NOT NULL, \
             prev_touchpoint_id {big} NOT NULL, count {big} NOT NULL, case_ends {big} NOT NULL, \
             ping_pongs {big} NOT NULL, customer_burdens {big} NOT NULL, \
             deferral_languages {big} NOT NULL, {}",
            tail(
                &GROUP_KEY.join(", "),
                "count, case_ends, ping_pongs, customer_burdens, deferral_languages"
            )
        ),
        format!(
            "CREATE TABLE step_rollup_entry (organization_id {big} NOT NULL, level {small} NOT NULL, \
             first_day {big} NOT NULL, kind {small} NOT NULL, function_id {big} NOT NULL, \
             prev_day {big} NOT NULL, prev_day2 {big} NOT NULL, count {big} NOT NULL, {}",
            tail(&ENTRY_KEY.join(", "), "count")
        ),
    ]
}

const GROUP_KEY: &[&str] = &[
    "organization_id",
    "level",
    "first_day",
    "prev_function_id",
    "function_id",
    "prev_touchpoint_id",
];

const ENTRY_KEY: &[&str] = &[
    "organization_id",
    "level",
    "first_day",
    "kind",
    "function_id",
    "prev_day",
    "prev_day2",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let backend = manager.get_database_backend();
        let db = manager.get_connection();
        for statement in create(backend).into_iter().chain(fill(backend)) {
            db.execute_unprepared(&statement).await?;
        }
        manager
            .drop_table(
                Table::drop()
                    .table(Alias::new("step_daily_entry"))
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Alias::new("step_daily")).to_owned())
            .await?;
        if backend == sea_orm::DatabaseBackend::Postgres {
            for table in ["step_rollup", "step_rollup_entry"] {
                for statement in tenant_policy(table) {
                    db.execute_unprepared(&statement).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["step_rollup_entry", "step_rollup"] {
            manager
                .drop_table(Table::drop().table(Alias::new(table)).to_owned())
                .await?;
        }
        crate::m20261122_000011_create_daily_rollups::Migration
            .up(manager)
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            for table in ["step_daily", "step_daily_entry"] {
                for statement in tenant_policy(table) {
                    manager
                        .get_connection()
                        .execute_unprepared(&statement)
                        .await?;
                }
            }
        }
        Ok(())
    }
}

const DAY: &str = "86400000000";
/// `rules::calendar::NO_DAY`, written so that PostgreSQL parses it as a BIGINT.
const NONE: &str = "(-9223372036854775807 - 1)";

/// The UTC day of an instant column, by floor division; `NONE` when it is NULL.
fn day(column: &str) -> String {
    format!("COALESCE((({column}) - ((({column}) % {DAY}) + {DAY}) % {DAY}) / {DAY}, {NONE})")
}

/// The statements that fill both levels from the steps, in UTC. Frozen with the
/// migration: the service rebuilds rollups its own way (`service::derived::rollup`).
fn fill(backend: sea_orm::DatabaseBackend) -> Vec<String> {
    let postgres = backend == sea_orm::DatabaseBackend::Postgres;
    // The first day of the month of day number `d`, and the smaller of two values.
    let month = |d: &str| {
        if postgres {
            format!("(date_trunc('month', DATE '1970-01-01' + ({d})::int)::date - DATE '1970-01-01')::bigint")
        } else {
            format!(
                "CAST(julianday(date(({d}) * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)"
            )
        }
    };
    let least = if postgres { "LEAST" } else { "MIN" };
    let steps = format!(
        "(SELECT organization_id, function_id, is_last, \
         COALESCE(prev_function_id, 0) AS prev_function_id, \
         COALESCE(prev_touchpoint_id, 0) AS prev_touchpoint_id, \
         (prev_function_id IS NOT NULL AND prev_function_id <> function_id) AS handoff, \
         ping_pong, customer_burden, deferral_language, \
         {at} AS day, {prev_at} AS prev_day, {prev_same} AS prev_same_day, \
         {prev_handoff} AS prev_handoff_day FROM step) s",
        at = day("at"),
        prev_at = day("prev_at"),
        prev_same = day("prev_same_function_at"),
        prev_handoff = day("prev_handoff_from_at"),
    );
    let mut statements = Vec::new();
    for (level, bucket) in [(0, "s.day".to_owned()), (1, month("s.day"))] {
        statements.push(format!(
            "INSERT INTO step_rollup (organization_id, level, first_day, prev_function_id, \
             function_id, prev_touchpoint_id, count, case_ends, ping_pongs, customer_burdens, \
             deferral_languages) \
             SELECT organization_id, {level}, {bucket}, prev_function_id, function_id, \
             prev_touchpoint_id, COUNT(*), SUM(CASE WHEN is_last THEN 1 ELSE 0 END), \
             SUM(CASE WHEN handoff AND ping_pong THEN 1 ELSE 0 END), \
             SUM(CASE WHEN handoff AND customer_burden THEN 1 ELSE 0 END), \
             SUM(CASE WHEN handoff AND deferral_language THEN 1 ELSE 0 END) \
             FROM {steps} GROUP BY 1, 2, 3, 4, 5, 6"
        ));
        let entry = "INSERT INTO step_rollup_entry \
                     (organization_id, level, first_day, kind, function_id, prev_day, prev_day2, count)";
        let clamp = |column: &str| format!("{least}({column}, {bucket})");
        statements.push(format!(
            "{entry} SELECT organization_id, {level}, {bucket}, 0, 0, {prev}, {NONE}, COUNT(*) \
             FROM {steps} GROUP BY 1, 2, 3, 4, 5, 6, 7",
            prev = clamp("s.prev_day"),
        ));
        statements.push(format!(
            "{entry} SELECT organization_id, {level}, {bucket}, 1, function_id, {prev}, {NONE}, \
             COUNT(*) FROM {steps} GROUP BY 1, 2, 3, 4, 5, 6, 7",
            prev = clamp("s.prev_same_day"),
        ));
        statements.push(format!(
            "{entry} SELECT organization_id, {level}, {bucket}, 2, 0, {prev}, {prev2}, COUNT(*) \
             FROM {steps} WHERE s.handoff GROUP BY 1, 2, 3, 4, 5, 6, 7",
            prev = clamp("s.prev_day"),
            prev2 = clamp("s.prev_handoff_day"),
        ));
    }
    statements
}
