//! Functions: departments and teams.

use entity::function;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, QueryFilter, Set,
};

use crate::db::{begin_change, now_micros};
use crate::error::{check, no_such, unique_violation, ApiResult, UserError, UserErrorCode, Write};
use crate::fields::{clean_change, clean_name, clean_optional, finish, name_key, Audit, Unique};
use crate::scoped::{find, in_org, page, Page, PageRequest};

/// A new function.
#[derive(Clone, Debug, Default)]
pub struct NewFunction {
    /// Unique in the organization, compared case-insensitively.
    pub name: String,
    /// Whether handoffs to it are deferrals to CX.
    pub is_cx_team: bool,
    /// The function this one belongs to.
    pub parent_id: Option<i64>,
    /// The HR system's id, unique in the organization.
    pub external_id: Option<String>,
}

/// Changes to a function: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct FunctionChanges {
    pub name: Option<String>,
    pub is_cx_team: Option<bool>,
    pub parent_id: Option<Option<i64>>,
    pub external_id: Option<Option<String>>,
}

/// Checks that the name and external id are free (except on `this`).
async fn check_unique(
    db: &impl ConnectionTrait,
    organization_id: i64,
    this: Option<i64>,
    name: Option<&str>,
    external_id: Option<&str>,
    errors: &mut Vec<UserError>,
) -> ApiResult<()> {
    use function::{Column, Entity};
    if let Some(name) = name {
        Unique::<Entity>::name(Column::NameKey, name)
            .check(db, organization_id, this, errors)
            .await?;
    }
    if let Some(external) = external_id {
        Unique::<Entity>::external_id(Column::ExternalId, external)
            .check(db, organization_id, this, errors)
            .await?;
    }
    Ok(())
}

/// Resolves a parent id; a parent that is `this` or below it would make a cycle.
pub(crate) async fn check_parent(
    db: &impl ConnectionTrait,
    organization_id: i64,
    this: Option<i64>,
    parent_id: i64,
    errors: &mut Vec<UserError>,
) -> ApiResult<Option<i64>> {
    let path = ["input", "parentId"];
    let mut cursor = parent_id;
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
    db: &crate::db::Tenant,
    organization_id: i64,
    input: NewFunction,
) -> Write<function::Model> {
    crate::db::atomically(db, organization_id, async |txn| {
        create_in(txn, organization_id, input).await
    })
    .await
}

/// The same, inside the caller's transaction (nothing is committed).
pub async fn create_in(
    txn: &DatabaseTransaction,
    organization_id: i64,
    input: NewFunction,
) -> Write<function::Model> {
    let mut errors = Vec::new();
    let name = clean_name(&input.name, &["input", "name"], &mut errors);
    let external_id = clean_optional(
        input.external_id.as_deref(),
        &["input", "externalId"],
        &mut errors,
    );
    check_unique(
        txn,
        organization_id,
        None,
        Some(&name),
        external_id.as_deref(),
        &mut errors,
    )
    .await?;
    let parent_id = match input.parent_id {
        Some(parent) => check_parent(txn, organization_id, None, parent, &mut errors).await?,
        None => None,
    };
    check(errors)?;
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
    .insert(txn)
    .await
    .map_err(|e| unique_violation(e, &["input", "name"], "the name or externalId"))?;
    crate::audit::record_row(
        txn,
        organization_id,
        "function.create",
        "Function",
        None,
        Some(&inserted),
    )
    .await?;
    Ok(inserted)
}

pub async fn update(
    db: &crate::db::Tenant,
    organization_id: i64,
    id: i64,
    input: FunctionChanges,
) -> Write<function::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<function::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("function"))?;
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| clean_name(n, &["input", "name"], &mut errors));
    let external_id = clean_change(
        input.external_id.as_ref().map(Option::as_deref),
        &["input", "externalId"],
        &mut errors,
    );
    check_unique(
        &txn,
        organization_id,
        Some(current.id),
        name.as_deref(),
        external_id.as_ref().and_then(Option::as_deref),
        &mut errors,
    )
    .await?;
    let parent_id = match input.parent_id {
        Some(Some(parent)) => {
            Some(check_parent(&txn, organization_id, Some(current.id), parent, &mut errors).await?)
        }
        Some(None) => Some(None),
        None => None,
    };
    check(errors)?;
    let before = current.clone();
    let mut active: function::ActiveModel = current.into();
    if let Some(name) = name {
        active.name_key = Set(name_key(&name));
        active.name = Set(name);
    }
    if let Some(is_cx) = input.is_cx_team {
        active.is_cx_team = Set(is_cx);
    }
    if let Some(parent) = parent_id {
        active.parent_id = Set(parent);
    }
    if let Some(external) = external_id {
        active.external_id = Set(external);
    }
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    let audit = Audit {
        organization_id,
        action: "function.update",
        kind: "Function",
        before: Some(before),
    };
    finish(
        txn,
        updated,
        &["input", "name"],
        "the name or externalId",
        audit,
    )
    .await
}

/// Which functions a list holds; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct FunctionFilter {
    /// Name contains this, case-insensitively.
    pub name: Option<String>,
    pub archived: Option<bool>,
    pub is_cx_team: Option<bool>,
    /// Functions directly below this one.
    pub parent_id: Option<i64>,
    /// The function with this HR id.
    pub external_id: Option<String>,
}

/// A page of the organization's functions, by creation.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &FunctionFilter,
    request: PageRequest,
) -> ApiResult<Page<function::Model>> {
    let mut select = in_org::<function::Entity>(organization_id);
    if let Some(name) = &filter.name {
        select = select.filter(function::Column::NameKey.contains(name_key(name)));
    }
    if let Some(archived) = filter.archived {
        select = select.filter(function::Column::Archived.eq(archived));
    }
    if let Some(is_cx) = filter.is_cx_team {
        select = select.filter(function::Column::IsCxTeam.eq(is_cx));
    }
    if let Some(external_id) = &filter.external_id {
        select = select.filter(function::Column::ExternalId.eq(external_id.as_str()));
    }
    if let Some(parent) = filter.parent_id {
        select = select.filter(function::Column::ParentId.eq(parent));
    }
    page(db, select, request).await
}

/// The function with the HR id `external_id`, if there is one.
pub async fn by_external_id(
    db: &impl ConnectionTrait,
    organization_id: i64,
    external_id: &str,
) -> ApiResult<Option<function::Model>> {
    Ok(in_org::<function::Entity>(organization_id)
        .filter(function::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}
