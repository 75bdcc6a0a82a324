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

pub mod access;
pub mod calendar;
pub mod duration;
pub mod error;
pub mod fields;
pub mod log;
pub mod model;
pub mod notify;
pub mod reports;
pub mod storage;
pub mod upgrade;

pub use error::{
    Code, Field, Place, ServiceError, ServiceResult, UserError, UserErrorCode, Write, WriteError,
};
pub use rules;
