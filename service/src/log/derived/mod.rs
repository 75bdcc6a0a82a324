//! The rows siloscope derives from the interaction log and keeps in line with it:
//! one `step` row per interaction (its place in its case's chain), the daily rollups
//! of the steps ([`rollup`]), and the phrase marks of the interactions ([`phrases`]).
//! Whoever changes a case's interactions re-derives the case here, in the same
//! transaction.

pub mod held;
pub mod phrases;
pub mod rollup;

use std::collections::{HashMap, HashSet};

use entity::{function, interaction, responsibility, step, touchpoint};
use rules::chain::{derive, Event, PromptWithin, Step};
use rules::flags::OrgMap;
use rules::rollup::RollupDelta;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, FromQueryResult, IdenStatic,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use crate::error::ServiceResult;
use crate::storage::scoped::in_org;

/// Case ids per statement.
const CHUNK: usize = 10_000;

/// The organization's map as it is now: CX teams and touchpoint owners.
pub async fn org_map(db: &impl ConnectionTrait, organization_id: i64) -> ServiceResult<OrgMap> {
    let cx: Vec<i64> = in_org::<function::Entity>(organization_id)
        .filter(function::Column::IsCxTeam.eq(true))
        .select_only()
        .column(function::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let owners: Vec<(i64, i64)> = in_org::<responsibility::Entity>(organization_id)
        .filter(responsibility::Column::Role.is_in([
            entity::enums::Role::Accountable,
            entity::enums::Role::Responsible,
        ]))
        .select_only()
        .column(responsibility::Column::TouchpointId)
        .column(responsibility::Column::FunctionId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(OrgMap::new(cx, owners))
}

/// The organization's PROMPT promises: `prompt_within` (µs) by touchpoint, for the
/// touchpoints that set one.
pub async fn prompt_within(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> ServiceResult<PromptWithin> {
    let rows: Vec<(i64, Option<i64>)> = in_org::<touchpoint::Entity>(organization_id)
        .filter(touchpoint::Column::PromptWithin.is_not_null())
        .select_only()
        .columns([touchpoint::Column::Id, touchpoint::Column::PromptWithin])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(id, within)| Some((id, within?)))
        .collect())
}

/// What the chain needs of an interaction.
#[derive(Debug, FromQueryResult)]
struct EventRow {
    id: i64,
    case_id: i64,
    occurred_at: i64,
    external_id: Option<String>,
    function_id: i64,
    touchpoint_id: Option<i64>,
    customer_action_required: bool,
    burden_match: bool,
    deferral_match: bool,
}

impl From<EventRow> for Event {
    fn from(row: EventRow) -> Event {
        Event {
            id: row.id,
            at: row.occurred_at,
            external_id: row.external_id,
            function_id: row.function_id,
            touchpoint_id: row.touchpoint_id,
            burden: row.customer_action_required || row.burden_match,
            customer_action: row.customer_action_required,
            deferral_language: row.deferral_match,
        }
    }
}

/// The columns [`EventRow`] reads.
const EVENT_COLUMNS: [interaction::Column; 9] = [
    interaction::Column::Id,
    interaction::Column::CaseId,
    interaction::Column::OccurredAt,
    interaction::Column::ExternalId,
    interaction::Column::FunctionId,
    interaction::Column::TouchpointId,
    interaction::Column::CustomerActionRequired,
    interaction::Column::BurdenMatch,
    interaction::Column::DeferralMatch,
];

/// Inserts interactions (see [`crate::storage::bulk::insert_statements`]) and returns, per
/// written row, its case and what the chain needs of it (so the rows need not be
/// read back).
pub async fn insert_events(
    txn: &DatabaseTransaction,
    rows: Vec<interaction::ActiveModel>,
) -> ServiceResult<Vec<(i64, Event)>> {
    let columns: Vec<String> = EVENT_COLUMNS
        .iter()
        .map(|c| format!("\"{}\"", c.as_str()))
        .collect();
    let returning = format!("RETURNING {}", columns.join(", "));
    let mut written = Vec::with_capacity(rows.len());
    for statement in
        crate::storage::bulk::insert_statements(txn.get_database_backend(), rows, &returning)?
    {
        let rows = EventRow::find_by_statement(statement).all(txn).await?;
        written.extend(rows.into_iter().map(|row| (row.case_id, row.into())));
    }
    Ok(written)
}

/// The events of the given cases, grouped by case.
pub async fn load_events(
    db: &impl ConnectionTrait,
    case_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<Event>>> {
    use interaction::Column as I;
    let mut by_case: HashMap<i64, Vec<Event>> = HashMap::new();
    for chunk in case_ids.chunks(CHUNK) {
        let rows = interaction::Entity::find()
            .select_only()
            .columns(EVENT_COLUMNS)
            .filter(crate::storage::bulk::one_of(
                db.get_database_backend(),
                I::CaseId,
                chunk.to_vec(),
            ))
            .order_by_asc(I::Id)
            .into_model::<EventRow>()
            .all(db)
            .await?;
        for row in rows {
            by_case.entry(row.case_id).or_default().push(row.into());
        }
    }
    Ok(by_case)
}

/// Cases about to change, with their interactions as they were: read once, before
/// the change, so that the old steps can be taken out of the rollups.
pub struct Cases {
    ids: Vec<i64>,
    before: HashMap<i64, Vec<Event>>,
}

impl Cases {
    /// Reads the cases' interactions as they are now.
    pub async fn load(txn: &DatabaseTransaction, mut ids: Vec<i64>) -> ServiceResult<Cases> {
        ids.sort_unstable();
        ids.dedup();
        let before = load_events(txn, &ids).await?;
        Ok(Cases { ids, before })
    }

    /// Re-derives the cases after the `added` interactions (case, event) were written
    /// to them and the `removed` ones (by id) deleted: replaces their steps and adjusts
    /// the rollups. Returns how the cases' handoffs changed.
    pub async fn rederive(
        self,
        txn: &DatabaseTransaction,
        organization_id: i64,
        added: Vec<(i64, Event)>,
        removed: &HashSet<i64>,
    ) -> ServiceResult<Rederived> {
        let map = org_map(txn, organization_id).await?;
        let calendar = crate::calendar::of_organization(txn, organization_id).await?;
        let prompt = prompt_within(txn, organization_id).await?;
        let mut added_by_case: HashMap<i64, Vec<Event>> = HashMap::new();
        for (case_id, event) in added {
            added_by_case.entry(case_id).or_default().push(event);
        }
        let Cases { ids, mut before } = self;
        let mut delta = RollupDelta::default();
        let mut change = Rederived::default();
        let mut steps = Vec::new();
        for &case_id in &ids {
            let mut events = before.remove(&case_id).unwrap_or_default();
            let old = derive(&mut events, &prompt);
            delta.add(&old, -1, &calendar);
            events.retain(|e| !removed.contains(&e.id));
            events.extend(added_by_case.remove(&case_id).unwrap_or_default());
            let new = derive(&mut events, &prompt);
            change.count(&map, &old, &new);
            delta.add(&new, 1, &calendar);
            steps.extend(new.iter().map(|s| step_row(organization_id, case_id, s)));
        }
        delta.compact();
        rollup::apply(txn, organization_id, &delta).await?;
        replace_steps(txn, &ids, steps).await?;
        change.flagged.sort_unstable();
        Ok(change)
    }
}

/// How re-deriving changed the cases: handoffs and SILO handoffs after minus before,
/// and the handoffs that are new and carry a flag (as the map is now).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rederived {
    pub handoffs: i64,
    pub silo_handoffs: i64,
    /// (instant, interaction id) of each new flagged handoff's second interaction, in
    /// that order: a handoff is new when its pair of interactions was not one before.
    pub flagged: Vec<(i64, i64)>,
}

impl Rederived {
    /// Counts one case's change from its `old` steps to its `new` ones.
    fn count(&mut self, map: &OrgMap, old: &[Step], new: &[Step]) {
        let handed: HashSet<(i64, Option<i64>)> = old
            .iter()
            .filter(|s| s.is_handoff())
            .map(|s| (s.interaction_id, s.prev_interaction_id))
            .collect();
        self.handoffs += new.iter().filter(|s| s.is_handoff()).count() as i64 - handed.len() as i64;
        self.silo_handoffs += map.silo_count(new) - map.silo_count(old);
        self.flagged.extend(
            new.iter()
                .filter(|s| {
                    s.is_handoff()
                        && !handed.contains(&(s.interaction_id, s.prev_interaction_id))
                        && !map.flags_of(s).list().is_empty()
                })
                .map(|s| (s.at, s.interaction_id)),
        );
    }

    /// Adds another set of cases' change.
    pub fn add(&mut self, other: Rederived) {
        self.handoffs += other.handoffs;
        self.silo_handoffs += other.silo_handoffs;
        self.flagged.extend(other.flagged);
        self.flagged.sort_unstable();
    }
}

fn step_row(organization_id: i64, case_id: i64, s: &Step) -> step::ActiveModel {
    step::ActiveModel {
        interaction_id: Set(s.interaction_id),
        organization_id: Set(organization_id),
        case_id: Set(case_id),
        position: Set(s.position),
        at: Set(s.at),
        function_id: Set(s.function_id),
        prev_interaction_id: Set(s.prev_interaction_id),
        prev_function_id: Set(s.prev_function_id),
        prev_touchpoint_id: Set(s.prev_touchpoint_id),
        prev_at: Set(s.prev_at),
        prev_same_function_at: Set(s.prev_same_function_at),
        prev_handoff_from_at: Set(s.prev_handoff_from_at),
        ping_pong: Set(s.ping_pong),
        customer_burden: Set(s.customer_burden),
        deferral_language: Set(s.deferral_language),
        is_last: Set(s.is_last),
        touchpoint_id: Set(s.touchpoint_id),
        prev_customer_action: Set(s.prev_customer_action),
        prompt_breach: Set(s.prompt_breach),
    }
}

/// Replaces the steps of the given cases.
async fn replace_steps(
    txn: &DatabaseTransaction,
    case_ids: &[i64],
    steps: Vec<step::ActiveModel>,
) -> ServiceResult<()> {
    delete_steps(txn, case_ids).await?;
    crate::storage::bulk::insert_all(txn, steps).await?;
    Ok(())
}

/// Deletes the steps of the given cases.
async fn delete_steps(txn: &DatabaseTransaction, case_ids: &[i64]) -> ServiceResult<()> {
    for chunk in case_ids.chunks(CHUNK) {
        step::Entity::delete_many()
            .filter(crate::storage::bulk::one_of(
                txn.get_database_backend(),
                step::Column::CaseId,
                chunk.to_vec(),
            ))
            .exec(txn)
            .await?;
    }
    Ok(())
}

/// Cases derived per round of [`derive_once`]: their interactions and old steps are
/// what it holds at once.
const DERIVE_CASES: usize = 2_000;

/// Rollup keys [`derive_once`] gathers before it writes them: about 100 bytes each, so
/// some 20 MiB, whatever the import's size or span. Fewer, larger writes matter on
/// PostgreSQL, where updating the same rollup rows again and again in one
/// transaction leaves a chain of row versions to walk; a million-row import writes
/// its upper levels (months, years) a handful of times. Debug builds (the tests)
/// write it every few dozen keys, so that every import test crosses the bound.
const PENDING_KEYS: usize = if cfg!(debug_assertions) { 64 } else { 200_000 };

/// A stored step, as the rollups and the handoff count read it.
#[derive(Debug, FromQueryResult)]
struct StoredStep {
    case_id: i64,
    interaction_id: i64,
    prev_interaction_id: Option<i64>,
    at: i64,
    function_id: i64,
    prev_function_id: Option<i64>,
    prev_touchpoint_id: Option<i64>,
    prev_at: Option<i64>,
    prev_same_function_at: Option<i64>,
    prev_handoff_from_at: Option<i64>,
    ping_pong: bool,
    customer_burden: bool,
    deferral_language: bool,
    is_last: bool,
    touchpoint_id: Option<i64>,
    prev_customer_action: bool,
    prompt_breach: bool,
}

impl From<StoredStep> for Step {
    fn from(row: StoredStep) -> Step {
        Step {
            interaction_id: row.interaction_id,
            position: 0,
            at: row.at,
            function_id: row.function_id,
            prev_interaction_id: row.prev_interaction_id,
            prev_function_id: row.prev_function_id,
            prev_touchpoint_id: row.prev_touchpoint_id,
            prev_at: row.prev_at,
            prev_same_function_at: row.prev_same_function_at,
            prev_handoff_from_at: row.prev_handoff_from_at,
            ping_pong: row.ping_pong,
            customer_burden: row.customer_burden,
            deferral_language: row.deferral_language,
            is_last: row.is_last,
            touchpoint_id: row.touchpoint_id,
            prev_customer_action: row.prev_customer_action,
            prompt_breach: row.prompt_breach,
        }
    }
}

/// The steps stored for the given cases, by case.
async fn stored_steps(
    txn: &DatabaseTransaction,
    case_ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<Step>>> {
    use step::Column as S;
    let mut by_case: HashMap<i64, Vec<Step>> = HashMap::new();
    for chunk in case_ids.chunks(CHUNK) {
        let rows = step::Entity::find()
            .select_only()
            .columns([
                S::CaseId,
                S::InteractionId,
                S::PrevInteractionId,
                S::At,
                S::FunctionId,
                S::PrevFunctionId,
                S::PrevTouchpointId,
                S::PrevAt,
                S::PrevSameFunctionAt,
                S::PrevHandoffFromAt,
                S::PingPong,
                S::CustomerBurden,
                S::DeferralLanguage,
                S::IsLast,
                S::TouchpointId,
                S::PrevCustomerAction,
                S::PromptBreach,
            ])
            .filter(crate::storage::bulk::one_of(
                txn.get_database_backend(),
                S::CaseId,
                chunk.to_vec(),
            ))
            .into_model::<StoredStep>()
            .all(txn)
            .await?;
        for row in rows {
            by_case.entry(row.case_id).or_default().push(row.into());
        }
    }
    Ok(by_case)
}

/// Derives each of `case_ids` once, after writes that did not (an import): a round of
/// [`DERIVE_CASES`] at a time in case order, takes the cases' stored steps out of the
/// rollups (none for the cases in `created`, which had none), replaces them with the
/// steps the rules derive now from the cases' interactions, and adds the rollup change
/// to `pending`, writing it whenever it holds [`PENDING_KEYS`] keys; the caller writes
/// the rest. The interactions of the cases in `created` come from `held` when it is
/// complete (they are all the import's own), the others' are read. Returns how the
/// cases' handoffs changed, as [`Cases::rederive`] would have.
pub async fn derive_once(
    txn: &DatabaseTransaction,
    organization_id: i64,
    mut case_ids: Vec<i64>,
    created: &HashSet<i64>,
    held: &held::Held,
    pending: &mut RollupDelta,
) -> ServiceResult<Rederived> {
    case_ids.sort_unstable();
    case_ids.dedup();
    // The cases held in the order of their first instant (then the rest by id): their
    // steps then reach the reports' index, which is by instant, nearly in its order,
    // instead of all over it (a shuffled file creates its cases in no order of time).
    if held.is_complete() {
        let first_at = |c: &i64| {
            created
                .contains(c)
                .then(|| held.first_at(*c))
                .flatten()
                .unwrap_or(i64::MAX)
        };
        case_ids.sort_by_cached_key(|c| (first_at(c), *c));
    }
    let map = org_map(txn, organization_id).await?;
    let calendar = crate::calendar::of_organization(txn, organization_id).await?;
    let prompt = prompt_within(txn, organization_id).await?;
    let mut change = Rederived::default();
    for round in case_ids.chunks(DERIVE_CASES) {
        let existing: Vec<i64> = round
            .iter()
            .filter(|c| !created.contains(c))
            .copied()
            .collect();
        let mut before = stored_steps(txn, &existing).await?;
        let from_held = |case_id: &i64| held.is_complete() && created.contains(case_id);
        let unheld: Vec<i64> = round.iter().filter(|c| !from_held(c)).copied().collect();
        let mut events = load_events(txn, &unheld).await?;
        let mut steps = Vec::new();
        for &case_id in round {
            let old = before.remove(&case_id).unwrap_or_default();
            pending.add(&old, -1, &calendar);
            let mut case_events = if from_held(&case_id) {
                held.events_of(case_id)
            } else {
                events.remove(&case_id).unwrap_or_default()
            };
            let new = derive(&mut case_events, &prompt);
            change.count(&map, &old, &new);
            pending.add(&new, 1, &calendar);
            steps.extend(new.iter().map(|s| step_row(organization_id, case_id, s)));
        }
        replace_steps(txn, &existing, steps).await?;
        if pending.len() >= PENDING_KEYS {
            pending.compact();
            rollup::apply(txn, organization_id, pending).await?;
            *pending = RollupDelta::default();
        }
    }
    change.flagged.sort_unstable();
    Ok(change)
}

/// Takes cases that lose every interaction out of the derived rows without deriving
/// them again (retention, retraction): their stored steps leave the rollups and are
/// deleted, a round of [`DERIVE_CASES`] at a time. The caller deletes the
/// interactions and the cases. Returns how the handoffs changed (none is new).
pub async fn forget_cases(
    txn: &DatabaseTransaction,
    organization_id: i64,
    case_ids: &[i64],
) -> ServiceResult<Rederived> {
    let mut change = Rederived::default();
    if case_ids.is_empty() {
        return Ok(change);
    }
    let map = org_map(txn, organization_id).await?;
    let calendar = crate::calendar::of_organization(txn, organization_id).await?;
    let mut delta = RollupDelta::default();
    for round in case_ids.chunks(DERIVE_CASES) {
        for old in stored_steps(txn, round).await?.values() {
            change.count(&map, old, &[]);
            delta.add(old, -1, &calendar);
        }
        delete_steps(txn, round).await?;
    }
    delta.compact();
    rollup::apply(txn, organization_id, &delta).await?;
    Ok(change)
}
