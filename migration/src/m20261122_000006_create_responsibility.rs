use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Responsibility {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(Responsibility::Table);
        let mut table = Table::create();
        table
            .table(Responsibility::Table)
            .col(big_pk_auto(Responsibility::Id))
            .col(org)
            .col(big_integer("touchpoint_id"))
            .col(big_integer("function_id"))
            .col(string_len("role", 16))
            .col(big_integer_null("person_id"))
            .foreign_key(&mut org_fk.to_owned())
            .foreign_key(&mut reference(
                Responsibility::Table,
                "touchpoint_id",
                Alias::new("touchpoint"),
            ))
            .foreign_key(&mut reference(
                Responsibility::Table,
                "function_id",
                Alias::new("function"),
            ))
            .foreign_key(
                &mut reference(Responsibility::Table, "person_id", Alias::new("person"))
                    .on_delete(ForeignKeyAction::SetNull)
                    .to_owned(),
            );
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        index(
            manager,
            "ux_responsibility",
            Responsibility::Table,
            &["touchpoint_id", "function_id", "role"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_responsibility_org",
            Responsibility::Table,
            &["organization_id", "function_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Responsibility::Table).to_owned())
            .await
    }
}
