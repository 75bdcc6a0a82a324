//! Syncing a whole directory export (an HR system's functions and people) in one
//! transaction, keyed by the HR system's ids (`externalId`).
//!
//! - A function is matched by its externalId, else by its name (which adopts it:
//!   its externalId is set); a person by externalId, else by email.
//! - MERGE creates and updates; MIRROR also archives the functions and people the
//!   sync manages (`managed_by = sync`: it created them or took them over) that the
//!   payload no longer holds. Rows an identity provider provisioned over SCIM, or
//!   that were made through the API, are left alone. An archived row the payload
//!   holds again is restored.
//! - A dry run computes the same plan and writes nothing; the outcome names what it
//!   would create, update and archive. The same payload twice changes nothing the
//!   second time.

use std::collections::{HashMap, HashSet};

use entity::{function, person};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::error::{check, Field, Place, UserError, UserErrorCode, Write, WriteError};
use crate::fields::{clean_name, name_key};
use crate::model::function::{FunctionFields, Parents, Removal as FunctionRemoval};
use crate::model::person::{PersonFields, Removal as PersonRemoval};
use crate::storage::db::begin_change;

/// Most functions, and most people, one sync may hold.
pub const MAX_ENTRIES: usize = 20_000;

/// Whether a sync also archives what the payload no longer holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncMode {
    Merge,
    Mirror,
}

/// A function of the payload.
#[derive(Clone, Debug, Default)]
pub struct SyncFunction {
    pub external_id: String,
    pub name: String,
    pub parent_external_id: Option<String>,
    pub is_cx_team: bool,
}

/// A person of the payload.
#[derive(Clone, Debug, Default)]
pub struct SyncPerson {
    pub external_id: String,
    pub name: String,
    pub email: String,
    pub title: Option<String>,
    pub function_external_id: Option<String>,
}

/// What a sync is asked to do.
#[derive(Clone, Debug)]
pub struct SyncRequest {
    pub mode: SyncMode,
    pub dry_run: bool,
    pub functions: Vec<SyncFunction>,
    pub people: Vec<SyncPerson>,
}

/// How many rows of a kind a sync created, updated, archived and left as they were,
/// and the names of those it created, updated and archived (the first
/// [`MAX_NAMED`] of each).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncCounts {
    pub created: i64,
    pub updated: i64,
    pub archived: i64,
    pub unchanged: i64,
    #[serde(skip)]
    pub created_names: Vec<String>,
    #[serde(skip)]
    pub updated_names: Vec<String>,
    pub archived_names: Vec<String>,
}

/// How many names of each change a sync's outcome lists.
pub const MAX_NAMED: usize = 1_000;

impl SyncCounts {
    fn created(&mut self, name: &str) {
        self.created += 1;
        named(&mut self.created_names, name);
    }
    fn updated(&mut self, name: &str) {
        self.updated += 1;
        named(&mut self.updated_names, name);
    }
    fn archived(&mut self, name: &str) {
        self.archived += 1;
        named(&mut self.archived_names, name);
    }
}

fn named(names: &mut Vec<String>, name: &str) {
    if names.len() < MAX_NAMED {
        names.push(name.to_owned());
    }
}

/// What a sync did (or, for a dry run, would do).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct SyncOutcome {
    pub functions: SyncCounts,
    pub people: SyncCounts,
    pub dry_run: bool,
}

/// Checks the payload's shape: names, emails, ids present and not repeated.
fn check_payload(request: &SyncRequest) -> Vec<UserError> {
    let mut errors = Vec::new();
    for (list, len) in [
        ("functions", request.functions.len()),
        ("people", request.people.len()),
    ] {
        if len > MAX_ENTRIES {
            errors.push(UserError::new(
                UserErrorCode::TooMany,
                Field::of(list),
                format!("at most {MAX_ENTRIES} {list} a sync"),
            ));
        }
    }
    let twice = |place: Place, field: &'static str, value: &str| {
        UserError::new(
            UserErrorCode::Duplicate,
            place.field(field),
            format!("`{value}` is in the payload twice"),
        )
    };
    let mut seen = HashSet::new();
    let mut names = HashSet::new();
    for (i, f) in request.functions.iter().enumerate() {
        let place = Place::listed("functions", i);
        clean_name(&f.external_id, place.field("external_id"), &mut errors);
        clean_name(&f.name, place.field("name"), &mut errors);
        if !seen.insert(f.external_id.trim()) {
            errors.push(twice(place, "external_id", &f.external_id));
        }
        if !names.insert(name_key(&f.name)) {
            errors.push(twice(place, "name", &f.name));
        }
    }
    let mut seen = HashSet::new();
    let mut emails = HashSet::new();
    for (i, p) in request.people.iter().enumerate() {
        let place = Place::listed("people", i);
        clean_name(&p.external_id, place.field("external_id"), &mut errors);
        clean_name(&p.name, place.field("name"), &mut errors);
        let email = crate::model::person::clean_email(&p.email, place, &mut errors);
        if !seen.insert(p.external_id.trim()) {
            errors.push(twice(place, "external_id", &p.external_id));
        }
        if !emails.insert(email.to_lowercase()) {
            errors.push(twice(place, "email", &p.email));
        }
    }
    errors
}

