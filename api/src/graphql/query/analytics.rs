//! Reading the silo analytics.

use async_graphql::{Context, InputObject, Object, ID};
use entity::{function, touchpoint};
use service::handoff::{self, HandoffFilter};
use service::rules::flags::Flag;
use service::{report, ApiError, ApiResult};

use crate::graphql::context::{db, figures, page_size, reports_gate, viewer};
use crate::graphql::ids::{self, row};
use crate::graphql::types::case::{Case, Handoff};
use crate::graphql::types::connection::{Connection as _, HandoffConnection};
use crate::graphql::types::enums::{ComparisonPeriod, Granularity, HandoffFlagEnum};
use crate::graphql::types::findings::OwnershipFinding;
use crate::graphql::types::network::HandoffNetwork;
use crate::graphql::types::report::{SiloReport, SiloTrend};
use crate::graphql::types::window::{Instant, WindowInput};

#[derive(Default)]
pub struct AnalyticsQuery;

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
    fn into_filter(self) -> ApiResult<HandoffFilter> {
        Ok(HandoffFilter {
            window: WindowInput::resolve(self.window)?,
            from_function: self.from_function_id.as_ref().map(row::<function::Entity>),
            to_function: self.to_function_id.as_ref().map(row::<function::Entity>),
            touchpoint: self.touchpoint_id.as_ref().map(row::<touchpoint::Entity>),
            flags: self.flags.into_iter().map(Flag::from).collect(),
        })
    }
}

#[Object]
impl AnalyticsQuery {
    /// A case's chain: its interactions in order and its handoffs with their flags;
    /// `null` when no interaction of it is recorded.
    async fn case(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The case's reference in the ticketing system.")] case_ref: String,
    ) -> ApiResult<Option<Case>> {
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
    ) -> ApiResult<HandoffConnection> {
        let first = page_size(first)?;
        let after = after
            .map(|cursor| {
                ids::decode_handoff_cursor(&cursor)
                    .ok_or_else(|| ApiError::bad_input("`after` is not a cursor of this list"))
            })
            .transpose()?;
        let filter = filter.unwrap_or_default().into_filter()?;
        let org = viewer(ctx)?.organization_id;
        let request = handoff::HandoffPageRequest {
            first,
            after,
            with_total: ctx.look_ahead().field("totalCount").exists(),
        };
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
    ) -> ApiResult<SiloReport> {
        let window = WindowInput::resolve(window)?;
        let org = viewer(ctx)?.organization_id;
        let periods: Vec<report::ComparisonPeriod> =
            compare_to.into_iter().map(Into::into).collect();
        let db = db(ctx)?.clone();
        let figures = figures(ctx)?.clone();
        let report = reports_gate(ctx)?
            .run(org, async move {
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
    ) -> ApiResult<SiloTrend> {
        let window = WindowInput::resolve(Some(WindowInput {
            from: Some(from),
            to: Some(to),
        }))?;
        let request = report::TrendRequest {
            from: window.lower(),
            to: window.upper(),
            granularity: granularity.into(),
            compare_to: compare_to.into_iter().map(Into::into).collect(),
        };
        let org = viewer(ctx)?.organization_id;
        let db = db(ctx)?.clone();
        let figures = figures(ctx)?.clone();
        let trend = reports_gate(ctx)?
            .run(org, async move {
                report::silo_trend(&db, &figures, org, &request).await
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
    ) -> ApiResult<HandoffNetwork> {
        let window = WindowInput::resolve(window)?;
        let org = viewer(ctx)?.organization_id;
        let db = db(ctx)?.clone();
        let figures = figures(ctx)?.clone();
        let network = reports_gate(ctx)?
            .run(org, async move {
                report::handoff_network(&db, &figures, org, window).await
            })
            .await?;
        Ok(HandoffNetwork(network))
    }

    /// Gaps in the responsibility map of live touchpoints and functions (see the
    /// rules: docs/rules.md, "Ownership findings").
    async fn ownership_findings(&self, ctx: &Context<'_>) -> ApiResult<Vec<OwnershipFinding>> {
        let org = viewer(ctx)?.organization_id;
        Ok(service::ownership::ownership_findings(db(ctx)?, org)
            .await?
            .into_iter()
            .map(OwnershipFinding)
            .collect())
    }
}
