//! Changing the organization's model.

use async_graphql::{Context, Object, ID};

use super::payload;
use crate::auth::may;
use crate::error::ApiResult;
use crate::graphql::context::{db, viewer};
use crate::graphql::types::model::{
    Acknowledgement, Function, Journey, Person, Responsibility, Stage, Touchpoint,
};
use crate::service::function::{CreateFunctionInput, UpdateFunctionInput};
use crate::service::journey::{
    AddStageInput, CreateJourneyInput, UpdateJourneyInput, UpdateStageInput,
};
use crate::service::person::{CreatePersonInput, UpdatePersonInput};
use crate::service::responsibility::{AssignResponsibilityInput, UpdateResponsibilityInput};
use crate::service::scoped::set_archived;
use crate::service::touchpoint::{CreateTouchpointInput, UpdateTouchpointInput};
use crate::service::{function, journey, person, responsibility, touchpoint};

payload!(
    /// The result of a function mutation.
    FunctionPayload, function, Function
);
payload!(
    /// The result of a person mutation.
    PersonPayload, person, Person
);
payload!(
    /// The result of a journey mutation.
    JourneyPayload, journey, Journey
);
payload!(
    /// The result of a stage mutation.
    StagePayload, stage, Stage
);
payload!(
    /// The result of a touchpoint mutation.
    TouchpointPayload, touchpoint, Touchpoint
);
payload!(
    /// The result of a responsibility mutation.
    ResponsibilityPayload, responsibility, Responsibility
);
payload!(
    /// The result of `acknowledgeResponsibility`.
    AcknowledgementPayload, acknowledgement, Acknowledgement
);

#[derive(Default)]
pub struct ModelMutation;

/// The organization of a caller holding one of `roles`.
fn org_for(ctx: &Context<'_>, roles: &[crate::auth::AccessRole]) -> ApiResult<i64> {
    let viewer = viewer(ctx)?;
    viewer.require(roles)?;
    Ok(viewer.organization_id)
}

