//! The silo report: totals, per-function and per-touchpoint rows, comparisons.

use async_graphql::{Object, SimpleObject};
use service::reports::report::{self as reports, FunctionRow, TouchpointRow};
use service::rules::flags::FlagCounts;
use service::rules::report::{Totals, TotalsDelta as Delta};

use super::chart::{Function, Touchpoint};
use super::enums::{ComparisonPeriod, Granularity};
use super::voice::VoiceFigures;
use super::window::{Instant, WindowOutput};
use service::ServiceResult;

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
    /// deferralsToCx / handoffs: the share of handoffs that passed the customer to
    /// CX; `null` when the window has no handoff.
    async fn deferral_rate(&self) -> Option<f64> {
        self.0.deferral_rate()
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
    /// `null` when either period has no handoff.
    pub deferral_rate: Option<f64>,
}

impl From<&Delta> for TotalsDelta {
    fn from(d: &Delta) -> Self {
        let FlagFigures {
            handoffs,
            deferrals_to_cx,
            silo_handoffs,
            owned_deferrals,
            ping_pongs,
            customer_burden,
            deferral_language,
        } = d.flags.into();
        TotalsDelta {
            cases: d.cases,
            interactions: d.interactions,
            handoffs,
            silo_handoffs,
            deferrals_to_cx,
            owned_deferrals,
            ping_pongs,
            customer_burden,
            deferral_language,
            cases_ending_at_cx: d.cases_ending_at_cx,
            single_point_of_contact_rate: d.single_point_of_contact_rate,
            mean_functions_per_case: d.mean_functions_per_case,
            deferral_rate: d.deferral_rate,
        }
    }
}

/// A report compared with an earlier period.
pub struct Comparison(reports::Comparison);

/// A report compared with an earlier period.
#[Object]
impl Comparison {
    /// Which earlier period this is.
    async fn period(&self) -> ComparisonPeriod {
        self.0.period.into()
    }
    /// The earlier window.
    async fn window(&self) -> WindowOutput {
        self.0.window.into()
    }
    /// The earlier window's totals.
    async fn totals(&self) -> TotalsFigures {
        TotalsFigures(self.0.totals.clone())
    }
    /// The report's totals minus the earlier ones.
    async fn delta(&self) -> TotalsDelta {
        (&self.0.delta).into()
    }
}

/// Figures attributed to one function.
pub struct FunctionReport(FunctionRow);

/// Figures attributed to one function.
#[Object]
impl FunctionReport {
    /// The function (`null` only if it was deleted from the database by hand).
    async fn function(&self) -> Option<Function> {
        self.0.function.clone().map(Function)
    }
    /// Handoffs from this function.
    async fn handoffs_out(&self) -> i64 {
        self.0.figures.out.handoffs
    }
    /// Handoffs to this function.
    async fn handoffs_in(&self) -> i64 {
        self.0.figures.handoffs_in
    }
    /// DEFERRAL_TO_CX handoffs from this function.
    async fn deferrals_to_cx(&self) -> i64 {
        self.0.figures.out.deferrals_to_cx
    }
    /// SILO handoffs from this function.
    async fn silo_handoffs(&self) -> i64 {
        self.0.figures.out.silo_handoffs
    }
    /// OWNED_DEFERRAL handoffs from this function.
    async fn owned_deferrals(&self) -> i64 {
        self.0.figures.out.owned_deferrals
    }
    /// PING_PONG handoffs from this function.
    async fn ping_pongs(&self) -> i64 {
        self.0.figures.out.ping_pongs
    }
    /// CUSTOMER_BURDEN handoffs from this function.
    async fn customer_burden(&self) -> i64 {
        self.0.figures.out.customer_burden
    }
    /// DEFERRAL_LANGUAGE handoffs from this function.
    async fn deferral_language(&self) -> i64 {
        self.0.figures.out.deferral_language
    }
    /// Window cases with an interaction of this function in the window.
    async fn cases_touched(&self) -> i64 {
        self.0.figures.cases_touched
    }
    /// deferralsToCx / handoffsOut; `null` when there is no handoff out.
    async fn deferral_rate(&self) -> Option<f64> {
        self.0.figures.deferral_rate()
    }
}

/// Figures attributed to one touchpoint (the touchpoint of a handoff's first interaction).
pub struct TouchpointReport(TouchpointRow);

