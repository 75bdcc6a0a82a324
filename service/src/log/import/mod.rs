//! Loading a whole log: rows read from a file by a door (CSV, XES…) arrive in chunks,
//! are checked as `recordInteractions` checks them, and are recorded chunk by chunk in
//! one transaction. So an import is all or nothing: when any row is bad nothing is
//! written (unless the caller skips bad rows), and an import cut off half-way (killed,
//! connection lost) leaves nothing of itself. Importing the same rows again records
//! nothing new: each externalId is recorded once.

pub mod chart_from_log;

use std::collections::HashSet;
use std::time::Instant;

use tokio::sync::mpsc;

use rules::rollup::RollupDelta;

use crate::error::{ServiceResult, UserError};
use crate::log::recording::input::{sort_batch, Lookup};
use crate::log::recording::{write_only, InteractionInput, Recorded};
use crate::storage::db::begin_change;

/// Rows a door should send per chunk: large enough to write efficiently, small enough
/// to keep memory flat whatever the file's size.
pub const CHUNK_ROWS: usize = 5_000;

/// Rejections kept to report (all are counted).
pub const MAX_REPORTED: usize = 1_000;

/// One row of the file, with where it was read.
#[derive(Clone, Debug)]
pub struct SourceRow {
    /// Where the row is in the file, from 1, in the door's unit (a CSV line, an XES or
    /// OCEL event's number).
    pub line: u64,
    pub input: InteractionInput,
    /// What `create_missing` needs besides the interaction.
    pub chart: RowChart,
    /// The row as the file had it, when the door keeps it for a reject file.
    pub raw: Option<Box<str>>,
}

/// What a row says of the chart, for `create_missing`: its touchpoint's channel, and
/// the function's name when the row names it by HR id.
#[derive(Clone, Debug, Default)]
pub struct RowChart {
    pub channel: Option<entity::enums::Channel>,
    pub function_name: Option<String>,
}

/// A row refused, or a file that could not be read further.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// Where the row is, in the door's unit (a CSV line, an event's number); 0 for the
    /// file as a whole.
    pub line: u64,
    /// The field, as a log names it (`case_ref`, `occurred_at`, `function`, …); a door
    /// shows the column it was read from.
    pub field: String,
    pub reason: String,
    /// The row as the file had it, when the door kept it.
    pub raw: Option<Box<str>>,
}

impl Rejection {
    /// A row (or the file, at 0) refused for `reason`, naming `field`.
    pub fn new(line: u64, field: impl Into<String>, reason: impl Into<String>) -> Rejection {
        Rejection {
            line,
            field: field.into(),
            reason: reason.into(),
            raw: None,
        }
    }
}

/// A chunk of the file as the door read it: the rows it could read, and those it could
/// not make sense of (a value of the wrong type, say).
#[derive(Clone, Debug, Default)]
pub struct Chunk {
    pub rows: Vec<SourceRow>,
    pub rejected: Vec<Rejection>,
}

/// What the door sends: a chunk, or the reason the file cannot be read further (a
/// malformed file ends the import with nothing written).
pub type Read = Result<Chunk, Rejection>;

/// How to import.
#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Check every row, write nothing.
    pub dry_run: bool,
    /// Record the good rows even when some are bad (the bad ones are reported).
    pub skip_invalid: bool,
    /// Create the functions and touchpoints the rows name that do not exist yet
    /// ([`crate::log::import::chart_from_log`]).
    pub create_missing: bool,
}

/// What an import did.
#[derive(Clone, Debug, Default)]
pub struct ImportSummary {
    /// Rows read from the file.
    pub read: u64,
    /// What was recorded (for a dry run: what would have been; all zero when the
    /// import was undone).
    pub recorded: Recorded,
    /// Rows refused (a row with several problems counts once; a file that could not
    /// be read further counts as one).
    pub rejected: u64,
    /// Problems found, counted (a row may have several).
    pub errors: u64,
    /// The first [`MAX_REPORTED`] problems, in file order.
    pub rejections: Vec<Rejection>,
    /// The functions and touchpoints `create_missing` created (for a dry run: would
    /// have created).
    pub created: crate::log::import::chart_from_log::Created,
    /// Whether the import was committed (false for a dry run, a malformed file, or bad
    /// rows without `skip_invalid`).
    pub committed: bool,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Where the time went: seconds per phase (waiting for the reader, checking,
    /// writing the interactions, deriving the cases, the rollups, the commit).
    pub phases: Phases,
}

/// Seconds an import spent in each phase.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Phases {
    /// Waiting for the door's reader (parsing the file).
    pub reading: f64,
    /// Checking rows (and creating what `create_missing` creates).
    pub checking: f64,
    /// Writing interactions and cases.
    pub writing: f64,
    /// Deriving each case's steps once.
    pub deriving: f64,
    /// Applying the rollup change, the audit and notices.
    pub rollups: f64,
    pub commit: f64,
}

