//! What every door of a running server shares: configuration, authentication, the
//! application state, observability (request ids, log lines, metrics, traces), CORS,
//! and the health and metrics endpoints.

pub mod auth;
pub mod config;
pub mod cors;
pub mod health;
pub mod observe;
pub(crate) mod state;
pub mod telemetry;
