//! Administering the organization's webhooks.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use entity::webhook;
use service::ServiceResult;

use super::{user_errors, UserError};
use crate::graphql::context::{db, org_for, viewer, written};
use crate::graphql::ids::row;
use crate::graphql::types::live::{Webhook, WebhookEventEnum};
use crate::server::auth::may;

#[derive(Default)]
pub struct WebhookMutation;

/// A new webhook.
#[derive(InputObject)]
pub struct CreateWebhookInput {
    /// Where to post messages: an absolute http:// or https:// URL (at most 2048
    /// characters, no user or password in it).
    pub url: String,
    /// What to tell it of (at least one).
    pub events: Vec<WebhookEventEnum>,
    /// What it is for (at most 500 characters).
    pub description: Option<String>,
}

/// The result of `createWebhook`.
#[derive(SimpleObject, Default)]
pub struct CreateWebhookPayload {
    /// The webhook; `null` when `userErrors` is not empty.
    pub webhook: Option<Webhook>,
    /// The signing secret (`whsec_…`, as the Standard Webhooks specification writes
    /// it): verify each message's `webhook-signature` with it. Shown this once.
    /// `null` when `userErrors` is not empty.
    pub secret: Option<String>,
    /// What the caller must fix; empty on success.
    pub user_errors: Vec<UserError>,
}

super::payload!(
    /// The result of `setWebhookEnabled` and `deleteWebhook`.
    WebhookPayload, webhook, Webhook
);

#[Object]
impl WebhookMutation {
    /// Creates a webhook. From the next change on, each event it asks for is written
    /// to an outbox in the change's own transaction, then posted, signed, and retried
    /// with backoff until the endpoint answers 2xx (see `webhookDeliveries`). Role:
    /// ADMIN.
    async fn create_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The endpoint, the events and a description.")] input: CreateWebhookInput,
    ) -> ServiceResult<CreateWebhookPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        // An endpoint the sender would refuse is refused now, not at each delivery.
        let allow_private = ctx
            .data_opt::<crate::graphql::WebhookPolicy>()
            .is_some_and(|p| p.allow_private_networks);
        if let Some(why) = crate::live::sender::private_endpoint(&input.url, allow_private).await {
            return Ok(CreateWebhookPayload {
                user_errors: user_errors(vec![service::UserError::new(
                    service::UserErrorCode::Invalid,
                    service::Field::of("url"),
                    why,
                )]),
                ..Default::default()
            });
        }
        let new = service::notify::webhook::NewWebhook {
            url: input.url,
            events: input.events.into_iter().map(Into::into).collect(),
            description: input.description,
            created_by: viewer(ctx)?.subject.clone(),
        };
        Ok(
            match written(service::notify::webhook::create(db(ctx)?, org, new).await)? {
                Ok(created) => CreateWebhookPayload {
                    webhook: Some(Webhook(created.webhook)),
                    secret: Some(created.secret),
                    user_errors: Vec::new(),
                },
                Err(errors) => CreateWebhookPayload {
                    user_errors: user_errors(errors),
                    ..Default::default()
                },
            },
        )
    }

    /// Enables a webhook (clearing its failure streak: its pending messages are
    /// attempted again) or disables it (messages wait). Role: ADMIN.
    async fn set_webhook_enabled(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's global id.")] id: ID,
        #[graphql(desc = "Whether messages are posted to it.")] enabled: bool,
    ) -> ServiceResult<WebhookPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        WebhookPayload::from_write(
            service::notify::webhook::set_enabled(
                db(ctx)?,
                org,
                row::<webhook::Entity>(&id),
                enabled,
            )
            .await,
            Webhook,
        )
    }

    /// Deletes a webhook with its messages, delivered or not. Role: ADMIN.
    async fn delete_webhook(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The webhook's global id.")] id: ID,
    ) -> ServiceResult<WebhookPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        WebhookPayload::from_write(
            service::notify::webhook::delete(db(ctx)?, org, row::<webhook::Entity>(&id)).await,
            Webhook,
        )
    }
}
