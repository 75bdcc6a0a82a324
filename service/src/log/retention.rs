//! Retention (docs/rules.md §8): an organization may keep its interactions for a
//! number of days, counted from when each occurred. Older interactions are deleted on
//! a schedule, their cases re-derived without them and the rollups adjusted, as if
//! they had never been recorded; `complete_from` then says from which instant the log,
//! and every figure read from it, is complete.

use entity::{organization, step};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::error::{check, Field, ServiceResult, UserError, UserErrorCode, Write};
use crate::storage::db::{begin_change, now_micros};

/// The shortest and longest retention periods, in days.
pub const DAYS: std::ops::RangeInclusive<i32> = 1..=36_500;

/// Interactions deleted per transaction: a long backlog is worked off in several, each
/// complete in itself.
const CHUNK: u64 = 5_000;

const MICROS_PER_DAY: i64 = 86_400 * 1_000_000;

/// Sets (or, with `None`, clears) the organization's retention period. Nothing is
/// deleted here: the next scheduled pass applies it.
pub async fn set_period(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    days: Option<i32>,
) -> Write<organization::Model> {
    if days.is_some_and(|d| !DAYS.contains(&d)) {
        check(vec![UserError::new(
            UserErrorCode::Invalid,
            Field::of("days"),
            format!(
                "a retention period is {} to {} days (or null: keep every interaction)",
                DAYS.start(),
                DAYS.end()
            ),
        )])?;
    }
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let before = crate::model::organization::get(txn, organization_id).await?;
        let mut active: organization::ActiveModel = before.clone().into();
        active.retention_days = Set(days);
        active.updated_at = Set(now_micros());
        let after = active.update(txn).await?;
        crate::access::audit::record_row(
            txn,
            organization_id,
            "organization.retention",
            "Organization",
            Some(&before),
            Some(&after),
        )
        .await?;
        Ok(after)
    })
    .await
}

/// What one pass did for an organization.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Applied {
    /// Interactions deleted.
    pub deleted: i64,
    /// Feedback deleted (surveys offered and complaints made before the cutoff).
    pub feedback_deleted: i64,
    /// The instant (µs) from which the log is complete, once nothing older is left.
    pub complete_from: Option<i64>,
}

/// Deletes the organization's interactions that occurred before `now` minus its
/// retention period, a chunk per transaction, each audited. Run inside the
/// organization's tenant handle.
pub async fn apply(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    now: i64,
) -> ServiceResult<Applied> {
    let org = crate::model::organization::get(db, organization_id).await?;
    let Some(days) = org.retention_days else {
        return Ok(Applied {
            complete_from: org.complete_from,
            ..Applied::default()
        });
    };
    let cutoff = now.saturating_sub(i64::from(days) * MICROS_PER_DAY);
    let mut applied = Applied {
        deleted: 0,
        feedback_deleted: forget_feedback(db, organization_id, cutoff).await?,
        complete_from: org.complete_from,
    };
    loop {
        let txn = begin_change(db, organization_id).await?;
        // Read from the steps (one per interaction, at its instant): the reports'
        // index on (organization, instant) gives the oldest in order, where the
        // interaction table would be read whole and sorted for every chunk.
        let old: Vec<(i64, i64, i64)> = step::Entity::find()
            .filter(step::Column::OrganizationId.eq(organization_id))
            .filter(step::Column::At.lt(cutoff))
            .order_by_asc(step::Column::At)
            .order_by_asc(step::Column::InteractionId)
            .select_only()
            .columns([
                step::Column::InteractionId,
                step::Column::CaseId,
                step::Column::At,
            ])
            .limit(CHUNK)
            .into_tuple()
            .all(&txn)
            .await?;
        if old.is_empty() {
            if applied.deleted == 0 {
                // Nothing to delete: no revision is spent on an empty pass.
                txn.rollback().await?;
                return Ok(applied);
            }
            // The backlog ended on a full chunk: nothing before the cutoff is left.
            let org = crate::model::organization::get(&txn, organization_id).await?;
            if org.complete_from.is_none_or(|c| c < cutoff) {
                let mut active: organization::ActiveModel = org.into();
                active.complete_from = Set(Some(cutoff));
                active.update(&txn).await?;
                applied.complete_from = Some(cutoff);
            }
            txn.commit().await?;
            crate::log::recording::refresh_statistics_later(db);
            return Ok(applied);
        }
        let last = (old.len() as u64) < CHUNK;
        let pairs: Vec<(i64, i64)> = old.iter().map(|o| (o.0, o.1)).collect();
        crate::log::recording::remove(&txn, organization_id, &pairs).await?;
        // Chunks go in time order: after this one, nothing later than its last
        // interaction was deleted, and after the last one nothing before the cutoff
        // is left.
        let complete_from = if last {
            cutoff
        } else {
            old.last().map_or(cutoff, |o| o.2.saturating_add(1))
        };
        let org = crate::model::organization::get(&txn, organization_id).await?;
        let mut active: organization::ActiveModel = org.clone().into();
        if org.complete_from.is_none_or(|c| c < complete_from) {
            active.complete_from = Set(Some(complete_from));
            applied.complete_from = Some(complete_from);
        }
        active.updated_at = Set(now_micros());
        active.update(&txn).await?;
        record_pass(&txn, organization_id, old.len(), cutoff, days).await?;
        txn.commit().await?;
        applied.deleted += old.len() as i64;
        if last {
            crate::log::recording::refresh_statistics_later(db);
            return Ok(applied);
        }
    }
}

