//! Reading the silo analytics.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, ID};

use crate::analysis::chain::Step;
use crate::analysis::flags::Flag;
use crate::error::{ApiError, ApiResult};
use crate::graphql::context::{db, viewer};
use crate::graphql::types::analytics::{
    Case, Comparison, Handoff, HandoffNetwork, Interaction, Names, OwnershipFinding, SiloReport,
    TotalsDelta,
};
use crate::graphql::types::enums::{ComparisonPeriod, HandoffFlagEnum};
use crate::graphql::types::window::{previous_period, year_before, WindowInput};
use crate::ids;
use crate::service::interaction::{check_case_ref, handoff_key, org_map};
use crate::service::report::{case_chain, case_refs, handoffs, report, report_now, HandoffFilter};
use crate::service::scoped::MAX_PAGE;

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

/// The cursor after a handoff: its instant and its second interaction's id.
fn handoff_cursor(step: &Step) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(format!("handoff:{}:{}", step.at, step.interaction_id))
}

fn decode_handoff_cursor(cursor: &str) -> Option<(i64, i64)> {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let mut parts = text.strip_prefix("handoff:")?.split(':');
    let at = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    Some((at, id))
}

fn step_of(model: entity::step::Model) -> Step {
    Step {
        interaction_id: model.interaction_id,
        position: model.position,
        at: model.at,
        function_id: model.function_id,
        prev_interaction_id: model.prev_interaction_id,
        prev_function_id: model.prev_function_id,
        prev_touchpoint_id: model.prev_touchpoint_id,
        prev_at: model.prev_at,
        prev_same_function_at: model.prev_same_function_at,
        prev_handoff_from_at: model.prev_handoff_from_at,
        ping_pong: model.ping_pong,
        customer_burden: model.customer_burden,
        deferral_language: model.deferral_language,
        is_last: model.is_last,
    }
}

#[Object]
impl AnalyticsQuery {
    /// A case's chain: its interactions in order and its handoffs with their flags;
    /// `null` when no interaction of it is recorded.
    async fn case(&self, ctx: &Context<'_>, case_ref: String) -> ApiResult<Option<Case>> {
        check_case_ref(&case_ref)?;
        let org = viewer(ctx)?.organization_id;
        let db = db(ctx)?;
        let Some(chain) = case_chain(db, org, &case_ref).await? else {
            return Ok(None);
        };
        let names = Names::load(db, org).await?;
        let map = org_map(db, org).await?;
        let handoffs = chain
            .steps
            .iter()
            .filter(|s| s.is_handoff())
            .map(|s| Handoff {
                step: s.clone(),
                case_ref: chain.case.case_ref.clone(),
                flags: map.classify(&handoff_key(s)),
                names: names.clone(),
            })
            .collect();
        Ok(Some(Case {
            case_ref: chain.case.case_ref,
            interactions: chain
                .interactions
                .into_iter()
                .map(|model| Interaction {
                    model,
                    names: names.clone(),
                })
                .collect(),
            handoffs,
        }))
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
    ) -> ApiResult<Connection<String, Handoff, EmptyFields>> {
        let first = first.unwrap_or(20);
        if first < 1 || first as u64 > MAX_PAGE {
            return Err(ApiError::bad_input(format!(
                "`first` must be from 1 to {MAX_PAGE}"
            )));
        }
        let after = match &after {
            Some(cursor) => Some(
                decode_handoff_cursor(cursor)
                    .ok_or_else(|| ApiError::bad_input("`after` is not a cursor of this list"))?,
            ),
            None => None,
        };
        let input = filter.unwrap_or_default();
        let unknown = -1;
        let decode = |id: &Option<ID>, kind: &str| {
            id.as_ref()
                .map(|id| ids::decode_kind(kind, id).unwrap_or(unknown))
        };
        let filter = HandoffFilter {
            window: WindowInput::resolve(input.window)?,
            from_function: decode(&input.from_function_id, "Function"),
            to_function: decode(&input.to_function_id, "Function"),
            touchpoint: decode(&input.touchpoint_id, "Touchpoint"),
            flags: input.flags.iter().map(|f| Flag::from(*f)).collect(),
        };
        let org = viewer(ctx)?.organization_id;
        let db = db(ctx)?;
        let map = org_map(db, org).await?;
        let (rows, has_next) = handoffs(db, org, &filter, &map, first as u64, after).await?;
        let names = Names::load(db, org).await?;
        let case_ids: Vec<i64> = rows.iter().map(|r| r.case_id).collect();
        let refs = case_refs(db, org, &case_ids).await?;
        let mut connection = Connection::new(after.is_some(), has_next);
        for row in rows {
            let case_ref = refs.get(&row.case_id).cloned().unwrap_or_default();
            let step = step_of(row);
            let cursor = handoff_cursor(&step);
            connection.edges.push(Edge::new(
                cursor,
                Handoff {
                    flags: map.classify(&handoff_key(&step)),
                    step,
                    case_ref,
                    names: names.clone(),
                },
            ));
        }
        Ok(connection)
    }

    /// Silo handoffs per function and touchpoint over a window, optionally compared
    /// with earlier periods (which need a window with both ends).
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
        let db = db(ctx)?;
        let (current, map) = report_now(db, org, window).await?;
        let mut comparisons = Vec::new();
        for period in compare_to {
            let earlier = match period {
                ComparisonPeriod::PreviousPeriod => previous_period(window)?,
                ComparisonPeriod::SamePeriodLastYear => year_before(window)?,
            };
            let totals = report(db, org, earlier, &map).await?.totals;
            comparisons.push(Comparison {
                period,
                window: earlier.into(),
                delta: TotalsDelta::between(&current.totals, &totals),
                totals,
            });
        }
        Ok(SiloReport {
            window: window.into(),
            report: current,
            names: Names::load(db, org).await?,
            comparisons,
        })
    }

    /// Who hands customers to whom over a window, with handover-of-work weights.
    async fn handoff_network(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The window; absent means the whole history.")] window: Option<
            WindowInput,
        >,
    ) -> ApiResult<HandoffNetwork> {
        let window = WindowInput::resolve(window)?;
        let org = viewer(ctx)?.organization_id;
        let db = db(ctx)?;
        let (report, _) = report_now(db, org, window).await?;
        Ok(HandoffNetwork {
            window: window.into(),
            report,
            names: Names::load(db, org).await?,
        })
    }

    /// Gaps in the responsibility map of live touchpoints and functions (SPEC §4).
    async fn ownership_findings(&self, ctx: &Context<'_>) -> ApiResult<Vec<OwnershipFinding>> {
        let org = viewer(ctx)?.organization_id;
        let db = db(ctx)?;
        let findings = crate::service::ownership::ownership_findings(db, org).await?;
        let names = Names::load(db, org).await?;
        Ok(findings
            .into_iter()
            .map(|finding| OwnershipFinding {
                finding,
                names: names.clone(),
            })
            .collect())
    }
}
