//! The chart against the log: de facto ownership of touchpoints, promises kept, and the
//! interactions behind both.

use async_graphql::{Object, SimpleObject};
use service::reports::drift::{self, FunctionShare as Share};
use service::reports::promises::{PromiseReport as Promises, PromiseRow};
use service::rules::drift::{DriftKind, Kept};

use super::case::Interaction;
use super::chart::{Function, Touchpoint};
use super::enums::{ComparisonPeriod, DriftFindingKindEnum, ExperienceElementEnum, SeverityEnum};
use super::window::{instant, Duration, Instant, WindowOutput};

/// A function's part of a touchpoint's interactions.
#[derive(Clone)]
pub struct FunctionShare(Share);

/// A function's part of a touchpoint's interactions.
#[Object]
impl FunctionShare {
    /// The function (`null` only if it was deleted from the database by hand).
    async fn function(&self) -> Option<Function> {
        self.0.function.clone().map(Function)
    }
    /// Interactions at the touchpoint this function handled in the window.
    async fn interactions(&self) -> i64 {
        self.0.interactions
    }
    /// `interactions` over the touchpoint's interactions, 0 to 1; `null` when the
    /// touchpoint had none in the window.
    async fn share(&self) -> Option<f64> {
        self.0.share
    }
}

fn shares(list: &[Share]) -> Vec<FunctionShare> {
    list.iter().cloned().map(FunctionShare).collect()
}

/// Who handles one live touchpoint in fact, beside who owns it on paper.
pub struct TouchpointOwnership(drift::TouchpointOwnership);

/// Who handles one live touchpoint in fact, beside who owns it on paper.
#[Object]
impl TouchpointOwnership {
    /// The touchpoint.
    async fn touchpoint(&self) -> Touchpoint {
        Touchpoint(self.0.touchpoint.clone())
    }
    /// Interactions at the touchpoint in the window by functions that are not archived.
    async fn interactions(&self) -> i64 {
        self.0.interactions
    }
    /// Every function (not archived) that handled the touchpoint in the window, largest
    /// share first, equal shares by name (byte-wise); the shares sum to 1.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn shares(&self) -> Vec<FunctionShare> {
        shares(&self.0.shares)
    }
    /// The function with the largest share (on a tie, the name that sorts first);
    /// `null` when no interaction was recorded here in the window.
    async fn de_facto_owner(&self) -> Option<FunctionShare> {
        self.0.de_facto_owner.clone().map(FunctionShare)
    }
    /// The ACCOUNTABLE functions on paper with their shares (0 when they handled none).
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn accountable(&self) -> Vec<FunctionShare> {
        shares(&self.0.accountable)
    }
    /// The RESPONSIBLE functions on paper with their shares (0 when they handled none).
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn responsible(&self) -> Vec<FunctionShare> {
        shares(&self.0.responsible)
    }
    /// Whether the touchpoint had at least `minInteractions` interactions in the
    /// window, so that findings are made on it.
    async fn judged(&self) -> bool {
        self.0.judged
    }
    /// The findings that hold here (none when not judged).
    async fn findings(&self) -> Vec<DriftFindingKindEnum> {
        self.0.findings.iter().copied().map(Into::into).collect()
    }
}

/// A contradiction between the responsibility map and the log at one touchpoint.
pub struct DriftFinding(DriftKind, drift::TouchpointOwnership);

/// A contradiction between the responsibility map and the log at one touchpoint.
#[Object]
impl DriftFinding {
    /// What the log contradicts.
    async fn kind(&self) -> DriftFindingKindEnum {
        self.0.into()
    }
    /// CX_CARRIES_OWNED_TOUCHPOINT is an ERROR, DE_FACTO_OWNER_NOT_RESPONSIBLE a WARNING.
    async fn severity(&self) -> SeverityEnum {
        self.0.severity().into()
    }
    /// The touchpoint concerned.
    async fn touchpoint(&self) -> Touchpoint {
        Touchpoint(self.1.touchpoint.clone())
    }
    /// Interactions at the touchpoint in the window.
    async fn interactions(&self) -> i64 {
        self.1.interactions
    }
    /// The function that handles the touchpoint in fact, with its share.
    async fn de_facto_owner(&self) -> Option<FunctionShare> {
        self.1.de_facto_owner.clone().map(FunctionShare)
    }
    /// The ACCOUNTABLE functions with their shares.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn accountable(&self) -> Vec<FunctionShare> {
        shares(&self.1.accountable)
    }
    /// The RESPONSIBLE functions with their shares.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn responsible(&self) -> Vec<FunctionShare> {
        shares(&self.1.responsible)
    }
    /// A sentence for a human, naming the touchpoint, the functions and their shares.
    async fn message(&self) -> String {
        drift::message(self.0, &self.1)
    }
}

/// De facto ownership of every live touchpoint over a window.
pub struct TouchpointOwnershipReport(pub drift::OwnershipReport);

/// De facto ownership of every live touchpoint over a window.
#[Object]
impl TouchpointOwnershipReport {
    /// The window reported on.
    async fn window(&self) -> WindowOutput {
        self.0.window.into()
    }
    /// The organization's `minInteractions` the findings were made with.
    async fn min_interactions(&self) -> i64 {
        self.0.min_interactions
    }
    /// Every live touchpoint, in the order they were created.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn touchpoints(&self) -> Vec<TouchpointOwnership> {
        self.0
            .touchpoints
            .iter()
            .cloned()
            .map(TouchpointOwnership)
            .collect()
    }
    /// Every finding, errors first, then by touchpoint in creation order.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn findings(&self) -> Vec<DriftFinding> {
        let mut findings: Vec<DriftFinding> = self
            .0
            .touchpoints
            .iter()
            .flat_map(|t| t.findings.iter().map(|kind| DriftFinding(*kind, t.clone())))
            .collect();
        findings.sort_by_key(|f| f.0.severity());
        findings
    }
}

