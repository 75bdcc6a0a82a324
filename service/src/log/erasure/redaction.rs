//! Redaction: blanking the notes of the interactions a filter names, and the comments
//! of the feedback about the same cases.

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
    /// Feedback comments blanked (those of the cases named, before the instant or
    /// with the text; `externalIds` name interactions only).
    pub comments_redacted: i64,
}

/// Blanks the notes of the organization's interactions that match, and the comments
/// of its feedback that match, in one transaction, audited by the filter's shape and the count (never the notes).
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
        let (notes, comments) =
            blank_notes(txn, organization_id, &filter, needle.as_deref()).await?;
        let redacted = Redacted {
            redacted: notes,
            comments_redacted: comments,
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

/// Where a table keeps the text redaction blanks.
struct Texts<E: EntityTrait> {
    id: E::Column,
    organization: E::Column,
    text: E::Column,
    redacted: E::Column,
    case: E::Column,
    at: E::Column,
    /// The column `externalIds` names; `None` for a table they do not name.
    external_id: Option<E::Column>,
}

/// Blanks the matching notes of interactions, and the comments of feedback about the
/// same cases, page by page (a large log is never held in memory at once); returns
/// how many of each. `needle` is the lower-cased text they must contain.
async fn blank_notes(
    txn: &DatabaseTransaction,
    organization_id: i64,
    filter: &RedactFilter,
    needle: Option<&str>,
) -> ServiceResult<(i64, i64)> {
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
    use entity::feedback::Column as F;
    use interaction::Column as I;
    let notes = Texts::<interaction::Entity> {
        id: I::Id,
        organization: I::OrganizationId,
        text: I::Note,
        redacted: I::NoteRedacted,
        case: I::CaseId,
        at: I::OccurredAt,
        external_id: Some(I::ExternalId),
    };
    let comments = Texts::<entity::feedback::Entity> {
        id: F::Id,
        organization: F::OrganizationId,
        text: F::Comment,
        redacted: F::CommentRedacted,
        case: F::CaseId,
        at: F::At,
        external_id: None,
    };
    let scope = Scope {
        organization_id,
        filter,
        cases: cases.as_deref(),
        needle,
    };
    let notes = blank(txn, &notes, &scope).await?;
    // externalIds name interactions: feedback is redacted by the other criteria only.
    let comments = if filter.external_ids.is_some() {
        0
    } else {
        blank(txn, &comments, &scope).await?
    };
    Ok((notes, comments))
}

/// What a redaction reaches.
struct Scope<'a> {
    organization_id: i64,
    filter: &'a RedactFilter,
    cases: Option<&'a [i64]>,
    needle: Option<&'a str>,
}

/// Blanks one table's matching texts; returns how many.
async fn blank<E: EntityTrait>(
    txn: &DatabaseTransaction,
    t: &Texts<E>,
    scope: &Scope<'_>,
) -> ServiceResult<i64> {
    const PAGE: u64 = 5_000;
    let (mut after, mut count) = (0i64, 0i64);
    loop {
        let mut query = E::find()
            .filter(t.organization.eq(scope.organization_id))
            .filter(t.text.is_not_null())
            .filter(t.id.gt(after));
        if let (Some(ids), Some(column)) = (&scope.filter.external_ids, t.external_id) {
            query = query.filter(column.is_in(ids.iter().cloned()));
        }
        if let Some(cases) = scope.cases {
            query = query.filter(t.case.is_in(cases.iter().copied()));
        }
        if let Some(before) = scope.filter.occurred_before {
            query = query.filter(t.at.lt(before));
        }
        // SQL narrows by ASCII case only; the exact test below decides.
        if let Some(needle) = scope.needle.filter(|n| n.is_ascii()) {
            query = query.filter(lower_like(t.text, needle));
        }
        let rows: Vec<(i64, Option<String>)> = query
            .order_by_asc(t.id)
            .limit(PAGE)
            .select_only()
            .columns([t.id, t.text])
            .into_tuple()
            .all(txn)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        let ids: Vec<i64> = rows
            .into_iter()
            .filter(|(_, text)| match scope.needle {
                Some(needle) => text
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(needle)),
                None => true,
            })
            .map(|(id, _)| id)
            .collect();
        if !ids.is_empty() {
            E::update_many()
                .col_expr(t.text, Expr::value(None::<String>))
                .col_expr(t.redacted, Expr::value(true))
                .filter(t.id.is_in(ids.iter().copied()))
                .exec(txn)
                .await?;
        }
        count += ids.len() as i64;
    }
    Ok(count)
}
