//! What customers say (docs/rules.md §11): survey offers and answers, and complaints,
//! each about a recorded case. A batch is checked whole and written in one
//! transaction, or not at all; an item is recognised by its externalId, so sending it
//! again changes nothing, and the answer to a survey recorded as offered is added
//! when the same survey arrives answered.

use std::collections::HashMap;

use entity::{customer_case, feedback};
use rules::voice::Kind;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set,
};

use tokio::sync::mpsc;

use crate::error::{check, Field, ServiceResult, UserError, UserErrorCode, Write};
use crate::log::import::{Rejection, MAX_REPORTED};
use crate::log::recording::{parse_instant, MAX_NOTE};
use crate::notify::live::{BatchSummary, FeedbackCounts, Source};
use crate::storage::db::{begin_change, now_micros, Tenant};
use crate::storage::scoped::in_org;

/// Most feedback items in one call.
pub const MAX_BATCH: usize = 10_000;
/// Longest externalId and caseRef, in characters.
pub const MAX_REF: usize = 200;
/// Longest channel, in characters.
pub const MAX_CHANNEL: usize = 100;
/// Items per `IN` list and per insert.
const CHUNK: usize = 1_000;
/// Feedback may be dated up to a day after the server's clock (clocks differ).
const FUTURE_LEEWAY_MICROS: i64 = 86_400_000_000;

/// One piece of feedback as a door received it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeedbackInput {
    /// The source system's id, unique in the organization.
    pub external_id: String,
    /// The case it is about; it must be recorded.
    pub case_ref: String,
    /// `CSAT`, `CES`, `NPS` or `COMPLAINT`.
    pub kind: String,
    /// When the survey was offered or the complaint made (RFC 3339 with an offset).
    pub at: String,
    /// When the survey was answered; given exactly when `score` is.
    pub answered_at: Option<String>,
    pub score: Option<i32>,
    pub channel: Option<String>,
    /// A note, at most [`MAX_NOTE`] characters.
    pub comment: Option<String>,
}

/// A checked item, ready to be written.
#[derive(Clone, Debug, PartialEq, Eq)]
struct NewFeedback {
    external_id: String,
    case_ref: String,
    kind: Kind,
    at: i64,
    answer: Option<(i64, i32)>,
    channel: Option<String>,
    comment: Option<String>,
}

/// What a batch did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FeedbackRecorded {
    /// Items newly written.
    pub recorded: i64,
    /// Surveys recorded as offered whose answer this batch added.
    pub answered: i64,
    /// Items recorded already with the same content, left as they were.
    pub duplicates: i64,
    /// Of the items newly written, complaints.
    pub complaints: i64,
}

impl FeedbackRecorded {
    fn add(&mut self, other: &FeedbackRecorded) {
        self.recorded += other.recorded;
        self.answered += other.answered;
        self.duplicates += other.duplicates;
        self.complaints += other.complaints;
    }
}

/// Records a batch of feedback atomically: when any item is invalid or contradicts
/// what is recorded, nothing is written.
pub async fn record(
    db: &Tenant,
    organization_id: i64,
    items: Vec<FeedbackInput>,
) -> Write<FeedbackRecorded> {
    if items.len() > MAX_BATCH {
        return Err(UserError::new(
            UserErrorCode::TooMany,
            Field::of(""),
            format!(
                "at most {MAX_BATCH} feedback items a call; this one has {}",
                items.len()
            ),
        )
        .into());
    }
    let now = now_micros();
    let mut errors = Vec::new();
    let checked: Vec<Option<NewFeedback>> = items
        .iter()
        .enumerate()
        .map(|(index, item)| check_item(index, item, now, &mut errors))
        .collect();
    let fresh: Vec<(usize, NewFeedback)> = checked
        .into_iter()
        .enumerate()
        .filter_map(|(i, n)| n.map(|n| (i, n)))
        .collect();
    let txn = begin_change(db, organization_id).await?;
    let plan = plan(&txn, organization_id, fresh).await?;
    // Every problem at once, in input order; any of them undoes the batch.
    errors.extend(plan.errors.iter().cloned());
    errors.sort_by_key(|e| e.field.item);
    check(errors)?;
    let done = apply(&txn, plan).await?;
    audit(&txn, organization_id, "feedback.record", &done).await?;
    let told = tell(&txn, organization_id, Source::Record, &done).await?;
    txn.commit().await?;
    if told {
        crate::log::recording::wake_notifiers(db);
    }
    Ok(done)
}

