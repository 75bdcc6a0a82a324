//! The daily rollups of the steps: kept in line at recording time (`apply`), rebuilt
//! when the phrase lists change (`rebuild`), and read by reports over whole UTC days
//! (`groups`). Bucketing follows `rules::rollup`.

use entity::{step_daily, step_daily_entry};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction, FromQueryResult, Set};

use rules::report::{Entries, StepGroup};
use rules::rollup::{day, RollupDelta, NO_DAY};
use rules::Window;

use crate::error::ApiResult;

/// Rollup rows built at a time (each piece is one statement on PostgreSQL).
const CHUNK: usize = crate::bulk::POSTGRES_ROWS;

/// Adds `delta` to the organization's rollups. Rows that fall to zero (a case re-derived
/// with other keys) stay; readers skip them.
pub async fn apply(
    txn: &DatabaseTransaction,
    organization_id: i64,
    delta: &RollupDelta,
) -> ApiResult<()> {
    let daily: Vec<_> = delta.daily.iter().collect();
    // Rows are built a piece at a time: an import's delta holds a million.
    for chunk in daily.chunks(CHUNK) {
        let rows: Vec<step_daily::ActiveModel> = chunk
            .iter()
            .map(|(k, (count, case_ends))| step_daily::ActiveModel {
                organization_id: Set(organization_id),
                day: Set(k.day),
                prev_function_id: Set(k.prev_function_id),
                function_id: Set(k.function_id),
                prev_touchpoint_id: Set(k.prev_touchpoint_id),
                ping_pong: Set(k.ping_pong),
                customer_burden: Set(k.customer_burden),
                deferral_language: Set(k.deferral_language),
                count: Set(*count),
                case_ends: Set(*case_ends),
                ..Default::default()
            })
            .collect();
        upsert(txn, rows, DAILY_UPSERT).await?;
    }
    let entries: Vec<_> = delta.entries.iter().collect();
    for chunk in entries.chunks(CHUNK) {
        let rows: Vec<step_daily_entry::ActiveModel> = chunk
            .iter()
            .map(|(k, count)| step_daily_entry::ActiveModel {
                organization_id: Set(organization_id),
                day: Set(k.day),
                kind: Set(k.kind),
                function_id: Set(k.function_id),
                prev_day: Set(k.prev_day),
                prev_day2: Set(k.prev_day2),
                count: Set(**count),
                ..Default::default()
            })
            .collect();
        upsert(txn, rows, ENTRY_UPSERT).await?;
    }
    Ok(())
}

/// Adds a daily row's counts to the row of the same key, if there is one. The delta
/// holds each key once, as one upsert statement needs.
const DAILY_UPSERT: &str = "ON CONFLICT (organization_id, day, prev_function_id, function_id, \
     prev_touchpoint_id, ping_pong, customer_burden, deferral_language) \
     DO UPDATE SET count = step_daily.count + excluded.count, \
     case_ends = step_daily.case_ends + excluded.case_ends";

/// Adds an entry's count to the entry of the same key, if there is one.
const ENTRY_UPSERT: &str =
    "ON CONFLICT (organization_id, day, kind, function_id, prev_day, prev_day2) \
     DO UPDATE SET count = step_daily_entry.count + excluded.count";

async fn upsert<A: sea_orm::ActiveModelTrait>(
    txn: &DatabaseTransaction,
    rows: Vec<A>,
    on_conflict: &str,
) -> ApiResult<()> {
    for statement in crate::bulk::insert_statements(txn.get_database_backend(), rows, on_conflict)?
    {
        txn.execute_raw(statement).await?;
    }
    Ok(())
}

/// Rebuilds the organization's rollups from its steps.
pub async fn rebuild(txn: &DatabaseTransaction, organization_id: i64) -> ApiResult<()> {
    for statement in rebuild_statements(organization_id) {
        txn.execute_unprepared(&statement).await?;
    }
    Ok(())
}

/// SQL day number of an instant column, by floor division (instants before 1970 fall
/// on the right day), as `rules::rollup::day`.
fn day_sql(column: &str) -> String {
    const DAY: &str = "86400000000";
    format!("(({column}) - ((({column}) % {DAY}) + {DAY}) % {DAY}) / {DAY}")
}

