//! Listing and searching (RFC 7644 §3.4.2, §3.4.3): `filter` with `eq` (and `and`)
//! on the attributes providers look people and groups up by, `startIndex`/`count`
//! paging, `attributes`/`excludedAttributes`.

use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use scim_v2::filter::{AttrExp, CompValue, CompareOp, Filter};
use serde_json::{json, Value};
use service::model::directory::functions::GroupQuery;
use service::model::directory::people::UserQuery;

use super::json::{field, LIST};
use super::{base_url, body, caller, on_behalf, resource, ScimError};

/// Most resources a page holds (the ServiceProviderConfig's `filter.maxResults`).
pub const MAX_RESULTS: u64 = 200;
/// Resources a page holds when `count` is not given.
pub const DEFAULT_COUNT: u64 = 100;

/// What a list or search asks for.
#[derive(Clone, Debug, Default)]
pub struct ListParams {
    pub filter: Option<Filter>,
    /// From 0 (SCIM's `startIndex` is from 1).
    pub offset: u64,
    pub count: u64,
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

fn invalid_filter(detail: impl Into<String>) -> ScimError {
    ScimError::new(StatusCode::BAD_REQUEST, Some("invalidFilter"), detail)
}

/// The longest filter read (an identity provider's are a few dozen characters).
const MAX_FILTER_CHARS: usize = 1_000;
/// The deepest nesting of parentheses and value paths in a filter.
const MAX_FILTER_DEPTH: usize = 8;

fn parse_filter(text: &str) -> Result<Filter, ScimError> {
    if text.chars().count() > MAX_FILTER_CHARS {
        return Err(invalid_filter(format!(
            "a filter is at most {MAX_FILTER_CHARS} characters"
        )));
    }
    let (mut depth, mut deepest) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' | '[' => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            ')' | ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_FILTER_DEPTH {
        return Err(invalid_filter(format!(
            "a filter nests at most {MAX_FILTER_DEPTH} parentheses or brackets deep"
        )));
    }
    Filter::from_str(text)
        .map_err(|e| invalid_filter(format!("`{text}` is not a SCIM filter: {e}")))
}

fn paging(start_index: Option<i64>, count: Option<i64>) -> (u64, u64) {
    let offset = start_index.unwrap_or(1).max(1) as u64 - 1;
    let count = count
        .map_or(DEFAULT_COUNT, |c| c.max(0) as u64)
        .min(MAX_RESULTS);
    (offset, count)
}

fn names(text: Option<&str>) -> Vec<String> {
    text.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl ListParams {
    /// From a GET's query string.
    pub fn from_query(query: &str) -> Result<ListParams, ScimError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
            .map_err(|_| ScimError::invalid_value("the query string could not be read"))?;
        let get = |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v.as_str())
        };
        let number = |key: &str| -> Result<Option<i64>, ScimError> {
            get(key)
                .map(|v| {
                    v.parse()
                        .map_err(|_| ScimError::invalid_value(format!("`{key}` must be a number")))
                })
                .transpose()
        };
        let (offset, count) = paging(number("startIndex")?, number("count")?);
        Ok(ListParams {
            filter: get("filter").map(parse_filter).transpose()?,
            offset,
            count,
            attributes: names(get("attributes")),
            excluded: names(get("excludedAttributes")),
        })
    }

    /// From a `/.search` body.
    pub fn from_body(body: &Value) -> Result<ListParams, ScimError> {
        let object = body
            .as_object()
            .ok_or_else(|| ScimError::invalid_value("a SearchRequest is a JSON object"))?;
        let number = |key: &str| match field(object, key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| ScimError::invalid_value(format!("`{key}` must be a number"))),
        };
        let list = |key: &str| -> Vec<String> {
            match field(object, key) {
                Some(Value::Array(items)) => items
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                Some(Value::String(text)) => names(Some(text)),
                _ => Vec::new(),
            }
        };
        let (offset, count) = paging(number("startIndex")?, number("count")?);
        let filter = match field(object, "filter") {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => Some(parse_filter(text)?),
            Some(_) => return Err(invalid_filter("`filter` must be a string")),
        };
        Ok(ListParams {
            filter,
            offset,
            count,
            attributes: list("attributes"),
            excluded: list("excludedAttributes"),
        })
    }
}