/// Tells subscribers and webhooks what a batch of feedback did, in its transaction;
/// returns whether there was anything to tell (a batch that wrote nothing tells
/// nothing).
async fn tell(
    txn: &DatabaseTransaction,
    organization_id: i64,
    source: Source,
    done: &FeedbackRecorded,
) -> ServiceResult<bool> {
    if done.recorded + done.answered == 0 {
        return Ok(false);
    }
    let summary = BatchSummary {
        source,
        at: now_micros(),
        recorded: 0,
        duplicates: 0,
        new_handoffs: 0,
        new_silo_handoffs: 0,
        feedback: Some(FeedbackCounts {
            recorded: done.recorded,
            answered: done.answered,
            duplicates: done.duplicates,
            complaints: done.complaints,
        }),
    };
    crate::log::recording::tell(txn, organization_id, &summary, &[]).await?;
    Ok(true)
}

/// One audit event for a change to the feedback, with what it did.
async fn audit<T: serde::Serialize>(
    txn: &DatabaseTransaction,
    organization_id: i64,
    action: &str,
    summary: &T,
) -> ServiceResult<()> {
    crate::access::audit::record(
        txn,
        organization_id,
        crate::access::audit::Change {
            action,
            entity_kind: "Feedback",
            entity_id: None,
        },
        None::<&()>,
        Some(summary),
    )
    .await
}

/// Checks one item; pushes what is wrong with it to `errors`.
fn check_item(
    index: usize,
    item: &FeedbackInput,
    now: i64,
    errors: &mut Vec<UserError>,
) -> Option<NewFeedback> {
    let before = errors.len();
    let mut refuse = |code, field: &'static str, message: String| {
        errors.push(UserError::new(code, Field::item(index, field), message));
    };
    let external_id = item.external_id.trim().to_owned();
    let case_ref = item.case_ref.trim().to_owned();
    for (value, field, name) in [
        (&external_id, "external_id", "externalId"),
        (&case_ref, "case_ref", "caseRef"),
    ] {
        if value.is_empty() {
            refuse(
                UserErrorCode::Required,
                field,
                format!("{name} is required"),
            );
        } else if value.chars().count() > MAX_REF {
            refuse(
                UserErrorCode::Invalid,
                field,
                format!("{name} is longer than {MAX_REF} characters"),
            );
        }
    }
    let kind = Kind::parse(&item.kind);
    if kind.is_none() {
        refuse(
            UserErrorCode::Invalid,
            "kind",
            format!(
                "`{}` is not a feedback kind: CSAT, CES, NPS or COMPLAINT",
                item.kind
            ),
        );
    }
    let instant =
        |text: &str| parse_instant(text).filter(|at| *at >= 0 && *at <= now + FUTURE_LEEWAY_MICROS);
    let at = instant(&item.at);
    if at.is_none() {
        refuse(
            UserErrorCode::Invalid,
            "at",
            format!(
                "`{}` is not an instant in RFC 3339 with an offset, between 1970 and a day from now",
                item.at
            ),
        );
    }
    let answered_at = item.answered_at.as_deref().map(|text| {
        let parsed = instant(text);
        if parsed.is_none() {
            refuse(
                UserErrorCode::Invalid,
                "answered_at",
                format!("`{text}` is not an instant in RFC 3339 with an offset, between 1970 and a day from now"),
            );
        }
        parsed
    });
    let mut answer = None;
    match (kind, answered_at, item.score) {
        (Some(Kind::Complaint), a, s) if a.is_some() || s.is_some() => refuse(
            UserErrorCode::Invalid,
            if s.is_some() { "score" } else { "answered_at" },
            "a complaint has no score and no answeredAt".to_owned(),
        ),
        (Some(kind), Some(a), Some(score)) => {
            let (low, high) = kind.range().unwrap_or((0, 0));
            if !(low..=high).contains(&score) {
                refuse(
                    UserErrorCode::Invalid,
                    "score",
                    format!(
                        "a {} score lies between {low} and {high}; {score} does not",
                        kind.name()
                    ),
                );
            }
            if let (Some(answered), Some(offered)) = (a, at) {
                if answered < offered {
                    refuse(
                        UserErrorCode::Invalid,
                        "answered_at",
                        "answeredAt comes before at: a survey is answered after it is offered"
                            .to_owned(),
                    );
                }
                answer = Some((answered, score));
            }
        }
        (Some(kind), Some(_), None) if kind != Kind::Complaint => refuse(
            UserErrorCode::Required,
            "score",
            "an answered survey needs its score (answeredAt is given)".to_owned(),
        ),
        (Some(kind), None, Some(_)) if kind != Kind::Complaint => refuse(
            UserErrorCode::Required,
            "answered_at",
            "an answered survey needs answeredAt (score is given)".to_owned(),
        ),
        _ => {}
    }
    let clean = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let channel = clean(&item.channel);
    if channel
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_CHANNEL)
    {
        refuse(
            UserErrorCode::Invalid,
            "channel",
            format!("channel is longer than {MAX_CHANNEL} characters"),
        );
    }
    let comment = clean(&item.comment);
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_NOTE)
    {
        refuse(
            UserErrorCode::Invalid,
            "comment",
            format!("comment is longer than {MAX_NOTE} characters"),
        );
    }
    if errors.len() > before {
        return None;
    }
    Some(NewFeedback {
        external_id,
        case_ref,
        kind: kind?,
        at: at?,
        answer,
        channel,
        comment,
    })
}

