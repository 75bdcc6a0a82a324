//! Erasure and redaction (docs/rules.md §4d): what a data-protection request needs.
//!
//! `erase_person` replaces what identifies a person with a pseudonym wherever it is
//! stored: the person's row, the audit trail's values of that row, the actor and
//! creator of what they did, and notes and audit values that quote their name or
//! email. The row itself stays, so the interactions that name the person, and every
//! count read from them, stay.
//!
//! `redact_interactions` blanks the notes of matching interactions. The phrase marks a
//! note earned when it was recorded stay (they are flags the rules derived, and a
//! report read later agrees with one read before); a redacted note is no longer
//! re-marked when the phrase lists change.

use std::collections::BTreeSet;

use entity::{api_key, audit_event, customer_case, interaction, person, webhook};
use sea_orm::sea_query::{Expr, ExprTrait as _, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use serde_json::Value;

use crate::db::{atomically, now_micros};
use crate::error::{check, no_such, ApiError, UserError, UserErrorCode, Write};
use crate::scoped::{find, in_org};

/// The fields of a person's record (as the audit trail serializes `person::Model`)
/// that identify them.
const PERSONAL: &[&str] = &[
    "name",
    "email",
    "email_key",
    "external_id",
    "user_name",
    "user_name_key",
    "given_name",
    "family_name",
    "title",
    "department",
];

/// Of those, the ones a token's `sub` or a key's creator may be.
const IDS: &[&str] = &[
    "email",
    "email_key",
    "external_id",
    "user_name",
    "user_name_key",
];

/// Erases a person in one transaction, audited by the pseudonym only: their record's
/// name and email become the pseudonym's, their ids, name parts, title and department
/// are removed, and a directory no longer sees them (a directory that provisions them
/// again creates a new person). Everything else that held what identified them is
/// rewritten too: the audit trail's values of their record (the current and every
/// earlier one), the actor and `created_by` of what they did, and notes and audit
/// values that quote their name or email (as whole words). Erasing an erased person
/// changes nothing.
pub async fn erase_person(
    db: &crate::db::Tenant,
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
        let name = format!("Erased person {pseudonym}");
        // The audit trail is append-only to the tenant role: erasure alone rewrites
        // it, as the database's owner, naming the organization in every statement.
        crate::db::leave_tenant_role(txn).await?;
        let mut known = Known::default();
        known.add_person(&person);
        let own = own_audit_rows(txn, organization_id, person_id).await?;
        for row in &own {
            for json in [&row.before_json, &row.after_json].into_iter().flatten() {
                known.add_json(json);
            }
        }
        for row in own {
            let rewrite = |json: &Option<String>| {
                json.as_deref()
                    .map(|j| pseudonymize_record(j, &name, &email))
            };
            let mut active: audit_event::ActiveModel = row.clone().into();
            active.before_json = Set(rewrite(&row.before_json));
            active.after_json = Set(rewrite(&row.after_json));
            active.update(txn).await?;
        }
        rename_actor(txn, organization_id, &known.ids, &pseudonym).await?;
        quote_no_more(txn, organization_id, &known, &pseudonym).await?;
        crate::db::return_to_tenant_role(txn, organization_id).await?;
        let now = now_micros();
        let mut active: person::ActiveModel = person.into();
        active.name = Set(name);
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
        active.deleted_at = Set(Some(now));
        active.erased_at = Set(Some(now));
        active.updated_at = Set(now);
        let erased = active.update(txn).await?;
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

/// What identified a person, gathered from their record and its audit history.
#[derive(Default)]
struct Known {
    /// Display names (quoted in texts).
    names: BTreeSet<String>,
    /// Emails, user names and external ids, as stored: what a token's `sub` or a
    /// key's creator may be (compared whole, case-insensitively); the emails among
    /// them are also quoted in texts.
    ids: BTreeSet<String>,
}

impl Known {
    fn add_person(&mut self, person: &person::Model) {
        self.names.insert(person.name.clone());
        self.ids.insert(person.email.clone());
        self.ids.extend(person.external_id.iter().cloned());
        self.ids.extend(person.user_name.iter().cloned());
    }

    /// Adds the values of a serialized record of the person.
    fn add_json(&mut self, json: &str) {
        let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(json) else {
            return;
        };
        let text = |key: &str| fields.get(key).and_then(Value::as_str);
        self.names.extend(text("name").map(str::to_owned));
        for key in IDS {
            self.ids.extend(text(key).map(str::to_owned));
        }
    }

    /// The texts that are the person's wherever they are quoted: names and emails
    /// (short names are left: they would match other people's words).
    fn quoted(&self) -> Vec<String> {
        let mut texts: Vec<String> = self
            .names
            .iter()
            .filter(|n| n.trim().chars().count() >= 4)
            .cloned()
            .collect();
        texts.extend(self.ids.iter().filter(|i| i.contains('@')).cloned());
        // The longest first: "Ann Lee Smith" before "Ann Lee".
        texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
        texts
    }
}

/// The audit events about the person's record.
async fn own_audit_rows(
    txn: &DatabaseTransaction,
    organization_id: i64,
    person_id: i64,
) -> Result<Vec<audit_event::Model>, ApiError> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::EntityKind.eq("Person"))
        .filter(audit_event::Column::EntityId.eq(person_id.to_string()))
        .all(txn)
        .await?)
}

