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
//! handles sees no organization's rows.//!
//! Its rooms: [`connect`] (pools, migrations, what a pooler needs) and [`writes`]
//! (the organization's lock, and what a long write needs of the database).

mod connect;
mod writes;

pub use connect::{explain_pooler, redact};
pub use writes::*;

use std::sync::Arc;

use anyhow::Context;
use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbBackend, DbErr, ExecResult,
    QueryResult, SqliteTransactionMode, Statement, TransactionOptions, TransactionTrait,
};

use crate::error::ServiceResult;

/// The role tenants' transactions run as (PostgreSQL).
pub(super) const TENANT_ROLE: &str = migration::m20261122_000012_row_level_security::TENANT_ROLE;

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
    /// pending schema migrations first when `migrate` is set; the service opens the
    /// database through `upgrade::open` (above this room), which runs the data upgrades after them.
    pub async fn connect(options: &DbOptions, migrate: bool) -> anyhow::Result<Db> {
        let url = options.url.as_str();
        let connected = if url.starts_with("postgres") {
            connect::connect_postgres(options, migrate).await
        } else {
            connect::connect_sqlite(url, options.max_connections, migrate).await
        };
        let db = connected
            .with_context(|| format!("failed to connect to the database ({})", redact(url)))?;
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
    pub async fn close(self) -> ServiceResult<()> {
        self.pool.close().await?;
        Ok(())
    }

    /// Whether the database answers (readiness).
    pub async fn ping(&self) -> ServiceResult<()> {
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
    pub async fn begin_write(&self) -> ServiceResult<DatabaseTransaction> {
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
    pub async fn begin_read(&self) -> ServiceResult<DatabaseTransaction> {
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
    pub async fn begin(&self) -> ServiceResult<DatabaseTransaction> {
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
