use sea_orm::entity::prelude::*;

/// Derived: per bucket, how many steps enter a case, a (case, function) or a case's
/// handoffs at which earlier local day (`rules::rollup::EntryKey`); days on or after
/// the bucket's first day are stored as that day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "step_rollup_entry")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: i64,
    /// As `step_rollup.level`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub level: i16,
    #[sea_orm(primary_key, auto_increment = false)]
    pub first_day: i64,
    /// 0: case entries, 1: function entries, 2: handoffs (`rules::rollup::EntryKind`).
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: i16,
    #[sea_orm(primary_key, auto_increment = false)]
    pub function_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub prev_day: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub prev_day2: i64,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
