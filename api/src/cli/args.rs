//! The command line's arguments, as clap reads them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::server::auth::AccessRole;

/// What every command that opens the database reads.
pub(super) const DATABASE_VARIABLES: &str =
    "Reads SILOSCOPE_DATABASE_URL (default sqlite://siloscope.db?mode=rwc), \
SILOSCOPE_DB_MAX_CONNECTIONS, SILOSCOPE_LOG and SILOSCOPE_LOG_FORMAT.";

#[derive(Parser, Debug)]
#[command(
    name = "siloscope",
    version,
    about = "Maps who owns every customer touchpoint and detects silo handoffs.",
    after_help = "Configuration comes from SILOSCOPE_* environment variables; each command's \
--help names the ones it reads, and the README's configuration table lists them all."
)]
pub struct Cli {
    #[command(subcommand)]
    pub(super) command: Command,
}

#[derive(Subcommand, Debug)]
pub(super) enum Command {
    /// Serve the GraphQL API, migrating the database first.
    #[command(
        after_help = "Reads every SILOSCOPE_* variable of the README's configuration \
table: SILOSCOPE_DATABASE_URL, SILOSCOPE_LISTEN, SILOSCOPE_JWT_* (HS256 needs \
SILOSCOPE_JWT_SECRET), SILOSCOPE_MAX_*, SILOSCOPE_REQUEST_TIMEOUT_SECONDS, SILOSCOPE_LOG…"
    )]
    Serve,
    /// Apply pending database migrations and exit.
    #[command(after_help = DATABASE_VARIABLES)]
    Migrate,
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Load data from files into an organization.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Write an organization's data to files.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Mint a signed token for an organization of the configured database.
    #[command(
        after_help = "Reads SILOSCOPE_JWT_SECRET (the HS256 secret the server \
checks tokens with) and SILOSCOPE_DATABASE_URL (the organization must exist there; \
nothing is created)."
    )]
    Token {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Who the token is for (its `sub` claim).
        #[arg(long, default_value = "cli")]
        sub: String,
        /// Roles: VIEWER, EDITOR, INTEGRATION, ADMIN (repeatable).
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<AccessRole>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
    /// Register the GraphQL documents clients may send by id (trusted documents).
    Documents {
        #[command(subcommand)]
        command: DocumentsCommand,
    },
    /// Copy the SQLite database to a file, online, while siloscope serves.
    #[command(
        after_help = "Reads SILOSCOPE_DATABASE_URL. The copy (SQLite's VACUUM INTO) holds every transaction committed before it began, and is checked before the command succeeds. For PostgreSQL, the command says how to use pg_dump instead."
    )]
    Backup {
        /// The file to write; it must not exist.
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup in place as the SQLite database of SILOSCOPE_DATABASE_URL.
    #[command(
        after_help = "Reads SILOSCOPE_DATABASE_URL. The backup is checked first (SQLite's integrity check, migrations this version knows), then copied beside the database and renamed over it, and migrated. Stop every siloscope using the database first. For PostgreSQL, the command says how to use pg_restore instead."
    )]
    Restore {
        /// The backup file (from `siloscope backup`).
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing database.
        #[arg(long)]
        replace: bool,
    },
    /// Delete the interactions past each organization's retention period now, as
    /// every server does on its schedule.
    #[command(after_help = DATABASE_VARIABLES)]
    Retention,
    /// Print the GraphQL schema (SDL), or write it to a file.
    #[command(after_help = "Reads no configuration.")]
    ExportSchema {
        /// Write the schema to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Create a demo organization on a fresh SQLite file, serve it, and print the
    /// dashboard and GraphiQL links and a token for every role.
    #[command(
        after_help = "Reads SILOSCOPE_LISTEN (default 127.0.0.1:8080) and, when set, \
SILOSCOPE_JWT_SECRET; without it a random secret is made. The secret and the database \
go to an env file beside the SQLite file, so that `siloscope token` can mint more \
tokens for the demo. A second demo refuses to start while the first one runs."
    )]
    Demo {
        /// The SQLite file, recreated on every run.
        #[arg(long, default_value = "siloscope-demo.db")]
        file: PathBuf,
        /// Interactions to generate (roughly).
        #[arg(long, default_value_t = 8500)]
        interactions: usize,
    },
}

