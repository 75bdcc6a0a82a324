//! Syncing the functions: matched, saved, given their parents, archived when MIRROR
//! no longer holds them.

use std::collections::{HashMap, HashSet};

use entity::function;
use sea_orm::DatabaseTransaction;

use crate::error::{check, Field, Place, UserError, UserErrorCode, Write, WriteError};
use crate::fields::name_key;
use crate::model::function::{FunctionFields, Parents, Removal as FunctionRemoval};

use super::*;

/// Syncs the functions through the functions' one write; returns every function of
/// the organization by externalId.
pub(super) async fn sync_functions(
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
    let matched = matched_functions(&request.functions, &existing, &by_external);
    let mut parents = Parents::load(txn, organization_id).await?;
    // First the functions themselves, with the parents they have (new ones: none);
    // then the parents, named by externalId.
    let mut saved = save_functions(
        txn,
        organization_id,
        &request.functions,
        &matched,
        &mut parents,
    )
    .await?;
    let wanted = wanted_parents(&request.functions, &saved, &by_external, &mut parents)?;
    save_parents(
        txn,
        organization_id,
        &request.functions,
        wanted,
        &mut saved,
        &mut parents,
    )
    .await?;
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
                && f.managed_by.as_deref() == Some(crate::model::directory::SYNC)
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

/// Each entry's row: by externalId, else a row of the same name without one (adopted).
fn matched_functions(
    functions: &[SyncFunction],
    existing: &[function::Model],
    by_external: &HashMap<&str, &function::Model>,
) -> Vec<Option<function::Model>> {
    let by_name: HashMap<String, &function::Model> =
        existing.iter().map(|f| (f.name_key.clone(), f)).collect();
    functions
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
        .collect()
}

/// Saves each entry with the parent its row has; returns the rows by externalId.
async fn save_functions(
    txn: &DatabaseTransaction,
    organization_id: i64,
    functions: &[SyncFunction],
    matched: &[Option<function::Model>],
    parents: &mut Parents,
) -> Write<HashMap<String, function::Model>> {
    let mut saved: HashMap<String, function::Model> = HashMap::new();
    let mut errors = Vec::new();
    for (i, (f, current)) in functions.iter().zip(matched).enumerate() {
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
            Some(Some(crate::model::directory::SYNC)),
            place,
            parents,
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
    check(errors)?;
    Ok(saved)
}

/// The parent each saved entry names (by index), every one expected by `parents`
/// first, so that only the hierarchy the sync leaves behind is judged.
fn wanted_parents(
    functions: &[SyncFunction],
    saved: &HashMap<String, function::Model>,
    by_external: &HashMap<&str, &function::Model>,
    parents: &mut Parents,
) -> Write<Vec<(usize, Option<i64>)>> {
    let mut errors = Vec::new();
    let mut wanted = Vec::new();
    for (i, f) in functions.iter().enumerate() {
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
    check(errors)?;
    Ok(wanted)
}

/// Gives each entry the parent it names.
async fn save_parents(
    txn: &DatabaseTransaction,
    organization_id: i64,
    functions: &[SyncFunction],
    wanted: Vec<(usize, Option<i64>)>,
    saved: &mut HashMap<String, function::Model>,
    parents: &mut Parents,
) -> Write<()> {
    let mut errors = Vec::new();
    for (i, parent) in wanted {
        let f = &functions[i];
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
            Some(Some(crate::model::directory::SYNC)),
            Place::listed("functions", i),
            parents,
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
    check(errors)
}
