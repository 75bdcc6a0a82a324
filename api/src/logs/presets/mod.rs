//! Presets for the exports people have: a ticketing system's own export read as it
//! is, each group a function, each change of group an interaction by the group taking
//! the case. Built from the vendors' public API documentation:
//!
//! - [`zendesk`]: Zendesk's incremental ticket event export (JSON pages or NDJSON);
//! - [`jira`]: Jira's issues with their changelog (search with `expand=changelog`, or
//!   the bulk changelog fetch);
//! - [`servicenow`]: ServiceNow's `sys_audit` CSV, with `sys_user_group` for names and
//!   the incident export for numbers, channels and opening groups.
//!
//! Each preset hands rows to the same sink as the CSV, XES and OCEL readers, so every
//! row passes the service's checks and identity, and memory stays bounded by the
//! readers' limits (a preset keeps one small record per ticket or incident: its group).

pub(super) mod jira;
pub(super) mod servicenow;
pub(super) mod zendesk;

use std::collections::HashMap;
use std::io::{BufRead, Read};

use serde::de::{
    DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};
use service::log::import::Rejection;

use super::bounded::{CsvRecord, CsvRecords, JsonTokens, ReadLimits, Tripped};
use super::rows::{interaction, Sink};
use super::time::TimeParsing;
use super::Door;

/// What a preset needs besides the log: group names, the field that holds the team,
/// the incidents.
#[derive(Clone, Debug, Default)]
pub struct Preset {
    /// Group id → name (`--groups`, `--map-group ID=NAME`).
    pub groups: HashMap<String, String>,
    /// Jira: the field whose changes are the team's (`--group-field`).
    pub group_field: Option<String>,
    /// ServiceNow: incidents by sys_id (`--incidents`).
    pub incidents: HashMap<String, Incident>,
}

/// What a ServiceNow incident export says of an incident.
#[derive(Clone, Debug, Default)]
pub struct Incident {
    pub number: String,
    pub contact_type: String,
    pub created: String,
    pub group: String,
}

/// What a preset holds per case (its group), counted against the readers' limit
/// of what they may hold (`SILOSCOPE_IMPORT_MAX_HELD_BYTES`).
#[derive(Default)]
struct Held {
    bytes: usize,
}

impl Held {
    /// Counts a new entry of `len` bytes; the reason when the limit is passed.
    fn add(&mut self, len: usize, limits: ReadLimits, what: &str) -> Result<(), String> {
        self.bytes += len + 48;
        if self.bytes > limits.max_held_bytes {
            return Err(format!(
                "{what} hold more than {} bytes (SILOSCOPE_IMPORT_MAX_HELD_BYTES)",
                limits.max_held_bytes
            ));
        }
        Ok(())
    }
}

impl Preset {
    /// Adds `ID=NAME` pairs (`--map-group`).
    pub fn map_groups(&mut self, pairs: &[String], door: Door) -> Result<(), String> {
        for pair in pairs {
            let Some((id, name)) = pair.split_once('=') else {
                return Err(format!(
                    "{}: expected ID=NAME",
                    door.option("map-group", pair)
                ));
            };
            self.groups
                .insert(id.trim().to_owned(), name.trim().to_owned());
        }
        Ok(())
    }

    /// Reads a groups export: Zendesk's `{"groups": [{"id", "name"}…]}` JSON, or a CSV
    /// with `sys_id` (or `id`) and `name` columns (ServiceNow's `sys_user_group`).
    pub fn read_groups(&mut self, bytes: &[u8], limits: ReadLimits) -> Result<(), String> {
        let text = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if matches!(text, Some(b'{') | Some(b'[')) {
            #[derive(serde::Deserialize)]
            struct Group {
                id: serde_json::Value,
                name: String,
            }
            #[derive(serde::Deserialize)]
            #[serde(untagged)]
            enum Groups {
                Page { groups: Vec<Group> },
                List(Vec<Group>),
            }
            let groups: Groups = serde_json::from_slice(bytes)
                .map_err(|e| format!("the groups file is not a groups export: {e}"))?;
            let (Groups::Page { groups } | Groups::List(groups)) = groups;
            for group in groups {
                self.groups.insert(id_text(&group.id), group.name);
            }
            return Ok(());
        }
        for row in csv_rows(bytes, limits)? {
            let id = row.get("sys_id").or_else(|| row.get("id"));
            match (id, row.get("name")) {
                (Some(id), Some(name)) => {
                    self.groups.insert(id.clone(), name.clone());
                }
                _ => return Err("the groups file needs sys_id (or id) and name columns".into()),
            }
        }
        Ok(())
    }

