//! The command line.

use service::db::{Db, OwnerWork};
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use service::WriteError;

use crate::auth::{AccessRole, TokenKeys};
use crate::config::Settings;
use crate::startup::Application;

/// What every command that opens the database reads.
const DATABASE_VARIABLES: &str =
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
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
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
enum DocumentsCommand {
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
const LOG_FIELDS: &str = "Fields (--map field=column): external_id, case_ref, occurred_at, \
function (a name) or function_external_id, touchpoint, note, customer_action_required. CSV \
columns are named like the fields by default; in XES the case is the trace's concept:name, \
the function org:group, the touchpoint the event's concept:name, the time time:timestamp, \
the externalId identity:id; in OCEL 2.0 JSON (import only) the case is the related \
object of --case-type, the touchpoint the event's type, the time its time, the externalId \
its id, other fields attributes of the event (the function org:group). Reads SILOSCOPE_DATABASE_URL, SILOSCOPE_DB_MAX_CONNECTIONS and \
SILOSCOPE_LOG.";

#[derive(Subcommand, Debug)]
enum ImportCommand {
    /// Record an interaction log (CSV, XES or OCEL 2.0 JSON, gzip or not): all of it, or nothing when a
    /// row is bad (every bad row is reported with its line). Importing a file again
    /// records nothing new.
    #[command(after_help = LOG_FIELDS)]
    Interactions {
        /// The file (.csv, .xes, optionally .gz).
        file: PathBuf,
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The format, when the file's name does not tell.
        #[arg(long, value_enum)]
        format: Option<crate::logs::Format>,
        /// Read a field from another column or attribute: field=column (repeatable).
        #[arg(long = "map", value_name = "FIELD=COLUMN")]
        map: Vec<String>,
        /// OCEL: the object type whose objects are the cases (e.g. ticket).
        #[arg(long)]
        case_type: Option<String>,
        /// Record the good rows even when some are bad; the bad ones go to a reject file.
        #[arg(long)]
        skip_invalid: bool,
        /// Check every row and report, but write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where to write the rejected rows (line, column, reason) [default with
        /// --skip-invalid: FILE.rejects.csv].
        #[arg(long)]
        reject_file: Option<PathBuf>,
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
enum ExportCommand {
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
}

#[derive(Subcommand, Debug)]
enum OrgCommand {
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

fn parse_role(text: &str) -> Result<AccessRole, String> {
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

/// Runs the command line.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let pooled = std::env::var("SILOSCOPE_DATABASE_POOLER").is_ok_and(|v| v == "transaction");
    run_command(cli)
        .await
        .map_err(|error| service::db::explain_pooler(error, pooled))
}

async fn run_command(cli: Cli) -> anyhow::Result<()> {
    if let Command::ExportSchema { out } = &cli.command {
        return export_schema(out.as_deref());
    }
    let settings = Settings::from_env()?;
    let _telemetry = crate::telemetry::init(&settings)?;
    match cli.command {
        Command::Serve => {
            if settings.jwt.algorithm == jsonwebtoken::Algorithm::HS256
                && settings.jwt.secret.is_none()
            {
                bail!("SILOSCOPE_JWT_SECRET: must be set to serve with HS256 (at least 32 bytes)");
            }
            let app = Application::build(&settings).await?;
            tracing::info!(port = app.port(), "serving /graphql");
            app.run_until_stopped().await?;
        }
        Command::Migrate => {
            Db::connect(&settings.database(1), true).await?;
            println!("migrated {}", service::db::redact(&settings.database_url));
        }
        Command::Org {
            command: OrgCommand::Create { slug, name },
        } => {
            let db = Db::connect(&settings.database(1), true).await?;
            match service::organization::create(&db.owner(OwnerWork::Organizations), &slug, &name)
                .await
            {
                Ok(org) => println!(
                    "created organization {} ({}) in {}",
                    org.slug,
                    org.name,
                    service::db::redact(&settings.database_url)
                ),
                Err(WriteError::Invalid(errors)) => bail!(
                    "{}",
                    errors
                        .iter()
                        .map(|e| e.message.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                ),
                Err(WriteError::Fault(fault)) => return Err(fault.into()),
            }
        }
        Command::Org {
            command: OrgCommand::List,
        } => {
            let db = open_existing(&settings, false).await?;
            for org in service::organization::list(&db.owner(OwnerWork::Organizations)).await? {
                println!("{}\t{}", org.slug, org.name);
            }
        }
        Command::Token {
            org,
            sub,
            roles,
            ttl,
        } => {
            if settings.jwt.secret.is_none() {
                bail!("SILOSCOPE_JWT_SECRET: must be set to mint tokens");
            }
            if ttl <= 0 {
                bail!("--ttl must be positive");
            }
            let db = open_existing(&settings, false).await?;
            if service::organization::find_by_slug(&db.owner(OwnerWork::Organizations), &org)
                .await?
                .is_none()
            {
                bail!(
                    "no organization `{org}` in {} (SILOSCOPE_DATABASE_URL); `siloscope org list` shows those there are",
                    service::db::redact(&settings.database_url)
                );
            }
            println!(
                "{}",
                TokenKeys::new(&settings.jwt).mint(&sub, &org, &roles, ttl)?
            );
        }
        Command::Import {
            command:
                ImportCommand::Interactions {
                    file,
                    org,
                    format,
                    map,
                    case_type,
                    skip_invalid,
                    dry_run,
                    reject_file,
                },
        } => {
            let db = open_existing(&settings, false).await?;
            let request = crate::logs::commands::ImportRequest {
                file,
                org,
                format,
                map,
                case_type,
                options: service::import::ImportOptions {
                    dry_run,
                    skip_invalid,
                },
                reject_file,
                limits: settings.limits.import,
            };
            crate::logs::commands::import(&db, request).await?;
        }
        Command::Import {
            command: ImportCommand::Org { file, org },
        } => {
            let db = open_existing(&settings, false).await?;
            crate::org_file::import(&db, &org, &file).await?;
        }
        Command::Export {
            command:
                ExportCommand::Interactions {
                    org,
                    format,
                    from,
                    to,
                    out,
                },
        } => {
            let instant = |flag: &str, text: Option<String>| -> anyhow::Result<Option<i64>> {
                text.map(|t| {
                    service::recording::parse_instant(&t).with_context(|| {
                        format!("--{flag} `{t}` is not an RFC 3339 instant with an offset")
                    })
                })
                .transpose()
            };
            let window = service::rules::Window {
                from: instant("from", from)?,
                to: instant("to", to)?,
            };
            let db = open_existing(&settings, false).await?;
            crate::logs::commands::export(&db, &org, format, window, out.as_deref()).await?;
        }
        Command::ExportSchema { out } => export_schema(out.as_deref())?,
        Command::Documents { command } => documents(&settings, command).await?,
        Command::Backup { out } => {
            let db = open_existing(&settings, false).await?;
            let summary = service::backup::sqlite_copy(&db.owner(OwnerWork::Backup), &out).await?;
            println!(
                "backed up {} to {}: {} organizations, {} interactions, at migration {}",
                service::db::redact(&settings.database_url),
                out.display(),
                summary.organizations,
                summary.interactions,
                summary.migration
            );
        }
        Command::Restore { from, replace } => {
            let Some(target) = sqlite_path(&settings.database_url) else {
                bail!(
                    "{}",
                    service::backup::POSTGRES_ADVICE.replace("backs up", "restores")
                );
            };
            let summary = service::backup::sqlite_restore(&from, &target, replace).await?;
            Db::connect(&settings.database(1), true).await?;
            println!(
                "restored {} from {}: {} organizations, {} interactions",
                target.display(),
                from.display(),
                summary.organizations,
                summary.interactions
            );
        }
        Command::Retention => {
            let db = open_existing(&settings, false).await?;
            let deleted = service::retention::apply_all(&db, service::db::now_micros()).await?;
            println!("deleted {deleted} interactions past their retention period");
        }
        Command::Demo { file, interactions } => demo(settings, file, interactions).await?,
    }
    Ok(())
}

async fn documents(settings: &Settings, command: DocumentsCommand) -> anyhow::Result<()> {
    // An operator registers documents before the first start, too: migrated first.
    let db = open_existing(settings, true).await?;
    let db = db.owner(OwnerWork::Authentication);
    match command {
        DocumentsCommand::Add { files } => {
            for file in files {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("failed to read {}", file.display()))?;
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                let done = service::document::register(&db, &text, name.as_deref())
                    .await
                    .with_context(|| format!("{} was not registered", file.display()))?;
                let what = if done.added {
                    "added"
                } else {
                    "already registered"
                };
                println!("{}\t{}\t{what}", done.document_id, file.display());
            }
        }
        DocumentsCommand::List => {
            for document in service::document::list(&db).await? {
                println!(
                    "{}\t{}",
                    document.document_id,
                    document.name.unwrap_or_default()
                );
            }
        }
        DocumentsCommand::Remove { id } => {
            if !service::document::remove(&db, &id).await? {
                bail!("no document {id} is registered");
            }
            println!("removed {id}");
        }
    }
    Ok(())
}

fn export_schema(out: Option<&std::path::Path>) -> anyhow::Result<()> {
    let sdl = crate::graphql::sdl();
    match out {
        Some(path) => {
            std::fs::write(path, sdl).with_context(|| format!("failed to write {}", path.display()))
        }
        None => {
            print!("{sdl}");
            Ok(())
        }
    }
}

/// The configured database, which must exist already: a command that only reads
/// never creates an empty SQLite file by mistake.
async fn open_existing(settings: &Settings, migrate: bool) -> anyhow::Result<Db> {
    let url = &settings.database_url;
    if let Some(path) = sqlite_path(url) {
        if !path.exists() {
            bail!(
                "no database at {} (SILOSCOPE_DATABASE_URL); `siloscope migrate` or `siloscope org create` makes one",
                path.display()
            );
        }
    }
    Db::connect(&settings.database(1), migrate).await
}

/// The file of a SQLite URL (`sqlite://file.db?mode=rwc`, `sqlite:file.db`), decoded
/// as sqlx decodes it (`%20` is a space).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let file = rest.split('?').next().unwrap_or(rest);
    let file = percent_encoding::percent_decode_str(file)
        .decode_utf8()
        .ok()?
        .into_owned();
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}

async fn demo(mut settings: Settings, file: PathBuf, interactions: usize) -> anyhow::Result<()> {
    // One demo per file: the lock is held until the process ends, so a second demo
    // never deletes the database under a running one.
    let lock_path = PathBuf::from(format!("{}.lock", file.display()));
    let lock = std::fs::File::create(&lock_path)
        .with_context(|| format!("failed to create {}", lock_path.display()))?;
    if lock.try_lock().is_err() {
        bail!(
            "another siloscope demo is running on {}; stop it first, or pass --file for another one",
            file.display()
        );
    }
    // Bind before touching the file, so a port in use fails before anything is lost.
    let listener = std::net::TcpListener::bind(settings.listen).with_context(|| {
        format!(
            "failed to listen on {} (SILOSCOPE_LISTEN); is another siloscope running there?",
            settings.listen
        )
    })?;
    settings.listen = listener.local_addr()?;
    drop(listener);
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", file.display()));
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("failed to remove {}", path.display()))?;
        }
    }
    let absolute = std::path::absolute(&file)
        .with_context(|| format!("failed to resolve {}", file.display()))?;
    settings.database_url = format!("sqlite://{}?mode=rwc", absolute.display());
    let secret: SecretString = settings
        .jwt
        .secret
        .clone()
        .unwrap_or_else(crate::auth::random_secret);
    settings.jwt.secret = Some(secret);
    let db = Db::connect(&settings.database(settings.db_max_connections), true).await?;
    let summary = crate::demo::create(&db, "demo", 2026, interactions).await?;
    let app = Application::with_database(&settings, db).await?;
    let keys = TokenKeys::new(&settings.jwt);
    let token = keys.mint("demo-admin", "demo", &[AccessRole::Admin], 24 * 3600)?;
    let env_file = write_demo_env(&settings, &file)?;
    let origin = format!("http://{}:{}", settings.listen.ip(), app.port());
    let url = format!("{origin}/graphql");
    let mut others = Vec::new();
    for (name, role) in [
        ("VIEWER", AccessRole::Viewer),
        ("EDITOR", AccessRole::Editor),
        ("INTEGRATION", AccessRole::Integration),
    ] {
        let other = keys.mint(
            &format!("demo-{}", name.to_lowercase()),
            "demo",
            &[role],
            24 * 3600,
        )?;
        others.push((name, other));
    }
    let viewer = others.first().map(|(_, t)| t.as_str()).unwrap_or(&token);
    println!("siloscope demo: {summary}");
    println!();
    println!("Dashboard: {origin}/dashboard#token={viewer}");
    println!("           (the link signs you in as VIEWER, for this browser tab only)");
    println!("GraphiQL:  {url}#token={token}");
    println!("           (the link signs you in as ADMIN; the page keeps the token nowhere)");
    println!("Token:     {token}");
    println!();
    println!("Tokens for the other roles (24 h):");
    for (name, other) in &others {
        println!("  {name:<12} {other}");
    }
    println!();
    println!(
        "More tokens: set -a; . {}; set +a; target/release/siloscope token --org demo --role VIEWER",
        env_file.display()
    );
    println!();
    println!("Opened without the link, GraphiQL needs the header {{\"Authorization\": \"Bearer <token>\"}}.");
    println!();
    println!(
        "curl -s {url} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\"
    );
    println!("  -d '{{\"query\":\"{{ functions(first: 20) {{ edges {{ node {{ name isCxTeam }} }} }} }}\"}}'");
    app.run_until_stopped().await?;
    Ok(())
}

/// Writes the demo's database URL and secret to an env file beside the SQLite file
/// (readable by its owner only), for `siloscope token` to mint more tokens.
fn write_demo_env(settings: &Settings, file: &std::path::Path) -> anyhow::Result<PathBuf> {
    use secrecy::ExposeSecret;
    let path = PathBuf::from(format!("{}.env", file.display()));
    let secret = settings
        .jwt
        .secret
        .as_ref()
        .map(|s| s.expose_secret().to_owned())
        .unwrap_or_default();
    // Single-quoted for the shell, with any quote inside closed and reopened.
    let quote = |value: &str| format!("'{}'", value.replace('\'', "'\\''"));
    let text = format!(
        "# The running siloscope demo's settings: `set -a; . {}; set +a`, then `siloscope token`.\n\
         SILOSCOPE_DATABASE_URL={}\nSILOSCOPE_JWT_SECRET={}\n",
        path.display(),
        quote(&settings.database_url),
        quote(&secret)
    );
    // Readable by its owner only from the moment it exists: it holds the signing secret.
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An older file keeps its mode on open; narrow it first.
        if path.exists() {
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    use std::io::Write as _;
    options
        .open(&path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .with_context(|| format!("failed to write {}", path.display()))?;
    Ok(path)
}
