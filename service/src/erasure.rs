//! Erasure and redaction (docs/rules.md §4d): what a data-protection request needs.
//!
//! `erase_person` replaces a person's name, email and ids with a pseudonym wherever
//! they are stored: the person's row, the audit trail (actors and the recorded
//! before/after values) and interaction notes that quote them. The row itself stays,
//! so the interactions that name the person, and every count read from them, stay.
//!
//! `redact_interactions` blanks the notes of matching interactions. The phrase marks a
//! note earned when it was recorded stay (they are flags the rules derived, and a
//! report read later agrees with one read before); a redacted note is no longer
//! re-marked when the phrase lists change.

use entity::{audit_event, customer_case, interaction, person};
use sea_orm::sea_query::{Expr, Func, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QuerySelect, Set,
};
use serde::Serialize;

use crate::db::{atomically, now_micros};
use crate::error::{check, no_such, ApiError, UserError, UserErrorCode, Write};
use crate::scoped::{find, in_org};

/// Replaces the person's name, email, external id and user name with a pseudonym in
/// one transaction, audited by the pseudonym only. Erasing an erased person changes
/// nothing.
pub async fn erase_person(
    db: &DatabaseConnection,
    organization_id: i64,
    person_id: i64,
) -> Write<person::Model> {
    atomically(db, organization_id, async |txn| {
        let Some(person) = find::<person::Entity>(txn, organization_id, person_id).await? else {
            return Err(no_such("person"));
        };
        if person.erased_at.is_some() {
            return Ok(person);
        }
        let pseudonym = pseudonym();
        let email = format!("{pseudonym}@erased.invalid");
        // Long enough to be the person's own wherever they appear as part of a text.
        let mut within: Vec<String> = vec![person.name.clone(), person.email.clone()];
        within.extend(person.external_id.clone());
        within.extend(person.user_name.clone());
        within.push(person.email.to_lowercase());
        within.extend(person.user_name.as_ref().map(|u| u.to_lowercase()));
        // Short parts of a name are replaced only where they are a whole value.
        let whole: Vec<String> = [&person.given_name, &person.family_name, &person.title]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let mut active: person::ActiveModel = person.into();
        active.name = Set(format!("Erased person {pseudonym}"));
        active.email = Set(email.clone());
        active.email_key = Set(email);
        active.external_id = Set(None);
        active.user_name = Set(None);
        active.user_name_key = Set(None);
        active.given_name = Set(None);
        active.family_name = Set(None);
        active.title = Set(None);
        active.department = Set(None);
        active.archived = Set(true);
        active.erased_at = Set(Some(now_micros()));
        active.updated_at = Set(now_micros());
        let erased = active.update(txn).await?;
        scrub(txn, organization_id, &within, &whole, &pseudonym).await?;
        #[derive(Serialize)]
        struct Erased<'a> {
            pseudonym: &'a str,
        }
        crate::audit::record(
            txn,
            organization_id,
            crate::audit::Change {
                action: "person.erase",
                entity_kind: "Person",
                entity_id: Some(person_id.to_string()),
            },
            None::<&()>,
            Some(&Erased {
                pseudonym: &pseudonym,
            }),
        )
        .await?;
        Ok(erased)
    })
    .await
}

/// A random pseudonym, `p-` and 12 hex digits: it says nothing of the person.
fn pseudonym() -> String {
    use rand::Rng;
    format!("p-{:012x}", rand::rng().random::<u64>() & 0xffff_ffff_ffff)
}

/// `REPLACE(column, from, to)`.
fn replace(column: impl sea_orm::sea_query::IntoColumnRef, from: &str, to: &str) -> SimpleExpr {
    Func::cust("REPLACE")
        .arg(Expr::col(column))
        .arg(from)
        .arg(to)
        .into()
}

/// A text as it appears inside JSON (escaped, without the quotes).
fn json_text(text: &str) -> String {
    let quoted = serde_json::to_string(text).unwrap_or_default();
    quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or(text)
        .to_owned()
}

