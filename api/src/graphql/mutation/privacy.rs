//! Personal data's lifetime: the retention period, erasing a person, redacting notes
//! (docs/rules.md §8). Each is ADMIN-only, atomic and audited.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use entity::person;
use service::ServiceResult;

use super::chart::PersonPayload;
use super::settings::SettingsPayload;
use super::{argument_errors, Arguments, UserError};
use crate::graphql::context::{db, org_for, written};
use crate::graphql::ids::row;
use crate::graphql::types::chart::{Organization, Person};
use crate::graphql::types::window::Instant;
use crate::server::auth::may;

#[derive(Default)]
pub struct PrivacyMutation;

/// Which interactions' notes `redactInteractions` blanks: every criterion given must
/// hold, and at least one must be given.
#[derive(InputObject, Default)]
pub struct RedactInteractionsFilter {
    /// Interactions recorded with these externalIds (at most 1,000).
    pub external_ids: Option<Vec<String>>,
    /// Interactions of these cases (at most 1,000).
    pub case_refs: Option<Vec<String>>,
    /// Interactions that occurred before this instant.
    pub occurred_before: Option<Instant>,
    /// Notes containing this text (at most 1,000 characters), compared
    /// case-insensitively.
    pub note_contains: Option<String>,
}

/// The result of `redactInteractions`.
#[derive(SimpleObject, Default)]
pub struct RedactInteractionsPayload {
    /// Notes blanked (interactions without a note are not counted).
    pub redacted: i32,
    /// Feedback comments blanked: those about the cases named, offered or made before
    /// `occurredBefore`, or containing `noteContains` (`externalIds` name interactions
    /// only).
    pub comments_redacted: i32,
    /// What the caller must fix; empty on success.
    pub user_errors: Vec<UserError>,
}

#[Object]
impl PrivacyMutation {
    /// Sets how many days interactions are kept, counted from when each occurred
    /// (1–36,500), or with `null` keeps them for ever. Each server deletes older ones
    /// on a schedule (`SILOSCOPE_RETENTION_INTERVAL_SECONDS`), re-deriving their cases
    /// as if they had never been recorded; `Organization.completeFrom` and
    /// `SiloReport.completeFrom` then say from when the log is complete. Role: ADMIN.
    async fn set_retention(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Days to keep interactions; `null`: keep them for ever.")] days: Option<
            i32,
        >,
    ) -> ServiceResult<SettingsPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        SettingsPayload::from_write_with(
            service::log::retention::set_period(db(ctx)?, org, days).await,
            Organization,
            Arguments::Own,
        )
    }

    /// Erases a person: their name, email, external id and user name are replaced by a
    /// pseudonym in their record, in the audit trail and in interaction notes that
    /// quote them, in one transaction. The person's interactions, and every count, stay.
    /// Cannot be undone; erasing again changes nothing. Role: ADMIN.
    async fn erase_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the person to erase.")] id: ID,
    ) -> ServiceResult<PersonPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        PersonPayload::from_write(
            service::log::erasure::erase_person(db(ctx)?, org, row::<person::Entity>(&id)).await,
            Person,
        )
    }

    /// Blanks the notes of the interactions that match, in one transaction. The flags
    /// their notes earned when recorded (deferral language, customer burden) stay, and
    /// are no longer re-marked when the phrase lists change (docs/rules.md §8). Role:
    /// ADMIN.
    async fn redact_interactions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which interactions' notes to blank.")] filter: RedactInteractionsFilter,
    ) -> ServiceResult<RedactInteractionsPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        let occurred_before = match Instant::input_micros(
            filter.occurred_before,
            service::Field::within("filter", "occurred_before"),
        ) {
            Ok(micros) => micros,
            Err(error) => {
                return Ok(RedactInteractionsPayload {
                    user_errors: argument_errors(vec![error]),
                    ..Default::default()
                })
            }
        };
        let filter = service::log::erasure::RedactFilter {
            external_ids: filter.external_ids,
            case_refs: filter.case_refs,
            occurred_before,
            note_contains: filter.note_contains,
        };
        Ok(
            match written(service::log::erasure::redact_interactions(db(ctx)?, org, filter).await)?
            {
                Ok(done) => RedactInteractionsPayload {
                    redacted: i32::try_from(done.redacted).unwrap_or(i32::MAX),
                    comments_redacted: i32::try_from(done.comments_redacted).unwrap_or(i32::MAX),
                    user_errors: Vec::new(),
                },
                Err(errors) => RedactInteractionsPayload {
                    user_errors: argument_errors(errors),
                    ..Default::default()
                },
            },
        )
    }
}
