//! Connecting: SQLite's and PostgreSQL's pools, migrations on start, and what a
//! connection pooler in front of PostgreSQL needs.

use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, TransactionTrait};

use super::{Db, DbOptions};

pub(super) async fn connect_sqlite(
    url: &str,
    max_connections: u32,
    migrate: bool,
) -> anyhow::Result<Db> {
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                .create_if_missing(true)
                // The OS caches the rest.
                .pragma(
                    "cache_size",
                    format!("-{}", super::writes::SQLITE_CACHE_KIB),
                )
        });
    let pool = Database::connect(options).await?;
    if migrate {
        // One connection for the whole run: another connection of the pool may hold a
        // schema from before an earlier statement (SQLite reloads it only when a
        // transaction starts) and refuse to re-create an index just dropped. SQLite's
        // DDL is transactional, so the run also lands whole or not at all.
        let pending = Migrator::get_pending_migrations(&pool)
            .await
            .context("failed to read the database's migrations")?
            .len();
        let txn = pool.begin().await?;
        Migrator::up(&txn, None)
            .await
            .context("failed to migrate the database")?;
        txn.commit().await?;
        log_migrated(pending);
    }
    Ok(Db {
        pool,
        pooled: false,
        direct_url: None,
    })
}

fn log_migrated(pending: usize) {
    if pending == 0 {
        tracing::info!("the database schema is up to date");
    } else {
        tracing::info!(applied = pending, "migrated the database");
    }
}

/// The session a fresh direct PostgreSQL connection starts in: the tenant role with no
/// organization, so that it sees no organization's rows until a handle's transaction
/// says otherwise. Before the migration that creates the role there is nothing to
/// hide.
const FAIL_CLOSED_SESSION: &str = "DO $$ BEGIN
    IF to_regrole('siloscope_tenant') IS NOT NULL
       AND pg_has_role('siloscope_tenant', 'MEMBER') THEN
      SET ROLE siloscope_tenant;
    END IF;
  END $$";

pub(super) async fn connect_postgres(options: &DbOptions, migrate: bool) -> anyhow::Result<Db> {
    use sea_orm::sqlx::postgres::{PgConnectOptions, PgPoolOptions};
    use sea_orm::sqlx::ConnectOptions as _;
    use sea_orm::sqlx::Connection as _;
    use sea_orm::sqlx::Executor as _;
    let mut connect: PgConnectOptions = options
        .url
        .parse::<PgConnectOptions>()?
        .disable_statement_logging();
    if options.transaction_pooler {
        // Named statements would outlive the transaction on a server session another
        // client gets next; PgBouncer 1.18 also refuses this startup parameter.
        connect = connect.statement_cache_capacity(0).extra_float_digits(None);
    }
    // One direct connection first, so that an unreachable server is reported at once
    // and by its cause, not as a pool that timed out.
    let place = format!("{}:{}", connect.get_host(), connect.get_port());
    match tokio::time::timeout(
        Duration::from_secs(10),
        sea_orm::sqlx::PgConnection::connect_with(&connect),
    )
    .await
    {
        Err(_) => anyhow::bail!("PostgreSQL at {place} did not answer within 10 s"),
        Ok(Err(sea_orm::sqlx::Error::Io(error)))
            if error.kind() == std::io::ErrorKind::ConnectionRefused =>
        {
            anyhow::bail!("connection refused at {place}: is PostgreSQL running there?")
        }
        Ok(Err(error)) => {
            return Err(anyhow::Error::new(error)
                .context(format!("could not connect to PostgreSQL at {place}")))
        }
        Ok(Ok(connection)) => connection.close().await?,
    }
    if migrate {
        migrate_postgres(&connect, options.transaction_pooler)
            .await
            .map_err(|e| explain_pooler(e, options.transaction_pooler))?;
    }
    let pooled = options.transaction_pooler;
    let pool = PgPoolOptions::new()
        .max_connections(options.max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |connection, _| {
            Box::pin(async move {
                // Behind a pooler the session is not ours to set.
                if !pooled {
                    connection.execute(FAIL_CLOSED_SESSION).await?;
                }
                Ok(())
            })
        })
        .connect_with(connect)
        .await
        .map_err(|e| explain_pooler(e.into(), pooled))?;
    Ok(Db {
        pool: sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool),
        pooled,
        direct_url: match (&options.direct_url, pooled) {
            (Some(url), _) => Some(url.clone()),
            (None, false) => Some(options.url.clone()),
            (None, true) => None,
        },
    })
}

/// Applies the pending migrations on one connection of its own, as the connecting
/// user, in one transaction.
async fn migrate_postgres(
    connect: &sea_orm::sqlx::postgres::PgConnectOptions,
    pooled: bool,
) -> anyhow::Result<()> {
    use sea_orm::sqlx::postgres::PgPoolOptions;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(connect.clone())
        .await?;
    let single = sea_orm::SqlxPostgresConnector::from_sqlx_postgres_pool(pool);
    let txn = single.begin().await?;
    if pooled {
        txn.execute_unprepared("DEALLOCATE ALL").await?;
    }
    let pending = Migrator::get_pending_migrations(&txn)
        .await
        .context("failed to read the database's migrations")?
        .len();
    Migrator::up(&txn, None)
        .await
        .context("failed to migrate the database")?;
    txn.commit().await?;
    single.close().await?;
    log_migrated(pending);
    Ok(())
}

/// A pooler in transaction mode that siloscope was not told about fails in ways that
/// name sqlx's prepared statements: says what to set.
pub fn explain_pooler(error: anyhow::Error, pooled: bool) -> anyhow::Error {
    if !pooled && crate::error::looks_pooled(&format!("{error:#}")) {
        return error.context(
            "the database URL looks like a connection pooler in transaction mode (PgBouncer): \
             set SILOSCOPE_DATABASE_POOLER=transaction",
        );
    }
    error
}

/// The URL without its password, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let credentials = &url[scheme + 3..at];
            match credentials.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme + 3],
                    &credentials[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}
