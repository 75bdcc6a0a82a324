//! What resolvers take from the request context.

use async_graphql::Context;
use sea_orm::DatabaseConnection;

use crate::auth::Viewer;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::service::scoped::MAX_PAGE;

/// The authenticated caller (every GraphQL request has one; see `startup`).
pub fn viewer<'a>(ctx: &Context<'a>) -> ApiResult<&'a Viewer> {
    ctx.data_opt::<Viewer>()
        .ok_or_else(|| ApiError::Unauthenticated("a bearer token is required".into()))
}

/// The database pool.
pub fn db<'a>(ctx: &Context<'a>) -> ApiResult<&'a DatabaseConnection> {
    ctx.data_opt::<DatabaseConnection>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no database in the schema data")))
}

/// The request's batching loader.
pub fn loader<'a>(ctx: &Context<'a>) -> ApiResult<&'a crate::graphql::loader::RequestLoader> {
    ctx.data_opt::<crate::graphql::loader::RequestLoader>()
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("no loader in the request data")))
}

/// Whether the list being resolved was asked for its `totalCount`.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Checks `first` (1 to 100, default 20) and decodes `after`.
pub fn page_args(first: Option<i32>, after: Option<&str>) -> ApiResult<(u64, Option<i64>)> {
    let first = first.unwrap_or(20);
    if first < 1 || first as u64 > MAX_PAGE {
        return Err(ApiError::bad_input(format!(
            "`first` must be from 1 to {MAX_PAGE}"
        )));
    }
    let after = match after {
        Some(cursor) => Some(
            ids::decode_cursor(cursor)
                .ok_or_else(|| ApiError::bad_input("`after` is not a cursor of this list"))?,
        ),
        None => None,
    };
    Ok((first as u64, after))
}
