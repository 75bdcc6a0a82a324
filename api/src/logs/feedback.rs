//! Feedback files: `siloscope import feedback FILE` and `POST /import/feedback`. A CSV
//! (gzip or not) with the columns `external_id, case_ref, kind, at, answered_at,
//! score, channel, comment` (the first four required), read on a blocking thread in
//! bounded chunks and recorded by `service::log::feedback::import`, all or nothing.

use std::io::Read;
use std::path::PathBuf;

use actix_web::{web, HttpRequest, HttpResponse};
use anyhow::{bail, Context};
use futures_util::StreamExt as _;
use service::log::feedback::{
    FeedbackChunk, FeedbackImportOptions, FeedbackImportSummary, FeedbackInput, FeedbackRead,
};
use service::log::import::{Rejection, CHUNK_ROWS};
use service::storage::db::Db;
use tokio::sync::mpsc;

use super::bounded::{self, CsvError, CsvRecord, CsvRecords, ReadLimits, Tripped};
use crate::graphql::over_http::{Media, Refusal};
use crate::server::state::{authenticate, AppState};

/// The columns of a feedback file, required ones first.
pub const COLUMNS: [&str; 8] = [
    "external_id",
    "case_ref",
    "kind",
    "at",
    "answered_at",
    "score",
    "channel",
    "comment",
];
const REQUIRED: usize = 4;

/// Starts reading a feedback CSV on a blocking thread; chunks arrive on the channel.
pub fn spawn(source: Box<dyn Read + Send>, limits: ReadLimits) -> mpsc::Receiver<FeedbackRead> {
    let (tx, rx) = mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        let tripped = Tripped::default();
        let outcome = bounded::ungzip(source, limits, &tripped)
            .map_err(|e| Rejection::new(0, "", format!("cannot read the file: {e}")))
            .and_then(|source| read(source, limits, &tx));
        if let Err(rejection) = outcome {
            let rejection = match tripped.take() {
                Some(limit) => Rejection::new(rejection.line, "", limit.0),
                None => rejection,
            };
            let _ = tx.blocking_send(Err(rejection));
        }
    });
    rx
}

fn read(
    source: Box<dyn std::io::BufRead + Send>,
    limits: ReadLimits,
    tx: &mpsc::Sender<FeedbackRead>,
) -> Result<(), Rejection> {
    let mut reader = CsvRecords::new(source, limits);
    let mut record = CsvRecord::default();
    let failed = |error: CsvError| {
        match error {
        CsvError::TooLong { line, max, .. } => Rejection::new(
            line,
            "",
            format!("the row on line {line} is longer than {max} bytes (SILOSCOPE_IMPORT_MAX_RECORD_BYTES)"),
        ),
        CsvError::Io(error) => Rejection::new(0, "", format!("cannot read the file: {error}")),
    }
    };
    if !reader.read(&mut record).map_err(failed)? {
        return Err(Rejection::new(
            0,
            "",
            "the file is empty: a feedback CSV starts with a header row",
        ));
    }
    let header: Vec<String> = (0..record.len())
        .map(|i| {
            String::from_utf8_lossy(record.get(i).unwrap_or_default())
                .trim()
                .to_ascii_lowercase()
        })
        .collect();
    let columns: Vec<Option<usize>> = COLUMNS
        .iter()
        .map(|name| header.iter().position(|h| h == name))
        .collect();
    if let Some(missing) = (0..REQUIRED).find(|&i| columns[i].is_none()) {
        return Err(Rejection::new(
            record.line,
            COLUMNS[missing],
            format!(
                "the header has no column `{}`; a feedback file has the columns {}",
                COLUMNS[missing],
                COLUMNS.join(", ")
            ),
        ));
    }
    let width = header.len();
    let mut chunk = FeedbackChunk::default();
    while reader.read(&mut record).map_err(failed)? {
        let line = record.line;
        match row(&record, width, &columns) {
            Ok(input) => chunk.rows.push((line, input)),
            Err((field, reason)) => chunk.rejected.push(Rejection::new(line, field, reason)),
        }
        if chunk.rows.len() + chunk.rejected.len() >= CHUNK_ROWS
            && tx.blocking_send(Ok(std::mem::take(&mut chunk))).is_err()
        {
            return Ok(());
        }
    }
    let _ = tx.blocking_send(Ok(chunk));
    Ok(())
}