/// The `attr eq "value"` comparisons of a filter joined by `and`, as (attribute,
/// value) pairs; any other filter is refused.
fn equalities(filter: &Filter, out: &mut Vec<(String, String)>) -> Result<(), ScimError> {
    match filter {
        Filter::And(a, b) => {
            equalities(a, out)?;
            equalities(b, out)
        }
        Filter::Attr(AttrExp::Comparison(path, CompareOp::Eq, CompValue::Str(value))) => {
            let name = match &path.sub_attr {
                Some(sub) => format!("{}.{sub}", path.name),
                None => path.name.clone(),
            };
            out.push((name, value.clone()));
            Ok(())
        }
        other => Err(invalid_filter(format!(
            "siloscope filters with `eq` on strings, joined by `and`; `{other}` is not one of those"
        ))),
    }
}

/// A filter as a people query; `None` when it names an attribute Users lack.
pub fn user_query(filter: Option<&Filter>) -> Result<Option<UserQuery>, ScimError> {
    let mut pairs = Vec::new();
    if let Some(filter) = filter {
        equalities(filter, &mut pairs)?;
    }
    let mut query = UserQuery::default();
    for (name, value) in pairs {
        match name.to_ascii_lowercase().as_str() {
            "username" => query.user_name = Some(value),
            "externalid" => query.external_id = Some(value),
            "emails" | "emails.value" => query.email = Some(value),
            "displayname" => query.display_name = Some(value),
            "id" => return Err(invalid_filter("get a User by id at /Users/{id}")),
            _ => return Ok(None),
        }
    }
    Ok(Some(query))
}

/// A filter as a functions query; `None` when it names an attribute Groups lack.
pub fn group_query(filter: Option<&Filter>) -> Result<Option<GroupQuery>, ScimError> {
    let mut pairs = Vec::new();
    if let Some(filter) = filter {
        equalities(filter, &mut pairs)?;
    }
    let mut query = GroupQuery::default();
    for (name, value) in pairs {
        match name.to_ascii_lowercase().as_str() {
            "displayname" => query.display_name = Some(value),
            "externalid" => query.external_id = Some(value),
            "id" => return Err(invalid_filter("get a Group by id at /Groups/{id}")),
            _ => return Ok(None),
        }
    }
    Ok(Some(query))
}

/// A ListResponse of `resources` (already projected), from `offset`, of `total`.
pub fn list_response(resources: Vec<Value>, offset: u64, total: u64) -> HttpResponse {
    resource(
        StatusCode::OK,
        json!({
            "schemas": [LIST],
            "totalResults": total,
            "startIndex": offset + 1,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
        None,
    )
}

/// POST /.search: Users, then Groups, paged as one list.
pub async fn search_all(request: HttpRequest, payload: web::Payload) -> HttpResponse {
    super::respond(async {
        let viewer = caller(&request).await?;
        let params = ListParams::from_body(&body(&request, payload).await?)?;
        let db = crate::server::state::tenant(&request, &viewer)?;
        let base = base_url(&request);
        let org = viewer.organization_id;
        let users = user_query(params.filter.as_ref())?;
        let groups = group_query(params.filter.as_ref())?;
        let (users_total, _) = match &users {
            Some(q) => {
                on_behalf(
                    &viewer,
                    service::model::directory::people::list(&db, org, q, 0, 0),
                )
                .await?
            }
            None => (0, Vec::new()),
        };
        let (groups_total, _) = match &groups {
            Some(q) => {
                on_behalf(
                    &viewer,
                    service::model::directory::functions::list(&db, org, q, 0, 0, false),
                )
                .await?
            }
            None => (0, Vec::new()),
        };
        let mut resources = Vec::new();
        if let (Some(q), true) = (&users, params.offset < users_total) {
            let (_, people) = on_behalf(
                &viewer,
                service::model::directory::people::list(&db, org, q, params.offset, params.count),
            )
            .await?;
            resources.extend(people.iter().map(|p| super::json::user_json(p, &base)));
        }
        let left = params.count.saturating_sub(resources.len() as u64);
        if let (Some(q), true) = (&groups, left > 0) {
            let offset = params.offset.saturating_sub(users_total);
            let (_, found) = on_behalf(
                &viewer,
                service::model::directory::functions::list(&db, org, q, offset, left, true),
            )
            .await?;
            resources.extend(found.iter().map(|g| super::json::group_json(g, &base)));
        }
        for item in &mut resources {
            super::json::project(item, &params.attributes, &params.excluded);
        }
        Ok(list_response(
            resources,
            params.offset,
            users_total + groups_total,
        ))
    })
    .await
}
