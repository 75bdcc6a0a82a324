//! Entities that belong to an organization, and the reads and writes every one of
//! them shares. Every function here filters by the organization: a row of another
//! organization behaves exactly like a missing one.

use sea_orm::sea_query::{Asterisk, Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::error::{no_such, ServiceResult, Write};
use crate::storage::db::{begin_change, now_micros};

/// An entity whose rows each belong to one organization.
pub trait OrgScoped: EntityTrait {
    /// The type name used in messages (and by the API layer in global ids).
    const TYPE: &'static str;
    fn organization_column() -> Self::Column;
    fn id_column() -> Self::Column;
}

macro_rules! org_scoped {
    ($($module:ident => $name:literal),* $(,)?) => {$(
        impl OrgScoped for entity::$module::Entity {
            const TYPE: &'static str = $name;
            fn organization_column() -> Self::Column {
                entity::$module::Column::OrganizationId
            }
            fn id_column() -> Self::Column {
                entity::$module::Column::Id
            }
        }
    )*};
}

org_scoped!(
    function => "Function",
    person => "Person",
    journey => "Journey",
    stage => "Stage",
    touchpoint => "Touchpoint",
    responsibility => "Responsibility",
    acknowledgement => "Acknowledgement",
    customer_case => "Case",
    interaction => "Interaction",
    api_key => "ApiKey",
    audit_event => "AuditEvent",
    membership => "Membership",
    webhook => "Webhook",
    webhook_delivery => "WebhookDelivery",
    feedback => "Feedback",
);

/// The rows of `E` in the organization.
pub fn in_org<E: OrgScoped>(organization_id: i64) -> Select<E> {
    E::find().filter(E::organization_column().eq(organization_id))
}

/// The row `id` of the organization; a row of another organization is not found.
pub async fn find<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> ServiceResult<Option<E::Model>> {
    Ok(in_org::<E>(organization_id)
        .filter(E::id_column().eq(id))
        .one(db)
        .await?)
}

/// Whether the row `id` exists in the organization.
pub async fn exists<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> ServiceResult<bool> {
    Ok(count(
        db,
        in_org::<E>(organization_id).filter(E::id_column().eq(id)),
    )
    .await?
        > 0)
}

/// Largest page a list returns.
pub const MAX_PAGE: u64 = 100;

/// A page of a list ordered by id.
pub struct Page<M> {
    pub items: Vec<M>,
    pub has_next: bool,
    pub total: u64,
}

/// Which page of a list ordered by id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many rows (1 to [`MAX_PAGE`]).
    pub first: u64,
    /// Rows after this id.
    pub after: Option<i64>,
    /// Whether to count the rows of all pages (a second scan).
    pub with_total: bool,
}

/// The page of `select` after the row `after`, at most `first` rows (≤ [`MAX_PAGE`]);
/// `total` is counted only `with_total` (it costs a second scan), else 0.
pub async fn page<E: OrgScoped>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    PageRequest {
        first,
        after,
        with_total,
    }: PageRequest,
) -> ServiceResult<Page<E::Model>> {
    let first = first.clamp(1, MAX_PAGE);
    let total = if with_total {
        count(db, select.clone()).await?
    } else {
        0
    };
    let mut query = select.order_by_asc(E::id_column());
    if let Some(after) = after {
        query = query.filter(E::id_column().gt(after));
    }
    let mut items = query.limit(first + 1).all(db).await?;
    let has_next = items.len() as u64 > first;
    items.truncate(first as usize);
    Ok(Page {
        items,
        has_next,
        total,
    })
}

/// The rows `ids` of the organization; missing ones are left out.
pub async fn find_many<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    ids: Vec<i64>,
) -> ServiceResult<Vec<E::Model>> {
    Ok(in_org::<E>(organization_id)
        .filter(E::id_column().is_in(ids))
        .all(db)
        .await?)
}

/// Whether another row (not `except`) of the organization has `value` in `column`.
pub async fn taken<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    except: Option<i64>,
    column: E::Column,
    value: &str,
) -> ServiceResult<bool> {
    let mut select = in_org::<E>(organization_id).filter(column.eq(value));
    if let Some(except) = except {
        select = select.filter(E::id_column().ne(except));
    }
    Ok(count(db, select).await? > 0)
}

/// How many rows `select` matches.
pub async fn count<E: EntityTrait>(
    db: &impl ConnectionTrait,
    select: Select<E>,
) -> ServiceResult<u64> {
    let n: Option<i64> = select
        .select_only()
        .expr_as(Func::count(Expr::col(Asterisk)), "n")
        .into_tuple()
        .one(db)
        .await?;
    Ok(n.unwrap_or_default().max(0) as u64)
}

/// An org-scoped entity that is archived rather than deleted.
pub trait Archivable: OrgScoped {
    fn archived_column() -> Self::Column;
    fn updated_at_column() -> Self::Column;
}

macro_rules! archivable {
    ($($module:ident),* $(,)?) => {$(
        impl Archivable for entity::$module::Entity {
            fn archived_column() -> Self::Column {
                entity::$module::Column::Archived
            }
            fn updated_at_column() -> Self::Column {
                entity::$module::Column::UpdatedAt
            }
        }
    )*};
}

archivable!(journey, touchpoint);

/// Archives (or restores) the row `id`; NOT_FOUND when the organization has no such row.
pub async fn set_archived<E: Archivable>(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    archived: bool,
) -> Write<E::Model>
where
    E::Model: serde::Serialize + crate::access::audit::HasId,
{
    let txn = begin_change(db, organization_id).await?;
    let before = find::<E>(&txn, organization_id, id).await?;
    let changed = E::update_many()
        .col_expr(E::archived_column(), Expr::value(archived))
        .col_expr(E::updated_at_column(), Expr::value(now_micros()))
        .filter(E::organization_column().eq(organization_id))
        .filter(E::id_column().eq(id))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Err(no_such(&E::TYPE.to_lowercase()));
    }
    let model = find::<E>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such(&E::TYPE.to_lowercase()))?;
    let verb = if archived { "archive" } else { "restore" };
    let action = format!("{}.{verb}", E::TYPE.to_lowercase());
    crate::access::audit::record_row(
        &txn,
        organization_id,
        &action,
        E::TYPE,
        before.as_ref(),
        Some(&model),
    )
    .await?;
    txn.commit().await?;
    Ok(model)
}
