//! Recording interactions: check the batch, drop what is recorded already, write the
//! rest, and re-derive the affected cases, all in one transaction.

pub(crate) mod identity;
pub mod input;
mod retraction;

use std::collections::{HashMap, HashSet};

use entity::{customer_case, interaction};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, FromQueryResult, QueryFilter, QuerySelect, Set,
};

pub use identity::PREFIX as CONTENT_KEY_PREFIX;
pub(crate) use identity::{key_organization, VERSION as CONTENT_KEYS_VERSION};
pub use input::{parse_instant, FunctionRef, InteractionInput, TouchpointRef, MAX_BATCH, MAX_NOTE};
use input::{Batch, Lookup, NewInteraction};
pub(crate) use retraction::remove;
pub use retraction::{retract, Retracted, Targets};

use crate::error::{check, Field, ServiceResult, UserError, UserErrorCode, Write};
use crate::log::derived::Cases;
use crate::storage::db::{begin_change, now_micros};
use crate::storage::scoped::in_org;
use rules::chain::Event;

/// Ids or references per `IN` list and case rows per insert.
const CHUNK: usize = 1_000;

/// What a recording did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Recorded {
    /// Interactions newly written.
    pub recorded: i64,
    /// Items already recorded with the same content, left as they were.
    pub duplicates: i64,
    /// Handoffs the affected cases have now minus before.
    pub new_handoffs: i64,
    /// SILO handoffs the affected cases have now minus before.
    pub new_silo_handoffs: i64,
    /// (instant, interaction id) of the new handoffs that carry a flag, for live
    /// delivery ([`crate::notify::live`]).
    #[serde(skip)]
    pub flagged: Vec<(i64, i64)>,
}

impl Recorded {
    /// Adds another batch's counts.
    pub fn add(&mut self, other: &Recorded) {
        self.recorded += other.recorded;
        self.duplicates += other.duplicates;
        self.new_handoffs += other.new_handoffs;
        self.new_silo_handoffs += other.new_silo_handoffs;
        self.flagged.extend_from_slice(&other.flagged);
    }
}

/// Records a batch of interactions atomically: when any item is invalid or conflicts
/// with what is recorded nothing is written. Re-sent items (same externalId and
/// content) are counted as duplicates and left alone.
pub async fn record(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    items: Vec<InteractionInput>,
) -> Write<Recorded> {
    input::check_size(&items)?;
    if items.is_empty() {
        return Ok(Recorded::default());
    }
    let lookup = Lookup::load(db, organization_id, &items).await?;
    let batch = input::check_batch(&items, &lookup)?;

    let txn = begin_change(db, organization_id).await?;
    let (recorded, conflicts) = write_batch(&txn, organization_id, batch).await?;
    // A conflict undoes the batch: the transaction is dropped, not committed.
    check(conflicts)?;
    summary_event(&txn, organization_id, "interactions.record", &recorded).await?;
    enqueue_notices(
        &txn,
        organization_id,
        crate::notify::live::Source::Record,
        &recorded,
    )
    .await?;
    txn.commit().await?;
    wake_notifiers(db);
    refresh_statistics_later(db);
    Ok(recorded)
}

/// Tells what a batch recorded, in its transaction: its webhook messages
/// ([`crate::notify::webhook`]) and, last, its change-table row for every replica's
/// subscribers ([`crate::notify::live`]). A batch that recorded nothing new tells nothing.
pub(crate) async fn enqueue_notices(
    txn: &DatabaseTransaction,
    organization_id: i64,
    source: crate::notify::live::Source,
    recorded: &Recorded,
) -> ServiceResult<()> {
    if recorded.recorded == 0 {
        return Ok(());
    }
    let summary = crate::notify::live::BatchSummary {
        source,
        at: now_micros(),
        recorded: recorded.recorded,
        duplicates: recorded.duplicates,
        new_handoffs: recorded.new_handoffs,
        new_silo_handoffs: recorded.new_silo_handoffs,
        feedback: None,
    };
    let flagged: Vec<i64> = recorded.flagged.iter().map(|(_, id)| *id).collect();
    tell(txn, organization_id, &summary, &flagged).await
}

