//! Discovery (RFC 7644 §4): what siloscope serves and the attributes it stores,
//! described from the same attribute lists the conversions use (`json::USER_KIND`,
//! `json::GROUP_KIND`), so the description cannot drift from the behaviour.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{json, Value};

use super::json::{Attr, Kind, Shape, ENTERPRISE, FUNCTION, GROUP, GROUP_KIND, USER, USER_KIND};
use super::query::MAX_RESULTS;
use super::{base_url, caller, resource, respond, ScimError};

const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// What siloscope says of each attribute it stores, beyond its shape.
struct About {
    description: &'static str,
    required: bool,
    mutability: &'static str,
    uniqueness: &'static str,
    reference_types: &'static [&'static str],
}

fn about(kind_urn: &str, name: &str) -> About {
    let plain = |description| About {
        description,
        required: false,
        mutability: "readWrite",
        uniqueness: "none",
        reference_types: &[],
    };
    match (kind_urn, name) {
        (USER, "userName") => About {
            required: true,
            uniqueness: "server",
            ..plain("Unique in the organization, case-insensitively.")
        },
        (USER, "name") => plain("The person's names."),
        (USER, "givenName") => plain("Given name."),
        (USER, "familyName") => plain("Family name."),
        (USER, "displayName") => About {
            required: true,
            ..plain("The name siloscope shows.")
        },
        (USER, "title") => plain("Job title."),
        (USER, "active") => About {
            required: true,
            ..plain("False archives the person: kept in history and reports, out of ownership findings.")
        },
        (USER, "emails") => About {
            required: true,
            ..plain("The person's email address (siloscope keeps one, unique in the organization).")
        },
        (USER, "value") => About {
            required: true,
            ..plain("The email address.")
        },
        (ENTERPRISE, "department") => plain("The HR department's name (informational; functions come from Groups)."),
        (GROUP, "displayName") => About {
            required: true,
            uniqueness: "server",
            ..plain("The function's name, unique in the organization, case-insensitively.")
        },
        (GROUP, "members") => plain("The people of the function; a person may belong to several."),
        (GROUP, "$ref") => About {
            mutability: "immutable",
            reference_types: &["User"],
            ..plain("The member's location.")
        },
        (GROUP, "value") => About {
            mutability: "immutable",
            ..plain("The member's id.")
        },
        (FUNCTION, "parent") => About {
            reference_types: &["Group"],
            ..plain("The function this one belongs to.")
        },
        (FUNCTION, "isCxTeam") => About {
            required: true,
            ..plain("Whether the function is a customer-experience team: handoffs to it are deferrals to CX (false when a provider sends none).")
        },
        _ => plain(""),
    }
}

fn attribute(kind_urn: &str, attr: &Attr) -> Value {
    let about = about(kind_urn, attr.name);
    let (kind, multi, subs) = match attr.shape {
        Shape::Text if !about.reference_types.is_empty() => ("reference", false, None),
        Shape::Text => ("string", false, None),
        Shape::Bool => ("boolean", false, None),
        Shape::Complex(subs) => ("complex", false, Some(subs)),
        Shape::Many(subs) => ("complex", true, Some(subs)),
    };
    let mut value = json!({
        "name": attr.name,
        "type": kind,
        "multiValued": multi,
        "description": about.description,
        "required": about.required,
        "caseExact": false,
        "mutability": about.mutability,
        "returned": "default",
        "uniqueness": about.uniqueness,
    });
    if !about.reference_types.is_empty() {
        value["referenceTypes"] = json!(about.reference_types);
    }
    if let Some(subs) = subs {
        value["subAttributes"] =
            Value::Array(subs.iter().map(|s| attribute(kind_urn, s)).collect());
    }
    value
}

fn schema_document(
    base: &str,
    id: &str,
    name: &str,
    description: &str,
    attributes: Vec<Value>,
) -> Value {
    json!({
        "schemas": [SCHEMA],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attributes,
        "meta": { "resourceType": "Schema", "location": format!("{base}/Schemas/{id}") },
    })
}

fn core_attributes(kind: &Kind) -> Vec<Value> {
    // `externalId` is common to every resource (RFC 7643 §3.1), not the schema's.
    kind.core
        .iter()
        .filter(|a| a.name != "externalId")
        .map(|a| attribute(kind.core_urn, a))
        .collect()
}

fn extension_attributes(kind: &Kind, urn: &str) -> Vec<Value> {
    kind.extension(urn)
        .map(|(_, attrs)| attrs.iter().map(|a| attribute(urn, a)).collect())
        .unwrap_or_default()
}

