use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Function {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(Function::Table);
        let mut table = Table::create();
        table
            .table(Function::Table)
            .col(big_pk_auto(Function::Id))
            .col(org)
            .col(string_len("name", 200))
            .col(string_len("name_key", 200))
            .col(boolean("is_cx_team"))
            .col(big_integer_null("parent_id"))
            .col(string_len_null("external_id", 200))
            .col(boolean("archived"))
            .foreign_key(&mut org_fk.to_owned())
            .foreign_key(&mut reference(
                Function::Table,
                "parent_id",
                Function::Table,
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        index(
            manager,
            "ux_function_name",
            Function::Table,
            &["organization_id", "name_key"],
            true,
        )
        .await?;
        index(
            manager,
            "ux_function_external_id",
            Function::Table,
            &["organization_id", "external_id"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Function::Table).to_owned())
            .await
    }
}
