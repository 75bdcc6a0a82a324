//! The organization as a directory sees it: people with their user names and
//! functions with their members, created, replaced and deleted as a whole. What an
//! identity provider sends (SCIM) and what an HR export holds (`syncDirectory`)
//! arrive here as plain structs.
//!
//! Rules a directory brings (docs/rules.md §1, "Directories"):
//! - a person may be a member of several functions (`membership`); the function
//!   their responsibilities are counted in (`person.function_id`) is the one they
//!   joined first among those they still belong to, so adding someone to a second
//!   function keeps them in both and changes nothing else; leaving that function
//!   hands it to the next oldest membership;
//! - deleting a person or a function archives it and hides it from the directory;
//!   history, reports and audit events keep it, and creating it again (same user name
//!   or external id; same function name or external id) brings the same row back.

pub mod functions;
pub mod people;
pub mod sync;

use std::collections::HashSet;

use entity::{membership, person};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::error::ServiceResult;
use crate::storage::db::now_micros;

/// `managed_by` of the rows an identity provider provisioned over SCIM.
pub const SCIM: &str = "scim";
/// `managed_by` of the rows `syncDirectory` created or took over.
pub const SYNC: &str = "sync";

/// The person's memberships, oldest first.
async fn memberships_of(
    txn: &DatabaseTransaction,
    person_id: i64,
) -> ServiceResult<Vec<membership::Model>> {
    Ok(membership::Entity::find()
        .filter(membership::Column::PersonId.eq(person_id))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::Id)
        .all(txn)
        .await?)
}

/// Makes the person's function the oldest of their memberships, if it is not one of
/// them any more (or they had none); records the change.
async fn settle_function(
    txn: &DatabaseTransaction,
    organization_id: i64,
    person_id: i64,
) -> ServiceResult<()> {
    let Some(current) = person::Entity::find_by_id(person_id).one(txn).await? else {
        return Ok(());
    };
    let memberships = memberships_of(txn, person_id).await?;
    let holds = |f: i64| memberships.iter().any(|m| m.function_id == f);
    let function_id = match current.function_id {
        Some(f) if holds(f) => return Ok(()),
        _ => memberships.first().map(|m| m.function_id),
    };
    if function_id == current.function_id {
        return Ok(());
    }
    let before = current.clone();
    let mut active: person::ActiveModel = current.into();
    active.function_id = Set(function_id);
    active.updated_at = Set(now_micros());
    let after = active.update(txn).await?;
    crate::access::audit::record_row(
        txn,
        organization_id,
        "person.update",
        "Person",
        Some(&before),
        Some(&after),
    )
    .await
}

/// Puts a person in a function, recording it.
async fn join(
    txn: &DatabaseTransaction,
    organization_id: i64,
    function_id: i64,
    person_id: i64,
) -> ServiceResult<()> {
    let joined = membership::ActiveModel {
        organization_id: Set(organization_id),
        function_id: Set(function_id),
        person_id: Set(person_id),
        created_at: Set(now_micros()),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    crate::access::audit::record_row(
        txn,
        organization_id,
        "membership.add",
        "Membership",
        None,
        Some(&joined),
    )
    .await
}

/// Takes a person out of a function, recording it.
async fn leave(
    txn: &DatabaseTransaction,
    organization_id: i64,
    membership: &membership::Model,
) -> ServiceResult<()> {
    membership::Entity::delete_by_id(membership.id)
        .exec(txn)
        .await?;
    crate::access::audit::record_row(
        txn,
        organization_id,
        "membership.remove",
        "Membership",
        Some(membership),
        None,
    )
    .await
}

/// Adds and removes memberships so that `function_id`'s members are exactly
/// `wanted` (person ids of the organization), recording each change, and settles
/// the function of everyone whose memberships changed.
pub(crate) async fn set_members(
    txn: &DatabaseTransaction,
    organization_id: i64,
    function_id: i64,
    wanted: &[i64],
) -> ServiceResult<()> {
    let current = membership::Entity::find()
        .filter(membership::Column::FunctionId.eq(function_id))
        .all(txn)
        .await?;
    let wanted: HashSet<i64> = wanted.iter().copied().collect();
    let have: HashSet<i64> = current.iter().map(|m| m.person_id).collect();
    let mut touched = Vec::new();
    for m in current.iter().filter(|m| !wanted.contains(&m.person_id)) {
        leave(txn, organization_id, m).await?;
        touched.push(m.person_id);
    }
    let mut added: Vec<i64> = wanted.difference(&have).copied().collect();
    added.sort_unstable();
    for person_id in added {
        join(txn, organization_id, function_id, person_id).await?;
        touched.push(person_id);
    }
    for person_id in touched {
        settle_function(txn, organization_id, person_id).await?;
    }
    Ok(())
}

/// The members of a function (person ids), oldest membership first, leaving out
/// people a directory deleted.
async fn members_of(
    txn: &impl sea_orm::ConnectionTrait,
    function_id: i64,
) -> ServiceResult<Vec<i64>> {
    let memberships = membership::Entity::find()
        .filter(membership::Column::FunctionId.eq(function_id))
        .order_by_asc(membership::Column::Id)
        .all(txn)
        .await?;
    let ids: Vec<i64> = memberships.iter().map(|m| m.person_id).collect();
    let deleted: HashSet<i64> = person::Entity::find()
        .filter(person::Column::Id.is_in(ids.clone()))
        .filter(person::Column::DeletedAt.is_not_null())
        .all(txn)
        .await?
        .into_iter()
        .map(|p| p.id)
        .collect();
    Ok(ids.into_iter().filter(|id| !deleted.contains(id)).collect())
}

/// The functions each of `person_ids` is a member of (function ids, oldest membership
/// first), in organization `organization_id`.
pub async fn functions_of(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i64,
    person_ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, Vec<i64>>> {
    let rows = membership::Entity::find()
        .filter(membership::Column::OrganizationId.eq(organization_id))
        .filter(membership::Column::PersonId.is_in(person_ids.to_vec()))
        .order_by_asc(membership::Column::CreatedAt)
        .order_by_asc(membership::Column::Id)
        .all(db)
        .await?;
    let mut found: std::collections::HashMap<i64, Vec<i64>> =
        person_ids.iter().map(|id| (*id, Vec::new())).collect();
    for row in rows {
        found
            .entry(row.person_id)
            .or_default()
            .push(row.function_id);
    }
    Ok(found)
}

/// Keeps memberships in line when a person's function is set directly (the GraphQL
/// `functionId`): they leave `old` and join `new`, which becomes their function.
pub(crate) async fn move_function(
    txn: &DatabaseTransaction,
    organization_id: i64,
    person_id: i64,
    old: Option<i64>,
    new: Option<i64>,
) -> ServiceResult<()> {
    if old == new {
        return Ok(());
    }
    let memberships = memberships_of(txn, person_id).await?;
    if let Some(left) = memberships.iter().find(|m| Some(m.function_id) == old) {
        leave(txn, organization_id, left).await?;
    }
    if let Some(function_id) = new.filter(|f| !memberships.iter().any(|m| m.function_id == *f)) {
        join(txn, organization_id, function_id, person_id).await?;
    }
    Ok(())
}