/// Writes what a committed change will tell, in its transaction: its webhook messages
/// and, last, its change-table row (so that the row's id is taken as close to the
/// commit as possible). Shared by every change to the log, interactions and feedback.
pub(crate) async fn tell(
    txn: &DatabaseTransaction,
    organization_id: i64,
    summary: &crate::notify::live::BatchSummary,
    flagged: &[i64],
) -> ServiceResult<()> {
    crate::notify::webhook::enqueue(txn, organization_id, summary, flagged).await?;
    crate::notify::live::announce(txn, organization_id, summary, flagged).await
}

/// Wakes the relays and this process's webhook sender after a [`enqueue_notices`] was
/// committed.
pub(crate) fn wake_notifiers(db: &crate::storage::db::Tenant) {
    crate::notify::live::committed(db.db());
    crate::notify::webhook::wake();
}

/// Records a change to the log as one event with what it did (a batch can hold
/// thousands of interactions: the event counts them).
pub(crate) async fn summary_event<T: serde::Serialize>(
    txn: &DatabaseTransaction,
    organization_id: i64,
    action: &str,
    summary: &T,
) -> ServiceResult<()> {
    crate::access::audit::record(
        txn,
        organization_id,
        crate::access::audit::Change {
            action,
            entity_kind: "Interaction",
            entity_id: None,
        },
        None::<&()>,
        Some(summary),
    )
    .await
}

/// Refreshes the planner's statistics (as the owner: ANALYZE needs it) without
/// holding up the response.
pub(crate) fn refresh_statistics_later(db: &crate::storage::db::Tenant) {
    let db = db.db().clone();
    tokio::spawn(async move { crate::storage::db::refresh_statistics(&db).await });
}

/// Records a checked batch in `txn` (whose organization is locked): drops what is
/// recorded already, writes the rest and re-derives the affected cases. Items whose
/// externalId is recorded with other content are left out and returned as CONFLICTs,
/// by their index in the input; the caller decides whether they undo the batch.
pub(crate) async fn write_batch(
    txn: &DatabaseTransaction,
    organization_id: i64,
    batch: Batch,
) -> ServiceResult<(Recorded, Vec<UserError>)> {
    let (fresh, duplicates, conflicts) = drop_recorded(
        txn,
        organization_id,
        batch,
        &identity::ImportedIdentities::none(),
    )
    .await?;
    if fresh.is_empty() {
        let recorded = Recorded {
            duplicates,
            ..Recorded::default()
        };
        return Ok((recorded, conflicts));
    }
    let case_ids = ensure_cases(txn, organization_id, &fresh).await?;
    let cases = Cases::load(txn, case_ids.values().copied().collect()).await?;
    let written = write(txn, organization_id, &case_ids, &fresh).await?;
    let recorded = written.len() as i64;
    let change = cases
        .rederive(txn, organization_id, written, &HashSet::new())
        .await?;
    let recorded = Recorded {
        recorded,
        duplicates,
        new_handoffs: change.handoffs,
        new_silo_handoffs: change.silo_handoffs,
        flagged: change.flagged,
    };
    Ok((recorded, conflicts))
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

/// Drops the batch's items whose externalId is recorded already: identical ones are
/// duplicates (counted with the batch's own), others a CONFLICT. Returns what is left
/// to write, the duplicate count and the conflicts. Looks up only the identities
/// `written` says may be recorded.
async fn drop_recorded(
    txn: &DatabaseTransaction,
    organization_id: i64,
    batch: Batch,
    written: &identity::ImportedIdentities,
) -> ServiceResult<(Vec<NewInteraction>, i64, Vec<UserError>)> {
    let Batch {
        mut fresh,
        by_external,
        content_keys,
        mut duplicates,
    } = batch;
    // Without an externalId, recorded content is a duplicate, never a conflict.
    let content_keys: Vec<String> = content_keys
        .into_iter()
        .filter(|k| written.may_be_recorded(k))
        .collect();
    let known = identity::recorded(txn, organization_id, content_keys).await?;
    duplicates += known.len() as i64;
    let external_ids: Vec<String> = by_external
        .keys()
        .filter(|e| written.may_be_recorded(e))
        .cloned()
        .collect();
    let mut errors = Vec::new();
    let mut already: HashSet<String> = HashSet::new();
    if !external_ids.is_empty() {
        let statement = recorded_rows(txn, organization_id, external_ids);
        for row in RecordedRow::find_by_statement(statement).all(txn).await? {
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
                    Field::item(input_index, "external_id"),
                    format!("externalId `{external_id}` is recorded already with other content"),
                ));
            }
            already.insert(external_id);
        }
    }
    fresh.retain(|n| {
        n.external_id.as_ref().is_none_or(|e| !already.contains(e))
            && n.content_key.as_ref().is_none_or(|k| !known.contains(k))
    });
    Ok((fresh, duplicates, errors))
}

