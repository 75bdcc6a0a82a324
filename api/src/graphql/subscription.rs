//! Subscriptions: what is recorded, pushed as it is committed, through any replica
//! (see `service::notify::live`). Served over WebSocket with the `graphql-transport-ws`
//! protocol (`crate::live`); each field streams the caller's organization only.

use std::sync::Arc;

use async_graphql::{Context, InputObject, Subscription, ID};
use entity::{function, touchpoint};
use futures_util::stream::{self, Stream, StreamExt};
use service::notify::live::{LiveBatch, Relay};
use service::rules::flags::Flag;
use service::{ServiceError, ServiceResult};
use tokio::sync::broadcast::error::RecvError;

use crate::graphql::context::viewer;
use crate::graphql::ids::row;
use crate::graphql::types::case::Handoff;
use crate::graphql::types::enums::HandoffFlagEnum;
use crate::graphql::types::live::{FeedbackBatch, RecordedBatch};

/// What is pushed as it is recorded, over WebSocket (`graphql-transport-ws` on
/// `/graphql`): the caller's organization only, from when it subscribed.
#[derive(Default)]
pub struct Subscription;

/// Which new handoffs `siloHandoffDetected` sends; every condition given must hold.
#[derive(InputObject, Default)]
pub struct LiveHandoffFilterInput {
    /// Handoffs from or to one of these functions.
    pub function_ids: Option<Vec<ID>>,
    /// Handoffs at one of these touchpoints (the first interaction's).
    pub touchpoint_ids: Option<Vec<ID>>,
    /// Handoffs carrying at least one of these flags (default: SILO).
    pub flags: Option<Vec<HandoffFlagEnum>>,
}

/// A filter with ids resolved.
struct LiveFilter {
    functions: Option<Vec<i64>>,
    touchpoints: Option<Vec<i64>>,
    flags: Vec<Flag>,
}

impl LiveFilter {
    fn new(input: LiveHandoffFilterInput) -> LiveFilter {
        LiveFilter {
            functions: input
                .function_ids
                .map(|ids| ids.iter().map(row::<function::Entity>).collect()),
            touchpoints: input
                .touchpoint_ids
                .map(|ids| ids.iter().map(row::<touchpoint::Entity>).collect()),
            flags: input.flags.map_or_else(
                || vec![Flag::Silo],
                |flags| flags.into_iter().map(Flag::from).collect(),
            ),
        }
    }

    fn matches(&self, handoff: &service::reports::handoff::Handoff) -> bool {
        let step = &handoff.step;
        self.flags.iter().any(|flag| handoff.flags.has(*flag))
            && self.functions.as_ref().is_none_or(|ids| {
                ids.contains(&step.function_id)
                    || step.prev_function_id.is_some_and(|f| ids.contains(&f))
            })
            && self
                .touchpoints
                .as_ref()
                .is_none_or(|ids| step.prev_touchpoint_id.is_some_and(|t| ids.contains(&t)))
    }
}

/// The batches of the caller's organization from now on, ending with an error if
/// the subscriber falls too far behind.
fn batches(
    ctx: &Context<'_>,
) -> ServiceResult<impl Stream<Item = Result<Arc<LiveBatch>, ServiceError>>> {
    let organization_id = viewer(ctx)?.organization_id;
    let relay = ctx
        .data_opt::<Relay>()
        .ok_or_else(|| ServiceError::Unavailable("live delivery is not running".into()))?;
    let receiver = relay.subscribe(organization_id);
    Ok(stream::unfold(Some(receiver), |state| async move {
        let mut receiver = state?;
        match receiver.recv().await {
            Ok(batch) => Some((Ok(batch), Some(receiver))),
            Err(RecvError::Lagged(missed)) => Some((
                Err(ServiceError::Unavailable(format!(
                    "this subscriber fell {missed} batches behind and was dropped; subscribe again"
                ))),
                None,
            )),
            Err(RecvError::Closed) => None,
        }
    }))
}

/// What is pushed as it is recorded, over WebSocket (`graphql-transport-ws` on
/// `/graphql`): the caller's organization only, from when it subscribed.
#[Subscription]
impl Subscription {
    /// Each new handoff as it is recorded (by any replica), with its case, functions,
    /// touchpoint and flags, in the order recorded; by default SILO handoffs only. A
    /// handoff is new when its pair of interactions was not a handoff before the batch
    /// that recorded it. Role: any.
    async fn silo_handoff_detected(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which handoffs; every condition given must hold.")] filter: Option<
            LiveHandoffFilterInput,
        >,
    ) -> Result<impl Stream<Item = ServiceResult<Handoff>>, ServiceError> {
        let filter = LiveFilter::new(filter.unwrap_or_default());
        Ok(batches(ctx)?.flat_map(move |batch| {
            let items: Vec<ServiceResult<Handoff>> = match batch {
                Ok(batch) => batch
                    .handoffs
                    .iter()
                    .filter(|h| filter.matches(h))
                    .map(|h| Ok(Handoff(h.clone())))
                    .collect(),
                Err(error) => vec![Err(error)],
            };
            stream::iter(items)
        }))
    }

    /// What each recorded batch of interactions (a `recordInteractions` call or a whole
    /// import) did, as it is committed. Role: any.
    async fn interactions_recorded(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = ServiceResult<RecordedBatch>>, ServiceError> {
        Ok(batches(ctx)?.filter_map(|batch| async move {
            match batch {
                Ok(b) if b.summary.feedback.is_some() => None,
                other => Some(other.map(|b| RecordedBatch::from(&b.summary))),
            }
        }))
    }

    /// What each batch of feedback (a `recordFeedback` call or a whole feedback
    /// import) did, as it is committed. Role: any.
    async fn feedback_recorded(
        &self,
        ctx: &Context<'_>,
    ) -> Result<impl Stream<Item = ServiceResult<FeedbackBatch>>, ServiceError> {
        Ok(batches(ctx)?.filter_map(|batch| async move {
            match batch {
                Ok(b) => FeedbackBatch::of(&b.summary).map(Ok),
                Err(error) => Some(Err(error)),
            }
        }))
    }
}
