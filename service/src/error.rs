//! The one catalogue of error codes, the fault a request ends with, and the user
//! errors a write reports. Every door (GraphQL errors, HTTP refusals, userErrors, and
//! the doors to come) takes its codes from [`Code`]; `docs/errors.md` lists them, and
//! a test keeps the two in step.

use std::borrow::Cow;
use std::sync::Arc;

use sea_orm::{DbErr, SqlErr};

/// Every code a client of siloscope can see, in `extensions.code`, in an HTTP
/// refusal's body or in a `userErrors` entry. Shown in SCREAMING_SNAKE_CASE.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::Display, strum::EnumIter,
)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum Code {
    // Faults a request ends with.
    /// No token, or one that is malformed, expired or not signed by a trusted key.
    Unauthenticated,
    /// The token's roles do not allow this.
    Forbidden,
    /// An argument is malformed or out of range.
    BadUserInput,
    /// The thing asked for does not exist in the organization.
    NotFound,
    /// The request contradicts what is recorded.
    Conflict,
    /// The database cannot be reached; retry later.
    Unavailable,
    /// The request ran longer than the configured timeout; its writes were rolled back.
    Timeout,
    /// The organization already runs as many reports at once as it may; retry shortly.
    TooManyRequests,
    /// Something failed inside siloscope; the cause is logged, never sent.
    Internal,
    // Refusals before execution.
    /// The GraphQL document does not parse.
    GraphqlParseFailed,
    /// The GraphQL document does not validate against the schema.
    GraphqlValidationFailed,
    /// The selection is nested deeper than the configured limit.
    QueryTooDeep,
    /// The query's cost is above the configured limit.
    QueryTooComplex,
    /// The document has more lexical tokens than the configured limit.
    TooManyTokens,
    /// The document has more aliases than the configured limit.
    TooManyAliases,
    /// The document has more directives than the configured limit.
    TooManyDirectives,
    /// The body is larger than the configured limit.
    RequestTooLarge,
    /// A JSON array of operations was sent; send one operation per request.
    BatchNotSupported,
    /// The HTTP request itself is malformed (body not JSON, a parameter of the wrong type).
    BadRequest,
    /// A request named a document by id (trusted documents) that is not registered.
    PersistedQueryNotFound,
    /// Trusted documents are enforced and the caller's roles may not send a document
    /// that is not registered.
    DocumentNotTrusted,
    /// The `Accept` header names no media type siloscope can answer with.
    NotAcceptable,
    /// The body's `Content-Type` is not one siloscope reads.
    UnsupportedMediaType,
    /// The HTTP method may not carry this operation (a mutation over GET).
    MethodNotAllowed,
    /// An import's file was malformed or some of its rows were refused; nothing was
    /// written.
    ImportRejected,
    // What a caller can fix in a mutation's input (userErrors).
    /// A value is malformed or out of range.
    Invalid,
    /// A value must be given.
    Required,
    /// A name, email or external id is already taken in the organization.
    Duplicate,
    /// Too many items in one request.
    TooMany,
}

impl Code {
    /// The code as clients see it, e.g. `BAD_USER_INPUT`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The HTTP status a request refused with this code gets (GraphQL errors inside a
    /// 200 response keep their 200).
    pub fn http_status(self) -> u16 {
        match self {
            Code::Unauthenticated => 401,
            Code::Forbidden | Code::DocumentNotTrusted => 403,
            Code::NotFound => 404,
            Code::Conflict | Code::Duplicate => 409,
            Code::Unavailable | Code::Timeout => 503,
            Code::TooManyRequests => 429,
            Code::Internal => 500,
            Code::RequestTooLarge => 413,
            Code::NotAcceptable => 406,
            Code::UnsupportedMediaType => 415,
            Code::MethodNotAllowed => 405,
            Code::ImportRejected => 422,
            _ => 400,
        }
    }
}

/// A fault a request ends with: its code and a message for the caller.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadUserInput(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// The database cannot be reached; the request may be retried.
    #[error("{0}")]
    Unavailable(String),
    /// The organization runs as many reports at once as it may; retry shortly.
    #[error("{0}")]
    TooManyRequests(String),
    /// The cause is logged, never sent.
    #[error("internal error")]
    Internal(Arc<anyhow::Error>),
}

