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
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, Set};

use crate::db::{begin_change, now_micros};
use crate::error::{check, unique_violation, UserError, UserErrorCode, Write};
use crate::fields::{clean_name, clean_optional, name_key};

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

fn error(path: &[&str], code: UserErrorCode, message: impl Into<String>) -> UserError {
    UserError::new(code, path, message)
}

/// Checks the payload's shape: names, emails, ids present and not repeated.
fn check_payload(request: &SyncRequest) -> Vec<UserError> {
    let mut errors = Vec::new();
    for (list, len) in [
        ("functions", request.functions.len()),
        ("people", request.people.len()),
    ] {
        if len > MAX_ENTRIES {
            errors.push(error(
                &[list],
                UserErrorCode::TooMany,
                format!("at most {MAX_ENTRIES} {list} a sync"),
            ));
        }
    }
    let mut seen = HashSet::new();
    let mut names = HashSet::new();
    for (i, f) in request.functions.iter().enumerate() {
        let i = i.to_string();
        let at = |field: &'static str| ["functions", i.as_str(), field];
        clean_name(&f.external_id, &at("externalId"), &mut errors);
        clean_name(&f.name, &at("name"), &mut errors);
        if !seen.insert(f.external_id.trim()) {
            errors.push(error(
                &at("externalId"),
                UserErrorCode::Duplicate,
                format!("`{}` is in the payload twice", f.external_id),
            ));
        }
        if !names.insert(name_key(&f.name)) {
            errors.push(error(
                &at("name"),
                UserErrorCode::Duplicate,
                format!("`{}` is in the payload twice", f.name),
            ));
        }
    }
    let mut seen = HashSet::new();
    let mut emails = HashSet::new();
    for (i, p) in request.people.iter().enumerate() {
        let i = i.to_string();
        let at = |field: &'static str| ["people", i.as_str(), field];
        clean_name(&p.external_id, &at("externalId"), &mut errors);
        clean_name(&p.name, &at("name"), &mut errors);
        let mut found = Vec::new();
        let email = crate::person::clean_email(&p.email, &mut found);
        errors.extend(found.into_iter().map(|mut e| {
            e.path = at("email").iter().map(|s| s.to_string()).collect();
            e
        }));
        if !seen.insert(p.external_id.trim()) {
            errors.push(error(
                &at("externalId"),
                UserErrorCode::Duplicate,
                format!("`{}` is in the payload twice", p.external_id),
            ));
        }
        if !emails.insert(email.to_lowercase()) {
            errors.push(error(
                &at("email"),
                UserErrorCode::Duplicate,
                format!("`{}` is in the payload twice", p.email),
            ));
        }
    }
    errors
}