    /// Reads a ServiceNow incident export (`sys_id`, `number`, `contact_type`,
    /// `sys_created_on`, `assignment_group`).
    pub fn read_incidents(&mut self, bytes: &[u8], limits: ReadLimits) -> Result<(), String> {
        for row in csv_rows(bytes, limits)? {
            let Some(sys_id) = row.get("sys_id") else {
                return Err("the incidents file needs a sys_id column".into());
            };
            let field = |name: &str| row.get(name).cloned().unwrap_or_default();
            self.incidents.insert(
                sys_id.clone(),
                Incident {
                    number: field("number"),
                    contact_type: field("contact_type"),
                    created: field("sys_created_on"),
                    group: field("assignment_group"),
                },
            );
        }
        Ok(())
    }

    /// A group's name; the row's error when the preset has none for it.
    fn group(&self, id: &str, door: Door) -> Result<String, String> {
        if let Some(name) = self.groups.get(id) {
            return Ok(name.clone());
        }
        // A display-value export names groups already.
        if !looks_like_id(id) {
            return Ok(id.to_owned());
        }
        Err(format!(
            "group `{id}` has no name: give the groups export with {} or name it with {}",
            door.option("groups", "FILE"),
            door.option("map-group", &format!("{id}=NAME"))
        ))
    }
}

/// A JSON id (number or string) as text.
fn id_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.trim().to_owned(),
        other => other.to_string(),
    }
}

/// Whether a group reference is an id (digits, or a 32-digit sys_id) rather than a name.
fn looks_like_id(text: &str) -> bool {
    !text.is_empty()
        && (text.bytes().all(|b| b.is_ascii_digit())
            || (text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit())))
}

/// The rows of a small CSV (a side file) by column name.
fn csv_rows(bytes: &[u8], limits: ReadLimits) -> Result<Vec<HashMap<String, String>>, String> {
    let mut reader = CsvRecords::new(std::io::BufReader::new(bytes), limits);
    let mut record = CsvRecord::default();
    let fields = |record: &CsvRecord| -> Vec<String> {
        (0..record.len())
            .map(|i| {
                String::from_utf8_lossy(record.get(i).unwrap_or_default())
                    .trim()
                    .to_owned()
            })
            .collect()
    };
    if !reader.read(&mut record).map_err(|e| format!("{e:?}"))? {
        return Ok(Vec::new());
    }
    let header: Vec<String> = fields(&record)
        .into_iter()
        .map(|h| column_name(&h))
        .collect();
    let mut rows = Vec::new();
    while reader.read(&mut record).map_err(|e| format!("{e:?}"))? {
        rows.push(header.iter().cloned().zip(fields(&record)).collect());
    }
    Ok(rows)
}

/// A column's name as the presets look it up: field names as they are, labels
/// (`Document key`, `Created`) as the field they label.
fn column_name(header: &str) -> String {
    let lower = header.trim().to_ascii_lowercase();
    match lower.as_str() {
        "table name" => "tablename",
        "field name" => "fieldname",
        "document key" => "documentkey",
        "old value" => "oldvalue",
        "new value" => "newvalue",
        "created" => "sys_created_on",
        "created by" => "sys_created_by",
        "sys id" => "sys_id",
        "channel" => "contact_type",
        "assignment group" => "assignment_group",
        other => other,
    }
    .to_owned()
}

