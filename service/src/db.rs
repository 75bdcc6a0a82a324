//! The database and the only two ways into it.
//!
//! [`Db`] holds the pool, but runs no statement itself: work for one organization asks
//! for a [`Tenant`] (`db.tenant(id)`), and the few jobs that span organizations or come
//! before one is known (migrations, authentication look-ups, statistics, schedules that
//! visit every organization) ask for an [`Owner`] by name (`db.owner(OwnerWork::…)`).
//! Both handles run every statement inside a transaction that says, locally, whom it
//! runs for: on PostgreSQL a tenant's transactions run as the role `siloscope_tenant`
//! with `siloscope.organization_id` set (`SET LOCAL`, so a connection pooler in
//! transaction mode never carries it to another client), and row-level security hides
//! every other organization's rows; the owner's run as the connecting user.
//!
//! Scopes fail closed: a connection fresh from the pool (direct connections) runs as
//! the tenant role with no organization, so a statement that somehow escaped both
//! handles sees no organization's rows.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, ExecResult, QueryResult, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait,
};

use crate::error::{ApiError, ApiResult, Write};

/// The role tenants' transactions run as (PostgreSQL).
const TENANT_ROLE: &str = migration::m20261122_000012_row_level_security::TENANT_ROLE;

/// How siloscope reaches its database.
#[derive(Clone, Debug)]
pub struct DbOptions {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    pub max_connections: u32,
    /// The URL goes through a connection pooler in transaction mode (PgBouncer):
    /// no statement is kept prepared between transactions, and no session state is
    /// relied on.
    pub transaction_pooler: bool,
    /// A direct PostgreSQL URL (not through the pooler) for `LISTEN`; without one,
    /// behind a pooler, replicas learn of each other's changes by polling.
    pub direct_url: Option<String>,
}

impl DbOptions {
    /// A direct connection to `url` with `max_connections`.
    pub fn new(url: &str, max_connections: u32) -> DbOptions {
        DbOptions {
            url: url.to_owned(),
            max_connections,
            transaction_pooler: false,
            direct_url: None,
        }
    }
}

/// The database: a pool no statement runs on directly. Cloning shares the pool.
#[derive(Clone)]
pub struct Db {
    pool: DatabaseConnection,
    /// Behind a transaction-mode pooler: prepared statements are dropped at the start
    /// of every transaction, since the server session may have served another client.
    pooled: bool,
    direct_url: Option<String>,
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db")
            .field("backend", &self.backend())
            .field("pooled", &self.pooled)
            .finish_non_exhaustive()
    }
}

/// Why a job needs the owner: each names one of the few kinds of work that may see
/// every organization's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerWork {
    /// Applying migrations and rebuilding derived rows they invalidated.
    Migration,
    /// Finding who a credential names before its organization is known (API keys,
    /// organizations by slug, trusted documents).
    Authentication,
    /// Creating and listing organizations (the command line, the demo).
    Organizations,
    /// Planner statistics (ANALYZE) and the pool's own figures.
    Statistics,
    /// A schedule that visits every organization (retention, live delivery, webhook
    /// sending); the work for each organization runs as its tenant.
    Schedule,
    /// Backups of the whole database.
    Backup,
    /// Erasure's rewrite of the audit trail, which tenants may only append to.
    AuditRewrite,
    /// The keys the database keeps for every replica (`server_secret`).
    ServerKeys,
}

impl Db {
    /// Connects as `options` say (a SQLite file is created when missing). Applies the
    /// pending migrations first when `migrate` is set.
    pub async fn connect(options: &DbOptions, migrate: bool) -> anyhow::Result<Db> {
        let url = options.url.as_str();
        let connected = if url.starts_with("postgres") {
            connect_postgres(options, migrate).await
        } else {
            connect_sqlite(url, options.max_connections, migrate).await
        };
        let db = connected
            .with_context(|| format!("failed to connect to the database ({})", redact(url)))?;
        if migrate {
            rebuild_outdated_rollups(&db).await?;
        }
        Ok(db)
    }

    /// The database's kind.
    pub fn backend(&self) -> DbBackend {
        self.pool.get_database_backend()
    }

