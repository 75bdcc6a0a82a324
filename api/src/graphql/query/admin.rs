//! What administrators read: the organization's API keys and its audit trail.

use async_graphql::{Context, InputObject, Object};
use entity::{audit_event, webhook, webhook_delivery};
use service::ServiceError;
use service::ServiceResult;

use crate::graphql::context::{db, org_for, page_request, page_size};
use crate::graphql::ids;
use crate::graphql::types::admin::{ApiKey, AuditEvent, AuditEventConnection, AuditEventEdge};
use crate::graphql::types::connection::{list, PageInfo, WebhookDeliveryConnection};
use crate::graphql::types::live::{Webhook, WebhookDelivery, WebhookDeliveryStatusEnum};
use crate::graphql::types::window::WindowInput;
use crate::server::auth::may;

#[derive(Default)]
pub struct AdminQuery;

/// Which audit events to list; every condition given must hold.
#[derive(InputObject, Default)]
pub struct AuditFilterInput {
    /// Events of this actor (a token's `sub` or an API key's name).
    pub actor: Option<String>,
    /// Events of this action, like `function.update`.
    pub action: Option<String>,
    /// Events about this entity (its global id).
    pub entity_id: Option<async_graphql::ID>,
    /// Events at or after this instant.
    pub from: Option<crate::graphql::types::window::Instant>,
    /// Events before this instant.
    pub to: Option<crate::graphql::types::window::Instant>,
}

/// Which webhook messages to list; every condition given must hold.
#[derive(InputObject, Default)]
pub struct WebhookDeliveryFilterInput {
    /// Messages to this webhook (its global id).
    pub webhook_id: Option<async_graphql::ID>,
    /// Messages in this state.
    pub status: Option<WebhookDeliveryStatusEnum>,
}

#[Object]
impl AdminQuery {
    /// The organization's webhooks, by creation. Role: ADMIN.
    async fn webhooks(&self, ctx: &Context<'_>) -> ServiceResult<Vec<Webhook>> {
        let org = org_for(ctx, may::ADMINISTER)?;
        Ok(service::notify::webhook::list(db(ctx)?, org)
            .await?
            .into_iter()
            .map(Webhook)
            .collect())
    }

    /// The organization's webhook messages, oldest first, with their status and
    /// attempts. Role: ADMIN.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn webhook_deliveries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which messages; every condition given must hold.")] filter: Option<
            WebhookDeliveryFilterInput,
        >,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ServiceResult<WebhookDeliveryConnection> {
        let org = org_for(ctx, may::ADMINISTER)?;
        let request = page_request::<webhook_delivery::Entity>(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = service::notify::webhook::DeliveryFilter {
            webhook_id: filter.webhook_id.as_ref().map(ids::row::<webhook::Entity>),
            status: filter.status.map(Into::into),
        };
        let page = service::notify::webhook::deliveries(db(ctx)?, org, &filter, request).await?;
        Ok(list::<webhook_delivery::Entity, _, _>(
            page,
            |m| m.id,
            WebhookDelivery,
        ))
    }

    /// The organization's API keys, by creation, revoked and expired ones included.
    /// Role: ADMIN.
    async fn api_keys(&self, ctx: &Context<'_>) -> ServiceResult<Vec<ApiKey>> {
        let org = org_for(ctx, may::ADMINISTER)?;
        Ok(service::access::api_key::list(db(ctx)?, org)
            .await?
            .into_iter()
            .map(ApiKey)
            .collect())
    }

    /// Every change made to the organization, newest first: when, by whom, what, and
    /// the entity before and after. Nothing can change or remove an event. Role: ADMIN.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn audit_events(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which events; every condition given must hold.")] filter: Option<
            AuditFilterInput,
        >,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ServiceResult<AuditEventConnection> {
        let org = org_for(ctx, may::ADMINISTER)?;
        let first = page_size(first)?;
        let after = after
            .map(|cursor| {
                ids::decode_cursor::<audit_event::Entity>(&cursor)
                    .ok_or_else(|| ServiceError::bad_input("`after` is not a cursor of this list"))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default();
        let window = WindowInput::resolve(Some(WindowInput {
            from: filter.from,
            to: filter.to,
        }))?;
        let entity = filter
            .entity_id
            .as_ref()
            .map(|id| match ids::node(id) {
                Some((kind, row)) => Ok((kind, row.to_string())),
                None => Err(ServiceError::bad_input("`entityId` is not an id")),
            })
            .transpose()?;
        let filter = service::access::audit::AuditFilter {
            actor: filter.actor,
            action: filter.action,
            entity,
            from: window.from,
            to: window.to,
        };
        let page = service::access::audit::list(db(ctx)?, org, &filter, first, after).await?;
        let edges: Vec<AuditEventEdge> = page
            .items
            .into_iter()
            .map(|event| AuditEventEdge {
                cursor: ids::cursor::<audit_event::Entity>(event.id),
                node: AuditEvent(event),
            })
            .collect();
        Ok(AuditEventConnection {
            page_info: PageInfo {
                has_next_page: page.has_next,
                end_cursor: edges.last().map(|e| e.cursor.clone()),
            },
            edges,
        })
    }
}
