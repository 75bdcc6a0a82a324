//! Recording the interaction log and changing the organization's settings.

use async_graphql::{Context, InputObject, Object, SimpleObject};

use super::payload;
use crate::auth::may;
use crate::error::ApiResult;
use crate::graphql::context::{db, viewer};
use crate::graphql::types::model::Organization;
use crate::service::interaction::{record, InteractionInput};
use crate::service::UserError;

/// What `recordInteractions` did.
#[derive(SimpleObject, Default)]
pub struct RecordInteractionsPayload {
    /// Interactions newly recorded (0 when `userErrors` is not empty).
    pub recorded: i64,
    /// Items already recorded with the same content (by externalId), left as they were.
    pub duplicates: i64,
    /// SILO handoffs the affected cases have now minus before this call.
    pub new_silo_handoffs: i64,
    /// Every bad item, by index; when not empty nothing was written.
    pub user_errors: Vec<UserError>,
}

/// New phrase lists; an absent list stays as it is.
#[derive(InputObject, Default)]
pub struct UpdateSettingsInput {
    /// Phrases that mark deferral language (matched lower-cased, as substrings; at most 200).
    pub deferral_phrases: Option<Vec<String>>,
    /// Phrases that mark a burden left to the customer (same rules).
    pub burden_phrases: Option<Vec<String>>,
}

payload!(
    /// The result of `updateSettings`.
    SettingsPayload, organization, Organization
);

#[derive(Default)]
pub struct InteractionMutation;

#[Object]
impl InteractionMutation {
    /// Records up to 10,000 interactions atomically: when any item is invalid nothing
    /// is written and `userErrors` lists every bad item by index. Re-sending an item
    /// with the same externalId and content is a harmless duplicate; with other
    /// content it is a CONFLICT. Handoffs of the affected cases are re-derived, so
    /// late and out-of-order interactions land in their place.
    /// Roles: EDITOR, INTEGRATION, ADMIN.
    async fn record_interactions(
        &self,
        ctx: &Context<'_>,
        input: Vec<InteractionInput>,
    ) -> ApiResult<RecordInteractionsPayload> {
        let viewer = viewer(ctx)?;
        viewer.require(may::RECORD)?;
        Ok(
            match record(db(ctx)?, viewer.organization_id, input).await? {
                Ok(done) => {
                    if let Some(metrics) = ctx.data_opt::<crate::observe::Metrics>() {
                        metrics.recorded.inc_by(done.recorded.max(0) as u64);
                    }
                    RecordInteractionsPayload {
                        recorded: done.recorded,
                        duplicates: done.duplicates,
                        new_silo_handoffs: done.new_silo_handoffs,
                        user_errors: Vec::new(),
                    }
                }
                Err(user_errors) => RecordInteractionsPayload {
                    user_errors,
                    ..Default::default()
                },
            },
        )
    }

    /// Replaces the organization's phrase lists; every report after the change uses
    /// them (recorded interactions are re-marked in the same transaction). Role: ADMIN.
    async fn update_settings(
        &self,
        ctx: &Context<'_>,
        input: UpdateSettingsInput,
    ) -> ApiResult<SettingsPayload> {
        let viewer = viewer(ctx)?;
        viewer.require(may::ADMINISTER)?;
        Ok(crate::service::organization::update_phrases(
            db(ctx)?,
            viewer.organization_id,
            input.deferral_phrases,
            input.burden_phrases,
        )
        .await?
        .map(Organization)
        .into())
    }
}
