//! ServiceNow's `sys_audit` as a CSV export (field names as headers, or their labels),
//! with the `sys_user_group` export (`--groups`) for group names and the incident
//! export (`--incidents`) for numbers, channels and opening groups.
//!
//! - A row of table `incident` and field `assignment_group` with a new value is the
//!   group taking the incident: an interaction by it, externalId `servicenow:` and the
//!   row's `sys_id`.
//! - A `work_notes` or `comments` row is an interaction by the incident's group at
//!   that moment, the text its note.
//! - The group an incident had before its first change (the first row's old value),
//!   or the group it still has when no row changed it (the incident export), handled
//!   it from its `sys_created_on` (externalId `servicenow:SYS_ID:opened`).
//! - The case is the incident's number (from the incident export, else its sys_id);
//!   the touchpoint its `contact_type`.
//!
//! Times are raw exports' UTC (`2026-03-01 14:02:11`) unless `--time-zone` says
//! otherwise (a display-value export is in the exporting user's zone).

use std::collections::{HashMap, HashSet};
use std::io::BufRead;

use service::log::import::Rejection;

use super::{column_name, emit, note, Preset};
use crate::logs::bounded::{CsvRecord, CsvRecords, ReadLimits};
use crate::logs::rows::{whole_file, Sink};
use crate::logs::time::TimeParsing;
use crate::logs::Mapping;

/// What one incident has come to so far.
#[derive(Default)]
struct Seen {
    group: Option<String>,
}

pub(in crate::logs) fn read(
    source: Box<dyn BufRead + Send>,
    mapping: &Mapping,
    limits: ReadLimits,
    sink: &mut Sink,
) -> Result<(), Rejection> {
    let preset = &mapping.preset;
    let time = TimeParsing {
        zone: mapping.time.zone.or(Some(service::calendar::Tz::UTC)),
        ..mapping.time.clone()
    };
    let mut reader = CsvRecords::new(source, limits);
    let mut record = CsvRecord::default();
    let cannot = |e| whole_file(format!("cannot read the file: {e:?}"));
    if !reader.read(&mut record).map_err(cannot)? {
        return Err(whole_file(
            "the file is empty: a sys_audit export starts with a header row".into(),
        ));
    }
    let header: Vec<String> = (0..record.len())
        .map(|i| column_name(&String::from_utf8_lossy(record.get(i).unwrap_or_default())))
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(c_table), Some(c_field), Some(c_key), Some(c_new), Some(c_when)) = (
        at("tablename"),
        at("fieldname"),
        at("documentkey"),
        at("newvalue"),
        at("sys_created_on"),
    ) else {
        return Err(whole_file(
            "a sys_audit export needs the columns tablename, fieldname, documentkey, newvalue and sys_created_on"
                .into(),
        ));
    };
    let (c_old, c_id) = (at("oldvalue"), at("sys_id"));
    let mut seen: HashMap<String, Seen> = HashMap::new();
    let mut held = super::Held::default();
    let mut emitted: HashSet<String> = HashSet::new();
    loop {
        if !reader.read(&mut record).map_err(cannot)? {
            break;
        }
        let line = record.line;
        let field = |i: usize| {
            String::from_utf8_lossy(record.get(i).unwrap_or_default())
                .trim()
                .to_owned()
        };
        if !field(c_table).eq_ignore_ascii_case("incident") {
            continue;
        }
        let kind = field(c_field);
        let key = field(c_key);
        let when = field(c_when);
        let row_id = c_id.map(&field).unwrap_or_else(|| format!("{key}:{line}"));
        let raw = || record.raw_text();
        if !seen.contains_key(&key) {
            held.add(2 * key.len() + 32, limits, "the incidents' groups")
                .map_err(|reason| Rejection::new(line, "", reason))?;
        }
        let state = seen.entry(key.clone()).or_default();
        let (group, text, external_id) = match kind.as_str() {
            "assignment_group" => {
                let new = field(c_new);
                if emitted.insert(key.clone()) {
                    // The group before the first change held it since it opened.
                    let old = c_old.map(&field).filter(|o| !o.is_empty());
                    if let Some(old) = old {
                        if !opening(sink, &time, mapping, preset, line, &key, &old, raw) {
                            return Ok(());
                        }
                    }
                }
                if new.is_empty() {
                    state.group = None;
                    continue;
                }
                state.group = Some(new.clone());
                (new, None, format!("servicenow:{row_id}"))
            }
            "work_notes" | "comments" => {
                let Some(group) = state.group.clone() else {
                    continue;
                };
                (group, note(&field(c_new)), format!("servicenow:{row_id}"))
            }
            _ => continue,
        };
        if !interaction(
            sink,
            &time,
            mapping,
            preset,
            line,
            &key,
            &group,
            &when,
            text,
            external_id,
            raw,
        ) {
            return Ok(());
        }
    }
    // Incidents no row assigned: their group held them since they opened. (Rows are
    // read in the file's order: export sys_audit sorted by sys_created_on.)
    for (sys_id, incident) in &preset.incidents {
        if emitted.contains(sys_id) || incident.group.is_empty() {
            continue;
        }
        let raw = || format!("incident {}", incident.number);
        if !opening(
            sink,
            &time,
            mapping,
            preset,
            0,
            sys_id,
            &incident.group.clone(),
            raw,
        ) {
            return Ok(());
        }
    }
    Ok(())
}

/// The interaction of the group that held an incident from its opening.
#[allow(clippy::too_many_arguments)]
fn opening(
    sink: &mut Sink,
    time: &TimeParsing,
    mapping: &Mapping,
    preset: &Preset,
    line: u64,
    key: &str,
    group: &str,
    raw: impl FnOnce() -> String,
) -> bool {
    let Some(incident) = preset.incidents.get(key) else {
        // Without the incident export its opening is unknown: nothing to record.
        return true;
    };
    let created = incident.created.clone();
    interaction(
        sink,
        time,
        mapping,
        preset,
        line,
        key,
        group,
        &created,
        None,
        format!("servicenow:{key}:opened"),
        raw,
    )
}

#[allow(clippy::too_many_arguments)]
fn interaction(
    sink: &mut Sink,
    time: &TimeParsing,
    mapping: &Mapping,
    preset: &Preset,
    line: u64,
    key: &str,
    group: &str,
    when: &str,
    text: Option<String>,
    external_id: String,
    raw: impl FnOnce() -> String,
) -> bool {
    let incident = preset.incidents.get(key);
    let case_ref = incident
        .map(|i| i.number.clone())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| key.to_owned());
    let contact = incident
        .map(|i| i.contact_type.clone())
        .filter(|c| !c.is_empty());
    let touchpoint = contact.as_deref().map(touchpoint_name);
    let function = match preset.group(group, mapping.door) {
        Ok(function) => function,
        Err(reason) => return sink.reject(line, "function", reason, raw),
    };
    emit(
        sink,
        time,
        line,
        &[
            ("external_id", Some(external_id)),
            ("case_ref", Some(case_ref)),
            ("occurred_at", Some(when.to_owned())),
            ("function", Some(function)),
            ("touchpoint", touchpoint),
            ("channel", contact),
            ("note", text),
        ],
        raw,
    )
}

/// A contact type as a touchpoint's name: `self-service` → `Self-service`.
fn touchpoint_name(contact: &str) -> String {
    let words = contact.trim().replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
