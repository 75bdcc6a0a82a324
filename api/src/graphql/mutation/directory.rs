//! Syncing an HR system's export of functions and people.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use service::model::directory::sync::{self, SyncCounts, SyncOutcome};
use service::ServiceResult;

use super::{argument_errors, UserError};
use crate::graphql::context::{db, org_for, written};
use crate::server::auth::may;

#[derive(Default)]
pub struct DirectoryMutation;

/// Whether a sync also archives what the payload no longer holds.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(
    remote = "service::model::directory::sync::SyncMode",
    rename_items = "SCREAMING_SNAKE_CASE"
)]
pub enum SyncMode {
    /// Create and update; leave the rest as it is.
    Merge,
    /// Create and update, and archive the functions and people with an `externalId`
    /// the payload no longer holds (rows without one are left alone).
    Mirror,
}

/// A function of the HR system.
#[derive(InputObject)]
pub struct DirectoryFunctionInput {
    /// Its id in the HR system: what it is matched by (else by name, which sets it).
    pub external_id: String,
    /// Its name, unique in the organization.
    pub name: String,
    /// The HR id of the function it belongs to (in this payload or synced before).
    pub parent_external_id: Option<String>,
    /// Whether it is a customer-experience team.
    #[graphql(default)]
    pub is_cx_team: bool,
}

/// A person of the HR system.
#[derive(InputObject)]
pub struct DirectoryPersonInput {
    /// Their id in the HR system: what they are matched by (else by email, which sets it).
    pub external_id: String,
    /// Their name.
    pub name: String,
    /// Their email address, unique in the organization.
    pub email: String,
    /// Their job title.
    pub title: Option<String>,
    /// The HR id of their function.
    pub function_external_id: Option<String>,
}

/// What `syncDirectory` is to do.
#[derive(InputObject)]
pub struct SyncDirectoryInput {
    /// MERGE, or MIRROR to also archive what the payload no longer holds.
    pub mode: SyncMode,
    /// Only compute the plan; write nothing.
    #[graphql(default)]
    pub dry_run: bool,
    /// The functions (at most 20,000).
    #[graphql(default)]
    pub functions: Vec<DirectoryFunctionInput>,
    /// The people (at most 20,000).
    #[graphql(default)]
    pub people: Vec<DirectoryPersonInput>,
}

/// How many rows of a kind a sync created, updated, archived and left as they were,
/// and which (by name): what a dry run would do, before it is done.
#[derive(SimpleObject, Default)]
pub struct SyncCountsOutput {
    /// Created.
    pub created: i64,
    /// Changed (restored ones included).
    pub updated: i64,
    /// Archived (MIRROR only: rows the sync manages that the payload no longer holds).
    pub archived: i64,
    /// Left as they were.
    pub unchanged: i64,
    /// The names of those created (the first 1,000).
    pub created_names: Vec<String>,
    /// The names of those changed (the first 1,000).
    pub updated_names: Vec<String>,
    /// The names of those archived (the first 1,000).
    pub archived_names: Vec<String>,
}

impl From<SyncCounts> for SyncCountsOutput {
    fn from(c: SyncCounts) -> Self {
        SyncCountsOutput {
            created: c.created,
            updated: c.updated,
            archived: c.archived,
            unchanged: c.unchanged,
            created_names: c.created_names,
            updated_names: c.updated_names,
            archived_names: c.archived_names,
        }
    }
}

/// The result of `syncDirectory`.
#[derive(SimpleObject, Default)]
pub struct SyncDirectoryPayload {
    /// The functions' counts; `null` when `userErrors` is not empty.
    pub functions: Option<SyncCountsOutput>,
    /// The people's counts; `null` when `userErrors` is not empty.
    pub people: Option<SyncCountsOutput>,
    /// Whether this was a dry run (nothing written).
    pub dry_run: bool,
    /// What the caller must fix (paths like `["people", "3", "functionExternalId"]`);
    /// when not empty nothing was written.
    pub user_errors: Vec<UserError>,
}

impl From<SyncOutcome> for SyncDirectoryPayload {
    fn from(o: SyncOutcome) -> Self {
        SyncDirectoryPayload {
            functions: Some(o.functions.into()),
            people: Some(o.people.into()),
            dry_run: o.dry_run,
            user_errors: Vec::new(),
        }
    }
}

#[Object]
impl DirectoryMutation {
    /// Syncs an HR export of functions and people by their HR ids, atomically: MERGE
    /// creates and updates, MIRROR also archives the rows the sync manages (it created
    /// or took them over) that the export no longer holds (never what an identity
    /// provider provisioned over SCIM or the API made), a dry run only reports what
    /// would change, by name, and the same export twice changes nothing. A function's parent is named by HR id; parents that go round in a
    /// cycle, or an unknown function, are user errors. Roles: INTEGRATION, ADMIN.
    async fn sync_directory(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The export and how to apply it.")] input: SyncDirectoryInput,
    ) -> ServiceResult<SyncDirectoryPayload> {
        let org = org_for(ctx, may::PROVISION)?;
        let request = sync::SyncRequest {
            mode: input.mode.into(),
            dry_run: input.dry_run,
            functions: input
                .functions
                .into_iter()
                .map(|f| sync::SyncFunction {
                    external_id: f.external_id,
                    name: f.name,
                    parent_external_id: f.parent_external_id,
                    is_cx_team: f.is_cx_team,
                })
                .collect(),
            people: input
                .people
                .into_iter()
                .map(|p| sync::SyncPerson {
                    external_id: p.external_id,
                    name: p.name,
                    email: p.email,
                    title: p.title,
                    function_external_id: p.function_external_id,
                })
                .collect(),
        };
        Ok(match written(sync::sync(db(ctx)?, org, request).await)? {
            Ok(outcome) => outcome.into(),
            Err(errors) => SyncDirectoryPayload {
                user_errors: argument_errors(errors),
                ..Default::default()
            },
        })
    }
}
