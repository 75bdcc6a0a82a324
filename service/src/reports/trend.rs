//! The silo report of each calendar period of a trend, from the cache or one read
//! of the rollups.

use std::sync::Arc;

use rules::calendar::Calendar;
use rules::report::Report;
use rules::rollup::{BucketRange, Level};
use rules::Window;
use sea_orm::ConnectionTrait;

use super::report::*;
pub use crate::calendar::Granularity;
use crate::error::{ServiceError, ServiceResult};
use crate::reports::snapshot::{Figures, Snapshot};

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
) -> ServiceResult<Trend> {
    if request.from >= request.to {
        return Err(ServiceError::bad_input("`from` must be before `to`"));
    }
    let snapshot = figures.snapshot(db, organization_id).await?;
    let calendar = &snapshot.calendar;
    let g = request.granularity;
    // The points' periods, by their first days.
    let mut starts = vec![g.start(calendar.day(request.from))?];
    let last = g.start(calendar.day(request.to - 1))?;
    while let Some(&start) = starts.last().filter(|&&s| s < last) {
        if starts.len() == MAX_POINTS {
            return Err(ServiceError::bad_input(format!(
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
    let report_of = |start: i64| -> ServiceResult<(Window, Arc<Report>)> {
        let index = periods.binary_search_by_key(&start, |p| p.0).map_err(|_| {
            ServiceError::internal(anyhow::anyhow!("a trend period was not computed"))
        })?;
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
) -> ServiceResult<Vec<Arc<Report>>> {
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
        crate::log::derived::rollup::period_rows(db, snapshot.organization_id, &ranges).await?;
    let map = snapshot.map.clone();
    let periods_owned = periods.to_vec();
    let reports = tokio::task::spawn_blocking(move || {
        rules::rollup::fold_periods(&periods_owned, &groups, &entries, &map)
    })
    .await
    .map_err(ServiceError::internal)?;
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
