//! sea-orm entities of siloscope: one module per table and nothing else.
//!
//! Every instant is stored as whole microseconds since the Unix epoch (UTC) in a
//! BIGINT column: it compares and aggregates the same way on SQLite and PostgreSQL.

pub mod acknowledgement;
pub mod api_key;
pub mod audit_event;
pub mod customer_case;
pub mod enums;
pub mod feedback;
pub mod function;
pub mod interaction;
pub mod journey;
pub mod live_event;
pub mod membership;
pub mod organization;
pub mod person;
pub mod responsibility;
pub mod server_secret;
pub mod stage;
pub mod step;
pub mod step_rollup;
pub mod step_rollup_entry;
pub mod touchpoint;
pub mod touchpoint_rollup;
pub mod trusted_document;
pub mod webhook;
pub mod webhook_delivery;
