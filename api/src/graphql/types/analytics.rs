//! Reports, handoffs, cases and findings.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::{Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use entity::{function, interaction, touchpoint};

use super::enums::{ComparisonPeriod, FindingKindEnum, HandoffFlagEnum, SeverityEnum};
use super::model::{Function, Touchpoint};
use super::window::{instant, WindowOutput};
use crate::analysis::chain::Step;
use crate::analysis::flags::{FlagCounts, Flags};
use crate::analysis::ownership::Finding;
use crate::analysis::report::{FunctionFigures, Report, Totals};
use crate::ids;

/// The organization's functions and touchpoints by id, to name report rows.
#[derive(Default)]
pub struct Names {
    pub functions: HashMap<i64, function::Model>,
    pub touchpoints: HashMap<i64, touchpoint::Model>,
}

impl Names {
    /// The organization's functions and touchpoints, archived ones included.
    pub async fn load(
        db: &impl sea_orm::ConnectionTrait,
        organization_id: i64,
    ) -> crate::error::ApiResult<Arc<Names>> {
        use crate::service::scoped::in_org;
        let functions = in_org::<function::Entity>(organization_id).all(db).await?;
        let touchpoints = in_org::<touchpoint::Entity>(organization_id)
            .all(db)
            .await?;
        Ok(Arc::new(Names {
            functions: functions.into_iter().map(|f| (f.id, f)).collect(),
            touchpoints: touchpoints.into_iter().map(|t| (t.id, t)).collect(),
        }))
    }

    fn function(&self, id: i64) -> Option<Function> {
        self.functions.get(&id).cloned().map(Function)
    }
    fn touchpoint(&self, id: Option<i64>) -> Option<Touchpoint> {
        id.and_then(|id| self.touchpoints.get(&id))
            .cloned()
            .map(Touchpoint)
    }
}

/// Counts of handoffs by flag.
#[derive(SimpleObject, Clone, Copy, Debug, Default)]
pub struct FlagFigures {
    /// Handoffs (pairs of consecutive interactions whose functions differ).
    pub handoffs: i64,
    /// Handoffs to a CX team from a function that is not one.
    pub deferrals_to_cx: i64,
    /// Deferrals to CX where CX was not the designed owner: the silo handoffs.
    pub silo_handoffs: i64,
    /// Deferrals to CX by a function that owns the touchpoint.
    pub owned_deferrals: i64,
    /// Handoffs that bounced the customer back (A→B→A).
    pub ping_pongs: i64,
    /// Handoffs after which the customer was left with something to do.
    pub customer_burden: i64,
    /// Handoffs whose first note uses deferral language.
    pub deferral_language: i64,
}

impl From<FlagCounts> for FlagFigures {
    fn from(c: FlagCounts) -> Self {
        FlagFigures {
            handoffs: c.handoffs,
            deferrals_to_cx: c.deferrals_to_cx,
            silo_handoffs: c.silo_handoffs,
            owned_deferrals: c.owned_deferrals,
            ping_pongs: c.ping_pongs,
            customer_burden: c.customer_burden,
            deferral_language: c.deferral_language,
        }
    }
}

/// The totals of a window.
pub struct TotalsFigures(pub Totals);

/// The totals of a window.
#[Object(name = "Totals")]
impl TotalsFigures {
    /// Cases with at least one interaction in the window.
    async fn cases(&self) -> i64 {
        self.0.cases
    }
    /// Interactions in the window.
    async fn interactions(&self) -> i64 {
        self.0.interactions
    }
    /// Handoffs whose second interaction is in the window.
    async fn handoffs(&self) -> i64 {
        self.0.flags.handoffs
    }
    /// SILO handoffs: deferrals to CX where CX was not the designed owner.
    async fn silo_handoffs(&self) -> i64 {
        self.0.flags.silo_handoffs
    }
    /// DEFERRAL_TO_CX handoffs.
    async fn deferrals_to_cx(&self) -> i64 {
        self.0.flags.deferrals_to_cx
    }
    /// OWNED_DEFERRAL handoffs.
    async fn owned_deferrals(&self) -> i64 {
        self.0.flags.owned_deferrals
    }
    /// PING_PONG handoffs.
    async fn ping_pongs(&self) -> i64 {
        self.0.flags.ping_pongs
    }
    /// CUSTOMER_BURDEN handoffs.
    async fn customer_burden(&self) -> i64 {
        self.0.flags.customer_burden
    }
    /// DEFERRAL_LANGUAGE handoffs.
    async fn deferral_language(&self) -> i64 {
        self.0.flags.deferral_language
    }
    /// Cases whose last interaction is in the window and handled by a CX team.
    async fn cases_ending_at_cx(&self) -> i64 {
        self.0.cases_ending_at_cx
    }
    /// Share of the window's cases whose window interactions all have one function;
    /// `null` when the window has no case.
    async fn single_point_of_contact_rate(&self) -> Option<f64> {
        self.0.single_point_of_contact_rate
    }
    /// Mean number of distinct functions per window case ("group stations");
    /// `null` when the window has no case.
    async fn mean_functions_per_case(&self) -> Option<f64> {
        self.0.mean_functions_per_case
    }
}

