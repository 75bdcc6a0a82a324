use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Touchpoint {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(Touchpoint::Table);
        let mut table = Table::create();
        table
            .table(Touchpoint::Table)
            .col(big_pk_auto(Touchpoint::Id))
            .col(org)
            .col(string_len("name", 200))
            .col(string_len("name_key", 200))
            .col(string_len("channel", 16))
            .col(big_integer_null("stage_id"))
            .col(string_len("experience", 200))
            .col(boolean("archived"))
            .foreign_key(&mut org_fk.to_owned())
            .foreign_key(
                &mut reference(Touchpoint::Table, "stage_id", Alias::new("stage"))
                    .on_delete(ForeignKeyAction::SetNull)
                    .to_owned(),
            );
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        index(
            manager,
            "ux_touchpoint_name",
            Touchpoint::Table,
            &["organization_id", "name_key"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Touchpoint::Table).to_owned())
            .await
    }
}
