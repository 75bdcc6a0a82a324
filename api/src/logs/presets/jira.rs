//! Jira's issue changelog: issues with `expand=changelog` (`{"issues": [{key, fields,
//! changelog: {histories}}]}`, `histories` or `values`), or the bulk changelog fetch
//! (`{"issueChangeLogs": [{issueId, changeHistories}]}`). The team is a field: by
//! default Atlassian's Team field (`customfield_10001`, or any field named `Team`),
//! else the one `--group-field` names by id or name.
//!
//! - Each change of the team field to a team is an interaction by that team, at the
//!   history's `created` (with its offset), externalId `jira:KEY:HISTORY:ITEM`.
//! - The team an issue had before its first change (the first change's `from`), or
//!   the team it still has when it never changed (`fields`), handled it from
//!   `fields.created` (externalId `jira:KEY:created`).
//! - Clearing the team records nothing.

use std::io::BufRead;

use serde::Deserialize;
use serde_json::Value;
use service::log::import::Rejection;

use super::{emit, malformed, stream_json};
use crate::logs::bounded::{ReadLimits, Tripped};
use crate::logs::rows::Sink;
use crate::logs::Mapping;

/// Atlassian's Team field on most Cloud sites.
const DEFAULT_FIELD: &str = "customfield_10001";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Issue {
    #[serde(default)]
    key: Option<String>,
    #[serde(default)]
    id: Option<Value>,
    #[serde(default)]
    issue_id: Option<Value>,
    #[serde(default)]
    fields: serde_json::Map<String, Value>,
    #[serde(default)]
    changelog: Option<Changelog>,
    #[serde(default)]
    change_histories: Vec<History>,
}

#[derive(Deserialize, Default)]
struct Changelog {
    #[serde(default, alias = "values")]
    histories: Vec<History>,
}

#[derive(Deserialize)]
struct History {
    #[serde(default)]
    id: Value,
    created: Value,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    field: Option<String>,
    #[serde(default)]
    field_id: Option<String>,
    #[serde(default)]
    from_string: Option<String>,
    #[serde(default)]
    to_string: Option<String>,
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A team field's value as a name: `{name}`, `{value}`, or a string.
fn team_name(value: &Value) -> Option<String> {
    let name = match value {
        Value::Object(object) => object
            .get("name")
            .or_else(|| object.get("value"))
            .or_else(|| object.get("title"))
            .map(text)?,
        Value::String(s) => s.clone(),
        _ => return None,
    };
    Some(name).filter(|n| !n.trim().is_empty())
}

pub(in crate::logs) fn read(
    source: Box<dyn BufRead + Send>,
    mapping: &Mapping,
    limits: ReadLimits,
    tripped: &Tripped,
    sink: &mut Sink,
) -> Result<(), Rejection> {
    let wanted = mapping
        .preset
        .group_field
        .clone()
        .unwrap_or_else(|| DEFAULT_FIELD.to_owned());
    let is_team = |item: &Item| {
        item.field_id.as_deref() == Some(wanted.as_str())
            || item.field.as_deref().is_some_and(|f| {
                f.eq_ignore_ascii_case(&wanted)
                    || (wanted == DEFAULT_FIELD && f.eq_ignore_ascii_case("team"))
            })
    };
    let mut number = 0u64;
    let mut each = |issue: Issue| -> bool {
        let key = issue
            .key
            .clone()
            .or_else(|| issue.issue_id.as_ref().map(text))
            .or_else(|| issue.id.as_ref().map(text))
            .unwrap_or_default();
        let created = issue.fields.get("created").map(text);
        let mut histories = issue.changelog.map(|c| c.histories).unwrap_or_default();
        histories.extend(issue.change_histories);
        // Oldest first (a search may list them newest first); offsets differ, so by
        // instant.
        histories
            .sort_by_cached_key(|h| mapping.time.instant(&text(&h.created)).unwrap_or_default());
        let mut rows: Vec<(String, Option<String>, String)> = Vec::new();
        let mut first = true;
        for history in &histories {
            for (index, item) in history.items.iter().enumerate() {
                if !is_team(item) {
                    continue;
                }
                if first {
                    first = false;
                    if let Some(before) = item.from_string.clone().filter(|s| !s.trim().is_empty())
                    {
                        rows.push((format!("jira:{key}:created"), created.clone(), before));
                    }
                }
                if let Some(team) = item.to_string.clone().filter(|s| !s.trim().is_empty()) {
                    let id = format!("jira:{key}:{}:{index}", text(&history.id));
                    rows.push((id, Some(text(&history.created)), team));
                }
            }
        }
        if first {
            // Never changed: the team it has handled it from its creation.
            if let Some(team) = issue.fields.get(&wanted).and_then(team_name) {
                rows.push((format!("jira:{key}:created"), created.clone(), team));
            }
        }
        for (external_id, at, team) in rows {
            number += 1;
            let raw = || format!("issue {key}, {external_id}");
            let fields = [
                ("external_id", Some(external_id.clone())),
                ("case_ref", Some(key.clone())),
                ("occurred_at", at),
                ("function", Some(team)),
            ];
            if !emit(sink, &mapping.time, number, &fields, raw) {
                return false;
            }
        }
        true
    };
    stream_json(
        source,
        limits,
        tripped,
        &["issues", "issueChangeLogs"],
        &mut each,
    )
    .map_err(|error| malformed("Jira changelog", number, error))
}
