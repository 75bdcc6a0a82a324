//! Functions: departments and teams.

use async_graphql::{InputObject, MaybeUndefined, ID};
use entity::function;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};

use super::scoped::{find, load};
use super::{
    clean_name, clean_optional, ensure_free, finish, name_key, no_such, UserError, UserErrorCode,
    Write,
};
use crate::db::{begin_write, now_micros};
use crate::ids;

/// A new function.
#[derive(InputObject, Clone, Debug)]
pub struct CreateFunctionInput {
    /// Unique in the organization, compared case-insensitively.
    pub name: String,
    /// Whether this is a customer-experience team (handoffs to it are deferrals).
    #[graphql(default)]
    pub is_cx_team: bool,
    /// The function this one belongs to, if any.
    pub parent_id: Option<ID>,
    /// The HR system's id, unique in the organization.
    pub external_id: Option<String>,
}

/// Changes to a function; absent fields stay as they are, `null` clears.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateFunctionInput {
    /// New name, unique in the organization.
    pub name: Option<String>,
    /// Whether this is a customer-experience team.
    pub is_cx_team: Option<bool>,
    /// The function this one belongs to; `null` puts it at the top.
    pub parent_id: MaybeUndefined<ID>,
    /// The HR system's id; `null` clears it.
    pub external_id: MaybeUndefined<String>,
}

/// Checks that the name and external id are free (except on `this`).
async fn check_unique(
    db: &impl ConnectionTrait,
    organization_id: i64,
    this: Option<i64>,
    name: Option<&str>,
    external_id: Option<&str>,
    errors: &mut Vec<UserError>,
) -> crate::error::ApiResult<()> {
    use function::{Column, Entity};
    if let Some(name) = name {
        ensure_free::<Entity>(
            db,
            organization_id,
            this,
            Column::NameKey,
            &name_key(name),
            "name",
            name,
            errors,
        )
        .await?;
    }
    if let Some(external) = external_id {
        ensure_free::<Entity>(
            db,
            organization_id,
            this,
            Column::ExternalId,
            external,
            "externalId",
            external,
            errors,
        )
        .await?;
    }
    Ok(())
}

/// Resolves a parent id; a parent that is `this` or below it would make a cycle.
async fn check_parent(
    db: &impl ConnectionTrait,
    organization_id: i64,
    this: Option<i64>,
    parent: &ID,
    errors: &mut Vec<UserError>,
) -> crate::error::ApiResult<Option<i64>> {
    let path = ["input", "parentId"];
    let Some(mut cursor) = ids::decode::<function::Entity>(parent) else {
        errors.push(UserError::new(
            UserErrorCode::NotFound,
            &path,
            "no such function",
        ));
        return Ok(None);
    };
    let parent_id = cursor;
    // Walk up from the parent; meeting `this` means a cycle. Depth is bounded.
    for _ in 0..64 {
        let Some(row) = find::<function::Entity>(db, organization_id, cursor).await? else {
            errors.push(UserError::new(
                UserErrorCode::NotFound,
                &path,
                "no such function",
            ));
            return Ok(None);
        };
        if Some(row.id) == this {
            errors.push(UserError::new(
                UserErrorCode::Invalid,
                &path,
                "a function cannot sit below itself",
            ));
            return Ok(None);
        }
        match row.parent_id {
            Some(next) => cursor = next,
            None => return Ok(Some(parent_id)),
        }
    }
    errors.push(UserError::new(
        UserErrorCode::Invalid,
        &path,
        "the hierarchy is deeper than 64 levels",
    ));
    Ok(None)
}

pub async fn create(
    db: &DatabaseConnection,
    organization_id: i64,
    input: CreateFunctionInput,
) -> Write<function::Model> {
    let mut errors = Vec::new();
    let name = clean_name(&input.name, &["input", "name"], &mut errors);
    let external_id = clean_optional(
        input.external_id.as_deref(),
        &["input", "externalId"],
        &mut errors,
    );
    let txn = begin_write(db).await?;
    check_unique(
        &txn,
        organization_id,
        None,
        Some(&name),
        external_id.as_deref(),
        &mut errors,
    )
    .await?;
    let parent_id = match &input.parent_id {
        Some(parent) => check_parent(&txn, organization_id, None, parent, &mut errors).await?,
        None => None,
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let now = now_micros();
    let inserted = function::ActiveModel {
        organization_id: Set(organization_id),
        name_key: Set(name_key(&name)),
        name: Set(name),
        is_cx_team: Set(input.is_cx_team),
        parent_id: Set(parent_id),
        external_id: Set(external_id),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    finish(txn, inserted, &["input", "name"], "the name or externalId").await
}

pub async fn update(
    db: &DatabaseConnection,
    organization_id: i64,
    id: &ID,
    input: UpdateFunctionInput,
) -> Write<function::Model> {
    let txn = begin_write(db).await?;
    let Some(current) = load::<function::Entity>(&txn, organization_id, id).await? else {
        return Ok(Err(no_such("function")));
    };
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| clean_name(n, &["input", "name"], &mut errors));
    let external_id = match &input.external_id {
        MaybeUndefined::Value(v) => MaybeUndefined::Value(clean_optional(
            Some(v),
            &["input", "externalId"],
            &mut errors,
        )),
        MaybeUndefined::Null => MaybeUndefined::Value(None),
        MaybeUndefined::Undefined => MaybeUndefined::Undefined,
    };
    let new_external = match &external_id {
        MaybeUndefined::Value(Some(v)) => Some(v.as_str()),
        _ => None,
    };
    check_unique(
        &txn,
        organization_id,
        Some(current.id),
        name.as_deref(),
        new_external,
        &mut errors,
    )
    .await?;
    let parent_id = match &input.parent_id {
        MaybeUndefined::Value(parent) => MaybeUndefined::Value(
            check_parent(&txn, organization_id, Some(current.id), parent, &mut errors).await?,
        ),
        MaybeUndefined::Null => MaybeUndefined::Value(None),
        MaybeUndefined::Undefined => MaybeUndefined::Undefined,
    };
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut active: function::ActiveModel = current.into();
    if let Some(name) = name {
        active.name_key = Set(name_key(&name));
        active.name = Set(name);
    }
    if let Some(is_cx) = input.is_cx_team {
        active.is_cx_team = Set(is_cx);
    }
    if let MaybeUndefined::Value(parent) = parent_id {
        active.parent_id = Set(parent);
    }
    if let MaybeUndefined::Value(external) = external_id {
        active.external_id = Set(external);
    }
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    finish(txn, updated, &["input", "name"], "the name or externalId").await
}