/// Syncs the payload, atomically; a dry run rolls back and reports the plan.
pub async fn sync(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    request: SyncRequest,
) -> Write<SyncOutcome> {
    check(check_payload(&request))?;
    let txn = begin_change(db, organization_id).await?;
    let mut outcome = SyncOutcome {
        dry_run: request.dry_run,
        ..SyncOutcome::default()
    };
    let functions = sync_functions(&txn, organization_id, &request, &mut outcome.functions).await?;
    sync_people(
        &txn,
        organization_id,
        &request,
        &functions,
        &mut outcome.people,
    )
    .await?;
    if request.dry_run {
        txn.rollback().await?;
        return Ok(outcome);
    }
    crate::access::audit::record(
        &txn,
        organization_id,
        crate::access::audit::Change {
            action: "directory.sync",
            entity_kind: "Organization",
            entity_id: Some(organization_id.to_string()),
        },
        None::<&()>,
        Some(&outcome),
    )
    .await?;
    txn.commit().await?;
    Ok(outcome)
}

/// Syncs the functions through the functions' one write; returns every function of
/// the organization by externalId.
async fn sync_functions(
    txn: &DatabaseTransaction,
    organization_id: i64,
    request: &SyncRequest,
    counts: &mut SyncCounts,
) -> Write<HashMap<String, function::Model>> {
    let existing = crate::model::function::all(txn, organization_id).await?;
    let by_external: HashMap<&str, &function::Model> = existing
        .iter()
        .filter_map(|f| f.external_id.as_deref().map(|e| (e, f)))
        .collect();
    let by_name: HashMap<String, &function::Model> =
        existing.iter().map(|f| (f.name_key.clone(), f)).collect();
    // Each entry's row: by externalId, else a row of the same name without one (adopted).
    let matched: Vec<Option<function::Model>> = request
        .functions
        .iter()
        .map(|f| {
            by_external
                .get(f.external_id.trim())
                .or_else(|| {
                    by_name
                        .get(&name_key(&f.name))
                        .filter(|m| m.external_id.is_none())
                })
                .map(|m| (*m).clone())
        })
        .collect();
    let mut parents = Parents::load(txn, organization_id).await?;
    // First the functions themselves, with the parents they have (new ones: none).
    let mut saved: HashMap<String, function::Model> = HashMap::new();
    let mut errors = Vec::new();
    for (i, (f, current)) in request.functions.iter().zip(&matched).enumerate() {
        // A function the payload holds is live: one archived comes back.
        let fields = FunctionFields {
            name: f.name.clone(),
            is_cx_team: f.is_cx_team,
            parent_id: current.as_ref().and_then(|c| c.parent_id),
            external_id: Some(f.external_id.trim().to_owned()),
            archived: false,
        };
        let place = Place::listed("functions", i);
        match crate::model::function::save(
            txn,
            organization_id,
            current.clone(),
            fields,
            Some(Some(super::SYNC)),
            place,
            &mut parents,
        )
        .await
        {
            Ok(row) => {
                saved.insert(f.external_id.trim().to_owned(), row.row);
            }
            Err(WriteError::Invalid(bad)) => errors.extend(bad),
            Err(fault) => return Err(fault),
        }
    }
    check(std::mem::take(&mut errors))?;
    // Then the parents, named by externalId: every one the payload states is expected
    // first, so only the hierarchy the sync leaves behind is judged.
    let mut wanted = Vec::new();
    for (i, f) in request.functions.iter().enumerate() {
        let Some(this) = saved.get(f.external_id.trim()) else {
            continue;
        };
        let parent = match f
            .parent_external_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(parent) => match saved
                .get(parent)
                .map(|p| p.id)
                .or_else(|| by_external.get(parent).map(|p| p.id))
            {
                Some(id) => Some(id),
                None => {
                    errors.push(UserError::new(
                        UserErrorCode::NotFound,
                        Field::listed("functions", i, "parent_external_id"),
                        format!("no function has the externalId `{parent}`"),
                    ));
                    continue;
                }
            },
            None => None,
        };
        parents.expect(this.id, parent);
        wanted.push((i, parent));
    }
    check(std::mem::take(&mut errors))?;
    for (i, parent) in wanted {
        let f = &request.functions[i];
        let current = saved[f.external_id.trim()].clone();
        let fields = FunctionFields {
            parent_id: parent,
            ..FunctionFields::of(&current)
        };
        match crate::model::function::save(
            txn,
            organization_id,
            Some(current),
            fields,
            Some(Some(super::SYNC)),
            Place::listed("functions", i),
            &mut parents,
        )
        .await
        {
            Ok(row) => {
                saved.insert(f.external_id.trim().to_owned(), row.row);
            }
            Err(WriteError::Invalid(bad)) => errors.extend(bad.into_iter().map(|mut e| {
                if e.field.name == "parent_id" {
                    e.field.name = "parent_external_id".into();
                }
                e
            })),
            Err(fault) => return Err(fault),
        }
    }
    check(errors)?;
    for (f, current) in request.functions.iter().zip(&matched) {
        let after = &saved[f.external_id.trim()];
        match current {
            None => counts.created(&after.name),
            Some(before) if before == after => counts.unchanged += 1,
            Some(_) => counts.updated(&after.name),
        }
    }
    if request.mode == SyncMode::Mirror {
        let held: HashSet<&str> = request
            .functions
            .iter()
            .map(|f| f.external_id.trim())
            .collect();
        for gone in existing.into_iter().filter(|f| {
            f.external_id.as_deref().is_some_and(|e| !held.contains(e))
                && !f.archived
                && f.managed_by.as_deref() == Some(super::SYNC)
        }) {
            let after = crate::model::function::remove(
                txn,
                organization_id,
                gone,
                FunctionRemoval::Archive,
            )
            .await?;
            counts.archived(&after.name);
        }
    }
    let mut all: HashMap<String, function::Model> =
        crate::model::function::all(txn, organization_id)
            .await?
            .into_iter()
            .filter_map(|f| f.external_id.clone().map(|e| (e, f)))
            .collect();
    all.extend(saved);
    Ok(all)
}

