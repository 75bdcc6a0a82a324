//! Webhooks: an organization's endpoints, and the outbox of messages to them.
//!
//! A change writes its messages to `webhook_delivery` in its own transaction
//! ([`enqueue`], called by `recording::tell`), so a message exists exactly
//! when the change does. A sender (a door: it signs and posts) [`claim`]s due
//! messages with a lease, so that two replicas never post the same attempt and a
//! sender killed mid-post leaves the message to be taken again when the lease ends;
//! it then [`settle`]s each attempt: delivered, or retried later with backoff, or
//! given up. An endpoint that fails too often in a row is disabled, with the reason.
//! Delivery is at least once: receivers dedupe by the message id (`webhook-id`).

use std::time::Duration;

use entity::{webhook, webhook_delivery};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use tokio::sync::Notify;

use crate::db::{begin_change, now_micros};
use crate::error::{check, no_such, ApiError, ApiResult, UserError, UserErrorCode, Write};
use crate::fields::{finish, Audit};
use crate::live::BatchSummary;
use crate::scoped::{find, in_org, Page, PageRequest};

/// What a webhook can be told of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum EventType {
    /// The SILO handoffs a recorded batch produced (one message per batch, with up
    /// to [`HANDOFFS_PER_MESSAGE`] handoffs; more make more messages).
    SiloHandoffsDetected,
    /// What a recorded batch or import did.
    InteractionsRecorded,
}

impl EventType {
    /// The `type` field of the message.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SiloHandoffsDetected => "silo_handoffs.detected",
            EventType::InteractionsRecorded => "interactions.recorded",
        }
    }

    /// The event type a `type` field names.
    pub fn named(name: &str) -> Option<EventType> {
        <EventType as strum::IntoEnumIterator>::iter().find(|e| e.as_str() == name)
    }
}

/// Where a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
pub enum Status {
    /// Not delivered yet; attempted again when due.
    Pending,
    Delivered,
    /// Given up after [`RetryPolicy::max_attempts`], or its endpoint was deleted.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Delivered => "DELIVERED",
            Status::Failed => "FAILED",
        }
    }

    pub fn of(delivery: &webhook_delivery::Model) -> Status {
        <Status as strum::IntoEnumIterator>::iter()
            .find(|s| s.as_str() == delivery.status)
            .unwrap_or(Status::Pending)
    }
}

/// The most messages of one webhook a sender takes in one round.
const PER_WEBHOOK_A_ROUND: u64 = 4;
/// The most webhooks an organization may have.
pub const MAX_WEBHOOKS: usize = 20;
/// The most SILO handoffs one message carries.
pub const HANDOFFS_PER_MESSAGE: usize = 500;
/// The longest endpoint URL.
pub const MAX_URL: usize = 2048;
/// The secret's prefix, as the Standard Webhooks specification writes secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// Wakes this process's sender.
static WAKE: Notify = Notify::const_new();

pub(crate) fn wake() {
    WAKE.notify_waiters();
}

/// Resolves when a change in this process may have written messages (from when it
/// is created, even before it is first awaited).
pub fn woken() -> tokio::sync::futures::Notified<'static> {
    WAKE.notified()
}

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
    let path = &["input", "url"];
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
    db: &crate::db::Tenant,
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
            &["input", "events"],
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
            &["input", "description"],
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
            &["input", "url"],
            format!("an organization has at most {MAX_WEBHOOKS} webhooks: delete one first"),
        ));
    }
    check(errors)?;
    let secret = format!("{SECRET_PREFIX}{}", crate::api_key::random_base64(32));
    let names: Vec<&str> = events.iter().map(|e| e.as_str()).collect();
    let now = now_micros();
    let inserted = webhook::ActiveModel {
        organization_id: Set(organization_id),
        url: Set(url),
        events: Set(serde_json::to_string(&names).map_err(ApiError::internal)?),
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
    let webhook = finish(txn, inserted, &["input", "url"], "the webhook", audit).await?;
    Ok(CreatedWebhook { webhook, secret })
}

/// Enables or disables a webhook. Enabling clears the failure streak and reason (its
/// pending messages are attempted again); disabling keeps them for later.
pub async fn set_enabled(
    db: &crate::db::Tenant,
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
    let updated = finish(txn, updated, &["id"], "the webhook", audit).await?;
    wake();
    Ok(updated)
}

