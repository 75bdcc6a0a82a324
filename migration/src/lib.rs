//! Schema migrations, append-only, one file per step. They run unchanged on SQLite and
//! PostgreSQL. Instants are BIGINT microseconds since the Unix epoch.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261122_000001_create_organization;
mod m20261122_000002_create_function;
mod m20261122_000003_create_person;
mod m20261122_000004_create_journey_and_stage;
mod m20261122_000005_create_touchpoint;
mod m20261122_000006_create_responsibility;
mod m20261122_000007_create_acknowledgement;
mod m20261122_000008_create_customer_case;
mod m20261122_000009_create_interaction;
mod m20261122_000010_create_step;
mod m20261122_000011_create_daily_rollups;
pub mod m20261122_000012_row_level_security;
mod m20261129_000013_organization_calendar;
mod m20261129_000014_create_rollups;
mod m20261129_000015_directory_keys_and_audit;
mod m20261129_000016_chart_against_log;
mod m20261129_000017_live_and_webhooks;
mod m20261129_000018_production;
mod m20261207_000019_sources_and_keys;
mod m20261207_000020_content_keys;
mod m20261207_000021_feedback;
mod m20261208_000022_statement_integrity;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_create_organization::Migration),
            Box::new(m20261122_000002_create_function::Migration),
            Box::new(m20261122_000003_create_person::Migration),
            Box::new(m20261122_000004_create_journey_and_stage::Migration),
            Box::new(m20261122_000005_create_touchpoint::Migration),
            Box::new(m20261122_000006_create_responsibility::Migration),
            Box::new(m20261122_000007_create_acknowledgement::Migration),
            Box::new(m20261122_000008_create_customer_case::Migration),
            Box::new(m20261122_000009_create_interaction::Migration),
            Box::new(m20261122_000010_create_step::Migration),
            Box::new(m20261122_000011_create_daily_rollups::Migration),
            Box::new(m20261122_000012_row_level_security::Migration),
            Box::new(m20261129_000013_organization_calendar::Migration),
            Box::new(m20261129_000014_create_rollups::Migration),
            Box::new(m20261129_000015_directory_keys_and_audit::Migration),
            Box::new(m20261129_000016_chart_against_log::Migration),
            Box::new(m20261129_000017_live_and_webhooks::Migration),
            Box::new(m20261129_000018_production::Migration),
            Box::new(m20261207_000019_sources_and_keys::Migration),
            Box::new(m20261207_000020_content_keys::Migration),
            Box::new(m20261207_000021_feedback::Migration),
            Box::new(m20261208_000022_statement_integrity::Migration),
        ]
    }
}