#[Object]
impl ModelMutation {
    /// Creates a function. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn create_function(
        &self,
        ctx: &Context<'_>,
        input: CreateFunctionInput,
    ) -> ApiResult<FunctionPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        Ok(function::create(db(ctx)?, org, input)
            .await?
            .map(Function)
            .into())
    }

    /// Changes a function. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn update_function(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateFunctionInput,
    ) -> ApiResult<FunctionPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        Ok(function::update(db(ctx)?, org, &id, input)
            .await?
            .map(Function)
            .into())
    }

    /// Archives (or, with `archived: false`, restores) a function. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn archive_function(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = true)] archived: bool,
    ) -> ApiResult<FunctionPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        Ok(
            set_archived::<entity::function::Entity>(db(ctx)?, org, &id, archived)
                .await?
                .map(Function)
                .into(),
        )
    }

    /// Creates a person. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn create_person(
        &self,
        ctx: &Context<'_>,
        input: CreatePersonInput,
    ) -> ApiResult<PersonPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        Ok(person::create(db(ctx)?, org, input)
            .await?
            .map(Person)
            .into())
    }

    /// Changes a person. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePersonInput,
    ) -> ApiResult<PersonPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        Ok(person::update(db(ctx)?, org, &id, input)
            .await?
            .map(Person)
            .into())
    }

    /// Archives (or restores) a person. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn archive_person(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = true)] archived: bool,
    ) -> ApiResult<PersonPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        Ok(
            set_archived::<entity::person::Entity>(db(ctx)?, org, &id, archived)
                .await?
                .map(Person)
                .into(),
        )
    }

    /// Creates a journey with its stages. Roles: EDITOR, ADMIN.
    async fn create_journey(
        &self,
        ctx: &Context<'_>,
        input: CreateJourneyInput,
    ) -> ApiResult<JourneyPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(journey::create(db(ctx)?, org, input)
            .await?
            .map(Journey)
            .into())
    }

    /// Renames a journey. Roles: EDITOR, ADMIN.
    async fn update_journey(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateJourneyInput,
    ) -> ApiResult<JourneyPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(journey::update(db(ctx)?, org, &id, input)
            .await?
            .map(Journey)
            .into())
    }

    /// Archives (or restores) a journey. Roles: EDITOR, ADMIN.
    async fn archive_journey(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = true)] archived: bool,
    ) -> ApiResult<JourneyPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(
            set_archived::<entity::journey::Entity>(db(ctx)?, org, &id, archived)
                .await?
                .map(Journey)
                .into(),
        )
    }

    /// Adds a stage to a journey. Roles: EDITOR, ADMIN.
    async fn add_stage(&self, ctx: &Context<'_>, input: AddStageInput) -> ApiResult<StagePayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(journey::add_stage(db(ctx)?, org, input)
            .await?
            .map(Stage)
            .into())
    }

    /// Renames or moves a stage. Roles: EDITOR, ADMIN.
    async fn update_stage(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateStageInput,
    ) -> ApiResult<StagePayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(journey::update_stage(db(ctx)?, org, &id, input)
            .await?
            .map(Stage)
            .into())
    }

    /// Removes a stage; its touchpoints stay, without a stage. Roles: EDITOR, ADMIN.
    async fn remove_stage(&self, ctx: &Context<'_>, id: ID) -> ApiResult<StagePayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(journey::remove_stage(db(ctx)?, org, &id)
            .await?
            .map(Stage)
            .into())
    }

    /// Creates a touchpoint. Roles: EDITOR, ADMIN.
    async fn create_touchpoint(
        &self,
        ctx: &Context<'_>,
        input: CreateTouchpointInput,
    ) -> ApiResult<TouchpointPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(touchpoint::create(db(ctx)?, org, input)
            .await?
            .map(Touchpoint)
            .into())
    }

    /// Changes a touchpoint. Roles: EDITOR, ADMIN.
    async fn update_touchpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTouchpointInput,
    ) -> ApiResult<TouchpointPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(touchpoint::update(db(ctx)?, org, &id, input)
            .await?
            .map(Touchpoint)
            .into())
    }

    /// Archives (or restores) a touchpoint. Roles: EDITOR, ADMIN.
    async fn archive_touchpoint(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default = true)] archived: bool,
    ) -> ApiResult<TouchpointPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(
            set_archived::<entity::touchpoint::Entity>(db(ctx)?, org, &id, archived)
                .await?
                .map(Touchpoint)
                .into(),
        )
    }

    /// Gives a function a RACI role on a touchpoint. Roles: EDITOR, ADMIN.
    async fn assign_responsibility(
        &self,
        ctx: &Context<'_>,
        input: AssignResponsibilityInput,
    ) -> ApiResult<ResponsibilityPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(responsibility::assign(db(ctx)?, org, input)
            .await?
            .map(Responsibility)
            .into())
    }

    /// Names (or, with `null`, un-names) the person carrying a responsibility. Roles: EDITOR, ADMIN.
    async fn update_responsibility(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateResponsibilityInput,
    ) -> ApiResult<ResponsibilityPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(responsibility::update(db(ctx)?, org, &id, input)
            .await?
            .map(Responsibility)
            .into())
    }

    /// Removes a responsibility and its acknowledgements. Roles: EDITOR, ADMIN.
    async fn remove_responsibility(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<ResponsibilityPayload> {
        let org = org_for(ctx, may::EDIT)?;
        Ok(responsibility::remove(db(ctx)?, org, &id)
            .await?
            .map(Responsibility)
            .into())
    }

    /// Records that a person knows a responsibility of their function. Any role may
    /// acknowledge for the person whose email or externalId is the token's subject;
    /// EDITOR and ADMIN may for anyone. Acknowledging twice keeps the first.
    async fn acknowledge_responsibility(
        &self,
        ctx: &Context<'_>,
        responsibility_id: ID,
        person_id: ID,
    ) -> ApiResult<AcknowledgementPayload> {
        let viewer = viewer(ctx)?;
        Ok(
            responsibility::acknowledge(db(ctx)?, viewer, &responsibility_id, &person_id)
                .await?
                .map(Acknowledgement)
                .into(),
        )
    }
}
