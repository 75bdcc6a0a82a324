//! Reading the rollups: the groups and entries of a window of whole local days
//! (`window_groups`), of each bucket of a trend (`period_rows`), and interactions per
//! touchpoint and function (`window_handled`).

use std::collections::HashMap;

use entity::{step_rollup, step_rollup_entry, touchpoint_rollup};
use rules::calendar::Calendar;
use rules::report::{Entries, StepGroup};
use rules::rollup::{cover, BucketRange, Days, EntryKind, EntryRow};
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Func, Query, SelectStatement};
use sea_orm::ConnectionTrait;

use crate::error::ServiceResult;
fn sum(column: &str) -> Expr {
    Func::cast_as(
        Func::sum(Expr::col(Alias::new(column))),
        Alias::new("BIGINT"),
    )
    .into()
}

/// The key columns of a group row, beside its bucket.
const GROUP_KEY: [&str; 3] = ["prev_function_id", "function_id", "prev_touchpoint_id"];

/// The counts of a group row.
const GROUP_COUNTS: [&str; 7] = [
    "count",
    "case_ends",
    "ping_pongs",
    "customer_burdens",
    "deferral_languages",
    "prompt_opportunities",
    "prompt_breaches",
];

/// A group row as the queries below select it, read by position (a trend reads tens
/// of thousands): the bucket's first day, the three key columns, the seven counts.
fn group_row(row: &sea_orm::QueryResult) -> Result<(i64, StepGroup), sea_orm::DbErr> {
    let from: i64 = row.try_get_by_index(1)?;
    let touchpoint: i64 = row.try_get_by_index(3)?;
    Ok((
        row.try_get_by_index::<Option<i64>>(0)?.unwrap_or_default(),
        StepGroup {
            from: (from != 0).then_some(from),
            to: row.try_get_by_index(2)?,
            touchpoint: (touchpoint != 0).then_some(touchpoint),
            count: row.try_get_by_index(4)?,
            case_ends: row.try_get_by_index(5)?,
            ping_pongs: row.try_get_by_index(6)?,
            customer_burdens: row.try_get_by_index(7)?,
            deferral_languages: row.try_get_by_index(8)?,
            prompt_opportunities: row.try_get_by_index(9)?,
            prompt_breaches: row.try_get_by_index(10)?,
        },
    ))
}

/// An entry row as the queries below select it: first day, kind, function, the two
/// days, the summed count (the first day and the days may be NULL where grouped away).
type EntryColumns = (Option<i64>, i16, i64, Option<i64>, Option<i64>, i64);

fn entry_row(row: &sea_orm::QueryResult) -> Result<EntryColumns, sea_orm::DbErr> {
    Ok((
        row.try_get_by_index(0)?,
        row.try_get_by_index(1)?,
        row.try_get_by_index(2)?,
        row.try_get_by_index(3)?,
        row.try_get_by_index(4)?,
        row.try_get_by_index(5)?,
    ))
}

/// Runs a query and reads each row with `read`.
async fn rows<T>(
    db: &impl ConnectionTrait,
    query: &SelectStatement,
    read: fn(&sea_orm::QueryResult) -> Result<T, sea_orm::DbErr>,
) -> ServiceResult<Vec<T>> {
    let statement = db.get_database_backend().build(query);
    let results = db.query_all_raw(statement).await?;
    Ok(results.iter().map(read).collect::<Result<_, _>>()?)
}

/// The rows of the organization in the given bucket ranges.
fn in_buckets(query: &mut SelectStatement, organization_id: i64, ranges: &[BucketRange]) {
    let mut any = Condition::any();
    for range in ranges {
        any = any.add(
            Expr::col(Alias::new("level"))
                .eq(range.level.code())
                .and(Expr::col(Alias::new("first_day")).gte(range.from))
                .and(Expr::col(Alias::new("first_day")).lt(range.to)),
        );
    }
    query
        .and_where(Expr::col(Alias::new("organization_id")).eq(organization_id))
        .cond_where(any);
}

