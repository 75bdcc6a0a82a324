use sea_orm::entity::prelude::*;

use crate::enums::Channel;

/// A point where the business meets the customer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "touchpoint")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    /// `name` lower-cased: unique per organization.
    pub name_key: String,
    pub channel: Channel,
    pub stage_id: Option<i64>,
    /// Desired experience elements, comma-separated enum names.
    pub experience: String,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// How soon (µs) the next interaction of a case must follow one here for the
    /// PROMPT promise to be kept; `None`: PROMPT is not measured.
    pub prompt_within: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
