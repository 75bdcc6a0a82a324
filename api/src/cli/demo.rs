//! `demo`: a database with a generated organization and log, served at once.

use std::path::PathBuf;

use anyhow::{bail, Context};
use secrecy::SecretString;

use crate::server::auth::{AccessRole, TokenKeys};
use crate::server::config::Settings;
use crate::startup::Application;

pub(super) async fn demo(
    mut settings: Settings,
    file: PathBuf,
    interactions: usize,
) -> anyhow::Result<()> {
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
        .unwrap_or_else(crate::server::auth::random_secret);
    settings.jwt.secret = Some(secret);
    let db = service::upgrade::open(&settings.database(settings.db_max_connections), true).await?;
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
        "More tokens: set -a; . {}; set +a; {} token --org demo --role VIEWER",
        env_file.display(),
        this_binary()
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
pub(super) fn write_demo_env(
    settings: &Settings,
    file: &std::path::Path,
) -> anyhow::Result<PathBuf> {
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

/// How to run this binary again from the working directory: its path relative to it
/// when it is inside (`target/debug/siloscope`), else the absolute path.
fn this_binary() -> String {
    let Ok(exe) = std::env::current_exe() else {
        return "siloscope".to_owned();
    };
    let relative = std::env::current_dir()
        .ok()
        .and_then(|dir| exe.strip_prefix(dir).ok().map(std::path::Path::to_path_buf));
    relative.unwrap_or(exe).display().to_string()
}
