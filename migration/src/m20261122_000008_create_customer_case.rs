use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum CustomerCase {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(CustomerCase::Table);
        manager
            .create_table(
                Table::create()
                    .table(CustomerCase::Table)
                    .col(big_pk_auto(CustomerCase::Id))
                    .col(org)
                    .col(string_len("case_ref", 200))
                    .col(big_integer("created_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_customer_case_ref",
            CustomerCase::Table,
            &["organization_id", "case_ref"],
            true,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CustomerCase::Table).to_owned())
            .await
    }
}
