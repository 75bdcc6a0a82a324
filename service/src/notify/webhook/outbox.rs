//! The outbox: a change writes its messages to `webhook_delivery` in its own
//! transaction; senders claim them with a lease and settle each attempt.

use std::time::Duration;

use entity::{webhook, webhook_delivery};
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::{events, messages, EventType, Status, PER_WEBHOOK_A_ROUND};
use crate::error::ServiceResult;
use crate::notify::live::BatchSummary;
use crate::storage::db::now_micros;
use crate::storage::scoped::in_org;

fn message_id() -> String {
    format!("msg_{}", crate::access::api_key::random_hex(16))
}

/// Writes the messages a recorded batch makes for the organization's enabled
/// webhooks, in the batch's transaction.
pub(crate) async fn enqueue(
    txn: &DatabaseTransaction,
    organization_id: i64,
    summary: &BatchSummary,
    flagged: &[i64],
) -> ServiceResult<()> {
    let hooks: Vec<webhook::Model> = in_org::<webhook::Entity>(organization_id)
        .filter(webhook::Column::Enabled.eq(true))
        .all(txn)
        .await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let wants = |event: EventType| hooks.iter().any(|h| events(h).contains(&event));
    let bodies = messages::bodies(txn, organization_id, summary, flagged, wants).await?;
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
pub async fn claim(
    db: &crate::storage::db::Owner,
    limit: u64,
    lease: Duration,
) -> ServiceResult<Vec<Due>> {
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
    db: &crate::storage::db::Owner,
    due: &Due,
    outcome: Outcome,
    policy: &RetryPolicy,
) -> ServiceResult<()> {
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
pub async fn prune(db: &crate::storage::db::Owner, before: i64) -> ServiceResult<u64> {
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
