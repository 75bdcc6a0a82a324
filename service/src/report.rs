//! Reports over a window: the silo report with its comparisons and the handoff
//! network, as finished values (figures folded by the rules, rows named and ordered).

use std::sync::Arc;

use entity::{function, step, touchpoint};
use rules::calendar::Calendar;
use rules::drift::{kept, Kept, Measure};
use rules::flags::FlagCounts;
use rules::report::{
    fold, Entries, FunctionFigures, PromiseCounts, Report, StepGroup, Totals, TotalsDelta,
};
use rules::rollup::{BucketRange, Days, Level};
use rules::Window;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, FromQueryResult};

pub use crate::calendar::Granularity;
use crate::error::{ApiError, ApiResult};
use crate::snapshot::{Figures, Snapshot};
use crate::touchpoint::ExperienceElement;

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
    /// When retention deleted what occurred before an instant after the window's start
    /// (or the window has none): that instant (µs), from which the figures are
    /// complete (docs/rules.md §4d).
    pub complete_from: Option<i64>,
    /// What the promise rows are computed from, when asked for ([`SiloReport::promises`]).
    sources: PromiseSources,
}

/// The report and the earlier ones a silo report was assembled from.
#[derive(Clone, Debug)]
struct PromiseSources {
    snapshot: Arc<Snapshot>,
    current: Arc<Report>,
    earlier: Vec<(ComparisonPeriod, Window, Arc<Report>)>,
}

impl SiloReport {
    /// The promises of live touchpoints as the log kept them (see [`PromiseRow`]).
    pub fn promises(&self) -> Vec<PromiseRow> {
        let s = &self.sources;
        promise_rows(&s.snapshot, &s.current, &s.earlier)
    }
}

/// One experience element of one touchpoint: whether it is promised, and what the log
/// shows of it (docs/rules.md, "Promises kept").
#[derive(Clone, Debug)]
pub struct PromiseRow {
    pub touchpoint: touchpoint::Model,
    pub element: ExperienceElement,
    /// The touchpoint lists the element among its desired experience.
    pub promised: bool,
    /// `None` when the log cannot check the element here.
    pub kept: Option<Kept>,
    /// The same figures over each earlier period asked for, in the order asked.
    pub comparisons: Vec<(ComparisonPeriod, Window, Option<Kept>)>,
}

/// How the log checks `element`; `None` for the elements it cannot check.
pub fn measure(element: ExperienceElement) -> Option<Measure> {
    match element {
        ExperienceElement::SinglePointOfContact => Some(Measure::SinglePointOfContact),
        ExperienceElement::Prompt => Some(Measure::Prompt),
        _ => None,
    }
}

/// Per live touchpoint (by creation) and element (in declaration order): the elements
/// promised there, and those the log checks there even unpromised.
fn promise_rows(
    snapshot: &Snapshot,
    current: &Report,
    earlier: &[(ComparisonPeriod, Window, Arc<Report>)],
) -> Vec<PromiseRow> {
    let none = PromiseCounts::default();
    let kept_in = |report: &Report, touchpoint: &touchpoint::Model, element| {
        let counts = report.promises.get(&touchpoint.id).unwrap_or(&none);
        measure(element).and_then(|m| kept(counts, m, touchpoint.prompt_within))
    };
    let mut rows = Vec::new();
    for touchpoint in snapshot.names.live_touchpoints() {
        let promised = ExperienceElement::load(&touchpoint.experience);
        for element in ExperienceElement::ALL {
            let kept = kept_in(current, touchpoint, element);
            let is_promised = promised.contains(&element);
            if !is_promised && kept.is_none() {
                continue;
            }
            rows.push(PromiseRow {
                touchpoint: touchpoint.clone(),
                element,
                promised: is_promised,
                kept,
                comparisons: earlier
                    .iter()
                    .map(|(period, window, report)| {
                        (*period, *window, kept_in(report, touchpoint, element))
                    })
                    .collect(),
            });
        }
    }
    rows
}