#[derive(Subcommand, Debug)]
pub(super) enum DocumentsCommand {
    /// Register each file's exact text as one document, and print its id
    /// (`sha256:<hex>`), which clients send as `documentId`.
    #[command(after_help = DATABASE_VARIABLES)]
    Add {
        /// GraphQL files (.graphql), each one document (operations and fragments).
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List the registered documents: id, then name.
    #[command(after_help = DATABASE_VARIABLES)]
    List,
    /// Remove a registered document by its id.
    #[command(after_help = DATABASE_VARIABLES)]
    Remove {
        /// The document's id (`sha256:<hex>`).
        id: String,
    },
}

/// How a log's fields are found, for the help texts.
pub(super) const LOG_FIELDS: &str = "Fields (--map field=column): external_id, case_ref, occurred_at, \
function (a name) or function_external_id, touchpoint, note, customer_action_required. CSV \
columns are named like the fields by default; in XES the case is the trace's concept:name, \
the function org:group, the touchpoint the event's concept:name, the time time:timestamp, \
the externalId identity:id; in OCEL 2.0 JSON (import only) the case is the related \
object of --case-type, the touchpoint the event's type, the time its time, the externalId \
its id, other fields attributes of the event (the function org:group). Reads SILOSCOPE_DATABASE_URL, SILOSCOPE_DB_MAX_CONNECTIONS and \
SILOSCOPE_LOG.";

#[derive(Subcommand, Debug)]
pub(super) enum ImportCommand {
    /// Record an interaction log (CSV, XES or OCEL 2.0 JSON, gzip or not): all of it, or nothing when a
    /// row is bad (every bad row is reported with its line). Importing a file again
    /// records nothing new.
    #[command(after_help = LOG_FIELDS)]
    Interactions(Box<InteractionsImport>),
    /// Load what customers said (a CSV with the columns external_id, case_ref, kind,
    /// at, answered_at, score, channel, comment; gzip or not) about recorded cases,
    /// atomically: nothing is written when a row is bad. Importing it again records
    /// nothing new; a survey first imported as offered gets its answer.
    #[command(after_help = DATABASE_VARIABLES)]
    Feedback {
        /// The file (.csv, optionally .gz).
        file: PathBuf,
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Record the good rows even when some are bad (the bad ones are listed).
        #[arg(long)]
        skip_invalid: bool,
        /// Check every row and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Load an organization chart (org.json: functions, touchpoints, responsibilities
    /// by name) atomically: existing entries are matched by name and updated, missing
    /// ones created, nothing removed.
    #[command(after_help = DATABASE_VARIABLES)]
    Org {
        /// The org.json file.
        file: PathBuf,
        /// The organization's slug.
        #[arg(long)]
        org: String,
    },
}

#[derive(Subcommand, Debug)]
pub(super) enum ExportCommand {
    /// Write the interaction log as CSV (the import's columns) or XES (one trace per
    /// case, the function as org:group), for PM4Py, Disco or Celonis.
    #[command(after_help = LOG_FIELDS)]
    Interactions {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The format.
        #[arg(long, value_enum)]
        format: crate::logs::Format,
        /// Only interactions at or after this instant (RFC 3339 with an offset).
        #[arg(long)]
        from: Option<String>,
        /// Only interactions before this instant (RFC 3339 with an offset).
        #[arg(long)]
        to: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Write what customers said (surveys and complaints) as CSV, the columns `import
    /// feedback` reads.
    #[command(after_help = DATABASE_VARIABLES)]
    Feedback {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Only feedback offered or made at or after this instant (RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Only feedback offered or made before this instant (RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub(super) enum OrgCommand {
    /// Create an organization (migrating the database first).
    #[command(after_help = DATABASE_VARIABLES)]
    Create {
        /// The slug tokens name in their `org` claim: 1 to 64 of a-z, 0-9 and -.
        #[arg(long)]
        slug: String,
        /// The display name.
        #[arg(long)]
        name: String,
    },
    /// List the organizations of the configured database.
    #[command(after_help = DATABASE_VARIABLES)]
    List,
}

pub(super) fn parse_role(text: &str) -> Result<AccessRole, String> {
    match text.to_ascii_uppercase().as_str() {
        "VIEWER" => Ok(AccessRole::Viewer),
        "EDITOR" => Ok(AccessRole::Editor),
        "INTEGRATION" => Ok(AccessRole::Integration),
        "ADMIN" => Ok(AccessRole::Admin),
        _ => Err(format!(
            "`{text}` is not one of VIEWER, EDITOR, INTEGRATION, ADMIN"
        )),
    }
}

/// `import interactions`: the file and how to read it.
#[derive(clap::Args, Debug)]
pub(crate) struct InteractionsImport {
    /// The file (.csv, .xes, optionally .gz).
    pub(crate) file: PathBuf,
    /// The organization's slug.
    #[arg(long)]
    pub(crate) org: String,
    /// The format, when the file's name does not tell.
    #[arg(long, value_enum)]
    pub(crate) format: Option<crate::logs::Format>,
    /// Read a field from another column or attribute: field=column (repeatable).
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    pub(crate) map: Vec<String>,
    /// OCEL: the object type whose objects are the cases (e.g. ticket).
    #[arg(long)]
    pub(crate) case_type: Option<String>,
    /// Record the good rows even when some are bad; the bad ones go to a reject file.
    #[arg(long)]
    pub(crate) skip_invalid: bool,
    /// Check every row and report, but write nothing.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Where to write the rejected rows (line, column, reason) [default with
    /// --skip-invalid: FILE.rejects.csv].
    #[arg(long)]
    pub(crate) reject_file: Option<PathBuf>,
    /// Create the functions and touchpoints the log names that do not exist yet
    /// (a touchpoint's channel from the channel field, else OTHER).
    #[arg(long)]
    pub(crate) create_missing: bool,
    /// The zone of timestamps without an offset: an IANA name (Europe/Berlin) or
    /// `org` for the organization's.
    #[arg(long, value_name = "ZONE")]
    pub(crate) time_zone: Option<String>,
    /// The layout of the timestamps, strftime as in `%d/%m/%Y %H:%M`.
    #[arg(long, value_name = "LAYOUT")]
    pub(crate) time_format: Option<String>,
    /// Zendesk, ServiceNow: the groups export that names the group ids (Zendesk's
    /// groups JSON, ServiceNow's sys_user_group CSV).
    #[arg(long, value_name = "FILE")]
    pub(crate) groups: Option<PathBuf>,
    /// Zendesk, ServiceNow: a group's name by id (repeatable).
    #[arg(long = "map-group", value_name = "ID=NAME")]
    pub(crate) map_group: Vec<String>,
    /// Jira: the field whose changes are the team's, by id or name [default:
    /// customfield_10001, or a field named Team].
    #[arg(long, value_name = "FIELD")]
    pub(crate) group_field: Option<String>,
    /// ServiceNow: the incident export (numbers, channels, opening groups).
    #[arg(long, value_name = "FILE")]
    pub(crate) incidents: Option<PathBuf>,
}