/// A serialized record of the person with its identifying fields replaced.
fn pseudonymize_record(json: &str, name: &str, email: &str) -> String {
    let Ok(Value::Object(mut fields)) = serde_json::from_str::<Value>(json) else {
        return json.to_owned();
    };
    for key in PERSONAL {
        if let Some(value) = fields.get_mut(*key) {
            *value = match *key {
                "name" if !Value::is_null(value) => Value::String(name.to_owned()),
                "email" | "email_key" if !Value::is_null(value) => Value::String(email.to_owned()),
                _ => Value::Null,
            };
        }
    }
    Value::Object(fields).to_string()
}

/// Where the person acted (a token whose `sub` is their email, user name or id), the
/// pseudonym is the actor; so for API keys and webhooks they created.
async fn rename_actor(
    txn: &DatabaseTransaction,
    organization_id: i64,
    ids: &BTreeSet<String>,
    pseudonym: &str,
) -> Result<(), ApiError> {
    if ids.is_empty() {
        return Ok(());
    }
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Actor, Expr::value(pseudonym))
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::ActorKind.eq(crate::audit::ActorKind::Token.as_str()))
        .filter(lower_equals_any(audit_event::Column::Actor, ids))
        .exec(txn)
        .await?;
    api_key::Entity::update_many()
        .col_expr(api_key::Column::CreatedBy, Expr::value(pseudonym))
        .filter(api_key::Column::OrganizationId.eq(organization_id))
        .filter(lower_equals_any(api_key::Column::CreatedBy, ids))
        .exec(txn)
        .await?;
    webhook::Entity::update_many()
        .col_expr(webhook::Column::CreatedBy, Expr::value(pseudonym))
        .filter(webhook::Column::OrganizationId.eq(organization_id))
        .filter(lower_equals_any(webhook::Column::CreatedBy, ids))
        .exec(txn)
        .await?;
    Ok(())
}

/// Replaces what is the person's in the organization's notes (their name or email
/// quoted as whole words) and audit values (any string that is one of their ids, and
/// quotes of their name or email inside strings).
async fn quote_no_more(
    txn: &DatabaseTransaction,
    organization_id: i64,
    known: &Known,
    pseudonym: &str,
) -> Result<(), ApiError> {
    let texts = known.quoted();
    if !texts.is_empty() {
        let mut notes = Condition::any();
        for text in &texts {
            notes = notes.add(lower_like(interaction::Column::Note, text));
        }
        let quoting: Vec<(i64, Option<String>)> = interaction::Entity::find()
            .filter(interaction::Column::OrganizationId.eq(organization_id))
            .filter(notes)
            .select_only()
            .columns([interaction::Column::Id, interaction::Column::Note])
            .into_tuple()
            .all(txn)
            .await?;
        for (id, note) in quoting {
            let Some(note) = note else { continue };
            let replaced = texts
                .iter()
                .fold(note.clone(), |n, text| replace_words(&n, text, pseudonym));
            if replaced != note {
                interaction::Entity::update_many()
                    .col_expr(interaction::Column::Note, Expr::value(replaced))
                    .filter(interaction::Column::Id.eq(id))
                    .exec(txn)
                    .await?;
            }
        }
    }
    use audit_event::Column as A;
    let mut values = Condition::any();
    for text in texts.iter().chain(known.ids.iter()) {
        let escaped = json_text(text);
        values = values
            .add(lower_like(A::BeforeJson, &escaped))
            .add(lower_like(A::AfterJson, &escaped));
    }
    if texts.is_empty() && known.ids.is_empty() {
        return Ok(());
    }
    let events = audit_event::Entity::find()
        .filter(A::OrganizationId.eq(organization_id))
        .filter(values)
        .all(txn)
        .await?;
    let scrub = |json: &Option<String>| {
        json.as_deref()
            .map(|j| match serde_json::from_str::<Value>(j) {
                Ok(mut value) => {
                    scrub_strings(&mut value, &texts, &known.ids, pseudonym);
                    value.to_string()
                }
                Err(_) => j.to_owned(),
            })
    };
    for event in events {
        let (before, after) = (scrub(&event.before_json), scrub(&event.after_json));
        if before != event.before_json || after != event.after_json {
            let mut active: audit_event::ActiveModel = event.into();
            active.before_json = Set(before);
            active.after_json = Set(after);
            active.update(txn).await?;
        }
    }
    Ok(())
}

