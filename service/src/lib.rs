//! siloscope's services: every operation on an organization's model, its interaction
//! log and its reports, over `entity/` and sea-orm, in plain Rust.
//!
//! Every door (GraphQL, and the doors to come: SCIM, file imports, the dashboard,
//! subscriptions and webhooks) calls these functions and only translates. So this
//! crate knows no async-graphql, no actix and no wire format: inputs and outputs are
//! structs and enums of its own (or `entity`'s), ids are row ids, and a write returns
//! [`Write`]: the written value, or [`WriteError::Invalid`] with what the caller must
//! fix, or [`WriteError::Fault`]. Who may call what is decided by the doors; every
//! function here is scoped to the organization it is given.
//!
//! The detection rules themselves live in the `rules` crate (re-exported here).

pub mod api_key;
pub mod audit;
pub mod backup;
pub(crate) mod bulk;
pub mod calendar;
pub mod chart;
pub mod db;
pub mod derived;
pub mod directory;
pub mod document;
pub mod drift;
pub mod duration;
pub mod erasure;
pub mod error;
pub mod export;
pub mod fields;
pub mod function;
pub mod handoff;
pub mod import;
pub mod journey;
pub mod live;
pub mod names;
pub mod organization;
pub mod ownership;
pub mod person;
pub mod picture;
pub mod recording;
pub mod report;
pub mod responsibility;
pub mod retention;
pub mod scoped;
pub mod secret;
pub mod snapshot;
pub mod touchpoint;
pub mod webhook;

pub use error::{ApiError, ApiResult, Code, UserError, UserErrorCode, Write, WriteError};
pub use rules;