/// Current minus earlier totals.
#[derive(SimpleObject, Clone, Debug, Default)]
pub struct TotalsDelta {
    /// Current minus earlier.
    pub cases: i64,
    /// Current minus earlier.
    pub interactions: i64,
    /// Current minus earlier.
    pub handoffs: i64,
    /// Current minus earlier.
    pub silo_handoffs: i64,
    /// Current minus earlier.
    pub deferrals_to_cx: i64,
    /// Current minus earlier.
    pub owned_deferrals: i64,
    /// Current minus earlier.
    pub ping_pongs: i64,
    /// Current minus earlier.
    pub customer_burden: i64,
    /// Current minus earlier.
    pub deferral_language: i64,
    /// Current minus earlier.
    pub cases_ending_at_cx: i64,
    /// `null` when either period has no case.
    pub single_point_of_contact_rate: Option<f64>,
    /// `null` when either period has no case.
    pub mean_functions_per_case: Option<f64>,
}

impl TotalsDelta {
    pub fn between(now: &Totals, then: &Totals) -> Self {
        let minus = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
        TotalsDelta {
            cases: now.cases - then.cases,
            interactions: now.interactions - then.interactions,
            handoffs: now.flags.handoffs - then.flags.handoffs,
            silo_handoffs: now.flags.silo_handoffs - then.flags.silo_handoffs,
            deferrals_to_cx: now.flags.deferrals_to_cx - then.flags.deferrals_to_cx,
            owned_deferrals: now.flags.owned_deferrals - then.flags.owned_deferrals,
            ping_pongs: now.flags.ping_pongs - then.flags.ping_pongs,
            customer_burden: now.flags.customer_burden - then.flags.customer_burden,
            deferral_language: now.flags.deferral_language - then.flags.deferral_language,
            cases_ending_at_cx: now.cases_ending_at_cx - then.cases_ending_at_cx,
            single_point_of_contact_rate: minus(
                now.single_point_of_contact_rate,
                then.single_point_of_contact_rate,
            ),
            mean_functions_per_case: minus(
                now.mean_functions_per_case,
                then.mean_functions_per_case,
            ),
        }
    }
}

/// A report compared with an earlier period.
pub struct Comparison {
    pub period: ComparisonPeriod,
    pub window: WindowOutput,
    pub totals: Totals,
    pub delta: TotalsDelta,
}

/// A report compared with an earlier period.
#[Object]
impl Comparison {
    /// Which earlier period this is.
    async fn period(&self) -> ComparisonPeriod {
        self.period
    }
    /// The earlier window.
    async fn window(&self) -> WindowOutput {
        self.window
    }
    /// The earlier window's totals.
    async fn totals(&self) -> TotalsFigures {
        TotalsFigures(self.totals.clone())
    }
    /// The report's totals minus the earlier ones.
    async fn delta(&self) -> &TotalsDelta {
        &self.delta
    }
}

/// Figures attributed to one function.
pub struct FunctionReport {
    function: Option<Function>,
    figures: FunctionFigures,
}

