//! Which directory manages a function or a person (`managed_by`): `sync` for the rows
//! `syncDirectory` created or took over, `scim` for those an identity provider
//! provisioned, `NULL` for the rest (the API, `import org`, the demo). A MIRROR sync
//! archives only the rows it manages itself. Rows from before this step: people with a
//! user name came from SCIM; functions with members and an external id too; other
//! rows with an external id from a sync.
//!
//! `server_secret`: keys the database keeps for every replica (the key ids are made
//! with), written by the service when first needed. Requests' tenant role may not read
//! it (PostgreSQL).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Function {
    Table,
    ManagedBy,
}

#[derive(DeriveIden)]
enum Person {
    Table,
    ManagedBy,
}

#[derive(DeriveIden)]
enum ServerSecret {
    Table,
    Name,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Function::Table)
                    .add_column(string_len_null(Function::ManagedBy, 16))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Person::Table)
                    .add_column(string_len_null(Person::ManagedBy, 16))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE person SET managed_by = 'scim' WHERE user_name IS NOT NULL AND deleted_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE person SET managed_by = 'sync' WHERE managed_by IS NULL AND external_id IS NOT NULL",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE function SET managed_by = 'scim' WHERE external_id IS NOT NULL AND id IN \
             (SELECT function_id FROM membership)",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE function SET managed_by = 'sync' WHERE managed_by IS NULL AND external_id IS NOT NULL",
        )
        .await?;
        manager
            .create_table(
                Table::create()
                    .table(ServerSecret::Table)
                    .col(string_len(ServerSecret::Name, 64).primary_key())
                    .col(string_len(ServerSecret::Value, 512))
                    .to_owned(),
            )
            .await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            db.execute_unprepared(
                "DO $$ BEGIN
                   IF to_regrole('siloscope_tenant') IS NOT NULL THEN
                     REVOKE ALL ON server_secret FROM siloscope_tenant;
                   END IF;
                 END $$",
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ServerSecret::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Person::Table)
                    .drop_column(Person::ManagedBy)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Function::Table)
                    .drop_column(Function::ManagedBy)
                    .to_owned(),
            )
            .await
    }
}
