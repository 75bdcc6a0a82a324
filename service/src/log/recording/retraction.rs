//! Retraction: removing recorded interactions and re-deriving their cases.

use std::collections::{HashMap, HashSet};

use entity::{customer_case, interaction};
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect};

use super::*;
use crate::error::{check, Field, ServiceResult, UserError, UserErrorCode, Write};
use crate::log::derived::Cases;
use crate::storage::db::begin_change;
use crate::storage::scoped::in_org;

/// What a retraction did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Retracted {
    /// Interactions removed.
    pub retracted: i64,
    /// The externalIds no recorded interaction has (nothing to remove: retracting twice
    /// is harmless).
    pub not_found: Vec<String>,
    /// Handoffs the affected cases have now minus before (zero or less).
    pub new_handoffs: i64,
    /// SILO handoffs the affected cases have now minus before (zero or less).
    pub new_silo_handoffs: i64,
}

/// Which interactions to retract: by externalId, by content key (those recorded
/// without one), or every interaction of a case at an instant.
#[derive(Clone, Debug, Default)]
pub struct Targets {
    pub external_ids: Vec<String>,
    pub content_keys: Vec<String>,
    /// (caseRef, occurredAt as RFC 3339).
    pub occurrences: Vec<(String, String)>,
}

impl Targets {
    /// The interactions with these externalIds.
    pub fn external_ids(external_ids: Vec<String>) -> Targets {
        Targets {
            external_ids,
            ..Targets::default()
        }
    }
}

/// Removes the interactions `targets` names and re-derives their cases, all in one
/// transaction; reports and rollups follow. A case left without interactions is
/// removed too. What names no recorded interaction is listed in `not_found`, so
/// retracting twice is harmless.
pub async fn retract(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    targets: Targets,
) -> Write<Retracted> {
    let wanted = checked(&targets)?;
    let txn = begin_change(db, organization_id).await?;
    let mut found: Vec<(i64, i64)> = Vec::new();
    let mut not_found = Vec::new();
    for (column, values) in [
        (interaction::Column::ExternalId, &wanted.external_ids),
        (interaction::Column::ContentKey, &wanted.content_keys),
    ] {
        let (rows, missing) = by_identity(&txn, organization_id, column, values).await?;
        found.extend(rows);
        not_found.extend(missing);
    }
    for (case_ref, text, at) in &wanted.occurrences {
        let rows = at_instant(&txn, organization_id, case_ref, *at).await?;
        if rows.is_empty() {
            not_found.push(format!("{case_ref} at {text}"));
        }
        found.extend(rows);
    }
    found.sort_unstable();
    found.dedup();
    if found.is_empty() {
        return Ok(Retracted {
            not_found,
            ..Retracted::default()
        });
    }
    let change = remove(&txn, organization_id, &found).await?;
    let retracted = Retracted {
        retracted: found.len() as i64,
        not_found,
        new_handoffs: change.handoffs,
        new_silo_handoffs: change.silo_handoffs,
    };
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Asked<'a> {
        external_ids: &'a [String],
        content_keys: &'a [String],
        occurrences: Vec<String>,
    }
    let asked = Asked {
        external_ids: &wanted.external_ids,
        content_keys: &wanted.content_keys,
        occurrences: wanted
            .occurrences
            .iter()
            .map(|(case_ref, text, _)| format!("{case_ref} at {text}"))
            .collect(),
    };
    crate::access::audit::record(
        &txn,
        organization_id,
        crate::access::audit::Change {
            action: "interactions.retract",
            entity_kind: "Interaction",
            entity_id: None,
        },
        Some(&asked),
        Some(&retracted),
    )
    .await?;
    txn.commit().await?;
    refresh_statistics_later(db);
    Ok(retracted)
}

/// Targets checked: trimmed, not empty, at most [`MAX_BATCH`] in all, instants parsed.
struct Wanted {
    external_ids: Vec<String>,
    content_keys: Vec<String>,
    occurrences: Vec<(String, String, i64)>,
}

fn checked(targets: &Targets) -> Write<Wanted> {
    let count = targets.external_ids.len() + targets.content_keys.len() + targets.occurrences.len();
    if count > MAX_BATCH {
        return Err(UserError::new(
            UserErrorCode::TooMany,
            Field::of(""),
            format!("at most {MAX_BATCH} interactions a call; this one names {count}"),
        )
        .into());
    }
    let mut errors = Vec::new();
    let listed = |list: &'static str, values: &[String], errors: &mut Vec<UserError>| {
        let mut wanted = Vec::with_capacity(values.len());
        for (index, value) in values.iter().enumerate() {
            let trimmed = value.trim();
            if trimmed.is_empty() {
                errors.push(UserError::new(
                    UserErrorCode::Required,
                    Field::entry(list, index),
                    "must not be empty",
                ));
            } else {
                wanted.push(trimmed.to_owned());
            }
        }
        wanted.sort();
        wanted.dedup();
        wanted
    };
    let external_ids = listed("external_ids", &targets.external_ids, &mut errors);
    let content_keys = listed("content_keys", &targets.content_keys, &mut errors);
    let mut occurrences = Vec::new();
    for (index, (case_ref, text)) in targets.occurrences.iter().enumerate() {
        match parse_instant(text) {
            Some(at) => occurrences.push((case_ref.trim().to_owned(), text.trim().to_owned(), at)),
            None => errors.push(UserError::new(
                UserErrorCode::Invalid,
                Field::listed("occurrences", index, "occurred_at"),
                "not an RFC 3339 instant with an offset, like 2026-03-01T09:30:00Z",
            )),
        }
    }
    check(errors)?;
    Ok(Wanted {
        external_ids,
        content_keys,
        occurrences,
    })
}

