//! GraphQL over HTTP, as the graphql-over-http specification says it: `POST` with an
//! `application/json` body for every operation, `GET` with URL parameters for queries
//! only, and the response's media type and status chosen by the `Accept` header.
//! Everything a client controls is bounded here before the engine sees it.

use actix_web::http::header::{self, Header as _};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use apollo_parser::cst::{self, CstNode};
use apollo_parser::{Parser, SyntaxKind};

use service::{Code, ServiceError};

use crate::server::config::Limits;

/// A request refused before execution: its status, code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: Code,
    pub message: String,
}

impl Refusal {
    /// A refusal with the catalogue's status for `code`.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Refusal {
            status: StatusCode::from_u16(code.http_status())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            message: message.into(),
        }
    }

    /// The same refusal with another status (a URL too long is a 414).
    pub fn with_status(self, status: StatusCode) -> Self {
        Refusal { status, ..self }
    }

    /// The refusal as a GraphQL-shaped response in `media`.
    pub fn response(&self, media: Media) -> HttpResponse {
        let body = serde_json::json!({
            "errors": [{ "message": self.message, "extensions": { "code": self.code.as_str() } }]
        });
        let mut response = HttpResponse::build(self.status);
        response.content_type(media.content_type());
        match self.status {
            StatusCode::UNAUTHORIZED => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            StatusCode::METHOD_NOT_ALLOWED => {
                response.insert_header((header::ALLOW, "POST"));
            }
            _ => {}
        }
        response.body(body.to_string())
    }
}

impl From<&ServiceError> for Refusal {
    fn from(error: &ServiceError) -> Self {
        if let ServiceError::Internal(cause) = error {
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        Refusal::new(error.code(), error.to_string())
    }
}

/// The media type of a response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Media {
    /// `application/graphql-response+json`: request errors get 4xx statuses.
    GraphqlResponse,
    /// `application/json`: every well-formed request gets 200 (legacy clients).
    Json,
}

impl Media {
    pub fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// The response media the `Accept` header asks for, by its order of preference (q
/// factors, then specificity, then the order written); `application/json` when there
/// is no `Accept` header; 406 when nothing offered fits.
pub fn negotiate(request: &HttpRequest) -> Result<Media, Refusal> {
    // A malformed header is read as no preference.
    let accept = header::Accept::parse(request).unwrap_or_else(|_| header::Accept(Vec::new()));
    if accept.is_empty() {
        return Ok(Media::Json);
    }
    let refused: Vec<&actix_web::mime::Mime> = accept
        .iter()
        .filter(|item| item.quality == header::Quality::ZERO)
        .map(|item| &item.item)
        .collect();
    for range in accept.ranked() {
        if refused.contains(&&range) {
            continue;
        }
        match range.essence_str() {
            "application/graphql-response+json" => return Ok(Media::GraphqlResponse),
            "application/json" | "application/*" | "*/*" => return Ok(Media::Json),
            _ => {}
        }
    }
    Err(Refusal::new(
        Code::NotAcceptable,
        "the response can be application/graphql-response+json or application/json",
    ))
}

/// Refuses a POST whose body is not `application/json`: form, multipart and text
/// bodies are what a cross-site form can send without a preflight (CSRF).
pub fn require_json_body(request: &HttpRequest) -> Result<(), Refusal> {
    use actix_web::HttpMessage;
    match request.mime_type() {
        Ok(Some(media)) if media.essence_str() == "application/json" => Ok(()),
        _ => Err(Refusal::new(
            Code::UnsupportedMediaType,
            "the body must be application/json",
        )),
    }
}

/// The parts of a GraphQL-over-HTTP request, before execution.
#[derive(Debug, Default)]
pub struct Params {
    /// The document's text; empty when it is sent by id only.
    pub query: String,
    /// A registered document's id (`documentId`, or Apollo's
    /// `extensions.persistedQuery.sha256Hash`), resolved before execution.
    pub document_id: Option<String>,
    pub operation_name: Option<String>,
    pub variables: Option<serde_json::Value>,
    pub extensions: Option<serde_json::Value>,
}

fn object_or_null(
    value: Option<serde_json::Value>,
    name: &str,
) -> Result<Option<serde_json::Value>, Refusal> {
    match value {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(value @ serde_json::Value::Object(_)) => Ok(Some(value)),
        Some(_) => Err(Refusal::new(
            Code::BadRequest,
            format!("`{name}` must be an object"),
        )),
    }
}

fn has_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(s) => s.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(has_nul),
        serde_json::Value::Object(fields) => {
            fields.iter().any(|(k, v)| k.contains('\0') || has_nul(v))
        }
        _ => false,
    }
}

