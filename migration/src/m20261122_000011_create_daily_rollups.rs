use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum StepDaily {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum StepDailyEntry {
    Table,
    Id,
}

const DAILY_KEY: &[&str] = &[
    "organization_id",
    "day",
    "prev_function_id",
    "function_id",
    "prev_touchpoint_id",
    "ping_pong",
    "customer_burden",
    "deferral_language",
];

const ENTRY_KEY: &[&str] = &[
    "organization_id",
    "day",
    "kind",
    "function_id",
    "prev_day",
    "prev_day2",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StepDaily::Table)
                    .col(big_pk_auto(StepDaily::Id))
                    .col(big_integer("organization_id"))
                    .col(big_integer("day"))
                    .col(big_integer("prev_function_id"))
                    .col(big_integer("function_id"))
                    .col(big_integer("prev_touchpoint_id"))
                    .col(boolean("ping_pong"))
                    .col(boolean("customer_burden"))
                    .col(boolean("deferral_language"))
                    .col(big_integer("count"))
                    .col(big_integer("case_ends"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ux_step_daily", StepDaily::Table, DAILY_KEY, true).await?;
        manager
            .create_table(
                Table::create()
                    .table(StepDailyEntry::Table)
                    .col(big_pk_auto(StepDailyEntry::Id))
                    .col(big_integer("organization_id"))
                    .col(big_integer("day"))
                    .col(small_integer("kind"))
                    .col(big_integer("function_id"))
                    .col(big_integer("prev_day"))
                    .col(big_integer("prev_day2"))
                    .col(big_integer("count"))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_step_daily_entry",
            StepDailyEntry::Table,
            ENTRY_KEY,
            true,
        )
        .await?;
        // Roll up the steps recorded before this migration.
        for statement in rebuild() {
            manager
                .get_connection()
                .execute_unprepared(&statement)
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(StepDailyEntry::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(StepDaily::Table).to_owned())
            .await
    }
}

// Day numbers use floor division, so instants before 1970 fall on the right day; a
// missing day is i64::MIN.
const DAY: &str = "86400000000";
const NONE: &str = "(-9223372036854775807 - 1)";

fn day(column: &str) -> String {
    format!("(({column}) - ((({column}) % {DAY}) + {DAY}) % {DAY}) / {DAY}")
}

/// The statements that fill the rollups from the steps recorded before this
/// migration. Frozen with the migration: the service keeps its own copy
/// (`service::derived::rollup`), free to change.
fn rebuild() -> Vec<String> {
    let at = day("at");
    let prev_at = day("prev_at");
    let prev_same = day("prev_same_function_at");
    let prev_handoff = day("prev_handoff_from_at");
    vec![
        "DELETE FROM step_daily".to_owned(),
        "DELETE FROM step_daily_entry".to_owned(),
        format!(
            "INSERT INTO step_daily (organization_id, day, prev_function_id, function_id, prev_touchpoint_id, \
             ping_pong, customer_burden, deferral_language, count, case_ends) \
             SELECT organization_id, {at}, COALESCE(prev_function_id, 0), function_id, COALESCE(prev_touchpoint_id, 0), \
             ping_pong, customer_burden, deferral_language, COUNT(*), SUM(CASE WHEN is_last THEN 1 ELSE 0 END) \
             FROM step GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
        ),
        format!(
            "INSERT INTO step_daily_entry (organization_id, day, kind, function_id, prev_day, prev_day2, count) \
             SELECT organization_id, {at}, 0, 0, COALESCE({prev_at}, {NONE}), {NONE}, COUNT(*) \
             FROM step GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        format!(
            "INSERT INTO step_daily_entry (organization_id, day, kind, function_id, prev_day, prev_day2, count) \
             SELECT organization_id, {at}, 1, function_id, COALESCE({prev_same}, {NONE}), {NONE}, COUNT(*) \
             FROM step GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        format!(
            "INSERT INTO step_daily_entry (organization_id, day, kind, function_id, prev_day, prev_day2, count) \
             SELECT organization_id, {at}, 2, 0, {prev_at}, COALESCE({prev_handoff}, {NONE}), COUNT(*) \
             FROM step WHERE prev_function_id IS NOT NULL AND prev_function_id <> function_id \
             GROUP BY 1, 2, 3, 4, 5, 6"
        ),
    ]
}
