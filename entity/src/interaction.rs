use sea_orm::entity::prelude::*;

/// One event of a customer case: a function handled the case at an instant.
/// Interactions are append-only; `id` is the recording order.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "interaction")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub case_id: i64,
    pub occurred_at: i64,
    pub function_id: i64,
    pub touchpoint_id: Option<i64>,
    pub person_id: Option<i64>,
    pub note: Option<String>,
    pub customer_action_required: bool,
    pub external_id: Option<String>,
    /// For an interaction recorded without an externalId: the key its content gives
    /// it (docs/rules.md §1, "Identity"), unique in the organization.
    pub content_key: Option<String>,
    /// The note matched a burden phrase of the organization's current list.
    pub burden_match: bool,
    /// The note matched a deferral phrase of the organization's current list.
    pub deferral_match: bool,
    pub recorded_at: i64,
    /// The note was blanked by `redactInteractions`; the phrase marks it had are kept.
    pub note_redacted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
