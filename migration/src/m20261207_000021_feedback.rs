//! What customers say (docs/rules.md §11): `feedback`, survey offers and answers and
//! complaints, each about one recorded case and recognised by its `external_id` in
//! the organization; and `organization.min_responses`, the answers a survey kind
//! needs in a window before the voice report judges whether its scores hide the silos.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference, tenant_policy};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Feedback {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CustomerCase {
    Table,
}

#[derive(DeriveIden)]
enum Organization {
    Table,
    MinResponses,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(Feedback::Table);
        manager
            .create_table(
                Table::create()
                    .table(Feedback::Table)
                    .col(big_pk_auto(Feedback::Id))
                    .col(org)
                    .col(big_integer("case_id"))
                    .col(string_len("external_id", 200))
                    .col(string_len("kind", 16))
                    .col(big_integer("at"))
                    .col(big_integer_null("answered_at"))
                    .col(integer_null("score"))
                    .col(string_len_null("channel", 100))
                    .col(text_null("comment"))
                    .col(boolean("comment_redacted").default(false))
                    .col(big_integer("recorded_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .foreign_key(
                        &mut reference(Feedback::Table, "case_id", CustomerCase::Table)
                            .on_delete(ForeignKeyAction::Cascade)
                            .to_owned(),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_feedback_external",
            Feedback::Table,
            &["organization_id", "external_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_feedback_at",
            Feedback::Table,
            &["organization_id", "at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_feedback_case",
            Feedback::Table,
            &["case_id"],
            false,
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .add_column(integer(Organization::MinResponses).default(30))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let db = manager.get_connection();
            for statement in tenant_policy("feedback") {
                db.execute_unprepared(&statement).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Organization::Table)
                    .drop_column(Organization::MinResponses)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Feedback::Table).to_owned())
            .await
    }
}