/// Refuses NUL characters anywhere: no field can hold one (PostgreSQL text cannot).
fn refuse_nul(params: Params) -> Result<Params, Refusal> {
    let in_query =
        params.query.contains('\0') || params.query.to_ascii_lowercase().contains("\\u0000");
    if in_query || params.variables.as_ref().is_some_and(has_nul) {
        return Err(Refusal::new(
            Code::BadUserInput,
            "text must not contain NUL characters (U+0000)",
        ));
    }
    Ok(params)
}

/// The document id a request names: `documentId` (GraphQL trusted documents) or
/// Apollo's `extensions.persistedQuery.sha256Hash`.
fn document_id(
    given: Option<serde_json::Value>,
    extensions: Option<&serde_json::Value>,
) -> Result<Option<String>, Refusal> {
    let apollo = extensions
        .and_then(|x| x.get("persistedQuery"))
        .and_then(|p| p.get("sha256Hash"))
        .cloned();
    match given.or(apollo) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(id)) => Ok(Some(id)),
        Some(_) => Err(Refusal::new(
            Code::BadRequest,
            "`documentId` must be a string",
        )),
    }
}

/// Reads a POST body: one JSON object with a string `query` or a `documentId`
/// (batches are refused).
pub fn params_from_body(body: &[u8]) -> Result<Params, Refusal> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|e| Refusal::new(Code::BadRequest, format!("the body is not valid JSON: {e}")))?;
    let serde_json::Value::Object(mut fields) = value else {
        return Err(Refusal::new(
            Code::BatchNotSupported,
            "the body must be one JSON object; batches of operations are not accepted",
        ));
    };
    let extensions = object_or_null(fields.remove("extensions"), "extensions")?;
    let document_id = document_id(fields.remove("documentId"), extensions.as_ref())?;
    let query = match fields.remove("query") {
        Some(serde_json::Value::String(query)) => query,
        None | Some(serde_json::Value::Null) if document_id.is_some() => String::new(),
        _ => {
            return Err(Refusal::new(
                Code::BadRequest,
                "the body needs a string `query` (or a registered document's `documentId`)",
            ))
        }
    };
    let operation_name = match fields.remove("operationName") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(name)) => Some(name),
        Some(_) => {
            return Err(Refusal::new(
                Code::BadRequest,
                "`operationName` must be a string",
            ))
        }
    };
    refuse_nul(Params {
        query,
        document_id,
        operation_name,
        variables: object_or_null(fields.remove("variables"), "variables")?,
        extensions,
    })
}

/// Reads GET parameters: `query`, `operationName`, and `variables`/`extensions` as
/// JSON text.
pub fn params_from_url(query_string: &str) -> Result<Params, Refusal> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string)
        .map_err(|_| Refusal::new(Code::BadRequest, "the URL parameters are malformed"))?;
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let json = |name: &str| -> Result<Option<serde_json::Value>, Refusal> {
        match get(name) {
            None => Ok(None),
            Some(text) => object_or_null(
                Some(serde_json::from_str(&text).map_err(|_| {
                    Refusal::new(Code::BadRequest, format!("`{name}` is not JSON"))
                })?),
                name,
            ),
        }
    };
    let extensions = json("extensions")?;
    let document_id = document_id(
        get("documentId").map(serde_json::Value::String),
        extensions.as_ref(),
    )?;
    let query = match get("query") {
        Some(query) => query,
        None if document_id.is_some() => String::new(),
        None => {
            return Err(Refusal::new(
                Code::BadRequest,
                "the `query` parameter is missing",
            ))
        }
    };
    refuse_nul(Params {
        query,
        document_id,
        operation_name: get("operationName").filter(|n| !n.is_empty()),
        variables: json("variables")?,
        extensions,
    })
}

/// What the document asks for, as far as HTTP cares.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// Whether the selected operation is a mutation.
    pub mutation: bool,
    /// Whether it is a mutation of `recordInteractions` fields only.
    pub recording_only: bool,
    /// Whether the selected operation is a subscription.
    pub subscription: bool,
    /// The selected operation's type and name.
    pub operation: crate::server::observe::Operation,
}

