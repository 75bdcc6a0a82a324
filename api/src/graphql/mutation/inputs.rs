//! The inputs of the model's mutations, as GraphQL takes them, and their translation
//! into the services' plain inputs (global ids decoded to row ids).

use async_graphql::{InputObject, MaybeUndefined, ID};
use entity::{function, journey, person, stage, touchpoint};
use service::storage::scoped::OrgScoped;
use service::{model::function as functions, model::journey as journeys, model::person as people};
use service::{model::responsibility as responsibilities, model::touchpoint as touchpoints};

use crate::graphql::ids::row;
use crate::graphql::types::enums::{ChannelEnum, ExperienceElementEnum, RaciRole};
use crate::graphql::types::window::Duration;

/// A reference that may be left as it is, cleared (`null`) or set.
fn change<E: OrgScoped>(id: MaybeUndefined<ID>) -> Option<Option<i64>> {
    Option::<Option<ID>>::from(id).map(|id| id.map(|id| row::<E>(&id)))
}

/// A new function.
#[derive(InputObject, Clone, Debug)]
pub struct CreateFunctionInput {
    /// Unique in the organization, compared case-insensitively.
    pub name: String,
    /// Whether this is a customer-experience team (handoffs to it are deferrals).
    #[graphql(default)]
    pub is_cx_team: bool,
    /// The function this one belongs to, if any.
    pub parent_id: Option<ID>,
    /// The HR system's id, unique in the organization.
    pub external_id: Option<String>,
}

impl From<CreateFunctionInput> for functions::NewFunction {
    fn from(input: CreateFunctionInput) -> Self {
        functions::NewFunction {
            name: input.name,
            is_cx_team: input.is_cx_team,
            parent_id: input.parent_id.map(|id| row::<function::Entity>(&id)),
            external_id: input.external_id,
        }
    }
}

/// Changes to a function; absent fields stay as they are, `null` clears.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateFunctionInput {
    /// New name, unique in the organization.
    pub name: Option<String>,
    /// Whether this is a customer-experience team.
    pub is_cx_team: Option<bool>,
    /// The function this one belongs to; `null` puts it at the top.
    pub parent_id: MaybeUndefined<ID>,
    /// The HR system's id; `null` clears it.
    pub external_id: MaybeUndefined<String>,
}

impl From<UpdateFunctionInput> for functions::FunctionChanges {
    fn from(input: UpdateFunctionInput) -> Self {
        functions::FunctionChanges {
            name: input.name,
            is_cx_team: input.is_cx_team,
            parent_id: change::<function::Entity>(input.parent_id),
            external_id: input.external_id.into(),
        }
    }
}

/// A new person.
#[derive(InputObject, Clone, Debug)]
pub struct CreatePersonInput {
    /// Full name.
    pub name: String,
    /// Unique in the organization, compared case-insensitively.
    pub email: String,
    /// The HR system's id, unique in the organization.
    pub external_id: Option<String>,
    /// The function the person works in.
    pub function_id: Option<ID>,
    /// Job title.
    pub title: Option<String>,
}

impl From<CreatePersonInput> for people::NewPerson {
    fn from(input: CreatePersonInput) -> Self {
        people::NewPerson {
            name: input.name,
            email: input.email,
            external_id: input.external_id,
            function_id: input.function_id.map(|id| row::<function::Entity>(&id)),
            title: input.title,
        }
    }
}

/// Changes to a person; absent fields stay as they are, `null` clears.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdatePersonInput {
    /// New full name.
    pub name: Option<String>,
    /// New email, unique in the organization.
    pub email: Option<String>,
    /// The HR system's id; `null` clears it.
    pub external_id: MaybeUndefined<String>,
    /// The function the person works in; `null` unassigns them.
    pub function_id: MaybeUndefined<ID>,
    /// Job title; `null` clears it.
    pub title: MaybeUndefined<String>,
}

impl From<UpdatePersonInput> for people::PersonChanges {
    fn from(input: UpdatePersonInput) -> Self {
        people::PersonChanges {
            name: input.name,
            email: input.email,
            external_id: input.external_id.into(),
            function_id: change::<function::Entity>(input.function_id),
            title: input.title.into(),
        }
    }
}

/// A new journey with its stages in order.
#[derive(InputObject, Clone, Debug)]
pub struct CreateJourneyInput {
    /// Unique in the organization, compared case-insensitively.
    pub name: String,
    /// Names of the stages, in order (at most 50).
    #[graphql(default)]
    pub stages: Vec<String>,
}

impl From<CreateJourneyInput> for journeys::NewJourney {
    fn from(input: CreateJourneyInput) -> Self {
        journeys::NewJourney {
            name: input.name,
            stages: input.stages,
        }
    }
}

/// Changes to a journey; absent fields stay as they are.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateJourneyInput {
    /// New name, unique in the organization.
    pub name: Option<String>,
}

