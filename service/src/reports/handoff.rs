//! Handoffs one by one: the filtered list, and a case's chain with its flags. What
//! every figure of a report can be traced back to.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{customer_case, function, interaction, step, touchpoint};
use rules::chain::{derive, Step};
use rules::flags::{Flag, Flags, OrgMap};
use rules::Window;
use sea_orm::sea_query::{Condition, Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::{ServiceError, ServiceResult};
use crate::fields::MAX_NAME;
use crate::log::derived::{load_events, org_map, prompt_within};
use crate::reports::names::Names;
use crate::storage::scoped::{find, in_org, Page};

/// A derived handoff: a case passed from one function to another, with its flags as
/// the organization's map and phrase lists are now.
#[derive(Clone, Debug)]
pub struct Handoff {
    /// The step of the handoff's second interaction.
    pub step: Step,
    pub case_ref: String,
    pub flags: Flags,
    names: Arc<Names>,
}

impl Handoff {
    /// The function of the first interaction.
    pub fn from(&self) -> Option<&function::Model> {
        self.step
            .prev_function_id
            .and_then(|id| self.names.function(id))
    }

    /// The function of the second interaction.
    pub fn to(&self) -> Option<&function::Model> {
        self.names.function(self.step.function_id)
    }

    /// The touchpoint of the first interaction; `None` when it had none.
    pub fn touchpoint(&self) -> Option<&touchpoint::Model> {
        self.names.touchpoint(self.step.prev_touchpoint_id)
    }
}

/// A recorded interaction with its function and touchpoint at hand.
#[derive(Clone, Debug)]
pub struct Interaction {
    pub model: interaction::Model,
    /// The reference of its case.
    pub case_ref: String,
    names: Arc<Names>,
}

impl Interaction {
    pub(crate) fn new(model: interaction::Model, case_ref: String, names: Arc<Names>) -> Self {
        Interaction {
            model,
            case_ref,
            names,
        }
    }

    pub fn function(&self) -> Option<&function::Model> {
        self.names.function(self.model.function_id)
    }

    pub fn touchpoint(&self) -> Option<&touchpoint::Model> {
        self.names.touchpoint(self.model.touchpoint_id)
    }
}

/// The interaction `id` of the organization.
pub async fn interaction(
    db: &impl ConnectionTrait,
    organization_id: i64,
    id: i64,
) -> ServiceResult<Option<Interaction>> {
    let Some(model) = find::<interaction::Entity>(db, organization_id, id).await? else {
        return Ok(None);
    };
    let case_ref = find::<customer_case::Entity>(db, organization_id, model.case_id)
        .await?
        .map(|case| case.case_ref)
        .unwrap_or_default();
    Ok(Some(Interaction {
        model,
        case_ref,
        names: Names::load(db, organization_id).await?,
    }))
}

/// A page of handoffs matching `filter`, in (at, id) order after `after` (the cursor
/// of the last handoff of the previous page), and whether more follow.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &HandoffFilter,
    request: StepPageRequest,
) -> ServiceResult<Page<Handoff>> {
    let map = org_map(db, organization_id).await?;
    let select = filtered(organization_id, filter, &map);
    let page = step_page(db, select, request).await?;
    Ok(Page {
        items: handoffs_of(db, organization_id, &map, page.items).await?,
        has_next: page.has_next,
        total: page.total,
    })
}

/// Which page of a list of steps (handoffs, breaches, interactions at a touchpoint): at
/// most `first`, after the one at `after` ((instant, interaction id); see [`position`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StepPageRequest {
    pub first: u64,
    pub after: Option<(i64, i64)>,
    /// Whether to count the items of all pages (a second scan).
    pub with_total: bool,
}

/// The handoff into the interaction `interaction_id` (its second interaction), if that
/// interaction is one of the organization's and its case changed function there.
pub async fn get(
    db: &impl ConnectionTrait,
    organization_id: i64,
    interaction_id: i64,
) -> ServiceResult<Option<Handoff>> {
    let map = org_map(db, organization_id).await?;
    let select = filtered(organization_id, &HandoffFilter::default(), &map)
        .filter(step::Column::InteractionId.eq(interaction_id));
    let one = StepPageRequest {
        first: 1,
        after: None,
        with_total: false,
    };
    let rows = step_page(db, select, one).await?.items;
    Ok(handoffs_of(db, organization_id, &map, rows).await?.pop())
}

