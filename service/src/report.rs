//! Reports over a window: the silo report with its comparisons and the handoff
//! network, as finished values (figures folded by the rules, rows named and ordered).

use chrono::{DateTime, Months};
use entity::{function, step, touchpoint};
use rules::flags::{FlagCounts, OrgMap};
use rules::report::{fold, Entries, FunctionFigures, Report, StepGroup, Totals, TotalsDelta};
use rules::Window;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::derived::org_map;
use crate::error::{ApiError, ApiResult};
use crate::names::Names;

/// Which earlier period a report is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ComparisonPeriod {
    /// The period of equal length that ends where the window starts.
    PreviousPeriod,
    /// The same window one calendar year earlier.
    SamePeriodLastYear,
}

/// The report's totals beside an earlier period's.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub period: ComparisonPeriod,
    pub window: Window,
    pub totals: Totals,
    /// The report's totals minus the earlier ones.
    pub delta: TotalsDelta,
}

/// Figures attributed to one function.
#[derive(Clone, Debug)]
pub struct FunctionRow {
    /// `None` only if the function was deleted from the database by hand.
    pub function: Option<function::Model>,
    pub figures: FunctionFigures,
}

/// Figures attributed to one touchpoint.
#[derive(Clone, Debug)]
pub struct TouchpointRow {
    /// `None` for handoffs whose first interaction had no touchpoint.
    pub touchpoint: Option<touchpoint::Model>,
    pub figures: FlagCounts,
}

/// Silo handoffs per function and touchpoint over a window.
#[derive(Clone, Debug)]
pub struct SiloReport {
    pub window: Window,
    pub totals: Totals,
    /// Most SILO handoffs out first; ties in creation order.
    pub by_function: Vec<FunctionRow>,
    /// Most SILO handoffs first; ties in creation order, the row without a touchpoint first.
    pub by_touchpoint: Vec<TouchpointRow>,
    /// One per period asked for, in the order asked.
    pub comparisons: Vec<Comparison>,
}

/// The silo report of a window, compared with the given earlier periods.
pub async fn silo_report(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
    compare_to: &[ComparisonPeriod],
) -> ApiResult<SiloReport> {
    let map = org_map(db, organization_id).await?;
    let current = report(db, organization_id, window, &map).await?;
    let mut comparisons = Vec::new();
    for &period in compare_to {
        let earlier = match period {
            ComparisonPeriod::PreviousPeriod => previous_period(window)?,
            ComparisonPeriod::SamePeriodLastYear => year_before(window)?,
        };
        let totals = report(db, organization_id, earlier, &map).await?.totals;
        comparisons.push(Comparison {
            period,
            window: earlier,
            delta: TotalsDelta::between(&current.totals, &totals),
            totals,
        });
    }
    let names = Names::load(db, organization_id).await?;
    let mut by_function: Vec<FunctionRow> = current
        .by_function
        .into_iter()
        .map(|(id, figures)| FunctionRow {
            function: names.function(id).cloned(),
            figures,
        })
        .collect();
    by_function.sort_by_key(|r| std::cmp::Reverse(r.figures.out.silo_handoffs));
    let mut by_touchpoint: Vec<TouchpointRow> = current
        .by_touchpoint
        .into_iter()
        .map(|(id, figures)| TouchpointRow {
            touchpoint: names.touchpoint(id).cloned(),
            figures,
        })
        .collect();
    by_touchpoint.sort_by_key(|r| std::cmp::Reverse(r.figures.silo_handoffs));
    Ok(SiloReport {
        window,
        totals: current.totals,
        by_function,
        by_touchpoint,
        comparisons,
    })
}

/// Handoffs from one function to another.
#[derive(Clone, Debug)]
pub struct Edge {
    pub from: Option<function::Model>,
    pub to: Option<function::Model>,
    pub figures: FlagCounts,
}

/// A handover-of-work weight.
#[derive(Clone, Debug)]
pub struct Weight {
    pub from: Option<function::Model>,
    pub to: Option<function::Model>,
    /// Consecutive pairs (same-function pairs included) from `from` to `to`.
    pub count: i64,
    /// `count` over all pairs in the window.
    pub weight: f64,
}

/// Who hands customers to whom over a window.
#[derive(Clone, Debug)]
pub struct Network {
    pub window: Window,
    /// One per (from, to) with handoffs, by the functions' ids.
    pub edges: Vec<Edge>,
    /// Consecutive pairs whose second interaction is in the window.
    pub total_pairs: i64,
    /// One per (from, to) with pairs, by the functions' ids.
    pub handover_of_work: Vec<Weight>,
}

/// The handoff network of a window.
pub async fn handoff_network(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
) -> ApiResult<Network> {
    let map = org_map(db, organization_id).await?;
    let report = report(db, organization_id, window, &map).await?;
    let names = Names::load(db, organization_id).await?;
    let function = |id: i64| names.function(id).cloned();
    let weights = report.handover_of_work();
    Ok(Network {
        window,
        edges: report
            .edges
            .iter()
            .map(|(&(from, to), figures)| Edge {
                from: function(from),
                to: function(to),
                figures: *figures,
            })
            .collect(),
        total_pairs: report.pairs.values().sum(),
        handover_of_work: report
            .pairs
            .iter()
            .map(|(&(from, to), &count)| Weight {
                from: function(from),
                to: function(to),
                count,
                weight: weights.get(&(from, to)).copied().unwrap_or_default(),
            })
            .collect(),
    })
}

/// The period of equal length that ends where `window` starts.
pub fn previous_period(window: Window) -> ApiResult<Window> {
    let (from, to) = closed(window)?;
    Ok(Window {
        from: Some(from - (to - from)),
        to: Some(from),
    })
}

/// The same window one calendar year earlier (29 February maps to 28 February).
pub fn year_before(window: Window) -> ApiResult<Window> {
    let (from, to) = closed(window)?;
    let shift = |micros: i64| -> ApiResult<i64> {
        DateTime::from_timestamp_micros(micros)
            .and_then(|t| t.checked_sub_months(Months::new(12)))
            .map(|t| t.timestamp_micros())
            .ok_or_else(|| {
                ApiError::bad_input("the window is too early to compare with a year before")
            })
    };
    Ok(Window {
        from: Some(shift(from)?),
        to: Some(shift(to)?),
    })
}

fn closed(window: Window) -> ApiResult<(i64, i64)> {
    match (window.from, window.to) {
        (Some(from), Some(to)) => Ok((from, to)),
        _ => Err(ApiError::bad_input(
            "a comparison needs a window with both `from` and `to`",
        )),
    }
}

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
async fn report(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
    map: &OrgMap,
) -> ApiResult<Report> {
    let (groups, entries) = if rules::rollup::aligned(window) {
        crate::derived::rollup::groups(db, organization_id, window).await?
    } else {
        step_groups(db, organization_id, window).await?
    };
    // Folding is CPU work: on the blocking pool, so that the threads serving cheap
    // requests keep serving them while a large window is folded.
    let map = map.clone();
    tokio::task::spawn_blocking(move || fold(&groups, &entries, &map))
        .await
        .map_err(ApiError::internal)
}
