//! Reading the organization's model.

use async_graphql::{Context, InputObject, Object, ID};
use entity::{function, journey, person, responsibility, touchpoint};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect, QueryTrait};

use crate::error::ApiResult;
use crate::graphql::context::{db, page_args, viewer, wants_total};
use crate::graphql::types::analytics::{Interaction, Names};
use crate::graphql::types::connection::{list, List};
use crate::graphql::types::enums::{ChannelEnum, RoleEnum};
use crate::graphql::types::model::{
    Function, Journey, Node, Organization, Person, Responsibility, Stage, Touchpoint, ViewerInfo,
};
use crate::ids;
use crate::service::scoped::{find, in_org, load, page};

#[derive(Default)]
pub struct ModelQuery;

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
}

/// Filters of `people`; all given ones must hold.
#[derive(InputObject, Default)]
pub struct PersonFilter {
    /// Name or email contains this, case-insensitively.
    pub name: Option<String>,
    /// Archived (true) or live (false); absent lists both.
    pub archived: Option<bool>,
    /// People of this function.
    pub function_id: Option<ID>,
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
    pub role: Option<RoleEnum>,
}

/// A row id from a filter's global id; an id of the wrong kind matches nothing.
fn filter_id<E: crate::service::scoped::OrgScoped>(id: &ID) -> i64 {
    ids::decode::<E>(id).unwrap_or(-1)
}

#[Object]
impl ModelQuery {
    /// Who the token says the caller is.
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<ViewerInfo> {
        let viewer = viewer(ctx)?;
        let organization =
            crate::service::organization::get(db(ctx)?, viewer.organization_id).await?;
        let mut roles: Vec<_> = viewer.roles.iter().copied().collect();
        roles.sort_by_key(|r| format!("{r:?}"));
        Ok(ViewerInfo {
            subject: viewer.subject.clone(),
            roles,
            organization,
        })
    }

    /// The token's organization and its settings.
    async fn organization(&self, ctx: &Context<'_>) -> ApiResult<Organization> {
        let viewer = viewer(ctx)?;
        Ok(Organization(
            crate::service::organization::get(db(ctx)?, viewer.organization_id).await?,
        ))
    }

