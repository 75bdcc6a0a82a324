//! Recording interactions: check the batch, drop what is recorded already, write the
//! rest, and re-derive the affected cases, all in one transaction.

pub mod input;

use std::collections::{HashMap, HashSet};

use entity::{customer_case, interaction};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    FromQueryResult, QueryFilter, QuerySelect, QueryTrait, Set,
};

pub use input::{parse_instant, FunctionRef, InteractionInput, TouchpointRef, MAX_BATCH, MAX_NOTE};
use input::{Batch, Lookup, NewInteraction};

use crate::db::{begin_write, now_micros};
use crate::derived::Cases;
use crate::error::{check, ApiResult, UserError, UserErrorCode, Write};
use crate::scoped::in_org;
use rules::chain::Event;

/// Ids or references per `IN` list and case rows per insert.
const CHUNK: usize = 1_000;
/// Interaction rows per INSERT: keeps the bound parameters of one statement in the
/// low thousands, well below the databases' limits.
const INSERT_ROWS: usize = 200;

/// What a recording did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Recorded {
    /// Interactions newly written.
    pub recorded: i64,
    /// Items already recorded with the same content, left as they were.
    pub duplicates: i64,
    /// SILO handoffs the affected cases have now minus before.
    pub new_silo_handoffs: i64,
}

/// Records a batch of interactions atomically: when any item is invalid or conflicts
/// with what is recorded nothing is written. Re-sent items (same externalId and
/// content) are counted as duplicates and left alone.
pub async fn record(
    db: &DatabaseConnection,
    organization_id: i64,
    items: Vec<InteractionInput>,
) -> Write<Recorded> {
    input::check_size(&items)?;
    if items.is_empty() {
        return Ok(Recorded::default());
    }
    let lookup = Lookup::load(db, organization_id, &items).await?;
    let batch = input::check_batch(&items, &lookup)?;

    let txn = begin_write(db).await?;
    crate::organization::lock(&txn, organization_id).await?;
    let (fresh, duplicates) = drop_recorded(&txn, organization_id, batch).await?;
    if fresh.is_empty() {
        txn.commit().await?;
        return Ok(Recorded {
            duplicates,
            ..Recorded::default()
        });
    }
    let case_ids = ensure_cases(&txn, organization_id, &fresh).await?;
    let cases = Cases::load(&txn, case_ids.values().copied().collect()).await?;
    let written = write(&txn, organization_id, &case_ids, &fresh).await?;
    let recorded = written.len() as i64;
    let new_silo_handoffs = cases.rederive(&txn, organization_id, written).await?;
    txn.commit().await?;

    // As the owner, outside the request's tenant scope (a spawned task has none), and
    // without holding up the response.
    let owner = db.clone();
    tokio::spawn(async move { crate::db::refresh_statistics(&owner).await });
    Ok(Recorded {
        recorded,
        duplicates,
        new_silo_handoffs,
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

/// Drops the batch's items whose externalId is recorded already: identical ones are
/// duplicates (counted with the batch's own), others a CONFLICT. Returns what is left
/// to write and the duplicate count.
async fn drop_recorded(
    txn: &DatabaseTransaction,
    organization_id: i64,
    batch: Batch,
) -> Write<(Vec<NewInteraction>, i64)> {
    let Batch {
        mut fresh,
        by_external,
        mut duplicates,
    } = batch;
    let external_ids: Vec<String> = by_external.keys().cloned().collect();
    let mut errors = Vec::new();
    let mut already: HashSet<String> = HashSet::new();
    for chunk in external_ids.chunks(CHUNK) {
        let statement = recorded_rows(txn, organization_id, chunk);
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
                    &["input", &input_index.to_string(), "externalId"],
                    format!("externalId `{external_id}` is recorded already with other content"),
                ));
            }
            already.insert(external_id);
        }
    }
    check(errors)?;
    fresh.retain(|n| n.external_id.as_ref().is_none_or(|e| !already.contains(e)));
    Ok((fresh, duplicates))
}

fn recorded_rows(
    db: &impl ConnectionTrait,
    organization_id: i64,
    external_ids: &[String],
) -> sea_orm::Statement {
    use interaction::Column as I;
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
        .and_where(
            Expr::col((interaction::Entity, I::ExternalId)).is_in(external_ids.iter().cloned()),
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

/// Writes the interactions, marked against the organization's phrase lists; returns
/// each written row's case and event (with its id).
async fn write(
    txn: &DatabaseTransaction,
    organization_id: i64,
    case_ids: &HashMap<String, i64>,
    fresh: &[NewInteraction],
) -> ApiResult<Vec<(i64, Event)>> {
    let org = crate::organization::get(txn, organization_id).await?;
    let (deferral, burden) = crate::organization::phrases(&org)?;
    let now = now_micros();
    let mut written = Vec::with_capacity(fresh.len());
    for chunk in fresh.chunks(INSERT_ROWS) {
        let rows = chunk.iter().map(|n| interaction::ActiveModel {
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
        });
        let insert = interaction::Entity::insert_many(rows).into_query();
        written.extend(crate::derived::insert_events(txn, insert).await?);
    }
    Ok(written)
}