/// Figures attributed to one function.
#[Object]
impl FunctionReport {
    /// The function (`null` only if it was deleted from the database by hand).
    async fn function(&self) -> Option<&Function> {
        self.function.as_ref()
    }
    /// Handoffs from this function.
    async fn handoffs_out(&self) -> i64 {
        self.figures.out.handoffs
    }
    /// Handoffs to this function.
    async fn handoffs_in(&self) -> i64 {
        self.figures.handoffs_in
    }
    /// Flag counts of the handoffs from this function.
    async fn out(&self) -> FlagFigures {
        self.figures.out.into()
    }
    /// DEFERRAL_TO_CX handoffs from this function.
    async fn deferrals_to_cx(&self) -> i64 {
        self.figures.out.deferrals_to_cx
    }
    /// SILO handoffs from this function.
    async fn silo_handoffs(&self) -> i64 {
        self.figures.out.silo_handoffs
    }
    /// OWNED_DEFERRAL handoffs from this function.
    async fn owned_deferrals(&self) -> i64 {
        self.figures.out.owned_deferrals
    }
    /// PING_PONG handoffs from this function.
    async fn ping_pongs(&self) -> i64 {
        self.figures.out.ping_pongs
    }
    /// CUSTOMER_BURDEN handoffs from this function.
    async fn customer_burden(&self) -> i64 {
        self.figures.out.customer_burden
    }
    /// DEFERRAL_LANGUAGE handoffs from this function.
    async fn deferral_language(&self) -> i64 {
        self.figures.out.deferral_language
    }
    /// Window cases with an interaction of this function in the window.
    async fn cases_touched(&self) -> i64 {
        self.figures.cases_touched
    }
    /// deferralsToCx / handoffsOut; `null` when there is no handoff out.
    async fn deferral_rate(&self) -> Option<f64> {
        self.figures.deferral_rate()
    }
}

/// Figures attributed to one touchpoint (the touchpoint of a handoff's first interaction).
pub struct TouchpointReport {
    touchpoint: Option<Touchpoint>,
    figures: FlagCounts,
}

/// Figures attributed to one touchpoint (the touchpoint of a handoff's first interaction).
#[Object]
impl TouchpointReport {
    /// The touchpoint; `null` for handoffs whose first interaction had none.
    async fn touchpoint(&self) -> Option<&Touchpoint> {
        self.touchpoint.as_ref()
    }
    /// Handoffs whose first interaction was at this touchpoint.
    async fn handoffs(&self) -> i64 {
        self.figures.handoffs
    }
    /// DEFERRAL_TO_CX handoffs here.
    async fn deferrals_to_cx(&self) -> i64 {
        self.figures.deferrals_to_cx
    }
    /// SILO handoffs here.
    async fn silo_handoffs(&self) -> i64 {
        self.figures.silo_handoffs
    }
    /// OWNED_DEFERRAL handoffs here.
    async fn owned_deferrals(&self) -> i64 {
        self.figures.owned_deferrals
    }
    /// PING_PONG handoffs here.
    async fn ping_pongs(&self) -> i64 {
        self.figures.ping_pongs
    }
    /// CUSTOMER_BURDEN handoffs here.
    async fn customer_burden(&self) -> i64 {
        self.figures.customer_burden
    }
    /// DEFERRAL_LANGUAGE handoffs here.
    async fn deferral_language(&self) -> i64 {
        self.figures.deferral_language
    }
}

/// Silo handoffs and their context over a window.
pub struct SiloReport {
    pub window: WindowOutput,
    pub report: Report,
    pub names: Arc<Names>,
    pub comparisons: Vec<Comparison>,
}

