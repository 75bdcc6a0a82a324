//! OCEL 2.0 JSON, read as a stream: the objects of the case type are remembered (their
//! ids only), and each event related to one of them becomes an interaction of that
//! case, numbered by its place in `events`. An event related to several cases becomes
//! one interaction per case (externalId `event:case`); one related to none is refused.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io::BufRead;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use service::log::import::Rejection;

use super::bounded::{JsonTokens, ReadLimits, Tripped};
use super::rows::{interaction, whole_file, Sink};
use super::Mapping;

#[derive(Deserialize)]
struct Object {
    id: String,
    #[serde(rename = "type")]
    kind: String,
}

#[derive(Deserialize)]
struct Attribute {
    name: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct Relationship {
    #[serde(rename = "objectId")]
    object_id: String,
}

#[derive(Deserialize)]
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    time: String,
    #[serde(default)]
    attributes: Vec<Attribute>,
    #[serde(default)]
    relationships: Vec<Relationship>,
}

/// What the stream has seen so far.
struct State<'a> {
    mapping: &'a Mapping,
    case_type: String,
    sink: &'a mut Sink,
    cases: HashSet<String>,
    objects_seen: bool,
    /// Events met before `objects` (held until the objects are known).
    early: Vec<(u64, Event)>,
    events: u64,
    stopped: bool,
    limits: ReadLimits,
    /// Bytes held: the case ids and the early events.
    held: usize,
    /// The limit the held bytes ran into.
    overheld: Option<String>,
}

impl State<'_> {
    /// Counts `bytes` more held; false (and the reason kept) past the limit.
    fn hold(&mut self, bytes: usize, what: &str) -> bool {
        self.held += bytes;
        if self.held > self.limits.max_held_bytes {
            self.overheld = Some(format!(
                "{what} hold more than {} bytes (SILOSCOPE_IMPORT_MAX_HELD_BYTES)",
                self.limits.max_held_bytes
            ));
            return false;
        }
        true
    }
}

/// What an event held costs, roughly.
fn event_bytes(event: &Event) -> usize {
    event.id.len()
        + event.kind.len()
        + event.time.len()
        + event
            .attributes
            .iter()
            .map(|a| a.name.len() + a.value.to_string().len() + 32)
            .sum::<usize>()
        + event
            .relationships
            .iter()
            .map(|r| r.object_id.len() + 24)
            .sum::<usize>()
        + 64
}

impl State<'_> {
    fn event(&mut self, number: u64, event: Event) -> bool {
        let attributes: HashMap<&str, String> = event
            .attributes
            .iter()
            .map(|a| {
                let text = match &a.value {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (a.name.as_str(), text)
            })
            .collect();
        let mut cases: Vec<&str> = event
            .relationships
            .iter()
            .map(|r| r.object_id.as_str())
            .filter(|id| self.cases.contains(*id))
            .collect();
        cases.sort_unstable();
        cases.dedup();
        if cases.is_empty() {
            return self.sink.reject(
                number,
                "case_ref",
                format!(
                    "event `{}` relates to no object of type `{}`",
                    event.id, self.case_type
                ),
                || event.id.clone(),
            );
        }
        let several = cases.len() > 1;
        for case in cases {
            let get = |field: &str| -> Option<String> {
                let value = match (field, self.mapping.column(field)) {
                    ("case_ref", _) => case.to_owned(),
                    ("external_id", "id") if several => format!("{}:{case}", event.id),
                    (_, "id") => event.id.clone(),
                    (_, "time") => event.time.clone(),
                    (_, "type") => event.kind.clone(),
                    (_, name) => attributes.get(name)?.clone(),
                };
                let value = value.trim().to_owned();
                (!value.is_empty()).then_some(value)
            };
            let raw = || event.id.clone();
            let going_on = match interaction(get, &self.mapping.time) {
                Ok(input) => self.sink.row(number, input, raw),
                Err((field, reason)) => self.sink.reject(number, field, reason, raw),
            };
            if !going_on {
                return false;
            }
        }
        true
    }
}

struct Document<'s, 'a>(&'s mut State<'a>);
struct Objects<'s, 'a>(&'s mut State<'a>);
struct Events<'s, 'a>(&'s mut State<'a>);

impl<'de> DeserializeSeed<'de> for Document<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Document<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an OCEL 2.0 JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "objects" => map.next_value_seed(Objects(self.0))?,
                "events" => map.next_value_seed(Events(self.0))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            if self.0.stopped {
                return Ok(());
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Objects<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Objects<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of objects")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(object) = seq.next_element::<Object>()? {
            if object.kind == state.case_type {
                if !state.hold(object.id.len() + 48, "the case objects") {
                    state.stopped = true;
                    return Ok(());
                }
                state.cases.insert(object.id);
            }
        }
        state.objects_seen = true;
        for (number, event) in std::mem::take(&mut state.early) {
            if !state.event(number, event) {
                state.stopped = true;
                break;
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Events<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Events<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of events")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let state = self.0;
        while let Some(event) = seq.next_element::<Event>()? {
            state.events += 1;
            let number = state.events;
            if !state.objects_seen {
                if !state.hold(event_bytes(&event), "the events before the objects") {
                    state.stopped = true;
                    while seq.next_element::<IgnoredAny>()?.is_some() {}
                    return Ok(());
                }
                state.early.push((number, event));
            } else if !state.event(number, event) {
                state.stopped = true;
                // The rest of the list is skipped unread: the import has ended.
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(());
            }
        }
        Ok(())
    }
}

/// Reads an OCEL 2.0 JSON log into `sink`, within `limits` (every string and value,
/// the nesting, and what is held before events can be handed over).
pub(super) fn read(
    source: Box<dyn BufRead + Send>,
    mapping: &Mapping,
    limits: ReadLimits,
    tripped: &Tripped,
    sink: &mut Sink,
) -> Result<(), Rejection> {
    let Some(case_type) = mapping.case_type.clone() else {
        return Err(whole_file("an OCEL log needs its case type".into()));
    };
    let mut state = State {
        mapping,
        case_type,
        sink,
        cases: HashSet::new(),
        objects_seen: false,
        early: Vec::new(),
        events: 0,
        stopped: false,
        limits,
        held: 0,
        overheld: None,
    };
    let guarded = JsonTokens::new(source, limits, tripped);
    let mut deserializer = serde_json::Deserializer::from_reader(guarded);
    let parsed = Document(&mut state).deserialize(&mut deserializer);
    if let Some(reason) = state.overheld.take() {
        return Err(Rejection::new(state.events, "", reason));
    }
    if let Err(error) = parsed {
        return Err(Rejection::new(
            state.events,
            "",
            format!("malformed OCEL JSON after event {}: {error}", state.events),
        ));
    }
    if !state.objects_seen && !state.early.is_empty() {
        // No `objects` list at all: no event can name its case.
        for (number, event) in std::mem::take(&mut state.early) {
            if !state.event(number, event) {
                break;
            }
        }
    }
    Ok(())
}
