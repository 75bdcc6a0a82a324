use sea_orm::entity::prelude::*;

/// What a customer said about a case: a survey offered (and perhaps answered) or a
/// complaint. Recognised in its organization by `external_id`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "feedback")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organization_id: i64,
    pub case_id: i64,
    pub external_id: String,
    /// CSAT, CES, NPS or COMPLAINT.
    pub kind: String,
    /// When the survey was offered or the complaint made (µs).
    pub at: i64,
    /// When the survey was answered; set exactly when `score` is.
    pub answered_at: Option<i64>,
    pub score: Option<i32>,
    pub channel: Option<String>,
    pub comment: Option<String>,
    /// The comment was redacted (erasure or `redactInteractions`).
    pub comment_redacted: bool,
    pub recorded_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
