//! Webhooks: an organization's endpoints, and the outbox of messages to them.
//!
//! A change writes its messages to `webhook_delivery` in its own transaction
//! ([`enqueue`], called by `recording::enqueue_notices`), so a message exists exactly
//! when the change does. A sender (a door: it signs and posts) [`claim`]s due
//! messages with a lease, so that two replicas never post the same attempt and a
//! sender killed mid-post leaves the message to be taken again when the lease ends;
//! it then [`settle`]s each attempt: delivered, or retried later with backoff, or
//! given up. An endpoint that fails too often in a row is disabled, with the reason.
//! Delivery is at least once: receivers dedupe by the message id (`webhook-id`).
//!
//! Its rooms: [`endpoints`] (an organization's webhooks), [`messages`] (the JSON a
//! message carries) and [`outbox`] (messages written, claimed and settled).

mod endpoints;
mod messages;
mod outbox;

pub use endpoints::*;
pub(crate) use outbox::enqueue;
pub use outbox::{claim, prune, settle, Due, Outcome, RetryPolicy};

use entity::webhook_delivery;
use tokio::sync::Notify;

/// What a webhook can be told of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, strum::EnumIter)]
pub enum EventType {
    /// The SILO handoffs a recorded batch produced (one message per batch, with up
    /// to [`HANDOFFS_PER_MESSAGE`] handoffs; more make more messages).
    SiloHandoffsDetected,
    /// What a recorded batch or import did.
    InteractionsRecorded,
    /// What a batch or import of feedback did.
    FeedbackRecorded,
}

impl EventType {
    /// The `type` field of the message.
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::SiloHandoffsDetected => "silo_handoffs.detected",
            EventType::InteractionsRecorded => "interactions.recorded",
            EventType::FeedbackRecorded => "feedback.recorded",
        }
    }

    /// The event type a `type` field names.
    pub fn named(name: &str) -> Option<EventType> {
        <EventType as strum::IntoEnumIterator>::iter().find(|e| e.as_str() == name)
    }
}

/// Where a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumIter)]
pub enum Status {
    /// Not delivered yet; attempted again when due.
    Pending,
    Delivered,
    /// Given up after [`RetryPolicy::max_attempts`], or its endpoint was deleted.
    Failed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Delivered => "DELIVERED",
            Status::Failed => "FAILED",
        }
    }

    pub fn of(delivery: &webhook_delivery::Model) -> Status {
        <Status as strum::IntoEnumIterator>::iter()
            .find(|s| s.as_str() == delivery.status)
            .unwrap_or(Status::Pending)
    }
}

/// The most messages of one webhook a sender takes in one round.
pub(crate) const PER_WEBHOOK_A_ROUND: u64 = 4;
/// The most webhooks an organization may have.
pub const MAX_WEBHOOKS: usize = 20;
/// The most SILO handoffs one message carries.
pub const HANDOFFS_PER_MESSAGE: usize = 500;
/// The longest endpoint URL.
pub const MAX_URL: usize = 2048;
/// The secret's prefix, as the Standard Webhooks specification writes secrets.
pub const SECRET_PREFIX: &str = "whsec_";

/// Wakes this process's sender.
static WAKE: Notify = Notify::const_new();

pub(crate) fn wake() {
    WAKE.notify_waiters();
}

/// Resolves when a change in this process may have written messages (from when it
/// is created, even before it is first awaited).
pub fn woken() -> tokio::sync::futures::Notified<'static> {
    WAKE.notified()
}
