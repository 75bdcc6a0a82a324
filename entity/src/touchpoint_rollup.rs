use sea_orm::entity::prelude::*;

/// Derived: the organization's interactions per bucket (a local day or a local month),
/// touchpoint and function: who handles a touchpoint in fact.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "touchpoint_rollup")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: i64,
    /// As `step_rollup.level`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub level: i16,
    #[sea_orm(primary_key, auto_increment = false)]
    pub first_day: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub touchpoint_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub function_id: i64,
    /// Interactions at the touchpoint by the function.
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