    /// Any record by its global id; `null` when it does not exist in the organization.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Node>> {
        let org = viewer(ctx)?.organization_id;
        let db = db(ctx)?;
        let Some((kind, row)) = ids::decode_any(&id) else {
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
            "Stage" => find::<entity::stage::Entity>(db, org, row)
                .await?
                .map(|m| Node::Stage(Stage(m))),
            "Touchpoint" => find::<touchpoint::Entity>(db, org, row)
                .await?
                .map(|m| Node::Touchpoint(Touchpoint(m))),
            "Responsibility" => find::<responsibility::Entity>(db, org, row)
                .await?
                .map(|m| Node::Responsibility(Responsibility(m))),
            "Interaction" => match find::<entity::interaction::Entity>(db, org, row).await? {
                Some(model) => Some(Node::Interaction(Interaction {
                    model,
                    names: Names::load(db, org).await?,
                })),
                None => None,
            },
            _ => None,
        })
    }

    /// A function by id; `null` when it does not exist in the organization.
    async fn function(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Function>> {
        Ok(
            load::<function::Entity>(db(ctx)?, viewer(ctx)?.organization_id, &id)
                .await?
                .map(Function),
        )
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
    ) -> ApiResult<List<Function>> {
        let (first, after) = page_args(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let mut select = in_org::<function::Entity>(viewer(ctx)?.organization_id);
        if let Some(name) = &filter.name {
            select = select.filter(function::Column::NameKey.contains(name.trim().to_lowercase()));
        }
        if let Some(archived) = filter.archived {
            select = select.filter(function::Column::Archived.eq(archived));
        }
        if let Some(is_cx) = filter.is_cx_team {
            select = select.filter(function::Column::IsCxTeam.eq(is_cx));
        }
        if let Some(parent) = &filter.parent_id {
            select =
                select.filter(function::Column::ParentId.eq(filter_id::<function::Entity>(parent)));
        }
        let page = page(db(ctx)?, select, first, after, wants_total(ctx)).await?;
        Ok(list(page, |m| m.id, Function, after.is_some()))
    }

    /// A person by id; `null` when they do not exist in the organization.
    async fn person(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Person>> {
        Ok(
            load::<person::Entity>(db(ctx)?, viewer(ctx)?.organization_id, &id)
                .await?
                .map(Person),
        )
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
    ) -> ApiResult<List<Person>> {
        let (first, after) = page_args(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let mut select = in_org::<person::Entity>(viewer(ctx)?.organization_id);
        if let Some(name) = &filter.name {
            select = select.filter(
                person::Column::Name
                    .contains(name.trim())
                    .or(person::Column::EmailKey.contains(name.trim().to_lowercase())),
            );
        }
        if let Some(archived) = filter.archived {
            select = select.filter(person::Column::Archived.eq(archived));
        }
        if let Some(function_id) = &filter.function_id {
            select = select
                .filter(person::Column::FunctionId.eq(filter_id::<function::Entity>(function_id)));
        }
        let page = page(db(ctx)?, select, first, after, wants_total(ctx)).await?;
        Ok(list(page, |m| m.id, Person, after.is_some()))
    }

    /// A journey by id; `null` when it does not exist in the organization.
    async fn journey(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Journey>> {
        Ok(
            load::<journey::Entity>(db(ctx)?, viewer(ctx)?.organization_id, &id)
                .await?
                .map(Journey),
        )
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
    ) -> ApiResult<List<Journey>> {
        let (first, after) = page_args(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let mut select = in_org::<journey::Entity>(viewer(ctx)?.organization_id);
        if let Some(name) = &filter.name {
            select = select.filter(journey::Column::NameKey.contains(name.trim().to_lowercase()));
        }
        if let Some(archived) = filter.archived {
            select = select.filter(journey::Column::Archived.eq(archived));
        }
        let page = page(db(ctx)?, select, first, after, wants_total(ctx)).await?;
        Ok(list(page, |m| m.id, Journey, after.is_some()))
    }

    /// A touchpoint by id; `null` when it does not exist in the organization.
    async fn touchpoint(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Touchpoint>> {
        Ok(
            load::<touchpoint::Entity>(db(ctx)?, viewer(ctx)?.organization_id, &id)
                .await?
                .map(Touchpoint),
        )
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
    ) -> ApiResult<List<Touchpoint>> {
        let (first, after) = page_args(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let org = viewer(ctx)?.organization_id;
        let mut select = in_org::<touchpoint::Entity>(org);
        if let Some(name) = &filter.name {
            select =
                select.filter(touchpoint::Column::NameKey.contains(name.trim().to_lowercase()));
        }
        if let Some(archived) = filter.archived {
            select = select.filter(touchpoint::Column::Archived.eq(archived));
        }
        if let Some(channel) = filter.channel {
            select = select
                .filter(touchpoint::Column::Channel.eq(entity::enums::Channel::from(channel)));
        }
        if let Some(stage) = &filter.stage_id {
            select = select
                .filter(touchpoint::Column::StageId.eq(filter_id::<entity::stage::Entity>(stage)));
        }
        if let Some(function_id) = &filter.function_id {
            let with_role = in_org::<responsibility::Entity>(org)
                .filter(
                    responsibility::Column::FunctionId
                        .eq(filter_id::<function::Entity>(function_id)),
                )
                .select_only()
                .column(responsibility::Column::TouchpointId)
                .into_query();
            select = select.filter(touchpoint::Column::Id.in_subquery(with_role));
        }
        let page = page(db(ctx)?, select, first, after, wants_total(ctx)).await?;
        Ok(list(page, |m| m.id, Touchpoint, after.is_some()))
    }

    /// A responsibility by id; `null` when it does not exist in the organization.
    async fn responsibility(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Responsibility>> {
        Ok(
            load::<responsibility::Entity>(db(ctx)?, viewer(ctx)?.organization_id, &id)
                .await?
                .map(Responsibility),
        )
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
    ) -> ApiResult<List<Responsibility>> {
        let (first, after) = page_args(first, after.as_deref())?;
        let filter = filter.unwrap_or_default();
        let mut select = in_org::<responsibility::Entity>(viewer(ctx)?.organization_id);
        if let Some(touchpoint_id) = &filter.touchpoint_id {
            select = select.filter(responsibility::Column::TouchpointId.eq(filter_id::<
                touchpoint::Entity,
            >(
                touchpoint_id
            )));
        }
        if let Some(function_id) = &filter.function_id {
            select = select.filter(responsibility::Column::FunctionId.eq(filter_id::<
                function::Entity,
            >(
                function_id
            )));
        }
        if let Some(role) = filter.role {
            select =
                select.filter(responsibility::Column::Role.eq(entity::enums::Role::from(role)));
        }
        let page = page(db(ctx)?, select, first, after, wants_total(ctx)).await?;
        Ok(list(page, |m| m.id, Responsibility, after.is_some()))
    }
}