/// Deletes a webhook and its messages.
pub async fn delete(
    db: &crate::db::Tenant,
    organization_id: i64,
    id: i64,
) -> Write<webhook::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<webhook::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("webhook"))?;
    webhook::Entity::delete_by_id(current.id).exec(&txn).await?;
    crate::audit::record_row(
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
) -> ApiResult<Vec<webhook::Model>> {
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
) -> ApiResult<Page<webhook_delivery::Model>> {
    let mut select = in_org::<webhook_delivery::Entity>(organization_id);
    if let Some(id) = filter.webhook_id {
        select = select.filter(webhook_delivery::Column::WebhookId.eq(id));
    }
    if let Some(status) = filter.status {
        select = select.filter(webhook_delivery::Column::Status.eq(status.as_str()));
    }
    crate::scoped::page(db, select, request).await
}

/// A message's body: the Standard Webhooks shape (`type`, `timestamp`, `data`).
#[derive(Serialize)]
struct Message<'a, T: Serialize> {
    r#type: &'a str,
    timestamp: String,
    data: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordedData<'a> {
    organization: &'a str,
    #[serde(flatten)]
    summary: BatchSummaryJson,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchSummaryJson {
    source: crate::live::Source,
    at: String,
    recorded: i64,
    duplicates: i64,
    new_handoffs: i64,
    new_silo_handoffs: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HandoffsData {
    organization: String,
    handoffs: Vec<HandoffJson>,
}

/// A function or touchpoint as a message names it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Named {
    name: String,
    external_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HandoffJson {
    case_ref: String,
    at: String,
    from: Option<Named>,
    to: Option<Named>,
    touchpoint: Option<Named>,
    flags: Vec<&'static str>,
}

/// The name of a flag on the wire, as the GraphQL schema spells it.
pub fn flag_name(flag: rules::flags::Flag) -> &'static str {
    use rules::flags::Flag;
    match flag {
        Flag::DeferralToCx => "DEFERRAL_TO_CX",
        Flag::Silo => "SILO",
        Flag::OwnedDeferral => "OWNED_DEFERRAL",
        Flag::PingPong => "PING_PONG",
        Flag::CustomerBurden => "CUSTOMER_BURDEN",
        Flag::DeferralLanguage => "DEFERRAL_LANGUAGE",
    }
}

fn function_json(function: &entity::function::Model) -> Named {
    Named {
        name: function.name.clone(),
        external_id: function.external_id.clone(),
    }
}

fn handoff_json(handoff: &crate::handoff::Handoff) -> HandoffJson {
    HandoffJson {
        case_ref: handoff.case_ref.clone(),
        at: crate::db::format_instant(handoff.step.at),
        from: handoff.from().map(function_json),
        to: handoff.to().map(function_json),
        touchpoint: handoff.touchpoint().map(|t| Named {
            name: t.name.clone(),
            external_id: None,
        }),
        flags: handoff.flags.list().into_iter().map(flag_name).collect(),
    }
}

fn message_id() -> String {
    format!("msg_{}", crate::api_key::random_hex(16))
}

