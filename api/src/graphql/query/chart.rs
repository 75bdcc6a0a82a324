//! Reading the organization's model.

use async_graphql::{Context, InputObject, Object, ID};
use entity::{function, journey, person, responsibility, stage, touchpoint};
use service::storage::scoped::{find, OrgScoped};
use service::{ServiceError, ServiceResult};

use crate::graphql::context::{db, page_request, viewer};
use crate::graphql::ids::{self, row};
use crate::graphql::types::case::{Handoff, Interaction};
use crate::graphql::types::chart::{
    Function, Journey, Organization, Person, Responsibility, Stage, Touchpoint, ViewerInfo,
};
use crate::graphql::types::connection::{
    list, FunctionConnection, JourneyConnection, PersonConnection, ResponsibilityConnection,
    TouchpointConnection,
};
use crate::graphql::types::enums::{ChannelEnum, RaciRole};
use crate::graphql::types::node::Node;

#[derive(Default)]
pub struct ChartQuery;

/// Filters of `functions`; all given ones must hold.
#[derive(InputObject, Default)]
pub struct FunctionFilter {
    /// Name contains this, case-insensitively.
    pub name: Option<String>,
    /// Archived (true) or live (false); absent lists both.
    pub archived: Option<bool>,
    /// CX teams (true) or the other functions (false).
    pub is_cx_team: Option<bool>,
    /// Functions directly below this one.
    pub parent_id: Option<ID>,
    /// The function with this HR id (exactly).
    pub external_id: Option<String>,
}

/// Filters of `people`; all given ones must hold.
#[derive(InputObject, Default)]
pub struct PersonFilter {
    /// Name or email contains this, case-insensitively.
    pub name: Option<String>,
    /// Archived (true) or live (false); absent lists both.
    pub archived: Option<bool>,
    /// People whose function this is.
    pub function_id: Option<ID>,
    /// Members of this function (a person may be a member of several).
    pub member_of: Option<ID>,
    /// The person with this HR id (exactly).
    pub external_id: Option<String>,
}

/// Filters of `journeys`.
#[derive(InputObject, Default)]
pub struct JourneyFilter {
    /// Name contains this, case-insensitively.
    pub name: Option<String>,
    /// Archived (true) or live (false); absent lists both.
    pub archived: Option<bool>,
}

/// Filters of `touchpoints`; all given ones must hold.
#[derive(InputObject, Default)]
pub struct TouchpointFilter {
    /// Name contains this, case-insensitively.
    pub name: Option<String>,
    /// Archived (true) or live (false); absent lists both.
    pub archived: Option<bool>,
    /// Touchpoints of this channel.
    pub channel: Option<ChannelEnum>,
    /// Touchpoints of this journey stage.
    pub stage_id: Option<ID>,
    /// Touchpoints on which this function has any role.
    pub function_id: Option<ID>,
}

/// Filters of `responsibilities`; all given ones must hold.
#[derive(InputObject, Default)]
pub struct ResponsibilityFilter {
    /// Roles on this touchpoint.
    pub touchpoint_id: Option<ID>,
    /// Roles of this function.
    pub function_id: Option<ID>,
    /// Roles of this kind.
    pub role: Option<RaciRole>,
}

/// The row of entity `E` a global id names, in the caller's organization.
async fn by_id<E: OrgScoped>(ctx: &Context<'_>, id: &ID) -> ServiceResult<Option<E::Model>> {
    find::<E>(db(ctx)?, viewer(ctx)?.organization_id, row::<E>(id)).await
}

/// A filter's reference: an id of the wrong kind matches nothing.
fn filter_id<E: OrgScoped>(id: &Option<ID>) -> Option<i64> {
    id.as_ref().map(row::<E>)
}

#[Object]
impl ChartQuery {
    /// Who the token says the caller is.
    async fn viewer(&self, ctx: &Context<'_>) -> ServiceResult<ViewerInfo> {
        let viewer = viewer(ctx)?;
        let organization =
            service::model::organization::get(db(ctx)?, viewer.organization_id).await?;
        let mut roles: Vec<_> = viewer.roles.iter().copied().collect();
        roles.sort_by_key(|r| format!("{r:?}"));
        Ok(ViewerInfo {
            subject: viewer.subject.clone(),
            roles,
            organization,
        })
    }

    /// The token's organization and its settings.
    async fn organization(&self, ctx: &Context<'_>) -> ServiceResult<Organization> {
        let viewer = viewer(ctx)?;
        Ok(Organization(
            service::model::organization::get(db(ctx)?, viewer.organization_id).await?,
        ))
    }