    /// Whether the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.backend() == DbBackend::Postgres
    }

    /// The handle for work on organization `organization_id`'s rows.
    pub fn tenant(&self, organization_id: i64) -> Tenant {
        Tenant(Arc::new(TenantScope {
            db: self.clone(),
            organization_id,
            reads: tokio::sync::Mutex::new(None),
        }))
    }

    /// The handle for work that spans organizations or comes before one is known;
    /// `why` says which kind.
    pub fn owner(&self, why: OwnerWork) -> Owner {
        Owner {
            db: self.clone(),
            why,
        }
    }

    /// A direct PostgreSQL URL for `LISTEN`: the configured one, or the pool's own
    /// when it is not behind a pooler; `None` behind a pooler without one.
    pub fn listen_url(&self) -> Option<&str> {
        self.direct_url.as_deref()
    }

    /// The pool's connections: (in use, idle).
    pub fn pool_connections(&self) -> (u32, u32) {
        match self.backend() {
            DbBackend::Postgres => {
                let pool = self.pool.get_postgres_connection_pool();
                let idle = pool.num_idle() as u32;
                (pool.size().saturating_sub(idle), idle)
            }
            _ => {
                let pool = self.pool.get_sqlite_connection_pool();
                let idle = pool.num_idle() as u32;
                (pool.size().saturating_sub(idle), idle)
            }
        }
    }

    /// Names each statement's span (telemetry), see `sea_orm::DatabaseConnection`.
    pub fn set_metric_callback<F>(&mut self, callback: F)
    where
        F: Fn(&sea_orm::metric::Info<'_>) + Send + Sync + 'static,
    {
        self.pool.set_metric_callback(callback);
    }

    /// The pool itself, with no scope: what a door that forgot its handle would run
    /// on. On PostgreSQL its connections start as the tenant role with no
    /// organization, so it sees no organization's rows; on SQLite it sees everything.
    /// Only the tests of that wall use it.
    #[doc(hidden)]
    pub fn pool_without_scope(&self) -> &DatabaseConnection {
        &self.pool
    }

    /// Closes the pool (a command that is done with the database).
    pub async fn close(self) -> ApiResult<()> {
        self.pool.close().await?;
        Ok(())
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> ApiResult<()> {
        self.pool.ping().await?;
        Ok(())
    }

    /// Begins a transaction that runs for `organization` (`None`: the owner).
    async fn begin_for(
        &self,
        organization: Option<i64>,
        mode: Mode,
    ) -> Result<DatabaseTransaction, DbErr> {
        let options = TransactionOptions {
            sqlite_transaction_mode: Some(match mode {
                Mode::Write => SqliteTransactionMode::Immediate,
                Mode::Read => SqliteTransactionMode::Deferred,
            }),
            ..Default::default()
        };
        let txn = self.pool.begin_with_options(options).await?;
        if self.is_postgres() {
            txn.execute_unprepared(&self.scope_statement(organization, mode))
                .await?;
        }
        Ok(txn)
    }

    /// The statement a PostgreSQL transaction begins with: read-only for reads,
    /// prepared statements left behind by another client dropped (behind a pooler),
    /// then the role and organization, local to the transaction. One simple query, so
    /// one round trip and no prepared statement of its own.
    fn scope_statement(&self, organization: Option<i64>, mode: Mode) -> String {
        let mut sql = String::new();
        if mode == Mode::Read {
            sql.push_str("SET TRANSACTION READ ONLY; ");
        }
        if self.pooled {
            sql.push_str("DEALLOCATE ALL; ");
        }
        match organization {
            Some(id) => sql.push_str(&format!(
                "SELECT set_config('role', '{TENANT_ROLE}', true), \
                 set_config('siloscope.organization_id', '{id}', true)"
            )),
            None => sql.push_str(
                "SELECT set_config('role', 'none', true), \
                 set_config('siloscope.organization_id', '', true)",
            ),
        }
        sql
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Read,
    Write,
}

/// Work on one organization's rows. Reads outside a write share one read-only
/// transaction per handle on PostgreSQL (one connection per request, switched to the
/// tenant once); writes begin their own with [`Tenant::begin_write`]. Cloning shares
/// the handle.
#[derive(Clone)]
pub struct Tenant(Arc<TenantScope>);

struct TenantScope {
    db: Db,
    organization_id: i64,
    /// PostgreSQL: the transaction reads run in, begun at the first read.
    reads: tokio::sync::Mutex<Option<Arc<DatabaseTransaction>>>,
}

impl std::fmt::Debug for Tenant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tenant")
            .field("organization_id", &self.0.organization_id)
            .finish_non_exhaustive()
    }
}