/// Writes the messages a recorded batch makes for the organization's enabled
/// webhooks, in the batch's transaction.
pub(crate) async fn enqueue(
    txn: &DatabaseTransaction,
    organization_id: i64,
    summary: &BatchSummary,
    flagged: &[i64],
) -> ApiResult<()> {
    let hooks: Vec<webhook::Model> = in_org::<webhook::Entity>(organization_id)
        .filter(webhook::Column::Enabled.eq(true))
        .all(txn)
        .await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let organization = crate::organization::get(txn, organization_id).await?;
    let timestamp = crate::db::format_instant(summary.at);
    let mut bodies: Vec<(EventType, String)> = Vec::new();
    let wants = |event: EventType| hooks.iter().any(|h| events(h).contains(&event));
    if wants(EventType::InteractionsRecorded) {
        let json = BatchSummaryJson {
            source: summary.source,
            at: timestamp.clone(),
            recorded: summary.recorded,
            duplicates: summary.duplicates,
            new_handoffs: summary.new_handoffs,
            new_silo_handoffs: summary.new_silo_handoffs,
        };
        let body = Message {
            r#type: EventType::InteractionsRecorded.as_str(),
            timestamp: timestamp.clone(),
            data: RecordedData {
                organization: &organization.slug,
                summary: json,
            },
        };
        bodies.push((
            EventType::InteractionsRecorded,
            serde_json::to_string(&body).map_err(ApiError::internal)?,
        ));
    }
    if wants(EventType::SiloHandoffsDetected) && !flagged.is_empty() {
        let silo: Vec<HandoffJson> = crate::handoff::of_interactions(txn, organization_id, flagged)
            .await?
            .iter()
            .filter(|h| h.flags.silo)
            .map(handoff_json)
            .collect();
        let mut silo = silo.into_iter().peekable();
        while silo.peek().is_some() {
            let handoffs: Vec<HandoffJson> = silo.by_ref().take(HANDOFFS_PER_MESSAGE).collect();
            let body = Message {
                r#type: EventType::SiloHandoffsDetected.as_str(),
                timestamp: timestamp.clone(),
                data: HandoffsData {
                    organization: organization.slug.clone(),
                    handoffs,
                },
            };
            bodies.push((
                EventType::SiloHandoffsDetected,
                serde_json::to_string(&body).map_err(ApiError::internal)?,
            ));
        }
    }
    let now = now_micros();
    let mut rows = Vec::new();
    for hook in &hooks {
        let subscribed = events(hook);
        for (event, body) in &bodies {
            if subscribed.contains(event) {
                rows.push(webhook_delivery::ActiveModel {
                    organization_id: Set(organization_id),
                    webhook_id: Set(hook.id),
                    event_type: Set(event.as_str().to_owned()),
                    message_id: Set(message_id()),
                    payload: Set(body.clone()),
                    status: Set(Status::Pending.as_str().to_owned()),
                    attempts: Set(0),
                    next_attempt_at: Set(now),
                    lease_until: Set(None),
                    last_status: Set(None),
                    last_error: Set(None),
                    created_at: Set(now),
                    delivered_at: Set(None),
                    ..Default::default()
                });
            }
        }
    }
    if !rows.is_empty() {
        webhook_delivery::Entity::insert_many(rows)
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// A message a sender holds, with where and how to send it.
#[derive(Clone, Debug)]
pub struct Due {
    pub delivery: webhook_delivery::Model,
    pub url: String,
    pub secret: String,
}

/// Takes up to `limit` due messages of enabled webhooks (of every organization) for
/// `lease`: no other sender takes them before the lease ends. Counts the attempt.
pub async fn claim(db: &crate::db::Owner, limit: u64, lease: Duration) -> ApiResult<Vec<Due>> {
    let now = now_micros();
    let free = || {
        Condition::any()
            .add(webhook_delivery::Column::LeaseUntil.is_null())
            .add(webhook_delivery::Column::LeaseUntil.lt(now))
    };
    let candidates: Vec<webhook_delivery::Model> = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(Status::Pending.as_str()))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .filter(free())
        .filter(
            webhook_delivery::Column::WebhookId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(webhook::Column::Id)
                    .from(webhook::Entity)
                    .and_where(Expr::col(webhook::Column::Enabled).eq(true))
                    .to_owned(),
            ),
        )
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(limit.saturating_mul(4))
        .all(db)
        .await?;
    // A few per webhook a round, so that one endpoint's backlog cannot hold up the
    // others' messages.
    let mut per_webhook: std::collections::HashMap<i64, u64> = std::collections::HashMap::new();
    let candidates: Vec<webhook_delivery::Model> = candidates
        .into_iter()
        .filter(|d| {
            let taken = per_webhook.entry(d.webhook_id).or_default();
            *taken += 1;
            *taken <= PER_WEBHOOK_A_ROUND
        })
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    let until = now + i64::try_from(lease.as_micros()).unwrap_or(i64::MAX / 2);
    let hook_ids: Vec<i64> = per_webhook.keys().copied().collect();
    let hooks: std::collections::HashMap<i64, webhook::Model> = webhook::Entity::find()
        .filter(webhook::Column::Id.is_in(hook_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|hook| (hook.id, hook))
        .collect();
    let mut due = Vec::with_capacity(candidates.len());
    for delivery in candidates {
        let taken = webhook_delivery::Entity::update_many()
            .col_expr(webhook_delivery::Column::LeaseUntil, Expr::value(until))
            .col_expr(
                webhook_delivery::Column::Attempts,
                Expr::col(webhook_delivery::Column::Attempts).add(1),
            )
            .filter(webhook_delivery::Column::Id.eq(delivery.id))
            .filter(webhook_delivery::Column::Status.eq(Status::Pending.as_str()))
            .filter(free())
            .exec(db)
            .await?;
        if taken.rows_affected != 1 {
            continue;
        }
        let Some(hook) = hooks.get(&delivery.webhook_id) else {
            continue;
        };
        due.push(Due {
            url: hook.url.clone(),
            secret: hook.secret.clone(),
            delivery: webhook_delivery::Model {
                attempts: delivery.attempts + 1,
                lease_until: Some(until),
                ..delivery
            },
        });
    }
    Ok(due)
}

/// How failed attempts are retried.
#[derive(Clone, Copy, Debug)]
pub struct RetryPolicy {
    /// The wait after the first failed attempt; each further one doubles it (up to
    /// a day).
    pub base: Duration,
    /// Attempts of one message before it is given up.
    pub max_attempts: i32,
    /// Failed attempts in a row (across messages) before the webhook is disabled.
    pub disable_after: i32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(5),
            max_attempts: 8,
            disable_after: 50,
        }
    }
}

