//! The organization's model: functions, people, journeys, touchpoints, responsibilities.

use async_graphql::{Context, Object, ID};
use entity::{
    acknowledgement, function, journey, organization, person, responsibility, stage, touchpoint,
};
use service::model::touchpoint::ExperienceElement;
use service::storage::scoped::OrgScoped;
use service::ServiceResult;

use super::enums::{ChannelEnum, ExperienceElementEnum, RaciRole};
use super::window::{instant, Duration, Instant};
use crate::graphql::context::{self, db};
use crate::graphql::ids::global;
use crate::graphql::loader::{self, ResponsibilitiesOf};
use crate::server::auth::AccessRole;

/// The tenant: every record belongs to one organization.
pub struct Organization(pub organization::Model);

/// The tenant: every record belongs to one organization.
#[Object]
impl Organization {
    /// The slug tokens name in their `org` claim.
    async fn slug(&self) -> &str {
        &self.0.slug
    }
    /// The organization's display name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Phrases that mark a note as deferral language (lower-case substrings).
    async fn deferral_phrases(&self) -> ServiceResult<Vec<String>> {
        Ok(service::model::organization::phrases(&self.0)?
            .0
            .as_slice()
            .to_vec())
    }
    /// Phrases that mark a note as a burden left to the customer (lower-case substrings).
    async fn burden_phrases(&self) -> ServiceResult<Vec<String>> {
        Ok(service::model::organization::phrases(&self.0)?
            .1
            .as_slice()
            .to_vec())
    }
    /// Interactions a touchpoint needs in a window before `touchpointOwnership` makes
    /// findings on it (default 20).
    async fn min_interactions(&self) -> i32 {
        self.0.min_interactions
    }
    /// Answers a survey kind needs in a window before `voiceReport` judges whether its
    /// scores hide the silos (default 30).
    async fn min_responses(&self) -> i32 {
        self.0.min_responses
    }
    /// The IANA time zone (default `UTC`) in which days, weeks, months and years of
    /// reports and trends begin at local midnight.
    async fn time_zone(&self) -> &str {
        &self.0.time_zone
    }
    /// Days interactions are kept, counted from when each occurred; older ones are
    /// deleted on a schedule (`setRetention`). `null`: kept for ever.
    async fn retention_days(&self) -> Option<i32> {
        self.0.retention_days
    }
    /// `null` while no interaction was deleted by retention; else the log, and every
    /// figure read from it, is complete from this instant on.
    async fn complete_from(&self) -> Option<Instant> {
        self.0.complete_from.map(instant)
    }
}

/// Who the token says the caller is.
pub struct ViewerInfo {
    pub subject: String,
    pub roles: Vec<AccessRole>,
    pub organization: organization::Model,
}

/// Who the token says the caller is.
#[Object(name = "Viewer")]
impl ViewerInfo {
    /// The token's `sub`.
    async fn subject(&self) -> &str {
        &self.subject
    }
    /// The token's roles.
    async fn roles(&self) -> &[AccessRole] {
        &self.roles
    }
    /// The token's organization.
    async fn organization(&self) -> Organization {
        Organization(self.organization.clone())
    }
}

async fn load<E>(
    ctx: &Context<'_>,
    _organization_id: i64,
    id: Option<i64>,
) -> ServiceResult<Option<E::Model>>
where
    E: OrgScoped + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
{
    loader::one::<E>(context::loader(ctx)?, id).await
}

async fn responsibilities_of(
    ctx: &Context<'_>,
    of: ResponsibilitiesOf,
) -> ServiceResult<Vec<Responsibility>> {
    Ok(context::loader(ctx)?
        .load_one(of)
        .await?
        .unwrap_or_default()
        .into_iter()
        .map(Responsibility)
        .collect())
}

/// A department or team.
#[derive(Clone)]
pub struct Function(pub function::Model);

/// A department or team.
#[Object]
impl Function {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global::<function::Entity>(self.0.id)
    }
    /// Unique in the organization, case-insensitively.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Whether this is a customer-experience team: handoffs to it are deferrals to CX.
    async fn is_cx_team(&self) -> bool {
        self.0.is_cx_team
    }
    /// The HR system's id; `null` when not synced from one.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// Archived functions are left out of ownership findings; their history stays in reports.
    async fn archived(&self) -> bool {
        self.0.archived
    }
    /// The function this one belongs to; `null` at the top of the hierarchy.
    async fn parent(&self, ctx: &Context<'_>) -> ServiceResult<Option<Function>> {
        Ok(
            load::<function::Entity>(ctx, self.0.organization_id, self.0.parent_id)
                .await?
                .map(Function),
        )
    }
    /// The function's RACI roles on touchpoints. (Its members, the people a directory
    /// or a sync put in it: `people(filter: { memberOf: <its id> })`.)
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn responsibilities(&self, ctx: &Context<'_>) -> ServiceResult<Vec<Responsibility>> {
        responsibilities_of(ctx, ResponsibilitiesOf::Function(self.0.id)).await
    }
}

