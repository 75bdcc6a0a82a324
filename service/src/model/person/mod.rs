//! People: employees of the organization's functions. Every door creates, changes,
//! archives, deletes and restores a person through [`save`] and [`remove`] here
//! (GraphQL, SCIM Users, `syncDirectory`, the demo): one cleaning of the fields, one
//! uniqueness check, one audit record, and their function's membership kept in line.//!
//! How fields are cleaned and checked before that write is [`checks`]'.

mod checks;

pub(crate) use checks::clean_email;
use checks::{checked, Clean};

use entity::person;
use sea_orm::sea_query::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, QueryFilter, Set,
};

use crate::error::{
    no_such, unique_violation, Place, ServiceResult, UserError, UserErrorCode, Write,
};
use crate::model::function::{Manager, Saved};
use crate::storage::db::now_micros;
use crate::storage::scoped::{find, in_org, page, Page, PageRequest};

/// A new person.
#[derive(Clone, Debug, Default)]
pub struct NewPerson {
    pub name: String,
    /// Unique in the organization, compared case-insensitively.
    pub email: String,
    /// The HR system's id, unique in the organization.
    pub external_id: Option<String>,
    pub function_id: Option<i64>,
    pub title: Option<String>,
}

/// Changes to a person: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<Option<String>>,
    pub function_id: Option<Option<i64>>,
    pub title: Option<Option<String>>,
}

/// A person's fields as one write sets them all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PersonFields {
    pub name: String,
    /// Unique in the organization, compared case-insensitively.
    pub email: String,
    pub external_id: Option<String>,
    /// Their function (the first of their memberships).
    pub function_id: Option<i64>,
    pub title: Option<String>,
    /// A directory's user name, unique case-insensitively.
    pub user_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub department: Option<String>,
    pub archived: bool,
}

impl PersonFields {
    /// The fields a stored person has.
    pub fn of(model: &person::Model) -> PersonFields {
        PersonFields {
            name: model.name.clone(),
            email: model.email.clone(),
            external_id: model.external_id.clone(),
            function_id: model.function_id,
            title: model.title.clone(),
            user_name: model.user_name.clone(),
            given_name: model.given_name.clone(),
            family_name: model.family_name.clone(),
            department: model.department.clone(),
            archived: model.archived,
        }
    }

    /// These fields with `changes` applied.
    pub fn changed(mut self, changes: PersonChanges) -> PersonFields {
        if let Some(name) = changes.name {
            self.name = name;
        }
        if let Some(email) = changes.email {
            self.email = email;
        }
        if let Some(external_id) = changes.external_id {
            self.external_id = external_id;
        }
        if let Some(function_id) = changes.function_id {
            self.function_id = function_id;
        }
        if let Some(title) = changes.title {
            self.title = title;
        }
        self
    }
}

impl From<NewPerson> for PersonFields {
    fn from(new: NewPerson) -> Self {
        PersonFields {
            name: new.name,
            email: new.email,
            external_id: new.external_id,
            function_id: new.function_id,
            title: new.title,
            ..PersonFields::default()
        }
    }
}

/// Checks `fields` and writes them over `existing` (a new row when `None`; a deleted
/// row comes back), in `txn`, recording it and moving the person's membership when
/// their function changes; user errors are placed at `place`. The one write of a
/// person's fields.
pub(crate) async fn save(
    txn: &DatabaseTransaction,
    organization_id: i64,
    existing: Option<person::Model>,
    fields: PersonFields,
    manager: Option<Manager>,
    place: Place,
) -> Write<Saved<person::Model>> {
    if existing.as_ref().is_some_and(|p| p.erased_at.is_some()) {
        return Err(UserError::new(
            UserErrorCode::Invalid,
            crate::error::Field::id(),
            "this person was erased (erasePerson) and cannot be changed",
        )
        .into());
    }
    let clean = checked(txn, organization_id, existing.as_ref(), &fields, place).await?;
    let unchanged = existing
        .as_ref()
        .is_some_and(|p| clean.same_as(p) && manager.is_none_or(|m| p.managed_by.as_deref() == m));
    if let (true, Some(current)) = (unchanged, existing.clone()) {
        return Ok(Saved {
            row: current,
            changed: false,
        });
    }
    let Clean {
        name,
        email,
        external_id,
        function_id,
        title,
        user_name,
        given_name,
        family_name,
        department,
        archived,
    } = clean;
    let now = now_micros();
    let before = existing.clone();
    let mut active: person::ActiveModel = match existing {
        Some(p) => p.into(),
        None => person::ActiveModel {
            organization_id: Set(organization_id),
            created_at: Set(now),
            ..Default::default()
        },
    };
    active.name = Set(name);
    active.email_key = Set(email.to_lowercase());
    active.email = Set(email);
    active.external_id = Set(external_id);
    active.function_id = Set(function_id);
    active.title = Set(title);
    active.user_name_key = Set(user_name.as_deref().map(str::to_lowercase));
    active.user_name = Set(user_name);
    active.given_name = Set(given_name);
    active.family_name = Set(family_name);
    active.department = Set(department);
    active.archived = Set(archived);
    active.deleted_at = Set(None);
    if let Some(manager) = manager {
        active.managed_by = Set(manager.map(str::to_owned));
    }
    active.updated_at = Set(now);
    let saved = match &before {
        Some(_) => active.update(txn).await,
        None => active.insert(txn).await,
    }
    .map_err(|e| unique_violation(e, place.field("email"), "the email, externalId or userName"))?;
    crate::model::directory::move_function(
        txn,
        organization_id,
        saved.id,
        before.as_ref().and_then(|p| p.function_id),
        saved.function_id,
    )
    .await?;
    let action = if before.is_some() {
        "person.update"
    } else {
        "person.create"
    };
    crate::access::audit::record_row(
        txn,
        organization_id,
        action,
        "Person",
        before.as_ref(),
        Some(&saved),
    )
    .await?;
    Ok(Saved {
        row: saved,
        changed: true,
    })
}