/// The groups and entries of a window of whole local days: summed over the fewest
/// buckets that cover it (months inside it, days at its edges).
pub async fn window_groups(
    db: &impl ConnectionTrait,
    organization_id: i64,
    days: Days,
    calendar: &Calendar,
) -> ServiceResult<(Vec<StepGroup>, Entries)> {
    let ranges = cover(days, calendar);
    if ranges.is_empty() {
        return Ok(Default::default());
    }
    let mut query = Query::select();
    query.expr(Expr::cust("CAST(NULL AS BIGINT)"));
    for column in GROUP_KEY {
        query
            .column(Alias::new(column))
            .group_by_col(Alias::new(column));
    }
    for column in GROUP_COUNTS {
        query.expr(sum(column));
    }
    query.from(step_rollup::Entity);
    in_buckets(&mut query, organization_id, &ranges);
    let groups = rows(db, &query, group_row)
        .await?
        .into_iter()
        .map(|(_, group)| group)
        .filter(|group| group.count != 0)
        .collect();

    // Only the entries that count for the window (`EntryKind::counts`), summed.
    let first = days.first.unwrap_or(rules::calendar::NO_DAY + 1);
    let prev_day = Expr::col(Alias::new("prev_day"));
    let kind = Expr::col(Alias::new("kind"));
    let mut entry_query = Query::select();
    entry_query
        .expr(Expr::cust("CAST(NULL AS BIGINT)"))
        .column(Alias::new("kind"))
        .column(Alias::new("function_id"))
        .expr(Expr::cust("CAST(NULL AS BIGINT)"))
        .expr(Expr::cust("CAST(NULL AS BIGINT)"))
        .expr(sum("count"))
        .from(step_rollup_entry::Entity)
        .and_where(
            kind.clone()
                .is_in([EntryKind::Case.code(), EntryKind::Function.code()])
                .and(prev_day.clone().lt(first))
                .or(kind
                    .eq(EntryKind::Handoff.code())
                    .and(prev_day.gte(first))
                    .and(Expr::col(Alias::new("prev_day2")).lt(first))),
        )
        .group_by_col(Alias::new("kind"))
        .group_by_col(Alias::new("function_id"));
    in_buckets(&mut entry_query, organization_id, &ranges);
    let mut entries = Entries::default();
    for (_, kind, function_id, _, _, count) in rows(db, &entry_query, entry_row).await? {
        if let Some(kind) = EntryKind::from_code(kind) {
            entries.add(kind, function_id, count);
        }
    }
    Ok((groups, entries))
}

/// The group and entry rows of the buckets in `ranges`, per bucket: what a trend
/// folds period by period. Entries that can count for no period holding their
/// bucket are left out.
pub async fn period_rows(
    db: &impl ConnectionTrait,
    organization_id: i64,
    ranges: &[BucketRange],
) -> ServiceResult<(Vec<(i64, StepGroup)>, Vec<EntryRow>)> {
    // Within one level a bucket holds each key once: nothing to group.
    let mut query = Query::select();
    query.column(Alias::new("first_day"));
    for column in GROUP_KEY.iter().chain(&GROUP_COUNTS) {
        query.column(Alias::new(*column));
    }
    query.from(step_rollup::Entity);
    in_buckets(&mut query, organization_id, ranges);
    let groups = rows(db, &query, group_row)
        .await?
        .into_iter()
        .filter(|(_, group)| group.count != 0)
        .collect();

    // A period starts on its buckets' first day or before, so an entry whose days
    // are not before its bucket's first day counts for none.
    let first_day = Expr::col(Alias::new("first_day"));
    let mut entry_query = Query::select();
    for column in [
        "first_day",
        "kind",
        "function_id",
        "prev_day",
        "prev_day2",
        "count",
    ] {
        entry_query.column(Alias::new(column));
    }
    entry_query.from(step_rollup_entry::Entity).and_where(
        Expr::col(Alias::new("kind"))
            .eq(EntryKind::Handoff.code())
            .and(Expr::col(Alias::new("prev_day2")).lt(first_day.clone()))
            .or(Expr::col(Alias::new("kind"))
                .ne(EntryKind::Handoff.code())
                .and(Expr::col(Alias::new("prev_day")).lt(first_day))),
    );
    in_buckets(&mut entry_query, organization_id, ranges);
    let entries = rows(db, &entry_query, entry_row)
        .await?
        .into_iter()
        .filter(|row| row.5 != 0)
        .filter_map(
            |(first_day, kind, function_id, prev_day, prev_day2, count)| {
                Some(EntryRow {
                    first_day: first_day?,
                    kind: EntryKind::from_code(kind)?,
                    function_id,
                    prev_day: prev_day?,
                    prev_day2: prev_day2?,
                    count,
                })
            },
        )
        .collect();
    Ok((groups, entries))
}

/// Interactions per (touchpoint, function) over a window of whole local days, summed
/// over the fewest buckets that cover it.
pub async fn window_handled(
    db: &impl ConnectionTrait,
    organization_id: i64,
    days: Days,
    calendar: &Calendar,
) -> ServiceResult<HashMap<(i64, i64), i64>> {
    let ranges = cover(days, calendar);
    if ranges.is_empty() {
        return Ok(HashMap::new());
    }
    let mut query = Query::select();
    query
        .column(Alias::new("touchpoint_id"))
        .column(Alias::new("function_id"))
        .expr(sum("count"))
        .from(touchpoint_rollup::Entity)
        .group_by_col(Alias::new("touchpoint_id"))
        .group_by_col(Alias::new("function_id"));
    in_buckets(&mut query, organization_id, &ranges);
    let rows = rows(db, &query, |row| {
        Ok((
            (row.try_get_by_index(0)?, row.try_get_by_index(1)?),
            row.try_get_by_index(2)?,
        ))
    })
    .await?;
    Ok(rows.into_iter().filter(|(_, count)| *count != 0).collect())
}
