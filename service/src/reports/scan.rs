//! The one read of a window's figures: from the cache, the rollups, or one range
//! scan of the steps grouped by everything a flag depends on.

use std::sync::Arc;

use entity::step;
use rules::report::{fold, Entries, Report, StepGroup};
use rules::rollup::Days;
use rules::Window;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, FromQueryResult};

use crate::error::{ServiceError, ServiceResult};
use crate::reports::snapshot::{Figures, Snapshot};

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
pub(super) async fn step_groups(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
) -> ServiceResult<(Vec<StepGroup>, Entries)> {
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
) -> ServiceResult<Arc<Report>> {
    figures
        .report(snapshot, window, async {
            let organization_id = snapshot.organization_id;
            let (groups, entries) = match Days::of(window, &snapshot.calendar) {
                Some(days) => {
                    crate::log::derived::rollup::window_groups(
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
                .map_err(ServiceError::internal)
        })
        .await
}