/// One row as feedback, or the field and reason it cannot be.
fn row(
    record: &CsvRecord,
    width: usize,
    columns: &[Option<usize>],
) -> Result<FeedbackInput, (&'static str, String)> {
    if record.len() != width {
        return Err((
            "",
            format!(
                "the row has {} field(s) where the header has {width}",
                record.len()
            ),
        ));
    }
    let mut values: Vec<Option<String>> = Vec::with_capacity(COLUMNS.len());
    for (name, column) in COLUMNS.iter().zip(columns) {
        let value = match column {
            Some(i) => Some(
                std::str::from_utf8(record.get(*i).unwrap_or_default())
                    .map_err(|_| (*name, "the field is not UTF-8 text".to_owned()))?
                    .trim()
                    .to_owned(),
            ),
            None => None,
        };
        values.push(value.filter(|v| !v.is_empty()));
    }
    let mut take = |i: usize| values[i].take();
    let score = match take(5) {
        Some(text) => Some(
            text.parse::<i32>()
                .map_err(|_| ("score", format!("`{text}` is not a whole number")))?,
        ),
        None => None,
    };
    Ok(FeedbackInput {
        external_id: take(0).unwrap_or_default(),
        case_ref: take(1).unwrap_or_default(),
        kind: take(2).unwrap_or_default(),
        at: take(3).unwrap_or_default(),
        answered_at: take(4),
        score,
        channel: take(6),
        comment: take(7),
    })
}

/// The summary as one line for a person.
pub fn describe(summary: &FeedbackImportSummary, dry_run: bool) -> String {
    let d = &summary.done;
    let verb = if dry_run { "would record" } else { "recorded" };
    format!(
        "read {} row(s): {verb} {} new, {} answer(s) to offered surveys, {} duplicate(s); {} rejected",
        summary.read, d.recorded, d.answered, d.duplicates, summary.rejected
    )
}

/// `siloscope import feedback FILE --org SLUG`.
pub async fn import_file(
    db: &Db,
    file: PathBuf,
    org: &str,
    options: FeedbackImportOptions,
    limits: ReadLimits,
) -> anyhow::Result<()> {
    let organization = super::commands::organization(db, org).await?;
    let source =
        std::fs::File::open(&file).with_context(|| format!("cannot open {}", file.display()))?;
    let rows = spawn(Box::new(source), limits);
    let summary = service::access::audit::as_actor(
        service::access::audit::Actor::cli(),
        service::log::feedback::import(&db.tenant(organization.id), organization.id, rows, options),
    )
    .await?;
    for r in &summary.rejections {
        let column = if r.field.is_empty() {
            ""
        } else {
            r.field.as_str()
        };
        eprintln!("line {} {column}: {}", r.line, r.reason);
    }
    if summary.rejected as usize > summary.rejections.len() {
        eprintln!(
            "… and {} more",
            summary.rejected as usize - summary.rejections.len()
        );
    }
    println!("{}", describe(&summary, options.dry_run));
    if !summary.written && !options.dry_run {
        bail!(
            "nothing was written: {} row(s) refused; fix them and import again, or pass --skip-invalid to record the rest",
            summary.rejected
        );
    }
    Ok(())
}

/// POST /import/feedback: a feedback CSV into the caller's organization (roles that
/// import); `skip_invalid` and `dry_run` are query parameters.
pub(crate) async fn import_feedback(
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
    let mut options = FeedbackImportOptions::default();
    for (name, value) in url::form_urlencoded::parse(request.query_string().as_bytes()) {
        let flag = matches!(value.as_ref(), "true" | "1" | "");
        match name.replace('-', "_").to_ascii_lowercase().as_str() {
            "dry_run" | "dryrun" => options.dry_run = flag,
            "skip_invalid" | "skipinvalid" => options.skip_invalid = flag,
            other => {
                return Refusal::new(
                    service::Code::BadRequest,
                    format!(
                    "unknown parameter `{other}`: a feedback import takes dry_run and skip_invalid"
                ),
                )
                .response(Media::Json)
            }
        }
    }
    let limit = state.limits.max_import_bytes;
    let body: super::http::Body = Box::pin(futures_util::StreamExt::map(payload, |chunk| {
        chunk.map_err(|e| e.to_string())
    }));
    let (source, pump) = super::http::bridge(body, limit);
    let rows = spawn(Box::new(source), state.limits.import);
    let org = viewer.organization_id;
    let tenant = state.db.tenant(org);
    let work = service::access::audit::as_actor(
        viewer.actor(),
        service::log::feedback::import(&tenant, org, rows, options),
    );
    let (too_large, outcome) = tokio::join!(pump, work);
    if too_large {
        return super::http::too_large(limit);
    }
    let summary = match outcome {
        Ok(summary) => summary,
        Err(error) => return Refusal::from(&error).response(Media::Json),
    };
    let d = &summary.done;
    let body = serde_json::json!({
        "committed": summary.written,
        "dryRun": options.dry_run,
        "read": summary.read,
        "recorded": d.recorded,
        "answered": d.answered,
        "duplicates": d.duplicates,
        "rejected": summary.rejected,
        "rejections": summary.rejections.iter().map(|x| serde_json::json!({
            "line": x.line, "field": x.field, "reason": x.reason,
        })).collect::<Vec<_>>(),
    });
    if summary.written || options.dry_run {
        return HttpResponse::Ok().json(body);
    }
    super::http::rejected(
        body,
        format!(
            "nothing was written: {} row(s) refused; `skip_invalid=true` records the rest",
            summary.rejected
        ),
    )
}

