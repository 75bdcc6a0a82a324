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
        for statement in crate::rollups::rebuild(None) {
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
