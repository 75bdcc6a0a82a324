//! What customers said over a window, against the silo handoffs of their cases
//! (docs/rules.md §11): the window's feedback and, for the cases it concerns, their
//! whole chains' SILO handoffs and interactions, folded by `rules::voice`.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{feedback, step};
use rules::flags::HandoffKey;
use rules::voice::{Bucket, CaseTouches, Kind, Said};
use rules::Window;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
};

use super::period::{earlier_window, ComparisonPeriod};
use crate::error::{ServiceError, ServiceResult};
use crate::log::feedback::in_window;
use crate::reports::snapshot::{Figures, Snapshot};
use crate::storage::scoped::{Page, PageRequest};

/// The voice report of a window, beside earlier periods'.
#[derive(Clone, Debug)]
pub struct VoiceReport {
    pub window: Window,
    pub figures: rules::voice::VoiceReport,
    /// One per period asked for, in the order asked.
    pub comparisons: Vec<(ComparisonPeriod, Window, rules::voice::VoiceReport)>,
    /// The organization's `minResponses` the findings were judged with.
    pub min_responses: i64,
    /// What the report's functions are named from.
    pub snapshot: Arc<Snapshot>,
}

/// What customers said over `window`, compared with the earlier periods asked for.
pub async fn voice_report(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    window: Window,
    compare_to: &[ComparisonPeriod],
) -> ServiceResult<VoiceReport> {
    let snapshot = figures.snapshot(db, organization_id).await?;
    let min_responses = snapshot.min_responses;
    let current = fold(db, &snapshot, window, min_responses).await?;
    let mut comparisons = Vec::new();
    for &period in compare_to {
        let earlier = earlier_window(&snapshot, period, window)?;
        let figures = fold(db, &snapshot, earlier, min_responses).await?;
        comparisons.push((period, earlier, figures));
    }
    Ok(VoiceReport {
        window,
        figures: current,
        comparisons,
        min_responses,
        snapshot,
    })
}

/// One window's figures.
async fn fold(
    db: &impl ConnectionTrait,
    snapshot: &Snapshot,
    window: Window,
    min_responses: i64,
) -> ServiceResult<rules::voice::VoiceReport> {
    let said = said_in(db, snapshot.organization_id, window).await?;
    let cases = touches(db, snapshot, window).await?;
    Ok(rules::voice::report(&said, &cases, min_responses))
}

/// The feedback whose `at` lies in the window.
async fn said_in(
    db: &impl ConnectionTrait,
    organization_id: i64,
    window: Window,
) -> ServiceResult<Vec<Said>> {
    let rows: Vec<(i64, String, i64, Option<i32>)> = in_window(organization_id, window)
        .select_only()
        .columns([
            feedback::Column::CaseId,
            feedback::Column::Kind,
            feedback::Column::At,
            feedback::Column::Score,
        ])
        .into_tuple()
        .all(db)
        .await?;
    rows.into_iter()
        .map(|(case_id, kind, at, score)| {
            let kind = Kind::parse(&kind).ok_or_else(|| {
                ServiceError::internal(anyhow::anyhow!("a feedback row of unknown kind `{kind}`"))
            })?;
            Ok(Said {
                case_id,
                kind,
                at,
                score,
            })
        })
        .collect()
}