/// The promises of a window, compared with earlier periods.
#[derive(Clone, Debug)]
pub struct PromiseReport {
    pub window: Window,
    pub rows: Vec<PromiseRow>,
}

/// Which promised experience elements the log shows kept or broken over a window.
pub async fn promise_report(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    window: Window,
    compare_to: &[ComparisonPeriod],
) -> ApiResult<PromiseReport> {
    let report = silo_report(db, figures, organization_id, window, compare_to).await?;
    Ok(PromiseReport {
        window,
        rows: report.promises(),
    })
}

/// The silo report of a window, compared with the given earlier periods.
pub async fn silo_report(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    window: Window,
    compare_to: &[ComparisonPeriod],
) -> ApiResult<SiloReport> {
    let snapshot = figures.snapshot(db, organization_id).await?;
    let current = report(db, figures, &snapshot, window).await?;
    let mut earlier = Vec::new();
    for &period in compare_to {
        let window = earlier_window(&snapshot, period, window)?;
        earlier.push((
            period,
            window,
            report(db, figures, &snapshot, window).await?,
        ));
    }
    Ok(assemble(&snapshot, window, &current, &earlier))
}

/// The window `period` names for a report over `window`.
pub(crate) fn earlier_window(
    snapshot: &Snapshot,
    period: ComparisonPeriod,
    window: Window,
) -> ApiResult<Window> {
    match period {
        ComparisonPeriod::PreviousPeriod => previous_period(&snapshot.calendar, window),
        ComparisonPeriod::SamePeriodLastYear => {
            crate::calendar::window_year_earlier(snapshot.zone, window)
        }
    }
}

/// A report with its rows named and ordered, beside the earlier periods' totals.
fn assemble(
    snapshot: &Arc<Snapshot>,
    window: Window,
    current: &Arc<Report>,
    earlier: &[(ComparisonPeriod, Window, Arc<Report>)],
) -> SiloReport {
    let names = &snapshot.names;
    let comparisons = earlier
        .iter()
        .map(|(period, window, report)| Comparison {
            period: *period,
            window: *window,
            delta: TotalsDelta::between(&current.totals, &report.totals),
            totals: report.totals.clone(),
        })
        .collect();
    let mut by_function: Vec<FunctionRow> = current
        .by_function
        .iter()
        .map(|(id, figures)| FunctionRow {
            function: names.function(*id).cloned(),
            figures: figures.clone(),
        })
        .collect();
    by_function.sort_by_key(|r| std::cmp::Reverse(r.figures.out.silo_handoffs));
    let mut by_touchpoint: Vec<TouchpointRow> = current
        .by_touchpoint
        .iter()
        .map(|(id, figures)| TouchpointRow {
            touchpoint: names.touchpoint(*id).cloned(),
            figures: *figures,
        })
        .collect();
    by_touchpoint.sort_by_key(|r| std::cmp::Reverse(r.figures.silo_handoffs));
    SiloReport {
        window,
        totals: current.totals.clone(),
        by_function,
        by_touchpoint,
        comparisons,
        complete_from: snapshot
            .complete_from
            .filter(|c| window.from.is_none_or(|from| from < *c)),
        sources: PromiseSources {
            snapshot: snapshot.clone(),
            current: current.clone(),
            earlier: earlier.to_vec(),
        },
    }
}

/// Most periods a trend gives: a year and a day of days, seven years of weeks.
pub const MAX_POINTS: usize = 400;

/// What a trend is asked for.
#[derive(Clone, Debug)]
pub struct TrendRequest {
    /// The trend covers the periods holding `from` and `to - 1µs` and every one between.
    pub from: i64,
    pub to: i64,
    pub granularity: Granularity,
    /// For a trend, PREVIOUS_PERIOD is the period before each point, and
    /// SAME_PERIOD_LAST_YEAR the period holding the point's first day a year earlier.
    pub compare_to: Vec<ComparisonPeriod>,
}

