//! The chart against the log (docs/rules.md, "The chart against the log"): who handles
//! each touchpoint in fact beside who owns it on paper, and the interactions behind
//! every figure of it and of the promises (`report::promise_report`).

use std::collections::HashMap;
use std::sync::Arc;

use entity::enums::Role;
use entity::{function, interaction, responsibility, step, touchpoint};
use rules::drift::{ChartInput, DriftKind, FunctionFacts, Share};
use rules::rollup::Days;
use rules::Window;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Func, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::ServiceResult;
use crate::reports::handoff::{step_page, Interaction, StepPageRequest};
use crate::reports::names::Names;
use crate::reports::snapshot::{Figures, Snapshot};
use crate::storage::scoped::{in_org, Page};

/// A function's part of a touchpoint's interactions, with the function at hand.
#[derive(Clone, Debug)]
pub struct FunctionShare {
    /// `None` only if the function was deleted from the database by hand.
    pub function: Option<function::Model>,
    pub interactions: i64,
    /// `None` when the touchpoint had no interaction in the window.
    pub share: Option<f64>,
}

/// Who handles one live touchpoint in fact, beside who owns it on paper.
#[derive(Clone, Debug)]
pub struct TouchpointOwnership {
    pub touchpoint: touchpoint::Model,
    /// Interactions at the touchpoint in the window, by live functions.
    pub interactions: i64,
    /// Largest share first, ties by name.
    pub shares: Vec<FunctionShare>,
    pub de_facto_owner: Option<FunctionShare>,
    pub accountable: Vec<FunctionShare>,
    pub responsible: Vec<FunctionShare>,
    /// At least `min_interactions` interactions: findings are made.
    pub judged: bool,
    pub findings: Vec<DriftKind>,
}

impl FunctionShare {
    fn describe(&self) -> String {
        let name = self
            .function
            .as_ref()
            .map_or("a deleted function", |f| f.name.as_str());
        let percent = self.share.unwrap_or(0.0) * 100.0;
        format!("`{name}` ({percent:.0}%)")
    }
}

/// A sentence for a human about finding `kind` at `touchpoint`: the touchpoint, the
/// de facto owner and the owners on paper with their shares.
pub fn message(kind: DriftKind, touchpoint: &TouchpointOwnership) -> String {
    let name = &touchpoint.touchpoint.name;
    let owner = touchpoint
        .de_facto_owner
        .as_ref()
        .map_or_else(|| "no function".to_owned(), FunctionShare::describe);
    // The owners on paper, each once (a function may be both ACCOUNTABLE and
    // RESPONSIBLE); for CX_CARRIES_OWNED_TOUCHPOINT only those that are no CX team.
    let cx_only = kind == DriftKind::CxCarriesOwnedTouchpoint;
    let mut seen = Vec::new();
    let on_paper: Vec<String> = touchpoint
        .accountable
        .iter()
        .chain(&touchpoint.responsible)
        .filter(|s| !(cx_only && s.function.as_ref().is_some_and(|f| f.is_cx_team)))
        .filter(|s| {
            let id = s.function.as_ref().map(|f| f.id);
            let new = !seen.contains(&id);
            seen.push(id);
            new
        })
        .map(FunctionShare::describe)
        .collect();
    let on_paper = if on_paper.is_empty() {
        "no function".to_owned()
    } else {
        on_paper.join(", ")
    };
    match kind {
        DriftKind::DeFactoOwnerNotResponsible => format!(
            "{owner} handles most of touchpoint `{name}` but is neither accountable nor responsible for it; on paper: {on_paper}"
        ),
        DriftKind::CxCarriesOwnedTouchpoint => format!(
            "the CX team {owner} carries touchpoint `{name}`, owned on paper by {on_paper}: the owner has relinquished the customer"
        ),
    }
}

/// De facto ownership of every live touchpoint over a window.
#[derive(Clone, Debug)]
pub struct OwnershipReport {
    pub window: Window,
    /// The organization's `minInteractions` the findings were made with.
    pub min_interactions: i64,
    /// By creation.
    pub touchpoints: Vec<TouchpointOwnership>,
}

