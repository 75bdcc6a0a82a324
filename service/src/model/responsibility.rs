//! Responsibilities (a function's RACI role on a touchpoint) and their acknowledgements.

use entity::enums::Role;
use entity::{acknowledgement, function, person, responsibility, touchpoint};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, ModelTrait,
    QueryFilter, QueryOrder, Set,
};

use crate::error::{
    check, no_such, unique_violation, Field, ServiceError, ServiceResult, UserError, UserErrorCode,
    Write, WriteError,
};
use crate::fields::{finish, optional_reference, reference, reference_change, Audit};
use crate::storage::db::{begin_change, now_micros};
use crate::storage::scoped::{find, in_org, page, Page, PageRequest};

/// A function's role on a touchpoint.
#[derive(Clone, Debug)]
pub struct NewResponsibility {
    pub touchpoint_id: i64,
    pub function_id: i64,
    /// Unique per (touchpoint, function, role).
    pub role: Role,
    /// The person who carries the role for the function, if named.
    pub person_id: Option<i64>,
}

/// Changes to a responsibility: `Some(None)` un-names the person.
#[derive(Clone, Debug, Default)]
pub struct ResponsibilityChanges {
    pub person_id: Option<Option<i64>>,
}

/// Who may record an acknowledgement: the API layer decides from the caller's roles.
#[derive(Clone, Copy, Debug)]
pub enum Acknowledger<'a> {
    /// May acknowledge for anyone.
    Anyone,
    /// Only for the person whose email or externalId is this subject.
    Only(&'a str),
}

pub async fn assign(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    input: NewResponsibility,
) -> Write<responsibility::Model> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        assign_in(txn, organization_id, input).await
    })
    .await
}

/// The same, inside the caller's transaction (nothing is committed).
pub async fn assign_in(
    txn: &DatabaseTransaction,
    organization_id: i64,
    input: NewResponsibility,
) -> Write<responsibility::Model> {
    let mut errors = Vec::new();
    let touchpoint_id = reference::<touchpoint::Entity>(
        txn,
        organization_id,
        input.touchpoint_id,
        Field::of("touchpoint_id"),
        &mut errors,
    )
    .await?;
    let function_id = reference::<function::Entity>(
        txn,
        organization_id,
        input.function_id,
        Field::of("function_id"),
        &mut errors,
    )
    .await?;
    let person_id = optional_reference::<person::Entity>(
        txn,
        organization_id,
        input.person_id,
        Field::of("person_id"),
        &mut errors,
    )
    .await?;
    let (Some(touchpoint_id), Some(function_id)) = (touchpoint_id, function_id) else {
        return Err(errors.into());
    };
    let role = input.role;
    let existing = in_org::<responsibility::Entity>(organization_id)
        .filter(responsibility::Column::TouchpointId.eq(touchpoint_id))
        .filter(responsibility::Column::FunctionId.eq(function_id))
        .filter(responsibility::Column::Role.eq(role))
        .one(txn)
        .await?;
    if existing.is_some() {
        errors.push(UserError::new(
            UserErrorCode::Duplicate,
            Field::of("role"),
            "the function has this role on the touchpoint already",
        ));
    }
    check(errors)?;
    let now = now_micros();
    let inserted = responsibility::ActiveModel {
        organization_id: Set(organization_id),
        touchpoint_id: Set(touchpoint_id),
        function_id: Set(function_id),
        role: Set(role),
        person_id: Set(person_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| unique_violation(e, Field::of("role"), "this role"))?;
    crate::access::audit::record_row(
        txn,
        organization_id,
        "responsibility.assign",
        "Responsibility",
        None,
        Some(&inserted),
    )
    .await?;
    Ok(inserted)
}

pub async fn update(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    input: ResponsibilityChanges,
) -> Write<responsibility::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<responsibility::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("responsibility"))?;
    let mut errors = Vec::new();
    let person_id = reference_change::<person::Entity>(
        &txn,
        organization_id,
        input.person_id,
        Field::of("person_id"),
        &mut errors,
    )
    .await?;
    check(errors)?;
    let before = current.clone();
    let mut active: responsibility::ActiveModel = current.into();
    if let Some(person_id) = person_id {
        active.person_id = Set(person_id);
    }
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    let audit = Audit {
        organization_id,
        action: "responsibility.update",
        kind: "Responsibility",
        before: Some(before),
    };
    finish(txn, updated, Field::id(), "the responsibility", audit).await
}

