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
//!
//! The functions' part is [`functions`], the people's [`people`].

mod functions;
mod people;

use std::collections::HashSet;

use crate::error::{check, Field, Place, UserError, UserErrorCode, Write};
use crate::fields::{clean_name, name_key};
use crate::storage::db::begin_change;

use functions::sync_functions;
use people::sync_people;

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
