//! Identity without external ids (docs/rules.md §1, "Identity"): `interaction.content_key`
//! is the key an interaction recorded without an externalId is recognised by when it is
//! sent again, unique in its organization. Rows from before this step get theirs from
//! the service on start (a hash SQL cannot compute alike on both databases):
//! `organization.content_keys_version` 0 says they are still to be keyed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Interaction {
    Table,
    OrganizationId,
    ContentKey,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    ContentKeysVersion,
}

const INDEX: &str = "ux_interaction_content_key";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Interaction::Table)
                    .add_column(string_len_null(Interaction::ContentKey, 64))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name(INDEX)
                    .table(Interaction::Table)
                    .col(Interaction::OrganizationId)
                    .col(Interaction::ContentKey)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .add_column(integer(Organization::ContentKeysVersion).default(0))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .drop_column(Organization::ContentKeysVersion)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(INDEX)
                    .table(Interaction::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Interaction::Table)
                    .drop_column(Interaction::ContentKey)
                    .to_owned(),
            )
            .await
    }
}