/// An employee.
#[derive(Clone)]
pub struct Person(pub person::Model);

/// An employee.
#[Object]
impl Person {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global::<person::Entity>(self.0.id)
    }
    /// Full name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Unique in the organization, case-insensitively.
    async fn email(&self) -> &str {
        &self.0.email
    }
    /// The HR system's id; `null` when not synced from one.
    async fn external_id(&self) -> Option<&str> {
        self.0.external_id.as_deref()
    }
    /// Job title; `null` when unknown.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// When `erasePerson` replaced the name, email and ids with a pseudonym; `null`
    /// unless erased.
    async fn erased_at(&self) -> Option<Instant> {
        self.0.erased_at.map(instant)
    }
    /// Archived people stay readable and no longer count for acknowledgement coverage.
    async fn archived(&self) -> bool {
        self.0.archived
    }
    /// The function the person works in (their responsibilities are counted there: the
    /// oldest of their memberships); `null` when unassigned.
    async fn function(&self, ctx: &Context<'_>) -> ServiceResult<Option<Function>> {
        Ok(
            load::<function::Entity>(ctx, self.0.organization_id, self.0.function_id)
                .await?
                .map(Function),
        )
    }
    /// Every function the person is a member of, oldest membership first.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn functions(&self, ctx: &Context<'_>) -> ServiceResult<Vec<Function>> {
        let loader = context::loader(ctx)?;
        let ids = loader
            .load_one(crate::graphql::loader::MembershipsOf(self.0.id))
            .await?
            .unwrap_or_default();
        let found = loader
            .load_many(
                ids.iter()
                    .map(|id| crate::graphql::loader::ById::<function::Entity>::new(*id)),
            )
            .await?;
        Ok(ids
            .iter()
            .filter_map(|id| found.get(&crate::graphql::loader::ById::new(*id)).cloned())
            .map(Function)
            .collect())
    }
}

/// A customer journey and its ordered stages.
#[derive(Clone)]
pub struct Journey(pub journey::Model);

/// A customer journey and its ordered stages.
#[Object]
impl Journey {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global::<journey::Entity>(self.0.id)
    }
    /// Unique in the organization, case-insensitively.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Archived journeys stay readable; lists can filter them out.
    async fn archived(&self) -> bool {
        self.0.archived
    }
    /// The stages in order.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn stages(&self, ctx: &Context<'_>) -> ServiceResult<Vec<Stage>> {
        Ok(
            service::model::journey::stages(db(ctx)?, self.0.organization_id, self.0.id)
                .await?
                .into_iter()
                .map(Stage)
                .collect(),
        )
    }
}

/// One stage of a journey.
#[derive(Clone)]
pub struct Stage(pub stage::Model);

/// One stage of a journey.
#[Object]
impl Stage {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global::<stage::Entity>(self.0.id)
    }
    /// The stage's name (two journeys may have stages of the same name).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Place among the journey's stages, from 0.
    async fn position(&self) -> i32 {
        self.0.position
    }
    /// The journey the stage belongs to.
    async fn journey(&self, ctx: &Context<'_>) -> ServiceResult<Option<Journey>> {
        Ok(
            load::<journey::Entity>(ctx, self.0.organization_id, Some(self.0.journey_id))
                .await?
                .map(Journey),
        )
    }
    /// The touchpoints of this stage.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn touchpoints(&self, ctx: &Context<'_>) -> ServiceResult<Vec<Touchpoint>> {
        Ok(
            service::model::touchpoint::of_stage(db(ctx)?, self.0.organization_id, self.0.id)
                .await?
                .into_iter()
                .map(Touchpoint)
                .collect(),
        )
    }
}

/// A point where the business meets the customer.
#[derive(Clone)]
pub struct Touchpoint(pub touchpoint::Model);

