//! Recording interactions and keeping each case's derived steps in line with them.

use std::collections::{HashMap, HashSet};

use async_graphql::{InputObject, OneofObject, ID};
use chrono::DateTime;
use entity::{customer_case, function, interaction, person, responsibility, step, touchpoint};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Set,
};

use super::scoped::in_org;
use super::{UserError, UserErrorCode, Write};
use crate::analysis::chain::{derive, Event, Step};
use crate::analysis::flags::{HandoffKey, OrgMap, Phrases};
use crate::analysis::rollup::RollupDelta;
use crate::db::{begin_write, now_micros};
use crate::error::{ApiError, ApiResult};
use crate::ids;

/// Most interactions in one `recordInteractions` call.
pub const MAX_BATCH: usize = 10_000;
/// Longest note accepted, in characters.
pub const MAX_NOTE: usize = 4_000;
/// Rows per multi-row statement and ids per `IN` list.
const CHUNK: usize = 1_000;
/// Interaction rows per INSERT: keeps each statement's parameters well under 64 KiB,
/// the size above which a PostgreSQL connection without TCP_NODELAY (sqlx's) stalls
/// for a delayed ACK on loopback.
const INSERT_ROWS: usize = 200;

/// The function that handled an interaction: exactly one of its id, its HR
/// `externalId` or its name (case-insensitive).
#[derive(OneofObject, Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum FunctionRef {
    /// The function's global id.
    Id(ID),
    /// The HR system's id of the function.
    ExternalId(String),
    /// The function's name, case-insensitive.
    Name(String),
}

/// The touchpoint of an interaction: exactly one of its id or its name (case-insensitive).
#[derive(OneofObject, Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TouchpointRef {
    /// The touchpoint's global id.
    Id(ID),
    /// The touchpoint's name, case-insensitive.
    Name(String),
}

/// One event of a customer case.
#[derive(InputObject, Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct InteractionInput {
    /// The case's reference in the ticketing system (1–200 characters).
    pub case_ref: String,
    /// When it happened, RFC 3339 (e.g. `2026-03-01T09:30:00Z`); kept to the microsecond.
    pub occurred_at: String,
    /// The function that handled the case.
    pub function: FunctionRef,
    /// Where it happened, if known.
    pub touchpoint: Option<TouchpointRef>,
    /// The person who handled it, if known.
    pub person_id: Option<ID>,
    /// Free text (at most 4,000 characters); matched against the phrase lists.
    pub note: Option<String>,
    /// Whether the customer was left with something to do.
    #[graphql(default)]
    pub customer_action_required: bool,
    /// The source system's id of this event, unique in the organization: re-sending it
    /// is harmless. Also breaks ties between interactions at the same instant.
    pub external_id: Option<String>,
}

/// What a `recordInteractions` call did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    pub recorded: i64,
    pub duplicates: i64,
    pub new_silo_handoffs: i64,
}

/// A validated interaction, ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NewInteraction {
    case_ref: String,
    at: i64,
    function_id: i64,
    touchpoint_id: Option<i64>,
    person_id: Option<i64>,
    note: Option<String>,
    customer_action_required: bool,
    external_id: Option<String>,
}

