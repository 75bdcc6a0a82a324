//! Syncing the people: matched by externalId or email, saved, archived when MIRROR
//! no longer holds them.

use std::collections::{HashMap, HashSet};

use entity::{function, person};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::error::{check, Place, UserError, UserErrorCode, Write, WriteError};
use crate::model::person::{PersonFields, Removal as PersonRemoval};

use super::*;

/// Syncs the people through the people's one write.
pub(super) async fn sync_people(
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
        let function_id = match function_of(p, functions) {
            Ok(id) => id,
            Err(missing) => {
                errors.push(UserError::new(
                    UserErrorCode::NotFound,
                    place.field("function_external_id"),
                    missing,
                ));
                continue;
            }
        };
        let found = by_external.get(external_id).copied().or_else(|| {
            by_email
                .get(email.to_lowercase().as_str())
                .copied()
                .filter(|m| m.external_id.is_none())
        });
        if let Some(whose) = email_clash(&by_email, found, email, external_id) {
            errors.push(UserError::new(
                UserErrorCode::Duplicate,
                place.field("email"),
                whose,
            ));
            continue;
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
            Some(Some(crate::model::directory::SYNC)),
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
                && p.managed_by.as_deref() == Some(crate::model::directory::SYNC)
        }) {
            let after =
                crate::model::person::remove(txn, organization_id, gone, PersonRemoval::Archive)
                    .await?;
            counts.archived(&after.name);
        }
    }
    Ok(())
}

/// The id of the function an entry names by externalId, or what is wrong.
fn function_of(
    p: &SyncPerson,
    functions: &HashMap<String, function::Model>,
) -> Result<Option<i64>, String> {
    match p
        .function_external_id
        .as_deref()
        .map(str::trim)
        .filter(|f| !f.is_empty())
    {
        Some(f) => functions
            .get(f)
            .map(|function| Some(function.id))
            .ok_or_else(|| format!("no function has the externalId `{f}`")),
        None => Ok(None),
    }
}

/// When someone other than the entry's person holds its email: who.
fn email_clash(
    by_email: &HashMap<&str, &person::Model>,
    found: Option<&person::Model>,
    email: &str,
    external_id: &str,
) -> Option<String> {
    let other = by_email.get(email.to_lowercase().as_str())?;
    if found.is_some_and(|m| m.id == other.id) {
        return None;
    }
    Some(match &other.external_id {
        Some(theirs) => format!(
            "another person, with the externalId `{theirs}`, has the email `{email}`: \
             the payload gives it to `{external_id}`"
        ),
        None => format!("another person (without an externalId) has the email `{email}`"),
    })
}
