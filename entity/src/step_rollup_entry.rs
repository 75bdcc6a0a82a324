use sea_orm::entity::prelude::*;

/// Derived: per bucket, how many steps enter a case, a (case, function) or a case's
/// handoffs at which earlier local day (`rules::rollup::EntryKey`); days on or after
/// the bucket's first day are stored as that day.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "step_rollup_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    /// As `step_rollup.level`.
    pub level: i16,
    pub first_day: i64,
    /// 0: case entries, 1: function entries, 2: handoffs (`rules::rollup::EntryKind`).
    pub kind: i16,
    pub function_id: i64,
    pub prev_day: i64,
    pub prev_day2: i64,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
