//! Cleaning and checking the fields of a write's input: names, optional values,
//! references to other rows and uniqueness. Each check adds a [`UserError`] on the
//! field instead of failing, so a write reports every problem at once.

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr};

use crate::error::{
    unique_violation, Field, Place, ServiceResult, UserError, UserErrorCode, Write,
};
use crate::storage::scoped::{self, OrgScoped};

/// Longest name, title or reference accepted.
pub const MAX_NAME: usize = 200;

/// Trims a required name and checks its length.
pub fn clean_name(value: &str, field: Field, errors: &mut Vec<UserError>) -> String {
    let trimmed = value.trim();
    // The message names the field, for doors that show it without saying where.
    let label = field.label();
    if trimmed.is_empty() {
        errors.push(UserError::new(
            UserErrorCode::Required,
            field,
            format!("{label} must not be empty"),
        ));
    } else if trimmed.chars().count() > MAX_NAME || trimmed.contains('\0') {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            field,
            format!("{label} must be at most {MAX_NAME} characters, without NUL"),
        ));
    }
    trimmed.to_owned()
}

/// Trims an optional value; empty means absent.
pub fn clean_optional(
    value: Option<&str>,
    field: Field,
    errors: &mut Vec<UserError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    Some(clean_name(value, field, errors))
}

/// A change to an optional value: `None` leaves it, `Some(None)` or an empty value
/// clears it, `Some(Some(v))` sets it (cleaned as [`clean_optional`]).
pub fn clean_change(
    value: Option<Option<&str>>,
    field: Field,
    errors: &mut Vec<UserError>,
) -> Option<Option<String>> {
    value.map(|v| clean_optional(v, field, errors))
}

/// The case-insensitive key of a name.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The row `id` if it exists in the organization, or a NOT_FOUND user error on `field`.
pub async fn reference<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
    field: Field,
    errors: &mut Vec<UserError>,
) -> ServiceResult<Option<i64>> {
    if scoped::exists::<E>(db, organization_id, id).await? {
        return Ok(Some(id));
    }
    errors.push(UserError::new(
        UserErrorCode::NotFound,
        field,
        format!("no {} with this id", E::TYPE.to_lowercase()),
    ));
    Ok(None)
}

/// The row id of an optional reference (see [`reference`]).
pub async fn optional_reference<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: Option<i64>,
    field: Field,
    errors: &mut Vec<UserError>,
) -> ServiceResult<Option<i64>> {
    match id {
        Some(id) => reference::<E>(db, organization_id, id, field, errors).await,
        None => Ok(None),
    }
}

/// A change to a nullable reference: `None` leaves it, `Some(None)` clears it,
/// `Some(Some(id))` sets it (a missing row is a NOT_FOUND user error on `field`).
pub async fn reference_change<E: OrgScoped>(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: Option<Option<i64>>,
    field: Field,
    errors: &mut Vec<UserError>,
) -> ServiceResult<Option<Option<i64>>> {
    Ok(match id {
        None => None,
        Some(None) => Some(None),
        Some(Some(id)) => Some(reference::<E>(db, organization_id, id, field, errors).await?),
    })
}

/// A value that must be unique in the organization: [`Unique::check`] adds a DUPLICATE
/// user error on its field when another row has it.
pub struct Unique<'a, E: OrgScoped> {
    pub column: E::Column,
    /// The stored, comparable form (e.g. lower-cased).
    pub key: String,
    /// The field's name.
    pub field: &'static str,
    /// The value as the caller wrote it.
    pub shown: &'a str,
}

impl<'a, E: OrgScoped> Unique<'a, E> {
    /// A name, compared case-insensitively through its key `column`.
    pub fn name(column: E::Column, name: &'a str) -> Self {
        Unique {
            column,
            key: name_key(name),
            field: "name",
            shown: name,
        }
    }

    /// An email address, compared case-insensitively through its key `column`.
    pub fn email(column: E::Column, email: &'a str) -> Self {
        Unique {
            column,
            key: email.to_lowercase(),
            field: "email",
            shown: email,
        }
    }

    /// A directory's user name, compared case-insensitively through its key `column`.
    pub fn user_name(column: E::Column, user_name: &'a str) -> Self {
        Unique {
            column,
            key: user_name.to_lowercase(),
            field: "user_name",
            shown: user_name,
        }
    }

    /// An HR system's id, compared as it is.
    pub fn external_id(column: E::Column, external_id: &'a str) -> Self {
        Unique {
            column,
            key: external_id.to_owned(),
            field: "external_id",
            shown: external_id,
        }
    }

    /// Checks the value is free in the organization (except on the row `this`; rows a
    /// directory deleted count, since they can come back); the error is placed at
    /// `place`.
    pub async fn check(
        &self,
        db: &impl ConnectionTrait,
        organization_id: i64,
        this: Option<i64>,
        place: Place,
        errors: &mut Vec<UserError>,
    ) -> ServiceResult<()> {
        if scoped::taken::<E>(db, organization_id, this, self.column, &self.key).await? {
            let field = place.field(self.field);
            errors.push(UserError::new(
                UserErrorCode::Duplicate,
                field.clone(),
                format!(
                    "another {} has {} `{}`",
                    E::TYPE.to_lowercase(),
                    field.label(),
                    self.shown
                ),
            ));
        }
        Ok(())
    }
}

/// What a write records in the audit trail: the action (`kind.verb`), the entity's
/// type name and the row as it was before (none for a creation).
pub struct Audit<'a, M> {
    pub organization_id: i64,
    pub action: &'a str,
    pub kind: &'a str,
    pub before: Option<M>,
}

/// Records a written row in the audit trail and commits, or turns a unique-constraint
/// violation (a concurrent writer won the race) into a DUPLICATE user error on `field`.
pub async fn finish<M: serde::Serialize + crate::access::audit::HasId>(
    txn: DatabaseTransaction,
    written: Result<M, DbErr>,
    field: Field,
    what: &str,
    audit: Audit<'_, M>,
) -> Write<M> {
    match written {
        Ok(model) => {
            crate::access::audit::record_row(
                &txn,
                audit.organization_id,
                audit.action,
                audit.kind,
                audit.before.as_ref(),
                Some(&model),
            )
            .await?;
            txn.commit().await?;
            Ok(model)
        }
        Err(e) => Err(unique_violation(e, field, what)),
    }
}
