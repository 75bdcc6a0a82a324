//! Reading the log back out, page by page, for a door to write as CSV or XES: each
//! interaction with its case reference, function and touchpoint by name. Pages follow
//! the cases (by case, then recording order), so a door can write one trace per case
//! while holding only the page at hand.

use entity::{customer_case, interaction};
use rules::Window;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::error::ServiceResult;
use crate::reports::names::Names;

/// Rows per page.
pub const PAGE_ROWS: u64 = 5_000;

/// One interaction as exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportRow {
    /// Where the next page starts: (case id, interaction id).
    pub position: (i64, i64),
    pub case_ref: String,
    pub external_id: Option<String>,
    /// Microseconds since the epoch.
    pub at: i64,
    pub function: String,
    pub function_external_id: Option<String>,
    pub touchpoint: Option<String>,
    pub note: Option<String>,
    pub customer_action_required: bool,
}

#[derive(FromQueryResult)]
struct Row {
    id: i64,
    case_id: i64,
    case_ref: String,
    external_id: Option<String>,
    occurred_at: i64,
    function_id: i64,
    touchpoint_id: Option<i64>,
    note: Option<String>,
    customer_action_required: bool,
}

/// The next page of the organization's interactions in `window`, after `after`, with
/// functions and touchpoints named from `names` (read once per export).
pub async fn page(
    db: &impl ConnectionTrait,
    organization_id: i64,
    names: &Names,
    window: Window,
    after: Option<(i64, i64)>,
) -> ServiceResult<Vec<ExportRow>> {
    use interaction::Column as I;
    let mut select = interaction::Entity::find()
        .select_only()
        .columns([
            I::Id,
            I::CaseId,
            I::ExternalId,
            I::OccurredAt,
            I::FunctionId,
            I::TouchpointId,
            I::Note,
            I::CustomerActionRequired,
        ])
        .column(customer_case::Column::CaseRef)
        .join(
            JoinType::InnerJoin,
            interaction::Entity::belongs_to(customer_case::Entity)
                .from(I::CaseId)
                .to(customer_case::Column::Id)
                .into(),
        )
        .filter(I::OrganizationId.eq(organization_id));
    if let Some(from) = window.from {
        select = select.filter(I::OccurredAt.gte(from));
    }
    if let Some(to) = window.to {
        select = select.filter(I::OccurredAt.lt(to));
    }
    if let Some((case_id, id)) = after {
        select = select.filter(
            Condition::any().add(I::CaseId.gt(case_id)).add(
                Condition::all()
                    .add(Expr::col((interaction::Entity, I::CaseId)).eq(case_id))
                    .add(Expr::col((interaction::Entity, I::Id)).gt(id)),
            ),
        );
    }
    let rows = select
        .order_by_asc(I::CaseId)
        .order_by_asc(I::Id)
        .limit(PAGE_ROWS)
        .into_model::<Row>()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let function = names.function(row.function_id);
            ExportRow {
                position: (row.case_id, row.id),
                case_ref: row.case_ref,
                external_id: row.external_id,
                at: row.occurred_at,
                function: function.map(|f| f.name.clone()).unwrap_or_default(),
                function_external_id: function.and_then(|f| f.external_id.clone()),
                touchpoint: names.touchpoint(row.touchpoint_id).map(|t| t.name.clone()),
                note: row.note,
                customer_action_required: row.customer_action_required,
            }
        })
        .collect())
}