fn recorded_rows(
    db: &impl ConnectionTrait,
    organization_id: i64,
    external_ids: Vec<String>,
) -> sea_orm::Statement {
    use interaction::Column as I;
    if crate::storage::db::is_postgres(db) {
        // Driven by the list, one index probe per externalId: with `= ANY` PostgreSQL
        // may estimate that a thousand values are cheaper found by scanning the
        // whole table (20 ms at 100k interactions, against 2 ms probing).
        return sea_orm::Statement::from_sql_and_values(
            sea_orm::DbBackend::Postgres,
            "SELECT r.* FROM unnest($2::text[]) AS wanted(external_id) \
             CROSS JOIN LATERAL (SELECT i.external_id, i.occurred_at, i.function_id, \
             i.touchpoint_id, i.person_id, i.note, i.customer_action_required, c.case_ref \
             FROM interaction i JOIN customer_case c ON c.id = i.case_id \
             WHERE i.organization_id = $1 AND i.external_id = wanted.external_id \
             LIMIT 1) AS r",
            [organization_id.into(), external_ids.into()],
        );
    }
    let query = Query::select()
        .columns(
            [
                I::ExternalId,
                I::OccurredAt,
                I::FunctionId,
                I::TouchpointId,
                I::PersonId,
                I::Note,
                I::CustomerActionRequired,
            ]
            .map(|c| (interaction::Entity, c)),
        )
        .column((customer_case::Entity, customer_case::Column::CaseRef))
        .from(interaction::Entity)
        .inner_join(
            customer_case::Entity,
            Expr::col((customer_case::Entity, customer_case::Column::Id))
                .equals((interaction::Entity, I::CaseId)),
        )
        .and_where(Expr::col((interaction::Entity, I::OrganizationId)).eq(organization_id))
        .and_where(crate::storage::bulk::one_of(
            db.get_database_backend(),
            (interaction::Entity, I::ExternalId),
            external_ids,
        ))
        .to_owned();
    db.get_database_backend().build(&query)
}

/// The ids of the batch's cases by reference, creating the missing ones.
async fn ensure_cases(
    txn: &DatabaseTransaction,
    organization_id: i64,
    fresh: &[NewInteraction],
) -> ServiceResult<HashMap<String, i64>> {
    Ok(ensure_cases_created(txn, organization_id, fresh).await?.0)
}

