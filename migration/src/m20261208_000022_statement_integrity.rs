//! PostgreSQL only: the interaction table's references (its organization, case,
//! function, touchpoint and person) are checked once per statement instead of once
//! per row and reference. A foreign key runs a trigger for every row and key: five
//! lookups per interaction, which were two thirds of the time an import spent
//! inserting interactions. The checks here look at the statement's rows all at once,
//! through the same indexes, and are stricter than the keys were: the case, function,
//! touchpoint and person must belong to the interaction's own organization.
//!
//! - Rows inserted: one check per statement over its new rows (a transition table).
//! - Rows updated: a row trigger fires only when one of the references changes (the
//!   column list is checked without calling the trigger, so a redaction of a million
//!   notes checks nothing).
//! - A case, function, touchpoint or person deleted while an interaction still names
//!   it: the statement fails, unless the interaction's organization is being deleted
//!   (its interactions go with it, as the cascade did).
//!
//! What the keys did besides that they no longer do: lock the referenced row against
//! a concurrent delete. The service writes an organization's log under the
//! organization's lock (`begin_change`), and deletes a case only under it, so no
//! write of its own can race; the checks are for what the service does not expect.
//! No-op on SQLite, whose foreign keys stay (they cost a lookup, not a trigger).

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The foreign keys this migration replaces: (constraint, column, table referred to,
/// whether the column may be NULL).
const KEYS: &[(&str, &str, &str, bool)] = &[
    (
        "interaction_case_id_fkey",
        "case_id",
        "customer_case",
        false,
    ),
    (
        "interaction_function_id_fkey",
        "function_id",
        "function",
        false,
    ),
    (
        "interaction_touchpoint_id_fkey",
        "touchpoint_id",
        "touchpoint",
        true,
    ),
    ("interaction_person_id_fkey", "person_id", "person", true),
];

const ORGANIZATION_KEY: &str = "interaction_organization_id_fkey";

/// The check of a set of interaction rows named `rows`: every reference names a row
/// of the interaction's organization. One index probe per row and reference,
/// forced by `LATERAL … LIMIT 1` (a transition table has no statistics, and a hash
/// join would read the whole referred table for each statement).
fn check_rows(rows: &str) -> String {
    let mut checks = format!(
        "IF EXISTS (SELECT 1 FROM {rows} a WHERE NOT EXISTS \
           (SELECT 1 FROM public.organization o WHERE o.id = a.organization_id)) THEN \
           RAISE EXCEPTION 'an interaction names an organization that does not exist' \
             USING ERRCODE = 'foreign_key_violation'; \
         END IF;"
    );
    for (_, column, table, nullable) in KEYS {
        let null = if *nullable {
            format!("a.{column} IS NOT NULL AND ")
        } else {
            String::new()
        };
        checks.push_str(&format!(
            " IF EXISTS (SELECT 1 FROM {rows} a LEFT JOIN LATERAL \
                (SELECT 1 AS found FROM public.{table} t \
                 WHERE t.id = a.{column} AND t.organization_id = a.organization_id LIMIT 1) f \
                ON true WHERE {null}f.found IS NULL) THEN \
                RAISE EXCEPTION 'an interaction names a {table} that is not its organization''s' \
                  USING ERRCODE = 'foreign_key_violation'; \
              END IF;"
        ));
    }
    checks
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let db = manager.get_connection();
        let mut sql = String::new();
        for (constraint, ..) in KEYS {
            sql.push_str(&format!(
                "ALTER TABLE interaction DROP CONSTRAINT IF EXISTS {constraint};"
            ));
        }
        sql.push_str(&format!(
            "ALTER TABLE interaction DROP CONSTRAINT IF EXISTS {ORGANIZATION_KEY};"
        ));
        // The functions run as their owner (the migrating role), which row-level
        // security does not restrict: a check must see every organization's rows, as
        // a foreign key does.
        sql.push_str(&format!(
            "CREATE FUNCTION interaction_inserted() RETURNS trigger LANGUAGE plpgsql \
               SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ \
             BEGIN {} RETURN NULL; END $$;",
            check_rows("added")
        ));
        sql.push_str(&format!(
            "CREATE FUNCTION interaction_updated() RETURNS trigger LANGUAGE plpgsql \
               SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ \
             BEGIN {} RETURN NULL; END $$;",
            check_rows("(SELECT NEW.*)")
        ));
        sql.push_str(
            "CREATE TRIGGER interaction_inserted AFTER INSERT ON interaction \
               REFERENCING NEW TABLE AS added FOR EACH STATEMENT \
               EXECUTE FUNCTION interaction_inserted(); \
             CREATE TRIGGER interaction_updated AFTER UPDATE ON interaction FOR EACH ROW \
               WHEN (OLD.organization_id IS DISTINCT FROM NEW.organization_id \
                 OR OLD.case_id IS DISTINCT FROM NEW.case_id \
                 OR OLD.function_id IS DISTINCT FROM NEW.function_id \
                 OR OLD.touchpoint_id IS DISTINCT FROM NEW.touchpoint_id \
                 OR OLD.person_id IS DISTINCT FROM NEW.person_id) \
               EXECUTE FUNCTION interaction_updated();",
        );
        // A referred row deleted: fail while a living organization's interaction
        // names it.
        for (_, column, table, _) in KEYS {
            sql.push_str(&format!(
                "CREATE FUNCTION {table}_removed() RETURNS trigger LANGUAGE plpgsql \
                   SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ \
                 BEGIN \
                   IF EXISTS (SELECT 1 FROM removed r \
                     JOIN public.interaction i ON i.{column} = r.id \
                     JOIN public.organization o ON o.id = i.organization_id) THEN \
                     RAISE EXCEPTION 'a {table} still named by interactions cannot be deleted' \
                       USING ERRCODE = 'foreign_key_violation'; \
                   END IF; \
                   RETURN NULL; \
                 END $$; \
                 CREATE TRIGGER {table}_removed AFTER DELETE ON public.{table} \
                   REFERENCING OLD TABLE AS removed FOR EACH STATEMENT \
                   EXECUTE FUNCTION {table}_removed();"
            ));
        }
        // An organization deleted: its interactions go with it (the cascade).
        sql.push_str(
            "CREATE FUNCTION organization_removed() RETURNS trigger LANGUAGE plpgsql \
               SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$ \
             BEGIN \
               DELETE FROM public.interaction i USING removed r WHERE i.organization_id = r.id; \
               RETURN NULL; \
             END $$; \
             CREATE TRIGGER organization_removed AFTER DELETE ON public.organization \
               REFERENCING OLD TABLE AS removed FOR EACH STATEMENT \
               EXECUTE FUNCTION organization_removed();",
        );
        db.execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != sea_orm::DatabaseBackend::Postgres {
            return Ok(());
        }
        let mut sql = String::from(
            "DROP TRIGGER IF EXISTS interaction_inserted ON interaction; \
             DROP TRIGGER IF EXISTS interaction_updated ON interaction; \
             DROP FUNCTION IF EXISTS interaction_inserted(); \
             DROP FUNCTION IF EXISTS interaction_updated(); \
             DROP TRIGGER IF EXISTS organization_removed ON organization; \
             DROP FUNCTION IF EXISTS organization_removed();",
        );
        for (constraint, column, table, _) in KEYS {
            sql.push_str(&format!(
                "DROP TRIGGER IF EXISTS {table}_removed ON {table}; \
                 DROP FUNCTION IF EXISTS {table}_removed(); \
                 ALTER TABLE interaction ADD CONSTRAINT {constraint} \
                   FOREIGN KEY ({column}) REFERENCES {table}(id);"
            ));
        }
        sql.push_str(&format!(
            "ALTER TABLE interaction ADD CONSTRAINT {ORGANIZATION_KEY} \
               FOREIGN KEY (organization_id) REFERENCES organization(id) ON DELETE CASCADE;"
        ));
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }
}
