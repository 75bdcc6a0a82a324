//! `POST /import/interactions` and `GET /export/interactions`: the log over HTTP. The
//! caller is authenticated and its role checked by the server before these run; they
//! work in its organization only.
//!
//! Import: the body (CSV or XES, gzip or not) is streamed to the reader as it arrives,
//! never held whole; `format`, `skip_invalid`, `dry_run` and `map` (repeatable,
//! `field=column`) are query parameters. Export: the file is streamed page by page.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use futures_util::StreamExt as _;
use service::log::import::{ImportOptions, ImportSummary};
use service::storage::db::Tenant;
use service::Code;
use tokio::sync::mpsc;
use tokio_util::io::{StreamReader, SyncIoBridge};

use service::reports::names::Names;

use super::read::spawn;
use super::{Format, Mapping};
use crate::graphql::over_http::{Media, Refusal};
use crate::server::state::{authenticate, AppState};

/// The query parameters of an import. Each is named as the command line's option
/// (`time_zone` or `timeZone` for `--time-zone`).
#[derive(Debug, Default)]
pub struct ImportParams {
    pub format: Option<Format>,
    pub map: Vec<String>,
    pub case_type: Option<String>,
    pub options: ImportOptions,
    pub settings: super::ImportSettings,
}

/// The parameters an import takes, as the command line spells its options.
const PARAMETERS: &str = "format, map, case_type, skip_invalid, dry_run, create_missing, time_zone, time_format, map_group, group_field";

/// A parameter's name without its spelling: `timeZone`, `time_zone` and `time-zone`
/// are one.
fn plain(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

impl ImportParams {
    /// Reads the query string (`map` and `map_group` may repeat).
    pub fn parse(request: &HttpRequest) -> Result<ImportParams, Refusal> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(request.query_string())
            .map_err(|e| Refusal::new(Code::BadRequest, format!("bad query string: {e}")))?;
        let flag = |value: &str, name: &str| match value {
            "true" | "1" | "" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(Refusal::new(
                Code::BadRequest,
                format!("`{name}` must be true or false"),
            )),
        };
        let mut params = ImportParams::default();
        for (name, value) in pairs {
            match plain(&name).as_str() {
                "format" => {
                    params.format = Some(Format::parse(&value).ok_or_else(|| {
                        Refusal::new(
                            Code::UnsupportedMediaType,
                            format!("format `{value}`: csv, xes, ocel, zendesk-events, jira-changelog or servicenow-audit"),
                        )
                    })?)
                }
                "map" => params.map.push(value),
                "casetype" => params.case_type = Some(value),
                "skipinvalid" => params.options.skip_invalid = flag(&value, &name)?,
                "dryrun" => params.options.dry_run = flag(&value, &name)?,
                "createmissing" => params.options.create_missing = flag(&value, &name)?,
                "timezone" => params.settings.time_zone = Some(value),
                "timeformat" => params.settings.time_format = Some(value),
                "mapgroup" => params.settings.map_group.push(value),
                "groupfield" => params.settings.group_field = Some(value),
                _ => {
                    return Err(Refusal::new(
                        Code::BadRequest,
                        format!("unknown parameter `{name}` ({PARAMETERS}; the groups and incidents files are parts of a multipart/form-data body)"),
                    ))
                }
            }
        }
        if params.format.is_none() {
            let content_type = request
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            params.format = Format::guess(content_type);
        }
        Ok(params)
    }
}

/// The log's bytes as they arrive.
pub(crate) type Body = std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<Bytes, String>>>>;

/// The body of an import: the log itself, or a multipart/form-data body whose parts
/// are the side files (`groups`, `incidents`, read whole and bounded) and last the
/// log (`file`, streamed).
async fn body_parts(
    request: &HttpRequest,
    payload: web::Payload,
    settings: &mut super::ImportSettings,
    limits: super::bounded::ReadLimits,
) -> Result<Body, Refusal> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.to_ascii_lowercase().starts_with("multipart/form-data"));
    if !multipart {
        return Ok(Box::pin(
            payload.map(|chunk| chunk.map_err(|e| e.to_string())),
        ));
    }
    let mut parts = actix_multipart::Multipart::new(request.headers(), payload);
    let bad = |message: String| Refusal::new(Code::BadRequest, message);
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|e| bad(format!("bad multipart body: {e}")))?;
        let name = part.name().unwrap_or_default().to_owned();
        match name.as_str() {
            "file" => {
                // The parts stay alive while the file is read: a part is read through
                // them.
                let file = futures_util::stream::unfold((parts, part), |(parts, mut part)| async move {
                    let chunk = part.next().await?;
                    Some((chunk.map_err(|e| e.to_string()), (parts, part)))
                });
                return Ok(Box::pin(file));
            }
            "groups" | "incidents" => {
                let mut bytes = Vec::new();
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(|e| bad(format!("bad multipart body: {e}")))?;
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > limits.max_held_bytes {
                        return Err(Refusal::new(
                            Code::RequestTooLarge,
                            super::presets::side_file_too_large(&name, limits),
                        ));
                    }
                }
                if name == "groups" {
                    settings.groups = Some(bytes);
                } else {
                    settings.incidents = Some(bytes);
                }
            }
            other => {
                return Err(bad(format!(
                    "unknown part `{other}`: a multipart import has the parts groups and incidents (optional), then file"
                )))
            }
        }
    }
    Err(bad(
        "the multipart body has no `file` part (the log, after the groups and incidents parts)"
            .into(),
    ))
}