/// The organization's feedback in `window` as CSV (the import's columns), page by
/// page: the header first, then one piece per page.
pub fn file(
    db: service::storage::db::Tenant,
    window: service::rules::Window,
) -> impl futures_util::Stream<Item = service::ServiceResult<Vec<u8>>> {
    let header = Some(COLUMNS.join(",").into_bytes());
    futures_util::stream::unfold(
        (db, header, Some(0i64)),
        move |(db, mut header, after)| async move {
            if let Some(mut bytes) = header.take() {
                bytes.push(b'\n');
                return Some((Ok(bytes), (db, None, after)));
            }
            let after = after?;
            let org = db.organization_id();
            let rows = match service::log::feedback::page(&db, org, window, after).await {
                Ok(rows) => rows,
                Err(error) => return Some((Err(error), (db, None, None))),
            };
            let last = rows.last().map(|r| r.id)?;
            let mut out = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(Vec::new());
            for r in &rows {
                let instant = super::write::instant;
                let result = out.write_record([
                    r.external_id.clone(),
                    r.case_ref.clone(),
                    r.kind.clone(),
                    instant(r.at),
                    r.answered_at.map(instant).unwrap_or_default(),
                    r.score.map(|s| s.to_string()).unwrap_or_default(),
                    r.channel.clone().unwrap_or_default(),
                    r.comment.clone().unwrap_or_default(),
                ]);
                if let Err(error) = result {
                    let error = service::ServiceError::internal(error);
                    return Some((Err(error), (db, None, None)));
                }
            }
            let bytes = out.into_inner().unwrap_or_default();
            let more = (rows.len() as u64 == service::log::feedback::PAGE_ROWS).then_some(last);
            Some((Ok(bytes), (db, None, more)))
        },
    )
}

/// `siloscope export feedback --org SLUG`.
pub async fn export_file(
    db: &Db,
    org: &str,
    window: service::rules::Window,
    out: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    use std::io::Write as _;
    let organization = super::commands::organization(db, org).await?;
    let mut sink: Box<dyn std::io::Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let pieces = file(db.tenant(organization.id), window);
    let mut pieces = std::pin::pin!(pieces);
    while let Some(piece) = futures_util::StreamExt::next(&mut pieces).await {
        sink.write_all(&piece?)?;
    }
    sink.flush()?;
    Ok(())
}

/// GET /export/feedback: the caller's organization's feedback as CSV (`from` and `to`
/// bound when it was offered or made).
pub(crate) async fn export_feedback(
    request: HttpRequest,
    state: web::Data<AppState>,
) -> HttpResponse {
    let viewer = match authenticate(&request, &state).await {
        Ok(viewer) => viewer,
        Err(error) => return Refusal::from(&error).response(Media::Json),
    };
    if let Err(error) = viewer.require(crate::server::auth::may::READ) {
        return Refusal::from(&error).response(Media::Json);
    }
    let mut window = service::rules::Window::ALL;
    for (name, value) in url::form_urlencoded::parse(request.query_string().as_bytes()) {
        let at = match service::log::recording::parse_instant(&value) {
            Some(at) => at,
            None => {
                return Refusal::new(
                    service::Code::BadRequest,
                    format!("`{name}` must be an RFC 3339 instant with an offset"),
                )
                .response(Media::Json)
            }
        };
        match name.as_ref() {
            "from" => window.from = Some(at),
            "to" => window.to = Some(at),
            other => {
                return Refusal::new(
                    service::Code::BadRequest,
                    format!("unknown parameter `{other}` (from, to)"),
                )
                .response(Media::Json)
            }
        }
    }
    let body = file(state.db.tenant(viewer.organization_id), window).map(|piece| match piece {
        Ok(bytes) => Ok(bytes::Bytes::from(bytes)),
        Err(error) => {
            tracing::error!(error = %error, "feedback export failed");
            Err(actix_web::error::ErrorInternalServerError("export failed"))
        }
    });
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            actix_web::http::header::CONTENT_DISPOSITION,
            "attachment; filename=\"feedback.csv\"",
        ))
        .streaming(body)
}
