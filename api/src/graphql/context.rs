//! What resolvers take from the request context.

use async_graphql::Context;
use service::storage::db::Tenant;

use service::storage::scoped::{OrgScoped, PageRequest, MAX_PAGE};
use service::{ServiceError, ServiceResult, Write, WriteError};

use crate::graphql::ids;
use crate::server::auth::{AccessRole, Viewer};

/// The authenticated caller (every GraphQL request has one; see `startup`).
pub fn viewer<'a>(ctx: &Context<'a>) -> ServiceResult<&'a Viewer> {
    ctx.data_opt::<Viewer>()
        .ok_or_else(|| ServiceError::Unauthenticated("a bearer token is required".into()))
}

/// The request's handle on its organization's rows (every request has one; see
/// `startup`).
pub fn db<'a>(ctx: &Context<'a>) -> ServiceResult<&'a Tenant> {
    ctx.data_opt::<Tenant>()
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no tenant in the request data")))
}

/// The per-organization turns of the heavy fields.
pub fn reports_gate<'a>(
    ctx: &Context<'a>,
) -> ServiceResult<&'a crate::graphql::reports_gate::ReportsGate> {
    ctx.data_opt::<crate::graphql::reports_gate::ReportsGate>()
        .ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("no reports gate in the schema data"))
        })
}

/// The server's computed reports, kept by what they depend on.
pub fn figures<'a>(
    ctx: &Context<'a>,
) -> ServiceResult<&'a std::sync::Arc<service::reports::snapshot::Figures>> {
    ctx.data_opt::<std::sync::Arc<service::reports::snapshot::Figures>>()
        .ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("no report figures in the schema data"))
        })
}

/// Computes a report for the caller's organization in its turn at the reports gate:
/// `compute` gets the request's tenant handle, the kept report figures and the
/// organization's id.
pub async fn gated_report<T, F, Fut>(ctx: &Context<'_>, compute: F) -> ServiceResult<T>
where
    T: Send + 'static,
    F: FnOnce(Tenant, std::sync::Arc<service::reports::snapshot::Figures>, i64) -> Fut,
    Fut: std::future::Future<Output = ServiceResult<T>> + Send + 'static,
{
    let org = viewer(ctx)?.organization_id;
    let work = compute(db(ctx)?.clone(), figures(ctx)?.clone(), org);
    reports_gate(ctx)?.run(org, work).await
}

/// The request's batching loader.
pub fn loader<'a>(ctx: &Context<'a>) -> ServiceResult<&'a crate::graphql::loader::RequestLoader> {
    ctx.data_opt::<crate::graphql::loader::RequestLoader>()
        .ok_or_else(|| ServiceError::internal(anyhow::anyhow!("no loader in the request data")))
}

/// The page a list is asked for: `first` (1 to 100, default 20), the cursor `after`,
/// and whether the list's `totalCount` is selected (counting costs a second scan).
pub fn page_request<E: OrgScoped>(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<&str>,
) -> ServiceResult<PageRequest> {
    Ok(PageRequest {
        first: page_size(first)?,
        after: after
            .map(|cursor| {
                ids::decode_cursor::<E>(cursor)
                    .ok_or_else(|| ServiceError::bad_input("`after` is not a cursor of this list"))
            })
            .transpose()?,
        with_total: ctx.look_ahead().field("totalCount").exists(),
    })
}

/// Checks `first`: 1 to 100, default 20.
pub fn page_size(first: Option<i32>) -> ServiceResult<u64> {
    let first = first.unwrap_or(20);
    if first < 1 || first as u64 > MAX_PAGE {
        return Err(ServiceError::bad_input(format!(
            "`first` must be from 1 to {MAX_PAGE}"
        )));
    }
    Ok(first as u64)
}

/// The organization of a caller holding one of `roles`; FORBIDDEN otherwise.
pub fn org_for(ctx: &Context<'_>, roles: &[AccessRole]) -> ServiceResult<i64> {
    let viewer = viewer(ctx)?;
    viewer.require(roles)?;
    Ok(viewer.organization_id)
}

/// A write's result as a payload's: the value or the user errors; a fault fails the
/// resolver.
pub fn written<T>(write: Write<T>) -> ServiceResult<Result<T, Vec<service::UserError>>> {
    match write {
        Ok(value) => Ok(Ok(value)),
        Err(WriteError::Invalid(errors)) => Ok(Err(errors)),
        Err(WriteError::Fault(error)) => Err(error),
    }
}