/// How a new item stands against one already recorded with its externalId.
enum Against {
    Same,
    /// The recorded survey was offered; this one carries its answer.
    Answers,
    Conflict,
}

fn against(stored: &feedback::Model, case_id: i64, new: &NewFeedback) -> Against {
    let stored_answer = stored.answered_at.zip(stored.score);
    let alike = stored.case_id == case_id
        && stored.kind == new.kind.name()
        && stored.at == new.at
        && stored.channel == new.channel
        && (stored.comment == new.comment || stored.comment_redacted);
    match (alike, stored_answer, new.answer) {
        (true, a, b) if a == b => Against::Same,
        (true, None, Some(_)) => Against::Answers,
        (true, Some(_), None) => Against::Same,
        _ => Against::Conflict,
    }
}

/// What a checked batch will write, and the items it refuses (by input index).
#[derive(Default)]
struct Plan {
    done: FeedbackRecorded,
    answers: Vec<feedback::ActiveModel>,
    inserts: Vec<feedback::ActiveModel>,
    errors: Vec<UserError>,
}

/// Plans the checked items against `txn`: resolves their cases, drops what is
/// recorded, finds the offered surveys they answer; refused items are left out.
async fn plan(
    txn: &DatabaseTransaction,
    organization_id: i64,
    fresh: Vec<(usize, NewFeedback)>,
) -> ServiceResult<Plan> {
    let mut plan = Plan::default();
    let fresh = merge_repeats(fresh, &mut plan.done, &mut plan.errors);
    let cases = case_ids(txn, organization_id, &fresh).await?;
    let stored = recorded(txn, organization_id, &fresh).await?;
    let now = now_micros();
    for (index, new) in fresh {
        let Some(&case_id) = cases.get(&new.case_ref) else {
            plan.errors.push(UserError::new(
                UserErrorCode::NotFound,
                Field::item(index, "case_ref"),
                format!(
                    "no case `{}` is recorded: record its interactions first",
                    new.case_ref
                ),
            ));
            continue;
        };
        if let Some(row) = stored.get(&new.external_id) {
            match against(row, case_id, &new) {
                Against::Same => plan.done.duplicates += 1,
                Against::Conflict => plan
                    .errors
                    .push(conflict(index, &new.external_id, "already")),
                Against::Answers => {
                    let (answered_at, score) = new.answer.unzip();
                    let mut active: feedback::ActiveModel = row.clone().into();
                    active.answered_at = Set(answered_at);
                    active.score = Set(score);
                    plan.answers.push(active);
                    plan.done.answered += 1;
                }
            }
            continue;
        }
        let (answered_at, score) = new.answer.unzip();
        plan.done.complaints += i64::from(new.kind == Kind::Complaint);
        plan.inserts.push(feedback::ActiveModel {
            organization_id: Set(organization_id),
            case_id: Set(case_id),
            external_id: Set(new.external_id),
            kind: Set(new.kind.name().to_owned()),
            at: Set(new.at),
            answered_at: Set(answered_at),
            score: Set(score),
            channel: Set(new.channel),
            comment: Set(new.comment),
            comment_redacted: Set(false),
            recorded_at: Set(now),
            ..Default::default()
        });
    }
    plan.done.recorded = plan.inserts.len() as i64;
    Ok(plan)
}

