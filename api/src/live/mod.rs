//! The live doors: GraphQL subscriptions over WebSocket ([`ws`]) and the webhook
//! sender ([`sender`]). Both only translate: what to push comes from
//! `service::notify::live` (the change table each replica reads) and `service::notify::webhook` (the
//! outbox).

pub mod sender;
pub mod ws;
