use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{index, organization_id, reference, timestamps};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Person {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let (org, org_fk) = organization_id(Person::Table);
        let mut table = Table::create();
        table
            .table(Person::Table)
            .col(big_pk_auto(Person::Id))
            .col(org)
            .col(string_len("name", 200))
            .col(string_len("email", 320))
            .col(string_len("email_key", 320))
            .col(string_len_null("external_id", 200))
            .col(big_integer_null("function_id"))
            .col(string_len_null("title", 200))
            .col(boolean("archived"))
            .foreign_key(&mut org_fk.to_owned())
            .foreign_key(&mut reference(
                Person::Table,
                "function_id",
                Alias::new("function"),
            ));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await?;
        index(
            manager,
            "ux_person_email",
            Person::Table,
            &["organization_id", "email_key"],
            true,
        )
        .await?;
        index(
            manager,
            "ux_person_external_id",
            Person::Table,
            &["organization_id", "external_id"],
            true,
        )
        .await?;
        index(
            manager,
            "ix_person_function",
            Person::Table,
            &["function_id"],
            false,
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Person::Table).to_owned())
            .await
    }
}
