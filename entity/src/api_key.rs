use sea_orm::entity::prelude::*;

/// A long-lived credential for a connector. The secret is shown once, at creation;
/// only its SHA-256 is kept.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "api_key")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// Unique per organization; the actor audit events name.
    pub name: String,
    /// The key's public part, which a presented key names to be found by.
    pub public_id: String,
    /// Hex SHA-256 of the secret part.
    #[serde(skip)]
    pub secret_hash: String,
    /// JSON array of access roles.
    pub roles: String,
    /// Who created it (a token's `sub`).
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub revoked_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