/// Imports the request's body into organization `org`.
pub async fn import(
    db: &Tenant,
    org: i64,
    mut params: ImportParams,
    request: &HttpRequest,
    payload: web::Payload,
    limits: &crate::server::config::Limits,
) -> HttpResponse {
    let limit = limits.max_import_bytes;
    let Some(format) = params.format else {
        return Refusal::new(
            Code::UnsupportedMediaType,
            "cannot tell the format: send `?format=csv`, `xes`, `ocel`, `zendesk-events`, `jira-changelog` or `servicenow-audit`, or Content-Type text/csv, application/xml or application/json",
        )
        .response(Media::Json);
    };
    let payload = match body_parts(request, payload, &mut params.settings, limits.import).await {
        Ok(body) => body,
        Err(refusal) => return refusal.response(Media::Json),
    };
    let mut mapping = match Mapping::new(
        format,
        &params.map,
        params.case_type.clone(),
        super::Door::Http,
    ) {
        Ok(mapping) => mapping,
        Err(error) => {
            return Refusal::new(Code::BadRequest, error.to_string()).response(Media::Json)
        }
    };
    let zone = match service::model::organization::get(db, org).await {
        Ok(organization) => organization.time_zone,
        Err(error) => return Refusal::from(&error).response(Media::Json),
    };
    let settings = std::mem::take(&mut params.settings);
    if let Err(message) = settings.apply(&mut mapping, format, &zone, limits.import) {
        return Refusal::new(Code::BadRequest, message).response(Media::Json);
    }
    let mapping_for_display = mapping.clone();
    let (body, pump) = bridge(payload, limit);
    let options = super::read::ReadOptions {
        limits: limits.import,
        keep_raw: false,
    };
    let rows = spawn(Box::new(body), format, mapping, options);
    let work = service::log::import::import_interactions(db, org, rows, params.options, &|_| {});
    let (too_large, outcome) = tokio::join!(pump, work);
    if too_large {
        return self::too_large(limit);
    }
    match outcome {
        Ok(summary) => summary_response(
            &summary,
            &mapping_for_display,
            format,
            params.options.dry_run,
        ),
        Err(error) => Refusal::from(&error).response(Media::Json),
    }
}

/// A body as a blocking `Read` for a reader's thread, and the future that feeds it:
/// the request's task sends the body's chunks to a channel (an actix payload cannot
/// leave its task) and stops at `limit` bytes, resolving to whether it was exceeded.
pub(crate) fn bridge(
    mut payload: Body,
    limit: u64,
) -> (
    impl std::io::Read + Send + 'static,
    impl std::future::Future<Output = bool>,
) {
    let (tx, mut rx) = mpsc::channel::<std::io::Result<Bytes>>(8);
    let chunks = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let body = SyncIoBridge::new(StreamReader::new(chunks));
    let pump = async move {
        let mut seen = 0u64;
        while let Some(chunk) = payload.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = tx.send(Err(std::io::Error::other(error))).await;
                    return false;
                }
            };
            seen += chunk.len() as u64;
            if seen > limit {
                let _ = tx
                    .send(Err(std::io::Error::other("the body is over the limit")))
                    .await;
                return true;
            }
            if tx.send(Ok(chunk)).await.is_err() {
                return false;
            }
        }
        false
    };
    (body, pump)
}

/// The refusal of a body over `limit` bytes.
pub(crate) fn too_large(limit: u64) -> HttpResponse {
    Refusal::new(
        Code::RequestTooLarge,
        format!("the body is over {limit} bytes (SILOSCOPE_MAX_IMPORT_BYTES); nothing was written"),
    )
    .response(Media::Json)
}