/// Writes what a plan holds.
async fn apply(txn: &DatabaseTransaction, plan: Plan) -> ServiceResult<FeedbackRecorded> {
    for answer in plan.answers {
        answer.update(txn).await?;
    }
    let mut rows = plan.inserts.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<_> = rows.by_ref().take(CHUNK).collect();
        feedback::Entity::insert_many(chunk).exec(txn).await?;
    }
    Ok(plan.done)
}

/// Folds items of the batch that share an externalId into one: copies are
/// duplicates, an offered survey and its answer are the answered survey, anything
/// else a CONFLICT.
fn merge_repeats(
    items: Vec<(usize, NewFeedback)>,
    done: &mut FeedbackRecorded,
    errors: &mut Vec<UserError>,
) -> Vec<(usize, NewFeedback)> {
    let mut kept: Vec<(usize, NewFeedback)> = Vec::with_capacity(items.len());
    let mut at: HashMap<String, usize> = HashMap::new();
    for (index, new) in items {
        let Some(&place) = at.get(&new.external_id) else {
            at.insert(new.external_id.clone(), kept.len());
            kept.push((index, new));
            continue;
        };
        let earlier = &mut kept[place].1;
        let unanswered = |n: &NewFeedback| NewFeedback {
            answer: None,
            ..n.clone()
        };
        if unanswered(earlier) != unanswered(&new)
            || (earlier.answer.is_some() && new.answer.is_some() && earlier.answer != new.answer)
        {
            errors.push(conflict(index, &new.external_id, "earlier in this batch"));
            continue;
        }
        earlier.answer = earlier.answer.or(new.answer);
        done.duplicates += 1;
    }
    kept
}

fn conflict(index: usize, external_id: &str, when: &str) -> UserError {
    UserError::new(
        UserErrorCode::Conflict,
        Field::item(index, "external_id"),
        format!("externalId `{external_id}` is recorded {when} with other content"),
    )
}

/// The ids of the cases the items name.
async fn case_ids(
    txn: &DatabaseTransaction,
    organization_id: i64,
    items: &[(usize, NewFeedback)],
) -> ServiceResult<HashMap<String, i64>> {
    let mut refs: Vec<&str> = items.iter().map(|(_, n)| n.case_ref.as_str()).collect();
    refs.sort_unstable();
    refs.dedup();
    let mut found = HashMap::new();
    for chunk in refs.chunks(CHUNK) {
        let rows: Vec<(i64, String)> = in_org::<customer_case::Entity>(organization_id)
            .filter(customer_case::Column::CaseRef.is_in(chunk.iter().copied()))
            .select_only()
            .columns([customer_case::Column::Id, customer_case::Column::CaseRef])
            .into_tuple()
            .all(txn)
            .await?;
        found.extend(rows.into_iter().map(|(id, case_ref)| (case_ref, id)));
    }
    Ok(found)
}