/// Figures attributed to one touchpoint (the touchpoint of a handoff's first interaction).
#[Object]
impl TouchpointReport {
    /// The touchpoint; `null` for handoffs whose first interaction had none.
    async fn touchpoint(&self) -> Option<Touchpoint> {
        self.0.touchpoint.clone().map(Touchpoint)
    }
    /// Handoffs whose first interaction was at this touchpoint.
    async fn handoffs(&self) -> i64 {
        self.0.figures.handoffs
    }
    /// DEFERRAL_TO_CX handoffs here.
    async fn deferrals_to_cx(&self) -> i64 {
        self.0.figures.deferrals_to_cx
    }
    /// SILO handoffs here.
    async fn silo_handoffs(&self) -> i64 {
        self.0.figures.silo_handoffs
    }
    /// OWNED_DEFERRAL handoffs here.
    async fn owned_deferrals(&self) -> i64 {
        self.0.figures.owned_deferrals
    }
    /// PING_PONG handoffs here.
    async fn ping_pongs(&self) -> i64 {
        self.0.figures.ping_pongs
    }
    /// CUSTOMER_BURDEN handoffs here.
    async fn customer_burden(&self) -> i64 {
        self.0.figures.customer_burden
    }
    /// DEFERRAL_LANGUAGE handoffs here.
    async fn deferral_language(&self) -> i64 {
        self.0.figures.deferral_language
    }
}

/// Silo handoffs and their context over a window.
pub struct SiloReport(pub reports::SiloReport);

/// Silo handoffs and their context over a window.
#[Object]
impl SiloReport {
    /// The window reported on.
    async fn window(&self) -> WindowOutput {
        self.0.window.into()
    }
    /// What customers said over the window, against the silo handoffs of their cases:
    /// the figures of `voiceReport(window:)` (on every `siloTrend` point, so months,
    /// quarters and years compare like every other figure). Takes a turn like
    /// `siloReport`.
    async fn voice(&self, ctx: &async_graphql::Context<'_>) -> ServiceResult<VoiceFigures> {
        let window = self.0.window;
        let report =
            crate::graphql::context::gated_report(ctx, move |db, figures, org| async move {
                service::reports::voice::voice_report(&db, &figures, org, window, &[]).await
            })
            .await?;
        Ok(VoiceFigures::of(report))
    }
    /// Totals over the window.
    async fn totals(&self) -> TotalsFigures {
        TotalsFigures(self.0.totals.clone())
    }
    /// `null` when the log is complete over the whole window. Otherwise the
    /// organization's retention period deleted the interactions that occurred before
    /// this instant, and the figures hold only what occurred from it on (as if the
    /// older interactions had never been recorded).
    async fn complete_from(&self) -> Option<Instant> {
        self.0.complete_from.map(super::window::instant)
    }
    /// One row per function that handed off, received or touched a case in the window;
    /// most silo handoffs (out) first, ties in the order the functions were created.
    async fn by_function(&self) -> Vec<FunctionReport> {
        self.0
            .by_function
            .iter()
            .cloned()
            .map(FunctionReport)
            .collect()
    }
    /// One row per touchpoint with handoffs in the window (and one with `touchpoint: null`
    /// for handoffs without one); most silo handoffs first, ties with the row without a
    /// touchpoint first, then in the order the touchpoints were created.
    async fn by_touchpoint(&self) -> Vec<TouchpointReport> {
        self.0
            .by_touchpoint
            .iter()
            .cloned()
            .map(TouchpointReport)
            .collect()
    }
    /// The same totals over the earlier periods asked for in `compareTo`.
    async fn comparisons(&self) -> Vec<Comparison> {
        self.0.comparisons.iter().cloned().map(Comparison).collect()
    }
    /// The promised experience elements as the log kept them over the window, with the
    /// same comparisons: `promiseReport`'s rows.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn promises(&self) -> Vec<super::drift::PromiseFigures> {
        super::drift::promise_figures(self.0.promises())
    }
}

/// The silo report of each calendar period of a range.
pub struct SiloTrend(pub service::reports::trend::Trend);

/// The silo report of each calendar period of a range.
#[Object]
impl SiloTrend {
    /// How long each period is.
    async fn granularity(&self) -> Granularity {
        self.0.granularity.into()
    }
    /// The IANA time zone the periods were taken in (the organization's).
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    /// One report per period, oldest first; each equals `siloReport` over its window,
    /// with the comparisons asked for.
    async fn points(&self) -> Vec<SiloReport> {
        self.0.points.iter().cloned().map(SiloReport).collect()
    }
}
