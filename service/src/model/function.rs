//! Functions: departments and teams. Every door creates, changes, archives, deletes and
//! restores a function through [`save`] and [`remove`] here (GraphQL, SCIM Groups,
//! `syncDirectory`, `import org`, the demo): one cleaning of the fields, one uniqueness
//! check, one check that parents do not go round in a cycle, one audit record.

use std::collections::HashMap;

use entity::function;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};

use crate::error::{
    check, no_such, unique_violation, Place, ServiceResult, UserError, UserErrorCode, Write,
};
use crate::fields::{clean_name, clean_optional, name_key, Unique};
use crate::storage::db::now_micros;
use crate::storage::scoped::{find, in_org, page, Page, PageRequest};

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

/// A function's fields as one write sets them all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionFields {
    pub name: String,
    pub is_cx_team: bool,
    pub parent_id: Option<i64>,
    pub external_id: Option<String>,
    pub archived: bool,
}

impl FunctionFields {
    /// The fields a stored function has.
    pub fn of(model: &function::Model) -> FunctionFields {
        FunctionFields {
            name: model.name.clone(),
            is_cx_team: model.is_cx_team,
            parent_id: model.parent_id,
            external_id: model.external_id.clone(),
            archived: model.archived,
        }
    }

    /// These fields with `changes` applied.
    pub fn changed(mut self, changes: FunctionChanges) -> FunctionFields {
        if let Some(name) = changes.name {
            self.name = name;
        }
        if let Some(is_cx_team) = changes.is_cx_team {
            self.is_cx_team = is_cx_team;
        }
        if let Some(parent_id) = changes.parent_id {
            self.parent_id = parent_id;
        }
        if let Some(external_id) = changes.external_id {
            self.external_id = external_id;
        }
        self
    }
}

impl From<NewFunction> for FunctionFields {
    fn from(new: NewFunction) -> Self {
        FunctionFields {
            name: new.name,
            is_cx_team: new.is_cx_team,
            parent_id: new.parent_id,
            external_id: new.external_id,
            archived: false,
        }
    }
}

/// The deepest a hierarchy of functions may be.
pub const MAX_DEPTH: usize = 64;

/// Every function's parent in an organization, as a write will leave them: the one
/// place a parent that would go round in a cycle is caught. A write that sets several
/// parents at once (a sync) states them all first, so that only the state it leaves
/// behind is judged.
#[derive(Clone, Debug, Default)]
pub struct Parents(HashMap<i64, Option<i64>>);

impl Parents {
    /// The organization's functions and their parents, deleted ones included.
    pub async fn load(db: &impl ConnectionTrait, organization_id: i64) -> ServiceResult<Parents> {
        let rows: Vec<(i64, Option<i64>)> = in_org::<function::Entity>(organization_id)
            .select_only()
            .column(function::Column::Id)
            .column(function::Column::ParentId)
            .into_tuple()
            .all(db)
            .await?;
        Ok(Parents(rows.into_iter().collect()))
    }

    /// Records that `id` (a new function: `None`) will have `parent`.
    pub fn expect(&mut self, id: i64, parent: Option<i64>) {
        self.0.insert(id, parent);
    }

    /// Why `id` (`None` for a function not created yet) may not sit below `parent`: the
    /// parent does not exist, is `id` or below it, or the hierarchy gets too deep.
    fn refusal(&self, id: Option<i64>, parent: i64) -> Option<(UserErrorCode, &'static str)> {
        let mut cursor = Some(parent);
        for _ in 0..MAX_DEPTH {
            let at = cursor?;
            if Some(at) == id {
                return Some((
                    UserErrorCode::Invalid,
                    "a function cannot sit below itself (the parents would go round in a cycle)",
                ));
            }
            match self.0.get(&at) {
                Some(next) => cursor = *next,
                None if at == parent => return Some((UserErrorCode::NotFound, "no such function")),
                None => return None,
            }
        }
        Some((
            UserErrorCode::Invalid,
            "the hierarchy is deeper than 64 levels",
        ))
    }
}

/// Where a row came from, kept in `managed_by`: a directory that manages it (`scim`,
/// `sync`), or none (the API, `import org`, the demo).
pub type Manager = Option<&'static str>;

/// A row a write saved, and whether it changed (an unchanged row is not written).
#[derive(Clone, Debug)]
pub struct Saved<M> {
    pub row: M,
    pub changed: bool,
}