/// Checks the document's size (tokens, aliases, directives) and finds the selected
/// operation's kind. A document that does not parse is left to the engine, which
/// reports the syntax error.
pub fn inspect(
    query: &str,
    operation_name: Option<&str>,
    limits: &Limits,
) -> Result<Shape, Refusal> {
    let tree = Parser::new(query)
        .token_limit(limits.max_tokens)
        .recursion_limit(limits.max_depth.saturating_mul(4).max(64))
        .parse();
    if tree.token_limit().high > limits.max_tokens
        || tree.errors().any(|e| e.message().contains("token limit"))
    {
        return Err(Refusal::new(
            Code::TooManyTokens,
            format!("the query has more than {} tokens", limits.max_tokens),
        ));
    }
    if tree
        .errors()
        .any(|e| e.message().contains("recursion limit"))
    {
        return Err(Refusal::new(
            Code::QueryTooDeep,
            format!(
                "the query is nested more than {} levels deep (SILOSCOPE_MAX_DEPTH)",
                limits.max_depth
            ),
        ));
    }
    let document = tree.document();
    let (mut aliases, mut directives) = (0usize, 0usize);
    for node in document.syntax().descendants() {
        match node.kind() {
            SyntaxKind::ALIAS => aliases += 1,
            SyntaxKind::DIRECTIVE => directives += 1,
            _ => {}
        }
    }
    if aliases > limits.max_aliases {
        return Err(Refusal::new(
            Code::TooManyAliases,
            format!("the query has more than {} aliases", limits.max_aliases),
        ));
    }
    if directives > limits.max_directives {
        return Err(Refusal::new(
            Code::TooManyDirectives,
            format!(
                "the query has more than {} directives",
                limits.max_directives
            ),
        ));
    }
    Ok(shape(&document, operation_name))
}

/// The shape of the operation a request runs (none selected: the default shape, and
/// the schema's validation says why).
fn shape(document: &cst::Document, operation_name: Option<&str>) -> Shape {
    let operations: Vec<cst::OperationDefinition> = document
        .definitions()
        .filter_map(|d| match d {
            cst::Definition::OperationDefinition(op) => Some(op),
            _ => None,
        })
        .collect();
    let selected = match operation_name {
        Some(name) => operations
            .into_iter()
            .find(|op| op.name().is_some_and(|n| n.text() == name)),
        None if operations.len() == 1 => operations.into_iter().next(),
        None => None,
    };
    let Some(operation) = selected else {
        return Shape::default();
    };
    let mutation = operation
        .operation_type()
        .is_some_and(|t| t.mutation_token().is_some());
    let recording_only = mutation
        && operation.selection_set().is_some_and(|set| {
            set.selections().all(|s| match s {
                cst::Selection::Field(field) => field
                    .name()
                    .is_some_and(|n| n.text() == "recordInteractions"),
                _ => false,
            })
        });
    let subscription = operation
        .operation_type()
        .is_some_and(|t| t.subscription_token().is_some());
    let kind = if mutation {
        "mutation"
    } else if subscription {
        "subscription"
    } else {
        "query"
    };
    Shape {
        mutation,
        recording_only,
        subscription,
        operation: crate::server::observe::Operation {
            kind,
            name: operation.name().map(|n| n.text().to_string()),
        },
    }
}

/// The `extensions.code` of each error of a response.
pub fn codes(response: &async_graphql::Response) -> impl Iterator<Item = &str> {
    response.errors.iter().filter_map(|e| {
        e.extensions
            .as_ref()
            .and_then(|x| x.get("code"))
            .and_then(|c| match c {
                async_graphql::Value::String(s) => Some(s.as_str()),
                _ => None,
            })
    })
}

/// Whether the response is a request error: the operation was refused before it ran
/// (parse, validation, limits, variables), so there is no `data` at all.
pub fn is_request_error(response: &async_graphql::Response) -> bool {
    matches!(response.data, async_graphql::Value::Null)
        && codes(response).any(|c| {
            [
                Code::GraphqlParseFailed,
                Code::GraphqlValidationFailed,
                Code::QueryTooDeep,
                Code::QueryTooComplex,
                Code::BadUserInput,
            ]
            .iter()
            .any(|code| code.as_str() == c)
        })
}

