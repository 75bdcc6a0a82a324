//! What administrators read: API keys and the audit trail.

use async_graphql::{Context, Object, SimpleObject, ID};
use entity::{api_key, audit_event, function, journey, person, stage, touchpoint};
use service::ServiceResult;

use super::connection::PageInfo;
use super::window::{instant, Instant};
use crate::graphql::ids;
use crate::server::auth::AccessRole;

/// A long-lived credential for a connector. Its secret was shown once, when it was
/// created; siloscope keeps only a hash.
pub struct ApiKey(pub api_key::Model);

/// A long-lived credential for a connector. Its secret was shown once, when it was
/// created; siloscope keeps only a hash.
#[Object]
impl ApiKey {
    /// The key's global id.
    pub async fn id(&self) -> ID {
        ids::global::<api_key::Entity>(self.0.id)
    }
    /// Its name, unique in the organization; the audit trail names its changes by it.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The roles it grants.
    async fn roles(&self) -> Vec<AccessRole> {
        service::access::api_key::roles(&self.0)
            .iter()
            .filter_map(|r| AccessRole::named(r))
            .collect()
    }
    /// Who created it.
    async fn created_by(&self) -> &str {
        &self.0.created_by
    }
    /// When it was created.
    async fn created_at(&self) -> Instant {
        instant(self.0.created_at)
    }
    /// When it stops working; `null`: until revoked.
    async fn expires_at(&self) -> Option<Instant> {
        self.0.expires_at.map(instant)
    }
    /// When it was revoked; `null` while it is not.
    async fn revoked_at(&self) -> Option<Instant> {
        self.0.revoked_at.map(instant)
    }
    /// When it was last presented (noted at most once a minute); `null` if never.
    async fn last_used_at(&self) -> Option<Instant> {
        self.0.last_used_at.map(instant)
    }
}

/// One change to the organization, through any door.
pub struct AuditEvent(pub audit_event::Model);

/// One change to the organization, through any door.
#[Object]
impl AuditEvent {
    /// The event's global id.
    pub async fn id(&self) -> ID {
        ids::global::<audit_event::Entity>(self.0.id)
    }
    /// When the change was made (it was committed with this event).
    async fn at(&self) -> Instant {
        instant(self.0.at)
    }
    /// Who made it: a token's `sub`, an API key's name, or the command line's user.
    async fn actor(&self) -> &str {
        &self.0.actor
    }
    /// How the actor signed in: `token`, `api_key` or `cli`.
    async fn actor_kind(&self) -> &str {
        &self.0.actor_kind
    }
    /// The actor's access roles.
    async fn roles(&self) -> Vec<String> {
        serde_json::from_str(&self.0.roles).unwrap_or_default()
    }
    /// What was done, as `kind.verb`: `function.create`, `person.update`,
    /// `interactions.record`, `api_key.revoke`…
    async fn action(&self) -> &str {
        &self.0.action
    }
    /// The kind of entity changed: `Function`, `Person`, `Interaction`…
    async fn entity_kind(&self) -> &str {
        &self.0.entity_kind
    }
    /// The changed entity's global id (`null` for a change to many, like a batch).
    async fn entity_id(&self) -> Option<ID> {
        let id: i64 = self.0.entity_id.as_deref()?.parse().ok()?;
        Some(ids::global_of(&self.0.entity_kind, id))
    }
    /// The entity before the change, as JSON text; `null` for a creation. Ids are
    /// global ids (`node(id:)` resolves them) and each names what it refers to
    /// (`function_id` comes with `function`, the function's name).
    async fn before(&self, ctx: &Context<'_>) -> ServiceResult<Option<String>> {
        readable(ctx, &self.0.entity_kind, self.0.before_json.as_deref()).await
    }
    /// The entity after the change (or what a batch did), as JSON text; `null` for a
    /// removal. Ids and names as in `before`.
    async fn after(&self, ctx: &Context<'_>) -> ServiceResult<Option<String>> {
        readable(ctx, &self.0.entity_kind, self.0.after_json.as_deref()).await
    }
    /// The request's `X-Request-Id`; `null` for the command line.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }
}

/// A page of audit events, newest first.
#[derive(SimpleObject)]
pub struct AuditEventConnection {
    /// The page's events, each with its cursor.
    pub edges: Vec<AuditEventEdge>,
    /// Whether another page follows, and the cursor to ask for it with.
    pub page_info: PageInfo,
}

/// An audit event and its cursor.
#[derive(SimpleObject)]
pub struct AuditEventEdge {
    /// The event.
    pub node: AuditEvent,
    /// Opaque; pass it as `after` for the events before this one.
    pub cursor: String,
}

/// The row ids an audit value may hold, and the type of what each names.
const REFERENCES: &[(&str, &str)] = &[
    ("function_id", "Function"),
    ("parent_id", "Function"),
    ("person_id", "Person"),
    ("touchpoint_id", "Touchpoint"),
    ("stage_id", "Stage"),
    ("journey_id", "Journey"),
    ("responsibility_id", "Responsibility"),
    ("webhook_id", "Webhook"),
    ("api_key_id", "ApiKey"),
];

/// An audit value as a reader wants it: the row's own id and every reference as
/// global ids, each reference beside the name of what it names (as it is now), and
/// no organization id (the caller's, always).
async fn readable(
    ctx: &Context<'_>,
    kind: &str,
    text: Option<&str>,
) -> ServiceResult<Option<String>> {
    use serde_json::Value;
    let Some(text) = text else {
        return Ok(None);
    };
    let Ok(Value::Object(mut object)) = serde_json::from_str::<Value>(text) else {
        return Ok(Some(text.to_owned()));
    };
    object.remove("organization_id");
    if let Some(id) = object.get("id").and_then(Value::as_i64) {
        object.insert("id".into(), Value::String(ids::global_of(kind, id).0));
    }
    let loader = crate::graphql::context::loader(ctx)?;
    for (key, target) in REFERENCES {
        let Some(id) = object.get(*key).and_then(Value::as_i64) else {
            continue;
        };
        object.insert((*key).into(), Value::String(ids::global_of(target, id).0));
        let name = match *target {
            "Function" => crate::graphql::loader::one::<function::Entity>(loader, Some(id))
                .await?
                .map(|m| m.name),
            "Person" => crate::graphql::loader::one::<person::Entity>(loader, Some(id))
                .await?
                .map(|m| m.name),
            "Touchpoint" => crate::graphql::loader::one::<touchpoint::Entity>(loader, Some(id))
                .await?
                .map(|m| m.name),
            "Stage" => crate::graphql::loader::one::<stage::Entity>(loader, Some(id))
                .await?
                .map(|m| m.name),
            "Journey" => crate::graphql::loader::one::<journey::Entity>(loader, Some(id))
                .await?
                .map(|m| m.name),
            _ => None,
        };
        if let Some(name) = name {
            object.insert(key.trim_end_matches("_id").into(), Value::String(name));
        }
    }
    Ok(Some(Value::Object(object).to_string()))
}