/// Silo handoffs and their context over a window.
#[Object]
impl SiloReport {
    /// The window reported on.
    async fn window(&self) -> WindowOutput {
        self.window
    }
    /// Totals over the window.
    async fn totals(&self) -> TotalsFigures {
        TotalsFigures(self.report.totals.clone())
    }
    /// One row per function that handed off, received or touched a case in the window.
    async fn by_function(&self) -> Vec<FunctionReport> {
        let mut rows: Vec<FunctionReport> = self
            .report
            .by_function
            .iter()
            .map(|(id, figures)| FunctionReport {
                function: self.names.function(*id),
                figures: figures.clone(),
            })
            .collect();
        rows.sort_by(|a, b| {
            b.figures
                .out
                .silo_handoffs
                .cmp(&a.figures.out.silo_handoffs)
        });
        rows
    }
    /// One row per touchpoint with handoffs in the window (and one with `touchpoint: null`
    /// for handoffs without one).
    async fn by_touchpoint(&self) -> Vec<TouchpointReport> {
        let mut rows: Vec<TouchpointReport> = self
            .report
            .by_touchpoint
            .iter()
            .map(|(id, figures)| TouchpointReport {
                touchpoint: self.names.touchpoint(*id),
                figures: *figures,
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(r.figures.silo_handoffs));
        rows
    }
    /// The same totals over the earlier periods asked for in `compareTo`.
    async fn comparisons(&self) -> &[Comparison] {
        &self.comparisons
    }
}

/// Handoffs from one function to another.
pub struct HandoffEdge {
    from: Option<Function>,
    to: Option<Function>,
    figures: FlagCounts,
}

/// Handoffs from one function to another.
#[Object(name = "NetworkEdge")]
impl HandoffEdge {
    /// The function that handed the customer on.
    async fn from(&self) -> Option<&Function> {
        self.from.as_ref()
    }
    /// The function that received the customer.
    async fn to(&self) -> Option<&Function> {
        self.to.as_ref()
    }
    /// Handoffs along this edge.
    async fn count(&self) -> i64 {
        self.figures.handoffs
    }
    /// Their flag counts.
    async fn flags(&self) -> FlagFigures {
        self.figures.into()
    }
}

/// A handover-of-work weight (van der Aalst; PM4Py's with beta = 0).
pub struct HandoverWeight {
    from: Option<Function>,
    to: Option<Function>,
    count: i64,
    weight: f64,
}

/// A handover-of-work weight (van der Aalst; PM4Py's with beta = 0).
#[Object]
impl HandoverWeight {
    /// The function of the first interaction of the pairs.
    async fn from(&self) -> Option<&Function> {
        self.from.as_ref()
    }
    /// The function of the second interaction of the pairs.
    async fn to(&self) -> Option<&Function> {
        self.to.as_ref()
    }
    /// Consecutive pairs (same-function pairs included) from `from` to `to`.
    async fn count(&self) -> i64 {
        self.count
    }
    /// `count` over all consecutive pairs in the window.
    async fn weight(&self) -> f64 {
        self.weight
    }
}

/// Who hands customers to whom.
pub struct HandoffNetwork {
    pub window: WindowOutput,
    pub report: Report,
    pub names: Arc<Names>,
}

/// Who hands customers to whom.
#[Object]
impl HandoffNetwork {
    /// The window reported on.
    async fn window(&self) -> WindowOutput {
        self.window
    }
    /// One edge per (from, to) with handoffs.
    async fn edges(&self) -> Vec<HandoffEdge> {
        self.report
            .edges
            .iter()
            .map(|((from, to), figures)| HandoffEdge {
                from: self.names.function(*from),
                to: self.names.function(*to),
                figures: *figures,
            })
            .collect()
    }
    /// Consecutive pairs whose second interaction is in the window.
    async fn total_pairs(&self) -> i64 {
        self.report.pairs.values().sum()
    }
    /// The handover-of-work weights, same-function pairs included.
    async fn handover_of_work(&self) -> Vec<HandoverWeight> {
        let weights = self.report.handover_of_work();
        self.report
            .pairs
            .iter()
            .map(|((from, to), count)| HandoverWeight {
                from: self.names.function(*from),
                to: self.names.function(*to),
                count: *count,
                weight: weights.get(&(*from, *to)).copied().unwrap_or_default(),
            })
            .collect()
    }
}

fn flag_list(flags: Flags) -> Vec<HandoffFlagEnum> {
    flags
        .list()
        .into_iter()
        .map(HandoffFlagEnum::from)
        .collect()
}

/// A derived handoff: a case passed from one function to another.
pub struct Handoff {
    pub step: Step,
    pub case_ref: String,
    pub flags: Flags,
    pub names: Arc<Names>,
}

/// A derived handoff: a case passed from one function to another.
#[Object]
impl Handoff {
    /// Opaque; the id of the handoff's second interaction's place in its case.
    async fn id(&self) -> ID {
        ids::encode("Handoff", self.step.interaction_id)
    }
    /// The case the handoff belongs to; `case(caseRef:)` shows its whole chain.
    async fn case_ref(&self) -> &str {
        &self.case_ref
    }
    /// The function of the first interaction.
    async fn from(&self) -> Option<Function> {
        self.step
            .prev_function_id
            .and_then(|id| self.names.function(id))
    }
    /// The function of the second interaction.
    async fn to(&self) -> Option<Function> {
        self.names.function(self.step.function_id)
    }
    /// The touchpoint of the first interaction; `null` when it had none.
    async fn touchpoint(&self) -> Option<Touchpoint> {
        self.names.touchpoint(self.step.prev_touchpoint_id)
    }
    /// When the second interaction happened.
    async fn at(&self) -> DateTime<Utc> {
        instant(self.step.at)
    }
    /// The global id of the first interaction.
    async fn from_interaction_id(&self) -> Option<ID> {
        self.step
            .prev_interaction_id
            .map(|id| ids::encode("Interaction", id))
    }
    /// The global id of the second interaction.
    async fn to_interaction_id(&self) -> ID {
        ids::encode("Interaction", self.step.interaction_id)
    }
    /// The flags that hold, as the organization's map and phrase lists are now.
    async fn flags(&self) -> Vec<HandoffFlagEnum> {
        flag_list(self.flags)
    }
}

/// One recorded event of a case.
pub struct Interaction {
    pub model: interaction::Model,
    pub names: Arc<Names>,
}

/// One recorded event of a case.
#[Object]
impl Interaction {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        ids::encode("Interaction", self.model.id)
    }
    /// When it happened.
    async fn occurred_at(&self) -> DateTime<Utc> {
        instant(self.model.occurred_at)
    }
    /// The function that handled the case.
    async fn function(&self) -> Option<Function> {
        self.names.function(self.model.function_id)
    }
    /// `null` when recorded without one.
    async fn touchpoint(&self) -> Option<Touchpoint> {
        self.names.touchpoint(self.model.touchpoint_id)
    }
    /// The person's global id; `null` when recorded without one.
    async fn person_id(&self) -> Option<ID> {
        self.model.person_id.map(|id| ids::encode("Person", id))
    }
    /// `null` when recorded without one.
    async fn note(&self) -> Option<&str> {
        self.model.note.as_deref()
    }
    /// Whether the customer was left with something to do.
    async fn customer_action_required(&self) -> bool {
        self.model.customer_action_required
    }
    /// The source system's id; `null` when recorded without one.
    async fn external_id(&self) -> Option<&str> {
        self.model.external_id.as_deref()
    }
    /// Whether the note matches a burden phrase of the current list.
    async fn burden_phrase_matched(&self) -> bool {
        self.model.burden_match
    }
    /// Whether the note matches a deferral phrase of the current list.
    async fn deferral_phrase_matched(&self) -> bool {
        self.model.deferral_match
    }
}