/// The statements that delete and rebuild one organization's rollups.
fn rebuild_statements(organization_id: i64) -> Vec<String> {
    // `rules::rollup::NO_DAY`, written so that PostgreSQL parses it as a BIGINT.
    const NONE: &str = "(-9223372036854775807 - 1)";
    let at = day_sql("at");
    let prev_at = day_sql("prev_at");
    let prev_same = day_sql("prev_same_function_at");
    let prev_handoff = day_sql("prev_handoff_from_at");
    let org = format!("organization_id = {organization_id}");
    let entry = "INSERT INTO step_daily_entry \
                 (organization_id, day, kind, function_id, prev_day, prev_day2, count)";
    vec![
        format!("DELETE FROM step_daily WHERE {org}"),
        format!("DELETE FROM step_daily_entry WHERE {org}"),
        format!(
            "INSERT INTO step_daily (organization_id, day, prev_function_id, function_id, \
             prev_touchpoint_id, ping_pong, customer_burden, deferral_language, count, case_ends) \
             SELECT organization_id, {at}, COALESCE(prev_function_id, 0), function_id, \
             COALESCE(prev_touchpoint_id, 0), ping_pong, customer_burden, deferral_language, \
             COUNT(*), SUM(CASE WHEN is_last THEN 1 ELSE 0 END) \
             FROM step WHERE {org} GROUP BY 1, 2, 3, 4, 5, 6, 7, 8"
        ),
        format!(
            "{entry} SELECT organization_id, {at}, 0, 0, COALESCE({prev_at}, {NONE}), {NONE}, \
             COUNT(*) FROM step WHERE {org} GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        format!(
            "{entry} SELECT organization_id, {at}, 1, function_id, COALESCE({prev_same}, {NONE}), \
             {NONE}, COUNT(*) FROM step WHERE {org} GROUP BY 1, 2, 3, 4, 5, 6"
        ),
        format!(
            "{entry} SELECT organization_id, {at}, 2, 0, {prev_at}, \
             COALESCE({prev_handoff}, {NONE}), COUNT(*) FROM step \
             WHERE {org} AND prev_function_id IS NOT NULL AND prev_function_id <> function_id \
             GROUP BY 1, 2, 3, 4, 5, 6"
        ),
    ]
}

fn sum(column: &str) -> Expr {
    Func::cast_as(
        Func::sum(Expr::col(Alias::new(column))),
        Alias::new("BIGINT"),
    )
    .into()
}

#[derive(Debug, FromQueryResult)]
struct DailyRow {
    prev_function_id: i64,
    function_id: i64,
    prev_touchpoint_id: i64,
    ping_pong: bool,
    customer_burden: bool,
    deferral_language: bool,
    count: i64,
    case_ends: i64,
}

#[derive(Debug, FromQueryResult)]
struct EntryRow {
    kind: i16,
    function_id: i64,
    count: i64,
}

/// The groups and entries of a window whose ends are open or UTC midnights.
pub async fn groups(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
) -> ApiResult<(Vec<StepGroup>, Entries)> {
    let first_day = window.from.map_or(NO_DAY + 1, day);
    let end_day = window.to.map_or(i64::MAX, day);
    let keys = [
        "prev_function_id",
        "function_id",
        "prev_touchpoint_id",
        "ping_pong",
        "customer_burden",
        "deferral_language",
    ];
    let mut query = Query::select();
    for key in keys {
        query.column(Alias::new(key));
    }
    query
        .expr_as(sum("count"), Alias::new("count"))
        .expr_as(sum("case_ends"), Alias::new("case_ends"))
        .from(step_daily::Entity)
        .and_where(Expr::col(Alias::new("organization_id")).eq(organization_id))
        .and_where(Expr::col(Alias::new("day")).gte(first_day))
        .and_where(Expr::col(Alias::new("day")).lt(end_day));
    for key in keys {
        query.group_by_col(Alias::new(key));
    }
    let backend = db.get_database_backend();
    let rows = DailyRow::find_by_statement(backend.build(&query))
        .all(db)
        .await?;
    let groups = rows
        .into_iter()
        .filter(|r| r.count != 0)
        .map(|r| StepGroup {
            from: (r.prev_function_id != 0).then_some(r.prev_function_id),
            to: r.function_id,
            touchpoint: (r.prev_touchpoint_id != 0).then_some(r.prev_touchpoint_id),
            ping_pong: r.ping_pong,
            customer_burden: r.customer_burden,
            deferral_language: r.deferral_language,
            count: r.count,
            case_ends: r.case_ends,
        })
        .collect();

    let prev_day = Expr::col(Alias::new("prev_day"));
    let kind = Expr::col(Alias::new("kind"));
    let entry_query = Query::select()
        .column(Alias::new("kind"))
        .column(Alias::new("function_id"))
        .expr_as(sum("count"), Alias::new("count"))
        .from(step_daily_entry::Entity)
        .and_where(Expr::col(Alias::new("organization_id")).eq(organization_id))
        .and_where(Expr::col(Alias::new("day")).gte(first_day))
        .and_where(Expr::col(Alias::new("day")).lt(end_day))
        .and_where(
            kind.clone()
                .is_in([0, 1])
                .and(prev_day.clone().lt(first_day))
                .or(kind
                    .eq(2)
                    .and(prev_day.gte(first_day))
                    .and(Expr::col(Alias::new("prev_day2")).lt(first_day))),
        )
        .group_by_col(Alias::new("kind"))
        .group_by_col(Alias::new("function_id"))
        .to_owned();
    let mut entries = Entries::default();
    for row in EntryRow::find_by_statement(backend.build(&entry_query))
        .all(db)
        .await?
    {
        match row.kind {
            0 => entries.cases += row.count,
            1 => *entries.function_entries.entry(row.function_id).or_default() += row.count,
            _ => entries.first_inner_handoffs += row.count,
        }
    }
    Ok((groups, entries))
}
