//! For live delivery (docs/rules.md §7): `live_event`, the change table every
//! replica reads to push what was recorded to its subscribers, one row per recorded
//! batch written in the batch's transaction; `webhook`, an organization's endpoints
//! with their signing secrets; and `webhook_delivery`, the outbox of signed messages,
//! also written in the change's transaction, with each message's attempts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, tenant_policy};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum LiveEvent {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Webhook {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WebhookDelivery {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(LiveEvent::Table);
        manager
            .create_table(
                Table::create()
                    .table(LiveEvent::Table)
                    .col(big_pk_auto(LiveEvent::Id))
                    .col(org)
                    .col(text("summary"))
                    .col(text("handoffs"))
                    .col(big_integer("created_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_live_event_created",
            LiveEvent::Table,
            &["created_at"],
            false,
        )
        .await?;

        let (org, org_fk) = organization_id(Webhook::Table);
        manager
            .create_table(
                Table::create()
                    .table(Webhook::Table)
                    .col(big_pk_auto(Webhook::Id))
                    .col(org)
                    .col(string_len("url", 2048))
                    .col(text("events"))
                    .col(string_len_null("description", 500))
                    .col(string_len("secret", 100))
                    .col(boolean("enabled"))
                    .col(text_null("disabled_reason"))
                    .col(integer("failure_streak"))
                    .col(string_len("created_by", 320))
                    .col(big_integer("created_at"))
                    .col(big_integer("updated_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_org",
            Webhook::Table,
            &["organization_id", "enabled"],
            false,
        )
        .await?;

        let (org, org_fk) = organization_id(WebhookDelivery::Table);
        manager
            .create_table(
                Table::create()
                    .table(WebhookDelivery::Table)
                    .col(big_pk_auto(WebhookDelivery::Id))
                    .col(org)
                    .col(big_integer("webhook_id"))
                    .col(string_len("event_type", 80))
                    .col(string_len_uniq("message_id", 64))
                    .col(text("payload"))
                    .col(string_len("status", 20))
                    .col(integer("attempts"))
                    .col(big_integer("next_attempt_at"))
                    .col(big_integer_null("lease_until"))
                    .col(integer_null("last_status"))
                    .col(text_null("last_error"))
                    .col(big_integer("created_at"))
                    .col(big_integer_null("delivered_at"))
                    .foreign_key(&mut org_fk.to_owned())
                    .foreign_key(
                        ForeignKey::create()
                            .from(WebhookDelivery::Table, Alias::new("webhook_id"))
                            .to(Webhook::Table, Webhook::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "ix_webhook_delivery_due",
            WebhookDelivery::Table,
            &["status", "next_attempt_at"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_webhook_delivery_org",
            WebhookDelivery::Table,
            &["organization_id", "id"],
            false,
        )
        .await?;
        index(
            manager,
            "ix_webhook_delivery_webhook",
            WebhookDelivery::Table,
            &["webhook_id", "id"],
            false,
        )
        .await?;

        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            let db = manager.get_connection();
            for table in ["live_event", "webhook", "webhook_delivery"] {
                for statement in tenant_policy(table) {
                    db.execute_unprepared(&statement).await?;
                }
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDelivery::Table.into_iden(),
            Webhook::Table.into_iden(),
            LiveEvent::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
