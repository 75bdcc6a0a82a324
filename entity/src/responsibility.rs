use sea_orm::entity::prelude::*;

use crate::enums::Role;

/// A function's RACI role on a touchpoint; unique per (touchpoint, function, role).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "responsibility")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub touchpoint_id: i64,
    pub function_id: i64,
    pub role: Role,
    pub person_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
