use sea_orm::entity::prelude::*;

/// One recorded batch, as the change table every replica reads to push it to its
/// subscribers. Written in the batch's transaction; kept for a short while only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "live_event")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// JSON: what the batch did (counts, and the door it came through).
    pub summary: String,
    /// JSON array: the interaction ids of the steps that became flagged handoffs.
    pub handoffs: String,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
