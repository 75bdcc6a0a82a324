//! Retraction: removing recorded interactions and re-deriving their cases.

use std::collections::HashSet;

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

/// Removes the interactions recorded with these externalIds and re-derives their
/// cases, all in one transaction; reports and rollups follow. A case left without
/// interactions is removed too.
pub async fn retract(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    external_ids: Vec<String>,
) -> Write<Retracted> {
    if external_ids.len() > MAX_BATCH {
        return Err(UserError::new(
            UserErrorCode::TooMany,
            Field::of("external_ids"),
            format!(
                "at most {MAX_BATCH} externalIds a call; this one has {}",
                external_ids.len()
            ),
        )
        .into());
    }
    let mut errors = Vec::new();
    let mut wanted: Vec<String> = Vec::with_capacity(external_ids.len());
    for (index, external_id) in external_ids.iter().enumerate() {
        let trimmed = external_id.trim();
        if trimmed.is_empty() {
            errors.push(UserError::new(
                UserErrorCode::Required,
                Field::entry("external_ids", index),
                "an externalId must not be empty",
            ));
        } else {
            wanted.push(trimmed.to_owned());
        }
    }
    check(errors)?;
    wanted.sort();
    wanted.dedup();

    let txn = begin_change(db, organization_id).await?;
    let mut found: Vec<(i64, i64, String)> = Vec::new();
    for chunk in wanted.chunks(CHUNK) {
        let rows: Vec<(i64, i64, Option<String>)> = in_org::<interaction::Entity>(organization_id)
            .filter(interaction::Column::ExternalId.is_in(chunk.iter().cloned()))
            .select_only()
            .columns([
                interaction::Column::Id,
                interaction::Column::CaseId,
                interaction::Column::ExternalId,
            ])
            .into_tuple()
            .all(&txn)
            .await?;
        found.extend(
            rows.into_iter()
                .filter_map(|(id, case, external)| external.map(|e| (id, case, e))),
        );
    }
    let present: HashSet<&str> = found.iter().map(|f| f.2.as_str()).collect();
    let not_found: Vec<String> = wanted
        .iter()
        .filter(|w| !present.contains(w.as_str()))
        .cloned()
        .collect();
    if found.is_empty() {
        return Ok(Retracted {
            not_found,
            ..Retracted::default()
        });
    }
    let pairs: Vec<(i64, i64)> = found.iter().map(|f| (f.0, f.1)).collect();
    let change = remove(&txn, organization_id, &pairs).await?;
    let retracted = Retracted {
        retracted: pairs.len() as i64,
        not_found,
        new_handoffs: change.handoffs,
        new_silo_handoffs: change.silo_handoffs,
    };
    let gone: Vec<&str> = found.iter().map(|f| f.2.as_str()).collect();
    crate::access::audit::record(
        &txn,
        organization_id,
        crate::access::audit::Change {
            action: "interactions.retract",
            entity_kind: "Interaction",
            entity_id: None,
        },
        Some(&gone),
        Some(&retracted),
    )
    .await?;
    txn.commit().await?;
    refresh_statistics_later(db);
    Ok(retracted)
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
    let cases = Cases::load(txn, case_ids.clone()).await?;
    let change = cases
        .rederive(txn, organization_id, Vec::new(), &removed, None)
        .await?;
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
