//! One function per command.

use service::storage::db::{Db, OwnerWork};
use std::path::PathBuf;

use anyhow::{bail, Context};
use service::WriteError;

use super::args::*;
use crate::server::auth::{AccessRole, TokenKeys};
use crate::server::config::Settings;
use crate::startup::Application;

/// `serve`: the HTTP server until SIGINT or SIGTERM.
pub(super) async fn serve(settings: &Settings) -> anyhow::Result<()> {
    if settings.jwt.algorithm == jsonwebtoken::Algorithm::HS256 && settings.jwt.secret.is_none() {
        bail!("SILOSCOPE_JWT_SECRET: must be set to serve with HS256 (at least 32 bytes)");
    }
    let app = Application::build(settings).await?;
    tracing::info!(port = app.port(), "serving /graphql");
    app.run_until_stopped().await?;
    Ok(())
}

/// `migrate`: the pending migrations.
pub(super) async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    service::upgrade::open(&settings.database(1), true).await?;
    println!(
        "migrated {}",
        service::storage::db::redact(&settings.database_url)
    );
    Ok(())
}

/// `org create`: an organization (migrating the database first).
pub(super) async fn org_create(settings: &Settings, slug: &str, name: &str) -> anyhow::Result<()> {
    let db = service::upgrade::open(&settings.database(1), true).await?;
    let created =
        service::model::organization::create(&db.owner(OwnerWork::Organizations), slug, name).await;
    match created {
        Ok(org) => println!(
            "created organization {} ({}) in {}",
            org.slug,
            org.name,
            service::storage::db::redact(&settings.database_url)
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
    Ok(())
}

/// `org list`: the organizations of the configured database.
pub(super) async fn org_list(settings: &Settings) -> anyhow::Result<()> {
    let db = open_existing(settings, false).await?;
    for org in service::model::organization::list(&db.owner(OwnerWork::Organizations)).await? {
        println!("{}\t{}", org.slug, org.name);
    }
    Ok(())
}

/// `token`: an HS256 token for an organization the database has.
pub(super) async fn token(
    settings: &Settings,
    org: &str,
    sub: &str,
    roles: &[AccessRole],
    ttl: i64,
) -> anyhow::Result<()> {
    if settings.jwt.secret.is_none() {
        bail!("SILOSCOPE_JWT_SECRET: must be set to mint tokens");
    }
    if ttl <= 0 {
        bail!("--ttl must be positive");
    }
    let db = open_existing(settings, false).await?;
    if service::model::organization::find_by_slug(&db.owner(OwnerWork::Organizations), org)
        .await?
        .is_none()
    {
        bail!(
            "no organization `{org}` in {} (SILOSCOPE_DATABASE_URL); `siloscope org list` shows those there are",
            service::storage::db::redact(&settings.database_url)
        );
    }
    println!(
        "{}",
        TokenKeys::new(&settings.jwt).mint(sub, org, roles, ttl)?
    );
    Ok(())
}

/// `import interactions`: a log file.
pub(super) async fn import_interactions(
    settings: &Settings,
    args: Box<InteractionsImport>,
) -> anyhow::Result<()> {
    let args = *args;
    let side_file = |path: &Option<PathBuf>, what: &str| -> anyhow::Result<Option<Vec<u8>>> {
        let Some(path) = path else { return Ok(None) };
        let file =
            std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let bytes = crate::logs::presets::read_side_file(file, what, settings.limits.import)
            .map_err(anyhow::Error::msg)?;
        Ok(Some(bytes))
    };
    let request = crate::logs::commands::ImportRequest {
        settings: crate::logs::ImportSettings {
            time_zone: args.time_zone,
            time_format: args.time_format,
            map_group: args.map_group,
            group_field: args.group_field,
            groups: side_file(&args.groups, "groups")?,
            incidents: side_file(&args.incidents, "incidents")?,
        },
        file: args.file,
        org: args.org,
        format: args.format,
        map: args.map,
        case_type: args.case_type,
        options: service::log::import::ImportOptions {
            dry_run: args.dry_run,
            skip_invalid: args.skip_invalid,
            create_missing: args.create_missing,
        },
        reject_file: args.reject_file,
        limits: settings.limits.import,
    };
    let db = open_existing(settings, false).await?;
    crate::logs::commands::import(&db, request).await
}

/// `import org`: an org.json chart.
pub(super) async fn import_org(
    settings: &Settings,
    org: &str,
    file: &std::path::Path,
) -> anyhow::Result<()> {
    let db = open_existing(settings, false).await?;
    crate::logs::chart_file::import(&db, org, file).await
}

/// `import feedback`: survey answers and complaints from a CSV.
pub(super) async fn import_feedback(
    settings: &Settings,
    org: &str,
    file: PathBuf,
    options: service::log::feedback::FeedbackImportOptions,
) -> anyhow::Result<()> {
    let db = open_existing(settings, false).await?;
    crate::logs::feedback::import_file(&db, file, org, options, settings.limits.import).await
}

/// `export interactions`: the log as CSV or XES.
pub(super) async fn export_interactions(
    settings: &Settings,
    org: &str,
    format: crate::logs::Format,
    from: Option<String>,
    to: Option<String>,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let window = window_of(from, to)?;
    let db = open_existing(settings, false).await?;
    crate::logs::commands::export(&db, org, format, window, out).await
}

/// `export feedback`: surveys and complaints as CSV.
pub(super) async fn export_feedback(
    settings: &Settings,
    org: &str,
    from: Option<String>,
    to: Option<String>,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let window = window_of(from, to)?;
    let db = open_existing(settings, false).await?;
    crate::logs::feedback::export_file(&db, org, window, out).await
}

/// The window `--from` and `--to` give.
fn window_of(from: Option<String>, to: Option<String>) -> anyhow::Result<service::rules::Window> {
    let instant = |flag: &str, text: Option<String>| -> anyhow::Result<Option<i64>> {
        text.map(|t| {
            service::log::recording::parse_instant(&t).with_context(|| {
                format!("--{flag} `{t}` is not an RFC 3339 instant with an offset")
            })
        })
        .transpose()
    };
    Ok(service::rules::Window {
        from: instant("from", from)?,
        to: instant("to", to)?,
    })
}

/// `backup`: an online copy of the SQLite database.
pub(super) async fn backup(settings: &Settings, out: &std::path::Path) -> anyhow::Result<()> {
    let db = open_existing(settings, false).await?;
    let summary = service::storage::backup::sqlite_copy(&db.owner(OwnerWork::Backup), out).await?;
    println!(
        "backed up {} to {}: {} organizations, {} interactions, at migration {}",
        service::storage::db::redact(&settings.database_url),
        out.display(),
        summary.organizations,
        summary.interactions,
        summary.migration
    );
    Ok(())
}

/// `restore`: a checked backup in place of the SQLite database.
pub(super) async fn restore(
    settings: &Settings,
    from: &std::path::Path,
    replace: bool,
) -> anyhow::Result<()> {
    let Some(target) = sqlite_path(&settings.database_url) else {
        bail!(
            "{}",
            service::storage::backup::POSTGRES_ADVICE.replace("backs up", "restores")
        );
    };
    let summary = service::storage::backup::sqlite_restore(from, &target, replace).await?;
    service::upgrade::open(&settings.database(1), true).await?;
    println!(
        "restored {} from {}: {} organizations, {} interactions",
        target.display(),
        from.display(),
        summary.organizations,
        summary.interactions
    );
    Ok(())
}

/// `retention`: one retention pass now.
pub(super) async fn retention(settings: &Settings) -> anyhow::Result<()> {
    let db = open_existing(settings, false).await?;
    let deleted =
        service::log::retention::apply_all(&db, service::storage::db::now_micros()).await?;
    println!("deleted {deleted} interactions past their retention period");
    Ok(())
}

pub(super) async fn documents(
    settings: &Settings,
    command: DocumentsCommand,
) -> anyhow::Result<()> {
    // An operator registers documents before the first start, too: migrated first.
    let db = open_existing(settings, true).await?;
    let db = db.owner(OwnerWork::Authentication);
    match command {
        DocumentsCommand::Add { files } => {
            for file in files {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("failed to read {}", file.display()))?;
                let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
                let done = service::access::document::register(&db, &text, name.as_deref())
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
            for document in service::access::document::list(&db).await? {
                println!(
                    "{}\t{}",
                    document.document_id,
                    document.name.unwrap_or_default()
                );
            }
        }
        DocumentsCommand::Remove { id } => {
            if !service::access::document::remove(&db, &id).await? {
                bail!("no document {id} is registered");
            }
            println!("removed {id}");
        }
    }
    Ok(())
}

pub(super) fn export_schema(out: Option<&std::path::Path>) -> anyhow::Result<()> {
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
pub(super) async fn open_existing(settings: &Settings, migrate: bool) -> anyhow::Result<Db> {
    let url = &settings.database_url;
    if let Some(path) = sqlite_path(url) {
        if !path.exists() {
            bail!(
                "no database at {} (SILOSCOPE_DATABASE_URL); `siloscope migrate` or `siloscope org create` makes one",
                path.display()
            );
        }
    }
    service::upgrade::open(&settings.database(1), migrate).await
}

/// The file of a SQLite URL (`sqlite://file.db?mode=rwc`, `sqlite:file.db`), decoded
/// as sqlx decodes it (`%20` is a space).
pub(super) fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let file = rest.split('?').next().unwrap_or(rest);
    let file = percent_encoding::percent_decode_str(file)
        .decode_utf8()
        .ok()?
        .into_owned();
    (!file.is_empty() && file != ":memory:").then(|| PathBuf::from(file))
}
