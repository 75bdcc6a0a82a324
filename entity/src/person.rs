use sea_orm::entity::prelude::*;

/// An employee.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize)]
#[sea_orm(table_name = "person")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub email: String,
    /// `email` lower-cased: unique per organization.
    #[serde(skip)]
    pub email_key: String,
    pub external_id: Option<String>,
    pub function_id: Option<i64>,
    pub title: Option<String>,
    pub archived: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// The directory's (SCIM) user name; unique per organization, case-insensitively.
    pub user_name: Option<String>,
    /// `user_name` lower-cased.
    #[serde(skip)]
    pub user_name_key: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    /// The HR department as the directory names it (informational).
    pub department: Option<String>,
    /// When a directory deleted the person: archived, kept for history, gone from SCIM.
    pub deleted_at: Option<i64>,
    /// When `erasePerson` replaced the name, email and ids with a pseudonym.
    pub erased_at: Option<i64>,
    /// The directory that manages the row: `sync`, `scim`, or none.
    pub managed_by: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
