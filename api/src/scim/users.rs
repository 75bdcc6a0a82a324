//! `/Users`: people.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;
use service::model::directory::people;

use super::json::{project, user_fields, user_from_json, user_json, USER_KIND};
use super::query::{list_response, user_query, ListParams};
use super::{base_url, body, caller, on_behalf, resource, respond, ScimError};

fn row_id(id: &str) -> Result<i64, ScimError> {
    crate::graphql::ids::row_of("Person", id)
        .ok_or_else(|| ScimError::not_found(format!("no User `{id}`")))
}

fn no_user(id: i64) -> ScimError {
    ScimError::not_found(format!("no User `{}`", super::json::scim_id("Person", id)))
}

/// GET /Users/{id}
pub async fn get(request: HttpRequest, id: web::Path<String>) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let id = row_id(&id)?;
        let params = ListParams::from_query(request.query_string())?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        let person = on_behalf(&viewer, people::get(&db, viewer.organization_id, id))
            .await?
            .ok_or_else(|| no_user(id))?;
        let mut body = user_json(&person, &base_url(&request));
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
    let Some(query) = user_query(params.filter.as_ref())? else {
        return Ok(list_response(Vec::new(), params.offset, 0));
    };
    let (total, found) = on_behalf(
        &viewer,
        people::list(
            &db,
            viewer.organization_id,
            &query,
            params.offset,
            params.count,
        ),
    )
    .await?;
    let base = base_url(request);
    let resources = found
        .iter()
        .map(|p| {
            let mut body = user_json(p, &base);
            project(&mut body, &params.attributes, &params.excluded);
            body
        })
        .collect();
    Ok(list_response(resources, params.offset, total))
}

/// GET /Users
pub async fn list(request: HttpRequest) -> HttpResponse {
    respond(async {
        // The caller first: nothing a stranger sends is parsed.
        let viewer = caller(&request).await?;
        let params = ListParams::from_query(request.query_string())?;
        listing(&request, &viewer, params).await
    })
    .await
}

/// POST /Users/.search
pub async fn search(request: HttpRequest, payload: web::Payload) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let params = ListParams::from_body(&body(&request, payload).await?)?;
        listing(&request, &viewer, params).await
    })
    .await
}

fn created(
    request: &HttpRequest,
    person: &entity::person::Model,
    status: StatusCode,
) -> HttpResponse {
    let body = user_json(person, &base_url(request));
    let location = body["meta"]["location"].as_str().map(str::to_owned);
    resource(status, body, location.as_deref())
}

/// POST /Users
pub async fn create(request: HttpRequest, payload: web::Payload) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let user = user_from_json(&body(&request, payload).await?)?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        let person = on_behalf(&viewer, people::create(&db, viewer.organization_id, user)).await?;
        Ok(created(&request, &person, StatusCode::CREATED))
    })
    .await
}

/// PUT /Users/{id}
pub async fn replace(
    request: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let id = row_id(&id)?;
        let user = user_from_json(&body(&request, payload).await?)?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        let person = on_behalf(
            &viewer,
            people::replace(&db, viewer.organization_id, id, user),
        )
        .await?;
        Ok(created(&request, &person, StatusCode::OK))
    })
    .await
}

/// PATCH /Users/{id}
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
        let person = on_behalf(
            &viewer,
            people::change(&db, viewer.organization_id, id, |current| {
                let mut fields = user_fields(&current);
                super::patch::apply(&USER_KIND, &mut fields, &operations)?;
                user_from_json(&Value::Object(fields))
            }),
        )
        .await?;
        Ok(created(&request, &person, StatusCode::OK))
    })
    .await
}

/// DELETE /Users/{id}: archived and hidden from the directory, kept in history.
pub async fn delete(request: HttpRequest, id: web::Path<String>) -> HttpResponse {
    respond(async {
        let viewer = caller(&request).await?;
        let id = row_id(&id)?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        on_behalf(&viewer, people::delete(&db, viewer.organization_id, id)).await?;
        Ok(HttpResponse::NoContent().finish())
    })
    .await
}
