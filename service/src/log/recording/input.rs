//! What a door hands over to be recorded, and the checks each item passes before
//! anything is written: references resolved against the organization, values in range,
//! and externalIds that do not contradict each other within the batch.

use std::collections::{HashMap, HashSet};

use chrono::DateTime;
use entity::{function, person, touchpoint};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};

use crate::error::{check, Field, ServiceResult, UserError, UserErrorCode, Write};
use crate::fields::{name_key, MAX_NAME};
use crate::storage::scoped::in_org;

/// Most interactions in one call.
pub const MAX_BATCH: usize = 10_000;
/// Longest note accepted, in characters.
pub const MAX_NOTE: usize = 4_000;
/// Ids per `IN` list.
const CHUNK: usize = 1_000;

/// The function that handled an interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FunctionRef {
    /// Its row id.
    Id(i64),
    /// The HR system's id of the function.
    ExternalId(String),
    /// Its name, case-insensitive.
    Name(String),
}

/// The touchpoint of an interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TouchpointRef {
    /// Its row id.
    Id(i64),
    /// Its name, case-insensitive.
    Name(String),
}

/// One event of a customer case, as a door received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InteractionInput {
    /// The case's reference in the ticketing system (1–200 characters).
    pub case_ref: String,
    /// RFC 3339 with an offset; kept to the microsecond.
    pub occurred_at: String,
    pub function: FunctionRef,
    pub touchpoint: Option<TouchpointRef>,
    pub person_id: Option<i64>,
    /// At most [`MAX_NOTE`] characters; matched against the phrase lists.
    pub note: Option<String>,
    pub customer_action_required: bool,
    /// The source system's id, unique in the organization: re-sending is harmless.
    pub external_id: Option<String>,
}

/// A checked interaction, ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewInteraction {
    pub case_ref: String,
    pub at: i64,
    pub function_id: i64,
    pub touchpoint_id: Option<i64>,
    pub person_id: Option<i64>,
    pub note: Option<String>,
    pub customer_action_required: bool,
    pub external_id: Option<String>,
    /// Without an externalId: the key its content gives it ([`super::identity`]).
    pub content_key: Option<String>,
}

/// A checked batch: the interactions to write, and where each externalId stands.
#[derive(Debug, Default)]
pub struct Batch {
    pub fresh: Vec<NewInteraction>,
    /// externalId → (its place in `fresh`, its index in the input).
    pub by_external: HashMap<String, (usize, usize)>,
    /// The content keys of the items without an externalId.
    pub content_keys: HashSet<String>,
    /// Items that repeat an earlier item of the batch exactly.
    pub duplicates: i64,
}

/// How far after the server's clock an interaction may be dated: enough for clocks a
/// little apart, not for a wrong year.
pub const FUTURE_LEEWAY_MICROS: i64 = 24 * 3600 * 1_000_000;

/// Parses an RFC 3339 instant (with its offset) to microseconds since the epoch.
pub fn parse_instant(text: &str) -> Option<i64> {
    let parsed = DateTime::parse_from_rfc3339(text.trim()).ok()?;
    Some(parsed.timestamp_micros())
}

/// Why an interaction's instant is refused, if it is: interactions happen between
/// 1970-01-01T00:00:00Z and one day after the server's clock (`now`, microseconds).
pub fn check_instant(at: i64, now: i64) -> Option<String> {
    if at < 0 {
        Some("an interaction cannot be dated before 1970-01-01T00:00:00Z".to_owned())
    } else if at > now.saturating_add(FUTURE_LEEWAY_MICROS) {
        Some(format!(
            "an interaction cannot be dated more than a day after the server's clock ({})",
            crate::storage::db::format_instant(now)
        ))
    } else {
        None
    }
}

/// Refuses a batch larger than [`MAX_BATCH`].
pub fn check_size(items: &[InteractionInput]) -> Write<()> {
    if items.len() > MAX_BATCH {
        return Err(UserError::new(
            UserErrorCode::TooMany,
            Field::of(""),
            format!(
                "at most {MAX_BATCH} interactions a call; this one has {}",
                items.len()
            ),
        )
        .into());
    }
    Ok(())
}

/// Names and external ids of the organization's functions and touchpoints, and the
/// people the batch names.
pub struct Lookup {
    /// The server's clock when the batch arrived, in microseconds.
    now: i64,
    function_ids: HashSet<i64>,
    /// Archived functions by id, with their names.
    archived_functions: HashMap<i64, String>,
    function_by_name: HashMap<String, i64>,
    function_by_external: HashMap<String, i64>,
    touchpoint_ids: HashSet<i64>,
    touchpoint_by_name: HashMap<String, i64>,
    person_ids: HashSet<i64>,
}

