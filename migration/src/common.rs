//! Pieces every table shares.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveIden)]
pub enum Organization {
    Table,
    Id,
}

/// The tenant column with its foreign key; every table but `organization` has one.
pub fn organization_id(table: impl IntoIden + 'static) -> (ColumnDef, ForeignKeyCreateStatement) {
    (
        big_integer("organization_id"),
        ForeignKey::create()
            .from(table, Alias::new("organization_id"))
            .to(Organization::Table, Organization::Id)
            .on_delete(ForeignKeyAction::Cascade)
            .to_owned(),
    )
}

/// A foreign key from `table.column` to `target.id`.
pub fn reference(
    table: impl IntoIden + 'static,
    column: &str,
    target: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(table, Alias::new(column))
        .to(target, Alias::new("id"))
        .to_owned()
}

/// `created_at` and `updated_at` in microseconds.
pub fn timestamps(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    table
        .col(big_integer("created_at"))
        .col(big_integer("updated_at"))
}

/// Creates an index (unique when asked) named `name` over `columns` of `table`.
pub async fn index(
    manager: &SchemaManager<'_>,
    name: &str,
    table: impl IntoIden + 'static,
    columns: &[&str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for column in columns {
        stmt.col(Alias::new(*column));
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt).await
}

/// PostgreSQL only: the statements that put `table` (with an `organization_id`) under
/// the row-level security of migration 12.
pub fn tenant_policy(table: &str) -> [String; 2] {
    let current = "NULLIF(current_setting('siloscope.organization_id', true), '')::bigint";
    [
        format!("ALTER TABLE {table} ENABLE ROW LEVEL SECURITY"),
        format!(
            "CREATE POLICY tenant_isolation ON {table} TO siloscope_tenant \
             USING (organization_id = {current}) WITH CHECK (organization_id = {current})"
        ),
    ]
}
