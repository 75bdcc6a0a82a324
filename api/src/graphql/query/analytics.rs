//! Reading the silo analytics.

use async_graphql::{Context, InputObject, Object, ID};
use entity::{function, touchpoint};
use service::reports::handoff::{self, HandoffFilter};
use service::reports::{drift, network, promises, report, trend, voice};
use service::rules::flags::Flag;
use service::{ServiceError, ServiceResult};

use crate::graphql::context::{db, gated_report, page_size, viewer};
use crate::graphql::ids::{self, row, StepList};
use crate::graphql::types::case::Interaction;
use crate::graphql::types::case::{Case, Handoff};
use crate::graphql::types::connection::{
    Connection as _, FeedbackConnection, HandoffConnection, InteractionConnection,
    PromiseBreachConnection,
};
use crate::graphql::types::drift::{PromiseBreach, PromiseReport, TouchpointOwnershipReport};
use crate::graphql::types::enums::{
    ComparisonPeriod, ExperienceElementEnum, Granularity, HandoffFlagEnum,
};
use crate::graphql::types::findings::OwnershipFinding;
use crate::graphql::types::network::HandoffNetwork;
use crate::graphql::types::report::{SiloReport, SiloTrend};
use crate::graphql::types::voice::{FeedbackItem, FeedbackKind, SiloBucket, VoiceReport};
use crate::graphql::types::window::{Instant, WindowInput};

#[derive(Default)]
pub struct AnalyticsQuery;

/// Which feedback `voiceFeedback` lists; all given criteria must hold.
#[derive(InputObject, Default)]
pub struct VoiceFeedbackFilterInput {
    /// Offered or made in this window (absent: the whole history).
    pub window: Option<WindowInput>,
    /// Of this kind.
    pub kind: Option<FeedbackKind>,
    /// About cases in this silo bucket.
    pub silo_handoffs: Option<SiloBucket>,
    /// Answered surveys (true), or unanswered surveys and complaints (false).
    pub answered: Option<bool>,
}

/// Filters of `handoffs`; all given ones must hold.
#[derive(InputObject, Default)]
pub struct HandoffFilterInput {
    /// Handoffs whose second interaction is in this window.
    pub window: Option<WindowInput>,
    /// Handoffs from this function.
    pub from_function_id: Option<ID>,
    /// Handoffs to this function.
    pub to_function_id: Option<ID>,
    /// The touchpoint of the handoff's first interaction.
    pub touchpoint_id: Option<ID>,
    /// Flags that must all hold.
    #[graphql(default)]
    pub flags: Vec<HandoffFlagEnum>,
}

impl HandoffFilterInput {
    fn into_filter(self) -> ServiceResult<HandoffFilter> {
        Ok(HandoffFilter {
            window: WindowInput::resolve(self.window)?,
            from_function: self.from_function_id.as_ref().map(row::<function::Entity>),
            to_function: self.to_function_id.as_ref().map(row::<function::Entity>),
            touchpoint: self.touchpoint_id.as_ref().map(row::<touchpoint::Entity>),
            flags: self.flags.into_iter().map(Flag::from).collect(),
        })
    }
}

/// Which broken promises `promiseBreaches` lists.
#[derive(InputObject)]
pub struct PromiseBreachFilterInput {
    /// The touchpoint of the interactions whose promise broke.
    pub touchpoint_id: ID,
    /// SINGLE_POINT_OF_CONTACT or PROMPT (the elements the log can check).
    pub element: ExperienceElementEnum,
    /// Breaches whose next interaction is in this window (as `promiseReport` counts them).
    pub window: Option<WindowInput>,
    /// Breaches of interactions at the touchpoint handled by this function.
    pub function_id: Option<ID>,
}

/// Which interactions `touchpointInteractions` lists.
#[derive(InputObject)]
pub struct TouchpointInteractionFilterInput {
    /// The touchpoint they were at.
    pub touchpoint_id: ID,
    /// Only this function's (a share of `touchpointOwnership`).
    pub function_id: Option<ID>,
    /// Interactions in this window.
    pub window: Option<WindowInput>,
}

