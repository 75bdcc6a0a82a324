use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::common::{timestamps, Organization};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Org {
    DeferralPhrases,
    BurdenPhrases,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut table = Table::create();
        table
            .table(Organization::Table)
            .col(big_pk_auto(Organization::Id))
            .col(string_len_uniq("slug", 64))
            .col(string_len("name", 200))
            .col(text(Org::DeferralPhrases))
            .col(text(Org::BurdenPhrases));
        manager
            .create_table(timestamps(&mut table).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Organization::Table).to_owned())
            .await
    }
}