/// Every string of `value` that is one of `ids` (case-insensitively) becomes the
/// pseudonym; in the others, `texts` quoted as whole words do.
fn scrub_strings(value: &mut Value, texts: &[String], ids: &BTreeSet<String>, pseudonym: &str) {
    match value {
        Value::String(text) => {
            let lower = text.to_lowercase();
            if ids.iter().any(|id| id.to_lowercase() == lower) {
                *text = pseudonym.to_owned();
            } else {
                *text = texts.iter().fold(text.clone(), |t, quoted| {
                    replace_words(&t, quoted, pseudonym)
                });
            }
        }
        Value::Array(items) => {
            for item in items {
                scrub_strings(item, texts, ids, pseudonym);
            }
        }
        Value::Object(fields) => {
            for field in fields.values_mut() {
                scrub_strings(field, texts, ids, pseudonym);
            }
        }
        _ => {}
    }
}

/// `LOWER(column) LIKE LOWER('%text%')`: true wherever `text` occurs with its letters
/// in any case the database folds, and on a few more rows (the text's `%`, `_` and
/// backslashes are left to match any character, so that no escape character is needed
/// on either database); callers test the rows they get exactly.
fn lower_like(column: impl sea_orm::sea_query::IntoColumnRef, text: &str) -> SimpleExpr {
    use sea_orm::sea_query::{BinOper, Func};
    let pattern: String = text
        .chars()
        .map(|c| {
            if matches!(c, '%' | '_' | '\\') {
                '_'
            } else {
                c
            }
        })
        .collect();
    Expr::expr(Func::lower(Expr::col(column))).binary(
        BinOper::Like,
        Func::lower(Expr::val(format!("%{pattern}%"))),
    )
}

