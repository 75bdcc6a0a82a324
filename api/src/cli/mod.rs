//! The command line: its arguments ([`args`]), one function per command
//! ([`commands`]), and the demo ([`demo`]).

mod args;
mod commands;
mod demo;

use crate::server::config::Settings;
use args::*;
use clap::Parser;
use commands::*;

/// Runs the command line.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let pooled = std::env::var("SILOSCOPE_DATABASE_POOLER").is_ok_and(|v| v == "transaction");
    run_command(cli)
        .await
        .map_err(|error| service::storage::db::explain_pooler(error, pooled))
}

async fn run_command(cli: Cli) -> anyhow::Result<()> {
    if let Command::ExportSchema { out } = &cli.command {
        return export_schema(out.as_deref());
    }
    let settings = Settings::from_env()?;
    let _telemetry = crate::server::telemetry::init(&settings)?;
    match cli.command {
        Command::Serve => serve(&settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::Org {
            command: OrgCommand::Create { slug, name },
        } => org_create(&settings, &slug, &name).await,
        Command::Org {
            command: OrgCommand::List,
        } => org_list(&settings).await,
        Command::Token {
            org,
            sub,
            roles,
            ttl,
        } => token(&settings, &org, &sub, &roles, ttl).await,
        Command::Import {
            command: ImportCommand::Interactions(args),
        } => import_interactions(&settings, args).await,
        Command::Import {
            command: ImportCommand::Org { file, org },
        } => import_org(&settings, &org, &file).await,
        Command::Import {
            command:
                ImportCommand::Feedback {
                    file,
                    org,
                    skip_invalid,
                    dry_run,
                },
        } => {
            let options = service::log::feedback::FeedbackImportOptions {
                dry_run,
                skip_invalid,
            };
            import_feedback(&settings, &org, file, options).await
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
        } => export_interactions(&settings, &org, format, from, to, out.as_deref()).await,
        Command::Export {
            command: ExportCommand::Feedback { org, from, to, out },
        } => export_feedback(&settings, &org, from, to, out.as_deref()).await,
        Command::ExportSchema { out } => export_schema(out.as_deref()),
        Command::Documents { command } => documents(&settings, command).await,
        Command::Backup { out } => backup(&settings, &out).await,
        Command::Restore { from, replace } => restore(&settings, &from, replace).await,
        Command::Retention => retention(&settings).await,
        Command::Demo { file, interactions } => demo::demo(settings, file, interactions).await,
    }
}
