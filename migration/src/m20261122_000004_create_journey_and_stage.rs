use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Journey {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Stage {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(Journey::Table);
        let mut journey = Table::create();
        journey
            .table(Journey::Table)
            .col(big_pk_auto(Journey::Id))
            .col(org)
            .col(string_len("name", 200))
            .col(string_len("name_key", 200))
            .col(boolean("archived"))
            .foreign_key(&mut org_fk.to_owned());
        manager
            .create_table(timestamps(&mut journey).to_owned())
            .await?;
        index(
            manager,
            "ux_journey_name",
            Journey::Table,
            &["organization_id", "name_key"],
            true,
        )
        .await?;

        let (org, org_fk) = organization_id(Stage::Table);
        let mut stage = Table::create();
        stage
            .table(Stage::Table)
            .col(big_pk_auto(Stage::Id))
            .col(org)
            .col(big_integer("journey_id"))
            .col(string_len("name", 200))
            .col(integer("position"))
            .foreign_key(&mut org_fk.to_owned())
            .foreign_key(
                &mut reference(Stage::Table, "journey_id", Journey::Table)
                    .on_delete(ForeignKeyAction::Cascade)
                    .to_owned(),
            );
        manager
            .create_table(timestamps(&mut stage).to_owned())
            .await?;
        index(
            manager,
            "ix_stage_journey",
            Stage::Table,
            &["journey_id", "position"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Stage::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Journey::Table).to_owned())
            .await
    }
}