impl ServiceError {
    /// The error's code.
    pub fn code(&self) -> Code {
        match self {
            ServiceError::Unauthenticated(_) => Code::Unauthenticated,
            ServiceError::Forbidden(_) => Code::Forbidden,
            ServiceError::BadUserInput(_) => Code::BadUserInput,
            ServiceError::NotFound(_) => Code::NotFound,
            ServiceError::Conflict(_) => Code::Conflict,
            ServiceError::Unavailable(_) => Code::Unavailable,
            ServiceError::TooManyRequests(_) => Code::TooManyRequests,
            ServiceError::Internal(_) => Code::Internal,
        }
    }

    pub fn bad_input(message: impl Into<String>) -> Self {
        ServiceError::BadUserInput(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        ServiceError::Forbidden(message.into())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        ServiceError::NotFound(what.into())
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        ServiceError::Internal(Arc::new(error.into()))
    }
}

impl From<DbErr> for ServiceError {
    fn from(error: DbErr) -> Self {
        if looks_pooled(&error.to_string()) {
            tracing::error!(
                error = %error,
                "the database URL looks like a connection pooler in transaction mode (PgBouncer): \
                 set SILOSCOPE_DATABASE_POOLER=transaction"
            );
        }
        if is_unavailable(&error) {
            tracing::warn!(error = %error, "the database is unavailable");
            return ServiceError::Unavailable(
                "the database is unavailable; retry the request later".into(),
            );
        }
        ServiceError::internal(error)
    }
}

/// Whether an error's text is what a transaction-mode pooler does to prepared
/// statements that outlive their transaction.
pub fn looks_pooled(text: &str) -> bool {
    text.contains("prepared statement \"sqlx_s_")
}

/// Whether a database error means the database could not be reached (as opposed to a
/// statement that failed).
fn is_unavailable(error: &DbErr) -> bool {
    use sea_orm::{sqlx, RuntimeErr};
    let sqlx_error = match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => return true,
        DbErr::Query(RuntimeErr::SqlxError(e)) | DbErr::Exec(RuntimeErr::SqlxError(e)) => e,
        _ => return false,
    };
    match sqlx_error.as_ref() {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => {
            // 57P01..57P03: the server is shutting down or not accepting connections.
            e.code()
                .is_some_and(|c| c.starts_with("57P") || c.starts_with("08"))
        }
        _ => false,
    }
}

impl From<anyhow::Error> for ServiceError {
    fn from(error: anyhow::Error) -> Self {
        ServiceError::Internal(Arc::new(error))
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// The codes a `userErrors` entry can carry: the part of [`Code`] a caller fixes in
/// the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserErrorCode {
    Invalid,
    Required,
    Duplicate,
    NotFound,
    Conflict,
    TooMany,
}

impl From<UserErrorCode> for Code {
    fn from(code: UserErrorCode) -> Code {
        match code {
            UserErrorCode::Invalid => Code::Invalid,
            UserErrorCode::Required => Code::Required,
            UserErrorCode::Duplicate => Code::Duplicate,
            UserErrorCode::NotFound => Code::NotFound,
            UserErrorCode::Conflict => Code::Conflict,
            UserErrorCode::TooMany => Code::TooMany,
        }
    }
}

/// Where in a write's input a problem is, in the service's own terms: the field by its
/// name here (`name`, `external_id`, `occurred_at`…; `id` for the record a write
/// addresses), the item's index when the input holds several, and the list the item is
/// in when it holds several lists (`people`, `functions`). Each door says it in its own
/// words: a GraphQL path, a CSV line and column, a SCIM attribute, an XES event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// The list (or the part of the input) the field is in.
    pub list: Option<Cow<'static, str>>,
    /// The item's index, from 0.
    pub item: Option<usize>,
    /// The field; empty for the item (or the input) as a whole.
    pub name: Cow<'static, str>,
}

impl Field {
    /// A field of the input.
    pub fn of(name: impl Into<Cow<'static, str>>) -> Field {
        Field {
            list: None,
            item: None,
            name: name.into(),
        }
    }

    /// The record a write addresses.
    pub fn id() -> Field {
        Field::of("id")
    }

    /// A field of the input's item `item`.
    pub fn item(item: usize, name: impl Into<Cow<'static, str>>) -> Field {
        Field {
            list: None,
            item: Some(item),
            name: name.into(),
        }
    }

    /// A field of item `item` of the input's list `list`.
    pub fn listed(
        list: impl Into<Cow<'static, str>>,
        item: usize,
        name: impl Into<Cow<'static, str>>,
    ) -> Field {
        Field {
            list: Some(list.into()),
            item: Some(item),
            name: name.into(),
        }
    }