/// The status of an executed response: with `application/graphql-response+json`, a
/// request error is a 400; the database being unreachable is a 503 and a report
/// refused for the organization's turns a 429, in either media, when no data is left.
pub fn status_of(response: &async_graphql::Response, media: Media) -> StatusCode {
    let no_data = matches!(response.data, async_graphql::Value::Null);
    if no_data
        && codes(response).any(|c| c == Code::Unavailable.as_str() || c == Code::Timeout.as_str())
    {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    if no_data && codes(response).any(|c| c == Code::TooManyRequests.as_str()) {
        return StatusCode::TOO_MANY_REQUESTS;
    }
    if media == Media::GraphqlResponse && is_request_error(response) {
        return StatusCode::BAD_REQUEST;
    }
    StatusCode::OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn accept_picks_the_preferred_media_or_refuses() {
        let media = |accept: Option<&str>| {
            let mut request = TestRequest::default();
            if let Some(accept) = accept {
                request = request.insert_header((header::ACCEPT, accept));
            }
            negotiate(&request.to_http_request())
        };
        assert_eq!(media(None), Ok(Media::Json));
        assert_eq!(
            media(Some(
                "application/graphql-response+json, application/json;q=0.9"
            )),
            Ok(Media::GraphqlResponse)
        );
        assert_eq!(
            media(Some(
                "application/graphql-response+json;q=0.5, application/json"
            )),
            Ok(Media::Json)
        );
        assert_eq!(media(Some("*/*")), Ok(Media::Json));
        assert_eq!(
            media(Some("text/html")).map_err(|r| r.status),
            Err(StatusCode::NOT_ACCEPTABLE)
        );
    }

    #[test]
    fn bodies_must_be_one_object_with_a_string_query() {
        assert!(params_from_body(br#"{"query":"{ viewer { subject } }"}"#).is_ok());
        for (body, code) in [
            (&b"not json"[..], "BAD_REQUEST"),
            (&b"\xff\xfe"[..], "BAD_REQUEST"),
            (br#"[{"query":"{a}"}]"#, "BATCH_NOT_SUPPORTED"),
            (br#"{"query":1}"#, "BAD_REQUEST"),
            (br#"{"query":"{a}","variables":[]}"#, "BAD_REQUEST"),
            (br#"{"query":"{a}","operationName":3}"#, "BAD_REQUEST"),
        ] {
            assert_eq!(
                params_from_body(body).unwrap_err().code.as_str(),
                code,
                "{body:?}"
            );
        }
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            params_from_body(deep.as_bytes()).unwrap_err().code.as_str(),
            "BAD_REQUEST"
        );
    }

    #[test]
    fn document_limits_are_enforced() {
        let limits = Limits {
            max_tokens: 50,
            max_aliases: 2,
            max_directives: 2,
            ..Limits::default()
        };
        assert!(inspect("{ a b c }", None, &limits).is_ok());
        let many = format!("{{ {} }}", "a ".repeat(60));
        assert_eq!(
            inspect(&many, None, &limits).unwrap_err().code.as_str(),
            "TOO_MANY_TOKENS"
        );
        assert_eq!(
            inspect("{ x: a y: a z: a }", None, &limits)
                .unwrap_err()
                .code
                .as_str(),
            "TOO_MANY_ALIASES"
        );
        assert_eq!(
            inspect(
                "{ a @skip(if: true) @skip(if: true) @skip(if: true) }",
                None,
                &limits
            )
            .unwrap_err()
            .code
            .as_str(),
            "TOO_MANY_DIRECTIVES"
        );
    }

    #[test]
    fn the_selected_operation_is_classified() {
        let limits = Limits::default();
        let shape = |q: &str, name: Option<&str>| inspect(q, name, &limits).unwrap();
        assert!(!shape("{ viewer { subject } }", None).mutation);
        assert!(
            shape(
                "mutation { recordInteractions(input: []) { recorded } }",
                None
            )
            .recording_only
        );
        let both = "query Q { viewer { subject } } mutation M { createFunction(input: {}) { userErrors { code } } }";
        assert!(!shape(both, Some("Q")).mutation);
        assert!(shape(both, Some("M")).mutation);
        assert!(!shape(both, Some("M")).recording_only);
    }
}
