//! Changing the organization's model.

use async_graphql::{Context, Object, ID};
use entity::{function as functions, journey as journeys, person as people};
use entity::{responsibility as responsibilities, stage as stages, touchpoint as touchpoints};
use service::model::responsibility::Acknowledger;
use service::storage::scoped::set_archived;
use service::{
    model::function, model::journey, model::person, model::responsibility, model::touchpoint,
    ServiceResult,
};

use super::inputs::{
    AddStageInput, AssignResponsibilityInput, CreateFunctionInput, CreateJourneyInput,
    CreatePersonInput, CreateTouchpointInput, UpdateFunctionInput, UpdateJourneyInput,
    UpdatePersonInput, UpdateResponsibilityInput, UpdateStageInput, UpdateTouchpointInput,
};
use super::payload;
use crate::graphql::context::{db, org_for, viewer};
use crate::graphql::ids::row;
use crate::graphql::types::chart::{
    Acknowledgement, Function, Journey, Person, Responsibility, Stage, Touchpoint,
};
use crate::server::auth::may;

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
pub struct ChartMutation;

#[Object]
impl ChartMutation {
    /// Creates a function. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn create_function(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new function.")] input: CreateFunctionInput,
    ) -> ServiceResult<FunctionPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        FunctionPayload::from_write(
            function::create(db(ctx)?, org, input.into()).await,
            Function,
        )
    }

    /// Changes a function. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn update_function(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the function to change.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields keep their values.")]
        input: UpdateFunctionInput,
    ) -> ServiceResult<FunctionPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        FunctionPayload::from_write(
            function::update(db(ctx)?, org, row::<functions::Entity>(&id), input.into()).await,
            Function,
        )
    }

    /// Archives (or, with `archived: false`, restores) a function. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn archive_function(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the function to archive or bring back.")] id: ID,
        #[graphql(
            default = true,
            desc = "`true` (the default) archives it; `false` brings it back."
        )]
        archived: bool,
    ) -> ServiceResult<FunctionPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        FunctionPayload::from_write(
            function::set_archived(db(ctx)?, org, row::<functions::Entity>(&id), archived).await,
            Function,
        )
    }

    /// Creates a person. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn create_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new person.")] input: CreatePersonInput,
    ) -> ServiceResult<PersonPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        PersonPayload::from_write(person::create(db(ctx)?, org, input.into()).await, Person)
    }

    /// Changes a person. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn update_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the person to change.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields keep their values.")]
        input: UpdatePersonInput,
    ) -> ServiceResult<PersonPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        PersonPayload::from_write(
            person::update(db(ctx)?, org, row::<people::Entity>(&id), input.into()).await,
            Person,
        )
    }

    /// Archives (or restores) a person. Roles: EDITOR, INTEGRATION, ADMIN.
    async fn archive_person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the person to archive or bring back.")] id: ID,
        #[graphql(
            default = true,
            desc = "`true` (the default) archives it; `false` brings it back."
        )]
        archived: bool,
    ) -> ServiceResult<PersonPayload> {
        let org = org_for(ctx, may::SYNC_PEOPLE)?;
        PersonPayload::from_write(
            person::set_archived(db(ctx)?, org, row::<people::Entity>(&id), archived).await,
            Person,
        )
    }

    /// Creates a journey with its stages. Roles: EDITOR, ADMIN.
    async fn create_journey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new journey.")] input: CreateJourneyInput,
    ) -> ServiceResult<JourneyPayload> {
        let org = org_for(ctx, may::EDIT)?;
        JourneyPayload::from_write(journey::create(db(ctx)?, org, input.into()).await, Journey)
    }

    /// Renames a journey. Roles: EDITOR, ADMIN.
    async fn update_journey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the journey to change.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields keep their values.")]
        input: UpdateJourneyInput,
    ) -> ServiceResult<JourneyPayload> {
        let org = org_for(ctx, may::EDIT)?;
        JourneyPayload::from_write(
            journey::update(db(ctx)?, org, row::<journeys::Entity>(&id), input.into()).await,
            Journey,
        )
    }

    /// Archives (or restores) a journey. Roles: EDITOR, ADMIN.
    async fn archive_journey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the journey to archive or bring back.")] id: ID,
        #[graphql(
            default = true,
            desc = "`true` (the default) archives it; `false` brings it back."
        )]
        archived: bool,
    ) -> ServiceResult<JourneyPayload> {
        let org = org_for(ctx, may::EDIT)?;
        JourneyPayload::from_write(
            set_archived::<journeys::Entity>(db(ctx)?, org, row::<journeys::Entity>(&id), archived)
                .await,
            Journey,
        )
    }

    /// Adds a stage to a journey. Roles: EDITOR, ADMIN.
    async fn add_stage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new stage.")] input: AddStageInput,
    ) -> ServiceResult<StagePayload> {
        let org = org_for(ctx, may::EDIT)?;
        StagePayload::from_write(journey::add_stage(db(ctx)?, org, input.into()).await, Stage)
    }

    /// Renames or moves a stage. Roles: EDITOR, ADMIN.
    async fn update_stage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the stage to change.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields keep their values.")]
        input: UpdateStageInput,
    ) -> ServiceResult<StagePayload> {
        let org = org_for(ctx, may::EDIT)?;
        StagePayload::from_write(
            journey::update_stage(db(ctx)?, org, row::<stages::Entity>(&id), input.into()).await,
            Stage,
        )
    }

    /// Removes a stage; its touchpoints stay, without a stage. Roles: EDITOR, ADMIN.
    async fn remove_stage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the stage to remove.")] id: ID,
    ) -> ServiceResult<StagePayload> {
        let org = org_for(ctx, may::EDIT)?;
        StagePayload::from_write(
            journey::remove_stage(db(ctx)?, org, row::<stages::Entity>(&id)).await,
            Stage,
        )
    }

    /// Creates a touchpoint. Roles: EDITOR, ADMIN.
    async fn create_touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The new touchpoint.")] input: CreateTouchpointInput,
    ) -> ServiceResult<TouchpointPayload> {
        let org = org_for(ctx, may::EDIT)?;
        TouchpointPayload::from_write(
            touchpoint::create(db(ctx)?, org, input.into()).await,
            Touchpoint,
        )
    }

    /// Changes a touchpoint. Roles: EDITOR, ADMIN.
    async fn update_touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the touchpoint to change.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields keep their values.")]
        input: UpdateTouchpointInput,
    ) -> ServiceResult<TouchpointPayload> {
        let org = org_for(ctx, may::EDIT)?;
        TouchpointPayload::from_write(
            touchpoint::update(db(ctx)?, org, row::<touchpoints::Entity>(&id), input.into()).await,
            Touchpoint,
        )
    }

    /// Archives (or restores) a touchpoint. Roles: EDITOR, ADMIN.
    async fn archive_touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the touchpoint to archive or bring back.")] id: ID,
        #[graphql(
            default = true,
            desc = "`true` (the default) archives it; `false` brings it back."
        )]
        archived: bool,
    ) -> ServiceResult<TouchpointPayload> {
        let org = org_for(ctx, may::EDIT)?;
        TouchpointPayload::from_write(
            set_archived::<touchpoints::Entity>(
                db(ctx)?,
                org,
                row::<touchpoints::Entity>(&id),
                archived,
            )
            .await,
            Touchpoint,
        )
    }

    /// Gives a function a RACI role on a touchpoint. Roles: EDITOR, ADMIN.
    async fn assign_responsibility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint, the function and the role.")]
        input: AssignResponsibilityInput,
    ) -> ServiceResult<ResponsibilityPayload> {
        let org = org_for(ctx, may::EDIT)?;
        ResponsibilityPayload::from_write(
            responsibility::assign(db(ctx)?, org, input.into()).await,
            Responsibility,
        )
    }

    /// Names (or, with `null`, un-names) the person carrying a responsibility. Roles: EDITOR, ADMIN.
    async fn update_responsibility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the responsibility to change.")] id: ID,
        #[graphql(desc = "The fields to change; omitted fields keep their values.")]
        input: UpdateResponsibilityInput,
    ) -> ServiceResult<ResponsibilityPayload> {
        let org = org_for(ctx, may::EDIT)?;
        ResponsibilityPayload::from_write(
            responsibility::update(
                db(ctx)?,
                org,
                row::<responsibilities::Entity>(&id),
                input.into(),
            )
            .await,
            Responsibility,
        )
    }

    /// Removes a responsibility and its acknowledgements. Roles: EDITOR, ADMIN.
    async fn remove_responsibility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the responsibility to remove.")] id: ID,
    ) -> ServiceResult<ResponsibilityPayload> {
        let org = org_for(ctx, may::EDIT)?;
        ResponsibilityPayload::from_write(
            responsibility::remove(db(ctx)?, org, row::<responsibilities::Entity>(&id)).await,
            Responsibility,
        )
    }

    /// Records that a person knows a responsibility of their function. Any role may
    /// acknowledge for the person whose email or externalId is the token's subject;
    /// EDITOR and ADMIN may for anyone. Acknowledging twice keeps the first.
    async fn acknowledge_responsibility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The global id of the responsibility.")] responsibility_id: ID,
        #[graphql(
            desc = "The global id of the person acknowledging it (a VIEWER may only name themselves)."
        )]
        person_id: ID,
    ) -> ServiceResult<AcknowledgementPayload> {
        let viewer = viewer(ctx)?;
        let by = if may::EDIT.iter().any(|role| viewer.has(*role)) {
            Acknowledger::Anyone
        } else {
            Acknowledger::Only(&viewer.subject)
        };
        AcknowledgementPayload::from_write_with(
            responsibility::acknowledge(
                db(ctx)?,
                viewer.organization_id,
                by,
                row::<responsibilities::Entity>(&responsibility_id),
                row::<people::Entity>(&person_id),
            )
            .await,
            Acknowledgement,
            super::Arguments::Own,
        )
    }
}