/// Syncs the people through the people's one write.
async fn sync_people(
    txn: &DatabaseTransaction,
    organization_id: i64,
    request: &SyncRequest,
    functions: &HashMap<String, function::Model>,
    counts: &mut SyncCounts,
) -> Write<()> {
    let existing = person::Entity::find()
        .filter(person::Column::OrganizationId.eq(organization_id))
        .all(txn)
        .await?;
    let by_external: HashMap<&str, &person::Model> = existing
        .iter()
        .filter_map(|p| p.external_id.as_deref().map(|e| (e, p)))
        .collect();
    let by_email: HashMap<&str, &person::Model> =
        existing.iter().map(|p| (p.email_key.as_str(), p)).collect();
    let mut errors = Vec::new();
    for (i, p) in request.people.iter().enumerate() {
        let place = Place::listed("people", i);
        let external_id = p.external_id.trim();
        let email = p.email.trim();
        let function_id = match p
            .function_external_id
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            Some(f) => match functions.get(f) {
                Some(function) => Some(function.id),
                None => {
                    errors.push(UserError::new(
                        UserErrorCode::NotFound,
                        place.field("function_external_id"),
                        format!("no function has the externalId `{f}`"),
                    ));
                    continue;
                }
            },
            None => None,
        };
        let found = by_external.get(external_id).copied().or_else(|| {
            by_email
                .get(email.to_lowercase().as_str())
                .copied()
                .filter(|m| m.external_id.is_none())
        });
        // Someone else holds the email: say who.
        if let Some(other) = by_email.get(email.to_lowercase().as_str()) {
            if found.is_none_or(|m| m.id != other.id) {
                let whose = match &other.external_id {
                    Some(theirs) => format!(
                        "another person, with the externalId `{theirs}`, has the email `{email}`: \
                         the payload gives it to `{external_id}`"
                    ),
                    None => {
                        format!("another person (without an externalId) has the email `{email}`")
                    }
                };
                errors.push(UserError::new(
                    UserErrorCode::Duplicate,
                    place.field("email"),
                    whose,
                ));
                continue;
            }
        }
        let fields = PersonFields {
            name: p.name.clone(),
            email: email.to_owned(),
            external_id: Some(external_id.to_owned()),
            function_id,
            title: p.title.clone(),
            archived: false,
            ..found.map(PersonFields::of).unwrap_or_default()
        };
        match crate::model::person::save(
            txn,
            organization_id,
            found.cloned(),
            fields,
            Some(Some(super::SYNC)),
            place,
        )
        .await
        {
            Ok(saved) => match (found, saved.changed) {
                (None, _) => counts.created(&saved.row.name),
                (Some(_), false) => counts.unchanged += 1,
                (Some(_), true) => counts.updated(&saved.row.name),
            },
            Err(WriteError::Invalid(bad)) => errors.extend(bad),
            Err(fault) => return Err(fault),
        }
    }
    check(errors)?;
    if request.mode == SyncMode::Mirror {
        let held: HashSet<&str> = request
            .people
            .iter()
            .map(|p| p.external_id.trim())
            .collect();
        for gone in existing.into_iter().filter(|p| {
            p.external_id.as_deref().is_some_and(|e| !held.contains(e))
                && !p.archived
                && p.managed_by.as_deref() == Some(super::SYNC)
        }) {
            let after =
                crate::model::person::remove(txn, organization_id, gone, PersonRemoval::Archive)
                    .await?;
            counts.archived(&after.name);
        }
    }
    Ok(())
}