/// A plain attribute of the discovery schemas.
fn simple(name: &str, kind: &str, required: bool, description: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description,
        "required": required, "caseExact": false, "mutability": "readOnly",
        "returned": "default", "uniqueness": "none",
    })
}

fn complex(name: &str, multi: bool, description: &str, subs: Vec<Value>) -> Value {
    json!({
        "name": name, "type": "complex", "multiValued": multi, "description": description,
        "required": false, "mutability": "readOnly", "returned": "default",
        "uniqueness": "none", "subAttributes": subs,
    })
}

/// Every schema siloscope publishes, by id.
fn all_schemas(base: &str) -> Vec<Value> {
    vec![
        schema_document(
            base,
            USER,
            "User",
            "A person of the organization.",
            core_attributes(&USER_KIND),
        ),
        schema_document(
            base,
            ENTERPRISE,
            "EnterpriseUser",
            "The enterprise attributes siloscope keeps.",
            extension_attributes(&USER_KIND, ENTERPRISE),
        ),
        schema_document(
            base,
            GROUP,
            "Group",
            "A function (department or team).",
            core_attributes(&GROUP_KIND),
        ),
        schema_document(
            base,
            FUNCTION,
            "Function",
            "siloscope's attributes of a function.",
            extension_attributes(&GROUP_KIND, FUNCTION),
        ),
        schema_document(
            base,
            SPC,
            "Service Provider Configuration",
            "What the service provider supports.",
            configuration_attributes(),
        ),
        schema_document(
            base,
            RESOURCE_TYPE,
            "ResourceType",
            "A type of resource the service provider serves.",
            resource_type_attributes(),
        ),
        schema_document(
            base,
            SCHEMA,
            "Schema",
            "A schema's attributes.",
            schema_attributes(),
        ),
    ]
}

/// The attributes of the service provider configuration.
fn configuration_attributes() -> Vec<Value> {
    let supported = || {
        simple(
            "supported",
            "boolean",
            true,
            "Whether the feature is supported.",
        )
    };
    vec![
        simple(
            "documentationUri",
            "reference",
            false,
            "Where the service is documented.",
        ),
        complex("patch", false, "PATCH.", vec![supported()]),
        complex(
            "bulk",
            false,
            "Bulk operations.",
            vec![
                supported(),
                simple(
                    "maxOperations",
                    "integer",
                    true,
                    "Most operations a request.",
                ),
                simple(
                    "maxPayloadSize",
                    "integer",
                    true,
                    "Largest payload, in bytes.",
                ),
            ],
        ),
        complex(
            "filter",
            false,
            "Filters.",
            vec![
                supported(),
                simple("maxResults", "integer", true, "Most resources a page."),
            ],
        ),
        complex(
            "changePassword",
            false,
            "Password changes.",
            vec![supported()],
        ),
        complex("sort", false, "Sorting.", vec![supported()]),
        complex("etag", false, "ETags.", vec![supported()]),
        complex(
            "authenticationSchemes",
            true,
            "How clients authenticate.",
            vec![
                simple("type", "string", true, "The scheme's type."),
                simple("name", "string", true, "The scheme's name."),
                simple("description", "string", true, "The scheme, for people."),
                simple("specUri", "reference", false, "The scheme's specification."),
                simple(
                    "documentationUri",
                    "reference",
                    false,
                    "The scheme's documentation.",
                ),
                simple(
                    "primary",
                    "boolean",
                    false,
                    "Whether it is the preferred scheme.",
                ),
            ],
        ),
    ]
}

/// The attributes of a resource type.
fn resource_type_attributes() -> Vec<Value> {
    vec![
        simple("id", "string", false, "The type's id."),
        simple("name", "string", true, "The type's name."),
        simple("description", "string", false, "The type, for people."),
        simple(
            "endpoint",
            "reference",
            true,
            "Where resources of the type are.",
        ),
        simple("schema", "reference", true, "The type's core schema."),
        complex(
            "schemaExtensions",
            true,
            "The type's extensions.",
            vec![
                simple("schema", "reference", true, "An extension's schema."),
                simple(
                    "required",
                    "boolean",
                    true,
                    "Whether resources must carry it.",
                ),
            ],
        ),
    ]
}

