//! What identity providers and connectors need: people gain a SCIM `userName`, given
//! and family names and a department; people and functions can be deleted by a
//! directory while staying in history (`deleted_at`); a person can belong to several
//! functions (`membership`, filled from today's one function each); organizations get
//! API keys for connectors (`api_key`, only a hash of each secret) and an append-only
//! audit trail (`audit_event`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference, tenant_policy};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Person {
    Table,
}

#[derive(DeriveIden)]
enum Function {
    Table,
}

#[derive(DeriveIden)]
enum Membership {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum ApiKey {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AuditEvent {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column a statement: SQLite alters one thing at a time.
        for column in [
            string_len_null("user_name", 320),
            string_len_null("user_name_key", 320),
            string_len_null("given_name", 200),
            string_len_null("family_name", 200),
            string_len_null("department", 200),
            big_integer_null("deleted_at"),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Person::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        index(
            manager,
            "ux_person_user_name",
            Person::Table,
            &["organization_id", "user_name_key"],
            true,
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Function::Table)
                    .add_column(big_integer_null("deleted_at"))
                    .to_owned(),
            )
            .await?;

        let (org, org_fk) = organization_id(Membership::Table);
        manager
            .create_table(
                Table::create()
                    .table(Membership::Table)
                    .col(big_pk_auto(Membership::Id))
                    .col(org)
                    .col(big_integer("function_id"))
                    .col(big_integer("person_id"))
                    .col(big_integer("created_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .foreign_key(&mut reference(
                        Membership::Table,
                        "function_id",
                        Alias::new("function"),
                    ))
                    .foreign_key(&mut reference(
                        Membership::Table,
                        "person_id",
                        Alias::new("person"),
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_membership",
            Membership::Table,
            &["person_id", "function_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_membership_function",
            Membership::Table,
            &["function_id"],
            false,
        )
        .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "INSERT INTO membership (organization_id, function_id, person_id, created_at) \
                 SELECT organization_id, function_id, id, created_at FROM person \
                 WHERE function_id IS NOT NULL",
            )
            .await?;

        let (org, org_fk) = organization_id(ApiKey::Table);
        manager
            .create_table(
                Table::create()
                    .table(ApiKey::Table)
                    .col(big_pk_auto(ApiKey::Id))
                    .col(org)
                    .col(string_len("name", 200))
                    .col(string_len_uniq("public_id", 64))
                    .col(string_len("secret_hash", 64))
                    .col(text("roles"))
                    .col(string_len("created_by", 320))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("expires_at"))
                    .col(big_integer_null("revoked_at"))
                    .col(big_integer_null("last_used_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ux_api_key_name",
            ApiKey::Table,
            &["organization_id", "name"],
            true,
        )
        .await?;

        let (org, org_fk) = organization_id(AuditEvent::Table);
        manager
            .create_table(
                Table::create()
                    .table(AuditEvent::Table)
                    .col(big_pk_auto(AuditEvent::Id))
                    .col(org)
                    .col(big_integer("at"))
                    .col(string_len("actor", 320))
                    .col(string_len("actor_kind", 20))
                    .col(text("roles"))
                    .col(string_len("action", 80))
                    .col(string_len("entity_kind", 40))
                    .col(string_len_null("entity_id", 80))
                    .col(text_null("before_json"))
                    .col(text_null("after_json"))
                    .col(string_len_null("request_id", 128))
                    .foreign_key(&mut org_fk.to_owned())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_audit_event_at",
            AuditEvent::Table,
            &["organization_id", "at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_audit_event_entity",
            AuditEvent::Table,
            &["organization_id", "entity_id"],
            false,
        )
        .await?;

        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let db = manager.get_connection();
            for table in ["membership", "api_key", "audit_event"] {
                for statement in tenant_policy(table) {
                    db.execute_unprepared(&statement).await?;
                }
            }
            // The trail is append-only for requests: only the owner role (a
            // migration, an operator) can change or remove an event.
            db.execute_unprepared("REVOKE UPDATE, DELETE ON audit_event FROM siloscope_tenant")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEvent::Table.into_iden(),
            ApiKey::Table.into_iden(),
            Membership::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("ux_person_user_name")
                    .table(Person::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Function::Table)
                    .drop_column(Alias::new("deleted_at"))
                    .to_owned(),
            )
            .await?;
        for column in [
            "deleted_at",
            "department",
            "family_name",
            "given_name",
            "user_name_key",
            "user_name",
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Person::Table)
                        .drop_column(Alias::new(column))
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