/// Removes a responsibility with its acknowledgements.
pub async fn remove(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
) -> Write<responsibility::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<responsibility::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("responsibility"))?;
    acknowledgement::Entity::delete_many()
        .filter(acknowledgement::Column::ResponsibilityId.eq(current.id))
        .exec(&txn)
        .await?;
    current.clone().delete(&txn).await?;
    crate::access::audit::record_row(
        &txn,
        organization_id,
        "responsibility.remove",
        "Responsibility",
        Some(&current),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(current)
}

/// A person confirms they know a responsibility of their function; acknowledging
/// twice keeps the first. `by` says for whom the caller may do so.
pub async fn acknowledge(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    by: Acknowledger<'_>,
    responsibility_id: i64,
    person_id: i64,
) -> Write<acknowledgement::Model> {
    let txn = begin_change(db, organization_id).await?;
    let not_found = |field: &'static str, what: &str| {
        WriteError::from(UserError::new(
            UserErrorCode::NotFound,
            Field::of(field),
            format!("no such {what}"),
        ))
    };
    let responsibility = find::<responsibility::Entity>(&txn, organization_id, responsibility_id)
        .await?
        .ok_or_else(|| not_found("responsibilityId", "responsibility"))?;
    let person = find::<person::Entity>(&txn, organization_id, person_id)
        .await?
        .ok_or_else(|| not_found("personId", "person"))?;
    if let Acknowledger::Only(subject) = by {
        let is_self = person.email_key == subject.to_lowercase()
            || person.external_id.as_deref() == Some(subject);
        if !is_self {
            return Err(ServiceError::forbidden(
                "this needs one of the roles EDITOR, ADMIN (or acknowledging for yourself)",
            )
            .into());
        }
    }
    if person.function_id != Some(responsibility.function_id) {
        return Err(UserError::new(
            UserErrorCode::Invalid,
            Field::of("person_id"),
            "the person does not work in the function that holds this responsibility",
        )
        .into());
    }
    if let Some(existing) = acknowledgement::Entity::find()
        .filter(acknowledgement::Column::PersonId.eq(person.id))
        .filter(acknowledgement::Column::ResponsibilityId.eq(responsibility.id))
        .one(&txn)
        .await?
    {
        return Ok(existing);
    }
    let inserted = acknowledgement::ActiveModel {
        organization_id: Set(organization_id),
        person_id: Set(person.id),
        responsibility_id: Set(responsibility.id),
        acknowledged_at: Set(now_micros()),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let audit = Audit {
        organization_id,
        action: "acknowledgement.create",
        kind: "Acknowledgement",
        before: None,
    };
    finish(
        txn,
        inserted,
        Field::of("person_id"),
        "the acknowledgement",
        audit,
    )
    .await
}

/// Which responsibilities a list holds; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct ResponsibilityFilter {
    pub touchpoint_id: Option<i64>,
    pub function_id: Option<i64>,
    pub role: Option<Role>,
}

/// A page of the organization's responsibilities, by creation.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &ResponsibilityFilter,
    request: PageRequest,
) -> ServiceResult<Page<responsibility::Model>> {
    let mut select = in_org::<responsibility::Entity>(organization_id);
    if let Some(touchpoint_id) = filter.touchpoint_id {
        select = select.filter(responsibility::Column::TouchpointId.eq(touchpoint_id));
    }
    if let Some(function_id) = filter.function_id {
        select = select.filter(responsibility::Column::FunctionId.eq(function_id));
    }
    if let Some(role) = filter.role {
        select = select.filter(responsibility::Column::Role.eq(role));
    }
    page(db, select, request).await
}

/// The responsibilities held by the given functions or on the given touchpoints, by
/// creation.
pub async fn held(
    db: &impl ConnectionTrait,
    organization_id: i64,
    by_functions: &[i64],
    on_touchpoints: &[i64],
) -> ServiceResult<Vec<responsibility::Model>> {
    use responsibility::Column;
    Ok(in_org::<responsibility::Entity>(organization_id)
        .filter(
            Column::FunctionId
                .is_in(by_functions.iter().copied())
                .or(Column::TouchpointId.is_in(on_touchpoints.iter().copied())),
        )
        .order_by_asc(Column::Id)
        .all(db)
        .await?)
}

/// Who has acknowledged a responsibility, in the order they did.
pub async fn acknowledgements(
    db: &impl ConnectionTrait,
    organization_id: i64,
    responsibility_id: i64,
) -> ServiceResult<Vec<acknowledgement::Model>> {
    Ok(in_org::<acknowledgement::Entity>(organization_id)
        .filter(acknowledgement::Column::ResponsibilityId.eq(responsibility_id))
        .order_by_asc(acknowledgement::Column::Id)
        .all(db)
        .await?)
}