impl Tenant {
    /// The organization this handle works for.
    pub fn organization_id(&self) -> i64 {
        self.0.organization_id
    }

    /// The database behind the handle.
    pub fn db(&self) -> &Db {
        &self.0.db
    }

    /// Begins a transaction that will write to the organization's rows: on SQLite it
    /// takes the write lock at once (BEGIN IMMEDIATE), so that two writers queue
    /// instead of failing half-way. Reads of this handle after it see what it commits.
    pub async fn begin_write(&self) -> ApiResult<DatabaseTransaction> {
        // A read transaction begun earlier would pin a second connection while this
        // one waits for a lock, and on SQLite keep an old snapshot: end it first.
        self.end_reads().await;
        Ok(self
            .0
            .db
            .begin_for(Some(self.0.organization_id), Mode::Write)
            .await?)
    }

    /// Begins a read-only transaction of its own (a consistent view across several
    /// statements, such as an export's pages).
    pub async fn begin_read(&self) -> ApiResult<DatabaseTransaction> {
        Ok(self
            .0
            .db
            .begin_for(Some(self.0.organization_id), Mode::Read)
            .await?)
    }

    /// Ends the shared read transaction, if one is open and no read uses it.
    pub async fn end_reads(&self) {
        let open = self.0.reads.lock().await.take();
        if let Some(txn) = open.and_then(|txn| Arc::try_unwrap(txn).ok()) {
            if let Err(error) = txn.rollback().await {
                tracing::debug!(%error, "ending a read transaction failed");
            }
        }
    }

