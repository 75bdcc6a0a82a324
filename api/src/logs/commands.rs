//! `siloscope import interactions` and `siloscope export interactions`: the command
//! line's doors to the log, against the configured database.

use std::io::{IsTerminal, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use service::log::import::{ImportOptions, ImportSummary};
use service::rules::Window;
use service::storage::db::{Db, OwnerWork};

use futures_util::StreamExt as _;
use service::reports::names::Names;

use super::read::spawn;
use super::{Format, Mapping};

/// What `import interactions` was asked to do.
pub struct ImportRequest {
    pub file: PathBuf,
    pub org: String,
    pub format: Option<Format>,
    pub map: Vec<String>,
    /// OCEL: the object type whose objects are the cases.
    pub case_type: Option<String>,
    pub options: ImportOptions,
    pub reject_file: Option<PathBuf>,
    /// What the reader may read and hold.
    pub limits: super::bounded::ReadLimits,
    /// Time zone and layout, and what a ticketing preset needs.
    pub settings: super::ImportSettings,
}

async fn organization_id(db: &Db, slug: &str) -> anyhow::Result<i64> {
    Ok(organization(db, slug).await?.id)
}

pub(crate) async fn organization(
    db: &Db,
    slug: &str,
) -> anyhow::Result<entity::organization::Model> {
    match service::model::organization::find_by_slug(&db.owner(OwnerWork::Organizations), slug).await? {
        Some(org) => Ok(org),
        None => bail!("no organization `{slug}` in the configured database; `siloscope org list` shows those there are"),
    }
}

/// Imports a file; fails (after printing the rejections) when nothing was written
/// because rows were bad or the file was malformed.
pub async fn import(db: &Db, request: ImportRequest) -> anyhow::Result<()> {
    let organization = organization(db, &request.org).await?;
    let org = organization.id;
    let format = match request.format {
        Some(format) => format,
        None => Format::guess(&request.file.to_string_lossy()).with_context(|| {
            format!(
                "cannot tell the format of {} from its name: pass --format csv, xes, ocel, zendesk-events, jira-changelog or servicenow-audit",
                request.file.display()
            )
        })?,
    };
    let mut mapping = Mapping::new(
        format,
        &request.map,
        request.case_type.clone(),
        super::Door::CommandLine,
    )?;
    request
        .settings
        .clone()
        .apply(
            &mut mapping,
            format,
            &organization.time_zone,
            request.limits,
        )
        .map_err(anyhow::Error::msg)?;
    let columns = mapping.clone();
    let file = std::fs::File::open(&request.file)
        .with_context(|| format!("cannot open {}", request.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let progress = Progress::new(size);
    let source = progress.bar.wrap_read(file);
    let options = super::read::ReadOptions {
        limits: request.limits,
        // The rows go into the reject file as the file had them.
        keep_raw: request.reject_file.is_some() || request.options.skip_invalid,
    };
    let rows = spawn(Box::new(source), format, mapping, options);
    let rows_read = progress.rows.clone();
    let report = move |read: u64| rows_read.store(read, Ordering::Relaxed);
    let ticker = progress.start();
    let summary = service::access::audit::as_actor(
        service::access::audit::Actor::cli(),
        service::log::import::import_interactions(
            &db.tenant(org),
            org,
            rows,
            request.options,
            &report,
        ),
    )
    .await;
    ticker.abort();
    progress.bar.finish_and_clear();
    let summary = summary?;
    print_rejections(&summary, &columns, format);
    if let Some(path) = reject_file(&request, &summary) {
        write_rejections(&path, &summary, &columns, format)?;
        eprintln!("rejected rows: {}", path.display());
    }
    println!("{}", describe(&summary, request.options.dry_run));
    if !summary.committed && !request.options.dry_run {
        bail!(
            "nothing was written: {} row(s) refused; fix them and import again, or pass --skip-invalid to record the rest",
            summary.rejected
        );
    }
    Ok(())
}

fn reject_file(request: &ImportRequest, summary: &ImportSummary) -> Option<PathBuf> {
    if summary.rejected == 0 {
        return None;
    }
    request.reject_file.clone().or_else(|| {
        request
            .options
            .skip_invalid
            .then(|| PathBuf::from(format!("{}.rejects.csv", request.file.display())))
    })
}

fn print_rejections(summary: &ImportSummary, columns: &Mapping, format: Format) {
    const SHOWN: usize = 20;
    for rejection in summary.rejections.iter().take(SHOWN) {
        let field = if rejection.field.is_empty() {
            String::new()
        } else {
            format!(", {}", columns.column(&rejection.field))
        };
        if rejection.line == 0 {
            eprintln!("the file{field}: {}", rejection.reason);
        } else {
            eprintln!(
                "{} {}{field}: {}",
                format.unit(),
                rejection.line,
                rejection.reason
            );
        }
    }
    if summary.errors as usize > SHOWN {
        eprintln!("… and {} more", summary.errors as usize - SHOWN);
    }
}

/// Writes the rejected rows as CSV: where each is in the file (its line or event),
/// the columns at fault, the reasons, and the row as the file had it (CSV: its text,
/// so the rows can be fixed there and imported again; XES and OCEL: the event's
/// attributes or id). A row with several problems is one line of the file.
fn write_rejections(
    path: &Path,
    summary: &ImportSummary,
    columns: &Mapping,
    format: Format,
) -> anyhow::Result<()> {
    let mut writer =
        csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    writer.write_record([format.unit(), "columns", "reasons", "row"])?;
    let mut rows: Vec<(u64, Vec<&str>, Vec<&str>, &str)> = Vec::new();
    for rejection in &summary.rejections {
        let column = columns.column(&rejection.field);
        match rows.last_mut() {
            Some(last) if last.0 == rejection.line && rejection.line != 0 => {
                if !column.is_empty() {
                    last.1.push(column);
                }
                last.2.push(&rejection.reason);
            }
            _ => rows.push((
                rejection.line,
                if column.is_empty() {
                    vec![]
                } else {
                    vec![column]
                },
                vec![&rejection.reason],
                rejection.raw.as_deref().unwrap_or(""),
            )),
        }
    }
    for (line, fields, reasons, raw) in rows {
        writer.write_record([
            line.to_string().as_str(),
            &fields.join(", "),
            &reasons.join("; "),
            raw,
        ])?;
    }
    writer.flush()?;
    Ok(())
}

/// The one-line summary.
pub fn describe(summary: &ImportSummary, dry_run: bool) -> String {
    let r = &summary.recorded;
    let rate = summary.read as f64 / summary.seconds.max(1e-9);
    format!(
        "{}read {}, recorded {}, duplicates {}, rejected {} ({} problem(s)), new handoffs {}, new silo handoffs {}, {:.1} s ({:.0} rows/s)",
        if dry_run { "dry run (nothing written): " } else { "" },
        summary.read,
        r.recorded,
        r.duplicates,
        summary.rejected,
        summary.errors,
        r.new_handoffs,
        r.new_silo_handoffs,
        summary.seconds,
        rate,
    ) + &created(summary)
        + &format!("\ntime: {}", summary.phases)
}

/// What `--create-missing` created, for the summary.
fn created(summary: &ImportSummary) -> String {
    let list = |names: &[String]| {
        const SHOWN: usize = 20;
        let mut shown = names
            .iter()
            .take(SHOWN)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > SHOWN {
            shown.push_str(&format!(" and {} more", names.len() - SHOWN));
        }
        shown
    };
    let created = &summary.created;
    let mut out = String::new();
    if !created.functions.is_empty() {
        out.push_str(&format!(
            "\ncreated {} function(s): {}",
            created.functions.len(),
            list(&created.functions)
        ));
    }
    if !created.touchpoints.is_empty() {
        out.push_str(&format!(
            "\ncreated {} touchpoint(s): {}",
            created.touchpoints.len(),
            list(&created.touchpoints)
        ));
    }
    out
}

/// A progress bar by bytes read (so it has an ETA) with the rows in its message on a
/// terminal; elsewhere a plain line every ten seconds.
struct Progress {
    bar: indicatif::ProgressBar,
    rows: Arc<AtomicU64>,
}

impl Progress {
    fn new(bytes: u64) -> Progress {
        let bar = if std::io::stderr().is_terminal() {
            let bar = indicatif::ProgressBar::new(bytes);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:30} {bytes}/{total_bytes} {msg} ETA {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        } else {
            indicatif::ProgressBar::hidden()
        };
        Progress {
            bar,
            rows: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Refreshes the bar's rows and rate, or prints a line now and then.
    fn start(&self) -> tokio::task::JoinHandle<()> {
        let (bar, rows) = (self.bar.clone(), self.rows.clone());
        let on_terminal = !bar.is_hidden();
        tokio::spawn(async move {
            let started = Instant::now();
            let mut ticks =
                tokio::time::interval(Duration::from_secs(if on_terminal { 1 } else { 10 }));
            ticks.tick().await; // the first tick is immediate
            loop {
                ticks.tick().await;
                let read = rows.load(Ordering::Relaxed);
                let rate = read as f64 / started.elapsed().as_secs_f64().max(1e-9);
                if on_terminal {
                    bar.set_message(format!("{read} rows, {rate:.0} rows/s"));
                } else {
                    eprintln!(
                        "importing: {read} rows read, {rate:.0} rows/s, {} s",
                        started.elapsed().as_secs()
                    );
                }
            }
        })
    }
}

/// Writes the organization's interactions in `window` as `format` to `out` (standard
/// output when absent).
pub async fn export(
    db: &Db,
    org: &str,
    format: Format,
    window: Window,
    out: Option<&Path>,
) -> anyhow::Result<()> {
    if !matches!(format, Format::Csv | Format::Xes) {
        bail!("the log is exported as csv or xes (OCEL and the ticketing presets are read only)");
    }
    let org = organization_id(db, org).await?;
    let mut sink: Box<dyn std::io::Write> = match out {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot write {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let tenant = db.tenant(org);
    let names = Names::load(&tenant, org).await?;
    let file = super::write::file(tenant, names, format, window);
    let mut file = std::pin::pin!(file);
    while let Some(piece) = file.next().await {
        sink.write_all(&piece?)?;
    }
    sink.flush()?;
    Ok(())
}
