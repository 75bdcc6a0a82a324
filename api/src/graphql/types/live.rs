//! What live delivery and webhooks show: a recorded batch as subscribers see it, and
//! an organization's webhooks with their messages. Webhooks and their messages change
//! without a write to the organization (a sender settles attempts), so answers that
//! hold them are never kept (`cache_control(no_cache)`).

use async_graphql::{Enum, Object, SimpleObject, ID};
use entity::{webhook, webhook_delivery};

use super::window::{instant, Instant};
use crate::graphql::ids;

/// Where a recorded batch came in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "RecordingSource", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum RecordingSourceEnum {
    /// `recordInteractions`.
    Record,
    /// A file import (`POST /import/interactions` or the command line).
    Import,
}

impl From<service::notify::live::Source> for RecordingSourceEnum {
    fn from(source: service::notify::live::Source) -> Self {
        match source {
            service::notify::live::Source::Record => RecordingSourceEnum::Record,
            service::notify::live::Source::Import => RecordingSourceEnum::Import,
        }
    }
}

/// What one recorded batch (a `recordInteractions` call or a whole import) did, as
/// `interactionsRecorded` tells it.
#[derive(SimpleObject, Clone, Debug)]
pub struct RecordedBatch {
    /// Where it came in.
    pub source: RecordingSourceEnum,
    /// When it was committed.
    pub at: Instant,
    /// Interactions newly written.
    pub recorded: i64,
    /// Items already recorded with the same content, left as they were.
    pub duplicates: i64,
    /// Handoffs the affected cases have now minus before.
    pub new_handoffs: i64,
    /// SILO handoffs the affected cases have now minus before.
    pub new_silo_handoffs: i64,
}

/// What one batch of feedback (a `recordFeedback` call or a whole import) did, as
/// `feedbackRecorded` tells it.
#[derive(SimpleObject, Clone, Debug)]
pub struct FeedbackBatch {
    /// Where it came in.
    pub source: RecordingSourceEnum,
    /// When it was committed.
    pub at: Instant,
    /// Surveys offered and complaints made, newly recorded.
    pub recorded: i64,
    /// Surveys recorded as offered whose answer the batch added.
    pub answered: i64,
    /// Items recorded already, left as they were.
    pub duplicates: i64,
    /// Of those recorded, complaints.
    pub complaints: i64,
}

impl FeedbackBatch {
    /// The feedback batch a summary tells of, if it is one.
    pub fn of(summary: &service::notify::live::BatchSummary) -> Option<FeedbackBatch> {
        let counts = summary.feedback?;
        Some(FeedbackBatch {
            source: summary.source.into(),
            at: instant(summary.at),
            recorded: counts.recorded,
            answered: counts.answered,
            duplicates: counts.duplicates,
            complaints: counts.complaints,
        })
    }
}

impl From<&service::notify::live::BatchSummary> for RecordedBatch {
    fn from(summary: &service::notify::live::BatchSummary) -> Self {
        RecordedBatch {
            source: summary.source.into(),
            at: instant(summary.at),
            recorded: summary.recorded,
            duplicates: summary.duplicates,
            new_handoffs: summary.new_handoffs,
            new_silo_handoffs: summary.new_silo_handoffs,
        }
    }
}

/// What a webhook can be told of.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "WebhookEvent",
    remote = "service::notify::webhook::EventType",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum WebhookEventEnum {
    /// `silo_handoffs.detected`: the SILO handoffs a recorded batch produced, up to 500
    /// a message (more make more messages).
    SiloHandoffsDetected,
    /// `interactions.recorded`: what a recorded batch or import did.
    InteractionsRecorded,
    /// `feedback.recorded`: what a batch or import of feedback (surveys and
    /// complaints) did.
    FeedbackRecorded,
}

/// Where a webhook message is.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    name = "WebhookDeliveryStatus",
    remote = "service::notify::webhook::Status",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum WebhookDeliveryStatusEnum {
    /// Not delivered yet; attempted again at `nextAttemptAt`.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up after the last attempt.
    Failed,
}

/// An endpoint the organization's events are posted to, signed as the Standard
/// Webhooks specification says (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`). Its secret was shown once, when it was created.
pub struct Webhook(pub webhook::Model);

