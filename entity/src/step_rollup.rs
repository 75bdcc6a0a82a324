use sea_orm::entity::prelude::*;

/// Derived: the organization's steps per bucket (a local day or a local month) and
/// per everything a flag depends on. `prev_function_id` and `prev_touchpoint_id` are
/// 0 where the step has none; the three marks are false on steps that are no handoff.
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
    #[sea_orm(primary_key, auto_increment = false)]
    pub ping_pong: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub customer_burden: bool,
    #[sea_orm(primary_key, auto_increment = false)]
    pub deferral_language: bool,
    /// Steps in the group.
    pub count: i64,
    /// Steps in the group that are their case's last interaction.
    pub case_ends: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
