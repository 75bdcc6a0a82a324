use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::index;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Step {
    Table,
    InteractionId,
}

/// The columns a windowed report reads, in the order of the covering index: the
/// report is one range scan of that index, never a table lookup.
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
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Step::Table)
                    .col(big_integer(Step::InteractionId).primary_key())
                    .col(big_integer("organization_id"))
                    .col(big_integer("case_id"))
                    .col(integer("position"))
                    .col(big_integer("at"))
                    .col(big_integer("function_id"))
                    .col(big_integer_null("prev_interaction_id"))
                    .col(big_integer_null("prev_function_id"))
                    .col(big_integer_null("prev_touchpoint_id"))
                    .col(big_integer_null("prev_at"))
                    .col(big_integer_null("prev_same_function_at"))
                    .col(big_integer_null("prev_handoff_from_at"))
                    .col(boolean("ping_pong"))
                    .col(boolean("customer_burden"))
                    .col(boolean("deferral_language"))
                    .col(boolean("is_last"))
                    .to_owned(),
            )
            .await?;
        index(manager, "ix_step_report", Step::Table, REPORT_INDEX, false).await?;
        index(manager, "ix_step_case", Step::Table, &["case_id"], false).await?;
        index(
            manager,
            "ix_step_prev_interaction",
            Step::Table,
            &["prev_interaction_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Step::Table).to_owned())
            .await
    }
}
