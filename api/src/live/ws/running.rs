//! A running subscription: its task streams the operation's responses to the
//! connection's writer.

use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::mpsc;

use super::Outgoing;

/// A running subscription's task: it sends each response as a `next` message, and
/// `complete` (or `error`, when refused before it ran) last.
pub(super) struct Running {
    pub(super) schema: crate::graphql::AppSchema,
    pub(super) tenant: service::storage::db::Tenant,
    pub(super) outgoing: mpsc::Sender<Outgoing>,
    pub(super) id: String,
    pub(super) generation: u64,
    /// Held while it runs: the organization's count of subscriptions.
    pub(super) _place: crate::server::state::Place,
}

impl Running {
    pub(super) async fn run(self, request: async_graphql::Request) {
        let Running {
            schema,
            tenant,
            outgoing,
            id,
            generation,
            ..
        } = &self;
        let mut responses = schema.execute_stream(request);
        let mut first = true;
        while let Some(response) = responses.next().await {
            // A subscription lives long: no read transaction stays open between its
            // events.
            tenant.end_reads().await;
            // An operation refused before it ran (validation, a resolver's error on
            // subscribing) has no data at all: `error`, and nothing after it.
            let refused =
                first && response.data == async_graphql::Value::Null && !response.errors.is_empty();
            first = false;
            if refused {
                let error = json!({ "type": "error", "id": id, "payload": response.errors });
                let last = Outgoing::Last {
                    id: id.clone(),
                    generation: *generation,
                    text: error.to_string(),
                };
                let _ = outgoing.send(last).await;
                return;
            }
            let next = json!({ "type": "next", "id": id, "payload": response });
            let message = Outgoing::Message {
                id: id.clone(),
                generation: *generation,
                text: next.to_string(),
            };
            if outgoing.send(message).await.is_err() {
                return;
            }
        }
        let complete = json!({ "type": "complete", "id": id });
        let last = Outgoing::Last {
            id: id.clone(),
            generation: *generation,
            text: complete.to_string(),
        };
        let _ = outgoing.send(last).await;
    }
}