fn summary_response(
    summary: &ImportSummary,
    mapping: &Mapping,
    format: Format,
    dry_run: bool,
) -> HttpResponse {
    let r = &summary.recorded;
    let body = serde_json::json!({
        "committed": summary.committed,
        "dryRun": dry_run,
        "read": summary.read,
        "recorded": r.recorded,
        "duplicates": r.duplicates,
        "rejected": summary.rejected,
        "problems": summary.errors,
        "newHandoffs": r.new_handoffs,
        "newSiloHandoffs": r.new_silo_handoffs,
        "seconds": summary.seconds,
        "created": {
            "functions": summary.created.functions,
            "touchpoints": summary.created.touchpoints,
        },
        // Each problem where it is: a CSV line, or an XES or OCEL event (0: the file).
        "rejections": summary.rejections.iter().map(|x| serde_json::json!({
            format.unit(): x.line, "field": mapping.column(&x.field), "reason": x.reason,
        })).collect::<Vec<_>>(),
    });
    if summary.committed || dry_run {
        return HttpResponse::Ok().json(body);
    }
    rejected(
        body,
        format!(
            "nothing was written: {} row(s) refused, {} problem(s); `skip_invalid=true` records the rest",
            summary.rejected, summary.errors
        ),
    )
}

/// An import that wrote nothing because rows were refused: its summary `body`, with
/// the IMPORT_REJECTED error saying `message` beside it.
pub(crate) fn rejected(mut body: serde_json::Value, message: String) -> HttpResponse {
    let refusal = Refusal::new(Code::ImportRejected, message);
    body["errors"] = serde_json::json!([{
        "message": refusal.message,
        "extensions": { "code": refusal.code.as_str() },
    }]);
    HttpResponse::build(refusal.status).json(body)
}

/// The export's query parameters: `format` (csv or xes), `from`, `to`.
pub fn export_params(request: &HttpRequest) -> Result<(Format, service::rules::Window), Refusal> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(request.query_string())
        .map_err(|e| Refusal::new(Code::BadRequest, format!("bad query string: {e}")))?;
    let mut format = None;
    let mut window = service::rules::Window::default();
    for (name, value) in pairs {
        let instant = || {
            service::log::recording::parse_instant(&value).ok_or_else(|| {
                Refusal::new(
                    Code::BadRequest,
                    format!("`{name}` is not an RFC 3339 instant with an offset"),
                )
            })
        };
        match name.as_str() {
            "format" => {
                format = Format::parse(&value).filter(|f| matches!(f, Format::Csv | Format::Xes))
            }
            "from" => window.from = Some(instant()?),
            "to" => window.to = Some(instant()?),
            other => {
                return Err(Refusal::new(
                    Code::BadRequest,
                    format!("unknown parameter `{other}` (format, from, to)"),
                ))
            }
        }
    }
    let format =
        format.ok_or_else(|| Refusal::new(Code::BadRequest, "`format` must be csv or xes"))?;
    Ok((format, window))
}

/// Streams the log of the handle's organization as `format`.
pub async fn export(db: Tenant, format: Format, window: service::rules::Window) -> HttpResponse {
    let names = match Names::load(&db, db.organization_id()).await {
        Ok(names) => names,
        Err(error) => return Refusal::from(&error).response(Media::Json),
    };
    let body = super::write::file(db, names, format, window).map(|piece| match piece {
        Ok(bytes) => Ok(Bytes::from(bytes)),
        Err(error) => {
            // The status line is sent already: the client sees a cut-off body.
            tracing::error!(error = %error, "export failed");
            Err(actix_web::error::ErrorInternalServerError("export failed"))
        }
    });
    let name = match format {
        Format::Csv => "interactions.csv",
        _ => "interactions.xes",
    };
    HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .streaming(body)
}

/// POST /import/interactions: a log file into the caller's organization (roles
/// INTEGRATION, ADMIN); see `logs::http`.
pub(crate) async fn import_interactions(
    request: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> HttpResponse {
    let viewer = match authenticate(&request, &state).await {
        Ok(viewer) => viewer,
        Err(error) => return Refusal::from(&error).response(Media::Json),
    };
    if let Err(error) = viewer.require(crate::server::auth::may::IMPORT) {
        return Refusal::from(&error).response(Media::Json);
    }
    let params = match ImportParams::parse(&request) {
        Ok(params) => params,
        Err(refusal) => return refusal.response(Media::Json),
    };
    service::access::audit::as_actor(
        viewer.actor(),
        import(
            &state.db.tenant(viewer.organization_id),
            viewer.organization_id,
            params,
            &request,
            payload,
            &state.limits,
        ),
    )
    .await
}

/// GET /export/interactions: the caller's organization's log as CSV or XES.
pub(crate) async fn export_interactions(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let viewer = match authenticate(&request, &state).await {
        Ok(viewer) => viewer,
        Err(error) => return Refusal::from(&error).response(Media::Json),
    };
    match export_params(&request) {
        Ok((format, window)) => {
            export(state.db.tenant(viewer.organization_id), format, window).await
        }
        Err(refusal) => refusal.response(Media::Json),
    }
}
