//! Interaction logs as files: reading CSV and XES (gzip or not) into the chunks
//! `service::log::import` records, and writing the log back out as CSV or XES. Shared by
//! the command line (`siloscope import`/`export`) and the HTTP doors
//! (`/import/interactions`, `/export/interactions`); the formats are wire formats, so
//! they live with the doors, and the rules of what is recorded stay in the service.

pub mod bounded;
pub mod chart_file;
pub mod commands;
pub mod http;
mod ocel;
pub mod read;
mod rows;
pub mod write;

use std::collections::HashMap;

/// A log file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// IEEE 1849 eXtensible Event Stream.
    Xes,
    /// OCEL 2.0 JSON (import only): events related to objects of the case type.
    Ocel,
}

impl Format {
    /// The format a file name or a media type suggests.
    pub fn guess(name: &str) -> Option<Format> {
        let name = name.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".csv") || name.contains("text/csv") {
            Some(Format::Csv)
        } else if name.ends_with(".xes") || name.contains("xes") || name.contains("xml") {
            Some(Format::Xes)
        } else if name.ends_with(".jsonocel") || name.ends_with(".json") || name.contains("json") {
            Some(Format::Ocel)
        } else {
            None
        }
    }

    /// The media type of an export.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xes => "application/xml; charset=utf-8",
            Format::Ocel => "application/json",
        }
    }

    /// What a position in the file counts: CSV lines, XES and OCEL events.
    pub fn unit(self) -> &'static str {
        match self {
            Format::Csv => "line",
            Format::Xes | Format::Ocel => "event",
        }
    }

    /// The parameter value naming it.
    pub fn parse(text: &str) -> Option<Format> {
        match text.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xes" => Some(Format::Xes),
            "ocel" => Some(Format::Ocel),
            _ => None,
        }
    }
}

/// The fields of an interaction a log can carry, by the names `--map` uses; the CSV
/// defaults are the test fixture's columns.
pub const FIELDS: &[(&str, &str)] = &[
    ("external_id", "the source system's id of the event"),
    ("case_ref", "the case (ticket) reference"),
    ("occurred_at", "RFC 3339 with an offset"),
    ("function", "the function's name"),
    (
        "function_external_id",
        "the function's HR id (instead of its name)",
    ),
    ("touchpoint", "the touchpoint's name"),
    ("note", "free text"),
    (
        "customer_action_required",
        "true/false, yes/no, 1/0 or empty",
    ),
];

/// XES attribute keys read and written for each field (the function is the
/// `org:group`, the touchpoint the event's `concept:name`, the case the trace's).
pub const XES_KEYS: &[(&str, &str)] = &[
    ("external_id", "identity:id"),
    ("occurred_at", "time:timestamp"),
    ("function", "org:group"),
    ("function_external_id", "siloscope:functionExternalId"),
    ("touchpoint", "concept:name"),
    ("note", "siloscope:note"),
    (
        "customer_action_required",
        "siloscope:customerActionRequired",
    ),
];

/// OCEL 2.0 sources of each field: the event's `id`, `time` and `type`, or an
/// attribute of the event by name. The case is the related object of the case type.
pub const OCEL_KEYS: &[(&str, &str)] = &[
    ("external_id", "id"),
    ("occurred_at", "time"),
    ("function", "org:group"),
    ("function_external_id", "function_external_id"),
    ("touchpoint", "type"),
    ("note", "note"),
    ("customer_action_required", "customer_action_required"),
];

/// The door a file comes through: its messages use that door's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Door {
    /// `siloscope import`: options like `--map`.
    CommandLine,
    /// `POST /import/interactions`: query parameters like `map=`.
    Http,
}

impl Door {
    /// How this door names the option `name` (as the command line spells it) set to
    /// `value`.
    pub fn option(self, name: &str, value: &str) -> String {
        match self {
            Door::CommandLine => format!("--{name} {value}"),
            Door::Http => format!("the query parameter {}={value}", name.replace('-', "_")),
        }
    }
}

/// Where each field is found: the defaults, changed by `field=column` pairs.
#[derive(Clone, Debug)]
pub struct Mapping {
    columns: HashMap<String, String>,
    /// OCEL: the object type whose objects are the cases.
    pub case_type: Option<String>,
    /// The door the file comes through.
    pub door: Door,
}

impl Mapping {
    /// The defaults for `format`, with `pairs` (`field=column`) applied.
    pub fn new(
        format: Format,
        pairs: &[String],
        case_type: Option<String>,
        door: Door,
    ) -> anyhow::Result<Mapping> {
        if format == Format::Ocel && case_type.is_none() {
            anyhow::bail!(
                "an OCEL log needs its case type: the object type whose objects are the cases ({})",
                door.option("case-type", "TYPE")
            );
        }
        let mut map: HashMap<String, String> = match format {
            Format::Csv => FIELDS
                .iter()
                .map(|(f, _)| (f.to_string(), f.to_string()))
                .collect(),
            Format::Xes => XES_KEYS
                .iter()
                .map(|(f, k)| (f.to_string(), k.to_string()))
                .collect(),
            Format::Ocel => OCEL_KEYS
                .iter()
                .map(|(f, k)| (f.to_string(), k.to_string()))
                .collect(),
        };
        for pair in pairs {
            let given = door.option("map", pair);
            let Some((field, column)) = pair.split_once('=') else {
                anyhow::bail!("{given}: expected field=column");
            };
            let field = field.trim();
            if !FIELDS.iter().any(|(f, _)| *f == field) {
                anyhow::bail!(
                    "{given}: no field `{field}`; the fields are {}",
                    FIELDS
                        .iter()
                        .map(|(f, _)| *f)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if field == "case_ref" && format != Format::Csv {
                anyhow::bail!(
                    "{given}: in XES the case is the trace's concept:name, in OCEL the related object of the case type"
                );
            }
            map.insert(field.to_owned(), column.trim().to_owned());
        }
        Ok(Mapping {
            columns: map,
            case_type,
            door,
        })
    }

    /// How to name another column for `field`, in the door's words.
    pub fn map_hint(&self, field: &str) -> String {
        self.door.option("map", &format!("{field}=COLUMN"))
    }

    /// Where `field` is read from.
    pub fn column<'a>(&'a self, field: &'a str) -> &'a str {
        self.columns.get(field).map(String::as_str).unwrap_or(field)
    }
}
