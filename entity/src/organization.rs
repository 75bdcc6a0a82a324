use sea_orm::entity::prelude::*;

/// The tenant. A token's `org` claim names its slug.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "organization")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub slug: String,
    pub name: String,
    /// JSON array of lower-cased deferral phrases.
    pub deferral_phrases: String,
    /// JSON array of lower-cased burden phrases.
    pub burden_phrases: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// IANA time zone name: days, weeks, months and years of reports are taken in it.
    pub time_zone: String,
    /// Raised by every write to the organization; cached figures are keyed by it.
    pub revision: i64,
    /// Interactions a touchpoint needs in a window before its de facto owner is judged.
    pub min_interactions: i32,
    /// The layout the organization's rollups were built in; below the service's
    /// current one, they are rebuilt from the steps before it serves.
    pub rollup_version: i32,
    /// 1 once every interaction recorded without an externalId has its content key.
    pub content_keys_version: i32,
    /// Days interactions are kept (by when they occurred); `None`: kept for ever.
    pub retention_days: Option<i32>,
    /// Interactions that occurred before this instant (µs) were deleted by retention:
    /// the log, and every figure read from it, is complete from here on.
    pub complete_from: Option<i64>,
    /// Answers a survey kind needs in a window before the voice report judges whether
    /// its scores hide the silos.
    pub min_responses: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