    /// A field of the part `part` of the input (a filter, say).
    pub fn within(part: impl Into<Cow<'static, str>>, name: impl Into<Cow<'static, str>>) -> Field {
        Field {
            list: Some(part.into()),
            item: None,
            name: name.into(),
        }
    }

    /// Item `item` of the list `list`, as a whole.
    pub fn entry(list: impl Into<Cow<'static, str>>, item: usize) -> Field {
        Field {
            list: Some(list.into()),
            item: Some(item),
            name: Cow::Borrowed(""),
        }
    }

    /// The same field of item `item` (of the same list).
    pub fn at_item(mut self, item: usize) -> Field {
        self.item = Some(item);
        self
    }

    /// The field's name for a sentence: `external_id` is "the external id".
    pub fn label(&self) -> String {
        if self.name.is_empty() {
            "the value".to_owned()
        } else {
            format!("the {}", self.name.replace('_', " "))
        }
    }
}

/// Where a record's fields are in a write's input: the input itself, or item `item` of
/// its list `list` (a sync's `people`, a chart's `functions`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Place {
    pub list: Option<&'static str>,
    pub item: Option<usize>,
}

impl Place {
    /// The input itself.
    pub fn input() -> Place {
        Place::default()
    }

    /// Item `item` of the input's list `list`.
    pub fn listed(list: &'static str, item: usize) -> Place {
        Place {
            list: Some(list),
            item: Some(item),
        }
    }

    /// The field `name` of the record here.
    pub fn field(self, name: &'static str) -> Field {
        Field {
            list: self.list.map(Cow::Borrowed),
            item: self.item,
            name: Cow::Borrowed(name),
        }
    }
}

/// A problem with a write's input that the caller can fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    pub code: UserErrorCode,
    /// Where the problem is.
    pub field: Field,
    /// A sentence for a human.
    pub message: String,
}

impl UserError {
    pub fn new(code: UserErrorCode, field: Field, message: impl Into<String>) -> Self {
        UserError {
            code,
            field,
            message: message.into(),
        }
    }
}

/// Why a write wrote nothing: input the caller can fix, or a fault.
#[derive(Debug, Clone)]
pub enum WriteError {
    /// What the caller must fix; never empty.
    Invalid(Vec<UserError>),
    /// The request failed for a reason the input does not explain.
    Fault(ServiceError),
}

impl From<ServiceError> for WriteError {
    fn from(error: ServiceError) -> Self {
        WriteError::Fault(error)
    }
}

impl From<DbErr> for WriteError {
    fn from(error: DbErr) -> Self {
        WriteError::Fault(error.into())
    }
}

impl From<Vec<UserError>> for WriteError {
    fn from(errors: Vec<UserError>) -> Self {
        WriteError::Invalid(errors)
    }
}

impl From<UserError> for WriteError {
    fn from(error: UserError) -> Self {
        WriteError::Invalid(vec![error])
    }
}

/// The result of a write: the written value, or why nothing was written.
pub type Write<T> = Result<T, WriteError>;

/// Fails with the collected user errors, if any.
pub fn check(errors: Vec<UserError>) -> Result<(), WriteError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(WriteError::Invalid(errors))
    }
}

/// The NOT_FOUND user error of a write's `id` argument.
pub fn no_such(what: &str) -> WriteError {
    UserError::new(
        UserErrorCode::NotFound,
        Field::id(),
        format!("no such {what}"),
    )
    .into()
}

/// A unique-constraint violation (a concurrent writer won the race) as a DUPLICATE
/// user error on `field`; anything else is a fault.
pub fn unique_violation(error: DbErr, field: Field, what: &str) -> WriteError {
    match error.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => UserError::new(
            UserErrorCode::Duplicate,
            field,
            format!("{what} is already taken"),
        )
        .into(),
        _ => error.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn every_code_is_documented_in_the_catalogue_page() {
        let page = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/errors.md"));
        let missing: Vec<&str> = Code::iter()
            .map(Code::as_str)
            .filter(|code| !page.contains(&format!("`{code}`")))
            .collect();
        assert!(missing.is_empty(), "docs/errors.md lacks {missing:?}");
    }

    #[test]
    fn codes_read_as_clients_see_them() {
        assert_eq!(Code::BadUserInput.as_str(), "BAD_USER_INPUT");
        assert_eq!(Code::GraphqlParseFailed.as_str(), "GRAPHQL_PARSE_FAILED");
        assert_eq!(Code::from(UserErrorCode::TooMany).as_str(), "TOO_MANY");
    }
}