/// The log's figures for one promise over one earlier period.
#[derive(SimpleObject)]
pub struct PromiseComparison {
    /// Which earlier period this is.
    pub period: ComparisonPeriod,
    /// The earlier window.
    pub window: WindowOutput,
    /// Opportunities in the earlier window; `null` when not measured.
    pub opportunities: Option<i64>,
    /// Breaches in the earlier window; `null` when not measured.
    pub breaches: Option<i64>,
    /// breaches ÷ opportunities in the earlier window; `null` without an opportunity.
    pub breach_rate: Option<f64>,
    /// The report's breach rate minus the earlier one; `null` when either is.
    pub breach_rate_delta: Option<f64>,
}

/// One experience element at one touchpoint: whether it is promised, and what the log
/// shows of it.
pub struct PromiseFigures(PromiseRow);

/// One experience element at one touchpoint: whether it is promised, and what the log
/// shows of it.
#[Object]
impl PromiseFigures {
    /// The touchpoint.
    async fn touchpoint(&self) -> Touchpoint {
        Touchpoint(self.0.touchpoint.clone())
    }
    /// The experience element.
    async fn element(&self) -> ExperienceElementEnum {
        self.0.element.into()
    }
    /// Whether the touchpoint lists the element in its `experience`.
    async fn promised(&self) -> bool {
        self.0.promised
    }
    /// Whether the log can check the element here: SINGLE_POINT_OF_CONTACT always,
    /// PROMPT where the touchpoint sets `promptWithin`, the others never.
    async fn measured(&self) -> bool {
        self.0.kept.is_some()
    }
    /// Interactions here whose next interaction (in the window) could keep or break
    /// the promise; `null` when not measured.
    async fn opportunities(&self) -> Option<i64> {
        self.0.kept.map(|k| k.opportunities)
    }
    /// Opportunities where the promise broke: the next interaction was by another
    /// function (SINGLE_POINT_OF_CONTACT) or later than `promptWithin` (PROMPT);
    /// `null` when not measured. `promiseBreaches` lists them.
    async fn breaches(&self) -> Option<i64> {
        self.0.kept.map(|k| k.breaches)
    }
    /// breaches ÷ opportunities; `null` without an opportunity.
    async fn breach_rate(&self) -> Option<f64> {
        self.0.kept.and_then(|k| k.breach_rate())
    }
    /// The same figures over the earlier periods asked for, in the order asked.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn comparisons(&self) -> Vec<PromiseComparison> {
        let rate = |kept: Option<Kept>| kept.and_then(|k| k.breach_rate());
        let now = rate(self.0.kept);
        self.0
            .comparisons
            .iter()
            .map(|(period, window, kept)| PromiseComparison {
                period: (*period).into(),
                window: (*window).into(),
                opportunities: kept.map(|k| k.opportunities),
                breaches: kept.map(|k| k.breaches),
                breach_rate: rate(*kept),
                breach_rate_delta: now.zip(rate(*kept)).map(|(now, then)| now - then),
            })
            .collect()
    }
}

/// Rows of promise figures, one per touchpoint and element.
pub fn promise_figures(rows: Vec<PromiseRow>) -> Vec<PromiseFigures> {
    rows.into_iter().map(PromiseFigures).collect()
}

/// Which promised experience elements the log shows kept or broken over a window.
pub struct PromiseReport(pub Promises);

/// Which promised experience elements the log shows kept or broken over a window.
#[Object]
impl PromiseReport {
    /// The window reported on.
    async fn window(&self) -> WindowOutput {
        self.0.window.into()
    }
    /// Per live touchpoint (in creation order) and element (in the order of the
    /// `ExperienceElement` enum): the elements it promises, and those the log checks
    /// there though unpromised.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn promises(&self) -> Vec<PromiseFigures> {
        promise_figures(self.0.rows.clone())
    }
}

/// A broken promise: an interaction at a touchpoint and the next one of its case.
#[derive(Clone)]
pub struct PromiseBreach(pub drift::Breach);

/// A broken promise: an interaction at a touchpoint and the next one of its case.
#[Object]
impl PromiseBreach {
    /// The promise broken: SINGLE_POINT_OF_CONTACT or PROMPT.
    async fn element(&self) -> ExperienceElementEnum {
        match self.0.measure {
            drift::Measure::SinglePointOfContact => ExperienceElementEnum::SinglePointOfContact,
            drift::Measure::Prompt => ExperienceElementEnum::Prompt,
        }
    }
    /// The case; `case(caseRef:)` shows its whole chain and flags.
    async fn case_ref(&self) -> &str {
        &self.0.next.case_ref
    }
    /// The interaction at the touchpoint.
    async fn interaction(&self) -> Interaction {
        Interaction(self.0.interaction.clone())
    }
    /// The next interaction of the case: by another function, or too late.
    async fn next(&self) -> Interaction {
        Interaction(self.0.next.clone())
    }
    /// When the next interaction happened (what the window is matched against).
    async fn at(&self) -> Instant {
        instant(self.0.next.model.occurred_at)
    }
    /// How long the customer waited between the two.
    async fn waited(&self) -> Duration {
        Duration(self.0.gap())
    }
}
