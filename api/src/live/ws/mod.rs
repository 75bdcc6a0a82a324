//! GraphQL subscriptions over WebSocket, as the `graphql-transport-ws` protocol (the
//! graphql-ws library's PROTOCOL.md) says, with the close codes its reference server
//! uses:
//!
//! | code | when |
//! |---|---|
//! | 4400 | a message that is not JSON, not a known type, or missing a field it needs |
//! | 4401 | `subscribe` before the server acknowledged `connection_init` |
//! | 4403 | `connection_init` with no or a bad token; the token expired while connected |
//! | 4406 | the client did not offer the `graphql-transport-ws` subprotocol |
//! | 4408 | no `connection_init` within `SILOSCOPE_WS_INIT_TIMEOUT_MS` |
//! | 4409 | `subscribe` with the id of a subscription still running |
//! | 4429 | a second `connection_init` |
//!
//! Only subscription operations are served here (queries and mutations go to
//! `POST /graphql`, where their limits and caching live); one refused that way, or
//! over a limit, gets an `error` message for its id and the connection stays open.

mod running;

use running::Running;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use actix_ws::{CloseCode, CloseReason, Message, Session};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio::time::Instant;

use crate::server::auth::Viewer;
use crate::server::state::{authenticate_token, AppState};

/// The subprotocol.
pub const PROTOCOL: &str = "graphql-transport-ws";

