//! Erasure and redaction (docs/rules.md §8): what a data-protection request needs.
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
//! re-marked when the phrase lists change.//!
//! Beside it: [`redaction`] (blanking notes) and [`words`] (finding a person's name
//! and ids in text, JSON and SQL).

mod redaction;
mod words;

pub use redaction::{redact_interactions, RedactFilter, Redacted, MAX_LISTED};

use std::collections::BTreeSet;

use entity::{api_key, audit_event, interaction, person, webhook};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, QueryFilter,
    QuerySelect, Set,
};
use serde::Serialize;
use serde_json::Value;

use crate::error::{no_such, ServiceError, Write};
use crate::storage::db::{atomically, now_micros};
use crate::storage::scoped::find;

use words::{json_text, lower_equals_any, lower_like, replace_words, scrub_strings};

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
    db: &crate::storage::db::Tenant,
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
        crate::storage::db::leave_tenant_role(txn).await?;
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
        crate::storage::db::return_to_tenant_role(txn, organization_id).await?;
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
        crate::access::audit::record(
            txn,
            organization_id,
            crate::access::audit::Change {
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
) -> Result<Vec<audit_event::Model>, ServiceError> {
    Ok(audit_event::Entity::find()
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::EntityKind.eq("Person"))
        .filter(audit_event::Column::EntityId.eq(person_id.to_string()))
        .all(txn)
        .await?)
}

/// A serialized record of the person with its identifying fields replaced.
pub(super) fn pseudonymize_record(json: &str, name: &str, email: &str) -> String {
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
) -> Result<(), ServiceError> {
    if ids.is_empty() {
        return Ok(());
    }
    audit_event::Entity::update_many()
        .col_expr(audit_event::Column::Actor, Expr::value(pseudonym))
        .filter(audit_event::Column::OrganizationId.eq(organization_id))
        .filter(audit_event::Column::ActorKind.eq(crate::access::audit::ActorKind::Token.as_str()))
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

/// Replaces the whole-word quotes of `texts` in one table's free text (interaction
/// notes, feedback comments) with the pseudonym.
async fn requote<E: EntityTrait>(
    txn: &DatabaseTransaction,
    (organization, organization_id): (E::Column, i64),
    (id, text): (E::Column, E::Column),
    texts: &[String],
    pseudonym: &str,
) -> Result<(), ServiceError> {
    let mut quoting = Condition::any();
    for quoted in texts {
        quoting = quoting.add(lower_like(text, quoted));
    }
    let rows: Vec<(i64, Option<String>)> = E::find()
        .filter(organization.eq(organization_id))
        .filter(quoting)
        .select_only()
        .columns([id, text])
        .into_tuple()
        .all(txn)
        .await?;
    for (row, value) in rows {
        let Some(value) = value else { continue };
        let replaced = texts.iter().fold(value.clone(), |n, quoted| {
            replace_words(&n, quoted, pseudonym)
        });
        if replaced != value {
            E::update_many()
                .col_expr(text, Expr::value(replaced))
                .filter(id.eq(row))
                .exec(txn)
                .await?;
        }
    }
    Ok(())
}

/// Replaces what is the person's in the organization's notes and feedback comments (their name or email
/// quoted as whole words) and audit values (any string that is one of their ids, and
/// quotes of their name or email inside strings).
async fn quote_no_more(
    txn: &DatabaseTransaction,
    organization_id: i64,
    known: &Known,
    pseudonym: &str,
) -> Result<(), ServiceError> {
    let texts = known.quoted();
    if !texts.is_empty() {
        use interaction::Column as I;
        requote::<interaction::Entity>(
            txn,
            (I::OrganizationId, organization_id),
            (I::Id, I::Note),
            &texts,
            pseudonym,
        )
        .await?;
        use entity::feedback::Column as F;
        requote::<entity::feedback::Entity>(
            txn,
            (F::OrganizationId, organization_id),
            (F::Id, F::Comment),
            &texts,
            pseudonym,
        )
        .await?;
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