/// One report per calendar period, in the organization's time zone.
#[derive(Clone, Debug)]
pub struct Trend {
    pub granularity: Granularity,
    /// The IANA name of the zone the periods were taken in.
    pub time_zone: String,
    /// One per period, oldest first; each is that period's silo report.
    pub points: Vec<SiloReport>,
}

/// The silo report of each period of a trend, with the comparisons asked for.
pub async fn silo_trend(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    request: &TrendRequest,
) -> ApiResult<Trend> {
    if request.from >= request.to {
        return Err(ApiError::bad_input("`from` must be before `to`"));
    }
    let snapshot = figures.snapshot(db, organization_id).await?;
    let calendar = &snapshot.calendar;
    let g = request.granularity;
    // The points' periods, by their first days.
    let mut starts = vec![g.start(calendar.day(request.from))?];
    let last = g.start(calendar.day(request.to - 1))?;
    while let Some(&start) = starts.last().filter(|&&s| s < last) {
        if starts.len() == MAX_POINTS {
            return Err(ApiError::bad_input(format!(
                "a trend has at most {MAX_POINTS} points: choose a coarser granularity or a shorter range"
            )));
        }
        starts.push(g.next(start)?);
    }
    // Every period a point or a comparison needs.
    let mut needed = starts.clone();
    for &start in &starts {
        for period in &request.compare_to {
            needed.push(match period {
                ComparisonPeriod::PreviousPeriod => g.start(start - 1)?,
                ComparisonPeriod::SamePeriodLastYear => {
                    g.start(crate::calendar::year_earlier(start)?)?
                }
            });
        }
    }
    needed.sort_unstable();
    needed.dedup();
    let mut periods = Vec::with_capacity(needed.len());
    for start in needed {
        periods.push((start, g.next(start)?));
    }
    let reports = period_reports(db, figures, &snapshot, g, &periods).await?;
    let report_of = |start: i64| -> ApiResult<(Window, Arc<Report>)> {
        let index = periods
            .binary_search_by_key(&start, |p| p.0)
            .map_err(|_| ApiError::internal(anyhow::anyhow!("a trend period was not computed")))?;
        Ok((window_of(calendar, periods[index]), reports[index].clone()))
    };
    let mut points = Vec::with_capacity(starts.len());
    for start in starts {
        let (window, current) = report_of(start)?;
        let mut earlier = Vec::new();
        for &period in &request.compare_to {
            let other = match period {
                ComparisonPeriod::PreviousPeriod => g.start(start - 1)?,
                ComparisonPeriod::SamePeriodLastYear => {
                    g.start(crate::calendar::year_earlier(start)?)?
                }
            };
            let (window, report) = report_of(other)?;
            earlier.push((period, window, report));
        }
        points.push(assemble(&snapshot, window, &current, &earlier));
    }
    Ok(Trend {
        granularity: g,
        time_zone: snapshot.zone.name().to_owned(),
        points,
    })
}

/// The instants of a period of local days.
fn window_of(calendar: &Calendar, (first, end): (i64, i64)) -> Window {
    Window {
        from: Some(calendar.day_start(first)),
        to: Some(calendar.day_start(end)),
    }
}

