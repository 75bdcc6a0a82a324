//! The command line.

use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use secrecy::SecretString;
use service::WriteError;

use crate::auth::{AccessRole, TokenKeys};
use crate::config::Settings;
use crate::startup::Application;

#[derive(Parser, Debug)]
#[command(
    name = "siloscope",
    version,
    about = "Maps who owns every customer touchpoint and detects silo handoffs."
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the GraphQL API (needs SILOSCOPE_JWT_SECRET).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage organizations.
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Mint a signed token (needs SILOSCOPE_JWT_SECRET).
    Token {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Who the token is for.
        #[arg(long, default_value = "cli")]
        sub: String,
        /// Roles: VIEWER, EDITOR, INTEGRATION, ADMIN (repeatable).
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<AccessRole>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
    /// Print the GraphQL schema (SDL), or write it to a file.
    ExportSchema {
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Create a demo organization on a fresh SQLite file, serve it, and print the
    /// GraphiQL URL and an admin token.
    Demo {
        /// The SQLite file, recreated on every run.
        #[arg(long, default_value = "siloscope-demo.db")]
        file: PathBuf,
        /// Interactions to generate (roughly).
        #[arg(long, default_value_t = 4000)]
        interactions: usize,
    },
}

#[derive(Subcommand, Debug)]
enum OrgCommand {
    /// Create an organization.
    Create {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
    },
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

fn init_tracing(settings: &Settings) {
    let filter = tracing_subscriber::EnvFilter::new(&settings.log);
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if settings.log_json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// Runs the command line.
pub async fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::from_env()?;
    init_tracing(&settings);
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
            let db = service::db::connect(&settings.database_url, 1).await?;
            service::db::migrate(&db).await?;
            println!("migrated {}", service::db::redact(&settings.database_url));
        }
        Command::Org {
            command: OrgCommand::Create { slug, name },
        } => {
            let db = service::db::connect(&settings.database_url, 1).await?;
            service::db::migrate(&db).await?;
            match service::organization::create(&db, &slug, &name).await {
                Ok(org) => println!("created organization {} ({})", org.slug, org.name),
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
            println!(
                "{}",
                TokenKeys::new(&settings.jwt).mint(&sub, &org, &roles, ttl)?
            );
        }
        Command::ExportSchema { out } => {
            let sdl = crate::graphql::sdl();
            match out {
                Some(path) => std::fs::write(&path, sdl)
                    .with_context(|| format!("failed to write {}", path.display()))?,
                None => print!("{sdl}"),
            }
        }
        Command::Demo { file, interactions } => demo(settings, file, interactions).await?,
    }
    Ok(())
}

async fn demo(mut settings: Settings, file: PathBuf, interactions: usize) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{suffix}", file.display()));
        if path.exists() {
            std::fs::remove_file(&path)
                .with_context(|| format!("failed to remove {}", path.display()))?;
        }
    }
    settings.database_url = format!("sqlite://{}?mode=rwc", file.display());
    let secret: SecretString = settings
        .jwt
        .secret
        .clone()
        .unwrap_or_else(crate::auth::random_secret);
    settings.jwt.secret = Some(secret);
    let db = service::db::connect(&settings.database_url, settings.db_max_connections).await?;
    service::db::migrate(&db).await?;
    let summary = crate::demo::create(&db, "demo", 2026, interactions).await?;
    let app = Application::with_database(&settings, db)?;
    let token = TokenKeys::new(&settings.jwt).mint(
        "demo-admin",
        "demo",
        &[AccessRole::Admin],
        24 * 3600,
    )?;
    let url = format!("http://{}:{}/graphql", settings.listen.ip(), app.port());
    println!("siloscope demo: {summary}");
    println!();
    println!("GraphiQL:  {url}");
    println!("Token:     {token}");
    println!();
    println!("In GraphiQL, add the header {{\"Authorization\": \"Bearer <token>\"}}, then try:");
    println!("  {{ siloReport {{ totals {{ cases handoffs siloHandoffs deferralsToCx }} byFunction {{ function {{ name }} siloHandoffs deferralRate }} }} }}");
    println!();
    println!(
        "curl -s {url} -H 'Authorization: Bearer {token}' -H 'Content-Type: application/json' \\"
    );
    println!("  -d '{{\"query\":\"{{ functions(first: 20) {{ edges {{ node {{ name isCxTeam }} }} }} }}\"}}'");
    app.run_until_stopped().await?;
    Ok(())
}
