//! The rollups of the steps by local day and month: kept in line at recording time
//! (`apply`), rebuilt when the phrase lists or the time zone change (`rebuild`), and
//! read by reports over whole local days (`window_groups`) and by trends
//! (`period_rows`). Bucketing is the rules' (`rules::rollup`).//!
//! Reading them is [`read`]'s.

mod read;

pub use read::{period_rows, window_groups, window_handled};

use entity::{step, step_rollup, step_rollup_entry, touchpoint_rollup};
use rules::calendar::Calendar;
use rules::chain::Step;
use rules::rollup::{EntryKey, GroupCounts, GroupKey, RollupDelta, TouchpointKey};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use crate::error::ServiceResult;

/// The layout of the rollups this service reads and writes (`organization.rollup_version`):
/// 1 since migration 16 (PROMPT counts, `touchpoint_rollup`).
pub const ROLLUP_VERSION: i32 = 1;

/// Rollup rows built at a time (each piece is one statement on PostgreSQL).
const CHUNK: usize = crate::storage::bulk::POSTGRES_ROWS;

/// Adds `delta` to the organization's rollups. Rows that fall to zero (a case re-derived
/// with other keys) stay; readers skip them.
pub async fn apply(
    txn: &DatabaseTransaction,
    organization_id: i64,
    delta: &RollupDelta,
) -> ServiceResult<()> {
    let org = organization_id;
    let groups = |(k, c): (&GroupKey, &GroupCounts)| step_rollup::ActiveModel {
        organization_id: Set(org),
        level: Set(k.level.code()),
        first_day: Set(k.first_day),
        prev_function_id: Set(k.prev_function_id),
        function_id: Set(k.function_id),
        prev_touchpoint_id: Set(k.prev_touchpoint_id),
        count: Set(c.count),
        case_ends: Set(c.case_ends),
        ping_pongs: Set(c.ping_pongs),
        customer_burdens: Set(c.customer_burdens),
        deferral_languages: Set(c.deferral_languages),
        prompt_opportunities: Set(c.prompt_opportunities),
        prompt_breaches: Set(c.prompt_breaches),
    };
    upsert(txn, delta.groups.iter(), groups, GROUP_UPSERT).await?;
    let touchpoints = |(k, count): (&TouchpointKey, &i64)| touchpoint_rollup::ActiveModel {
        organization_id: Set(org),
        level: Set(k.level.code()),
        first_day: Set(k.first_day),
        touchpoint_id: Set(k.touchpoint_id),
        function_id: Set(k.function_id),
        count: Set(*count),
    };
    upsert(
        txn,
        delta.touchpoints.iter(),
        touchpoints,
        TOUCHPOINT_UPSERT,
    )
    .await?;
    let entries = |(k, count): (&EntryKey, &i64)| step_rollup_entry::ActiveModel {
        organization_id: Set(org),
        level: Set(k.level.code()),
        first_day: Set(k.first_day),
        kind: Set(k.kind.code()),
        function_id: Set(k.function_id),
        prev_day: Set(k.prev_day),
        prev_day2: Set(k.prev_day2),
        count: Set(*count),
    };
    upsert(txn, delta.entries.iter(), entries, ENTRY_UPSERT).await
}

/// Adds a group row's counts to the row of the same key, if there is one. The delta
/// holds each key once, as one upsert statement needs.
const GROUP_UPSERT: &str = "ON CONFLICT (organization_id, level, first_day, prev_function_id, \
     function_id, prev_touchpoint_id) \
     DO UPDATE SET count = step_rollup.count + excluded.count, \
     case_ends = step_rollup.case_ends + excluded.case_ends, \
     ping_pongs = step_rollup.ping_pongs + excluded.ping_pongs, \
     customer_burdens = step_rollup.customer_burdens + excluded.customer_burdens, \
     deferral_languages = step_rollup.deferral_languages + excluded.deferral_languages, \
     prompt_opportunities = step_rollup.prompt_opportunities + excluded.prompt_opportunities, \
     prompt_breaches = step_rollup.prompt_breaches + excluded.prompt_breaches";

/// Adds a touchpoint row's count to the row of the same key, if there is one.
const TOUCHPOINT_UPSERT: &str =
    "ON CONFLICT (organization_id, level, first_day, touchpoint_id, function_id) \
     DO UPDATE SET count = touchpoint_rollup.count + excluded.count";

/// Adds an entry's count to the entry of the same key, if there is one.
const ENTRY_UPSERT: &str =
    "ON CONFLICT (organization_id, level, first_day, kind, function_id, prev_day, prev_day2) \
     DO UPDATE SET count = step_rollup_entry.count + excluded.count";

async fn upsert<T, A: sea_orm::ActiveModelTrait>(
    txn: &DatabaseTransaction,
    items: impl Iterator<Item = T>,
    row: impl Fn(T) -> A,
    on_conflict: &str,
) -> ServiceResult<()> {
    // Rows are built a piece at a time: an import's delta holds a million.
    let mut items = items.peekable();
    while items.peek().is_some() {
        let rows: Vec<A> = items.by_ref().take(CHUNK).map(&row).collect();
        for statement in
            crate::storage::bulk::insert_statements(txn.get_database_backend(), rows, on_conflict)?
        {
            txn.execute_raw(statement).await?;
        }
    }
    Ok(())
}

