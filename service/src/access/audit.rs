//! The audit trail: every change to an organization, through any door, appends one
//! event in the change's own transaction, so an event exists exactly when its change
//! was committed. Who acted is set by the door around its work ([`as_actor`]); the
//! services record what changed ([`record`]). Nothing updates or deletes an event.

use entity::audit_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

use crate::error::{ServiceError, ServiceResult};

/// How an actor proved who it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    /// A signed token (its `sub`).
    Token,
    /// An API key (its name).
    ApiKey,
    /// The command line, run by whoever can reach the database.
    Cli,
    /// siloscope itself, on a schedule (retention).
    System,
}

impl ActorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorKind::Token => "token",
            ActorKind::ApiKey => "api_key",
            ActorKind::Cli => "cli",
            ActorKind::System => "system",
        }
    }
}

/// Who is making the changes of the running request.
#[derive(Clone, Debug)]
pub struct Actor {
    pub name: String,
    pub kind: ActorKind,
    /// The actor's access roles, as the door names them.
    pub roles: Vec<String>,
    pub request_id: Option<String>,
}

impl Actor {
    /// siloscope itself, running `task` on a schedule.
    pub fn system(task: &str) -> Actor {
        Actor {
            name: task.to_owned(),
            kind: ActorKind::System,
            roles: Vec::new(),
            request_id: None,
        }
    }

    /// The command line, acting as the local user.
    pub fn cli() -> Actor {
        Actor {
            name: std::env::var("USER").unwrap_or_else(|_| "cli".to_owned()),
            kind: ActorKind::Cli,
            roles: Vec::new(),
            request_id: None,
        }
    }
}

tokio::task_local! {
    static ACTOR: Actor;
}

/// Runs `future` on behalf of `actor`: the changes it makes are recorded as theirs.
pub async fn as_actor<F: std::future::Future>(actor: Actor, future: F) -> F::Output {
    ACTOR.scope(actor, future).await
}

/// The actor of the enclosing [`as_actor`] scope. A change made outside one is an
/// error, never attributed to a default: every door and job names who acts.
pub fn current_actor() -> ServiceResult<Actor> {
    ACTOR.try_with(Clone::clone).map_err(|_| {
        ServiceError::internal(anyhow::anyhow!(
            "a change was made without an actor: the door or job must run it in audit::as_actor"
        ))
    })
}

/// One change to record.
pub struct Change<'a> {
    /// `kind.verb`, like `function.create`.
    pub action: &'a str,
    /// The entity's type name, like `Function`.
    pub entity_kind: &'a str,
    pub entity_id: Option<String>,
}

fn json<T: Serialize>(value: Option<&T>) -> ServiceResult<Option<String>> {
    value
        .map(|v| serde_json::to_string(v).map_err(ServiceError::internal))
        .transpose()
}

/// Appends the event of a change, in the change's transaction, by the current actor.
pub async fn record<B: Serialize, A: Serialize>(
    txn: &DatabaseTransaction,
    organization_id: i64,
    change: Change<'_>,
    before: Option<&B>,
    after: Option<&A>,
) -> ServiceResult<()> {
    let actor = current_actor()?;
    audit_event::ActiveModel {
        organization_id: Set(organization_id),
        at: Set(crate::storage::db::now_micros()),
        actor: Set(actor.name),
        actor_kind: Set(actor.kind.as_str().to_owned()),
        roles: Set(serde_json::to_string(&actor.roles).map_err(ServiceError::internal)?),
        action: Set(change.action.to_owned()),
        entity_kind: Set(change.entity_kind.to_owned()),
        entity_id: Set(change.entity_id),
        before_json: Set(json(before)?),
        after_json: Set(json(after)?),
        request_id: Set(actor.request_id),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Appends the event of a change to one row, keyed by its id.
pub async fn record_row<M: Serialize + HasId>(
    txn: &DatabaseTransaction,
    organization_id: i64,
    action: &str,
    entity_kind: &str,
    before: Option<&M>,
    after: Option<&M>,
) -> ServiceResult<()> {
    let id = after.or(before).map(|m| m.row_id().to_string());
    record(
        txn,
        organization_id,
        Change {
            action,
            entity_kind,
            entity_id: id,
        },
        before,
        after,
    )
    .await
}

/// A row with an id.
pub trait HasId {
    fn row_id(&self) -> i64;
}

macro_rules! has_id {
    ($($module:ident),* $(,)?) => {$(
        impl HasId for entity::$module::Model {
            fn row_id(&self) -> i64 {
                self.id
            }
        }
    )*};
}

has_id!(
    function,
    person,
    journey,
    stage,
    touchpoint,
    responsibility,
    acknowledgement,
    organization,
    membership,
    api_key,
    webhook
);

/// Which events a list holds; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    /// Events about this entity: its kind (`Function`…) and row id.
    pub entity: Option<(String, String)>,
    /// At or after this instant (µs).
    pub from: Option<i64>,
    /// Before this instant (µs).
    pub to: Option<i64>,
}

/// A page of events, newest first.
pub struct AuditPage {
    pub items: Vec<audit_event::Model>,
    pub has_next: bool,
}

/// The organization's events, newest first, after the event `after` (an id).
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &AuditFilter,
    first: u64,
    after: Option<i64>,
) -> ServiceResult<AuditPage> {
    use audit_event::Column;
    let mut select = audit_event::Entity::find().filter(Column::OrganizationId.eq(organization_id));
    if let Some(actor) = &filter.actor {
        select = select.filter(Column::Actor.eq(actor.as_str()));
    }
    if let Some(action) = &filter.action {
        select = select.filter(Column::Action.eq(action.as_str()));
    }
    if let Some((kind, id)) = &filter.entity {
        select = select
            .filter(Column::EntityKind.eq(kind.as_str()))
            .filter(Column::EntityId.eq(id.as_str()));
    }
    if let Some(from) = filter.from {
        select = select.filter(Column::At.gte(from));
    }
    if let Some(to) = filter.to {
        select = select.filter(Column::At.lt(to));
    }
    if let Some(after) = after {
        select = select.filter(Column::Id.lt(after));
    }
    let mut items = select
        .order_by_desc(Column::Id)
        .limit(first + 1)
        .all(db)
        .await?;
    let has_next = items.len() as u64 > first;
    items.truncate(first as usize);
    Ok(AuditPage { items, has_next })
}