/// How a person leaves (or comes back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Removal {
    /// Archived: stays readable, no longer counts for acknowledgement coverage.
    Archive,
    /// Back from being archived.
    Restore,
    /// Deleted by a directory: archived and hidden from the directory.
    Delete,
}

/// Archives, restores or deletes `current` in `txn`, recording it. The one way a
/// person leaves.
pub(crate) async fn remove(
    txn: &DatabaseTransaction,
    organization_id: i64,
    current: person::Model,
    how: Removal,
) -> Write<person::Model> {
    let now = now_micros();
    let before = current.clone();
    let mut active: person::ActiveModel = current.into();
    let action = match how {
        Removal::Archive => {
            active.archived = Set(true);
            "person.archive"
        }
        Removal::Restore => {
            active.archived = Set(false);
            active.deleted_at = Set(None);
            "person.restore"
        }
        Removal::Delete => {
            active.archived = Set(true);
            active.deleted_at = Set(Some(now));
            "person.delete"
        }
    };
    active.updated_at = Set(now);
    let after = active.update(txn).await?;
    crate::access::audit::record_row(
        txn,
        organization_id,
        action,
        "Person",
        Some(&before),
        Some(&after),
    )
    .await?;
    Ok(after)
}

/// Creates a person (GraphQL, the demo).
pub async fn create(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    input: NewPerson,
) -> Write<person::Model> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let saved = save(
            txn,
            organization_id,
            None,
            input.into(),
            None,
            Place::input(),
        )
        .await?;
        Ok(saved.row)
    })
    .await
}

/// Changes a person (GraphQL).
pub async fn update(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    changes: PersonChanges,
) -> Write<person::Model> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let current = find::<person::Entity>(txn, organization_id, id)
            .await?
            .ok_or_else(|| no_such("person"))?;
        let fields = PersonFields::of(&current).changed(changes);
        let saved = save(
            txn,
            organization_id,
            Some(current),
            fields,
            None,
            Place::input(),
        )
        .await?;
        Ok(saved.row)
    })
    .await
}

/// Archives (`archived`) or restores a person (GraphQL).
pub async fn set_archived(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    archived: bool,
) -> Write<person::Model> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        let current = find::<person::Entity>(txn, organization_id, id)
            .await?
            .ok_or_else(|| no_such("person"))?;
        let how = if archived {
            Removal::Archive
        } else {
            Removal::Restore
        };
        remove(txn, organization_id, current, how).await
    })
    .await
}

/// Which people a list holds; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct PersonFilter {
    /// Name or email contains this, case-insensitively.
    pub name: Option<String>,
    pub archived: Option<bool>,
    /// People of this function.
    pub function_id: Option<i64>,
    /// The person with this HR id.
    pub external_id: Option<String>,
    /// Members of this function (a person may be a member of several).
    pub member_of: Option<i64>,
}

/// A page of the organization's people, by creation.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &PersonFilter,
    request: PageRequest,
) -> ServiceResult<Page<person::Model>> {
    let mut select = in_org::<person::Entity>(organization_id);
    if let Some(name) = &filter.name {
        select = select.filter(
            person::Column::Name
                .contains(name.trim())
                .or(person::Column::EmailKey.contains(name.trim().to_lowercase())),
        );
    }
    if let Some(archived) = filter.archived {
        select = select.filter(person::Column::Archived.eq(archived));
    }
    if let Some(external_id) = &filter.external_id {
        select = select.filter(person::Column::ExternalId.eq(external_id.as_str()));
    }
    if let Some(function_id) = filter.function_id {
        select = select.filter(person::Column::FunctionId.eq(function_id));
    }
    if let Some(function_id) = filter.member_of {
        select = select.filter(
            person::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::membership::Column::PersonId)
                    .from(entity::membership::Entity)
                    .and_where(
                        sea_orm::sea_query::Expr::col(entity::membership::Column::FunctionId)
                            .eq(function_id),
                    )
                    .and_where(
                        sea_orm::sea_query::Expr::col(entity::membership::Column::OrganizationId)
                            .eq(organization_id),
                    )
                    .to_owned(),
            ),
        );
    }
    page(db, select, request).await
}

/// The person with the HR id `external_id`, if there is one.
pub async fn by_external_id(
    db: &impl ConnectionTrait,
    organization_id: i64,
    external_id: &str,
) -> ServiceResult<Option<person::Model>> {
    Ok(in_org::<person::Entity>(organization_id)
        .filter(person::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}
