use sea_orm::entity::prelude::*;

/// Derived, one row per interaction: the interaction in its case's chain, with what
/// the reports need to count cases, functions and handoffs over any window with one
/// range scan. Rewritten for a whole case whenever an interaction of it is recorded.
///
/// A row whose `prev_function_id` differs from `function_id` is a handoff.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "step")]
pub struct Model {
    /// The interaction this step is (the second one of its pair).
    #[sea_orm(primary_key, auto_increment = false)]
    pub interaction_id: i64,
    pub organization_id: i64,
    pub case_id: i64,
    /// Position in the case's chain, from 0.
    pub position: i32,
    /// occurredAt of this interaction.
    pub at: i64,
    pub function_id: i64,
    /// The previous interaction of the case, absent for the first.
    pub prev_interaction_id: Option<i64>,
    pub prev_function_id: Option<i64>,
    pub prev_touchpoint_id: Option<i64>,
    pub prev_at: Option<i64>,
    /// occurredAt of the case's latest earlier interaction with the same function.
    pub prev_same_function_at: Option<i64>,
    /// occurredAt of the first interaction of the case's previous handoff.
    pub prev_handoff_from_at: Option<i64>,
    pub ping_pong: bool,
    /// The previous interaction required customer action or matched a burden phrase.
    pub customer_burden: bool,
    /// The previous interaction's note matched a deferral phrase.
    pub deferral_language: bool,
    /// This is the case's last interaction.
    pub is_last: bool,
    /// This interaction's own touchpoint.
    pub touchpoint_id: Option<i64>,
    /// The previous interaction required customer action (`customerActionRequired`).
    pub prev_customer_action: bool,
    /// The previous interaction's touchpoint promises PROMPT within `prompt_within`,
    /// and this interaction came later than that (a PROMPT breach).
    pub prompt_breach: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
