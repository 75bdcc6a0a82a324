//! Entities that belong to an organization, and the reads every one of them shares.

use sea_orm::sea_query::{Asterisk, Expr, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::error::ApiResult;

/// An entity whose rows each belong to one organization.
pub trait OrgScoped: EntityTrait {
    /// The type name used in global ids and messages.
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
) -> ApiResult<Option<E::Model>> {
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
) -> ApiResult<bool> {
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

/// The page of `select` after the row `after`, at most `first` rows (≤ [`MAX_PAGE`]);
/// `total` is counted only `with_total` (it costs a second scan), else 0.
pub async fn page<E: OrgScoped>(
    db: &impl ConnectionTrait,
    select: Select<E>,
    first: u64,
    after: Option<i64>,
    with_total: bool,
) -> ApiResult<Page<E::Model>> {
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

/// The row a global id names, in the organization (`None` for another type's id).
pub async fn load<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: &async_graphql::ID,
) -> ApiResult<Option<E::Model>> {
    match crate::ids::decode::<E>(id) {
        Some(id) => find::<E>(db, organization_id, id).await,
        None => Ok(None),
    }
}

/// Whether another row (not `except`) of the organization has `value` in `column`.
pub async fn taken<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    except: Option<i64>,
    column: E::Column,
    value: &str,
) -> ApiResult<bool> {
    let mut select = in_org::<E>(organization_id).filter(column.eq(value));
    if let Some(except) = except {
        select = select.filter(E::id_column().ne(except));
    }
    Ok(count(db, select).await? > 0)
}

/// How many rows `select` matches.
pub async fn count<E: EntityTrait>(db: &impl ConnectionTrait, select: Select<E>) -> ApiResult<u64> {
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

archivable!(function, person, journey, touchpoint);

/// Archives (or restores) the row a global id names; NOT_FOUND when the organization
/// has no such row.
pub async fn set_archived<E: Archivable>(
    db: &sea_orm::DatabaseConnection,
    organization_id: i64,
    id: &async_graphql::ID,
    archived: bool,
) -> super::Write<E::Model> {
    let txn = crate::db::begin_write(db).await?;
    let Some(row) = crate::ids::decode::<E>(id) else {
        return Ok(Err(super::no_such(&E::TYPE.to_lowercase())));
    };
    let changed = E::update_many()
        .col_expr(E::archived_column(), Expr::value(archived))
        .col_expr(E::updated_at_column(), Expr::value(crate::db::now_micros()))
        .filter(E::organization_column().eq(organization_id))
        .filter(E::id_column().eq(row))
        .exec(&txn)
        .await?;
    if changed.rows_affected == 0 {
        return Ok(Err(super::no_such(&E::TYPE.to_lowercase())));
    }
    let Some(model) = find::<E>(&txn, organization_id, row).await? else {
        return Ok(Err(super::no_such(&E::TYPE.to_lowercase())));
    };
    txn.commit().await?;
    Ok(Ok(model))
}