impl Lookup {
    pub async fn load(
        db: &impl ConnectionTrait,
        organization_id: i64,
        items: &[InteractionInput],
    ) -> ServiceResult<Lookup> {
        let functions: Vec<(i64, String, Option<String>, bool, String)> =
            in_org::<function::Entity>(organization_id)
                .select_only()
                .columns([
                    function::Column::Id,
                    function::Column::NameKey,
                    function::Column::ExternalId,
                    function::Column::Archived,
                    function::Column::Name,
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
        let mut lookup = Lookup {
            now: crate::storage::db::now_micros(),
            function_ids: functions.iter().map(|f| f.0).collect(),
            archived_functions: functions
                .iter()
                .filter(|f| f.3)
                .map(|f| (f.0, f.4.clone()))
                .collect(),
            function_by_name: functions.iter().map(|f| (f.1.clone(), f.0)).collect(),
            function_by_external: functions
                .iter()
                .filter_map(|f| f.2.clone().map(|e| (e, f.0)))
                .collect(),
            touchpoint_ids: touchpoints.iter().map(|t| t.0).collect(),
            touchpoint_by_name: touchpoints.into_iter().map(|t| (t.1, t.0)).collect(),
            person_ids: HashSet::new(),
        };
        lookup.add_people(db, organization_id, items).await?;
        Ok(lookup)
    }

    /// Adds the people `items` name that the organization has.
    pub async fn add_people(
        &mut self,
        db: &impl ConnectionTrait,
        organization_id: i64,
        items: &[InteractionInput],
    ) -> ServiceResult<()> {
        let wanted: Vec<i64> = items
            .iter()
            .filter_map(|i| i.person_id)
            .filter(|id| !self.person_ids.contains(id))
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        for chunk in wanted.chunks(CHUNK) {
            let found: Vec<i64> = in_org::<person::Entity>(organization_id)
                .filter(person::Column::Id.is_in(chunk.iter().copied()))
                .select_only()
                .column(person::Column::Id)
                .into_tuple()
                .all(db)
                .await?;
            self.person_ids.extend(found);
        }
        Ok(())
    }

    pub(crate) fn function(&self, reference: &FunctionRef) -> Option<i64> {
        match reference {
            FunctionRef::Id(id) => Some(*id).filter(|id| self.function_ids.contains(id)),
            FunctionRef::ExternalId(external) => {
                self.function_by_external.get(external.trim()).copied()
            }
            FunctionRef::Name(name) => self.function_by_name.get(&name_key(name)).copied(),
        }
    }

    pub(crate) fn touchpoint(&self, reference: &TouchpointRef) -> Option<i64> {
        match reference {
            TouchpointRef::Id(id) => Some(*id).filter(|id| self.touchpoint_ids.contains(id)),
            TouchpointRef::Name(name) => self.touchpoint_by_name.get(&name_key(name)).copied(),
        }
    }
}

/// Checks every item; every bad one is reported by its index, and an externalId
/// repeated with other content is a CONFLICT. Nothing is returned unless all pass.
pub fn check_batch(items: &[InteractionInput], lookup: &Lookup) -> Write<Batch> {
    let (batch, errors) = sort_batch(items, lookup);
    check(errors)?;
    Ok(batch)
}

/// Checks every item: the good ones make the batch, the bad ones are reported by
/// their index.
pub fn sort_batch(items: &[InteractionInput], lookup: &Lookup) -> (Batch, Vec<UserError>) {
    let mut errors = Vec::new();
    let mut batch = Batch {
        fresh: Vec::with_capacity(items.len()),
        ..Batch::default()
    };
    for (index, item) in items.iter().enumerate() {
        let Some(new) = check_item(index, item, lookup, &mut errors) else {
            continue;
        };
        if let Some(external_id) = &new.external_id {
            if let Some(&(earlier, _)) = batch.by_external.get(external_id) {
                if batch.fresh[earlier] == new {
                    batch.duplicates += 1;
                } else {
                    errors.push(UserError::new(
                        UserErrorCode::Conflict,
                        Field::item(index, "external_id"),
                        format!("externalId `{external_id}` appears earlier in this batch with other content"),
                    ));
                }
                continue;
            }
            batch
                .by_external
                .insert(external_id.clone(), (batch.fresh.len(), index));
        } else if let Some(key) = &new.content_key {
            // The same content twice is the same interaction.
            if !batch.content_keys.insert(key.clone()) {
                batch.duplicates += 1;
                continue;
            }
        }
        batch.fresh.push(new);
    }
    (batch, errors)
}

/// The instant an item's `occurredAt` names, or why it cannot be recorded.
fn instant(text: &str, now: i64) -> Result<i64, String> {
    let at = parse_instant(text).ok_or_else(|| {
        "not an RFC 3339 instant with an offset, like 2026-03-01T09:30:00Z".to_owned()
    })?;
    match check_instant(at, now) {
        Some(reason) => Err(reason),
        None => Ok(at),
    }
}

impl Lookup {
    /// The live function an item names, or why it cannot be recorded.
    fn recording_function(&self, reference: &FunctionRef) -> Result<i64, (UserErrorCode, String)> {
        let Some(id) = self.function(reference) else {
            let message = match reference {
                FunctionRef::Id(_) => "no function with this id in the organization".to_owned(),
                FunctionRef::ExternalId(external) => format!(
                    "no function with externalId `{}` in the organization",
                    external.trim()
                ),
                FunctionRef::Name(name) => {
                    format!("no function named `{}` in the organization", name.trim())
                }
            };
            return Err((UserErrorCode::NotFound, message));
        };
        match self.archived_functions.get(&id) {
            Some(name) => Err((
                UserErrorCode::Invalid,
                format!(
                    "function `{name}` is archived: unarchive it to record interactions it handled"
                ),
            )),
            None => Ok(id),
        }
    }

    /// The touchpoint an item names, or why it cannot be recorded.
    fn recording_touchpoint(&self, reference: &TouchpointRef) -> Result<i64, String> {
        self.touchpoint(reference).ok_or_else(|| match reference {
            TouchpointRef::Id(_) => "no touchpoint with this id in the organization".to_owned(),
            TouchpointRef::Name(name) => {
                format!("no touchpoint named `{}` in the organization", name.trim())
            }
        })
    }
}

fn check_item(
    index: usize,
    item: &InteractionInput,
    lookup: &Lookup,
    errors: &mut Vec<UserError>,
) -> Option<NewInteraction> {
    let before = errors.len();
    let mut error = |field: &'static str, code, message: &str| {
        errors.push(UserError::new(code, Field::item(index, field), message));
    };
    let case_ref = item.case_ref.trim().to_owned();
    if case_ref.is_empty() {
        error(
            "case_ref",
            UserErrorCode::Required,
            "a caseRef must not be empty",
        );
    } else if case_ref.chars().count() > MAX_NAME || case_ref.contains('\0') {
        error(
            "case_ref",
            UserErrorCode::Invalid,
            "a caseRef has at most 200 characters, without NUL",
        );
    }
    let at = instant(&item.occurred_at, lookup.now)
        .map_err(|reason| error("occurred_at", UserErrorCode::Invalid, &reason))
        .ok();
    let function_id = lookup
        .recording_function(&item.function)
        .map_err(|(code, message)| error("function", code, &message))
        .ok();
    let touchpoint_id = item.touchpoint.as_ref().and_then(|reference| {
        lookup
            .recording_touchpoint(reference)
            .map_err(|message| error("touchpoint", UserErrorCode::NotFound, &message))
            .ok()
    });
    let person_id = item.person_id.and_then(|id| {
        let found = Some(id).filter(|id| lookup.person_ids.contains(id));
        if found.is_none() {
            error(
                "person_id",
                UserErrorCode::NotFound,
                "no person with this id in the organization",
            );
        }
        found
    });
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
        .is_some_and(|e| e.chars().count() > MAX_NAME || e.contains('\0'))
    {
        error(
            "external_id",
            UserErrorCode::Invalid,
            "an externalId has at most 200 characters, without NUL",
        );
    }
    if errors.len() > before {
        return None;
    }
    let mut new = NewInteraction {
        case_ref,
        at: at?,
        function_id: function_id?,
        touchpoint_id,
        person_id,
        note,
        customer_action_required: item.customer_action_required,
        external_id,
        content_key: None,
    };
    if new.external_id.is_none() {
        new.content_key = Some(super::identity::Content::from(&new).key());
    }
    Some(new)
}

impl<'a> From<&'a NewInteraction> for super::identity::Content<'a> {
    fn from(new: &'a NewInteraction) -> Self {
        super::identity::Content {
            case_ref: &new.case_ref,
            at: new.at,
            function_id: new.function_id,
            touchpoint_id: new.touchpoint_id,
            person_id: new.person_id,
            note: new.note.as_deref(),
            customer_action_required: new.customer_action_required,
        }
    }
}