/// Deletes the feedback offered or made before `cutoff`, in a transaction of its own
/// (none when there is nothing to delete); returns how much.
async fn forget_feedback(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    cutoff: i64,
) -> ServiceResult<i64> {
    let txn = begin_change(db, organization_id).await?;
    let deleted = entity::feedback::Entity::delete_many()
        .filter(entity::feedback::Column::OrganizationId.eq(organization_id))
        .filter(entity::feedback::Column::At.lt(cutoff))
        .exec(&txn)
        .await?
        .rows_affected as i64;
    if deleted == 0 {
        txn.rollback().await?;
    } else {
        txn.commit().await?;
    }
    Ok(deleted)
}

/// One pass over every organization with a retention period; returns the interactions
/// deleted. Replicas may run passes at the same time: each chunk takes the
/// organization's lock, and a pass that finds nothing left to delete writes nothing.
pub async fn apply_all(db: &crate::storage::db::Db, now: i64) -> ServiceResult<i64> {
    let organizations: Vec<i64> = organization::Entity::find()
        .filter(organization::Column::RetentionDays.is_not_null())
        .select_only()
        .column(organization::Column::Id)
        .into_tuple()
        .all(&db.owner(crate::storage::db::OwnerWork::Schedule))
        .await?;
    let mut deleted = 0;
    for organization_id in organizations {
        let applied = crate::access::audit::as_actor(
            crate::access::audit::Actor::system("retention"),
            apply(&db.tenant(organization_id), organization_id, now),
        )
        .await;
        match applied {
            Ok(applied) => {
                if applied.deleted > 0 {
                    tracing::info!(
                        organization_id,
                        deleted = applied.deleted,
                        "retention deleted interactions past the period"
                    );
                }
                deleted += applied.deleted;
            }
            // One organization's failure does not hold up the others'; its pass
            // runs again at the next interval (what it committed stays).
            Err(error) => tracing::warn!(
                organization_id,
                error = %error,
                "the retention pass of an organization failed"
            ),
        }
    }
    Ok(deleted)
}

/// Runs [`apply_all`] every `every`, for as long as the process lives.
pub fn spawn_schedule(db: crate::storage::db::Db, every: std::time::Duration) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) = apply_all(&db, now_micros()).await {
                tracing::warn!(error = %error, "the retention pass failed; it runs again at the next interval");
            }
        }
    });
}

/// Records a retention pass: how many interactions went, and the cutoff.
async fn record_pass(
    txn: &sea_orm::DatabaseTransaction,
    organization_id: i64,
    deleted: usize,
    occurred_before: i64,
    retention_days: i32,
) -> ServiceResult<()> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Pass {
        deleted: usize,
        occurred_before: i64,
        retention_days: i32,
    }
    crate::access::audit::record(
        txn,
        organization_id,
        crate::access::audit::Change {
            action: "interactions.retention",
            entity_kind: "Interaction",
            entity_id: None,
        },
        None::<&()>,
        Some(&Pass {
            deleted,
            occurred_before,
            retention_days,
        }),
    )
    .await
}
