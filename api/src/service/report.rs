//! Reports over a window, the handoff list and a case's chain, read from the steps.

use std::collections::HashMap;

use entity::{customer_case, interaction, step};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::interaction::{load_events, org_map};
use super::scoped::in_org;
use crate::analysis::chain::{derive, Step};
use crate::analysis::flags::{Flag, OrgMap};
use crate::analysis::report::{fold, Entries, Report, StepGroup};
use crate::analysis::Window;
use crate::error::ApiResult;

/// One group of the report's single scan of the steps.
#[derive(Debug, FromQueryResult)]
struct GroupRow {
    prev_function_id: Option<i64>,
    function_id: i64,
    prev_touchpoint_id: Option<i64>,
    ping_pong: bool,
    customer_burden: bool,
    deferral_language: bool,
    count: i64,
    case_entries: i64,
    function_entries: i64,
    first_inner_handoffs: i64,
    case_ends: i64,
}

fn count_where(condition: SimpleExpr) -> SimpleExpr {
    Func::sum(Expr::case(condition, 1).finally(0)).into()
}

fn col(column: step::Column) -> Expr {
    Expr::col((step::Entity, column))
}

/// Groups the window's steps by everything a flag depends on (one range scan of the
/// covering index `ix_step_report`).
async fn step_groups(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
) -> ApiResult<(Vec<StepGroup>, Entries)> {
    let from = window.lower();
    let before_window = |column: step::Column| col(column).is_null().or(col(column).lt(from));
    let query = Query::select()
        .columns([
            step::Column::PrevFunctionId,
            step::Column::FunctionId,
            step::Column::PrevTouchpointId,
            step::Column::PingPong,
            step::Column::CustomerBurden,
            step::Column::DeferralLanguage,
        ])
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            Alias::new("count"),
        )
        .expr_as(
            count_where(before_window(step::Column::PrevAt)),
            Alias::new("case_entries"),
        )
        .expr_as(
            count_where(before_window(step::Column::PrevSameFunctionAt)),
            Alias::new("function_entries"),
        )
        .expr_as(
            count_where(
                col(step::Column::PrevFunctionId)
                    .ne(col(step::Column::FunctionId))
                    .and(col(step::Column::PrevAt).gte(from))
                    .and(before_window(step::Column::PrevHandoffFromAt)),
            ),
            Alias::new("first_inner_handoffs"),
        )
        .expr_as(
            count_where(col(step::Column::IsLast).eq(true)),
            Alias::new("case_ends"),
        )
        .from(step::Entity)
        .and_where(col(step::Column::OrganizationId).eq(organization_id))
        .and_where(col(step::Column::At).gte(from))
        .and_where(col(step::Column::At).lt(window.upper()))
        .group_by_columns([
            step::Column::PrevFunctionId,
            step::Column::FunctionId,
            step::Column::PrevTouchpointId,
            step::Column::PingPong,
            step::Column::CustomerBurden,
            step::Column::DeferralLanguage,
        ])
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    let rows = GroupRow::find_by_statement(statement).all(db).await?;
    let mut entries = Entries::default();
    let groups = rows
        .into_iter()
        .map(|r| {
            entries.cases += r.case_entries;
            *entries.function_entries.entry(r.function_id).or_default() += r.function_entries;
            entries.first_inner_handoffs += r.first_inner_handoffs;
            StepGroup {
                from: r.prev_function_id,
                to: r.function_id,
                touchpoint: r.prev_touchpoint_id,
                ping_pong: r.ping_pong,
                customer_burden: r.customer_burden,
                deferral_language: r.deferral_language,
                count: r.count,
                case_ends: r.case_ends,
            }
        })
        .collect();
    Ok((groups, entries))
}

/// The report of a window against the organization's current map: from the daily
/// rollups when the window's ends are open or UTC midnights, from the steps otherwise.
pub async fn report(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
    map: &OrgMap,
) -> ApiResult<Report> {
    let (groups, entries) = if crate::analysis::rollup::aligned(window) {
        super::rollup::groups(db, organization_id, window).await?
    } else {
        step_groups(db, organization_id, window).await?
    };
    Ok(fold(&groups, &entries, map))
}

/// The report of a window, loading the current map.
pub async fn report_now(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
) -> ApiResult<(Report, OrgMap)> {
    let map = org_map(db, organization_id).await?;
    Ok((report(db, organization_id, window, &map).await?, map))
}

/// Filters of the handoff list.
#[derive(Clone, Debug, Default)]
pub struct HandoffFilter {
    pub window: Window,
    pub from_function: Option<i64>,
    pub to_function: Option<i64>,
    pub touchpoint: Option<i64>,
    /// Flags that must all hold.
    pub flags: Vec<Flag>,
}

