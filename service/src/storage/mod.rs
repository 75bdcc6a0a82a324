//! Storage: the database and how it is reached (the tenant and owner handles, the pooler
//! mode, migrations), statements that do not grow with a batch, reads and writes every
//! organization-scoped table shares, the keys the database keeps, and backups.

pub mod backup;
pub(crate) mod bulk;
pub mod db;
pub mod scoped;
pub mod scratch;
pub mod secret;