/// The reports of periods of local days (ascending, not overlapping): from the cache
/// when it holds them all, else from one read of the buckets of the periods' level.
async fn period_reports(
    db: &impl ConnectionTrait,
    figures: &Figures,
    snapshot: &Snapshot,
    granularity: Granularity,
    periods: &[(i64, i64)],
) -> ApiResult<Vec<Arc<Report>>> {
    let calendar = &snapshot.calendar;
    let cached: Option<Vec<Arc<Report>>> = periods
        .iter()
        .map(|&p| figures.cached(snapshot, window_of(calendar, p)))
        .collect();
    if let Some(reports) = cached {
        return Ok(reports);
    }
    let level = if granularity.by_months() {
        Level::Month
    } else {
        Level::Day
    };
    // The periods as runs of adjacent ones: one bucket range each.
    let mut ranges: Vec<BucketRange> = Vec::new();
    for &(first, end) in periods {
        match ranges.last_mut() {
            Some(run) if run.to == first => run.to = end,
            _ => ranges.push(BucketRange {
                level,
                from: first,
                to: end,
            }),
        }
    }
    let (groups, entries) =
        crate::derived::rollup::period_rows(db, snapshot.organization_id, &ranges).await?;
    let map = snapshot.map.clone();
    let periods_owned = periods.to_vec();
    let reports = tokio::task::spawn_blocking(move || {
        rules::rollup::fold_periods(&periods_owned, &groups, &entries, &map)
    })
    .await
    .map_err(ApiError::internal)?;
    Ok(periods
        .iter()
        .zip(reports)
        .map(|(&period, report)| {
            let report = Arc::new(report);
            figures.keep(snapshot, window_of(calendar, period), report.clone());
            report
        })
        .collect())
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
    figures: &Figures,
    organization_id: i64,
    window: Window,
) -> ApiResult<Network> {
    let snapshot = figures.snapshot(db, organization_id).await?;
    let report = report(db, figures, &snapshot, window).await?;
    let names = &snapshot.names;
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

/// The period before `window` in `calendar` (the same number of whole local calendar
/// periods, else the same length; rules::calendar::Calendar::period_before).
pub fn previous_period(calendar: &rules::calendar::Calendar, window: Window) -> ApiResult<Window> {
    let (from, to) = closed(window)?;
    let (before, end) = calendar.period_before(from, to);
    Ok(Window {
        from: Some(before),
        to: Some(end),
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
    count: i64,
    ping_pongs: i64,
    customer_burdens: i64,
    deferral_languages: i64,
    prompt_opportunities: i64,
    prompt_breaches: i64,
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
        ])
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            Alias::new("count"),
        )
        .expr_as(
            count_where(col(step::Column::PingPong).eq(true)),
            Alias::new("ping_pongs"),
        )
        .expr_as(
            count_where(col(step::Column::CustomerBurden).eq(true)),
            Alias::new("customer_burdens"),
        )
        .expr_as(
            count_where(col(step::Column::DeferralLanguage).eq(true)),
            Alias::new("deferral_languages"),
        )
        .expr_as(
            count_where(
                col(step::Column::PrevFunctionId)
                    .is_not_null()
                    .and(col(step::Column::PrevCustomerAction).eq(false)),
            ),
            Alias::new("prompt_opportunities"),
        )
        .expr_as(
            count_where(col(step::Column::PromptBreach).eq(true)),
            Alias::new("prompt_breaches"),
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
                count: r.count,
                case_ends: r.case_ends,
                ping_pongs: r.ping_pongs,
                customer_burdens: r.customer_burdens,
                deferral_languages: r.deferral_languages,
                prompt_opportunities: r.prompt_opportunities,
                prompt_breaches: r.prompt_breaches,
            }
        })
        .collect();
    Ok((groups, entries))
}

/// The report of a window against the snapshot's map: cached, or from the rollups
/// when the window's ends are open or start local days, from the steps otherwise.
pub(crate) async fn report(
    db: &impl ConnectionTrait,
    figures: &Figures,
    snapshot: &Snapshot,
    window: Window,
) -> ApiResult<Arc<Report>> {
    figures
        .report(snapshot, window, async {
            let organization_id = snapshot.organization_id;
            let (groups, entries) = match Days::of(window, &snapshot.calendar) {
                Some(days) => {
                    crate::derived::rollup::window_groups(
                        db,
                        organization_id,
                        days,
                        &snapshot.calendar,
                    )
                    .await?
                }
                None => step_groups(db, organization_id, window).await?,
            };
            // Folding is CPU work: on the blocking pool, so that the threads serving
            // cheap requests keep serving them while a large window is folded.
            let map = snapshot.map.clone();
            tokio::task::spawn_blocking(move || fold(&groups, &entries, &map))
                .await
                .map_err(ApiError::internal)
        })
        .await
}
