use sea_orm::entity::prelude::*;

/// A document an operator registered for clients to send by id (trusted documents):
/// its id is `sha256:` and the SHA-256 of its exact text, in lowercase hex. Shared by
/// every organization, as the dashboards built with it are.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "trusted_document")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub document_id: String,
    pub body: String,
    /// The file or operation it was registered as.
    pub name: Option<String>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
