//! Answers to queries, kept for the next identical request until the organization's
//! next write.
//!
//! A query's answer depends on the organization's rows, the caller (the token's
//! subject and roles) and the request (document, operation, variables, media type).
//! Every write to an organization raises its revision in the write's transaction
//! (`service::storage::db::begin_change`), so an answer kept under (organization, revision,
//! caller, request) is exactly what executing the request again would give; a write
//! makes every earlier answer unreachable at once, on every replica. Mutations are
//! never kept, nor any answer with an error (limits, refusals, faults). Each replica
//! keeps its own answers: nothing here needs sharing, a miss only costs executing.

use std::sync::Arc;

use quick_cache::sync::Cache;
use quick_cache::Weighter;

use crate::graphql::over_http::Media;
use crate::server::auth::{AccessRole, Viewer};

/// What an answer depends on besides the organization's rows.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    organization_id: i64,
    revision: i64,
    subject: String,
    roles: Vec<AccessRole>,
    query: String,
    operation_name: Option<String>,
    /// The variables as JSON text (`null` when none).
    variables: String,
    media: Media,
}

impl Key {
    pub fn new(
        viewer: &Viewer,
        revision: i64,
        query: &str,
        operation_name: Option<&str>,
        variables: Option<&serde_json::Value>,
        media: Media,
    ) -> Key {
        let mut roles: Vec<AccessRole> = viewer.roles.iter().copied().collect();
        roles.sort_unstable_by_key(|r| *r as u8);
        Key {
            organization_id: viewer.organization_id,
            revision,
            subject: viewer.subject.clone(),
            roles,
            query: query.to_owned(),
            operation_name: operation_name.map(str::to_owned),
            variables: variables.map_or_else(|| "null".to_owned(), ToString::to_string),
            media,
        }
    }
}

/// A kept answer: its body as sent.
pub type Answer = Arc<Vec<u8>>;

/// Weighs an answer by about the bytes it and its key hold.
#[derive(Clone, Copy)]
struct Bytes;

impl Weighter<Key, Answer> for Bytes {
    fn weight(&self, key: &Key, answer: &Answer) -> u64 {
        (128 + key.query.len() + key.variables.len() + key.subject.len() + answer.len()) as u64
    }
}

/// The answers kept on this server.
pub struct Answers(Option<Cache<Key, Answer, Bytes>>);

impl Answers {
    /// Answers up to about `bytes` (none when 0).
    pub fn new(bytes: u64) -> Answers {
        Answers(
            (bytes > 0)
                .then(|| Cache::with_weighter((bytes / 2048).max(16) as usize, bytes, Bytes)),
        )
    }

    /// Whether answers are kept at all.
    pub fn enabled(&self) -> bool {
        self.0.is_some()
    }

    pub fn get(&self, key: &Key) -> Option<Answer> {
        self.0.as_ref()?.get(key)
    }

    pub fn keep(&self, key: Key, answer: Answer) {
        if let Some(cache) = &self.0 {
            cache.insert(key, answer);
        }
    }
}
