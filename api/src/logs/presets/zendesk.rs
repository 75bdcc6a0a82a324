//! Zendesk's incremental ticket event export (`GET
//! /api/v2/incremental/ticket_events?include=comment_events`), a page as JSON or the
//! pages one after another (NDJSON). Each ticket event carries `child_events`:
//!
//! - a `group_id` set or changed (the audit form, `field_name: group_id` with `value`,
//!   or the export's own form, a `group_id` key) is the group taking the ticket: an
//!   interaction by that group;
//! - a comment is an interaction by the ticket's group at that moment, its body the
//!   note (a comment before the ticket has any group is the requester's: skipped);
//! - `via.channel` (an object's `channel`, or the older display string) is the
//!   touchpoint: `Email`, `Web`, `Chat`, `Voice`, `Social` or `Mobile`; triggers,
//!   the API and other ways in have none.
//!
//! The instant is the event's `created_at`, else its `timestamp`; the externalId
//! `zendesk:` and the child event's id, so a page read twice records nothing new.

use std::collections::HashMap;
use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;
use service::log::import::Rejection;

use super::{emit, id_text, malformed, note, stream_json};
use crate::logs::bounded::{ReadLimits, Tripped};
use crate::logs::rows::Sink;
use crate::logs::Mapping;

#[derive(Deserialize)]
struct TicketEvent {
    #[serde(default)]
    id: Value,
    ticket_id: Value,
    #[serde(default)]
    timestamp: Option<i64>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    via: Value,
    #[serde(default)]
    child_events: Vec<serde_json::Map<String, Value>>,
}

/// The touchpoint of a `via`: the channel's bucket, for the ways customers come in.
fn touchpoint(via: &Value) -> Option<(&'static str, &'static str)> {
    let channel = match via {
        Value::Object(object) => match object.get("channel") {
            Some(Value::String(s)) => s.to_ascii_lowercase(),
            Some(Value::Number(n)) => n.to_string(),
            _ => return None,
        },
        Value::String(s) => s.to_ascii_lowercase(),
        _ => return None,
    };
    Some(match channel.as_str() {
        "mail" | "email" | "4" => ("Email", "email"),
        "web" | "web_form" | "web form" | "0" | "dropbox" | "17" | "closed_ticket" | "27" => {
            ("Web", "web")
        }
        "chat" | "29" | "messaging" | "native_messaging" => ("Chat", "chat"),
        "voice"
        | "voicemail"
        | "33"
        | "phone_call_inbound"
        | "34"
        | "phone_call_outbound"
        | "35"
        | "phone call (incoming)"
        | "phone call (outgoing)" => ("Voice", "voice"),
        "twitter" | "30" | "facebook" | "facebook_post" | "38" | "facebook_message" | "41" => {
            ("Social", "social")
        }
        "mobile" | "mobile_sdk" => ("Mobile", "mobile"),
        _ => return None,
    })
}

/// The group a child event gives the ticket: `Some(Some(id))` set, `Some(None)`
/// cleared, `None` not a group change.
fn group_change(child: &serde_json::Map<String, Value>) -> Option<Option<String>> {
    let value = if child.get("field_name").and_then(Value::as_str) == Some("group_id") {
        child.get("value")?
    } else {
        child.get("group_id")?
    };
    let id = match value {
        Value::Null => None,
        other => Some(id_text(other)).filter(|s| !s.is_empty() && s != "null"),
    };
    Some(id)
}

fn is_comment(child: &serde_json::Map<String, Value>) -> bool {
    ["event_type", "type"]
        .iter()
        .any(|k| child.get(*k).and_then(Value::as_str) == Some("Comment"))
}

pub(in crate::logs) fn read(
    source: Box<dyn BufRead + Send>,
    mapping: &Mapping,
    limits: ReadLimits,
    tripped: &Tripped,
    sink: &mut Sink,
) -> Result<(), Rejection> {
    let preset = &mapping.preset;
    // Each ticket's group now: one small entry per ticket.
    let mut groups: HashMap<String, String> = HashMap::new();
    let mut held = super::Held::default();
    let mut overheld = None;
    let mut number = 0u64;
    let mut each = |event: TicketEvent| -> bool {
        let ticket = id_text(&event.ticket_id);
        let at = event.created_at.clone().or_else(|| {
            event
                .timestamp
                .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        });
        // Group changes first: a comment in the same update is the new group's.
        let mut order: Vec<&serde_json::Map<String, Value>> = event.child_events.iter().collect();
        order.sort_by_key(|child| is_comment(child));
        for child in order {
            let via = child.get("via").unwrap_or(&event.via);
            let (touchpoint, channel) = match touchpoint(via) {
                Some((name, channel)) => (Some(name.to_owned()), Some(channel.to_owned())),
                None => (None, None),
            };
            let child_id = child
                .get("id")
                .map(id_text)
                .unwrap_or_else(|| id_text(&event.id));
            let (group, text) = if let Some(change) = group_change(child) {
                match change {
                    Some(id) => {
                        let len = ticket.len() + id.len();
                        if groups.insert(ticket.clone(), id.clone()).is_none() {
                            if let Err(reason) = held.add(len, limits, "the tickets' groups") {
                                overheld = Some(reason);
                                return false;
                            }
                        }
                        (id, None)
                    }
                    None => {
                        groups.remove(&ticket);
                        continue;
                    }
                }
            } else if is_comment(child) {
                let Some(id) = groups.get(&ticket) else {
                    continue;
                };
                let body = child
                    .get("body")
                    .and_then(Value::as_str)
                    .unwrap_or_default();
                (id.clone(), note(body))
            } else {
                continue;
            };
            number += 1;
            let function = preset.group(&group, mapping.door);
            let raw = || format!("ticket {ticket}, event {child_id}");
            let going_on = match function {
                Ok(function) => emit(
                    sink,
                    &mapping.time,
                    number,
                    &[
                        ("external_id", Some(format!("zendesk:{child_id}"))),
                        ("case_ref", Some(ticket.clone())),
                        ("occurred_at", at.clone()),
                        ("function", Some(function)),
                        ("touchpoint", touchpoint),
                        ("channel", channel),
                        ("note", text),
                    ],
                    raw,
                ),
                Err(reason) => sink.reject(number, "function", reason, raw),
            };
            if !going_on {
                return false;
            }
        }
        true
    };
    stream_json(source, limits, tripped, &["ticket_events"], &mut each)
        .map_err(|error| malformed("Zendesk ticket events", number, error))?;
    match overheld {
        Some(reason) => Err(Rejection::new(number, "", reason)),
        None => Ok(()),
    }
}
