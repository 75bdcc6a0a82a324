//! An organization's webhooks: created with a secret shown once, enabled, disabled,
//! deleted and listed with their messages.

use entity::{webhook, webhook_delivery};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use super::{wake, EventType, Status, MAX_URL, MAX_WEBHOOKS, SECRET_PREFIX};
use crate::error::{
    check, no_such, Field, ServiceError, ServiceResult, UserError, UserErrorCode, Write,
};
use crate::fields::{finish, Audit};
use crate::storage::db::{begin_change, now_micros};
use crate::storage::scoped::{find, in_org, Page, PageRequest};

/// A webhook to create.
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<EventType>,
    pub description: Option<String>,
    /// Who creates it (a token's `sub` or a key's name).
    pub created_by: String,
}

/// A created webhook and its signing secret, which is shown this once.
pub struct CreatedWebhook {
    pub webhook: webhook::Model,
    pub secret: String,
}

/// The event types a webhook is subscribed to.
pub fn events(webhook: &webhook::Model) -> Vec<EventType> {
    serde_json::from_str::<Vec<String>>(&webhook.events)
        .unwrap_or_default()
        .iter()
        .filter_map(|name| EventType::named(name))
        .collect()
}

/// Checks an endpoint URL: absolute http(s) with a host, no credentials in it.
fn check_url(url: &str, errors: &mut Vec<UserError>) -> String {
    let url = url.trim();
    let path = Field::of("url");
    if url.chars().count() > MAX_URL {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            path,
            format!("a URL has at most {MAX_URL} characters"),
        ));
        return url.to_owned();
    }
    match url::Url::parse(url) {
        Ok(parsed)
            if matches!(parsed.scheme(), "http" | "https")
                && parsed.host_str().is_some_and(|h| !h.is_empty())
                && parsed.username().is_empty()
                && parsed.password().is_none() =>
        {
            parsed.to_string()
        }
        _ => {
            errors.push(UserError::new(
                UserErrorCode::Invalid,
                path,
                "the URL must be an absolute http:// or https:// URL with a host and no user or password",
            ));
            url.to_owned()
        }
    }
}

/// Creates a webhook with a new signing secret.
pub async fn create(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    input: NewWebhook,
) -> Write<CreatedWebhook> {
    let mut errors = Vec::new();
    let url = check_url(&input.url, &mut errors);
    let mut events = input.events;
    events.dedup();
    if events.is_empty() {
        errors.push(UserError::new(
            UserErrorCode::Required,
            Field::of("events"),
            "a webhook needs at least one event type",
        ));
    }
    let description = input
        .description
        .map(|d| d.trim().to_owned())
        .filter(|d| !d.is_empty());
    if description
        .as_ref()
        .is_some_and(|d| d.chars().count() > 500)
    {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            Field::of("description"),
            "a description has at most 500 characters",
        ));
    }
    check(errors.clone())?;
    let txn = begin_change(db, organization_id).await?;
    let count = in_org::<webhook::Entity>(organization_id)
        .all(&txn)
        .await?
        .len();
    if count >= MAX_WEBHOOKS {
        errors.push(UserError::new(
            UserErrorCode::TooMany,
            Field::of("url"),
            format!("an organization has at most {MAX_WEBHOOKS} webhooks: delete one first"),
        ));
    }
    check(errors)?;
    let secret = format!(
        "{SECRET_PREFIX}{}",
        crate::access::api_key::random_base64(32)
    );
    let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    let now = now_micros();
    let inserted = webhook::ActiveModel {
        organization_id: Set(organization_id),
        url: Set(url),
        events: Set(serde_json::to_string(&names).map_err(ServiceError::internal)?),
        description: Set(description),
        secret: Set(secret.clone()),
        enabled: Set(true),
        disabled_reason: Set(None),
        failure_streak: Set(0),
        created_by: Set(input.created_by),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let audit = Audit {
        organization_id,
        action: "webhook.create",
        kind: "Webhook",
        before: None,
    };
    let webhook = finish(txn, inserted, Field::of("url"), "the webhook", audit).await?;
    Ok(CreatedWebhook { webhook, secret })
}

/// Enables or disables a webhook. Enabling clears the failure streak and reason (its
/// pending messages are attempted again); disabling keeps them for later.
pub async fn set_enabled(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    enabled: bool,
) -> Write<webhook::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<webhook::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("webhook"))?;
    let before = current.clone();
    let mut active: webhook::ActiveModel = current.into();
    active.enabled = Set(enabled);
    active.failure_streak = Set(0);
    active.disabled_reason = Set((!enabled).then(|| "disabled by an administrator".to_owned()));
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    let action = if enabled {
        "webhook.enable"
    } else {
        "webhook.disable"
    };
    let audit = Audit {
        organization_id,
        action,
        kind: "Webhook",
        before: Some(before),
    };
    let updated = finish(txn, updated, Field::id(), "the webhook", audit).await?;
    wake();
    Ok(updated)
}

/// Deletes a webhook and its messages.
pub async fn delete(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
) -> Write<webhook::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<webhook::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("webhook"))?;
    webhook::Entity::delete_by_id(current.id).exec(&txn).await?;
    crate::access::audit::record_row(
        &txn,
        organization_id,
        "webhook.delete",
        "Webhook",
        Some(&current),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(current)
}

/// The organization's webhooks, by creation.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> ServiceResult<Vec<webhook::Model>> {
    Ok(in_org::<webhook::Entity>(organization_id)
        .order_by_asc(webhook::Column::Id)
        .all(db)
        .await?)
}

/// Which messages a list holds.
#[derive(Clone, Debug, Default)]
pub struct DeliveryFilter {
    pub webhook_id: Option<i64>,
    pub status: Option<Status>,
}

/// A page of the organization's messages, oldest first.
pub async fn deliveries(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &DeliveryFilter,
    request: PageRequest,
) -> ServiceResult<Page<webhook_delivery::Model>> {
    let mut select = in_org::<webhook_delivery::Entity>(organization_id);
    if let Some(id) = filter.webhook_id {
        select = select.filter(webhook_delivery::Column::WebhookId.eq(id));
    }
    if let Some(status) = filter.status {
        select = select.filter(webhook_delivery::Column::Status.eq(status.as_str()));
    }
    crate::storage::scoped::page(db, select, request).await
}