/// `LOWER(column)` equals `LOWER(v)` for one of the values.
fn lower_equals_any(
    column: impl sea_orm::sea_query::IntoColumnRef + Clone,
    values: &BTreeSet<String>,
) -> Condition {
    use sea_orm::sea_query::Func;
    values.iter().fold(Condition::any(), |any, value| {
        any.add(
            Expr::expr(Func::lower(Expr::col(column.clone())))
                .eq(Func::lower(Expr::val(value.as_str()))),
        )
    })
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

/// Whether the byte at `at` of `text` continues a word: ASCII letters and digits,
/// every byte of a character beyond ASCII, `-` and `_`; around an email also `+`, `%`,
/// `@`, and a `.` followed by a word character (a `.` that ends a sentence does not).
fn continues_word(text: &[u8], at: usize, email: bool) -> bool {
    let byte = text[at];
    if byte.is_ascii_alphanumeric() || byte >= 0x80 || matches!(byte, b'-' | b'_') {
        return true;
    }
    email
        && (matches!(byte, b'+' | b'%' | b'@')
            || (byte == b'.'
                && text
                    .get(at + 1)
                    .is_some_and(|b| b.is_ascii_alphanumeric() || *b >= 0x80)))
}

/// `text` with every whole-word occurrence of `word` (ASCII letters compared
/// case-insensitively) replaced by `by`.
fn replace_words(text: &str, word: &str, by: &str) -> String {
    let (haystack, needle) = (text.as_bytes(), word.as_bytes());
    if needle.is_empty() || haystack.len() < needle.len() {
        return text.to_owned();
    }
    let email = word.contains('@');
    let mut out = String::with_capacity(text.len());
    let (mut copied, mut at) = (0, 0);
    while at + needle.len() <= haystack.len() {
        let end = at + needle.len();
        let matches = haystack[at..end].eq_ignore_ascii_case(needle)
            && (at == 0 || !continues_word(haystack, at - 1, email))
            && (end == haystack.len() || !continues_word(haystack, end, email));
        if matches {
            // A match starts and ends on character boundaries: the needle is UTF-8
            // and its bytes beyond ASCII matched exactly.
            out.push_str(&text[copied..at]);
            out.push_str(by);
            copied = end;
            at = end;
        } else {
            at += 1;
        }
    }
    out.push_str(&text[copied..]);
    out
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
    db: &crate::db::Tenant,
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
    if filter
        .note_contains
        .as_deref()
        .is_some_and(|t| t.chars().count() > MAX_LISTED)
    {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            &["filter", "noteContains"],
            format!("at most {MAX_LISTED} characters"),
        ));
    }
    check(errors)?;
    atomically(db, organization_id, async |txn| {
        let needle = filter
            .note_contains
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
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
        // Page by id, so that a large log is never held in memory at once.
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
            if let Some(needle) = needle.as_deref().filter(|n| n.is_ascii()) {
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
                .filter(|(_, note)| match &needle {
                    Some(needle) => note
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase().contains(needle.as_str())),
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
        let redacted = Redacted { redacted: count };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_are_replaced_and_nothing_else() {
        let by = "p-1";
        assert_eq!(
            replace_words("Passed on by ann lee; ANN LEE agreed.", "Ann Lee", by),
            "Passed on by p-1; p-1 agreed."
        );
        assert_eq!(
            replace_words("Joann Leeds called", "Ann Lee", by),
            "Joann Leeds called"
        );
        assert_eq!(
            replace_words("mail ann@x.org, not joann@x.org", "ann@x.org", by),
            "mail p-1, not joann@x.org"
        );
        assert_eq!(replace_words("Zoë Ann", "Ann", by), "Zoë p-1");
        assert_eq!(replace_words("Ännchen", "nnchen", by), "Ännchen");
        assert_eq!(replace_words("", "Ann", by), "");
        // Other people's emails and hyphenated names are other words.
        assert_eq!(
            replace_words("mary.ann@x.org, ann@x.org.uk, ann+1@x.org", "ann@x.org", by),
            "mary.ann@x.org, ann@x.org.uk, ann+1@x.org"
        );
        assert_eq!(
            replace_words("Write to ann@x.org.", "ann@x.org", by),
            "Write to p-1."
        );
        assert_eq!(
            replace_words("Ann Lee-Smith", "Ann Lee", by),
            "Ann Lee-Smith"
        );
    }

    #[test]
    fn json_strings_are_scrubbed_whole_and_stay_json() {
        let ids: BTreeSet<String> = ["Ann@X.org".to_owned()].into();
        let texts = vec!["Ann Lee".to_owned(), "Ann@X.org".to_owned()];
        let mut value: Value = serde_json::from_str(
            r#"{"created_by":"ann@x.org","note":"line\nAnn Lee said \"hi\"","n":["x Ann Lee"]}"#,
        )
        .unwrap();
        scrub_strings(&mut value, &texts, &ids, "p-1");
        assert_eq!(value["created_by"], "p-1");
        assert_eq!(value["note"], "line\np-1 said \"hi\"");
        assert_eq!(value["n"][0], "x p-1");
    }

    #[test]
    fn a_record_keeps_everything_but_what_identifies_the_person() {
        let json = r#"{"id":7,"name":"Ann Lee","email":"ann@x.org","title":"Lead","function_id":3,"external_id":null}"#;
        let out: Value =
            serde_json::from_str(&pseudonymize_record(json, "Erased", "e@erased.invalid")).unwrap();
        assert_eq!(out["id"], 7);
        assert_eq!(out["function_id"], 3);
        assert_eq!(out["name"], "Erased");
        assert_eq!(out["email"], "e@erased.invalid");
        assert_eq!(out["title"], Value::Null);
        assert_eq!(out["external_id"], Value::Null);
    }
}
