//! For the chart against the log (docs/rules.md §6): organizations gain
//! `min_interactions` (the interactions a touchpoint needs in a window before its de
//! facto owner is judged); touchpoints gain `prompt_within` (µs); steps gain their own
//! touchpoint, whether the previous interaction required customer action, and whether
//! it breached its touchpoint's `prompt_within`; the group rollups count PROMPT
//! opportunities and breaches, and `touchpoint_rollup` counts interactions per
//! touchpoint and function.
//!
//! The rollups are bucketed by each organization's local days, which SQL alone cannot
//! compute here, so this migration leaves `step_rollup` and `touchpoint_rollup` empty
//! in their new layout and sets `organization.rollup_version` to 0: the service
//! rebuilds every organization's rollups from its steps (in its calendar) before it
//! serves (`service::db::migrate`), and marks them current. Going down leaves the
//! rollups of the earlier layout empty: an earlier siloscope rebuilds an
//! organization's when its time zone is changed (set it to another and back).

use sea_orm_migration::prelude::*;

use crate::common::{index, tenant_policy};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The columns a windowed report reads, in the order of the covering index (see
/// `m20261122_000010_create_step`), with the columns of the chart against the log last.
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

/// How many of `REPORT_INDEX`'s columns are new here.
const NEW_INDEX_COLUMNS: usize = 3;

/// The group rollup's counts before and after this migration.
const GROUP_COUNTS_BEFORE: &str =
    "count, case_ends, ping_pongs, customer_burdens, deferral_languages";
const GROUP_KEY: &str =
    "organization_id, level, first_day, prev_function_id, function_id, prev_touchpoint_id";
const TOUCHPOINT_KEY: &str = "organization_id, level, first_day, touchpoint_id, function_id";

/// The rollup tables stored in key order with their counts beside the key, as
/// `m20261129_000014_create_rollups` stores them: on SQLite WITHOUT ROWID, on
/// PostgreSQL a primary key that INCLUDEs the counts.
fn create_rollups(backend: sea_orm::DatabaseBackend, prompt_counts: bool) -> Vec<String> {
    let postgres = backend == sea_orm::DatabaseBackend::Postgres;
    let (big, small) = if postgres {
        ("BIGINT", "SMALLINT")
    } else {
        ("INTEGER", "INTEGER")
    };
    let tail = |key: &str, counts: &str| {
        if postgres {
            format!("PRIMARY KEY ({key}) INCLUDE ({counts}))")
        } else {
            format!("PRIMARY KEY ({key})) WITHOUT ROWID")
        }
    };
    let (prompt_columns, counts) = if prompt_counts {
        (
            format!("prompt_opportunities {big} NOT NULL, prompt_breaches {big} NOT NULL, "),
            format!("{GROUP_COUNTS_BEFORE}, prompt_opportunities, prompt_breaches"),
        )
    } else {
        (String::new(), GROUP_COUNTS_BEFORE.to_owned())
    };
    let mut statements = vec![format!(
        "CREATE TABLE step_rollup (organization_id {big} NOT NULL, level {small} NOT NULL, \
         first_day {big} NOT NULL, prev_function_id {big} NOT NULL, function_id {big} NOT NULL, \
         prev_touchpoint_id {big} NOT NULL, count {big} NOT NULL, case_ends {big} NOT NULL, \
         ping_pongs {big} NOT NULL, customer_burdens {big} NOT NULL, \
         deferral_languages {big} NOT NULL, {prompt_columns}{}",
        tail(GROUP_KEY, &counts)
    )];
    if prompt_counts {
        statements.push(format!(
            "CREATE TABLE touchpoint_rollup (organization_id {big} NOT NULL, level {small} NOT NULL, \
             first_day {big} NOT NULL, touchpoint_id {big} NOT NULL, function_id {big} NOT NULL, \
             count {big} NOT NULL, {}",
            tail(TOUCHPOINT_KEY, "count")
        ));
    }
    statements
}

async fn add_column(
    manager: &SchemaManager<'_>,
    table: &str,
    column: ColumnDef,
) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .add_column(column)
                .to_owned(),
        )
        .await
}