/// A point where the business meets the customer.
#[Object]
impl Touchpoint {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global::<touchpoint::Entity>(self.0.id)
    }
    /// Unique in the organization, case-insensitively.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// How the customer is met here.
    async fn channel(&self) -> ChannelEnum {
        self.0.channel.into()
    }
    /// The experience the customer should have here.
    async fn experience(&self) -> Vec<ExperienceElementEnum> {
        ExperienceElement::load(&self.0.experience)
            .into_iter()
            .map(Into::into)
            .collect()
    }
    /// How soon each interaction here promises the customer the next one (unless it
    /// waits on the customer); `null` when no such promise is made, and PROMPT is not
    /// measured here.
    async fn prompt_within(&self) -> Option<Duration> {
        self.0.prompt_within.map(Duration)
    }
    /// Archived touchpoints are left out of ownership findings; their history stays in reports.
    async fn archived(&self) -> bool {
        self.0.archived
    }
    /// The journey stage; `null` when the touchpoint is not placed on a journey.
    async fn stage(&self, ctx: &Context<'_>) -> ServiceResult<Option<Stage>> {
        Ok(
            load::<stage::Entity>(ctx, self.0.organization_id, self.0.stage_id)
                .await?
                .map(Stage),
        )
    }
    /// Who holds which RACI role here.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn responsibilities(&self, ctx: &Context<'_>) -> ServiceResult<Vec<Responsibility>> {
        responsibilities_of(ctx, ResponsibilitiesOf::Touchpoint(self.0.id)).await
    }
}

/// A function's RACI role on a touchpoint.
#[derive(Clone)]
pub struct Responsibility(pub responsibility::Model);

/// A function's RACI role on a touchpoint.
#[Object]
impl Responsibility {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global::<responsibility::Entity>(self.0.id)
    }
    /// The RACI role.
    async fn role(&self) -> RaciRole {
        self.0.role.into()
    }
    /// The touchpoint the role is on.
    async fn touchpoint(&self, ctx: &Context<'_>) -> ServiceResult<Option<Touchpoint>> {
        Ok(
            load::<touchpoint::Entity>(ctx, self.0.organization_id, Some(self.0.touchpoint_id))
                .await?
                .map(Touchpoint),
        )
    }
    /// The function that holds the role.
    async fn function(&self, ctx: &Context<'_>) -> ServiceResult<Option<Function>> {
        Ok(
            load::<function::Entity>(ctx, self.0.organization_id, Some(self.0.function_id))
                .await?
                .map(Function),
        )
    }
    /// The person named for the role; `null` when nobody is named.
    async fn person(&self, ctx: &Context<'_>) -> ServiceResult<Option<Person>> {
        Ok(
            load::<person::Entity>(ctx, self.0.organization_id, self.0.person_id)
                .await?
                .map(Person),
        )
    }
    /// Who has confirmed they know this responsibility.
    #[graphql(complexity = "crate::graphql::NESTED_LIST_COST * child_complexity")]
    async fn acknowledgements(&self, ctx: &Context<'_>) -> ServiceResult<Vec<Acknowledgement>> {
        Ok(service::model::responsibility::acknowledgements(
            db(ctx)?,
            self.0.organization_id,
            self.0.id,
        )
        .await?
        .into_iter()
        .map(Acknowledgement)
        .collect())
    }
}

/// A person's confirmation that they know a responsibility of their function.
#[derive(Clone)]
pub struct Acknowledgement(pub acknowledgement::Model);

/// A person's confirmation that they know a responsibility of their function.
#[Object]
impl Acknowledgement {
    /// Who acknowledged.
    async fn person(&self, ctx: &Context<'_>) -> ServiceResult<Option<Person>> {
        Ok(
            load::<person::Entity>(ctx, self.0.organization_id, Some(self.0.person_id))
                .await?
                .map(Person),
        )
    }
    /// What they acknowledged.
    async fn responsibility(&self, ctx: &Context<'_>) -> ServiceResult<Option<Responsibility>> {
        Ok(load::<responsibility::Entity>(
            ctx,
            self.0.organization_id,
            Some(self.0.responsibility_id),
        )
        .await?
        .map(Responsibility))
    }
    /// When.
    async fn acknowledged_at(&self) -> Instant {
        instant(self.0.acknowledged_at)
    }
}

/// A person's membership of a function, as a directory (SCIM) or a sync records it.
#[derive(Clone)]
pub struct Membership(pub entity::membership::Model);

/// A person's membership of a function, as a directory (SCIM) or a sync records it.
#[Object]
impl Membership {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        global::<entity::membership::Entity>(self.0.id)
    }
    /// The function.
    async fn function(&self, ctx: &Context<'_>) -> ServiceResult<Option<Function>> {
        Ok(
            load::<function::Entity>(ctx, self.0.organization_id, Some(self.0.function_id))
                .await?
                .map(Function),
        )
    }
    /// The member.
    async fn person(&self, ctx: &Context<'_>) -> ServiceResult<Option<Person>> {
        Ok(
            load::<person::Entity>(ctx, self.0.organization_id, Some(self.0.person_id))
                .await?
                .map(Person),
        )
    }
    /// Since when.
    async fn since(&self) -> Instant {
        instant(self.0.created_at)
    }
}
