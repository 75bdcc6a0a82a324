use sea_orm::entity::prelude::*;

/// An endpoint an organization's events are posted to, signed with its secret as the
/// Standard Webhooks specification says.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "webhook")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub url: String,
    /// JSON array of event types.
    pub events: String,
    pub description: Option<String>,
    /// `whsec_` and the base64 key; shown once, kept to sign with.
    #[serde(skip)]
    pub secret: String,
    pub enabled: bool,
    /// Why it was disabled (by siloscope after failures, or by an admin).
    pub disabled_reason: Option<String>,
    /// Attempts failed in a row, across its messages; reset by a success.
    pub failure_streak: i32,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