async fn drop_column(manager: &SchemaManager<'_>, table: &str, column: &str) -> Result<(), DbErr> {
    manager
        .alter_table(
            Table::alter()
                .table(Alias::new(table))
                .drop_column(Alias::new(column))
                .to_owned(),
        )
        .await
}

/// Replaces the covering index of windowed reports with one over `columns`.
async fn report_index(manager: &SchemaManager<'_>, columns: &[&str]) -> Result<(), DbErr> {
    manager
        .get_connection()
        .execute_unprepared("DROP INDEX IF EXISTS ix_step_report")
        .await?;
    index(
        manager,
        "ix_step_report",
        Alias::new("step"),
        columns,
        false,
    )
    .await
}

/// Drops `step_rollup` (and `touchpoint_rollup` if asked) and creates them in the
/// layout asked for, empty, under row-level security on PostgreSQL.
async fn replace_rollups(
    manager: &SchemaManager<'_>,
    drop: &[&str],
    prompt_counts: bool,
) -> Result<(), DbErr> {
    let backend = manager.get_database_backend();
    let db = manager.get_connection();
    for table in drop {
        manager
            .drop_table(Table::drop().table(Alias::new(*table)).to_owned())
            .await?;
    }
    for statement in create_rollups(backend, prompt_counts) {
        db.execute_unprepared(&statement).await?;
    }
    if backend == sea_orm::DatabaseBackend::Postgres {
        let tables: &[&str] = if prompt_counts {
            &["step_rollup", "touchpoint_rollup"]
        } else {
            &["step_rollup"]
        };
        for table in tables {
            for statement in tenant_policy(table) {
                db.execute_unprepared(&statement).await?;
            }
        }
    }
    // Every organization's rollups are rebuilt before the service serves.
    db.execute_unprepared("UPDATE organization SET rollup_version = 0")
        .await?;
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let flag = |name: &str| {
            ColumnDef::new(Alias::new(name))
                .boolean()
                .not_null()
                .default(false)
                .to_owned()
        };
        add_column(
            manager,
            "organization",
            ColumnDef::new(Alias::new("min_interactions"))
                .integer()
                .not_null()
                .default(20)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            "organization",
            ColumnDef::new(Alias::new("rollup_version"))
                .integer()
                .not_null()
                .default(0)
                .to_owned(),
        )
        .await?;
        add_column(
            manager,
            "touchpoint",
            ColumnDef::new(Alias::new("prompt_within"))
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        // One column a statement: SQLite alters one thing at a time.
        add_column(
            manager,
            "step",
            ColumnDef::new(Alias::new("touchpoint_id"))
                .big_integer()
                .null()
                .to_owned(),
        )
        .await?;
        add_column(manager, "step", flag("prev_customer_action")).await?;
        add_column(manager, "step", flag("prompt_breach")).await?;
        // No touchpoint has a `prompt_within` yet, so no step breached one.
        db.execute_unprepared(
            "UPDATE step SET \
             touchpoint_id = (SELECT i.touchpoint_id FROM interaction i WHERE i.id = step.interaction_id), \
             prev_customer_action = COALESCE((SELECT i.customer_action_required FROM interaction i \
               WHERE i.id = step.prev_interaction_id), false)",
        )
        .await?;
        report_index(manager, REPORT_INDEX).await?;
        replace_rollups(manager, &["step_rollup"], true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        replace_rollups(manager, &["touchpoint_rollup", "step_rollup"], false).await?;
        report_index(
            manager,
            &REPORT_INDEX[..REPORT_INDEX.len() - NEW_INDEX_COLUMNS],
        )
        .await?;
        for (table, column) in [
            ("step", "prompt_breach"),
            ("step", "prev_customer_action"),
            ("step", "touchpoint_id"),
            ("touchpoint", "prompt_within"),
            ("organization", "rollup_version"),
            ("organization", "min_interactions"),
        ] {
            drop_column(manager, table, column).await?;
        }
        Ok(())
    }
}