/// The handoffs into the given interactions (second interactions), as far as they
/// are still handoffs, in (at, id) order, with their flags as the map is now.
pub async fn of_interactions(
    db: &impl ConnectionTrait,
    organization_id: i64,
    interaction_ids: &[i64],
) -> ServiceResult<Vec<Handoff>> {
    let map = org_map(db, organization_id).await?;
    let mut rows = Vec::with_capacity(interaction_ids.len());
    for chunk in interaction_ids.chunks(1_000) {
        let select = filtered(organization_id, &HandoffFilter::default(), &map).filter(
            crate::storage::bulk::one_of(
                db.get_database_backend(),
                step::Column::InteractionId,
                chunk.to_vec(),
            ),
        );
        rows.extend(select.all(db).await?);
    }
    rows.sort_by_key(|row| (row.at, row.interaction_id));
    handoffs_of(db, organization_id, &map, rows).await
}

/// The handoffs of step rows, with their case references, flags and names.
async fn handoffs_of(
    db: &impl ConnectionTrait,
    organization_id: i64,
    map: &OrgMap,
    rows: Vec<step::Model>,
) -> ServiceResult<Vec<Handoff>> {
    let names = Names::load(db, organization_id).await?;
    let case_ids: Vec<i64> = rows.iter().map(|r| r.case_id).collect();
    let refs = case_refs(db, organization_id, &case_ids).await?;
    let handoffs = rows
        .into_iter()
        .map(|row| {
            let case_ref = refs.get(&row.case_id).cloned().unwrap_or_default();
            let step = step_of(row);
            Handoff {
                flags: map.flags_of(&step),
                step,
                case_ref,
                names: names.clone(),
            }
        })
        .collect();
    Ok(handoffs)
}

/// The place of a handoff in the list's order: its instant and its second interaction.
pub fn position(handoff: &Handoff) -> (i64, i64) {
    (handoff.step.at, handoff.step.interaction_id)
}

fn step_of(model: step::Model) -> Step {
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
        touchpoint_id: model.touchpoint_id,
        prev_customer_action: model.prev_customer_action,
        prompt_breach: model.prompt_breach,
    }
}

/// Filters of the handoff list.
#[derive(Clone, Debug, Default)]
pub struct HandoffFilter {
    pub window: Window,
    pub from_function: Option<i64>,
    pub to_function: Option<i64>,
    pub touchpoint: Option<i64>,
    /// Flags that must all hold.
    pub flags: Vec<Flag>,
}

/// A condition that holds exactly when `flag` holds, given the map.
fn flag_condition(flag: Flag, map: &OrgMap) -> Condition {
    let cx: Vec<i64> = map.cx_teams().iter().copied().collect();
    let deferral = Condition::all()
        .add(step::Column::FunctionId.is_in(cx.clone()))
        .add(step::Column::PrevFunctionId.is_not_in(cx));
    match flag {
        Flag::DeferralToCx => deferral,
        Flag::Silo => deferral.add(
            Condition::any()
                .add(step::Column::PrevTouchpointId.is_null())
                .add(
                    step::Column::PrevTouchpointId
                        .is_not_in(map.cx_owned_touchpoints().iter().copied()),
                ),
        ),
        Flag::OwnedDeferral => {
            let mut by_touchpoint: HashMap<i64, Vec<i64>> = HashMap::new();
            for (touchpoint, function) in map.owners() {
                by_touchpoint
                    .entry(*touchpoint)
                    .or_default()
                    .push(*function);
            }
            let mut owned = Condition::any().add(Expr::value(false));
            for (touchpoint, functions) in by_touchpoint {
                owned = owned.add(
                    Condition::all()
                        .add(step::Column::PrevTouchpointId.eq(touchpoint))
                        .add(step::Column::PrevFunctionId.is_in(functions)),
                );
            }
            deferral.add(owned)
        }
        Flag::PingPong => Condition::all().add(step::Column::PingPong.eq(true)),
        Flag::CustomerBurden => Condition::all().add(step::Column::CustomerBurden.eq(true)),
        Flag::DeferralLanguage => Condition::all().add(step::Column::DeferralLanguage.eq(true)),
    }
}

