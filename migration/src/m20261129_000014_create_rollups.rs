//! The rollups gain a level: each step counts in its local day's bucket and in its
//! local month's (`step_rollup`, `step_rollup_entry`), so that a report over months
//! reads a month's rows instead of thirty days' (see `rules::rollup`). They replace
//! `step_daily` and `step_daily_entry`. Every organization is in UTC when this runs,
//! so the buckets are filled from the steps in UTC.
//!
//! For the chart against the log (docs/rules.md §4b): touchpoints gain `prompt_within`
//! (µs); steps gain their own touchpoint, whether the previous interaction required
//! customer action, and whether it breached its touchpoint's `prompt_within`; the
//! rollups count PROMPT opportunities and breaches, and `touchpoint_rollup` counts
//! interactions per touchpoint and function.

use sea_orm_migration::prelude::*;

use crate::common::{index, tenant_policy};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables, keyed by the bucket and every column a flag depends on. A report reads
/// a range of one organization's buckets, so each table is stored in key order with
/// its counts beside the key: on SQLite a table WITHOUT ROWID (the key is the table),
/// on PostgreSQL a primary key that INCLUDEs the counts (index-only scans).
fn create(backend: sea_orm::DatabaseBackend) -> [String; 3] {
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
            "CREATE TABLE touchpoint_rollup (organization_id {big} NOT NULL, level {small} NOT NULL, \
             first_day {big} NOT NULL, touchpoint_id {big} NOT NULL, function_id {big} NOT NULL, \
             count {big} NOT NULL, {}",
            tail(&TOUCHPOINT_KEY.join(", "), "count")
        ),
        format!(
            "CREATE TABLE step_rollup (organization_id {big} NOT NULL, level {small} NOT NULL, \
             first_day {big} NOT NULL, prev_function_id {big} NOT NULL, function_id {big} NOT NULL, \
             prev_touchpoint_id {big} NOT NULL, count {big} NOT NULL, case_ends {big} NOT NULL, \
             ping_pongs {big} NOT NULL, customer_burdens {big} NOT NULL, \
             deferral_languages {big} NOT NULL, prompt_opportunities {big} NOT NULL, \
             prompt_breaches {big} NOT NULL, {}",
            tail(
                &GROUP_KEY.join(", "),
                "count, case_ends, ping_pongs, customer_burdens, deferral_languages, \
                 prompt_opportunities, prompt_breaches"
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

/// The columns a windowed report reads, in the order of the covering index (see
/// `m20261122_000010_create_step`), now with the columns of the chart against the log
/// last.
const REPORT_INDEX: &[&str] = &[
    "organization_id",
    "at",
    "function_id",
    "prev_function_id",
    "prev_touchpoint_id",
    "ping_pong",
    "customer_burden",
    "deferral_language",
    "is_last",
    "prev_at",
    "prev_same_function_at",
    "prev_handoff_from_at",
    "touchpoint_id",
    "prev_customer_action",
    "prompt_breach",
];

const TOUCHPOINT_KEY: &[&str] = &[
    "organization_id",
    "level",
    "first_day",
    "touchpoint_id",
    "function_id",
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
        // One column a statement: SQLite alters one thing at a time.
        for column in [
            ColumnDef::new(Alias::new("touchpoint_id"))
                .big_integer()
                .null()
                .to_owned(),
            ColumnDef::new(Alias::new("prev_customer_action"))
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
            ColumnDef::new(Alias::new("prompt_breach"))
                .boolean()
                .not_null()
                .default(false)
                .to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new("step"))
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Alias::new("touchpoint"))
                    .add_column(
                        ColumnDef::new(Alias::new("prompt_within"))
                            .big_integer()
                            .null(),
                    )
                    .to_owned(),
            )
            .await?;
        db.execute_unprepared(
            "UPDATE step SET \
             touchpoint_id = (SELECT i.touchpoint_id FROM interaction i WHERE i.id = step.interaction_id), \
             prev_customer_action = COALESCE((SELECT i.customer_action_required FROM interaction i \
               WHERE i.id = step.prev_interaction_id), false)",
        )
        .await?;
        // The covering index of windowed reports gains the new columns.
        db.execute_unprepared("DROP INDEX IF EXISTS ix_step_report")
            .await?;
        index(
            manager,
            "ix_step_report",
            Alias::new("step"),
            REPORT_INDEX,
            false,
        )
        .await?;
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
            for table in ["step_rollup", "step_rollup_entry", "touchpoint_rollup"] {
                for statement in tenant_policy(table) {
                    db.execute_unprepared(&statement).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("ix_step_report")
                    .table(Alias::new("step"))
                    .to_owned(),
            )
            .await?;
        let before = &REPORT_INDEX[..REPORT_INDEX.len() - 3];
        index(manager, "ix_step_report", Alias::new("step"), before, false).await?;
        for (table, column) in [
            ("step", "prompt_breach"),
            ("step", "prev_customer_action"),
            ("step", "touchpoint_id"),
            ("touchpoint", "prompt_within"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Alias::new(table))
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        for table in ["touchpoint_rollup", "step_rollup_entry", "step_rollup"] {
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
        "(SELECT organization_id, function_id, is_last, touchpoint_id, \
         (prev_function_id IS NOT NULL AND NOT prev_customer_action) AS prompt_opportunity, \
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
             deferral_languages, prompt_opportunities, prompt_breaches) \
             SELECT organization_id, {level}, {bucket}, prev_function_id, function_id, \
             prev_touchpoint_id, COUNT(*), SUM(CASE WHEN is_last THEN 1 ELSE 0 END), \
             SUM(CASE WHEN handoff AND ping_pong THEN 1 ELSE 0 END), \
             SUM(CASE WHEN handoff AND customer_burden THEN 1 ELSE 0 END), \
             SUM(CASE WHEN handoff AND deferral_language THEN 1 ELSE 0 END), \
             SUM(CASE WHEN prompt_opportunity THEN 1 ELSE 0 END), 0 \
             FROM {steps} GROUP BY 1, 2, 3, 4, 5, 6"
        ));
        statements.push(format!(
            "INSERT INTO touchpoint_rollup (organization_id, level, first_day, touchpoint_id, \
             function_id, count) \
             SELECT organization_id, {level}, {bucket}, touchpoint_id, function_id, COUNT(*) \
             FROM {steps} WHERE touchpoint_id IS NOT NULL GROUP BY 1, 2, 3, 4, 5"
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