impl From<UpdateJourneyInput> for journeys::JourneyChanges {
    fn from(input: UpdateJourneyInput) -> Self {
        journeys::JourneyChanges { name: input.name }
    }
}

/// A stage to add to a journey.
#[derive(InputObject, Clone, Debug)]
pub struct AddStageInput {
    /// The journey to add the stage to.
    pub journey_id: ID,
    /// The stage's name.
    pub name: String,
    /// Where the stage goes (0 is first); absent or past the end appends it.
    pub position: Option<i32>,
}

impl From<AddStageInput> for journeys::NewStage {
    fn from(input: AddStageInput) -> Self {
        journeys::NewStage {
            journey_id: row::<journey::Entity>(&input.journey_id),
            name: input.name,
            position: input.position,
        }
    }
}

/// Changes to a stage; absent fields stay as they are.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateStageInput {
    /// New name.
    pub name: Option<String>,
    /// The stage's new place among its journey's stages (0 is first).
    pub position: Option<i32>,
}

impl From<UpdateStageInput> for journeys::StageChanges {
    fn from(input: UpdateStageInput) -> Self {
        journeys::StageChanges {
            name: input.name,
            position: input.position,
        }
    }
}

/// A new touchpoint.
#[derive(InputObject, Clone, Debug)]
pub struct CreateTouchpointInput {
    /// Unique in the organization, compared case-insensitively.
    pub name: String,
    /// How the customer is met here.
    pub channel: ChannelEnum,
    /// The journey stage the touchpoint belongs to, if any.
    pub stage_id: Option<ID>,
    /// The experience the customer should have here.
    #[graphql(default)]
    pub experience: Vec<ExperienceElementEnum>,
    /// How soon the next interaction of a case should follow one here (1 second to
    /// 366 days); without it, PROMPT is not measured here.
    pub prompt_within: Option<Duration>,
}

impl From<CreateTouchpointInput> for touchpoints::NewTouchpoint {
    fn from(input: CreateTouchpointInput) -> Self {
        touchpoints::NewTouchpoint {
            name: input.name,
            channel: input.channel.into(),
            stage_id: input.stage_id.map(|id| row::<stage::Entity>(&id)),
            experience: input.experience.into_iter().map(Into::into).collect(),
            prompt_within: input.prompt_within.map(|d| d.0),
        }
    }
}

/// Changes to a touchpoint; absent fields stay as they are, `null` clears.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateTouchpointInput {
    /// New name, unique in the organization.
    pub name: Option<String>,
    /// New channel.
    pub channel: Option<ChannelEnum>,
    /// The journey stage; `null` takes the touchpoint off its journey.
    pub stage_id: MaybeUndefined<ID>,
    /// The new set of experience elements (replaces the old one).
    pub experience: Option<Vec<ExperienceElementEnum>>,
    /// The new `promptWithin`; `null` stops measuring PROMPT here. Recorded
    /// interactions are judged anew against it.
    pub prompt_within: MaybeUndefined<Duration>,
}

impl From<UpdateTouchpointInput> for touchpoints::TouchpointChanges {
    fn from(input: UpdateTouchpointInput) -> Self {
        touchpoints::TouchpointChanges {
            name: input.name,
            channel: input.channel.map(Into::into),
            stage_id: change::<stage::Entity>(input.stage_id),
            experience: input
                .experience
                .map(|list| list.into_iter().map(Into::into).collect()),
            prompt_within: match input.prompt_within {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(d) => Some(Some(d.0)),
            },
        }
    }
}

/// A function's role on a touchpoint.
#[derive(InputObject, Clone, Debug)]
pub struct AssignResponsibilityInput {
    /// The touchpoint the role is on.
    pub touchpoint_id: ID,
    /// The function that holds the role.
    pub function_id: ID,
    /// The RACI role; unique per (touchpoint, function, role).
    pub role: RaciRole,
    /// The person who carries the role for the function, if named.
    pub person_id: Option<ID>,
}

impl From<AssignResponsibilityInput> for responsibilities::NewResponsibility {
    fn from(input: AssignResponsibilityInput) -> Self {
        responsibilities::NewResponsibility {
            touchpoint_id: row::<touchpoint::Entity>(&input.touchpoint_id),
            function_id: row::<function::Entity>(&input.function_id),
            role: input.role.into(),
            person_id: input.person_id.map(|id| row::<person::Entity>(&id)),
        }
    }
}

/// Changes to a responsibility; `null` clears the named person.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateResponsibilityInput {
    /// The person carrying the role; `null` un-names them.
    pub person_id: MaybeUndefined<ID>,
}

impl From<UpdateResponsibilityInput> for responsibilities::ResponsibilityChanges {
    fn from(input: UpdateResponsibilityInput) -> Self {
        responsibilities::ResponsibilityChanges {
            person_id: change::<person::Entity>(input.person_id),
        }
    }
}
