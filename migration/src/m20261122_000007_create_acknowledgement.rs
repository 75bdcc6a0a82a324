use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Acknowledgement {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(Acknowledgement::Table);
        manager
            .create_table(
                Table::create()
                    .table(Acknowledgement::Table)
                    .col(big_pk_auto(Acknowledgement::Id))
                    .col(org)
                    .col(big_integer("person_id"))
                    .col(big_integer("responsibility_id"))
                    .col(big_integer("acknowledged_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .foreign_key(
                        &mut reference(Acknowledgement::Table, "person_id", Alias::new("person"))
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .foreign_key(
                        &mut reference(
                            Acknowledgement::Table,
                            "responsibility_id",
                            Alias::new("responsibility"),
                        )
                        .on_delete(ForeignKeyAction::Cascade)
                        .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_acknowledgement",
            Acknowledgement::Table,
            &["person_id", "responsibility_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_acknowledgement_responsibility",
            Acknowledgement::Table,
            &["responsibility_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Acknowledgement::Table).to_owned())
            .await
    }
}
