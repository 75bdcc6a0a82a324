//! Responsibilities (a function's RACI role on a touchpoint) and their acknowledgements.

use async_graphql::{InputObject, MaybeUndefined, ID};
use entity::{acknowledgement, function, person, responsibility, touchpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, ModelTrait, QueryFilter, Set,
};

use super::scoped::{in_org, load};
use super::{
    finish, no_such, optional_reference, reference, reference_change, UserError, UserErrorCode,
    Write,
};
use crate::auth::Viewer;
use crate::db::{begin_write, now_micros};
use crate::graphql::types::enums::RoleEnum;

/// A function's role on a touchpoint.
#[derive(InputObject, Clone, Debug)]
pub struct AssignResponsibilityInput {
    /// The touchpoint the role is on.
    pub touchpoint_id: ID,
    /// The function that holds the role.
    pub function_id: ID,
    /// The RACI role; unique per (touchpoint, function, role).
    pub role: RoleEnum,
    /// The person who carries the role for the function, if named.
    pub person_id: Option<ID>,
}

/// Changes to a responsibility; `null` clears the named person.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateResponsibilityInput {
    /// The person carrying the role; `null` un-names them.
    pub person_id: MaybeUndefined<ID>,
}

pub async fn assign(
    db: &DatabaseConnection,
    organization_id: i64,
    input: AssignResponsibilityInput,
) -> Write<responsibility::Model> {
    let mut errors = Vec::new();
    let txn = begin_write(db).await?;
    let touchpoint_id = reference::<touchpoint::Entity>(
        &txn,
        organization_id,
        &input.touchpoint_id,
        &["input", "touchpointId"],
        &mut errors,
    )
    .await?;
    let function_id = reference::<function::Entity>(
        &txn,
        organization_id,
        &input.function_id,
        &["input", "functionId"],
        &mut errors,
    )
    .await?;
    let person_id = optional_reference::<person::Entity>(
        &txn,
        organization_id,
        input.person_id.as_ref(),
        &["input", "personId"],
        &mut errors,
    )
    .await?;
    let (Some(touchpoint_id), Some(function_id)) = (touchpoint_id, function_id) else {
        return Ok(Err(errors));
    };
    let role = entity::enums::Role::from(input.role);
    let existing = in_org::<responsibility::Entity>(organization_id)
        .filter(responsibility::Column::TouchpointId.eq(touchpoint_id))
        .filter(responsibility::Column::FunctionId.eq(function_id))
        .filter(responsibility::Column::Role.eq(role))
        .one(&txn)
        .await?;
    if existing.is_some() {
        errors.push(UserError::new(
            UserErrorCode::Duplicate,
            &["input", "role"],
            "the function has this role on the touchpoint already",
        ));
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
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
    .insert(&txn)
    .await;
    finish(txn, inserted, &["input", "role"], "this role").await
}

pub async fn update(
    db: &DatabaseConnection,
    organization_id: i64,
    id: &ID,
    input: UpdateResponsibilityInput,
) -> Write<responsibility::Model> {
    let txn = begin_write(db).await?;
    let Some(current) = load::<responsibility::Entity>(&txn, organization_id, id).await? else {
        return Ok(Err(no_such("responsibility")));
    };
    let mut errors = Vec::new();
    let person_id = reference_change::<person::Entity>(
        &txn,
        organization_id,
        &input.person_id,
        &["input", "personId"],
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut active: responsibility::ActiveModel = current.into();
    if let Some(person_id) = person_id {
        active.person_id = Set(person_id);
    }
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    finish(txn, updated, &["id"], "the responsibility").await
}

/// Removes a responsibility with its acknowledgements.
pub async fn remove(
    db: &DatabaseConnection,
    organization_id: i64,
    id: &ID,
) -> Write<responsibility::Model> {
    let txn = begin_write(db).await?;
    let Some(current) = load::<responsibility::Entity>(&txn, organization_id, id).await? else {
        return Ok(Err(no_such("responsibility")));
    };
    acknowledgement::Entity::delete_many()
        .filter(acknowledgement::Column::ResponsibilityId.eq(current.id))
        .exec(&txn)
        .await?;
    current.clone().delete(&txn).await?;
    txn.commit().await?;
    Ok(Ok(current))
}

/// A person confirms they know a responsibility of their function. EDITORs and
/// ADMINs may record it for anyone; anyone else only for the person whose email or
/// externalId is their token's subject.
pub async fn acknowledge(
    db: &DatabaseConnection,
    viewer: &Viewer,
    responsibility_id: &ID,
    person_id: &ID,
) -> Write<acknowledgement::Model> {
    let organization_id = viewer.organization_id;
    let txn = begin_write(db).await?;
    let Some(responsibility) =
        load::<responsibility::Entity>(&txn, organization_id, responsibility_id).await?
    else {
        return Ok(Err(vec![UserError::new(
            UserErrorCode::NotFound,
            &["responsibilityId"],
            "no such responsibility",
        )]));
    };
    let Some(person) = load::<person::Entity>(&txn, organization_id, person_id).await? else {
        return Ok(Err(vec![UserError::new(
            UserErrorCode::NotFound,
            &["personId"],
            "no such person",
        )]));
    };
    let is_self = person.email_key == viewer.subject.to_lowercase()
        || person.external_id.as_deref() == Some(viewer.subject.as_str());
    if !is_self {
        viewer.require(crate::auth::may::EDIT)?;
    }
    if person.function_id != Some(responsibility.function_id) {
        return Ok(Err(vec![UserError::new(
            UserErrorCode::Invalid,
            &["personId"],
            "the person does not work in the function that holds this responsibility",
        )]));
    }
    if let Some(existing) = acknowledgement::Entity::find()
        .filter(acknowledgement::Column::PersonId.eq(person.id))
        .filter(acknowledgement::Column::ResponsibilityId.eq(responsibility.id))
        .one(&txn)
        .await?
    {
        return Ok(Ok(existing));
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
    finish(txn, inserted, &["personId"], "the acknowledgement").await
}
