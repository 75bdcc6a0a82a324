//! People as a directory holds them (SCIM Users).

use entity::person;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::error::{
    no_such, Field, Place, ServiceResult, UserError, UserErrorCode, Write, WriteError,
};
use crate::model::person::{PersonFields, Removal};
use crate::storage::db::begin_change;

/// A person as a directory holds them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DirectoryUser {
    /// Unique in the organization, compared case-insensitively.
    pub user_name: String,
    /// The name shown; when absent, the given and family names, else the user name.
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// Unique in the organization; a person must have one.
    pub email: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    /// The directory's own id of the person, unique in the organization.
    pub external_id: Option<String>,
    /// `false` archives the person (they stay in history and reports).
    pub active: bool,
}

impl DirectoryUser {
    /// A stored person as a directory sees them.
    pub fn of(p: &person::Model) -> DirectoryUser {
        DirectoryUser {
            user_name: p.user_name.clone().unwrap_or_else(|| p.email.clone()),
            display_name: Some(p.name.clone()),
            given_name: p.given_name.clone(),
            family_name: p.family_name.clone(),
            email: Some(p.email.clone()),
            title: p.title.clone(),
            department: p.department.clone(),
            external_id: p.external_id.clone(),
            active: !p.archived,
        }
    }
}

/// Which people a directory asks for; every condition given must hold (each
/// compared exactly, the user name and email case-insensitively).
#[derive(Clone, Debug, Default)]
pub struct UserQuery {
    pub user_name: Option<String>,
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub display_name: Option<String>,
}

fn live(organization_id: i64) -> sea_orm::Select<person::Entity> {
    person::Entity::find()
        .filter(person::Column::OrganizationId.eq(organization_id))
        .filter(person::Column::DeletedAt.is_null())
}

/// The person `id` unless a directory deleted them.
pub async fn get(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> ServiceResult<Option<person::Model>> {
    Ok(live(organization_id)
        .filter(person::Column::Id.eq(id))
        .one(db)
        .await?)
}

/// A page of the people a query matches (`offset` from 0), by creation, and how many
/// match in all.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    query: &UserQuery,
    offset: u64,
    count: u64,
) -> ServiceResult<(u64, Vec<person::Model>)> {
    let mut select = live(organization_id);
    if let Some(user_name) = &query.user_name {
        select = select.filter(person::Column::UserNameKey.eq(user_name.trim().to_lowercase()));
    }
    if let Some(external_id) = &query.external_id {
        select = select.filter(person::Column::ExternalId.eq(external_id.as_str()));
    }
    if let Some(email) = &query.email {
        select = select.filter(person::Column::EmailKey.eq(email.trim().to_lowercase()));
    }
    if let Some(name) = &query.display_name {
        select = select.filter(
            Expr::expr(Func::lower(Expr::col(person::Column::Name))).eq(name.to_lowercase()),
        );
    }
    let total = select.clone().count(db).await?;
    let items = select
        .order_by_asc(person::Column::Id)
        .offset(offset)
        .limit(count)
        .all(db)
        .await?;
    Ok((total, items))
}

/// The person a new directory entry names, if they were deleted before: the same
/// user name or external id brings them back.
async fn deleted_match(
    txn: &DatabaseTransaction,
    organization_id: i64,
    user: &DirectoryUser,
) -> ServiceResult<Option<person::Model>> {
    let mut any = sea_orm::Condition::any()
        .add(person::Column::UserNameKey.eq(user.user_name.trim().to_lowercase()));
    if let Some(external_id) = &user.external_id {
        any = any.add(person::Column::ExternalId.eq(external_id.as_str()));
    }
    Ok(person::Entity::find()
        .filter(person::Column::OrganizationId.eq(organization_id))
        .filter(person::Column::DeletedAt.is_not_null())
        .filter(any)
        .one(txn)
        .await?)
}

/// Creates a person (or brings a deleted one back).
pub async fn create(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    user: DirectoryUser,
) -> Write<person::Model> {
    let txn = begin_change(db, organization_id).await?;
    let existing = deleted_match(&txn, organization_id, &user).await?;
    let saved = save(&txn, organization_id, existing, user).await?;
    txn.commit().await?;
    Ok(saved)
}

/// Replaces everything a directory holds of the person `id`.
pub async fn replace(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    user: DirectoryUser,
) -> Write<person::Model> {
    change(db, organization_id, id, |_| Ok::<_, WriteError>(user)).await
}

/// Changes the person `id` by `f`, which sees them as they are, in one transaction
/// (so two changes to one person never overwrite each other). `f` fails with the
/// door's own error.
pub async fn change<E: From<WriteError>>(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    f: impl FnOnce(DirectoryUser) -> Result<DirectoryUser, E>,
) -> Result<person::Model, E> {
    let txn = begin_change(db, organization_id)
        .await
        .map_err(WriteError::from)?;
    let current = get(&txn, organization_id, id)
        .await
        .map_err(WriteError::from)?
        .ok_or_else(|| no_such("user"))?;
    let user = f(DirectoryUser::of(&current))?;
    let saved = save(&txn, organization_id, Some(current), user).await?;
    txn.commit().await.map_err(WriteError::from)?;
    Ok(saved)
}

/// Deletes the person `id` from the directory: archived, kept in history.
pub async fn delete(db: &crate::storage::db::Tenant, organization_id: i64, id: i64) -> Write<()> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let current = get(txn, organization_id, id)
            .await?
            .ok_or_else(|| no_such("user"))?;
        crate::model::person::remove(txn, organization_id, current, Removal::Delete).await?;
        Ok(())
    })
    .await
}

/// Writes `user` over `existing` (a new row when `None`) through the people's one
/// write; the person is then SCIM's. A directory names a person by user name and
/// email; their function comes from Groups, so it stays as it is.
async fn save(
    txn: &DatabaseTransaction,
    organization_id: i64,
    existing: Option<person::Model>,
    user: DirectoryUser,
) -> Write<person::Model> {
    let email = user
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .ok_or_else(|| {
            UserError::new(
                UserErrorCode::Required,
                Field::of("email"),
                "a person needs an email address",
            )
        })?
        .to_owned();
    let trimmed = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let (given_name, family_name) = (trimmed(&user.given_name), trimmed(&user.family_name));
    let name = trimmed(&user.display_name).unwrap_or_else(|| {
        match (given_name.as_deref(), family_name.as_deref()) {
            (None, None) => user.user_name.trim().to_owned(),
            (given, family) => [given, family]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        }
    });
    let fields = PersonFields {
        name,
        email,
        external_id: user.external_id,
        function_id: existing.as_ref().and_then(|p| p.function_id),
        title: user.title,
        user_name: Some(user.user_name),
        given_name,
        family_name,
        department: user.department,
        archived: !user.active,
    };
    let saved = crate::model::person::save(
        txn,
        organization_id,
        existing,
        fields,
        Some(Some(super::SCIM)),
        Place::input(),
    )
    .await?;
    Ok(saved.row)
}