/// Checks `fields` and writes them over `existing` (a new row when `None`; a deleted
/// row comes back), in `txn`, recording it; user errors are placed at `place`. The one
/// write of a function's fields.
pub(crate) async fn save(
    txn: &DatabaseTransaction,
    organization_id: i64,
    existing: Option<function::Model>,
    fields: FunctionFields,
    manager: Option<Manager>,
    place: Place,
    parents: &mut Parents,
) -> Write<Saved<function::Model>> {
    let mut errors = Vec::new();
    let name = clean_name(&fields.name, place.field("name"), &mut errors);
    let external_id = clean_optional(
        fields.external_id.as_deref(),
        place.field("external_id"),
        &mut errors,
    );
    let this = existing.as_ref().map(|f| f.id);
    Unique::<function::Entity>::name(function::Column::NameKey, &name)
        .check(txn, organization_id, this, place, &mut errors)
        .await?;
    if let Some(external_id) = &external_id {
        Unique::<function::Entity>::external_id(function::Column::ExternalId, external_id)
            .check(txn, organization_id, this, place, &mut errors)
            .await?;
    }
    if let Some(parent) = fields.parent_id {
        if let Some((code, why)) = parents.refusal(this, parent) {
            errors.push(UserError::new(code, place.field("parent_id"), why));
        }
    }
    check(errors)?;
    let now = now_micros();
    let unchanged = existing.as_ref().is_some_and(|f| {
        f.name == name
            && f.is_cx_team == fields.is_cx_team
            && f.parent_id == fields.parent_id
            && f.external_id == external_id
            && f.archived == fields.archived
            && f.deleted_at.is_none()
            && manager.is_none_or(|m| f.managed_by.as_deref() == m)
    });
    if let (true, Some(current)) = (unchanged, existing.clone()) {
        return Ok(Saved {
            row: current,
            changed: false,
        });
    }
    let before = existing.clone();
    let mut active: function::ActiveModel = match existing {
        Some(f) => f.into(),
        None => function::ActiveModel {
            organization_id: Set(organization_id),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.archived = Set(fields.archived);
    active.name_key = Set(name_key(&name));
    active.name = Set(name);
    active.is_cx_team = Set(fields.is_cx_team);
    active.parent_id = Set(fields.parent_id);
    active.external_id = Set(external_id);
    active.deleted_at = Set(None);
    if let Some(manager) = manager {
        active.managed_by = Set(manager.map(str::to_owned));
    }
    active.updated_at = Set(now);
    let saved = match &before {
        Some(_) => active.update(txn).await,
        None => active.insert(txn).await,
    }
    .map_err(|e| unique_violation(e, place.field("name"), "the name or externalId"))?;
    parents.expect(saved.id, saved.parent_id);
    let action = if before.is_some() {
        "function.update"
    } else {
        "function.create"
    };
    crate::access::audit::record_row(
        txn,
        organization_id,
        action,
        "Function",
        before.as_ref(),
        Some(&saved),
    )
    .await?;
    Ok(Saved {
        row: saved,
        changed: true,
    })
}

/// How a function leaves (or comes back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Archived: out of the ownership findings, still in history and reports.
    Archive,
    /// Back from being archived.
    Restore,
    /// Deleted by a directory: archived, hidden from the directory, and its members
    /// leave it.
    Delete,
}

/// Archives, restores or deletes `current` in `txn`, recording it. The one way a
/// function leaves.
pub(crate) async fn remove(
    txn: &DatabaseTransaction,
    organization_id: i64,
    current: function::Model,
    how: Removal,
) -> Write<function::Model> {
    let now = now_micros();
    let before = current.clone();
    let mut active: function::ActiveModel = current.into();
    let action = match how {
        Removal::Archive => {
            active.archived = Set(true);
            "function.archive"
        }
        Removal::Restore => {
            active.archived = Set(false);
            active.deleted_at = Set(None);
            "function.restore"
        }
        Removal::Delete => {
            active.archived = Set(true);
            active.deleted_at = Set(Some(now));
            "function.delete"
        }
    };
    active.updated_at = Set(now);
    let after = active.update(txn).await?;
    crate::access::audit::record_row(
        txn,
        organization_id,
        action,
        "Function",
        Some(&before),
        Some(&after),
    )
    .await?;
    if how == Removal::Delete {
        crate::model::directory::set_members(txn, organization_id, after.id, &[]).await?;
    }
    Ok(after)
}

/// Creates a function (GraphQL, the demo).
pub async fn create(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    input: NewFunction,
) -> Write<function::Model> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let mut parents = Parents::load(txn, organization_id).await?;
        let saved = save(
            txn,
            organization_id,
            None,
            input.into(),
            None,
            Place::input(),
            &mut parents,
        )
        .await?;
        Ok(saved.row)
    })
    .await
}

/// Changes a function (GraphQL).
pub async fn update(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    changes: FunctionChanges,
) -> Write<function::Model> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let current = find::<function::Entity>(txn, organization_id, id)
            .await?
            .ok_or_else(|| no_such("function"))?;
        let fields = FunctionFields::of(&current).changed(changes);
        let mut parents = Parents::load(txn, organization_id).await?;
        let saved = save(
            txn,
            organization_id,
            Some(current),
            fields,
            None,
            Place::input(),
            &mut parents,
        )
        .await?;
        Ok(saved.row)
    })
    .await
}

/// Archives (`archived`) or restores a function (GraphQL).
pub async fn set_archived(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    archived: bool,
) -> Write<function::Model> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let current = find::<function::Entity>(txn, organization_id, id)
            .await?
            .ok_or_else(|| no_such("function"))?;
        let how = if archived {
            Removal::Archive
        } else {
            Removal::Restore
        };
        remove(txn, organization_id, current, how).await
    })
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
) -> ServiceResult<Page<function::Model>> {
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
) -> ServiceResult<Option<function::Model>> {
    Ok(in_org::<function::Entity>(organization_id)
        .filter(function::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}

/// Every function of the organization, deleted ones included.
pub async fn all(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> ServiceResult<Vec<function::Model>> {
    Ok(function::Entity::find()
        .filter(function::Column::OrganizationId.eq(organization_id))
        .all(db)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_that_go_round_are_refused_and_only_the_final_state_counts() {
        let mut parents = Parents(
            [(1, None), (2, Some(1)), (3, Some(2))]
                .into_iter()
                .collect(),
        );
        // 1 below 3 would close 1 → 3 → 2 → 1.
        assert!(parents.refusal(Some(1), 3).is_some());
        assert!(parents.refusal(Some(3), 1).is_none());
        assert_eq!(
            parents.refusal(None, 99).map(|(code, _)| code),
            Some(UserErrorCode::NotFound)
        );
        // A sync that moves 2 to the top first makes 1 below 3 fine: 1 → 3 → 2.
        parents.expect(2, None);
        assert!(parents.refusal(Some(1), 3).is_none());
    }
}
