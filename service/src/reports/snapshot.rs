//! What the reports read of an organization besides its log, as of one revision, and
//! the figures computed from them, cached by what they depend on.
//!
//! Every write to an organization raises its revision in the write's own transaction
//! (`organization::begin_change`). A report reads the revision first and looks its
//! figures up under (organization, revision, window): a write makes every earlier
//! entry unreachable at once, so a report read after a write returns always includes
//! it, on every replica. Nothing here needs sharing between replicas: each keeps its
//! own entries, and a miss only costs the computation.

use std::sync::Arc;

use chrono_tz::Tz;
use entity::organization;
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use rules::calendar::Calendar;
use rules::flags::OrgMap;
use rules::report::Report;
use rules::Window;
use sea_orm::{ConnectionTrait, EntityTrait, QuerySelect};

use crate::error::{ServiceError, ServiceResult};
use crate::reports::names::Names;

/// The organization as reports read it, at one revision.
#[derive(Debug)]
pub struct Snapshot {
    pub organization_id: i64,
    pub revision: i64,
    pub zone: Tz,
    pub calendar: Arc<Calendar>,
    /// CX teams and owners, for the flags.
    pub map: OrgMap,
    /// Functions and touchpoints by id, for naming rows.
    pub names: Arc<Names>,
    /// The instant (µs) from which the log is complete: retention deleted what
    /// occurred before it (`None`: nothing was deleted).
    pub complete_from: Option<i64>,
    /// The answers a survey kind needs before the voice report judges it.
    pub min_responses: i64,
}

impl Snapshot {
    /// Reads the organization's map and names.
    async fn load(
        db: &impl ConnectionTrait,
        organization_id: i64,
        now: Current,
    ) -> ServiceResult<Snapshot> {
        let Current {
            revision,
            zone,
            complete_from,
            min_responses,
        } = now;
        Ok(Snapshot {
            organization_id,
            revision,
            zone,
            complete_from,
            min_responses,
            calendar: crate::calendar::calendar(zone),
            map: crate::log::derived::org_map(db, organization_id).await?,
            names: Names::load(db, organization_id).await?,
        })
    }
}

/// What a snapshot is keyed and built by: the organization's revision, and what
/// changes only with it.
struct Current {
    revision: i64,
    zone: Tz,
    complete_from: Option<i64>,
    min_responses: i64,
}

/// The organization's revision, time zone, `complete_from` and `min_responses`, as
/// they are now.
async fn current(db: &impl ConnectionTrait, organization_id: i64) -> ServiceResult<Current> {
    let row: Option<(i64, String, Option<i64>, i32)> =
        organization::Entity::find_by_id(organization_id)
            .select_only()
            .column(organization::Column::Revision)
            .column(organization::Column::TimeZone)
            .column(organization::Column::CompleteFrom)
            .column(organization::Column::MinResponses)
            .into_tuple()
            .one(db)
            .await?;
    let (revision, zone, complete_from, min_responses) =
        row.ok_or_else(|| ServiceError::not_found("organization"))?;
    Ok(Current {
        revision,
        zone: crate::calendar::zone_or_utc(&zone),
        complete_from,
        min_responses: i64::from(min_responses),
    })
}

/// The organization's revision and time zone, as they are now.
pub async fn revision(db: &impl ConnectionTrait, organization_id: i64) -> ServiceResult<(i64, Tz)> {
    let now = current(db, organization_id).await?;
    Ok((now.revision, now.zone))
}

/// A report's place in the cache: the organization, its revision and the window.
type ReportKey = (i64, i64, Window);

/// Weighs a cached report by about the bytes it holds.
#[derive(Clone, Copy)]
struct ReportWeight;

impl Weighter<ReportKey, Arc<Report>> for ReportWeight {
    fn weight(&self, _key: &ReportKey, report: &Arc<Report>) -> u64 {
        let rows = report.by_function.len()
            + report.by_touchpoint.len()
            + report.edges.len()
            + report.pairs.len();
        (256 + rows * 96) as u64
    }
}

/// The snapshots and reports of every organization, on this server.
pub struct Figures {
    snapshots: Cache<(i64, i64), Arc<Snapshot>>,
    reports: Option<Cache<ReportKey, Arc<Report>, ReportWeight>>,
}

impl Figures {
    /// Figures that keep reports up to about `bytes` (none when 0).
    pub fn new(bytes: u64) -> Figures {
        Figures {
            snapshots: Cache::new(256),
            reports: (bytes > 0).then(|| {
                Cache::with_weighter((bytes / 4096).max(16) as usize, bytes, ReportWeight)
            }),
        }
    }

    /// The organization's snapshot as of its current revision.
    pub async fn snapshot(
        &self,
        db: &impl ConnectionTrait,
        organization_id: i64,
    ) -> ServiceResult<Arc<Snapshot>> {
        let now = current(db, organization_id).await?;
        self.snapshots
            .get_or_insert_async(&(organization_id, now.revision), async {
                Snapshot::load(db, organization_id, now).await.map(Arc::new)
            })
            .await
    }

    /// The report of `window` at the snapshot's revision: cached, or computed by
    /// `compute` (once, however many ask for it at the same time).
    pub async fn report<F>(
        &self,
        snapshot: &Snapshot,
        window: Window,
        compute: F,
    ) -> ServiceResult<Arc<Report>>
    where
        F: std::future::Future<Output = ServiceResult<Report>>,
    {
        match &self.reports {
            Some(cache) => {
                let key = (snapshot.organization_id, snapshot.revision, window);
                cache
                    .get_or_insert_async(&key, async { compute.await.map(Arc::new) })
                    .await
            }
            None => compute.await.map(Arc::new),
        }
    }

    /// The cached report of `window`, if there is one.
    pub fn cached(&self, snapshot: &Snapshot, window: Window) -> Option<Arc<Report>> {
        let key = (snapshot.organization_id, snapshot.revision, window);
        self.reports.as_ref()?.get(&key)
    }

    /// Keeps a report computed along with others (a trend's periods).
    pub fn keep(&self, snapshot: &Snapshot, window: Window, report: Arc<Report>) {
        if let Some(cache) = &self.reports {
            cache.insert(
                (snapshot.organization_id, snapshot.revision, window),
                report,
            );
        }
    }
}