/// Replaces the texts with the pseudonym in the organization's audit trail and notes.
async fn scrub(
    txn: &DatabaseTransaction,
    organization_id: i64,
    within: &[String],
    whole: &[String],
    pseudonym: &str,
) -> Result<(), ApiError> {
    use audit_event::Column as A;
    let mut replacements: Vec<(String, String)> = Vec::new();
    for text in within.iter().filter(|t| t.trim().len() >= 3) {
        replacements.push((text.clone(), pseudonym.to_owned()));
        let escaped = json_text(text);
        if escaped != *text {
            replacements.push((escaped, pseudonym.to_owned()));
        }
    }
    for text in whole.iter().filter(|t| !t.trim().is_empty()) {
        replacements.push((
            format!("\"{}\"", json_text(text)),
            format!("\"{pseudonym}\""),
        ));
    }
    // The audit trail is append-only to the tenant role: erasure alone rewrites it,
    // as the database's owner, naming the organization in every statement.
    crate::db::leave_tenant_role(txn).await?;
    for (from, to) in &replacements {
        audit_event::Entity::update_many()
            .col_expr(A::Actor, replace(A::Actor, from, to))
            .col_expr(A::BeforeJson, replace(A::BeforeJson, from, to))
            .col_expr(A::AfterJson, replace(A::AfterJson, from, to))
            .filter(A::OrganizationId.eq(organization_id))
            .filter(
                Condition::any()
                    .add(A::Actor.contains(from))
                    .add(A::BeforeJson.contains(from))
                    .add(A::AfterJson.contains(from)),
            )
            .exec(txn)
            .await?;
    }
    crate::db::return_to_tenant_role(txn).await?;
    for text in within.iter().filter(|t| t.trim().len() >= 3) {
        interaction::Entity::update_many()
            .col_expr(
                interaction::Column::Note,
                replace(interaction::Column::Note, text, pseudonym),
            )
            .filter(interaction::Column::OrganizationId.eq(organization_id))
            .filter(interaction::Column::Note.contains(text))
            .exec(txn)
            .await?;
    }
    Ok(())
}

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

/// The most ids or references one filter may name.
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
    db: &DatabaseConnection,
    organization_id: i64,
    filter: RedactFilter,
) -> Write<Redacted> {
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
            &["filter"],
            "name at least one of externalIds, caseRefs, occurredBefore or noteContains",
        ));
    }
    for (field, list) in [
        ("externalIds", &filter.external_ids),
        ("caseRefs", &filter.case_refs),
    ] {
        if list.as_ref().is_some_and(|l| l.len() > MAX_LISTED) {
            errors.push(UserError::new(
                UserErrorCode::TooMany,
                &["filter", field],
                format!("at most {MAX_LISTED} a call"),
            ));
        }
    }
    check(errors)?;
    atomically(db, organization_id, async |txn| {
        let mut query = in_org::<interaction::Entity>(organization_id)
            .filter(interaction::Column::Note.is_not_null());
        if let Some(ids) = &filter.external_ids {
            query = query.filter(interaction::Column::ExternalId.is_in(ids.iter().cloned()));
        }
        if let Some(refs) = &filter.case_refs {
            let cases: Vec<i64> = in_org::<customer_case::Entity>(organization_id)
                .filter(customer_case::Column::CaseRef.is_in(refs.iter().cloned()))
                .select_only()
                .column(customer_case::Column::Id)
                .into_tuple()
                .all(txn)
                .await?;
            query = query.filter(interaction::Column::CaseId.is_in(cases));
        }
        if let Some(before) = filter.occurred_before {
            query = query.filter(interaction::Column::OccurredAt.lt(before));
        }
        let rows: Vec<(i64, Option<String>)> = query
            .select_only()
            .columns([interaction::Column::Id, interaction::Column::Note])
            .into_tuple()
            .all(txn)
            .await?;
        let needle = filter
            .note_contains
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        let ids: Vec<i64> = rows
            .into_iter()
            .filter(|(_, note)| match &needle {
                Some(needle) => note
                    .as_deref()
                    .is_some_and(|n| n.to_lowercase().contains(needle.as_str())),
                None => true,
            })
            .map(|(id, _)| id)
            .collect();
        for chunk in ids.chunks(1_000) {
            interaction::Entity::update_many()
                .col_expr(interaction::Column::Note, Expr::value(None::<String>))
                .col_expr(interaction::Column::NoteRedacted, Expr::value(true))
                .filter(interaction::Column::Id.is_in(chunk.iter().copied()))
                .exec(txn)
                .await?;
        }
        let redacted = Redacted {
            redacted: ids.len() as i64,
        };
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Shape {
            external_ids: Option<usize>,
            case_refs: Option<usize>,
            occurred_before: Option<i64>,
            note_contains: bool,
        }
        crate::audit::record(
            txn,
            organization_id,
            crate::audit::Change {
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