/// Hands one interaction to the sink from its fields by name (as a CSV row's), so
/// that it is checked as every reader's rows are; `false` when the sink wants no more.
fn emit(
    sink: &mut Sink,
    time: &TimeParsing,
    number: u64,
    fields: &[(&str, Option<String>)],
    raw: impl FnOnce() -> String,
) -> bool {
    let get = |name: &str| {
        fields
            .iter()
            .find(|(n, _)| *n == name)
            .and_then(|(_, v)| v.clone())
            .filter(|v| !v.trim().is_empty())
    };
    match interaction(get, time) {
        Ok(input) => sink.row(number, input, raw),
        Err((field, reason)) => sink.reject(number, field, reason, raw),
    }
}

/// A note as siloscope keeps it: at most [`service::log::recording::MAX_NOTE`]
/// characters (a ticket's comment can be longer; the rest is cut, marked with `…`).
fn note(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let max = service::log::recording::MAX_NOTE;
    if text.chars().count() <= max {
        return Some(text.replace('\0', ""));
    }
    let mut cut: String = text.chars().take(max - 1).filter(|c| *c != '\0').collect();
    cut.push('…');
    Some(cut)
}

/// Streams the elements of the arrays under `keys` in each top-level JSON value of
/// the file (one document, or pages one after another as NDJSON), and of a top-level
/// array, to `each` (which says whether to go on). Other keys are skipped unread.
fn stream_json<T: DeserializeOwned>(
    source: Box<dyn BufRead + Send>,
    limits: ReadLimits,
    tripped: &Tripped,
    keys: &[&str],
    each: &mut dyn FnMut(T) -> bool,
) -> Result<(), String> {
    let guarded = JsonTokens::new(source, limits, tripped);
    let mut deserializer = serde_json::Deserializer::from_reader(guarded);
    let mut stopped = false;
    loop {
        Top {
            keys,
            each: &mut *each,
            stopped: &mut stopped,
        }
        .deserialize(&mut deserializer)
        .map_err(|e| e.to_string())?;
        if stopped || deserializer.end().is_ok() {
            return Ok(());
        }
    }
}

struct Top<'a, T> {
    keys: &'a [&'a str],
    each: &'a mut dyn FnMut(T) -> bool,
    stopped: &'a mut bool,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Top<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Top<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(f, "an object with {} or a list", self.keys.join(" or "))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if !*self.stopped && self.keys.contains(&key.as_str()) {
                map.next_value_seed(Each {
                    each: &mut *self.each,
                    stopped: &mut *self.stopped,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Each {
            each: self.each,
            stopped: self.stopped,
        }
        .visit_seq(seq)
    }
}

struct Each<'a, T> {
    each: &'a mut dyn FnMut(T) -> bool,
    stopped: &'a mut bool,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Each<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Each<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while !*self.stopped {
            match seq.next_element::<T>()? {
                Some(item) => {
                    if !(self.each)(item) {
                        *self.stopped = true;
                    }
                }
                None => return Ok(()),
            }
        }
        // The import has ended: the rest is skipped unread.
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(())
    }
}

/// Reads a whole side file, at most what a reader may hold
/// (`SILOSCOPE_IMPORT_MAX_HELD_BYTES`).
pub fn read_side_file(
    mut source: impl Read,
    what: &str,
    limits: ReadLimits,
) -> Result<Vec<u8>, String> {
    let max = limits.max_held_bytes as u64;
    let mut bytes = Vec::new();
    source
        .by_ref()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the {what} file: {e}"))?;
    if bytes.len() as u64 > max {
        return Err(side_file_too_large(what, limits));
    }
    Ok(bytes)
}

/// Why a side file is refused for its size.
pub fn side_file_too_large(what: &str, limits: ReadLimits) -> String {
    format!(
        "the {what} file is larger than {} bytes (SILOSCOPE_IMPORT_MAX_HELD_BYTES)",
        limits.max_held_bytes
    )
}

/// A reader's failure as the import reports it: the file, at the event reached.
fn malformed(what: &str, at: u64, error: String) -> Rejection {
    Rejection::new(
        at,
        "",
        format!("malformed {what} after event {at}: {error}"),
    )
}