    /// The shared read transaction (PostgreSQL), begun when first needed.
    async fn reader(&self) -> Result<Arc<DatabaseTransaction>, DbErr> {
        let mut open = self.0.reads.lock().await;
        if let Some(txn) = open.as_ref() {
            return Ok(txn.clone());
        }
        let txn = Arc::new(
            self.0
                .db
                .begin_for(Some(self.0.organization_id), Mode::Read)
                .await?,
        );
        *open = Some(txn.clone());
        Ok(txn)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Tenant {
    fn get_database_backend(&self) -> DbBackend {
        self.0.db.backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        if self.0.db.is_postgres() {
            self.reader().await?.execute_raw(stmt).await
        } else {
            self.0.db.pool.execute_raw(stmt).await
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        if self.0.db.is_postgres() {
            self.reader().await?.execute_unprepared(sql).await
        } else {
            self.0.db.pool.execute_unprepared(sql).await
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if self.0.db.is_postgres() {
            self.reader().await?.query_one_raw(stmt).await
        } else {
            self.0.db.pool.query_one_raw(stmt).await
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if self.0.db.is_postgres() {
            self.reader().await?.query_all_raw(stmt).await
        } else {
            self.0.db.pool.query_all_raw(stmt).await
        }
    }
}

/// Work that may see every organization's rows; obtained only by naming why
/// ([`Db::owner`]). Each statement outside [`Owner::begin`] runs in a transaction of
/// its own.
#[derive(Clone)]
pub struct Owner {
    db: Db,
    why: OwnerWork,
}

impl std::fmt::Debug for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Owner").field("why", &self.why).finish()
    }
}

impl Owner {
    /// Begins a transaction as the owner (that writes, on SQLite: BEGIN IMMEDIATE).
    pub async fn begin(&self) -> ApiResult<DatabaseTransaction> {
        Ok(self.db.begin_for(None, Mode::Write).await?)
    }

    /// The database behind the handle.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs one statement in a transaction of its own (PostgreSQL; SQLite has no
    /// roles, and autocommits).
    async fn once<T>(
        &self,
        run: impl AsyncFnOnce(&DatabaseTransaction) -> Result<T, DbErr>,
    ) -> Result<T, DbErr> {
        let txn = self.db.begin_for(None, Mode::Write).await?;
        let value = run(&txn).await?;
        txn.commit().await?;
        Ok(value)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Owner {
    fn get_database_backend(&self) -> DbBackend {
        self.db.backend()
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        if self.db.is_postgres() {
            self.once(async |txn| txn.execute_raw(stmt).await).await
        } else {
            self.db.pool.execute_raw(stmt).await
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        if self.db.is_postgres() {
            self.once(async |txn| txn.execute_unprepared(sql).await)
                .await
        } else {
            self.db.pool.execute_unprepared(sql).await
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        if self.db.is_postgres() {
            self.once(async |txn| txn.query_one_raw(stmt).await).await
        } else {
            self.db.pool.query_one_raw(stmt).await
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        if self.db.is_postgres() {
            self.once(async |txn| txn.query_all_raw(stmt).await).await
        } else {
            self.db.pool.query_all_raw(stmt).await
        }
    }
}

async fn connect_sqlite(url: &str, max_connections: u32, migrate: bool) -> anyhow::Result<Db> {
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
                .pragma("cache_size", format!("-{SQLITE_CACHE_KIB}"))
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

async fn connect_postgres(options: &DbOptions, migrate: bool) -> anyhow::Result<Db> {
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

/// Rebuilds, from its steps and in its calendar, the rollups of every organization
/// whose `rollup_version` is below [`crate::derived::rollup::ROLLUP_VERSION`] (a
/// migration that changed their layout sets it to 0). Each organization in a write of
/// its own, so another replica starting at once waits and then finds it done.
async fn rebuild_outdated_rollups(db: &Db) -> anyhow::Result<()> {
    use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};
    let current = crate::derived::rollup::ROLLUP_VERSION;
    let outdated: Vec<i64> = entity::organization::Entity::find()
        .filter(entity::organization::Column::RollupVersion.lt(current))
        .select_only()
        .column(entity::organization::Column::Id)
        .into_tuple()
        .all(&db.owner(OwnerWork::Migration))
        .await?;
    for organization_id in &outdated {
        let tenant = db.tenant(*organization_id);
        let txn = begin_change(&tenant, *organization_id).await?;
        let org = entity::organization::Entity::find_by_id(*organization_id)
            .one(&txn)
            .await?
            .context("an organization went away while its rollups were rebuilt")?;
        if org.rollup_version < current {
            let calendar = crate::calendar::of_organization(&txn, *organization_id).await?;
            crate::derived::rollup::rebuild(&txn, *organization_id, &calendar).await?;
            let mut active: entity::organization::ActiveModel = org.into();
            active.rollup_version = Set(current);
            active.update(&txn).await?;
        }
        txn.commit().await?;
    }
    if !outdated.is_empty() {
        tracing::info!(
            organizations = outdated.len(),
            "rebuilt the rollups in their current layout"
        );
    }
    Ok(())
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

/// SQLite's page cache per connection, in KiB (its default is 2 MiB).
const SQLITE_CACHE_KIB: u32 = 4 * 1024;
/// The page cache of a connection running a bulk load: a long transaction whose
/// dirty pages outgrow the cache spills them to the WAL and writes them again.
const SQLITE_BULK_CACHE_KIB: u32 = 32 * 1024;

/// Gives the transaction's SQLite connection the bulk-load page cache (`bulk`), or
/// the usual one back. Nothing on PostgreSQL.
pub async fn bulk_cache(db: &impl ConnectionTrait, bulk: bool) -> ApiResult<()> {
    if db.get_database_backend() == DbBackend::Sqlite {
        let kib = if bulk {
            SQLITE_BULK_CACHE_KIB
        } else {
            SQLITE_CACHE_KIB
        };
        db.execute_unprepared(&format!("PRAGMA cache_size = -{kib}"))
            .await?;
    }
    Ok(())
}

/// Keeps PostgreSQL's planner statistics fresh while a log is bulk-loaded: once the
/// interactions changed since the last ANALYZE pass a fifth of the table (and 5,000),
/// the tables recording touches are analyzed, so lookups by case and externalId keep
/// using their indexes. Autovacuum does the same, but only after up to a minute.
/// Best effort: a failure is logged, never returned.
pub async fn refresh_statistics(db: &Db) {
    if !db.is_postgres() {
        return;
    }
    let owner = db.owner(OwnerWork::Statistics);
    let stale = owner
        .query_one_raw(sea_orm::Statement::from_string(
            DbBackend::Postgres,
            "SELECT n_mod_since_analyze > GREATEST(5000, n_live_tup / 5) AS stale \
             FROM pg_stat_user_tables WHERE relname = 'interaction'",
        ))
        .await
        .and_then(|row| row.map(|r| r.try_get::<bool>("", "stale")).transpose());
    match stale {
        Ok(Some(true)) => {
            // As the tables' owner: ANALYZE needs it.
            if let Err(error) = owner
                .execute_unprepared("ANALYZE interaction, step, customer_case")
                .await
            {
                tracing::warn!(error = %error, "ANALYZE after recording failed");
            }
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(error = %error, "reading table statistics failed"),
    }
}

/// Serializes writers of one organization (on PostgreSQL a row lock on the
/// organization; on SQLite the write transaction is exclusive already) and raises its
/// revision, so that figures cached before the write are not read after it
/// (`snapshot`).
pub async fn lock(txn: &DatabaseTransaction, organization_id: i64) -> ApiResult<()> {
    use entity::organization::{Column, Entity};
    use sea_orm::sea_query::{Expr, ExprTrait};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    Entity::update_many()
        .col_expr(Column::Revision, Expr::col(Column::Revision).add(1))
        .filter(Column::Id.eq(organization_id))
        .exec(txn)
        .await?;
    Ok(())
}

/// Begins a write to the organization: a write transaction ([`Tenant::begin_write`])
/// that has taken the organization's lock and raised its revision ([`lock`]). Every
/// write to an organization's rows begins here. `organization_id` must be the
/// handle's.
pub async fn begin_change(db: &Tenant, organization_id: i64) -> ApiResult<DatabaseTransaction> {
    if db.organization_id() != organization_id {
        return Err(ApiError::internal(anyhow::anyhow!(
            "a write to organization {organization_id} through the handle of organization {}",
            db.organization_id()
        )));
    }
    let txn = db.begin_write().await?;
    lock(&txn, organization_id).await?;
    Ok(txn)
}

/// Runs `work` as a write to the organization ([`begin_change`]), committed when it
/// succeeds and rolled back otherwise.
pub async fn atomically<T>(
    db: &Tenant,
    organization_id: i64,
    work: impl AsyncFnOnce(&DatabaseTransaction) -> Write<T>,
) -> Write<T> {
    let txn = begin_change(db, organization_id).await?;
    let value = work(&txn).await?;
    txn.commit().await?;
    Ok(value)
}

/// Refreshes PostgreSQL's statistics of the recording tables inside a long write
/// transaction (an import): the planner then sees the rows the transaction added
/// (ANALYZE counts its own transaction's inserts), instead of planning every later
/// statement for the empty tables it started with. ANALYZE needs the tables' owner, so
/// the statement runs as the connection's own user, and the tenant role is restored
/// for the rest of the transaction. No-op on SQLite.
pub async fn analyze_in(txn: &DatabaseTransaction, organization_id: i64) -> ApiResult<()> {
    if !is_postgres(txn) {
        return Ok(());
    }
    leave_tenant_role(txn).await?;
    txn.execute_unprepared("ANALYZE interaction, step, customer_case")
        .await?;
    return_to_tenant_role(txn, organization_id).await
}

/// PostgreSQL: the rest of `txn` runs as the connection's own user, not the tenant
/// role, until [`return_to_tenant_role`]. For the few statements the tenant role may
/// not run: ANALYZE, and erasure's rewrite of the audit trail, which is append-only
/// to the tenant role. Each such statement names its organization itself. No-op on
/// SQLite.
pub(crate) async fn leave_tenant_role(txn: &DatabaseTransaction) -> ApiResult<()> {
    if is_postgres(txn) {
        txn.execute_unprepared("SELECT set_config('role', 'none', true)")
            .await?;
    }
    Ok(())
}

/// Undoes [`leave_tenant_role`]: `txn` runs as organization `organization_id`'s
/// tenant again.
pub(crate) async fn return_to_tenant_role(
    txn: &DatabaseTransaction,
    organization_id: i64,
) -> ApiResult<()> {
    if is_postgres(txn) {
        txn.execute_unprepared(&format!(
            "SELECT set_config('role', '{TENANT_ROLE}', true), \
             set_config('siloscope.organization_id', '{organization_id}', true)"
        ))
        .await?;
    }
    Ok(())
}

/// Whether the backend is PostgreSQL.
pub fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DbBackend::Postgres
}

/// The current instant in microseconds since the Unix epoch.
pub fn now_micros() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

/// Microseconds since the epoch as RFC 3339 in UTC, to the second (for messages).
pub fn format_instant(micros: i64) -> String {
    chrono::DateTime::from_timestamp_micros(micros)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