/// The attributes of a schema.
fn schema_attributes() -> Vec<Value> {
    vec![
        simple("id", "string", true, "The schema's URN."),
        simple("name", "string", false, "The schema's name."),
        simple("description", "string", false, "The schema, for people."),
        complex(
            "attributes",
            true,
            "The schema's attributes.",
            vec![
                simple("name", "string", true, "The attribute's name."),
                simple("type", "string", true, "Its data type."),
                simple("multiValued", "boolean", true, "Whether it holds a list."),
                simple("description", "string", false, "It, for people."),
                simple("required", "boolean", false, "Whether it is required."),
                simple(
                    "caseExact",
                    "boolean",
                    false,
                    "Whether text compares case-sensitively.",
                ),
                simple("mutability", "string", false, "Who may change it."),
                simple("returned", "string", false, "When it is returned."),
                simple("uniqueness", "string", false, "How unique it is."),
                simple(
                    "referenceTypes",
                    "string",
                    false,
                    "What a reference may point at.",
                ),
                simple(
                    "subAttributes",
                    "complex",
                    false,
                    "The sub-attributes of a complex attribute.",
                ),
            ],
        ),
    ]
}

fn resource_types_of(base: &str) -> Vec<Value> {
    vec![
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "User",
            "name": "User",
            "description": "People of the organization.",
            "endpoint": "/Users",
            "schema": USER,
            "schemaExtensions": [{ "schema": ENTERPRISE, "required": false }],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User") },
        }),
        json!({
            "schemas": [RESOURCE_TYPE],
            "id": "Group",
            "name": "Group",
            "description": "Functions: departments and teams.",
            "endpoint": "/Groups",
            "schema": GROUP,
            // Every function is a CX team or not: a Group always carries it (siloscope
            // takes a Group without it as no CX team).
            "schemaExtensions": [{ "schema": FUNCTION, "required": true }],
            "meta": { "resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group") },
        }),
    ]
}

fn list(items: Vec<Value>) -> HttpResponse {
    super::query::list_response(items.clone(), 0, items.len() as u64)
}

/// GET /ServiceProviderConfig
pub async fn service_provider_config(request: HttpRequest) -> HttpResponse {
    respond(async {
        caller(&request).await?;
        let base = base_url(&request);
        Ok(resource(
            StatusCode::OK,
            json!({
                "schemas": [SPC],
                "documentationUri": "https://github.com/siloscope/siloscope#connecting-your-identity-provider",
                "patch": { "supported": true },
                "bulk": { "supported": false, "maxOperations": 0, "maxPayloadSize": 0 },
                "filter": { "supported": true, "maxResults": MAX_RESULTS },
                "changePassword": { "supported": false },
                "sort": { "supported": false },
                "etag": { "supported": false },
                "authenticationSchemes": [{
                    "type": "oauthbearertoken",
                    "name": "Bearer token",
                    "description": "An API key (or a token) of role INTEGRATION or ADMIN, as `Authorization: Bearer …`.",
                    "primary": true,
                }],
                "meta": { "resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig") },
            }),
            None,
        ))
    })
    .await
}

/// GET /ResourceTypes
pub async fn resource_types(request: HttpRequest) -> HttpResponse {
    respond(async {
        caller(&request).await?;
        Ok(list(resource_types_of(&base_url(&request))))
    })
    .await
}

/// GET /ResourceTypes/{id}
pub async fn resource_type(request: HttpRequest, id: web::Path<String>) -> HttpResponse {
    respond(async {
        caller(&request).await?;
        resource_types_of(&base_url(&request))
            .into_iter()
            .find(|t| {
                t["id"]
                    .as_str()
                    .is_some_and(|i| i.eq_ignore_ascii_case(&id))
            })
            .map(|t| resource(StatusCode::OK, t, None))
            .ok_or_else(|| ScimError::not_found(format!("no resource type `{id}`")))
    })
    .await
}

/// GET /Schemas
pub async fn schemas(request: HttpRequest) -> HttpResponse {
    respond(async {
        caller(&request).await?;
        Ok(list(all_schemas(&base_url(&request))))
    })
    .await
}

/// GET /Schemas/{id}
pub async fn schema(request: HttpRequest, id: web::Path<String>) -> HttpResponse {
    respond(async {
        caller(&request).await?;
        all_schemas(&base_url(&request))
            .into_iter()
            .find(|s| {
                s["id"]
                    .as_str()
                    .is_some_and(|i| i.eq_ignore_ascii_case(&id))
            })
            .map(|s| resource(StatusCode::OK, s, None))
            .ok_or_else(|| ScimError::not_found(format!("no schema `{id}`")))
    })
    .await
}