/// GET /graphql with `Upgrade: websocket`.
pub(crate) async fn upgrade(
    request: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
) -> actix_web::Result<HttpResponse> {
    let offered = request
        .headers()
        .get_all(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    let (mut response, session, messages) = actix_ws::handle(&request, body)?;
    if offered {
        response.headers_mut().insert(
            actix_web::http::header::SEC_WEBSOCKET_PROTOCOL,
            actix_web::http::header::HeaderValue::from_static(PROTOCOL),
        );
    }
    let request_id = actix_web::HttpMessage::extensions(&request)
        .get::<crate::server::observe::RequestId>()
        .map(|id| id.0.clone());
    let connection = Connection {
        state: state.into_inner(),
        request_id,
        viewer: None,
        expires_at: None,
        init_received: false,
        token: None,
        subscriptions: HashMap::new(),
        generation: 0,
    };
    actix_web::rt::spawn(async move {
        let closing = if offered {
            connection.serve(session.clone(), messages).await
        } else {
            Some(close(4406, "Subprotocol not acceptable"))
        };
        if let Some(reason) = closing {
            let _ = session.close(Some(reason)).await;
        }
    });
    Ok(response)
}

fn close(code: u16, description: &str) -> CloseReason {
    CloseReason {
        code: CloseCode::Other(code),
        description: Some(description.to_owned()),
    }
}

/// What a subscription's task sends back.
enum Outgoing {
    /// A message of the subscription `id` started as `generation`: dropped when that
    /// subscription was completed meanwhile (the protocol sends nothing after it).
    Message {
        id: String,
        generation: u64,
        text: String,
    },
    /// The subscription's last message: its id is free again once sent.
    Last {
        id: String,
        generation: u64,
        text: String,
    },
}

/// How long a write to the socket may take before the peer is taken for gone.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

struct Connection {
    state: Arc<AppState>,
    request_id: Option<String>,
    viewer: Option<Viewer>,
    /// When the credential expires (µs).
    expires_at: Option<i64>,
    init_received: bool,
    /// The token `connection_init` presented, checked again at every keepalive (a
    /// revoked API key ends the connection).
    token: Option<String>,
    /// Running subscriptions by id, with the generation each was started as.
    subscriptions: HashMap<String, (u64, AbortHandle)>,
    generation: u64,
}

/// How a message was handled: go on, or close.
type Step = Result<(), CloseReason>;

impl Connection {
    /// Serves the connection until it closes; returns how to close it, if the server
    /// closes it.
    async fn serve(
        mut self,
        mut session: Session,
        mut messages: actix_ws::MessageStream,
    ) -> Option<CloseReason> {
        let limits = self.state.limits.clone();
        let (outgoing, mut replies) = mpsc::channel::<Outgoing>(64);
        let init_deadline = Instant::now() + limits.ws_init_timeout;
        let mut keepalive = tokio::time::interval(limits.ws_keepalive);
        keepalive.tick().await;
        let mut heard = Instant::now();
        let mut stopping = self.state.stopping.clone();
        let reason = loop {
            let expiry = self.expiry();
            tokio::select! {
                Ok(()) = stopping.changed() => {
                    break Some(CloseReason {
                        code: CloseCode::Away,
                        description: Some("the server is shutting down".into()),
                    });
                }
                message = messages.next() => {
                    heard = Instant::now();
                    let step = match message {
                        None | Some(Ok(Message::Close(_))) => break None,
                        Some(Err(_)) => break Some(close(4400, "Invalid message received")),
                        Some(Ok(Message::Text(text))) => {
                            self.receive(&text, &mut session, &outgoing).await
                        }
                        Some(Ok(Message::Ping(bytes))) => {
                            let _ = session.pong(&bytes).await;
                            Ok(())
                        }
                        Some(Ok(Message::Binary(_))) => Err(close(4400, "Invalid message received")),
                        Some(Ok(_)) => Ok(()),
                    };
                    if let Err(reason) = step {
                        break Some(reason);
                    }
                }
                Some(reply) = replies.recv() => {
                    let (id, generation, text, last) = match reply {
                        Outgoing::Message { id, generation, text } => (id, generation, text, false),
                        Outgoing::Last { id, generation, text } => (id, generation, text, true),
                    };
                    if self.subscriptions.get(&id).map(|(g, _)| *g) != Some(generation) {
                        continue;
                    }
                    if last {
                        self.subscriptions.remove(&id);
                    }
                    if !matches!(tokio::time::timeout(SEND_TIMEOUT, session.text(text)).await, Ok(Ok(()))) {
                        break None;
                    }
                }
                () = tokio::time::sleep_until(init_deadline), if !self.init_received => {
                    break Some(close(4408, "Connection initialisation timeout"));
                }
                () = tokio::time::sleep_until(expiry.unwrap_or(init_deadline)), if expiry.is_some() => {
                    break Some(close(4403, "Forbidden: the token expired"));
                }
                _ = keepalive.tick() => {
                    if heard.elapsed() > limits.ws_keepalive * 2 {
                        break Some(CloseReason {
                            code: CloseCode::Away,
                            description: Some("no answer to pings".into()),
                        });
                    }
                    if !self.still_authorized().await {
                        break Some(close(4403, "Forbidden: the credential is no longer valid"));
                    }
                    if !matches!(tokio::time::timeout(SEND_TIMEOUT, session.ping(b"")).await, Ok(Ok(()))) {
                        break None;
                    }
                }
            }
        };
        for (_, (_, task)) in self.subscriptions.drain() {
            task.abort();
        }
        reason
    }

    /// Whether the token presented still names the same caller (an API key may have
    /// been revoked since).
    async fn still_authorized(&self) -> bool {
        let (Some(token), Some(viewer)) = (&self.token, &self.viewer) else {
            return true;
        };
        match authenticate_token(&self.state, token, None).await {
            Ok(now) => now.viewer.organization_id == viewer.organization_id,
            // The database away for a moment is no reason to drop subscribers.
            Err(service::ServiceError::Unavailable(_) | service::ServiceError::Internal(_)) => true,
            Err(_) => false,
        }
    }

    /// When the credential expires, as an instant of the runtime's clock.
    fn expiry(&self) -> Option<Instant> {
        let at = self.expires_at?;
        let left = at.saturating_sub(service::storage::db::now_micros()).max(0);
        Some(Instant::now() + Duration::from_micros(left as u64))
    }

    async fn receive(
        &mut self,
        text: &str,
        session: &mut Session,
        outgoing: &mpsc::Sender<Outgoing>,
    ) -> Step {
        let invalid = || close(4400, "Invalid message received");
        let message: Value = serde_json::from_str(text).map_err(|_| invalid())?;
        let kind = message
            .get("type")
            .and_then(Value::as_str)
            .ok_or_else(invalid)?;
        let payload = message.get("payload").filter(|p| !p.is_null());
        match kind {
            "connection_init" => {
                if payload.is_some_and(|p| !p.is_object()) {
                    return Err(invalid());
                }
                if self.init_received {
                    return Err(close(4429, "Too many initialisation requests"));
                }
                self.init_received = true;
                self.init(payload).await?;
                send(session, json!({ "type": "connection_ack" })).await
            }
            "ping" => {
                if payload.is_some_and(|p| !p.is_object()) {
                    return Err(invalid());
                }
                send(session, json!({ "type": "pong" })).await
            }
            "pong" => Ok(()),
            "subscribe" => {
                let id = message
                    .get("id")
                    .and_then(Value::as_str)
                    .filter(|id| !id.is_empty())
                    .ok_or_else(invalid)?;
                let payload = payload.and_then(Value::as_object).ok_or_else(invalid)?;
                let document_id = payload
                    .get("documentId")
                    .or_else(|| {
                        payload
                            .get("extensions")
                            .and_then(|x| x.get("persistedQuery"))
                            .and_then(|p| p.get("sha256Hash"))
                    })
                    .map(|v| v.as_str().map(str::to_owned).ok_or_else(invalid))
                    .transpose()?;
                let query = match payload.get("query") {
                    Some(Value::String(query)) => query.as_str(),
                    None | Some(Value::Null) if document_id.is_some() => "",
                    _ => return Err(invalid()),
                };
                let operation_name = match payload.get("operationName") {
                    None | Some(Value::Null) => None,
                    Some(Value::String(name)) => Some(name.clone()),
                    Some(_) => return Err(invalid()),
                };
                let variables = match payload.get("variables") {
                    None | Some(Value::Null) => None,
                    Some(variables @ Value::Object(_)) => Some(variables.clone()),
                    Some(_) => return Err(invalid()),
                };
                let Some(viewer) = self.viewer.clone() else {
                    return Err(close(4401, "Unauthorized"));
                };
                if self.subscriptions.contains_key(id) {
                    return Err(close(4409, &format!("Subscriber for {id} already exists")));
                }
                let subscribe = Subscribe {
                    id: id.to_owned(),
                    query: query.to_owned(),
                    document_id,
                    operation_name,
                    variables,
                };
                self.subscribe(viewer, subscribe, session, outgoing).await
            }
            "complete" => {
                let id = message
                    .get("id")
                    .and_then(Value::as_str)
                    .ok_or_else(invalid)?;
                if let Some((_, task)) = self.subscriptions.remove(id) {
                    task.abort();
                }
                Ok(())
            }
            _ => Err(invalid()),
        }
    }

    /// Authenticates `connection_init`'s payload: `{"authorization": "Bearer …"}` (any
    /// case of the key) or `{"token": "…"}`, a JWT or an API key.
    async fn init(&mut self, payload: Option<&Value>) -> Step {
        let forbidden = || close(4403, "Forbidden");
        let object = payload.and_then(Value::as_object).ok_or_else(forbidden)?;
        let token = object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
            .and_then(|(_, value)| value.as_str())
            .map(|value| {
                value
                    .strip_prefix("Bearer ")
                    .or_else(|| value.strip_prefix("bearer "))
                    .unwrap_or(value)
            })
            .or_else(|| object.get("token").and_then(Value::as_str))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(forbidden)?;
        match authenticate_token(&self.state, token, self.request_id.clone()).await {
            Ok(authenticated) => {
                self.viewer = Some(authenticated.viewer);
                self.expires_at = authenticated.expires_at;
                self.token = Some(token.to_owned());
                Ok(())
            }
            Err(error) => {
                tracing::info!(%error, "websocket: connection_init refused");
                Err(forbidden())
            }
        }
    }

    async fn subscribe(
        &mut self,
        viewer: Viewer,
        subscribe: Subscribe,
        session: &mut Session,
        outgoing: &mpsc::Sender<Outgoing>,
    ) -> Step {
        let (query, place) = match self.admit(&viewer, &subscribe).await {
            Ok(admitted) => admitted,
            Err(refusal) => return send(session, refusal).await,
        };
        let actor = viewer.actor();
        let tenant = self.state.db.tenant(viewer.organization_id);
        let loader = crate::graphql::loader::for_request(tenant.clone());
        let mut request = async_graphql::Request::new(query)
            .data(viewer)
            .data(tenant.clone())
            .data(loader);
        if let Some(name) = subscribe.operation_name {
            request = request.operation_name(name);
        }
        if let Some(variables) = subscribe.variables {
            request = request.variables(async_graphql::Variables::from_json(variables));
        }
        self.generation += 1;
        let running = Running {
            schema: self.state.schema.clone(),
            tenant,
            outgoing: outgoing.clone(),
            id: subscribe.id.clone(),
            generation: self.generation,
            _place: place,
        };
        let task = tokio::spawn(service::access::audit::as_actor(
            actor,
            running.run(request),
        ));
        self.subscriptions
            .insert(subscribe.id, (self.generation, task.abort_handle()));
        Ok(())
    }

    /// The document a `subscribe` runs and its place among the organization's
    /// subscriptions; else the `error` message that refuses it (an untrusted document,
    /// not a subscription, over a limit).
    async fn admit(
        &self,
        viewer: &Viewer,
        subscribe: &Subscribe,
    ) -> Result<(String, crate::server::state::Place), Value> {
        let limits = &self.state.limits;
        let refuse = |code: service::Code, message: String| {
            json!({
                "type": "error",
                "id": subscribe.id,
                "payload": [{ "message": message, "extensions": { "code": code.as_str() } }],
            })
        };
        let params = crate::graphql::over_http::Params {
            query: subscribe.query.clone(),
            document_id: subscribe.document_id.clone(),
            ..Default::default()
        };
        let query = crate::server::state::trusted(&self.state, viewer, params)
            .await
            .map_err(|refusal| refuse(refusal.code, refusal.message))?
            .query;
        let shape =
            crate::graphql::over_http::inspect(&query, subscribe.operation_name.as_deref(), limits)
                .map_err(|refusal| refuse(refusal.code, refusal.message))?;
        if !shape.subscription {
            return Err(refuse(
                service::Code::BadRequest,
                "only subscriptions are served over WebSocket: send queries and mutations with POST /graphql"
                    .into(),
            ));
        }
        self.state.metrics.count_operation(viewer, &shape.operation);
        if self.subscriptions.len() >= limits.max_subscriptions_per_connection {
            let message = format!(
                "a connection runs at most {} subscriptions at once (SILOSCOPE_MAX_SUBSCRIPTIONS_PER_CONNECTION)",
                limits.max_subscriptions_per_connection
            );
            return Err(refuse(service::Code::TooManyRequests, message));
        }
        let place = self
            .state
            .running
            .take(viewer.organization_id, limits.max_subscriptions_per_org)
            .ok_or_else(|| {
                let message = format!(
                    "the organization runs at most {} subscriptions at once on this server (SILOSCOPE_MAX_SUBSCRIPTIONS_PER_ORG)",
                    limits.max_subscriptions_per_org
                );
                refuse(service::Code::TooManyRequests, message)
            })?;
        Ok((query, place))
    }
}

struct Subscribe {
    id: String,
    query: String,
    /// A registered document's id, when sent instead of (or with) the text.
    document_id: Option<String>,
    operation_name: Option<String>,
    variables: Option<Value>,
}

async fn send(session: &mut Session, message: Value) -> Step {
    match tokio::time::timeout(SEND_TIMEOUT, session.text(message.to_string())).await {
        // A peer that went away is noticed by the message stream ending.
        Ok(_) => Ok(()),
        Err(_) => Err(CloseReason {
            code: CloseCode::Away,
            description: Some("the peer does not read".into()),
        }),
    }
}