/// The same, and the ids of the cases it created.
async fn ensure_cases_created(
    txn: &DatabaseTransaction,
    organization_id: i64,
    fresh: &[NewInteraction],
) -> ServiceResult<(HashMap<String, i64>, Vec<i64>)> {
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
    let mut created = Vec::new();
    if !missing.is_empty() {
        let new_refs: HashSet<String> = missing
            .iter()
            .filter_map(|m| match &m.case_ref {
                sea_orm::ActiveValue::Set(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        crate::storage::bulk::insert_all(txn, missing).await?;
        ids = find_cases(txn, organization_id, &refs).await?;
        created = new_refs
            .iter()
            .filter_map(|r| ids.get(r).copied())
            .collect();
    }
    Ok((ids, created))
}

async fn find_cases(
    db: &impl ConnectionTrait,
    organization_id: i64,
    refs: &[String],
) -> ServiceResult<HashMap<String, i64>> {
    let rows: Vec<(i64, String)> = in_org::<customer_case::Entity>(organization_id)
        .filter(crate::storage::bulk::one_of(
            db.get_database_backend(),
            customer_case::Column::CaseRef,
            refs.to_vec(),
        ))
        .select_only()
        .columns([customer_case::Column::Id, customer_case::Column::CaseRef])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, r)| (r, id)).collect())
}

/// What [`write_only`] wrote: the counts, and the cases it wrote to (those it created
/// apart), for the caller to derive once.
#[derive(Debug, Default)]
pub(crate) struct Written {
    pub recorded: i64,
    pub duplicates: i64,
    pub cases: Vec<i64>,
    pub created: Vec<i64>,
    /// Each written interaction's case, and what the chain needs of it.
    pub events: Vec<(i64, Event)>,
}

/// Records a checked batch in `txn` (whose organization is locked) without deriving
/// its cases: drops what is recorded already, writes the rest. The caller derives
/// the cases written to, once, after its last batch ([`crate::log::derived::derive_once`]).
/// Items whose externalId is recorded with other content are left out and returned as
/// CONFLICTs.
pub(crate) async fn write_only(
    txn: &DatabaseTransaction,
    organization_id: i64,
    batch: Batch,
    identities: &mut identity::ImportedIdentities,
) -> ServiceResult<(Written, Vec<UserError>)> {
    let (fresh, duplicates, conflicts) =
        drop_recorded(txn, organization_id, batch, identities).await?;
    if fresh.is_empty() {
        let written = Written {
            duplicates,
            ..Written::default()
        };
        return Ok((written, conflicts));
    }
    let (case_ids, created) = ensure_cases_created(txn, organization_id, &fresh).await?;
    let events = write(txn, organization_id, &case_ids, &fresh).await?;
    for new in &fresh {
        if let Some(identity) = new.external_id.as_ref().or(new.content_key.as_ref()) {
            identities.add(identity);
        }
    }
    let written = Written {
        recorded: fresh.len() as i64,
        duplicates,
        cases: case_ids.into_values().collect(),
        created,
        events,
    };
    Ok((written, conflicts))
}

/// Writes the interactions, marked against the organization's phrase lists; returns
/// each written row's case and event (with its id).
async fn write(
    txn: &DatabaseTransaction,
    organization_id: i64,
    case_ids: &HashMap<String, i64>,
    fresh: &[NewInteraction],
) -> ServiceResult<Vec<(i64, Event)>> {
    let rows = rows(txn, organization_id, case_ids, fresh).await?;
    crate::log::derived::insert_events(txn, rows).await
}

/// The interaction rows of a batch, marked against the organization's phrase lists.
async fn rows(
    txn: &DatabaseTransaction,
    organization_id: i64,
    case_ids: &HashMap<String, i64>,
    fresh: &[NewInteraction],
) -> ServiceResult<Vec<interaction::ActiveModel>> {
    let org = crate::model::organization::get(txn, organization_id).await?;
    let (deferral, burden) = crate::model::organization::phrases(&org)?;
    let now = now_micros();
    let rows = fresh
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
            content_key: Set(n.content_key.clone()),
            burden_match: Set(burden.matches(n.note.as_deref())),
            deferral_match: Set(deferral.matches(n.note.as_deref())),
            recorded_at: Set(now),
            ..Default::default()
        })
        .collect();
    Ok(rows)
}