/// Who handles each live touchpoint in fact over `window`, and where that contradicts
/// the responsibility map.
pub async fn touchpoint_ownership(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    window: Window,
) -> ServiceResult<OwnershipReport> {
    let snapshot = figures.snapshot(db, organization_id).await?;
    let handled = handled(db, &snapshot, window).await?;
    let min_interactions = i64::from(
        crate::model::organization::get(db, organization_id)
            .await?
            .min_interactions,
    );
    let roles: Vec<(i64, i64, Role)> = in_org::<responsibility::Entity>(organization_id)
        .filter(responsibility::Column::Role.is_in([Role::Accountable, Role::Responsible]))
        .select_only()
        .columns([
            responsibility::Column::TouchpointId,
            responsibility::Column::FunctionId,
            responsibility::Column::Role,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let names = &snapshot.names;
    let live = names.live_touchpoints();
    let input = ChartInput {
        touchpoints: live.iter().map(|t| t.id).collect(),
        functions: names
            .functions()
            .map(|f| {
                let facts = FunctionFacts {
                    name: f.name.clone(),
                    is_cx: f.is_cx_team,
                    live: !f.archived,
                };
                (f.id, facts)
            })
            .collect(),
        roles: roles
            .into_iter()
            .map(|(t, f, role)| (t, f, crate::reports::ownership::rule_role(role)))
            .collect(),
        min_interactions,
    };
    let named = |share: &Share| FunctionShare {
        function: names.function(share.function_id).cloned(),
        interactions: share.interactions,
        share: share.share,
    };
    let all = |shares: &[Share]| shares.iter().map(named).collect();
    let touchpoints = rules::drift::ownership(&handled, &input)
        .into_iter()
        .zip(live)
        .map(|(o, touchpoint)| TouchpointOwnership {
            touchpoint: touchpoint.clone(),
            interactions: o.interactions,
            shares: all(&o.shares),
            de_facto_owner: o.de_facto_owner.as_ref().map(named),
            accountable: all(&o.accountable),
            responsible: all(&o.responsible),
            judged: o.judged,
            findings: o.findings,
        })
        .collect();
    Ok(OwnershipReport {
        window,
        min_interactions,
        touchpoints,
    })
}

/// Interactions per (touchpoint, function) in the window: from the rollups when the
/// window is whole local days, from the steps otherwise.
async fn handled(
    db: &impl ConnectionTrait,
    snapshot: &Snapshot,
    window: Window,
) -> ServiceResult<HashMap<(i64, i64), i64>> {
    let organization_id = snapshot.organization_id;
    if let Some(days) = Days::of(window, &snapshot.calendar) {
        return crate::log::derived::rollup::window_handled(
            db,
            organization_id,
            days,
            &snapshot.calendar,
        )
        .await;
    }
    let col = |column: step::Column| Expr::col((step::Entity, column));
    let query = Query::select()
        .columns([step::Column::TouchpointId, step::Column::FunctionId])
        .expr_as(
            Func::count(Expr::col(sea_orm::sea_query::Asterisk)),
            Alias::new("count"),
        )
        .from(step::Entity)
        .and_where(col(step::Column::OrganizationId).eq(organization_id))
        .and_where(col(step::Column::At).gte(window.lower()))
        .and_where(col(step::Column::At).lt(window.upper()))
        .and_where(col(step::Column::TouchpointId).is_not_null())
        .group_by_columns([step::Column::TouchpointId, step::Column::FunctionId])
        .to_owned();
    let statement = db.get_database_backend().build(&query);
    let rows = db.query_all_raw(statement).await?;
    let mut handled = HashMap::with_capacity(rows.len());
    for row in rows {
        let touchpoint: i64 = row.try_get_by_index(0)?;
        let function: i64 = row.try_get_by_index(1)?;
        handled.insert((touchpoint, function), row.try_get_by_index::<i64>(2)?);
    }
    Ok(handled)
}

/// A promise the log can check (see `rules::drift::Measure`).
pub use rules::drift::Measure;

/// Which breaches to list.
#[derive(Clone, Copy, Debug)]
pub struct BreachFilter {
    pub touchpoint: i64,
    pub measure: Measure,
    /// Breaches whose next interaction is in this window.
    pub window: Window,
    /// Breaches of interactions at the touchpoint handled by this function.
    pub function: Option<i64>,
}

/// A broken promise: an interaction at a touchpoint and the next one of its case.
#[derive(Clone, Debug)]
pub struct Breach {
    pub measure: Measure,
    /// The interaction at the touchpoint.
    pub interaction: Interaction,
    /// The next interaction of its case: by another function (SINGLE_POINT_OF_CONTACT),
    /// or too late (PROMPT).
    pub next: Interaction,
}

impl Breach {
    /// How long the case waited between the two (µs).
    pub fn gap(&self) -> i64 {
        self.next.model.occurred_at - self.interaction.model.occurred_at
    }

    /// The place of the breach in the list's order: the next interaction's instant and id.
    pub fn position(&self) -> (i64, i64) {
        (self.next.model.occurred_at, self.next.model.id)
    }
}

/// The breaches of one promise at one touchpoint, in the order of their next
/// interactions: what a breach rate is traced back to.
pub async fn breaches(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &BreachFilter,
    request: StepPageRequest,
) -> ServiceResult<Page<Breach>> {
    let mut select = step::Entity::find()
        .filter(step::Column::OrganizationId.eq(organization_id))
        .filter(step::Column::PrevTouchpointId.eq(filter.touchpoint));
    select = match filter.measure {
        Measure::SinglePointOfContact => select
            .filter(step::Column::PrevFunctionId.is_not_null())
            .filter(
                Expr::col(step::Column::PrevFunctionId).ne(Expr::col(step::Column::FunctionId)),
            ),
        Measure::Prompt => select.filter(step::Column::PromptBreach.eq(true)),
    };
    if let Some(function) = filter.function {
        select = select.filter(step::Column::PrevFunctionId.eq(function));
    }
    let page = step_page(db, in_window(select, filter.window), request).await?;
    let rows = &page.items;
    let mut ids: Vec<i64> = rows.iter().map(|s| s.interaction_id).collect();
    ids.extend(rows.iter().filter_map(|s| s.prev_interaction_id));
    let interactions = interactions(db, organization_id, &ids).await?;
    let items = rows
        .iter()
        .filter_map(|s| {
            let next = interactions.get(&s.interaction_id)?.clone();
            let interaction = interactions.get(&s.prev_interaction_id?)?.clone();
            Some(Breach {
                measure: filter.measure,
                interaction,
                next,
            })
        })
        .collect();
    Ok(Page {
        items,
        has_next: page.has_next,
        total: page.total,
    })
}

/// Which interactions at a touchpoint to list.
#[derive(Clone, Copy, Debug)]
pub struct HandledFilter {
    pub touchpoint: i64,
    /// Only this function's.
    pub function: Option<i64>,
    pub window: Window,
}

/// The interactions at a touchpoint (by one function), in time order: what a share of
/// de facto ownership is traced back to.
pub async fn handled_at(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &HandledFilter,
    request: StepPageRequest,
) -> ServiceResult<Page<Interaction>> {
    let mut select = step::Entity::find()
        .filter(step::Column::OrganizationId.eq(organization_id))
        .filter(step::Column::TouchpointId.eq(filter.touchpoint));
    if let Some(function) = filter.function {
        select = select.filter(step::Column::FunctionId.eq(function));
    }
    let page = step_page(db, in_window(select, filter.window), request).await?;
    let ids: Vec<i64> = page.items.iter().map(|s| s.interaction_id).collect();
    let mut interactions = interactions(db, organization_id, &ids).await?;
    Ok(Page {
        items: ids
            .iter()
            .filter_map(|id| interactions.remove(id))
            .collect(),
        has_next: page.has_next,
        total: page.total,
    })
}

fn in_window(
    select: sea_orm::Select<step::Entity>,
    window: Window,
) -> sea_orm::Select<step::Entity> {
    select
        .filter(step::Column::At.gte(window.lower()))
        .filter(step::Column::At.lt(window.upper()))
}

/// The interactions `ids` of the organization, by id, with their cases' references.
async fn interactions(
    db: &impl ConnectionTrait,
    organization_id: i64,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, Interaction>> {
    let models = in_org::<interaction::Entity>(organization_id)
        .filter(interaction::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?;
    let case_ids: Vec<i64> = models.iter().map(|m| m.case_id).collect();
    let refs = crate::reports::handoff::case_refs(db, organization_id, &case_ids).await?;
    let names: Arc<Names> = Names::load(db, organization_id).await?;
    Ok(models
        .into_iter()
        .map(|model| {
            let case_ref = refs.get(&model.case_id).cloned().unwrap_or_default();
            (model.id, Interaction::new(model, case_ref, names.clone()))
        })
        .collect())
}