/// The organization's handoff steps matching `filter`.
fn filtered(organization_id: i64, filter: &HandoffFilter, map: &OrgMap) -> Select<step::Entity> {
    let mut select = step::Entity::find()
        .filter(step::Column::OrganizationId.eq(organization_id))
        .filter(step::Column::PrevFunctionId.is_not_null())
        .filter(Expr::col(step::Column::PrevFunctionId).ne(Expr::col(step::Column::FunctionId)));
    if let Some(from) = filter.window.from {
        select = select.filter(step::Column::At.gte(from));
    }
    if let Some(to) = filter.window.to {
        select = select.filter(step::Column::At.lt(to));
    }
    if let Some(function) = filter.from_function {
        select = select.filter(step::Column::PrevFunctionId.eq(function));
    }
    if let Some(function) = filter.to_function {
        select = select.filter(step::Column::FunctionId.eq(function));
    }
    if let Some(touchpoint) = filter.touchpoint {
        select = select.filter(step::Column::PrevTouchpointId.eq(touchpoint));
    }
    for flag in &filter.flags {
        select = select.filter(flag_condition(*flag, map));
    }
    select
}

/// The page of `select`'s steps that `request` asks for, in (at, id) order: at most
/// `first` after `after`, whether more follow, and (when asked) how many in all.
pub(crate) async fn step_page(
    db: &impl ConnectionTrait,
    mut select: Select<step::Entity>,
    request: StepPageRequest,
) -> ServiceResult<Page<step::Model>> {
    let total = if request.with_total {
        select.clone().count(db).await?
    } else {
        0
    };
    if let Some((at, id)) = request.after {
        select = select.filter(
            Condition::any().add(step::Column::At.gt(at)).add(
                Condition::all()
                    .add(step::Column::At.eq(at))
                    .add(step::Column::InteractionId.gt(id)),
            ),
        );
    }
    let mut items = select
        .order_by_asc(step::Column::At)
        .order_by_asc(step::Column::InteractionId)
        .limit(request.first + 1)
        .all(db)
        .await?;
    let has_next = items.len() as u64 > request.first;
    items.truncate(request.first as usize);
    Ok(Page {
        items,
        has_next,
        total,
    })
}

/// The case references of the given case ids.
pub(crate) async fn case_refs(
    db: &impl ConnectionTrait,
    organization_id: i64,
    case_ids: &[i64],
) -> ServiceResult<HashMap<i64, String>> {
    let rows: Vec<(i64, String)> = in_org::<customer_case::Entity>(organization_id)
        .filter(customer_case::Column::Id.is_in(case_ids.iter().copied()))
        .select_only()
        .columns([customer_case::Column::Id, customer_case::Column::CaseRef])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// A case with its interactions in chain order and its handoffs with their flags.
#[derive(Clone, Debug)]
pub struct CaseChain {
    pub case_ref: String,
    pub interactions: Vec<Interaction>,
    pub handoffs: Vec<Handoff>,
}

/// The chain of the case `case_ref`, derived afresh from its interactions; `None`
/// when no interaction of it is recorded.
pub async fn case_chain(
    db: &impl ConnectionTrait,
    organization_id: i64,
    case_ref: &str,
) -> ServiceResult<Option<CaseChain>> {
    if case_ref.trim().is_empty() || case_ref.chars().count() > MAX_NAME {
        return Err(ServiceError::bad_input(
            "caseRef must have 1 to 200 characters",
        ));
    }
    let Some(case) = in_org::<customer_case::Entity>(organization_id)
        .filter(customer_case::Column::CaseRef.eq(case_ref.trim()))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let mut events = load_events(db, &[case.id])
        .await?
        .remove(&case.id)
        .unwrap_or_default();
    let steps = derive(&mut events, &prompt_within(db, organization_id).await?);
    let mut by_id: HashMap<i64, interaction::Model> = interaction::Entity::find()
        .filter(interaction::Column::CaseId.eq(case.id))
        .all(db)
        .await?
        .into_iter()
        .map(|i| (i.id, i))
        .collect();
    let names = Names::load(db, organization_id).await?;
    let map = org_map(db, organization_id).await?;
    let interactions = steps
        .iter()
        .filter_map(|s| by_id.remove(&s.interaction_id))
        .map(|model| Interaction {
            model,
            case_ref: case.case_ref.clone(),
            names: names.clone(),
        })
        .collect();
    let handoffs = steps
        .into_iter()
        .filter(Step::is_handoff)
        .map(|step| Handoff {
            flags: map.flags_of(&step),
            step,
            case_ref: case.case_ref.clone(),
            names: names.clone(),
        })
        .collect();
    Ok(Some(CaseChain {
        case_ref: case.case_ref,
        interactions,
        handoffs,
    }))
}
