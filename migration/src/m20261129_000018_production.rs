//! For running in production (docs/rules.md §8): `trusted_document`, the documents an
//! operator registered (`siloscope documents add`), by the SHA-256 of their text,
//! shared by every organization as the dashboards built with them are; an
//! organization's retention period (`retention_days`, none by default) and the
//! instant from which its log is complete (`complete_from`, raised each time
//! retention deletes older interactions); an interaction's `note_redacted` (its note
//! was blanked by `redactInteractions`, its phrase marks kept); a person's
//! `erased_at` (`erasePerson` replaced the name, email and ids with a pseudonym).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum TrustedDocument {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    RetentionDays,
    CompleteFrom,
}

#[derive(DeriveIden)]
enum Interaction {
    Table,
    NoteRedacted,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    ErasedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(TrustedDocument::Table)
                    .col(big_pk_auto(TrustedDocument::Id))
                    .col(string_len_uniq("document_id", 80))
                    .col(text("body"))
                    .col(string_len_null("name", 200))
                    .col(big_integer("created_at"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .add_column(integer_null(Organization::RetentionDays))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .add_column(big_integer_null(Organization::CompleteFrom))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Interaction::Table)
                    .add_column(boolean(Interaction::NoteRedacted).default(false))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Person::Table)
                    .add_column(big_integer_null(Person::ErasedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Person::Table)
                    .drop_column(Person::ErasedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Interaction::Table)
                    .drop_column(Interaction::NoteRedacted)
                    .to_owned(),
            )
            .await?;
        for column in [Organization::CompleteFrom, Organization::RetentionDays] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Organization::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .drop_table(Table::drop().table(TrustedDocument::Table).to_owned())
            .await
    }
}
