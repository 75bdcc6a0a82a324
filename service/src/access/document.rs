//! Trusted documents: the GraphQL documents an operator registered for clients to
//! send by id, as the GraphQL Trusted Documents practice and Apollo's persisted
//! queries do. A document's id is `sha256:` and the SHA-256 of its exact text in
//! lowercase hex, so a client computes it at build time without asking the server.
//! Registered documents are shared by every organization and never change: a
//! document is added or removed, not edited.

use entity::trusted_document;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::{ServiceError, ServiceResult};

/// The prefix of every document id.
pub const PREFIX: &str = "sha256:";

/// Largest document that may be registered (the request limits apply to it too).
pub const MAX_BYTES: usize = 1 << 20;

/// The id of a document's exact text.
pub fn id_of(text: &str) -> String {
    format!("{PREFIX}{}", crate::access::api_key::sha256_hex(text))
}

/// A document id as a client sent it, checked and in canonical form: `sha256:` and 64
/// hex digits (the bare hex of Apollo's `sha256Hash` is accepted too).
pub fn canonical_id(given: &str) -> ServiceResult<String> {
    let hex = given.strip_prefix(PREFIX).unwrap_or(given);
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ServiceError::bad_input(
            "a document id is `sha256:` followed by 64 hexadecimal digits",
        ));
    }
    Ok(format!("{PREFIX}{}", hex.to_ascii_lowercase()))
}

/// What `register` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registered {
    pub document_id: String,
    /// False when the same text was registered already.
    pub added: bool,
}

/// Registers a document's text under its id; registering it again changes nothing.
pub async fn register(
    db: &crate::storage::db::Owner,
    text: &str,
    name: Option<&str>,
) -> ServiceResult<Registered> {
    if text.trim().is_empty() {
        return Err(ServiceError::bad_input("the document is empty"));
    }
    if text.len() > MAX_BYTES {
        return Err(ServiceError::bad_input(format!(
            "the document is over {MAX_BYTES} bytes"
        )));
    }
    if text.contains('\0') {
        return Err(ServiceError::bad_input(
            "the document contains a NUL character",
        ));
    }
    let document_id = id_of(text);
    if find(db, &document_id).await?.is_some() {
        return Ok(Registered {
            document_id,
            added: false,
        });
    }
    trusted_document::ActiveModel {
        document_id: Set(document_id.clone()),
        body: Set(text.to_owned()),
        name: Set(name.map(|n| n.chars().take(200).collect())),
        created_at: Set(crate::storage::db::now_micros()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(Registered {
        document_id,
        added: true,
    })
}

/// The text of a registered document.
pub async fn find<C: sea_orm::ConnectionTrait>(
    db: &C,
    document_id: &str,
) -> ServiceResult<Option<String>> {
    Ok(trusted_document::Entity::find()
        .filter(trusted_document::Column::DocumentId.eq(document_id))
        .one(db)
        .await?
        .map(|d| d.body))
}

/// Whether a document's exact text is registered.
pub async fn is_registered<C: sea_orm::ConnectionTrait>(db: &C, text: &str) -> ServiceResult<bool> {
    Ok(find(db, &id_of(text)).await?.is_some())
}

/// Every registered document, oldest first.
pub async fn list(db: &crate::storage::db::Owner) -> ServiceResult<Vec<trusted_document::Model>> {
    Ok(trusted_document::Entity::find()
        .order_by_asc(trusted_document::Column::Id)
        .all(db)
        .await?)
}

/// Removes a registered document; false when there was none.
pub async fn remove(db: &crate::storage::db::Owner, document_id: &str) -> ServiceResult<bool> {
    let document_id = canonical_id(document_id)?;
    let result = trusted_document::Entity::delete_many()
        .filter(trusted_document::Column::DocumentId.eq(document_id))
        .exec(db)
        .await?;
    Ok(result.rows_affected > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_sha256_of_the_exact_text() {
        // The SHA-256 of the empty string, a published test vector.
        assert_eq!(
            id_of(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_ne!(id_of("{ a }"), id_of("{ a }\n"));
        let id = id_of("{ a }");
        assert_eq!(canonical_id(&id).unwrap(), id);
        assert_eq!(
            canonical_id(&id[PREFIX.len()..].to_uppercase()).unwrap(),
            id
        );
        assert!(canonical_id("sha256:xyz").is_err());
        assert!(canonical_id("md5:00").is_err());
    }
}
