//! Domain operations over `&impl ConnectionTrait`, always scoped to one organization.
//! Writes own their transactions and write nothing when they fail.

pub mod function;
pub mod interaction;
pub mod journey;
pub mod organization;
pub mod ownership;
pub mod person;
pub mod report;
pub mod responsibility;
pub mod rollup;
pub mod scoped;
pub mod touchpoint;

use async_graphql::{Enum, SimpleObject};
use sea_orm::{DbErr, SqlErr};

use crate::error::{ApiError, ApiResult};

/// What a caller can fix about a mutation's input.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserErrorCode {
    /// A value is malformed or out of range.
    Invalid,
    /// A value must be given.
    Required,
    /// A name, email or external id is already taken in the organization.
    Duplicate,
    /// A referenced record does not exist in the organization.
    NotFound,
    /// The input contradicts what is recorded (e.g. an externalId recorded with other content).
    Conflict,
    /// Too many items in one request.
    TooMany,
}

/// A problem with a mutation's input that the caller can fix.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// What kind of problem this is.
    pub code: UserErrorCode,
    /// The path to the input field at fault, e.g. `["input", "3", "function"]`.
    pub path: Vec<String>,
    /// A sentence for a human.
    pub message: String,
}

impl UserError {
    pub fn new(code: UserErrorCode, path: &[&str], message: impl Into<String>) -> Self {
        UserError {
            code,
            path: path.iter().map(|s| (*s).to_owned()).collect(),
            message: message.into(),
        }
    }
}

/// The result of a write: a fault, or either the written value or what the caller
/// must fix (in which case nothing was written).
pub type Write<T> = ApiResult<Result<T, Vec<UserError>>>;

/// Maps a unique-constraint violation (a concurrent writer won the race) to a
/// DUPLICATE user error on `path`; anything else is a fault.
pub fn unique_violation(
    error: DbErr,
    path: &[&str],
    what: &str,
) -> Result<Vec<UserError>, ApiError> {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => Ok(vec![UserError::new(
            UserErrorCode::Duplicate,
            path,
            format!("{what} is already taken"),
        )]),
        _ => Err(error.into()),
    }
}

/// Longest name, title or reference accepted.
pub const MAX_NAME: usize = 200;

/// Trims a required name and checks its length.
pub fn clean_name(value: &str, path: &[&str], errors: &mut Vec<UserError>) -> String {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(UserError::new(
            UserErrorCode::Required,
            path,
            "must not be empty",
        ));
    } else if trimmed.chars().count() > MAX_NAME || trimmed.contains('\0') {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            path,
            format!("must be at most {MAX_NAME} characters, without NUL"),
        ));
    }
    trimmed.to_owned()
}

/// Trims an optional value; empty means absent.
pub fn clean_optional(
    value: Option<&str>,
    path: &[&str],
    errors: &mut Vec<UserError>,
) -> Option<String> {
    let value = value.map(str::trim).filter(|v| !v.is_empty())?;
    Some(clean_name(value, path, errors))
}

/// The case-insensitive key of a name.
pub fn name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The row id an input's reference names, or a NOT_FOUND user error on `path`.
pub async fn reference<E: scoped::OrgScoped>(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i64,
    id: &async_graphql::ID,
    path: &[&str],
    errors: &mut Vec<UserError>,
) -> ApiResult<Option<i64>> {
    if let Some(row) = crate::ids::decode::<E>(id) {
        if scoped::exists::<E>(db, organization_id, row).await? {
            return Ok(Some(row));
        }
    }
    errors.push(UserError::new(
        UserErrorCode::NotFound,
        path,
        format!("no {} with this id", E::TYPE.to_lowercase()),
    ));
    Ok(None)
}

/// The NOT_FOUND user error of a mutation's `id` argument.
pub fn no_such(what: &str) -> Vec<UserError> {
    vec![UserError::new(
        UserErrorCode::NotFound,
        &["id"],
        format!("no such {what}"),
    )]
}

/// Commits a written row, or turns a unique-constraint violation into a user error.
pub async fn finish<M>(
    txn: sea_orm::DatabaseTransaction,
    written: Result<M, DbErr>,
    path: &[&str],
    what: &str,
) -> Write<M> {
    match written {
        Ok(model) => {
            txn.commit().await?;
            Ok(Ok(model))
        }
        Err(e) => Ok(Err(unique_violation(e, path, what)?)),
    }
}

/// The row id of an optional reference (see [`reference`]).
pub async fn optional_reference<E: scoped::OrgScoped>(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i64,
    id: Option<&async_graphql::ID>,
    path: &[&str],
    errors: &mut Vec<UserError>,
) -> ApiResult<Option<i64>> {
    match id {
        Some(id) => reference::<E>(db, organization_id, id, path, errors).await,
        None => Ok(None),
    }
}

/// A change to a nullable reference: `None` leaves it, `Some(None)` clears it,
/// `Some(Some(id))` sets it (a missing row is a NOT_FOUND user error on `path`).
pub async fn reference_change<E: scoped::OrgScoped>(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i64,
    id: &async_graphql::MaybeUndefined<async_graphql::ID>,
    path: &[&str],
    errors: &mut Vec<UserError>,
) -> ApiResult<Option<Option<i64>>> {
    Ok(match id {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(id) => {
            Some(reference::<E>(db, organization_id, id, path, errors).await?)
        }
    })
}

/// Adds a DUPLICATE user error on `["input", field]` when another row (not `this`) of
/// the organization has `key` in `column`.
#[allow(clippy::too_many_arguments)]
pub async fn ensure_free<E: scoped::OrgScoped>(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i64,
    this: Option<i64>,
    column: E::Column,
    key: &str,
    field: &str,
    shown: &str,
    errors: &mut Vec<UserError>,
) -> ApiResult<()> {
    if scoped::taken::<E>(db, organization_id, this, column, key).await? {
        errors.push(UserError::new(
            UserErrorCode::Duplicate,
            &["input", field],
            format!(
                "another {} has the {field} `{shown}`",
                E::TYPE.to_lowercase()
            ),
        ));
    }
    Ok(())
}