    /// Any record by its global id; `null` when it does not exist in the organization.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global id, as any `id` field gives it.")] id: ID,
    ) -> ServiceResult<Option<Node>> {
        let org = viewer(ctx)?.organization_id;
        let db = db(ctx)?;
        let Some((kind, row)) = ids::node(&id) else {
            return Ok(None);
        };
        Ok(match kind.as_str() {
            "Function" => find::<function::Entity>(db, org, row)
                .await?
                .map(|m| Node::Function(Function(m))),
            "Person" => find::<person::Entity>(db, org, row)
                .await?
                .map(|m| Node::Person(Person(m))),
            "Journey" => find::<journey::Entity>(db, org, row)
                .await?
                .map(|m| Node::Journey(Journey(m))),
            "Stage" => find::<stage::Entity>(db, org, row)
                .await?
                .map(|m| Node::Stage(Stage(m))),
            "Touchpoint" => find::<touchpoint::Entity>(db, org, row)
                .await?
                .map(|m| Node::Touchpoint(Touchpoint(m))),
            "Responsibility" => find::<responsibility::Entity>(db, org, row)
                .await?
                .map(|m| Node::Responsibility(Responsibility(m))),
            "Interaction" => service::reports::handoff::interaction(db, org, row)
                .await?
                .map(|i| Node::Interaction(Interaction(i))),
            "Handoff" => service::reports::handoff::get(db, org, row)
                .await?
                .map(|h| Node::Handoff(Handoff(h))),
            "Membership" => find::<entity::membership::Entity>(db, org, row)
                .await?
                .map(|m| Node::Membership(crate::graphql::types::chart::Membership(m))),
            // What administrators read, to administrators only (others get `null`, as
            // for any id they cannot see).
            "ApiKey" | "Webhook" | "AuditEvent"
                if !viewer(ctx)?.has(crate::server::auth::AccessRole::Admin) =>
            {
                None
            }
            "ApiKey" => find::<entity::api_key::Entity>(db, org, row)
                .await?
                .map(|m| Node::ApiKey(crate::graphql::types::admin::ApiKey(m))),
            "Webhook" => find::<entity::webhook::Entity>(db, org, row)
                .await?
                .map(|m| Node::Webhook(crate::graphql::types::live::Webhook(m))),
            "AuditEvent" => find::<entity::audit_event::Entity>(db, org, row)
                .await?
                .map(|m| Node::AuditEvent(crate::graphql::types::admin::AuditEvent(m))),
            _ => None,
        })
    }

    /// A function by its id or by its HR id (give exactly one); `null` when the
    /// organization has none.
    async fn function(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The function's global id.")] id: Option<ID>,
        #[graphql(desc = "The function's id in the HR system.")] external_id: Option<String>,
    ) -> ServiceResult<Option<Function>> {
        match (id, external_id) {
            (Some(id), None) => Ok(by_id::<function::Entity>(ctx, &id).await?.map(Function)),
            (None, Some(external_id)) => {
                let org = viewer(ctx)?.organization_id;
                Ok(
                    service::model::function::by_external_id(db(ctx)?, org, &external_id)
                        .await?
                        .map(Function),
                )
            }
            _ => Err(ServiceError::bad_input(
                "give exactly one of `id` and `externalId`",
            )),
        }
    }

    /// The organization's functions, by creation.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn functions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Which rows; every condition given must hold (all when omitted).")]
        filter: Option<FunctionFilter>,
    ) -> ServiceResult<FunctionConnection> {
        let request = page_request::<function::Entity>(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = service::model::function::FunctionFilter {
            name: filter.name,
            archived: filter.archived,
            is_cx_team: filter.is_cx_team,
            parent_id: filter_id::<function::Entity>(&filter.parent_id),
            external_id: filter.external_id,
        };
        let org = viewer(ctx)?.organization_id;
        let page = service::model::function::list(db(ctx)?, org, &filter, request).await?;
        Ok(list::<function::Entity, _, _>(page, |m| m.id, Function))
    }

    /// A person by their id or by their HR id (give exactly one); `null` when the
    /// organization has none.
    async fn person(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The person's global id.")] id: Option<ID>,
        #[graphql(desc = "The person's id in the HR system.")] external_id: Option<String>,
    ) -> ServiceResult<Option<Person>> {
        match (id, external_id) {
            (Some(id), None) => Ok(by_id::<person::Entity>(ctx, &id).await?.map(Person)),
            (None, Some(external_id)) => {
                let org = viewer(ctx)?.organization_id;
                Ok(
                    service::model::person::by_external_id(db(ctx)?, org, &external_id)
                        .await?
                        .map(Person),
                )
            }
            _ => Err(ServiceError::bad_input(
                "give exactly one of `id` and `externalId`",
            )),
        }
    }

    /// The organization's people, by creation.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Which rows; every condition given must hold (all when omitted).")]
        filter: Option<PersonFilter>,
    ) -> ServiceResult<PersonConnection> {
        let request = page_request::<person::Entity>(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = service::model::person::PersonFilter {
            name: filter.name,
            archived: filter.archived,
            function_id: filter_id::<function::Entity>(&filter.function_id),
            member_of: filter_id::<function::Entity>(&filter.member_of),
            external_id: filter.external_id,
        };
        let org = viewer(ctx)?.organization_id;
        let page = service::model::person::list(db(ctx)?, org, &filter, request).await?;
        Ok(list::<person::Entity, _, _>(page, |m| m.id, Person))
    }

    /// A journey by id; `null` when it does not exist in the organization.
    async fn journey(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The journey's global id.")] id: ID,
    ) -> ServiceResult<Option<Journey>> {
        Ok(by_id::<journey::Entity>(ctx, &id).await?.map(Journey))
    }

    /// The organization's journeys, by creation.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn journeys(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Which rows; every condition given must hold (all when omitted).")]
        filter: Option<JourneyFilter>,
    ) -> ServiceResult<JourneyConnection> {
        let request = page_request::<journey::Entity>(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = service::model::journey::JourneyFilter {
            name: filter.name,
            archived: filter.archived,
        };
        let org = viewer(ctx)?.organization_id;
        let page = service::model::journey::list(db(ctx)?, org, &filter, request).await?;
        Ok(list::<journey::Entity, _, _>(page, |m| m.id, Journey))
    }

    /// A touchpoint by id; `null` when it does not exist in the organization.
    async fn touchpoint(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The touchpoint's global id.")] id: ID,
    ) -> ServiceResult<Option<Touchpoint>> {
        Ok(by_id::<touchpoint::Entity>(ctx, &id).await?.map(Touchpoint))
    }

    /// The organization's touchpoints, by creation.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn touchpoints(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Which rows; every condition given must hold (all when omitted).")]
        filter: Option<TouchpointFilter>,
    ) -> ServiceResult<TouchpointConnection> {
        let request = page_request::<touchpoint::Entity>(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = service::model::touchpoint::TouchpointFilter {
            name: filter.name,
            archived: filter.archived,
            channel: filter.channel.map(Into::into),
            stage_id: filter_id::<stage::Entity>(&filter.stage_id),
            function_id: filter_id::<function::Entity>(&filter.function_id),
        };
        let org = viewer(ctx)?.organization_id;
        let page = service::model::touchpoint::list(db(ctx)?, org, &filter, request).await?;
        Ok(list::<touchpoint::Entity, _, _>(page, |m| m.id, Touchpoint))
    }

    /// A responsibility by id; `null` when it does not exist in the organization.
    async fn responsibility(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The responsibility's global id.")] id: ID,
    ) -> ServiceResult<Option<Responsibility>> {
        Ok(by_id::<responsibility::Entity>(ctx, &id)
            .await?
            .map(Responsibility))
    }

    /// The organization's responsibilities, by creation.
    #[graphql(complexity = "crate::graphql::list_cost(first, child_complexity)")]
    async fn responsibilities(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100 (default 20).")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
        #[graphql(desc = "Which rows; every condition given must hold (all when omitted).")]
        filter: Option<ResponsibilityFilter>,
    ) -> ServiceResult<ResponsibilityConnection> {
        let request = page_request::<responsibility::Entity>(ctx, first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let filter = service::model::responsibility::ResponsibilityFilter {
            touchpoint_id: filter_id::<touchpoint::Entity>(&filter.touchpoint_id),
            function_id: filter_id::<function::Entity>(&filter.function_id),
            role: filter.role.map(Into::into),
        };
        let org = viewer(ctx)?.organization_id;
        let page = service::model::responsibility::list(db(ctx)?, org, &filter, request).await?;
        Ok(list::<responsibility::Entity, _, _>(
            page,
            |m| m.id,
            Responsibility,
        ))
    }
}