/// The recorded items with the externalIds of `items`.
async fn recorded(
    txn: &DatabaseTransaction,
    organization_id: i64,
    items: &[(usize, NewFeedback)],
) -> ServiceResult<HashMap<String, feedback::Model>> {
    let ids: Vec<&str> = items.iter().map(|(_, n)| n.external_id.as_str()).collect();
    let mut found = HashMap::new();
    if crate::storage::db::is_postgres(txn) {
        // Driven by the list, one index probe per externalId: a table an import is
        // filling has no statistics yet, and with `IN` PostgreSQL scans it whole for
        // every chunk (2.4 s a chunk at 150k feedback rows).
        use sea_orm::{EntityTrait as _, Statement};
        for chunk in ids.chunks(CHUNK) {
            let wanted: Vec<String> = chunk.iter().map(|id| (*id).to_owned()).collect();
            let rows = feedback::Entity::find()
                .from_raw_sql(Statement::from_sql_and_values(
                    sea_orm::DbBackend::Postgres,
                    "SELECT f.* FROM unnest($2::text[]) AS wanted(external_id) \
                     CROSS JOIN LATERAL (SELECT * FROM feedback \
                     WHERE organization_id = $1 AND external_id = wanted.external_id \
                     LIMIT 1) AS f",
                    [organization_id.into(), wanted.into()],
                ))
                .all(txn)
                .await?;
            found.extend(rows.into_iter().map(|r| (r.external_id.clone(), r)));
        }
        return Ok(found);
    }
    for chunk in ids.chunks(CHUNK) {
        let rows = feedback::Entity::find()
            .filter(feedback::Column::OrganizationId.eq(organization_id))
            .filter(feedback::Column::ExternalId.is_in(chunk.iter().copied()))
            .all(txn)
            .await?;
        found.extend(rows.into_iter().map(|r| (r.external_id.clone(), r)));
    }
    Ok(found)
}

/// A chunk of a feedback file as a door read it: rows with their line, and those it
/// could not make sense of.
#[derive(Clone, Debug, Default)]
pub struct FeedbackChunk {
    pub rows: Vec<(u64, FeedbackInput)>,
    pub rejected: Vec<Rejection>,
}

/// What a door sends: a chunk, or why the file cannot be read further.
pub type FeedbackRead = Result<FeedbackChunk, Rejection>;

/// How to import feedback.
#[derive(Clone, Copy, Debug, Default)]
pub struct FeedbackImportOptions {
    /// Check every row, write nothing.
    pub dry_run: bool,
    /// Record the good rows even when some are bad (the bad ones are reported).
    pub skip_invalid: bool,
}

/// What a feedback import did (or, dry, would do).
#[derive(Clone, Debug, Default)]
pub struct FeedbackImportSummary {
    /// Rows read.
    pub read: u64,
    pub done: FeedbackRecorded,
    /// Rows refused (all counted; the first [`MAX_REPORTED`] listed).
    pub rejected: u64,
    pub rejections: Vec<Rejection>,
    /// Whether anything was written: false for a dry run and for a file with a bad
    /// row imported without `skip_invalid`.
    pub written: bool,
}

impl FeedbackImportSummary {
    fn reject(&mut self, rejection: Rejection) {
        self.rejected += 1;
        if self.rejections.len() < MAX_REPORTED {
            self.rejections.push(rejection);
        }
    }
}

