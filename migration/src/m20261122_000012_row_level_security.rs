//! PostgreSQL only: row-level security keyed on the request's organization, so that
//! a query that forgot its `organization_id` filter still cannot see or touch another
//! organization's rows. Requests run as the role `siloscope_tenant` with the setting
//! `siloscope.organization_id` (see `api::db`); the owner role that migrates and
//! authenticates is not subject to the policies. No-op on SQLite, where the service
//! layer's filters are the isolation.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Every table whose rows belong to one organization, by its `organization_id`.
const SCOPED: &[&str] = &[
    "function",
    "person",
    "journey",
    "stage",
    "touchpoint",
    "responsibility",
    "acknowledgement",
    "customer_case",
    "interaction",
    "step",
    "step_daily",
    "step_daily_entry",
];

/// The role requests run as.
pub const TENANT_ROLE: &str = "siloscope_tenant";

/// The organization a request may see; unset means none.
const CURRENT: &str = "NULLIF(current_setting('siloscope.organization_id', true), '')::bigint";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        // The role is cluster-wide: another database (or a concurrent migration) may
        // have created it already.
        db.execute_unprepared(&format!(
            "DO $$ BEGIN
               IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{TENANT_ROLE}') THEN
                 CREATE ROLE {TENANT_ROLE} NOLOGIN;
               END IF;
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
             END $$;
             DO $$ BEGIN
               EXECUTE format('GRANT {TENANT_ROLE} TO %I', current_user);
             EXCEPTION WHEN OTHERS THEN NULL;
             END $$;
             GRANT USAGE ON SCHEMA public TO {TENANT_ROLE};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {TENANT_ROLE};
             GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {TENANT_ROLE};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
               GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {TENANT_ROLE};
             ALTER DEFAULT PRIVILEGES IN SCHEMA public
               GRANT USAGE, SELECT ON SEQUENCES TO {TENANT_ROLE};"
        ))
        .await?;
        let mut statements = vec![
            "ALTER TABLE organization ENABLE ROW LEVEL SECURITY".to_owned(),
            format!(
                "CREATE POLICY tenant_isolation ON organization TO {TENANT_ROLE} \
                 USING (id = {CURRENT}) WITH CHECK (id = {CURRENT})"
            ),
        ];
        for table in SCOPED {
            statements.push(format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"));
            statements.push(format!(
                "CREATE POLICY tenant_isolation ON {table} TO {TENANT_ROLE} \
                 USING (organization_id = {CURRENT}) WITH CHECK (organization_id = {CURRENT})"
            ));
        }
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        for table in std::iter::once(&"organization").chain(SCOPED) {
            db.execute_unprepared(&format!(
                "DROP POLICY IF EXISTS tenant_isolation ON {table}; \
                 ALTER TABLE {table} DISABLE ROW LEVEL SECURITY"
            ))
            .await?;
        }
        db.execute_unprepared(&format!(
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {TENANT_ROLE}; \
             REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {TENANT_ROLE}; \
             REVOKE USAGE ON SCHEMA public FROM {TENANT_ROLE}"
        ))
        .await?;
        Ok(())
    }
}