impl RetryPolicy {
    /// The wait after the `attempts`-th failed attempt.
    pub fn backoff(&self, attempts: i32) -> Duration {
        let doublings = std::cmp::min(u32::try_from(attempts.saturating_sub(1)).unwrap_or(0), 20);
        self.base
            .saturating_mul(1 << doublings)
            .min(Duration::from_secs(86_400))
    }
}

/// How one attempt ended.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// A 2xx answer.
    Delivered { status: u16 },
    /// Any other answer (`status`), or none (`status` is `None`: timeout, refused…).
    Failed { status: Option<u16>, error: String },
}

/// Writes down how an attempt ended: the message delivered, due again later, or given
/// up; the webhook's failure streak, and the webhook disabled when the streak reaches
/// the policy's limit or the endpoint answered 410 Gone.
pub async fn settle(
    db: &crate::db::Owner,
    due: &Due,
    outcome: Outcome,
    policy: &RetryPolicy,
) -> ApiResult<()> {
    use webhook_delivery::Column as D;
    let now = now_micros();
    let delivery = &due.delivery;
    // Only while this sender still holds the lease: after it ended another sender may
    // have taken the message, and its result stands.
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(D::LeaseUntil, Expr::value(Option::<i64>::None))
        .filter(D::Id.eq(delivery.id))
        .filter(D::LeaseUntil.eq(delivery.lease_until));
    let (failed, gone, reason) = match &outcome {
        Outcome::Delivered { status } => {
            update = update
                .col_expr(D::Status, Expr::value(Status::Delivered.as_str()))
                .col_expr(D::DeliveredAt, Expr::value(now))
                .col_expr(D::LastStatus, Expr::value(i32::from(*status)))
                .col_expr(D::LastError, Expr::value(Option::<String>::None));
            (false, false, String::new())
        }
        Outcome::Failed { status, error } => {
            let error: String = error.chars().take(500).collect();
            update = update
                .col_expr(D::LastStatus, Expr::value(status.map(i32::from)))
                .col_expr(D::LastError, Expr::value(error.clone()));
            if delivery.attempts >= policy.max_attempts {
                update = update.col_expr(D::Status, Expr::value(Status::Failed.as_str()));
            } else {
                let wait = policy.backoff(delivery.attempts);
                let at = now + i64::try_from(wait.as_micros()).unwrap_or(i64::MAX / 2);
                update = update.col_expr(D::NextAttemptAt, Expr::value(at));
            }
            (true, *status == Some(410), error)
        }
    };
    if update.exec(db).await?.rows_affected == 0 {
        tracing::info!(
            delivery = delivery.id,
            "webhooks: an attempt outlived its lease; its result is dropped"
        );
        return Ok(());
    }
    use webhook::Column as W;
    if !failed {
        webhook::Entity::update_many()
            .col_expr(W::FailureStreak, Expr::value(0))
            .filter(W::Id.eq(delivery.webhook_id))
            .filter(W::FailureStreak.ne(0))
            .exec(db)
            .await?;
        return Ok(());
    }
    // Counted in SQL: attempts settled at once each count.
    webhook::Entity::update_many()
        .col_expr(W::FailureStreak, Expr::col(W::FailureStreak).add(1))
        .filter(W::Id.eq(delivery.webhook_id))
        .exec(db)
        .await?;
    let Some(hook) = webhook::Entity::find_by_id(delivery.webhook_id)
        .one(db)
        .await?
    else {
        return Ok(());
    };
    if !hook.enabled || !(gone || hook.failure_streak >= policy.disable_after) {
        return Ok(());
    }
    let why = if gone {
        format!("the endpoint answered 410 Gone ({reason})")
    } else {
        format!(
            "{} attempts failed in a row; the last: {reason}",
            hook.failure_streak
        )
    };
    let disabled = webhook::Entity::update_many()
        .col_expr(W::Enabled, Expr::value(false))
        .col_expr(W::DisabledReason, Expr::value(why.clone()))
        .col_expr(W::UpdatedAt, Expr::value(now))
        .filter(W::Id.eq(hook.id))
        .filter(W::Enabled.eq(true))
        .exec(db)
        .await?;
    if disabled.rows_affected == 1 {
        tracing::warn!(webhook = hook.id, organization = hook.organization_id, %why, "webhook disabled");
    }
    Ok(())
}

/// Deletes the messages delivered or given up before `before` (µs), of every
/// organization; returns how many.
pub async fn prune(db: &crate::db::Owner, before: i64) -> ApiResult<u64> {
    let deleted = webhook_delivery::Entity::delete_many()
        .filter(
            webhook_delivery::Column::Status
                .is_in([Status::Delivered.as_str(), Status::Failed.as_str()]),
        )
        .filter(webhook_delivery::Column::CreatedAt.lt(before))
        .exec(db)
        .await?;
    Ok(deleted.rows_affected)
}
