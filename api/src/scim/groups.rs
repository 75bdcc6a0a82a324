//! `/Groups`: functions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use service::model::directory::functions::{self, GroupRecord};

use super::json::{group_fields, group_from_json, group_json, project, GROUP_KIND};
use super::query::{group_query, list_response, ListParams};
use super::{base_url, body, caller, on_behalf, resource, respond, ScimError};

fn row_id(id: &str) -> Result<i64, ScimError> {
    crate::graphql::ids::row_of("Function", id)
        .ok_or_else(|| ScimError::not_found(format!("no Group `{id}`")))
}

/// Whether a projection leaves the members out (they are then not read).
fn without_members(params: &ListParams) -> bool {
    params
        .excluded
        .iter()
        .any(|a| a.eq_ignore_ascii_case("members"))
        || (!params.attributes.is_empty()
            && !params
                .attributes
                .iter()
                .any(|a| a.to_ascii_lowercase().starts_with("members")))
}

/// GET /Groups/{id}
pub async fn get(request: HttpRequest, id: web::Path<String>) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let id = row_id(&id)?;
        let params = ListParams::from_query(request.query_string())?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        let record = on_behalf(&viewer, functions::get(&db, viewer.organization_id, id))
            .await?
            .ok_or_else(|| ScimError::not_found(format!("no Group `{id}`")))?;
        let mut body = group_json(&record, &base_url(&request));
        project(&mut body, &params.attributes, &params.excluded);
        Ok(resource(StatusCode::OK, body, None))
    })
    .await
}

async fn listing(
    request: &HttpRequest,
    viewer: &crate::server::auth::Viewer,
    params: ListParams,
) -> Result<HttpResponse, ScimError> {
    let viewer = viewer.clone();
    let db = crate::server::state::tenant(request, &viewer)?;
    let Some(query) = group_query(params.filter.as_ref())? else {
        return Ok(list_response(Vec::new(), params.offset, 0));
    };
    let with_members = !without_members(&params);
    let (total, found) = on_behalf(
        &viewer,
        functions::list(
            &db,
            viewer.organization_id,
            &query,
            params.offset,
            params.count,
            with_members,
        ),
    )
    .await?;
    let base = base_url(request);
    let resources = found
        .iter()
        .map(|g| {
            let mut body = group_json(g, &base);
            project(&mut body, &params.attributes, &params.excluded);
            body
        })
        .collect();
    Ok(list_response(resources, params.offset, total))
}

/// GET /Groups
pub async fn list(request: HttpRequest) -> HttpResponse {
    respond(async {
        // The caller first: nothing a stranger sends is parsed.
        let viewer = caller(&request).await?;
        let params = ListParams::from_query(request.query_string())?;
        listing(&request, &viewer, params).await
    })
    .await
}

/// POST /Groups/.search
pub async fn search(request: HttpRequest, payload: web::Payload) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let params = ListParams::from_body(&body(&request, payload).await?)?;
        listing(&request, &viewer, params).await
    })
    .await
}

fn answer(request: &HttpRequest, record: &GroupRecord, status: StatusCode) -> HttpResponse {
    let body = group_json(record, &base_url(request));
    let location = body["meta"]["location"].as_str().map(str::to_owned);
    resource(status, body, location.as_deref())
}

/// POST /Groups
pub async fn create(request: HttpRequest, payload: web::Payload) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let group = group_from_json(&body(&request, payload).await?)?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        let record = on_behalf(
            &viewer,
            functions::create(&db, viewer.organization_id, group),
        )
        .await?;
        Ok(answer(&request, &record, StatusCode::CREATED))
    })
    .await
}

/// PUT /Groups/{id}
pub async fn replace(
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let id = row_id(&id)?;
        let group = group_from_json(&body(&request, payload).await?)?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        let record = on_behalf(
            &viewer,
            functions::change(&db, viewer.organization_id, id, |_| {
                Ok::<_, ScimError>(group)
            }),
        )
        .await?;
        Ok(answer(&request, &record, StatusCode::OK))
    })
    .await
}

/// PATCH /Groups/{id}
pub async fn patch(
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let id = row_id(&id)?;
        let operations = body(&request, payload).await?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        let base = base_url(&request);
        let record = on_behalf(
            &viewer,
            functions::change(&db, viewer.organization_id, id, |current| {
                let mut fields = group_fields(&current, &base);
                super::patch::apply(&GROUP_KIND, &mut fields, &operations)?;
                group_from_json(&Value::Object(fields))
            }),
        )
        .await?;
        Ok(answer(&request, &record, StatusCode::OK))
    })
    .await
}

/// DELETE /Groups/{id}: archived and hidden from the directory, kept in history.
pub async fn delete(request: HttpRequest, id: web::Path<String>) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let id = row_id(&id)?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        on_behalf(&viewer, functions::delete(&db, viewer.organization_id, id)).await?;
        Ok(HttpResponse::NoContent().finish())
    })
    .await
}
