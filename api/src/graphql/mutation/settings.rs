//! Changing the organization's settings: phrase lists, time zone, the least cases
//! to judge a touchpoint by.

use async_graphql::{Context, InputObject, Object};
use service::ServiceResult;

use super::payload;
use crate::graphql::context::{db, org_for};
use crate::graphql::types::chart::Organization;
use crate::server::auth::may;

/// New settings; an absent one stays as it is.
#[derive(InputObject, Default)]
pub struct UpdateSettingsInput {
    /// Phrases that mark deferral language (matched lower-cased, as substrings; at most 200).
    pub deferral_phrases: Option<Vec<String>>,
    /// Phrases that mark a burden left to the customer (same rules).
    pub burden_phrases: Option<Vec<String>>,
    /// The organization's time zone, an IANA name such as `Europe/Berlin` or `UTC`:
    /// days, weeks, months and years of reports and trends begin at its local
    /// midnight from the change on (past figures are re-bucketed in the same
    /// transaction).
    pub time_zone: Option<String>,
    /// Interactions a touchpoint needs in a window before `touchpointOwnership` makes
    /// findings on it (1 to 1,000,000).
    pub min_interactions: Option<i32>,
    /// Answers a survey kind needs in a window before `voiceReport` judges whether its
    /// scores hide the silos (1 to 1,000,000; 30 at first).
    pub min_responses: Option<i32>,
}

payload!(
    /// The result of `updateSettings`.
    SettingsPayload, organization, Organization
);

/// Changing the organization's settings.
#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Changes the organization's phrase lists or time zone; every report after the
    /// change uses them (recorded interactions are re-marked and the rollups rebuilt
    /// in the same transaction). Role: ADMIN.
    async fn update_settings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The settings to change; omitted ones keep their values.")]
        input: UpdateSettingsInput,
    ) -> ServiceResult<SettingsPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        SettingsPayload::from_write(
            service::model::organization::update_settings(
                db(ctx)?,
                org,
                service::model::organization::SettingsChanges {
                    deferral_phrases: input.deferral_phrases,
                    burden_phrases: input.burden_phrases,
                    time_zone: input.time_zone,
                    min_interactions: input.min_interactions,
                    min_responses: input.min_responses,
                },
            )
            .await,
            Organization,
        )
    }
}
