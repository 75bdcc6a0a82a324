use sea_orm::entity::prelude::*;

/// Derived: the organization's steps per bucket (a local day or a local month) and
/// per everything a flag depends on. `prev_function_id` and `prev_touchpoint_id` are
/// 0 where the step has none; the three marks are false on steps that are no handoff.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "step_rollup")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// 0: a local day; 1: a local month (`rules::rollup::Level`).
    pub level: i16,
    /// The bucket's first local day, counted from the local 1970-01-01.
    pub first_day: i64,
    pub prev_function_id: i64,
    pub function_id: i64,
    pub prev_touchpoint_id: i64,
    pub ping_pong: bool,
    pub customer_burden: bool,
    pub deferral_language: bool,
    /// Steps in the group.
    pub count: i64,
    /// Steps in the group that are their case's last interaction.
    pub case_ends: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
