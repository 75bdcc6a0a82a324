//! Telling the world: the change table and each replica's relay (subscriptions), and
//! webhooks with their outbox.

pub mod live;
pub mod webhook;
