use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Interaction {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(Interaction::Table);
        manager
            .create_table(
                Table::create()
                    .table(Interaction::Table)
                    .col(big_pk_auto(Interaction::Id))
                    .col(org)
                    .col(big_integer("case_id"))
                    .col(big_integer("occurred_at"))
                    .col(big_integer("function_id"))
                    .col(big_integer_null("touchpoint_id"))
                    .col(big_integer_null("person_id"))
                    .col(text_null("note"))
                    .col(boolean("customer_action_required"))
                    .col(string_len_null("external_id", 200))
                    .col(boolean("burden_match"))
                    .col(boolean("deferral_match"))
                    .col(big_integer("recorded_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .foreign_key(&mut reference(
                        Interaction::Table,
                        "case_id",
                        Alias::new("customer_case"),
                    ))
                    .foreign_key(&mut reference(
                        Interaction::Table,
                        "function_id",
                        Alias::new("function"),
                    ))
                    .foreign_key(&mut reference(
                        Interaction::Table,
                        "touchpoint_id",
                        Alias::new("touchpoint"),
                    ))
                    .foreign_key(&mut reference(
                        Interaction::Table,
                        "person_id",
                        Alias::new("person"),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_interaction_external_id",
            Interaction::Table,
            &["organization_id", "external_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_interaction_case",
            Interaction::Table,
            &["case_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Interaction::Table).to_owned())
            .await
    }
}