/// Imports a feedback file chunk by chunk in one transaction: all or nothing, unless
/// `skip_invalid` records the good rows beside the bad ones. The same checks as
/// [`record`]; an item is recognised by its externalId across chunks and imports.
pub async fn import(
    db: &Tenant,
    organization_id: i64,
    mut chunks: mpsc::Receiver<FeedbackRead>,
    options: FeedbackImportOptions,
) -> ServiceResult<FeedbackImportSummary> {
    let mut summary = FeedbackImportSummary::default();
    let txn = begin_change(db, organization_id).await?;
    let mut failed = false;
    while let Some(read) = chunks.recv().await {
        let chunk = match read {
            Ok(chunk) => chunk,
            Err(rejection) => {
                summary.reject(rejection);
                failed = true;
                break;
            }
        };
        summary.read += (chunk.rows.len() + chunk.rejected.len()) as u64;
        for rejection in chunk.rejected {
            summary.reject(rejection);
        }
        let now = now_micros();
        let mut errors = Vec::new();
        let lines: Vec<u64> = chunk.rows.iter().map(|(line, _)| *line).collect();
        let fresh: Vec<(usize, NewFeedback)> = chunk
            .rows
            .iter()
            .enumerate()
            .filter_map(|(i, (_, item))| check_item(i, item, now, &mut errors).map(|n| (i, n)))
            .collect();
        let plan = plan(&txn, organization_id, fresh).await?;
        errors.extend(plan.errors.iter().cloned());
        errors.sort_by_key(|e| e.field.item);
        for error in errors {
            let line = error.field.item.map_or(0, |i| lines[i]);
            summary.reject(Rejection::new(line, error.field.name, error.message));
        }
        if summary.rejected == 0 || options.skip_invalid {
            summary.done.add(&apply(&txn, plan).await?);
        }
    }
    if failed || options.dry_run || (summary.rejected > 0 && !options.skip_invalid) {
        // Dropped, not committed: nothing of the import stays.
        return Ok(summary);
    }
    audit(&txn, organization_id, "feedback.import", &summary.done).await?;
    let told = tell(&txn, organization_id, Source::Import, &summary.done).await?;
    txn.commit().await?;
    if told {
        crate::log::recording::wake_notifiers(db);
    }
    summary.written = true;
    Ok(summary)
}

/// One piece of feedback as exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackRow {
    pub id: i64,
    pub external_id: String,
    pub case_ref: String,
    pub kind: String,
    pub at: i64,
    pub answered_at: Option<i64>,
    pub score: Option<i32>,
    pub channel: Option<String>,
    pub comment: Option<String>,
}

/// The organization's feedback offered or made in `window` (`[from, to)` on `at`).
pub fn in_window(organization_id: i64, window: rules::Window) -> sea_orm::Select<feedback::Entity> {
    use feedback::Column as F;
    let mut query = in_org::<feedback::Entity>(organization_id);
    if let Some(from) = window.from {
        query = query.filter(F::At.gte(from));
    }
    if let Some(to) = window.to {
        query = query.filter(F::At.lt(to));
    }
    query
}

/// Rows per export page.
pub const PAGE_ROWS: u64 = 5_000;

/// The next page of the organization's feedback offered or made in `window`, after
/// the row `after`, in recording order.
pub async fn page(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i64,
    window: rules::Window,
    after: i64,
) -> ServiceResult<Vec<FeedbackRow>> {
    use feedback::Column as F;
    use sea_orm::QueryOrder;
    let rows = in_window(organization_id, window)
        .filter(F::Id.gt(after))
        .order_by_asc(F::Id)
        .limit(PAGE_ROWS)
        .all(db)
        .await?;
    let mut case_ids: Vec<i64> = rows.iter().map(|r| r.case_id).collect();
    case_ids.sort_unstable();
    case_ids.dedup();
    let refs: HashMap<i64, String> = in_org::<customer_case::Entity>(organization_id)
        .filter(customer_case::Column::Id.is_in(case_ids))
        .select_only()
        .columns([customer_case::Column::Id, customer_case::Column::CaseRef])
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|r| FeedbackRow {
            id: r.id,
            external_id: r.external_id,
            case_ref: refs.get(&r.case_id).cloned().unwrap_or_default(),
            kind: r.kind,
            at: r.at,
            answered_at: r.answered_at,
            score: r.score,
            channel: r.channel,
            comment: r.comment,
        })
        .collect())
}