/// A page request of a step list: `first` and a decoded `after` of that list.
fn step_page_request(
    ctx: &Context<'_>,
    list: StepList,
    first: Option<i32>,
    after: Option<String>,
) -> ServiceResult<handoff::StepPageRequest> {
    let first = page_size(first)?;
    let after = after
        .map(|cursor| {
            ids::decode_step_cursor(list, &cursor)
                .ok_or_else(|| ServiceError::bad_input("`after` is not a cursor of this list"))
        })
        .transpose()?;
    Ok(handoff::StepPageRequest {
        first,
        after,
        with_total: ctx.look_ahead().field("totalCount").exists(),
    })
}

#[Object]
impl AnalyticsQuery {
    /// A case's chain: its interactions in order and its handoffs with their flags;
    /// `null` when no interaction of it is recorded.
    async fn case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The case's reference in the ticketing system.")] case_ref: String,
    ) -> ServiceResult<Option<Case>> {
        let org = viewer(ctx)?.organization_id;
        Ok(handoff::case_chain(db(ctx)?, org, &case_ref)
            .await?
            .map(Case))
    }

    /// Handoffs in time order (then by recording), filtered.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn handoffs(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Which handoffs; every condition given must hold (all when omitted).")]
        filter: Option<HandoffFilterInput>,
    ) -> ServiceResult<HandoffConnection> {
        let request = step_page_request(ctx, StepList::Handoffs, first, after)?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let org = viewer(ctx)?.organization_id;
        let page = handoff::list(db(ctx)?, org, &filter, request).await?;
        let items = page
            .items
            .into_iter()
            .map(|h| (ids::handoff_cursor(handoff::position(&h)), Handoff(h)))
            .collect();
        Ok(HandoffConnection::new(items, page.has_next, page.total))
    }

    /// Silo handoffs per function and touchpoint over a window, optionally compared
    /// with earlier periods (which need a window with both ends). Costs 2,000 per
    /// period in the complexity budget; an organization computes at most
    /// `SILOSCOPE_MAX_REPORTS_PER_ORG` reports and networks at once per server (more
    /// wait up to 5 s, then get `TOO_MANY_REQUESTS`).
    #[graphql(
        complexity = "crate::graphql::reports_gate::report_cost(1 + compare_to.len(), child_complexity)"
    )]
    async fn silo_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The window; absent means the whole history.")] window: Option<
            WindowInput,
        >,
        #[graphql(desc = "Earlier periods to compare the totals with.", default)] compare_to: Vec<
            ComparisonPeriod,
        >,
    ) -> ServiceResult<SiloReport> {
        let window = WindowInput::resolve(window)?;
        let periods: Vec<report::ComparisonPeriod> =
            compare_to.into_iter().map(Into::into).collect();
        let report = gated_report(ctx, move |db, figures, org| async move {
            report::silo_report(&db, &figures, org, window, &periods).await
        })
        .await?;
        Ok(SiloReport(report))
    }

    /// The silo report of every calendar period from the one holding `from` to the
    /// one holding the last instant before `to`, in the organization's time zone
    /// (periods begin at local midnight; weeks on Monday). Each point is exactly the
    /// `siloReport` of its period. With `compareTo`, PREVIOUS_PERIOD compares each
    /// point with the period before it (last month, last week…) and
    /// SAME_PERIOD_LAST_YEAR with the period holding its first day a year earlier. At
    /// most 400 points. Costs 2,000 per series (the points, and each comparison) and
    /// takes a turn like `siloReport`.
    #[graphql(
        complexity = "crate::graphql::reports_gate::report_cost(1 + compare_to.len(), child_complexity)"
    )]
    async fn silo_trend(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An instant in the first period.")] from: Instant,
        #[graphql(
            desc = "The end of the range, exclusive: the last period holds the instant just before it."
        )]
        to: Instant,
        #[graphql(desc = "How long each period is.")] granularity: Granularity,
        #[graphql(desc = "Series to compare each point with.", default)] compare_to: Vec<
            ComparisonPeriod,
        >,
    ) -> ServiceResult<SiloTrend> {
        let window = WindowInput::resolve(Some(WindowInput {
            from: Some(from),
            to: Some(to),
        }))?;
        let request = trend::TrendRequest {
            from: window.lower(),
            to: window.upper(),
            granularity: granularity.into(),
            compare_to: compare_to.into_iter().map(Into::into).collect(),
        };
        let trend = gated_report(ctx, move |db, figures, org| async move {
            trend::silo_trend(&db, &figures, org, &request).await
        })
        .await?;
        Ok(SiloTrend(trend))
    }

    /// Who hands customers to whom over a window, with handover-of-work weights. Costs
    /// 2,000 in the complexity budget and takes a turn like `siloReport`.
    #[graphql(complexity = "crate::graphql::reports_gate::report_cost(1, child_complexity)")]
    async fn handoff_network(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The window; absent means the whole history.")] window: Option<
            WindowInput,
        >,
    ) -> ServiceResult<HandoffNetwork> {
        let window = WindowInput::resolve(window)?;
        let network = gated_report(ctx, move |db, figures, org| async move {
            network::handoff_network(&db, &figures, org, window).await
        })
        .await?;
        Ok(HandoffNetwork(network))
    }

    /// Who handles each live touchpoint in fact over a window (each function's share of
    /// its interactions, the de facto owner) beside its ACCOUNTABLE and RESPONSIBLE
    /// functions, and the findings where the log contradicts the map (touchpoints with
    /// at least the organization's `minInteractions` interactions). Costs 2,000 in the
    /// complexity budget and takes a turn like `siloReport`.
    #[graphql(complexity = "crate::graphql::reports_gate::report_cost(1, child_complexity)")]
    async fn touchpoint_ownership(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The window; absent means the whole history.")] window: Option<
            WindowInput,
        >,
    ) -> ServiceResult<TouchpointOwnershipReport> {
        let window = WindowInput::resolve(window)?;
        let report = gated_report(ctx, move |db, figures, org| async move {
            drift::touchpoint_ownership(&db, &figures, org, window).await
        })
        .await?;
        Ok(TouchpointOwnershipReport(report))
    }

    /// Which promised experience elements the log shows kept or broken over a window:
    /// per touchpoint and element, opportunities, breaches and the breach rate,
    /// optionally compared with earlier periods (which need a window with both ends).
    /// Costs 2,000 per period and takes a turn like `siloReport`.
    #[graphql(
        complexity = "crate::graphql::reports_gate::report_cost(1 + compare_to.len(), child_complexity)"
    )]
    async fn promise_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The window; absent means the whole history.")] window: Option<
            WindowInput,
        >,
        #[graphql(desc = "Earlier periods to compare the figures with.", default)] compare_to: Vec<
            ComparisonPeriod,
        >,
    ) -> ServiceResult<PromiseReport> {
        let window = WindowInput::resolve(window)?;
        let periods: Vec<report::ComparisonPeriod> =
            compare_to.into_iter().map(Into::into).collect();
        let report = gated_report(ctx, move |db, figures, org| async move {
            report::promise_report(&db, &figures, org, window, &periods).await
        })
        .await?;
        Ok(PromiseReport(report))
    }

    /// What customers said over a window (surveys by `at`, complaints by when they
    /// were made), held against the SILO handoffs of their cases: per survey kind
    /// and silo bucket, raw against reweighted scores, who absorbed the scores,
    /// complaints, and SCORES_HIDE_SILOS (docs/rules.md §11). Optionally compared with
    /// earlier periods (which need a window with both ends). Costs 2,000 per period and
    /// takes a turn like `siloReport`. Roles: every role that reads reports.
    #[graphql(
        complexity = "crate::graphql::reports_gate::report_cost(1 + compare_to.len(), child_complexity)"
    )]
    async fn voice_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The window; absent means the whole history.")] window: Option<
            WindowInput,
        >,
        #[graphql(desc = "Earlier periods to compare the figures with.", default)] compare_to: Vec<
            ComparisonPeriod,
        >,
    ) -> ServiceResult<VoiceReport> {
        let window = WindowInput::resolve(window)?;
        let periods: Vec<report::ComparisonPeriod> =
            compare_to.into_iter().map(Into::into).collect();
        let report = gated_report(ctx, move |db, figures, org| async move {
            voice::voice_report(&db, &figures, org, window, &periods).await
        })
        .await?;
        Ok(VoiceReport(report))
    }

    /// The feedback behind a `voiceReport` figure, in recording order, with the SILO
    /// handoffs of its case. Takes a turn like `siloReport`.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn voice_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which feedback.", default)] filter: VoiceFeedbackFilterInput,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ServiceResult<FeedbackConnection> {
        let request = crate::graphql::context::page_request::<entity::feedback::Entity>(
            ctx,
            first,
            after.as_deref(),
        )?;
        let filter = voice::VoiceFilter {
            window: WindowInput::resolve(filter.window)?,
            kind: filter.kind.map(Into::into),
            bucket: filter.silo_handoffs.map(Into::into),
            answered: filter.answered,
        };
        let page = gated_report(ctx, move |db, figures, org| async move {
            voice::voice_items(&db, &figures, org, filter, request).await
        })
        .await?;
        let items = page
            .items
            .into_iter()
            .map(|item| {
                (
                    ids::cursor::<entity::feedback::Entity>(item.id),
                    FeedbackItem::from(item),
                )
            })
            .collect();
        Ok(FeedbackConnection::new(items, page.has_next, page.total))
    }

    /// The broken promises behind a `promiseReport` figure, in the order of their next
    /// interactions: each interaction at the touchpoint and the next one of its case.
    /// Takes a turn like `siloReport`.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn promise_breaches(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which breaches.")] filter: PromiseBreachFilterInput,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ServiceResult<PromiseBreachConnection> {
        let request = step_page_request(ctx, StepList::PromiseBreaches, first, after)?;
        let element: service::model::touchpoint::ExperienceElement = filter.element.into();
        let measure = promises::measure(element).ok_or_else(|| {
            ServiceError::bad_input(format!(
                "{} cannot be checked against the log: ask for SINGLE_POINT_OF_CONTACT or PROMPT",
                element.name()
            ))
        })?;
        let filter = drift::BreachFilter {
            touchpoint: row::<touchpoint::Entity>(&filter.touchpoint_id),
            measure,
            window: WindowInput::resolve(filter.window)?,
            function: filter.function_id.as_ref().map(row::<function::Entity>),
        };
        let page = gated_report(ctx, move |db, _, org| async move {
            drift::breaches(&db, org, &filter, request).await
        })
        .await?;
        let items = page
            .items
            .into_iter()
            .map(|b| {
                (
                    ids::step_cursor(StepList::PromiseBreaches, b.position()),
                    PromiseBreach(b),
                )
            })
            .collect();
        Ok(PromiseBreachConnection::new(
            items,
            page.has_next,
            page.total,
        ))
    }

    /// The interactions behind a share of `touchpointOwnership`: those at a touchpoint
    /// (by one function), in time order. Without `functionId` archived functions'
    /// interactions are listed too, which `touchpointOwnership` leaves out. Takes a turn
    /// like `siloReport`.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn touchpoint_interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which interactions.")] filter: TouchpointInteractionFilterInput,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ServiceResult<InteractionConnection> {
        let request = step_page_request(ctx, StepList::TouchpointInteractions, first, after)?;
        let filter = drift::HandledFilter {
            touchpoint: row::<touchpoint::Entity>(&filter.touchpoint_id),
            function: filter.function_id.as_ref().map(row::<function::Entity>),
            window: WindowInput::resolve(filter.window)?,
        };
        let page = gated_report(ctx, move |db, _, org| async move {
            drift::handled_at(&db, org, &filter, request).await
        })
        .await?;
        let items = page
            .items
            .into_iter()
            .map(|i| {
                let position = (i.model.occurred_at, i.model.id);
                (
                    ids::step_cursor(StepList::TouchpointInteractions, position),
                    Interaction(i),
                )
            })
            .collect();
        Ok(InteractionConnection::new(items, page.has_next, page.total))
    }

    /// Gaps in the responsibility map of live touchpoints and functions (see the
    /// rules: docs/rules.md, "Ownership findings").
    async fn ownership_findings(&self, ctx: &Context<'_>) -> ServiceResult<Vec<OwnershipFinding>> {
        let org = viewer(ctx)?.organization_id;
        Ok(
            service::reports::ownership::ownership_findings(db(ctx)?, org)
                .await?
                .into_iter()
                .map(OwnershipFinding)
                .collect(),
        )
    }
}