/// A condition that holds exactly when `flag` holds, given the map.
fn flag_condition(flag: Flag, map: &OrgMap) -> Condition {
    let cx: Vec<i64> = map.cx_teams().iter().copied().collect();
    let deferral = Condition::all()
        .add(step::Column::FunctionId.is_in(cx.clone()))
        .add(step::Column::PrevFunctionId.is_not_in(cx));
    match flag {
        Flag::DeferralToCx => deferral,
        Flag::Silo => deferral.add(
            Condition::any()
                .add(step::Column::PrevTouchpointId.is_null())
                .add(
                    step::Column::PrevTouchpointId
                        .is_not_in(map.cx_owned_touchpoints().iter().copied()),
                ),
        ),
        Flag::OwnedDeferral => {
            let mut by_touchpoint: HashMap<i64, Vec<i64>> = HashMap::new();
            for (touchpoint, function) in map.owners() {
                by_touchpoint
                    .entry(*touchpoint)
                    .or_default()
                    .push(*function);
            }
            let mut owned = Condition::any().add(Expr::value(false));
            for (touchpoint, functions) in by_touchpoint {
                owned = owned.add(
                    Condition::all()
                        .add(step::Column::PrevTouchpointId.eq(touchpoint))
                        .add(step::Column::PrevFunctionId.is_in(functions)),
                );
            }
            deferral.add(owned)
        }
        Flag::PingPong => Condition::all().add(step::Column::PingPong.eq(true)),
        Flag::CustomerBurden => Condition::all().add(step::Column::CustomerBurden.eq(true)),
        Flag::DeferralLanguage => Condition::all().add(step::Column::DeferralLanguage.eq(true)),
    }
}

/// A page of handoffs in (at, id) order after `after`, with whether more follow.
pub async fn handoffs(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &HandoffFilter,
    map: &OrgMap,
    first: u64,
    after: Option<(i64, i64)>,
) -> ApiResult<(Vec<step::Model>, bool)> {
    let mut select = step::Entity::find()
        .filter(step::Column::OrganizationId.eq(organization_id))
        .filter(step::Column::PrevFunctionId.is_not_null())
        .filter(Expr::col(step::Column::PrevFunctionId).ne(Expr::col(step::Column::FunctionId)));
    if let Some(from) = filter.window.from {
        select = select.filter(step::Column::At.gte(from));
    }
    if let Some(to) = filter.window.to {
        select = select.filter(step::Column::At.lt(to));
    }
    if let Some(function) = filter.from_function {
        select = select.filter(step::Column::PrevFunctionId.eq(function));
    }
    if let Some(function) = filter.to_function {
        select = select.filter(step::Column::FunctionId.eq(function));
    }
    if let Some(touchpoint) = filter.touchpoint {
        select = select.filter(step::Column::PrevTouchpointId.eq(touchpoint));
    }
    for flag in &filter.flags {
        select = select.filter(flag_condition(*flag, map));
    }
    if let Some((at, id)) = after {
        select = select.filter(
            Condition::any().add(step::Column::At.gt(at)).add(
                Condition::all()
                    .add(step::Column::At.eq(at))
                    .add(step::Column::InteractionId.gt(id)),
            ),
        );
    }
    let mut rows = select
        .order_by_asc(step::Column::At)
        .order_by_asc(step::Column::InteractionId)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next = rows.len() as u64 > first;
    rows.truncate(first as usize);
    Ok((rows, has_next))
}

/// The case references of the given case ids.
pub async fn case_refs(
    db: &impl ConnectionTrait,
    organization_id: i64,
    case_ids: &[i64],
) -> ApiResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = in_org::<customer_case::Entity>(organization_id)
        .filter(customer_case::Column::Id.is_in(case_ids.iter().copied()))
        .select_only()
        .columns([customer_case::Column::Id, customer_case::Column::CaseRef])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A case with its interactions in chain order and the derived steps.
pub struct CaseChain {
    pub case: customer_case::Model,
    pub interactions: Vec<interaction::Model>,
    pub steps: Vec<Step>,
}

/// The chain of the case `case_ref`, derived afresh from its interactions.
pub async fn case_chain(
    db: &impl ConnectionTrait,
    organization_id: i64,
    case_ref: &str,
) -> ApiResult<Option<CaseChain>> {
    let Some(case) = in_org::<customer_case::Entity>(organization_id)
        .filter(customer_case::Column::CaseRef.eq(case_ref.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut events = load_events(db, &[case.id])
        .await?
        .remove(&case.id)
        .unwrap_or_default();
    let steps = derive(&mut events);
    let mut by_id: HashMap<i64, interaction::Model> = interaction::Entity::find()
        .filter(interaction::Column::CaseId.eq(case.id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let interactions = steps
        .iter()
        .filter_map(|s| by_id.remove(&s.interaction_id))
        .collect();
    Ok(Some(CaseChain {
        case,
        interactions,
        steps,
    }))
}