/// The SILO handoffs (under the current chart) and the interactions in chain order of
/// every case with feedback offered or made in `window`, from their steps, in one
/// statement. The steps are found by case (their case index), never by scanning the
/// organization's; a step of another organization is never asked for (the cases come
/// from the organization's own feedback) and would be dropped.
async fn touches(
    db: &impl ConnectionTrait,
    snapshot: &Snapshot,
    window: Window,
) -> ServiceResult<HashMap<i64, CaseTouches>> {
    let cases_of = in_window(snapshot.organization_id, window)
        .select_only()
        .column(feedback::Column::CaseId)
        .into_query();
    type Row = (i64, i64, i64, i64, Option<i64>, Option<i64>);
    let rows: Vec<Row> = step::Entity::find()
        .filter(step::Column::CaseId.in_subquery(cases_of))
        .select_only()
        .columns([
            step::Column::OrganizationId,
            step::Column::CaseId,
            step::Column::At,
            step::Column::FunctionId,
            step::Column::PrevFunctionId,
            step::Column::PrevTouchpointId,
        ])
        .order_by_asc(step::Column::CaseId)
        .order_by_asc(step::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    let mut cases: HashMap<i64, CaseTouches> = HashMap::new();
    for (organization_id, case_id, at, function_id, prev_function, prev_touchpoint) in rows {
        if organization_id != snapshot.organization_id {
            continue;
        }
        let case = cases.entry(case_id).or_default();
        case.touches.push((at, function_id));
        let Some(from) = prev_function.filter(|f| *f != function_id) else {
            continue;
        };
        let handoff = HandoffKey {
            from,
            to: function_id,
            touchpoint: prev_touchpoint,
            ping_pong: false,
            customer_burden: false,
            deferral_language: false,
        };
        if snapshot.map.classify(&handoff).silo {
            case.silo_handoffs += 1;
        }
    }
    Ok(cases)
}

/// Which feedback a drill-down lists: every criterion given must hold.
#[derive(Clone, Copy, Debug, Default)]
pub struct VoiceFilter {
    pub window: Window,
    pub kind: Option<Kind>,
    /// The silo bucket of the case.
    pub bucket: Option<Bucket>,
    /// Answered surveys (true) or unanswered ones and complaints (false).
    pub answered: Option<bool>,
}

/// A piece of feedback behind a voice figure, with its case's SILO handoffs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VoiceItem {
    pub id: i64,
    pub external_id: String,
    pub case_ref: String,
    pub kind: Kind,
    pub at: i64,
    pub answered_at: Option<i64>,
    pub score: Option<i32>,
    pub channel: Option<String>,
    pub silo_handoffs: i64,
}

/// The feedback behind a figure of `voiceReport`, by recording order, a page at a time
/// (after the row `after`), with how many match in all.
pub async fn voice_items(
    db: &impl ConnectionTrait,
    figures: &Figures,
    organization_id: i64,
    filter: VoiceFilter,
    request: PageRequest,
) -> ServiceResult<Page<VoiceItem>> {
    let snapshot = figures.snapshot(db, organization_id).await?;
    use feedback::Column as F;
    let mut query = in_window(organization_id, filter.window);
    if let Some(kind) = filter.kind {
        query = query.filter(F::Kind.eq(kind.name()));
    }
    match filter.answered {
        Some(true) => query = query.filter(F::Score.is_not_null()),
        Some(false) => query = query.filter(F::Score.is_null()),
        None => {}
    }
    type Row = (
        i64,
        i64,
        String,
        String,
        i64,
        Option<i64>,
        Option<i32>,
        Option<String>,
    );
    let rows: Vec<Row> = query
        .select_only()
        .columns([
            F::Id,
            F::CaseId,
            F::ExternalId,
            F::Kind,
            F::At,
            F::AnsweredAt,
            F::Score,
            F::Channel,
        ])
        .order_by_asc(F::Id)
        .into_tuple()
        .all(db)
        .await?;
    let cases = touches(db, &snapshot, filter.window).await?;
    let silos = |case_id: &i64| cases.get(case_id).map_or(0, |c| c.silo_handoffs);
    let matching: Vec<Row> = rows
        .into_iter()
        .filter(|r| filter.bucket.is_none_or(|b| Bucket::of(silos(&r.1)) == b))
        .collect();
    let total = matching.len() as u64;
    let mut page: Vec<Row> = matching
        .into_iter()
        .filter(|r| request.after.is_none_or(|after| r.0 > after))
        .take(request.first as usize + 1)
        .collect();
    let has_next = page.len() as u64 > request.first;
    page.truncate(request.first as usize);
    let refs: HashMap<i64, String> = entity::customer_case::Entity::find()
        .filter(entity::customer_case::Column::OrganizationId.eq(organization_id))
        .filter(entity::customer_case::Column::Id.is_in(page.iter().map(|r| r.1)))
        .select_only()
        .columns([
            entity::customer_case::Column::Id,
            entity::customer_case::Column::CaseRef,
        ])
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let items = page
        .into_iter()
        .map(
            |(id, case_id, external_id, kind, at, answered_at, score, channel)| VoiceItem {
                id,
                external_id,
                case_ref: refs.get(&case_id).cloned().unwrap_or_default(),
                kind: Kind::parse(&kind).unwrap_or(Kind::Complaint),
                at,
                answered_at,
                score,
                channel,
                silo_handoffs: silos(&case_id),
            },
        )
        .collect();
    Ok(Page {
        items,
        has_next,
        total,
    })
}