/// An endpoint the organization's events are posted to, signed as the Standard
/// Webhooks specification says (`webhook-id`, `webhook-timestamp`,
/// `webhook-signature`). Its secret was shown once, when it was created.
#[Object(cache_control(no_cache))]
impl Webhook {
    /// The webhook's global id.
    pub async fn id(&self) -> ID {
        ids::global::<webhook::Entity>(self.0.id)
    }
    /// Where messages are posted.
    async fn url(&self) -> &str {
        &self.0.url
    }
    /// What it is told of.
    async fn events(&self) -> Vec<WebhookEventEnum> {
        service::notify::webhook::events(&self.0)
            .into_iter()
            .map(Into::into)
            .collect()
    }
    /// What it is for, as its creator wrote.
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    /// Whether messages are posted to it. siloscope disables a webhook whose attempts
    /// keep failing (see `disabledReason`); `setWebhookEnabled` enables it again.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }
    /// Why it is disabled; `null` while enabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }
    /// Attempts that failed in a row, across its messages (a success resets it).
    async fn failure_streak(&self) -> i32 {
        self.0.failure_streak
    }
    /// Who created it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    /// When it was created.
    async fn created_at(&self) -> Instant {
        instant(self.0.created_at)
    }
}

/// One message to one webhook, with its attempts.
#[derive(Clone)]
pub struct WebhookDelivery(pub webhook_delivery::Model);

/// One message to one webhook, with its attempts.
#[Object(cache_control(no_cache))]
impl WebhookDelivery {
    /// The message's global id.
    async fn id(&self) -> ID {
        ids::global::<webhook_delivery::Entity>(self.0.id)
    }
    /// The webhook's global id.
    async fn webhook_id(&self) -> ID {
        ids::global::<webhook::Entity>(self.0.webhook_id)
    }
    /// What it tells of.
    async fn event(&self) -> Option<WebhookEventEnum> {
        service::notify::webhook::EventType::named(&self.0.event_type).map(Into::into)
    }
    /// The `webhook-id` header, the same on every attempt: receivers dedupe by it.
    async fn message_id(&self) -> &str {
        &self.0.message_id
    }
    /// Where the message is.
    async fn status(&self) -> WebhookDeliveryStatusEnum {
        service::notify::webhook::Status::of(&self.0).into()
    }
    /// Attempts made so far.
    async fn attempts(&self) -> i32 {
        self.0.attempts
    }
    /// When the next attempt is due, while PENDING.
    async fn next_attempt_at(&self) -> Option<Instant> {
        (service::notify::webhook::Status::of(&self.0) == service::notify::webhook::Status::Pending)
            .then(|| instant(self.0.next_attempt_at))
    }
    /// The HTTP status of the last attempt; `null` when none came back.
    async fn last_response_status(&self) -> Option<i32> {
        self.0.last_status
    }
    /// Why the last attempt failed; `null` after a success or before any attempt.
    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }
    /// When it was written (in the transaction of the change it tells of).
    async fn created_at(&self) -> Instant {
        instant(self.0.created_at)
    }
    /// When the endpoint accepted it.
    async fn delivered_at(&self) -> Option<Instant> {
        self.0.delivered_at.map(instant)
    }
    /// The body, exactly as signed and posted.
    async fn payload(&self) -> &str {
        &self.0.payload
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::resolver_utils::EnumType;
    use service::notify::webhook::{EventType, Status};

    /// The lines of the schema's `enum NAME { … }` block.
    fn enum_block(name: &str) -> String {
        let sdl = crate::graphql::sdl();
        let start = sdl
            .find(&format!("enum {name} {{"))
            .expect("the enum is in the schema");
        let end = start + sdl[start..].find('}').expect("the block ends");
        sdl[start..end].to_owned()
    }

    #[test]
    fn each_event_type_is_named_once_and_the_schema_says_so() {
        let block = enum_block("WebhookEvent");
        for item in super::WebhookEventEnum::items() {
            let event: EventType = item.value.into();
            let item = item.name;
            // The description above the value names the message's `type`.
            let at = block
                .find(&format!("\t{item}\n"))
                .expect("the value is listed");
            let above = block[..at]
                .trim_end()
                .strip_suffix("\"\"\"")
                .expect("the value has a description");
            let text = &above[above.rfind("\"\"\"").expect("it opens") + 3..];
            assert!(
                text.contains(&format!("`{}`", event.as_str())),
                "{item}'s description should name `{}`: {text}",
                event.as_str()
            );
            assert_eq!(EventType::named(event.as_str()), Some(event));
        }
    }

    #[test]
    fn delivery_statuses_are_stored_as_the_schema_spells_them() {
        for item in super::WebhookDeliveryStatusEnum::items() {
            let status: Status = item.value.into();
            assert_eq!(item.name, status.as_str());
        }
    }
}
