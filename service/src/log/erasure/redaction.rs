//! Redaction: blanking the notes of the interactions a filter names.

use entity::{customer_case, interaction};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use serde::Serialize;

use super::words::lower_like;
use crate::error::{check, Field, ServiceResult, UserError, UserErrorCode, Write};
use crate::storage::db::atomically;
use crate::storage::scoped::in_org;

/// Which interactions' notes to blank: every criterion given must hold.
#[derive(Clone, Debug, Default)]
pub struct RedactFilter {
    pub external_ids: Option<Vec<String>>,
    pub case_refs: Option<Vec<String>>,
    /// Interactions that occurred before this instant (µs).
    pub occurred_before: Option<i64>,
    /// Notes that contain this text (compared case-insensitively).
    pub note_contains: Option<String>,
}

/// The most ids or references one filter may name, and the longest `noteContains`.
pub const MAX_LISTED: usize = 1_000;

/// What `redact_interactions` did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Redacted {
    /// Notes blanked.
    pub redacted: i64,
}

/// Blanks the notes of the organization's interactions that match, in one
/// transaction, audited by the filter's shape and the count (never the notes).
pub async fn redact_interactions(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    filter: RedactFilter,
) -> Write<Redacted> {
    check(filter_errors(&filter))?;
    atomically(db, organization_id, async |txn| {
        let needle = filter
            .note_contains
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        let redacted = Redacted {
            redacted: blank_notes(txn, organization_id, &filter, needle.as_deref()).await?,
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Shape {
            external_ids: Option<usize>,
            case_refs: Option<usize>,
            occurred_before: Option<i64>,
            note_contains: bool,
        }
        crate::access::audit::record(
            txn,
            organization_id,
            crate::access::audit::Change {
                action: "interactions.redact",
                entity_kind: "Interaction",
                entity_id: None,
            },
            Some(&Shape {
                external_ids: filter.external_ids.as_ref().map(Vec::len),
                case_refs: filter.case_refs.as_ref().map(Vec::len),
                occurred_before: filter.occurred_before,
                note_contains: needle.is_some(),
            }),
            Some(&redacted),
        )
        .await?;
        Ok(redacted)
    })
    .await
}

/// What is wrong with a filter: none of it given, or too much of it.
fn filter_errors(filter: &RedactFilter) -> Vec<UserError> {
    let mut errors = Vec::new();
    let empty = filter.external_ids.is_none()
        && filter.case_refs.is_none()
        && filter.occurred_before.is_none()
        && filter
            .note_contains
            .as_deref()
            .is_none_or(|t| t.trim().is_empty());
    if empty {
        errors.push(UserError::new(
            UserErrorCode::Required,
            Field::of("filter"),
            "name at least one of externalIds, caseRefs, occurredBefore or noteContains",
        ));
    }
    for (field, list) in [
        ("external_ids", &filter.external_ids),
        ("case_refs", &filter.case_refs),
    ] {
        if list.as_ref().is_some_and(|l| l.len() > MAX_LISTED) {
            errors.push(UserError::new(
                UserErrorCode::TooMany,
                Field::within("filter", field),
                format!("at most {MAX_LISTED} a call"),
            ));
        }
    }
    if filter
        .note_contains
        .as_deref()
        .is_some_and(|t| t.chars().count() > MAX_LISTED)
    {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            Field::within("filter", "note_contains"),
            format!("at most {MAX_LISTED} characters"),
        ));
    }
    errors
}

/// Blanks the matching notes page by page (a large log is never held in memory at
/// once); returns how many. `needle` is the lower-cased text notes must contain.
async fn blank_notes(
    txn: &DatabaseTransaction,
    organization_id: i64,
    filter: &RedactFilter,
    needle: Option<&str>,
) -> ServiceResult<i64> {
    let cases: Option<Vec<i64>> = match &filter.case_refs {
        Some(refs) => Some(
            in_org::<customer_case::Entity>(organization_id)
                .filter(customer_case::Column::CaseRef.is_in(refs.iter().cloned()))
                .select_only()
                .column(customer_case::Column::Id)
                .into_tuple()
                .all(txn)
                .await?,
        ),
        None => None,
    };
    const PAGE: u64 = 5_000;
    let (mut after, mut count) = (0i64, 0i64);
    loop {
        let mut query = in_org::<interaction::Entity>(organization_id)
            .filter(interaction::Column::Note.is_not_null())
            .filter(interaction::Column::Id.gt(after));
        if let Some(ids) = &filter.external_ids {
            query = query.filter(interaction::Column::ExternalId.is_in(ids.iter().cloned()));
        }
        if let Some(cases) = &cases {
            query = query.filter(interaction::Column::CaseId.is_in(cases.iter().copied()));
        }
        if let Some(before) = filter.occurred_before {
            query = query.filter(interaction::Column::OccurredAt.lt(before));
        }
        // SQL narrows by ASCII case only; the exact test below decides.
        if let Some(needle) = needle.filter(|n| n.is_ascii()) {
            query = query.filter(lower_like(interaction::Column::Note, needle));
        }
        let rows: Vec<(i64, Option<String>)> = query
            .order_by_asc(interaction::Column::Id)
            .limit(PAGE)
            .select_only()
            .columns([interaction::Column::Id, interaction::Column::Note])
            .into_tuple()
            .all(txn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let ids: Vec<i64> = rows
            .into_iter()
            .filter(|(_, note)| match needle {
                Some(needle) => note
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(needle)),
                None => true,
            })
            .map(|(id, _)| id)
            .collect();
        if !ids.is_empty() {
            interaction::Entity::update_many()
                .col_expr(interaction::Column::Note, Expr::value(None::<String>))
                .col_expr(interaction::Column::NoteRedacted, Expr::value(true))
                .filter(interaction::Column::Id.is_in(ids.iter().copied()))
                .exec(txn)
                .await?;
        }
        count += ids.len() as i64;
    }
    Ok(count)
}
