use sea_orm::entity::prelude::*;

/// One change to the organization, through any door, written in the change's own
/// transaction. Append-only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub at: i64,
    /// A token's `sub`, an API key's name, or the command line's user.
    pub actor: String,
    /// `token`, `api_key` or `cli`.
    pub actor_kind: String,
    /// JSON array of the actor's access roles.
    pub roles: String,
    /// What was done, as `kind.verb` (`function.create`, `interactions.record`…).
    pub action: String,
    /// The kind of the entity changed (`Function`, `Person`…).
    pub entity_kind: String,
    /// The entity's row id (or what the change names, for a batch).
    pub entity_id: Option<String>,
    /// The entity before the change, as JSON; absent for a creation.
    pub before_json: Option<String>,
    /// The entity after the change, as JSON; absent for a removal.
    pub after_json: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