/// A customer case: its interactions in order and the handoffs between them.
pub struct Case {
    pub case_ref: String,
    pub interactions: Vec<Interaction>,
    pub handoffs: Vec<Handoff>,
}

/// A customer case: its interactions in order and the handoffs between them.
#[Object]
impl Case {
    /// The case's reference in the ticketing system.
    async fn case_ref(&self) -> &str {
        &self.case_ref
    }
    /// In chain order: by occurredAt, then externalId byte-wise, then recording order.
    async fn interactions(&self) -> &[Interaction] {
        &self.interactions
    }
    /// Consecutive interactions whose functions differ, with their flags.
    async fn handoffs(&self) -> &[Handoff] {
        &self.handoffs
    }
}

/// A gap in the responsibility map.
pub struct OwnershipFinding {
    pub finding: Finding,
    pub names: Arc<Names>,
}

/// A gap in the responsibility map.
#[Object]
impl OwnershipFinding {
    /// What is wrong.
    async fn kind(&self) -> FindingKindEnum {
        self.finding.kind.into()
    }
    /// How serious it is: ERROR, WARNING or INFO.
    async fn severity(&self) -> SeverityEnum {
        self.finding.kind.severity().into()
    }
    /// The touchpoint concerned.
    async fn touchpoint(&self) -> Option<Touchpoint> {
        self.names.touchpoint(Some(self.finding.touchpoint_id))
    }
    /// The functions involved: the accountable ones for MULTIPLE_ACCOUNTABLE, the CX
    /// owners for CX_ONLY_OWNERSHIP, the function concerned for UNACKNOWLEDGED.
    async fn functions(&self) -> Vec<Function> {
        self.finding
            .function_ids
            .iter()
            .filter_map(|id| self.names.function(*id))
            .collect()
    }
    /// For UNACKNOWLEDGED: people of the function who acknowledged; `null` otherwise.
    async fn acknowledged(&self) -> Option<i64> {
        self.finding.coverage.map(|c| c.0)
    }
    /// For UNACKNOWLEDGED: people of the function; `null` otherwise.
    async fn people(&self) -> Option<i64> {
        self.finding.coverage.map(|c| c.1)
    }
    /// A sentence for a human.
    async fn message(&self) -> String {
        use crate::analysis::ownership::FindingKind::*;
        match self.finding.kind {
            NoAccountable => "no function is accountable for this touchpoint".into(),
            MultipleAccountable => {
                "more than one function is accountable for this touchpoint".into()
            }
            NoResponsible => "no function is responsible for this touchpoint".into(),
            CxOnlyOwnership => {
                "only CX teams own this touchpoint: CX has become a silo of its own".into()
            }
            Unacknowledged => {
                let (done, all) = self.finding.coverage.unwrap_or_default();
                format!("{done} of {all} people of the function acknowledged this responsibility")
            }
        }
    }
}
