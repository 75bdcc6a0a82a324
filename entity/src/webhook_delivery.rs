use sea_orm::entity::prelude::*;

/// One signed message to one webhook (the outbox): written in the transaction of the
/// change it tells of, then attempted until delivered or given up.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "webhook_delivery")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub webhook_id: i64,
    pub event_type: String,
    /// The `webhook-id` header: the same on every attempt, for receivers to dedupe.
    pub message_id: String,
    /// The body, exactly as signed.
    pub payload: String,
    /// PENDING, DELIVERED or FAILED.
    pub status: String,
    pub attempts: i32,
    /// When the next attempt is due (µs).
    pub next_attempt_at: i64,
    /// A sender holds the message until then (µs); another may take it after.
    pub lease_until: Option<i64>,
    /// The HTTP status of the last attempt, when one came back.
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