impl std::fmt::Display for Phases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reading {:.1} s, checking {:.1} s, writing {:.1} s, deriving {:.1} s, rollups {:.1} s, commit {:.1} s",
            self.reading, self.checking, self.writing, self.deriving, self.rollups, self.commit
        )
    }
}

/// Seconds since `since`, and restarts it.
fn lap(since: &mut Instant) -> f64 {
    let now = Instant::now();
    let seconds = now.duration_since(*since).as_secs_f64();
    *since = now;
    seconds
}

impl ImportSummary {
    /// Counts a chunk's problems, sorted by line: each row once, each problem.
    fn reject(&mut self, problems: Vec<Rejection>) {
        let mut last = None;
        for rejection in problems {
            if last != Some(rejection.line) || rejection.line == 0 {
                self.rejected += 1;
                last = Some(rejection.line);
            }
            self.errors += 1;
            if self.rejections.len() < MAX_REPORTED {
                self.rejections.push(rejection);
            }
        }
    }
}

/// Imports the chunks `rows` delivers into organization `organization_id`; `progress`
/// is told how many rows have been read after each chunk.
pub async fn import_interactions(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    mut rows: mpsc::Receiver<Read>,
    options: ImportOptions,
    progress: &(dyn Fn(u64) + Send + Sync),
) -> ServiceResult<ImportSummary> {
    let started = Instant::now();
    let mut summary = ImportSummary::default();
    let txn = begin_change(db, organization_id).await?;
    crate::storage::db::bulk_cache(&txn, true).await?;
    let mut broken = false;
    // The planner's statistics are refreshed as the import grows (by doubling), so
    // that PostgreSQL keeps using the indexes for the rows this transaction adds.
    let mut analyze_at = CHUNK_ROWS as i64;
    // The rollup change: `derive_once` writes it in pieces of bounded size, the
    // rest is written at the end.
    let mut rollups = RollupDelta::default();
    // The cases written to, derived once at the end; those the import created had no
    // steps before.
    let mut touched: HashSet<i64> = HashSet::new();
    let mut created: HashSet<i64> = HashSet::new();
    // What was written to the cases the import created, for deriving them.
    let mut held = crate::log::derived::held::Held::default();
    // What the import has written, when that is all the organization holds: then
    // nothing else needs looking up.
    let mut identities =
        crate::log::recording::identity::ImportedIdentities::start(&txn, organization_id).await?;
    // The chart as it is: read again only when `create_missing` adds to it.
    let mut lookup = Lookup::load(&txn, organization_id, &[]).await?;
    let mut clock = Instant::now();
    while let Some(chunk) = rows.recv().await {
        summary.phases.reading += lap(&mut clock);
        let Chunk {
            rows: chunk,
            rejected,
        } = match chunk {
            Ok(chunk) => chunk,
            Err(rejection) => {
                // The file cannot be read further: nothing of it is written.
                summary.reject(vec![rejection]);
                broken = true;
                break;
            }
        };
        summary.read += (chunk.len() + rows_of(&rejected)) as u64;
        let lines: Vec<(u64, Option<Box<str>>)> = chunk
            .iter()
            .map(|row| (row.line, row.raw.clone()))
            .collect();
        if options.create_missing
            && crate::log::import::chart_from_log::create_missing(
                &txn,
                organization_id,
                &chunk,
                &lookup,
                &mut summary.created,
            )
            .await?
        {
            lookup = Lookup::load(&txn, organization_id, &[]).await?;
        }
        let items: Vec<InteractionInput> = chunk.into_iter().map(|row| row.input).collect();
        lookup.add_people(&txn, organization_id, &items).await?;
        let (batch, errors) = sort_batch(&items, &lookup);
        let mut bad = rejections(&lines, errors);
        bad.extend(rejected);
        // Once a row is bad and bad rows are not skipped, the rest is only checked.
        let writing = (summary.rejected == 0 && bad.is_empty()) || options.skip_invalid;
        summary.phases.checking += lap(&mut clock);
        if writing {
            if summary.recorded.recorded + summary.recorded.duplicates == 0 {
                // Each phase is logged as it begins (the fault tests kill it there).
                tracing::info!("import phase: writing");
            }
            let (written, conflicts) =
                write_only(&txn, organization_id, batch, &mut identities).await?;
            summary.recorded.recorded += written.recorded;
            summary.recorded.duplicates += written.duplicates;
            touched.extend(written.cases);
            created.extend(written.created);
            for (case_id, event) in &written.events {
                if created.contains(case_id) {
                    held.push(*case_id, event);
                }
            }
            if summary.recorded.recorded >= analyze_at {
                crate::storage::db::analyze_in(&txn, organization_id).await?;
                analyze_at = summary.recorded.recorded * 2;
            }
            bad.extend(rejections(&lines, conflicts));
        }
        bad.sort_by_key(|r| r.line);
        summary.reject(bad);
        progress(summary.read);
        summary.phases.writing += lap(&mut clock);
    }
    summary.phases.reading += lap(&mut clock);
    let keep = !broken && !options.dry_run && (summary.rejected == 0 || options.skip_invalid);
    if keep || options.dry_run {
        // Each case written to is derived once, after the last chunk, however the
        // file spreads its interactions: a dry run too, for its figures.
        tracing::info!("import phase: deriving");
        crate::storage::db::analyze_in(&txn, organization_id).await?;
        drop(identities);
        held.seal();
        let change = crate::log::derived::derive_once(
            &txn,
            organization_id,
            touched.into_iter().collect(),
            &created,
            &held,
            &mut rollups,
        )
        .await?;
        drop(held);
        summary.recorded.new_handoffs = change.handoffs;
        summary.recorded.new_silo_handoffs = change.silo_handoffs;
        summary.recorded.flagged = change.flagged;
        summary.phases.deriving += lap(&mut clock);
    }
    if keep {
        tracing::info!("import phase: rollups");
        rollups.compact();
        crate::log::derived::rollup::apply(&txn, organization_id, &rollups).await?;
        // The connection goes back to the pool with the usual cache (on an error
        // above it keeps the larger one until it is closed: memory, never
        // correctness).
        crate::storage::db::bulk_cache(&txn, false).await?;
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Imported<'a> {
            #[serde(flatten)]
            recorded: &'a Recorded,
            #[serde(skip_serializing_if = "crate::log::import::chart_from_log::Created::is_empty")]
            created: &'a crate::log::import::chart_from_log::Created,
        }
        let imported = Imported {
            recorded: &summary.recorded,
            created: &summary.created,
        };
        crate::log::recording::summary_event(
            &txn,
            organization_id,
            "interactions.import",
            &imported,
        )
        .await?;
        // A handoff made new by one chunk and again by a later one is told once.
        summary.recorded.flagged.sort_unstable();
        summary.recorded.flagged.dedup_by_key(|(_, id)| *id);
        crate::log::recording::enqueue_notices(
            &txn,
            organization_id,
            crate::notify::live::Source::Import,
            &summary.recorded,
        )
        .await?;
        summary.phases.rollups += lap(&mut clock);
        tracing::info!("import phase: commit");
        txn.commit().await?;
        summary.phases.commit += lap(&mut clock);
        crate::log::recording::wake_notifiers(db);
        summary.committed = true;
        // Awaited, not spawned: a command-line import exits right after.
        crate::storage::db::refresh_statistics(db.db()).await;
    } else {
        crate::storage::db::bulk_cache(&txn, false).await?;
        txn.rollback().await?;
        if !options.dry_run || broken {
            // A dry run reports what it would have recorded; anything else undone
            // recorded nothing.
            summary.recorded = Recorded::default();
        }
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

/// How many rows a door's rejections hold (a row may have several problems).
fn rows_of(rejected: &[Rejection]) -> usize {
    let mut lines: Vec<u64> = rejected.iter().map(|r| r.line).collect();
    lines.dedup();
    lines.len()
}

/// The batch's user errors as rejections, by the line of the item each names and the
/// field by the service's name for it (which is a log's: `case_ref`, `occurred_at`…).
fn rejections(lines: &[(u64, Option<Box<str>>)], errors: Vec<UserError>) -> Vec<Rejection> {
    errors
        .into_iter()
        .map(|error| {
            let (line, raw) = error
                .field
                .item
                .and_then(|i| lines.get(i).cloned())
                .unwrap_or((0, None));
            Rejection {
                line,
                field: error.field.name.into_owned(),
                reason: error.message,
                raw,
            }
        })
        .collect()
}