/// The (id, case id) of the interactions whose `column` is one of `values`, and the
/// values no interaction has.
async fn by_identity(
    txn: &DatabaseTransaction,
    organization_id: i64,
    column: interaction::Column,
    values: &[String],
) -> ServiceResult<(Vec<(i64, i64)>, Vec<String>)> {
    let mut found = Vec::new();
    let mut present = HashSet::new();
    for chunk in values.chunks(CHUNK) {
        let rows: Vec<(i64, i64, Option<String>)> = in_org::<interaction::Entity>(organization_id)
            .filter(column.is_in(chunk.iter().cloned()))
            .select_only()
            .columns([interaction::Column::Id, interaction::Column::CaseId, column])
            .into_tuple()
            .all(txn)
            .await?;
        for (id, case_id, value) in rows {
            found.push((id, case_id));
            present.extend(value);
        }
    }
    let missing = values
        .iter()
        .filter(|v| !present.contains(*v))
        .cloned()
        .collect();
    Ok((found, missing))
}

/// The (id, case id) of the case's interactions at the instant `at`.
async fn at_instant(
    txn: &DatabaseTransaction,
    organization_id: i64,
    case_ref: &str,
    at: i64,
) -> ServiceResult<Vec<(i64, i64)>> {
    let case: Option<i64> = in_org::<customer_case::Entity>(organization_id)
        .filter(customer_case::Column::CaseRef.eq(case_ref))
        .select_only()
        .column(customer_case::Column::Id)
        .into_tuple()
        .one(txn)
        .await?;
    let Some(case_id) = case else {
        return Ok(Vec::new());
    };
    Ok(in_org::<interaction::Entity>(organization_id)
        .filter(interaction::Column::CaseId.eq(case_id))
        .filter(interaction::Column::OccurredAt.eq(at))
        .select_only()
        .columns([interaction::Column::Id, interaction::Column::CaseId])
        .into_tuple()
        .all(txn)
        .await?)
}

/// Removes interactions, given as (id, case id), in `txn` (whose organization is
/// locked): re-derives their cases without them (steps first, as they name the
/// interactions, and the rollups with them), deletes them, and deletes the cases left
/// without any. Retraction and retention both remove through here.
pub(crate) async fn remove(
    txn: &DatabaseTransaction,
    organization_id: i64,
    interactions: &[(i64, i64)],
) -> ServiceResult<crate::log::derived::Rederived> {
    let removed: HashSet<i64> = interactions.iter().map(|f| f.0).collect();
    let case_ids: Vec<i64> = interactions.iter().map(|f| f.1).collect();
    // A case that loses every interaction needs no deriving: its steps only leave.
    let mut losing: HashMap<i64, i64> = HashMap::new();
    for (_, case_id) in interactions.iter().collect::<HashSet<_>>() {
        *losing.entry(*case_id).or_default() += 1;
    }
    let held = interaction_counts(txn, losing.keys().copied().collect()).await?;
    let (whole, partial): (Vec<i64>, Vec<i64>) = losing
        .keys()
        .copied()
        .partition(|c| held.get(c) == losing.get(c));
    let mut change = crate::log::derived::forget_cases(txn, organization_id, &whole).await?;
    if !partial.is_empty() {
        let cases = Cases::load(txn, partial).await?;
        change.add(
            cases
                .rederive(txn, organization_id, Vec::new(), &removed)
                .await?,
        );
    }
    let ids: Vec<i64> = removed.iter().copied().collect();
    for chunk in ids.chunks(CHUNK) {
        interaction::Entity::delete_many()
            .filter(interaction::Column::Id.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    remove_empty_cases(txn, case_ids).await?;
    Ok(change)
}

/// How many interactions each of the cases holds.
async fn interaction_counts(
    txn: &DatabaseTransaction,
    case_ids: Vec<i64>,
) -> ServiceResult<HashMap<i64, i64>> {
    let mut counts = HashMap::new();
    for chunk in case_ids.chunks(CHUNK) {
        let rows: Vec<(i64, i64)> = interaction::Entity::find()
            .filter(crate::storage::bulk::one_of(
                txn.get_database_backend(),
                interaction::Column::CaseId,
                chunk.to_vec(),
            ))
            .select_only()
            .column(interaction::Column::CaseId)
            .column_as(interaction::Column::Id.count(), "held")
            .group_by(interaction::Column::CaseId)
            .into_tuple()
            .all(txn)
            .await?;
        counts.extend(rows);
    }
    Ok(counts)
}

/// Deletes those of the cases that have no interaction left.
async fn remove_empty_cases(
    txn: &DatabaseTransaction,
    mut case_ids: Vec<i64>,
) -> ServiceResult<()> {
    case_ids.sort_unstable();
    case_ids.dedup();
    for chunk in case_ids.chunks(CHUNK) {
        let alive: HashSet<i64> = interaction::Entity::find()
            .filter(interaction::Column::CaseId.is_in(chunk.iter().copied()))
            .select_only()
            .column(interaction::Column::CaseId)
            .distinct()
            .into_tuple::<i64>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let empty: Vec<i64> = chunk
            .iter()
            .copied()
            .filter(|c| !alive.contains(c))
            .collect();
        if !empty.is_empty() {
            customer_case::Entity::delete_many()
                .filter(customer_case::Column::Id.is_in(empty))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}
