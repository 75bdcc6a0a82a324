use sea_orm::entity::prelude::*;

/// Derived: the organization's steps per bucket (a local day or a local month) and
/// per everything a chart-dependent flag depends on, with how many carry each mark of
/// the chain's own. `prev_function_id` and `prev_touchpoint_id` are 0 where the step
/// has none; marks are counted on handoffs only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "step_rollup")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: i64,
    /// 0: a local day; 1: a local month (`rules::rollup::Level`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub level: i16,
    /// The bucket's first local day, counted from the local 1970-01-01.
    #[sea_orm(primary_key, auto_increment = false)]
    pub first_day: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub prev_function_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub function_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub prev_touchpoint_id: i64,
    /// Steps in the group.
    pub count: i64,
    /// Steps in the group that are their case's last interaction.
    pub case_ends: i64,
    /// Steps in the group that are PING_PONG handoffs.
    pub ping_pongs: i64,
    /// Handoffs in the group after a burden was left to the customer.
    pub customer_burdens: i64,
    /// Handoffs in the group after deferral language.
    pub deferral_languages: i64,
    /// Steps after an interaction that did not require customer action (PROMPT
    /// opportunities, when the previous touchpoint sets `prompt_within`).
    pub prompt_opportunities: i64,
    /// Steps that breached the previous touchpoint's `prompt_within`.
    pub prompt_breaches: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