/// Serializes writers of one organization's log: on PostgreSQL a row lock on the
/// organization, on SQLite the write transaction is exclusive already.
pub async fn lock_organization(txn: &DatabaseTransaction, organization_id: i64) -> ApiResult<()> {
    entity::organization::Entity::update_many()
        .col_expr(
            entity::organization::Column::UpdatedAt,
            Expr::col(entity::organization::Column::UpdatedAt),
        )
        .filter(entity::organization::Column::Id.eq(organization_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// The organization's map as it is now: CX teams and touchpoint owners.
pub async fn org_map(db: &impl ConnectionTrait, organization_id: i64) -> ApiResult<OrgMap> {
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

/// Parses an RFC 3339 instant to microseconds since the epoch.
pub fn parse_instant(text: &str) -> Option<i64> {
    let parsed = DateTime::parse_from_rfc3339(text.trim()).ok()?;
    let micros = parsed.timestamp_micros();
    // Years 0001–9999 only, so every recorded instant prints back as RFC 3339.
    (-62_135_596_800_000_000..=253_402_300_799_999_999)
        .contains(&micros)
        .then_some(micros)
}

/// Names and external ids of the organization's functions and touchpoints.
struct Lookup {
    function_ids: HashSet<i64>,
    function_by_name: HashMap<String, i64>,
    function_by_external: HashMap<String, i64>,
    touchpoint_ids: HashSet<i64>,
    touchpoint_by_name: HashMap<String, i64>,
    person_ids: HashSet<i64>,
}

impl Lookup {
    async fn load(
        db: &impl ConnectionTrait,
        organization_id: i64,
        items: &[InteractionInput],
    ) -> ApiResult<Lookup> {
        let functions: Vec<(i64, String, Option<String>)> =
            in_org::<function::Entity>(organization_id)
                .select_only()
                .columns([
                    function::Column::Id,
                    function::Column::NameKey,
                    function::Column::ExternalId,
                ])
                .into_tuple()
                .all(db)
                .await?;
        let touchpoints: Vec<(i64, String)> = in_org::<touchpoint::Entity>(organization_id)
            .select_only()
            .columns([touchpoint::Column::Id, touchpoint::Column::NameKey])
            .into_tuple()
            .all(db)
            .await?;
        let wanted_people: Vec<i64> = items
            .iter()
            .filter_map(|i| i.person_id.as_ref().and_then(ids::decode::<person::Entity>))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let mut person_ids = HashSet::new();
        for chunk in wanted_people.chunks(CHUNK) {
            let found: Vec<i64> = in_org::<person::Entity>(organization_id)
                .filter(person::Column::Id.is_in(chunk.iter().copied()))
                .select_only()
                .column(person::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            person_ids.extend(found);
        }
        Ok(Lookup {
            function_ids: functions.iter().map(|f| f.0).collect(),
            function_by_name: functions.iter().map(|f| (f.1.clone(), f.0)).collect(),
            function_by_external: functions
                .iter()
                .filter_map(|f| f.2.clone().map(|e| (e, f.0)))
                .collect(),
            touchpoint_ids: touchpoints.iter().map(|t| t.0).collect(),
            touchpoint_by_name: touchpoints.into_iter().map(|t| (t.1, t.0)).collect(),
            person_ids,
        })
    }

    fn function(&self, reference: &FunctionRef) -> Option<i64> {
        match reference {
            FunctionRef::Id(id) => {
                ids::decode::<function::Entity>(id).filter(|id| self.function_ids.contains(id))
            }
            FunctionRef::ExternalId(external) => {
                self.function_by_external.get(external.trim()).copied()
            }
            FunctionRef::Name(name) => self.function_by_name.get(&super::name_key(name)).copied(),
        }
    }

    fn touchpoint(&self, reference: &TouchpointRef) -> Option<i64> {
        match reference {
            TouchpointRef::Id(id) => {
                ids::decode::<touchpoint::Entity>(id).filter(|id| self.touchpoint_ids.contains(id))
            }
            TouchpointRef::Name(name) => {
                self.touchpoint_by_name.get(&super::name_key(name)).copied()
            }
        }
    }
}

fn validate(
    index: usize,
    item: &InteractionInput,
    lookup: &Lookup,
    errors: &mut Vec<UserError>,
) -> Option<NewInteraction> {
    let index = index.to_string();
    let before = errors.len();
    let mut error = |field: &str, code, message: &str| {
        errors.push(UserError::new(code, &["input", &index, field], message));
    };
    let case_ref = item.case_ref.trim().to_owned();
    if case_ref.is_empty() {
        error(
            "caseRef",
            UserErrorCode::Required,
            "a caseRef must not be empty",
        );
    } else if case_ref.chars().count() > super::MAX_NAME || case_ref.contains('\0') {
        error(
            "caseRef",
            UserErrorCode::Invalid,
            "a caseRef has at most 200 characters, without NUL",
        );
    }
    let at = parse_instant(&item.occurred_at);
    if at.is_none() {
        error(
            "occurredAt",
            UserErrorCode::Invalid,
            "not an RFC 3339 instant between years 1 and 9999, like 2026-03-01T09:30:00Z",
        );
    }
    let function_id = lookup.function(&item.function);
    if function_id.is_none() {
        error(
            "function",
            UserErrorCode::NotFound,
            "no such function in the organization",
        );
    }
    let touchpoint_id = match &item.touchpoint {
        Some(reference) => {
            let found = lookup.touchpoint(reference);
            if found.is_none() {
                error(
                    "touchpoint",
                    UserErrorCode::NotFound,
                    "no such touchpoint in the organization",
                );
            }
            found
        }
        None => None,
    };
    let person_id = match &item.person_id {
        Some(id) => {
            let found =
                ids::decode::<person::Entity>(id).filter(|id| lookup.person_ids.contains(id));
            if found.is_none() {
                error(
                    "personId",
                    UserErrorCode::NotFound,
                    "no such person in the organization",
                );
            }
            found
        }
        None => None,
    };
    let note = item
        .note
        .as_deref()
        .filter(|n| !n.is_empty())
        .map(str::to_owned);
    if note
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_NOTE || n.contains('\0'))
    {
        error(
            "note",
            UserErrorCode::Invalid,
            "a note has at most 4,000 characters, without NUL",
        );
    }
    let external_id = item
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(str::to_owned);
    if external_id
        .as_ref()
        .is_some_and(|e| e.chars().count() > super::MAX_NAME || e.contains('\0'))
    {
        error(
            "externalId",
            UserErrorCode::Invalid,
            "an externalId has at most 200 characters, without NUL",
        );
    }
    if errors.len() > before {
        return None;
    }
    Some(NewInteraction {
        case_ref,
        at: at?,
        function_id: function_id?,
        touchpoint_id,
        person_id,
        note,
        customer_action_required: item.customer_action_required,
        external_id,
    })
}

/// What is recorded of an interaction, to compare a re-sent one with.
#[derive(Debug, FromQueryResult)]
struct RecordedRow {
    external_id: Option<String>,
    case_ref: String,
    occurred_at: i64,
    function_id: i64,
    touchpoint_id: Option<i64>,
    person_id: Option<i64>,
    note: Option<String>,
    customer_action_required: bool,
}

impl RecordedRow {
    fn same_as(&self, new: &NewInteraction) -> bool {
        self.case_ref == new.case_ref
            && self.occurred_at == new.at
            && self.function_id == new.function_id
            && self.touchpoint_id == new.touchpoint_id
            && self.person_id == new.person_id
            && self.note == new.note
            && self.customer_action_required == new.customer_action_required
    }
}

/// Records a batch of interactions atomically (see `recordInteractions`).
pub async fn record(
    db: &DatabaseConnection,
    organization_id: i64,
    items: Vec<InteractionInput>,
) -> Write<Recorded> {
    if items.len() > MAX_BATCH {
        return Ok(Err(vec![UserError::new(
            UserErrorCode::TooMany,
            &["input"],
            format!(
                "at most {MAX_BATCH} interactions a call; this one has {}",
                items.len()
            ),
        )]));
    }
    if items.is_empty() {
        return Ok(Ok(Recorded::default()));
    }
    let started = std::time::Instant::now();
    let lookup = Lookup::load(db, organization_id, &items).await?;
    let mut errors = Vec::new();
    let mut fresh: Vec<NewInteraction> = Vec::with_capacity(items.len());
    // externalId → (its place in `fresh`, its index in the input).
    let mut by_external: HashMap<String, (usize, usize)> = HashMap::new();
    let mut duplicates = 0;
    for (index, item) in items.iter().enumerate() {
        let Some(new) = validate(index, item, &lookup, &mut errors) else {
            continue;
        };
        if let Some(external_id) = &new.external_id {
            if let Some(&(earlier, _)) = by_external.get(external_id) {
                if fresh[earlier] == new {
                    duplicates += 1;
                } else {
                    errors.push(UserError::new(
                        UserErrorCode::Conflict,
                        &["input", &index.to_string(), "externalId"],
                        format!("externalId `{external_id}` appears earlier in this batch with other content"),
                    ));
                }
                continue;
            }
            by_external.insert(external_id.clone(), (fresh.len(), index));
        }
        fresh.push(new);
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }

    let txn = begin_write(db).await?;
    lock_organization(&txn, organization_id).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "validated and locked");

    // Re-sent interactions: identical ones are duplicates, others conflicts.
    let external_ids: Vec<String> = by_external.keys().cloned().collect();
    let mut already: HashSet<String> = HashSet::new();
    for chunk in external_ids.chunks(CHUNK) {
        let rows =
            RecordedRow::find_by_statement(recorded_rows_statement(&txn, organization_id, chunk))
                .all(&txn)
                .await?;
        for row in rows {
            let Some(external_id) = row.external_id.clone() else {
                continue;
            };
            let Some(&(position, input_index)) = by_external.get(&external_id) else {
                continue;
            };
            if row.same_as(&fresh[position]) {
                duplicates += 1;
            } else {
                errors.push(UserError::new(
                    UserErrorCode::Conflict,
                    &["input", &input_index.to_string(), "externalId"],
                    format!("externalId `{external_id}` is recorded already with other content"),
                ));
            }
            already.insert(external_id);
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    fresh.retain(|n| n.external_id.as_ref().is_none_or(|e| !already.contains(e)));
    if fresh.is_empty() {
        txn.commit().await?;
        return Ok(Ok(Recorded {
            recorded: 0,
            duplicates,
            new_silo_handoffs: 0,
        }));
    }

    let case_ids = ensure_cases(&txn, organization_id, &fresh).await?;
    let affected: Vec<i64> = case_ids
        .values()
        .copied()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let before = load_events(&txn, &affected).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "cases ready");

    let org = super::organization::get(&txn, organization_id).await?;
    let (deferral, burden) = super::organization::phrases(&org)?;
    let now = now_micros();
    let rows: Vec<interaction::ActiveModel> = fresh
        .iter()
        .map(|n| interaction::ActiveModel {
            organization_id: Set(organization_id),
            case_id: Set(case_ids[&n.case_ref]),
            occurred_at: Set(n.at),
            function_id: Set(n.function_id),
            touchpoint_id: Set(n.touchpoint_id),
            person_id: Set(n.person_id),
            note: Set(n.note.clone()),
            customer_action_required: Set(n.customer_action_required),
            external_id: Set(n.external_id.clone()),
            burden_match: Set(burden.matches(n.note.as_deref())),
            deferral_match: Set(deferral.matches(n.note.as_deref())),
            recorded_at: Set(now),
            ..Default::default()
        })
        .collect();
    for chunk in rows.chunks(INSERT_ROWS) {
        interaction::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }

    let after = load_events(&txn, &affected).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "interactions inserted");
    let map = org_map(&txn, organization_id).await?;
    let mut delta = RollupDelta::default();
    let mut silo_before = 0;
    for mut events in before.into_values() {
        let old = derive(&mut events);
        silo_before += count_silos(&old, &map);
        delta.add(&old, -1);
    }
    let mut silo_after = 0;
    let mut steps: Vec<step::ActiveModel> = Vec::new();
    for (case_id, mut events) in after {
        let derived = derive(&mut events);
        silo_after += count_silos(&derived, &map);
        delta.add(&derived, 1);
        steps.extend(
            derived
                .iter()
                .map(|s| step_row(organization_id, case_id, s)),
        );
    }
    delta.compact();
    tracing::debug!(elapsed = ?started.elapsed(), "derived");
    super::rollup::apply(&txn, organization_id, &delta).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "rolled up");
    replace_steps(&txn, &affected, steps).await?;
    tracing::debug!(elapsed = ?started.elapsed(), "steps replaced");
    txn.commit().await?;
    tracing::debug!(elapsed = ?started.elapsed(), "committed");
    // As the owner, outside the request's tenant scope (a spawned task has none), and
    // without holding up the response.
    let owner = db.clone();
    tokio::spawn(async move { crate::db::refresh_statistics(&owner).await });
    Ok(Ok(Recorded {
        recorded: fresh.len() as i64,
        duplicates,
        new_silo_handoffs: silo_after - silo_before,
    }))
}

fn recorded_rows_statement(
    db: &impl ConnectionTrait,
    organization_id: i64,
    external_ids: &[String],
) -> sea_orm::Statement {
    use sea_orm::sea_query::Query;
    let query = Query::select()
        .columns([
            (interaction::Entity, interaction::Column::ExternalId),
            (interaction::Entity, interaction::Column::OccurredAt),
            (interaction::Entity, interaction::Column::FunctionId),
            (interaction::Entity, interaction::Column::TouchpointId),
            (interaction::Entity, interaction::Column::PersonId),
            (interaction::Entity, interaction::Column::Note),
            (
                interaction::Entity,
                interaction::Column::CustomerActionRequired,
            ),
        ])
        .column((customer_case::Entity, customer_case::Column::CaseRef))
        .from(interaction::Entity)
        .inner_join(
            customer_case::Entity,
            Expr::col((customer_case::Entity, customer_case::Column::Id))
                .equals((interaction::Entity, interaction::Column::CaseId)),
        )
        .and_where(
            Expr::col((interaction::Entity, interaction::Column::OrganizationId))
                .eq(organization_id),
        )
        .and_where(
            Expr::col((interaction::Entity, interaction::Column::ExternalId))
                .is_in(external_ids.iter().cloned()),
        )
        .to_owned();
    db.get_database_backend().build(&query)
}

/// The ids of the batch's cases by reference, creating the missing ones.
async fn ensure_cases(
    txn: &DatabaseTransaction,
    organization_id: i64,
    fresh: &[NewInteraction],
) -> ApiResult<HashMap<String, i64>> {
    let refs: Vec<String> = fresh
        .iter()
        .map(|n| n.case_ref.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut ids = find_cases(txn, organization_id, &refs).await?;
    let missing: Vec<customer_case::ActiveModel> = refs
        .iter()
        .filter(|r| !ids.contains_key(*r))
        .map(|r| customer_case::ActiveModel {
            organization_id: Set(organization_id),
            case_ref: Set(r.clone()),
            created_at: Set(now_micros()),
            ..Default::default()
        })
        .collect();
    if !missing.is_empty() {
        for chunk in missing.chunks(CHUNK) {
            customer_case::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(txn)
                .await?;
        }
        ids = find_cases(txn, organization_id, &refs).await?;
    }
    Ok(ids)
}

async fn find_cases(
    db: &impl ConnectionTrait,
    organization_id: i64,
    refs: &[String],
) -> ApiResult<HashMap<String, i64>> {
    let mut found = HashMap::new();
    for chunk in refs.chunks(CHUNK) {
        let rows: Vec<(i64, String)> = in_org::<customer_case::Entity>(organization_id)
            .filter(customer_case::Column::CaseRef.is_in(chunk.iter().cloned()))
            .select_only()
            .columns([customer_case::Column::Id, customer_case::Column::CaseRef])
            .into_tuple()
            .all(db)
            .await?;
        found.extend(rows.into_iter().map(|(id, r)| (r, id)));
    }
    Ok(found)
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
            deferral_language: row.deferral_match,
        }
    }
}

/// The events of the given cases, grouped by case.
pub async fn load_events(
    db: &impl ConnectionTrait,
    case_ids: &[i64],
) -> ApiResult<HashMap<i64, Vec<Event>>> {
    let mut by_case: HashMap<i64, Vec<Event>> = HashMap::new();
    for chunk in case_ids.chunks(CHUNK) {
        let rows = interaction::Entity::find()
            .select_only()
            .columns([
                interaction::Column::Id,
                interaction::Column::CaseId,
                interaction::Column::OccurredAt,
                interaction::Column::ExternalId,
                interaction::Column::FunctionId,
                interaction::Column::TouchpointId,
                interaction::Column::CustomerActionRequired,
                interaction::Column::BurdenMatch,
                interaction::Column::DeferralMatch,
            ])
            .filter(interaction::Column::CaseId.is_in(chunk.iter().copied()))
            .order_by_asc(interaction::Column::Id)
            .into_model::<EventRow>()
            .all(db)
            .await?;
        for row in rows {
            by_case.entry(row.case_id).or_default().push(row.into());
        }
    }
    Ok(by_case)
}

fn count_silos(steps: &[Step], map: &OrgMap) -> i64 {
    steps
        .iter()
        .filter(|s| s.is_handoff())
        .filter(|s| map.classify(&handoff_key(s)).silo)
        .count() as i64
}

/// The flag inputs of a handoff step.
pub fn handoff_key(step: &Step) -> HandoffKey {
    HandoffKey {
        from: step.prev_function_id.unwrap_or_default(),
        to: step.function_id,
        touchpoint: step.prev_touchpoint_id,
        ping_pong: step.ping_pong,
        customer_burden: step.customer_burden,
        deferral_language: step.deferral_language,
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
    }
}

/// Replaces the steps of the given cases.
async fn replace_steps(
    txn: &DatabaseTransaction,
    case_ids: &[i64],
    steps: Vec<step::ActiveModel>,
) -> ApiResult<()> {
    for chunk in case_ids.chunks(CHUNK) {
        step::Entity::delete_many()
            .filter(step::Column::CaseId.is_in(chunk.iter().copied()))
            .exec(txn)
            .await?;
    }
    // Steps are numbers only: written inline, in one simple-protocol round trip each.
    for chunk in steps.chunks(CHUNK) {
        let insert = step::Entity::insert_many(chunk.to_vec()).into_query();
        crate::db::insert_numbers(txn, &insert).await?;
    }
    Ok(())
}

/// Re-marks every interaction of the organization against new phrase lists, and
/// carries the marks onto the steps that follow them. Reads the log in pages.
pub async fn remark_phrases(
    txn: &DatabaseTransaction,
    organization_id: i64,
    deferral: &Phrases,
    burden: &Phrases,
) -> ApiResult<()> {
    const PAGE: u64 = 5_000;
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, Option<String>, bool, bool, bool)> =
            in_org::<interaction::Entity>(organization_id)
                .filter(interaction::Column::Id.gt(after))
                .order_by_asc(interaction::Column::Id)
                .select_only()
                .columns([
                    interaction::Column::Id,
                    interaction::Column::Note,
                    interaction::Column::CustomerActionRequired,
                    interaction::Column::BurdenMatch,
                    interaction::Column::DeferralMatch,
                ])
                .limit(PAGE)
                .into_tuple()
                .all(txn)
                .await?;
        let Some(last) = rows.last() else { break };
        after = last.0;
        // Group the changed interactions by their new marks: one statement per group.
        let mut changed: HashMap<(bool, bool, bool), Vec<i64>> = HashMap::new();
        for (id, note, action, old_burden, old_deferral) in &rows {
            let new_burden = burden.matches(note.as_deref());
            let new_deferral = deferral.matches(note.as_deref());
            if (new_burden, new_deferral) != (*old_burden, *old_deferral) {
                changed
                    .entry((new_burden, new_deferral, *action))
                    .or_default()
                    .push(*id);
            }
        }
        for ((new_burden, new_deferral, action), ids) in changed {
            interaction::Entity::update_many()
                .col_expr(interaction::Column::BurdenMatch, Expr::value(new_burden))
                .col_expr(
                    interaction::Column::DeferralMatch,
                    Expr::value(new_deferral),
                )
                .filter(interaction::Column::Id.is_in(ids.iter().copied()))
                .exec(txn)
                .await?;
            step::Entity::update_many()
                .col_expr(
                    step::Column::CustomerBurden,
                    Expr::value(new_burden || action),
                )
                .col_expr(step::Column::DeferralLanguage, Expr::value(new_deferral))
                .filter(step::Column::PrevInteractionId.is_in(ids))
                .exec(txn)
                .await?;
        }
        if (rows.len() as u64) < PAGE {
            break;
        }
    }
    super::rollup::rebuild(txn, organization_id).await?;
    Ok(())
}

/// Returns an error when a case reference is unusable for a lookup.
pub fn check_case_ref(case_ref: &str) -> ApiResult<()> {
    if case_ref.trim().is_empty() || case_ref.chars().count() > super::MAX_NAME {
        return Err(ApiError::bad_input("caseRef must have 1 to 200 characters"));
    }
    Ok(())
}
