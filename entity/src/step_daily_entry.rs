use sea_orm::entity::prelude::*;

/// Derived: per UTC day, how many steps first enter a window that starts on a given
/// day. `kind` 0 counts steps by the day of the case's previous interaction (case
/// entries); 1 by the day of the previous interaction of the same function (per
/// `function_id`); 2 counts handoffs by the day of their first interaction and of the
/// first interaction of the case's previous handoff. A missing day is `i64::MIN`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "step_daily_entry")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub day: i64,
    pub kind: i16,
    pub function_id: i64,
    pub prev_day: i64,
    pub prev_day2: i64,
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
