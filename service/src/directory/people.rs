//! People as a directory holds them (SCIM Users).

use entity::person;
use sea_orm::sea_query::{Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::db::{begin_change, now_micros};
use crate::error::{
    check, no_such, unique_violation, ApiResult, UserError, UserErrorCode, Write, WriteError,
};
use crate::fields::clean_optional;

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
) -> ApiResult<Option<person::Model>> {
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
) -> ApiResult<(u64, Vec<person::Model>)> {
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
) -> ApiResult<Option<person::Model>> {
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
    db: &crate::db::Tenant,
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
    db: &crate::db::Tenant,
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
    db: &crate::db::Tenant,
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
pub async fn delete(db: &crate::db::Tenant, organization_id: i64, id: i64) -> Write<()> {
    let txn = begin_change(db, organization_id).await?;
    let current = get(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("user"))?;
    let before = current.clone();
    let mut active: person::ActiveModel = current.into();
    active.archived = Set(true);
    active.deleted_at = Set(Some(now_micros()));
    active.updated_at = Set(now_micros());
    let after = active.update(&txn).await?;
    crate::audit::record_row(
        &txn,
        organization_id,
        "person.delete",
        "Person",
        Some(&before),
        Some(&after),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Checks `user` and writes it over `existing` (a new row when `None`).
async fn save(
    txn: &DatabaseTransaction,
    organization_id: i64,
    existing: Option<person::Model>,
    user: DirectoryUser,
) -> Write<person::Model> {
    let mut errors = Vec::new();
    let user_name = user.user_name.trim().to_owned();
    if user_name.is_empty() || user_name.chars().count() > 320 || user_name.contains('\0') {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            &["userName"],
            "a userName has 1 to 320 characters",
        ));
    }
    let optional = |value: Option<&str>, field: &str, errors: &mut Vec<UserError>| {
        clean_optional(value, &[field], errors)
    };
    let given_name = optional(user.given_name.as_deref(), "name.givenName", &mut errors);
    let family_name = optional(user.family_name.as_deref(), "name.familyName", &mut errors);
    let display_name = optional(user.display_name.as_deref(), "displayName", &mut errors);
    let title = optional(user.title.as_deref(), "title", &mut errors);
    let department = optional(user.department.as_deref(), "department", &mut errors);
    let external_id = optional(user.external_id.as_deref(), "externalId", &mut errors);
    let email = match user
        .email
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        Some(email) => {
            let mut found = Vec::new();
            let email = crate::person::clean_email(email, &mut found);
            errors.extend(found.into_iter().map(|mut e| {
                e.path = vec!["emails".into()];
                e
            }));
            email
        }
        None => {
            errors.push(UserError::new(
                UserErrorCode::Required,
                &["emails"],
                "a person needs an email address",
            ));
            String::new()
        }
    };
    let name = display_name.clone().unwrap_or_else(|| {
        match (given_name.as_deref(), family_name.as_deref()) {
            (None, None) => user_name.clone(),
            (given, family) => [given, family]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" "),
        }
    });
    let this = existing.as_ref().map(|p| p.id);
    duplicate(
        txn,
        organization_id,
        this,
        person::Column::UserNameKey,
        &user_name.to_lowercase(),
        "userName",
        &mut errors,
    )
    .await?;
    duplicate(
        txn,
        organization_id,
        this,
        person::Column::EmailKey,
        &email.to_lowercase(),
        "emails",
        &mut errors,
    )
    .await?;
    if let Some(external_id) = &external_id {
        duplicate(
            txn,
            organization_id,
            this,
            person::Column::ExternalId,
            external_id,
            "externalId",
            &mut errors,
        )
        .await?;
    }
    check(errors)?;
    let now = now_micros();
    let before = existing.clone();
    let mut active: person::ActiveModel = match existing {
        Some(p) => p.into(),
        None => person::ActiveModel {
            organization_id: Set(organization_id),
            function_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.user_name_key = Set(Some(user_name.to_lowercase()));
    active.user_name = Set(Some(user_name));
    active.name = Set(name);
    active.given_name = Set(given_name);
    active.family_name = Set(family_name);
    active.email_key = Set(email.to_lowercase());
    active.email = Set(email);
    active.title = Set(title);
    active.department = Set(department);
    active.external_id = Set(external_id);
    active.archived = Set(!user.active);
    active.deleted_at = Set(None);
    active.managed_by = Set(Some(super::SCIM.to_owned()));
    active.updated_at = Set(now);
    let saved = match &before {
        Some(_) => active.update(txn).await,
        None => active.insert(txn).await,
    }
    .map_err(|e| unique_violation(e, &["userName"], "the userName, email or externalId"))?;
    let action = if before.is_some() {
        "person.update"
    } else {
        "person.create"
    };
    crate::audit::record_row(
        txn,
        organization_id,
        action,
        "Person",
        before.as_ref(),
        Some(&saved),
    )
    .await?;
    Ok(saved)
}

/// A DUPLICATE error on `field` when another row of the organization (deleted ones
/// included: they can come back) has `value` in `column`.
async fn duplicate(
    txn: &DatabaseTransaction,
    organization_id: i64,
    this: Option<i64>,
    column: person::Column,
    value: &str,
    field: &str,
    errors: &mut Vec<UserError>,
) -> ApiResult<()> {
    if value.is_empty() {
        return Ok(());
    }
    let mut select = person::Entity::find()
        .filter(person::Column::OrganizationId.eq(organization_id))
        .filter(column.eq(value));
    if let Some(this) = this {
        select = select.filter(person::Column::Id.ne(this));
    }
    if select.count(txn).await? > 0 {
        errors.push(UserError::new(
            UserErrorCode::Duplicate,
            &[field],
            format!("another person has this {field}"),
        ));
    }
    Ok(())
}
