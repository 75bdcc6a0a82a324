use sea_orm::entity::prelude::*;

/// A department or team.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "function")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    /// `name` lower-cased: unique per organization.
    #[serde(skip)]
    pub name_key: String,
    pub is_cx_team: bool,
    pub parent_id: Option<i64>,
    pub external_id: Option<String>,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// When a directory deleted the function: archived, kept for history, gone from SCIM.
    pub deleted_at: Option<i64>,
    /// The directory that manages the row: `sync`, `scim`, or none.
    pub managed_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
