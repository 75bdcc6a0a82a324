//! Interaction logs as files: reading CSV and XES (gzip or not) into the chunks
//! `service::log::import` records, and writing the log back out as CSV or XES. Shared by
//! the command line (`siloscope import`/`export`) and the HTTP doors
//! (`/import/interactions`, `/export/interactions`); the formats are wire formats, so
//! they live with the doors, and the rules of what is recorded stay in the service.

pub mod bounded;
pub mod chart_file;
pub mod commands;
pub mod feedback;
pub mod http;
mod ocel;
pub mod presets;
pub mod read;
mod rows;
pub mod time;
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
    /// Zendesk's incremental ticket event export (import only).
    ZendeskEvents,
    /// Jira's issues with their changelog (import only).
    JiraChangelog,
    /// ServiceNow's sys_audit CSV export (import only).
    ServicenowAudit,
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
            Format::Ocel | Format::ZendeskEvents | Format::JiraChangelog => "application/json",
            Format::ServicenowAudit => "text/csv; charset=utf-8",
        }
    }

    /// What a position in the file counts: CSV lines, XES and OCEL events.
    pub fn unit(self) -> &'static str {
        match self {
            Format::Csv | Format::ServicenowAudit => "line",
            Format::Xes | Format::Ocel => "event",
            Format::ZendeskEvents | Format::JiraChangelog => "change",
        }
    }

    /// Whether it is a ticketing system's export, read by a preset (fields fixed).
    pub fn is_preset(self) -> bool {
        matches!(
            self,
            Format::ZendeskEvents | Format::JiraChangelog | Format::ServicenowAudit
        )
    }

    /// The parameter value naming it.
    pub fn parse(text: &str) -> Option<Format> {
        match text.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "xes" => Some(Format::Xes),
            "ocel" => Some(Format::Ocel),
            "zendesk-events" | "zendesk_events" => Some(Format::ZendeskEvents),
            "jira-changelog" | "jira_changelog" => Some(Format::JiraChangelog),
            "servicenow-audit" | "servicenow_audit" => Some(Format::ServicenowAudit),
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

/// Fields a log may carry that the export does not write.
pub const IMPORT_FIELDS: &[(&str, &str)] = &[(
    "channel",
    "the touchpoint's channel, for one --create-missing creates (phone, email, chat, web…)",
)];

/// Every field an import reads.
pub fn import_fields() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
    FIELDS.iter().chain(IMPORT_FIELDS)
}

/// XES attribute keys read and written for each field (the function is the
/// `org:group`, the touchpoint the event's `concept:name`, the case the trace's).
pub const XES_KEYS: &[(&str, &str)] = &[
    ("external_id", "identity:id"),
    ("occurred_at", "time:timestamp"),
    ("function", "org:group"),
    ("function_external_id", "siloscope:functionExternalId"),
    ("touchpoint", "concept:name"),
    ("channel", "siloscope:channel"),
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
    ("channel", "channel"),
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
    /// How its timestamps are read.
    pub time: time::TimeParsing,
    /// What a ticketing preset needs besides the log.
    pub preset: presets::Preset,
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
        if format.is_preset() && !pairs.is_empty() {
            anyhow::bail!(
                "{}: a ticketing preset reads its export's own fields, so it takes no --map",
                door.option("map", &pairs[0])
            );
        }
        let mut map: HashMap<String, String> = match format {
            Format::Csv => import_fields()
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
            _ => HashMap::new(),
        };
        for pair in pairs {
            let given = door.option("map", pair);
            let Some((field, column)) = pair.split_once('=') else {
                anyhow::bail!("{given}: expected field=column");
            };
            let field = field.trim();
            if !import_fields().any(|(f, _)| *f == field) {
                anyhow::bail!(
                    "{given}: no field `{field}`; the fields are {}",
                    import_fields()
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
            time: time::TimeParsing {
                door: Some(door),
                ..time::TimeParsing::default()
            },
            preset: presets::Preset::default(),
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

/// The options of an import besides its format and mapping, named alike by the
/// command line (`--time-zone`) and HTTP (`time_zone` or `timeZone`).
#[derive(Clone, Debug, Default)]
pub struct ImportSettings {
    /// The zone of timestamps without an offset: an IANA name, or `org`.
    pub time_zone: Option<String>,
    /// The layout of the timestamps (strftime).
    pub time_format: Option<String>,
    /// Group names by id (`ID=NAME`), for the ticketing presets.
    pub map_group: Vec<String>,
    /// Jira: the field that holds the team.
    pub group_field: Option<String>,
    /// The groups export's bytes (Zendesk's groups JSON, ServiceNow's sys_user_group).
    pub groups: Option<Vec<u8>>,
    /// ServiceNow's incident export's bytes.
    pub incidents: Option<Vec<u8>>,
}

impl ImportSettings {
    /// Applies the settings to `mapping` for `format`; `organization_zone` is what
    /// `org` names. The error names the option at fault.
    pub fn apply(
        self,
        mapping: &mut Mapping,
        format: Format,
        organization_zone: &str,
        limits: bounded::ReadLimits,
    ) -> Result<(), String> {
        let door = mapping.door;
        if let Some(zone) = &self.time_zone {
            mapping.time.zone = Some(
                time::TimeParsing::zone(zone, organization_zone)
                    .map_err(|e| format!("{}: {e}", door.option("time-zone", zone)))?,
            );
        }
        if let Some(layout) = &self.time_format {
            time::TimeParsing::check_format(layout)
                .map_err(|e| format!("{}: {e}", door.option("time-format", layout)))?;
            mapping.time.format = Some(layout.clone());
        }
        let preset_only = [
            ("map-group", !self.map_group.is_empty()),
            ("group-field", self.group_field.is_some()),
            ("groups", self.groups.is_some()),
            ("incidents", self.incidents.is_some()),
        ];
        if let Some((name, _)) = preset_only.iter().find(|(_, given)| *given) {
            let fits = match *name {
                "group-field" => format == Format::JiraChangelog,
                "incidents" => format == Format::ServicenowAudit,
                _ => matches!(format, Format::ZendeskEvents | Format::ServicenowAudit),
            };
            if !fits {
                return Err(format!(
                    "{} does not apply to the {format:?} format",
                    door.option(name, "…")
                ));
            }
        }
        let preset = &mut mapping.preset;
        if let Some(bytes) = &self.groups {
            preset
                .read_groups(bytes, limits)
                .map_err(|e| format!("{}: {e}", door.option("groups", "FILE")))?;
        }
        preset.map_groups(&self.map_group, door)?;
        if let Some(bytes) = &self.incidents {
            preset
                .read_incidents(bytes, limits)
                .map_err(|e| format!("{}: {e}", door.option("incidents", "FILE")))?;
        }
        preset.group_field = self.group_field;
        Ok(())
    }
}