/// Syncs the payload, atomically; a dry run rolls back and reports the plan.
pub async fn sync(
    db: &crate::db::Tenant,
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
    crate::audit::record(
        &txn,
        organization_id,
        crate::audit::Change {
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

/// Syncs the functions; returns every function of the organization by externalId.
async fn sync_functions(
    txn: &DatabaseTransaction,
    organization_id: i64,
    request: &SyncRequest,
    counts: &mut SyncCounts,
) -> Write<HashMap<String, function::Model>> {
    let existing = function::Entity::find()
        .filter(function::Column::OrganizationId.eq(organization_id))
        .all(txn)
        .await?;
    let mut by_external: HashMap<String, function::Model> = existing
        .iter()
        .filter_map(|f| f.external_id.clone().map(|e| (e, f.clone())))
        .collect();
    let mut by_name: HashMap<String, function::Model> = existing
        .iter()
        .map(|f| (f.name_key.clone(), f.clone()))
        .collect();
    let mut errors = Vec::new();
    let now = now_micros();
    // The functions left as they were, so far: a new parent makes one updated.
    let mut unchanged = HashSet::new();
    // First the functions themselves, then their parents (which may come later).
    for (i, f) in request.functions.iter().enumerate() {
        let external_id = f.external_id.trim().to_owned();
        let name = f.name.trim().to_owned();
        let found = by_external.get(&external_id).cloned().or_else(|| {
            by_name
                .get(&name_key(&name))
                .filter(|m| m.external_id.is_none())
                .cloned()
        });
        if let Some(other) = by_name.get(&name_key(&name)) {
            if found.as_ref().is_none_or(|m| m.id != other.id) {
                errors.push(error(
                    &["functions", &i.to_string(), "name"],
                    UserErrorCode::Duplicate,
                    format!("another function is named `{name}`"),
                ));
                continue;
            }
        }
        let saved = match found {
            Some(current) => {
                let same = current.name == name
                    && current.is_cx_team == f.is_cx_team
                    && !current.archived
                    && current.external_id.as_deref() == Some(external_id.as_str())
                    && current.managed_by.as_deref() == Some(super::SYNC);
                if same {
                    unchanged.insert(current.id);
                    current
                } else {
                    let before = current.clone();
                    let mut active: function::ActiveModel = current.into();
                    active.name_key = Set(name_key(&name));
                    active.name = Set(name);
                    active.is_cx_team = Set(f.is_cx_team);
                    active.external_id = Set(Some(external_id.clone()));
                    active.archived = Set(false);
                    active.deleted_at = Set(None);
                    active.managed_by = Set(Some(super::SYNC.to_owned()));
                    active.updated_at = Set(now);
                    let after = active.update(txn).await.map_err(|e| {
                        unique_violation(e, &["functions", &i.to_string(), "name"], "the name")
                    })?;
                    crate::audit::record_row(
                        txn,
                        organization_id,
                        "function.update",
                        "Function",
                        Some(&before),
                        Some(&after),
                    )
                    .await?;
                    counts.updated(&after.name);
                    by_name.remove(&before.name_key);
                    after
                }
            }
            None => {
                let created = function::ActiveModel {
                    organization_id: Set(organization_id),
                    name_key: Set(name_key(&name)),
                    name: Set(name),
                    is_cx_team: Set(f.is_cx_team),
                    parent_id: Set(None),
                    external_id: Set(Some(external_id.clone())),
                    archived: Set(false),
                    managed_by: Set(Some(super::SYNC.to_owned())),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await
                .map_err(|e| {
                    unique_violation(e, &["functions", &i.to_string(), "name"], "the name")
                })?;
                crate::audit::record_row(
                    txn,
                    organization_id,
                    "function.create",
                    "Function",
                    None,
                    Some(&created),
                )
                .await?;
                counts.created(&created.name);
                created
            }
        };
        by_name.insert(saved.name_key.clone(), saved.clone());
        by_external.insert(external_id, saved);
    }
    check(std::mem::take(&mut errors))?;

    // Parents, by externalId; a parent chain must not come back to where it began.
    let mut parents: HashMap<i64, Option<i64>> =
        by_external.values().map(|f| (f.id, f.parent_id)).collect();
    for f in existing.iter().filter(|f| f.external_id.is_none()) {
        parents.insert(f.id, f.parent_id);
    }
    let mut wanted = Vec::new();
    for (i, f) in request.functions.iter().enumerate() {
        let Some(this) = by_external.get(f.external_id.trim()) else {
            continue;
        };
        let parent = match f
            .parent_external_id
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            Some(parent) => match by_external.get(parent) {
                Some(p) => Some(p.id),
                None => {
                    errors.push(error(
                        &["functions", &i.to_string(), "parentExternalId"],
                        UserErrorCode::NotFound,
                        format!("no function has the externalId `{parent}`"),
                    ));
                    continue;
                }
            },
            None => None,
        };
        parents.insert(this.id, parent);
        wanted.push((i, this.id, parent));
    }
    for &(i, id, _) in &wanted {
        let mut cursor = parents.get(&id).copied().flatten();
        for _ in 0..=parents.len() {
            match cursor {
                Some(next) if next == id => {
                    errors.push(error(
                        &["functions", &i.to_string(), "parentExternalId"],
                        UserErrorCode::Invalid,
                        "the parents go round in a cycle",
                    ));
                    break;
                }
                Some(next) => cursor = parents.get(&next).copied().flatten(),
                None => break,
            }
        }
    }
    check(errors)?;
    for (_, id, parent) in wanted {
        let Some(current) = by_external.values().find(|f| f.id == id).cloned() else {
            continue;
        };
        if current.parent_id == parent {
            continue;
        }
        let before = current.clone();
        let mut active: function::ActiveModel = current.into();
        active.parent_id = Set(parent);
        active.updated_at = Set(now);
        let after = active.update(txn).await?;
        crate::audit::record_row(
            txn,
            organization_id,
            "function.update",
            "Function",
            Some(&before),
            Some(&after),
        )
        .await?;
        if let Some(external) = &after.external_id {
            by_external.insert(external.clone(), after.clone());
        }
        if unchanged.remove(&id) {
            counts.updated(&after.name);
        }
    }
    counts.unchanged += unchanged.len() as i64;

    if request.mode == SyncMode::Mirror {
        let held: HashSet<&str> = request
            .functions
            .iter()
            .map(|f| f.external_id.trim())
            .collect();
        let gone: Vec<function::Model> = by_external
            .values()
            .filter(|f| {
                !held.contains(f.external_id.as_deref().unwrap_or_default())
                    && !f.archived
                    && f.managed_by.as_deref() == Some(super::SYNC)
            })
            .cloned()
            .collect();
        for current in gone {
            let before = current.clone();
            let mut active: function::ActiveModel = current.into();
            active.archived = Set(true);
            active.updated_at = Set(now);
            let after = active.update(txn).await?;
            crate::audit::record_row(
                txn,
                organization_id,
                "function.archive",
                "Function",
                Some(&before),
                Some(&after),
            )
            .await?;
            counts.archived(&after.name);
        }
    }
    Ok(by_external)
}

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
    let by_external: HashMap<String, person::Model> = existing
        .iter()
        .filter_map(|p| p.external_id.clone().map(|e| (e, p.clone())))
        .collect();
    let mut by_email: HashMap<String, person::Model> = existing
        .iter()
        .map(|p| (p.email_key.clone(), p.clone()))
        .collect();
    let mut errors = Vec::new();
    let now = now_micros();
    for (i, p) in request.people.iter().enumerate() {
        let index = i.to_string();
        let external_id = p.external_id.trim().to_owned();
        let email = p.email.trim().to_owned();
        let function_id = match p
            .function_external_id
            .as_deref()
            .map(str::trim)
            .filter(|f| !f.is_empty())
        {
            Some(f) => match functions.get(f) {
                Some(function) => Some(function.id),
                None => {
                    errors.push(error(
                        &["people", &index, "functionExternalId"],
                        UserErrorCode::NotFound,
                        format!("no function has the externalId `{f}`"),
                    ));
                    continue;
                }
            },
            None => None,
        };
        let title = clean_optional(
            p.title.as_deref(),
            &["people", &index, "title"],
            &mut errors,
        );
        let found = by_external.get(&external_id).cloned().or_else(|| {
            by_email
                .get(&email.to_lowercase())
                .filter(|m| m.external_id.is_none())
                .cloned()
        });
        if let Some(other) = by_email.get(&email.to_lowercase()) {
            if found.as_ref().is_none_or(|m| m.id != other.id) {
                let whose = match &other.external_id {
                    Some(theirs) => format!(
                        "another person, with the externalId `{theirs}`, has the email `{email}`: \
                         the payload gives it to `{external_id}`"
                    ),
                    None => {
                        format!("another person (without an externalId) has the email `{email}`")
                    }
                };
                errors.push(error(
                    &["people", &index, "email"],
                    UserErrorCode::Duplicate,
                    whose,
                ));
                continue;
            }
        }
        let name = p.name.trim().to_owned();
        match found {
            Some(current) => {
                let same = current.name == name
                    && current.email == email
                    && current.title == title
                    && current.function_id == function_id
                    && !current.archived
                    && current.external_id.as_deref() == Some(external_id.as_str())
                    && current.managed_by.as_deref() == Some(super::SYNC);
                if same {
                    counts.unchanged += 1;
                    continue;
                }
                let before = current.clone();
                let mut active: person::ActiveModel = current.into();
                active.name = Set(name);
                active.email_key = Set(email.to_lowercase());
                active.email = Set(email.clone());
                active.title = Set(title);
                active.function_id = Set(function_id);
                active.external_id = Set(Some(external_id.clone()));
                active.archived = Set(false);
                active.deleted_at = Set(None);
                active.managed_by = Set(Some(super::SYNC.to_owned()));
                active.updated_at = Set(now);
                let after = active
                    .update(txn)
                    .await
                    .map_err(|e| unique_violation(e, &["people", &index, "email"], "the email"))?;
                crate::directory::move_function(
                    txn,
                    organization_id,
                    after.id,
                    before.function_id,
                    function_id,
                )
                .await?;
                crate::audit::record_row(
                    txn,
                    organization_id,
                    "person.update",
                    "Person",
                    Some(&before),
                    Some(&after),
                )
                .await?;
                by_email.remove(&before.email_key);
                counts.updated(&after.name);
                by_email.insert(after.email_key.clone(), after);
            }
            None => {
                let created = person::ActiveModel {
                    organization_id: Set(organization_id),
                    name: Set(name),
                    email_key: Set(email.to_lowercase()),
                    email: Set(email),
                    external_id: Set(Some(external_id)),
                    function_id: Set(function_id),
                    title: Set(title),
                    archived: Set(false),
                    managed_by: Set(Some(super::SYNC.to_owned())),
                    created_at: Set(now),
                    updated_at: Set(now),
                    ..Default::default()
                }
                .insert(txn)
                .await
                .map_err(|e| unique_violation(e, &["people", &index, "email"], "the email"))?;
                crate::directory::move_function(
                    txn,
                    organization_id,
                    created.id,
                    None,
                    function_id,
                )
                .await?;
                crate::audit::record_row(
                    txn,
                    organization_id,
                    "person.create",
                    "Person",
                    None,
                    Some(&created),
                )
                .await?;
                counts.created(&created.name);
                by_email.insert(created.email_key.clone(), created);
            }
        }
    }
    check(errors)?;
    if request.mode == SyncMode::Mirror {
        let held: HashSet<&str> = request
            .people
            .iter()
            .map(|p| p.external_id.trim())
            .collect();
        for current in by_external.into_values().filter(|p| {
            !held.contains(p.external_id.as_deref().unwrap_or_default())
                && !p.archived
                && p.managed_by.as_deref() == Some(super::SYNC)
        }) {
            let before = current.clone();
            let mut active: person::ActiveModel = current.into();
            active.archived = Set(true);
            active.updated_at = Set(now);
            let after = active.update(txn).await?;
            crate::audit::record_row(
                txn,
                organization_id,
                "person.archive",
                "Person",
                Some(&before),
                Some(&after),
            )
            .await?;
            counts.archived(&after.name);
        }
    }
    Ok(())
}