/// What the rollups need of a step.
#[derive(Debug, FromQueryResult)]
struct StepRow {
    interaction_id: i64,
    at: i64,
    function_id: i64,
    prev_function_id: Option<i64>,
    prev_touchpoint_id: Option<i64>,
    prev_at: Option<i64>,
    prev_same_function_at: Option<i64>,
    prev_handoff_from_at: Option<i64>,
    ping_pong: bool,
    customer_burden: bool,
    deferral_language: bool,
    is_last: bool,
    touchpoint_id: Option<i64>,
    prev_customer_action: bool,
    prompt_breach: bool,
}

impl From<StepRow> for Step {
    fn from(row: StepRow) -> Step {
        Step {
            interaction_id: row.interaction_id,
            position: 0,
            at: row.at,
            function_id: row.function_id,
            prev_interaction_id: None,
            prev_function_id: row.prev_function_id,
            prev_touchpoint_id: row.prev_touchpoint_id,
            prev_at: row.prev_at,
            prev_same_function_at: row.prev_same_function_at,
            prev_handoff_from_at: row.prev_handoff_from_at,
            ping_pong: row.ping_pong,
            customer_burden: row.customer_burden,
            deferral_language: row.deferral_language,
            is_last: row.is_last,
            touchpoint_id: row.touchpoint_id,
            prev_customer_action: row.prev_customer_action,
            prompt_breach: row.prompt_breach,
        }
    }
}

/// Rebuilds the organization's rollups from its steps in `calendar`, bucketing them
/// as recording does. Reads the steps a local month at a time (a range of the
/// report index), so memory stays bounded by a month of the log.
pub async fn rebuild(
    txn: &DatabaseTransaction,
    organization_id: i64,
    calendar: &Calendar,
) -> ServiceResult<()> {
    step_rollup::Entity::delete_many()
        .filter(step_rollup::Column::OrganizationId.eq(organization_id))
        .exec(txn)
        .await?;
    step_rollup_entry::Entity::delete_many()
        .filter(step_rollup_entry::Column::OrganizationId.eq(organization_id))
        .exec(txn)
        .await?;
    touchpoint_rollup::Entity::delete_many()
        .filter(touchpoint_rollup::Column::OrganizationId.eq(organization_id))
        .exec(txn)
        .await?;
    let span: Option<(Option<i64>, Option<i64>)> = step::Entity::find()
        .filter(step::Column::OrganizationId.eq(organization_id))
        .select_only()
        .column_as(step::Column::At.min(), "first")
        .column_as(step::Column::At.max(), "last")
        .into_tuple()
        .one(txn)
        .await?;
    let Some((Some(first), Some(last))) = span else {
        return Ok(());
    };
    let mut month = calendar.month_of(calendar.day(first));
    while calendar.day_start(month) <= last {
        let next = calendar
            .month_at_or_after(month + 1)
            .unwrap_or(i64::MAX / rules::calendar::DAY_MICROS);
        let (from, to) = (calendar.day_start(month), calendar.day_start(next));
        let month_steps = Condition::all()
            .add(step::Column::At.gte(from))
            .add(step::Column::At.lt(to));
        let steps = steps_where(txn, organization_id, month_steps).await?;
        let mut delta = RollupDelta::default();
        delta.add(&steps, 1, calendar);
        delta.compact();
        apply(txn, organization_id, &delta).await?;
        month = next;
    }
    Ok(())
}

/// The organization's steps that meet `condition`, in time order, as the rules see them.
async fn steps_where(
    txn: &DatabaseTransaction,
    organization_id: i64,
    condition: Condition,
) -> ServiceResult<Vec<Step>> {
    Ok(step::Entity::find()
        .filter(step::Column::OrganizationId.eq(organization_id))
        .filter(condition)
        .order_by_asc(step::Column::At)
        .into_model::<StepRow>()
        .all(txn)
        .await?
        .into_iter()
        .map(Step::from)
        .collect())
}

/// Re-marks the PROMPT breaches of the steps after interactions at `touchpoint_id`
/// once its `prompt_within` is `within`, and moves the changed counts between the
/// rollups' rows. The steps are judged by the rules (`rules::chain::prompt_breach`).
pub async fn remark_prompt(
    txn: &DatabaseTransaction,
    organization_id: i64,
    touchpoint_id: i64,
    within: Option<i64>,
    calendar: &Calendar,
) -> ServiceResult<()> {
    let after_touchpoint = Condition::all().add(step::Column::PrevTouchpointId.eq(touchpoint_id));
    let steps = steps_where(txn, organization_id, after_touchpoint).await?;
    let mut delta = RollupDelta::default();
    let (mut breached, mut kept) = (Vec::new(), Vec::new());
    for old in steps {
        let Some(prev_at) = old.prev_at else { continue };
        let breach = rules::chain::prompt_breach(prev_at, old.at, within, old.prev_customer_action);
        if breach == old.prompt_breach {
            continue;
        }
        let new = Step {
            prompt_breach: breach,
            ..old.clone()
        };
        delta.add(std::slice::from_ref(&old), -1, calendar);
        delta.add(std::slice::from_ref(&new), 1, calendar);
        if breach {
            breached.push(old.interaction_id);
        } else {
            kept.push(old.interaction_id);
        }
    }
    for (ids, breach) in [(breached, true), (kept, false)] {
        for chunk in ids.chunks(CHUNK) {
            step::Entity::update_many()
                .col_expr(step::Column::PromptBreach, Expr::value(breach))
                .filter(step::Column::OrganizationId.eq(organization_id))
                .filter(crate::storage::bulk::one_of(
                    txn.get_database_backend(),
                    step::Column::InteractionId,
                    chunk.to_vec(),
                ))
                .exec(txn)
                .await?;
        }
    }
    delta.compact();
    apply(txn, organization_id, &delta).await
}
