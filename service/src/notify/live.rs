//! Live delivery of what is recorded: every recorded batch appends one row to the
//! change table `live_event` in its own transaction ([`announce`]), and every
//! replica's [`Relay`] reads the table in id order and hands each batch, with its new
//! flagged handoffs, to that replica's subscribers. Nothing here is shared between
//! replicas but the table: a replica that loses its database connection keeps its
//! position and reads on from it when the connection is back, so nothing recorded
//! meanwhile is skipped.
//!
//! Waking up: a write in this process wakes the relay at once ([`committed`]); on
//! PostgreSQL a write in another replica wakes it through `LISTEN`/`NOTIFY`, and a
//! poll every [`LiveOptions::poll`] catches anything a lost notification missed.
//!
//! Ids come from a sequence, and on PostgreSQL a transaction that took a smaller id
//! may commit after one that took a larger: the relay remembers the ids it skipped
//! over and looks for them again until [`LiveOptions::gap_wait`] has passed (a
//! transaction that rolled back leaves its id unused for good). Within one
//! organization ids are taken under the organization's write lock, so its batches
//! arrive in the order they were committed.
//!
//! The limits of "nothing skipped": an id is awaited for `gap_wait` (a transaction
//! that took it and committed later still would be missed); rows are kept for `keep`
//! (a replica cut off from the database for longer reads on from the oldest row
//! kept); a relay starts from the table's end when its process starts.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use entity::live_event;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, Notify};

use crate::error::{ServiceError, ServiceResult};
use crate::reports::handoff::Handoff;

/// The PostgreSQL notification channel the relays listen on.
pub const CHANNEL: &str = "siloscope_live";

/// Where a recorded batch came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Source {
    /// `recordInteractions` (GraphQL).
    Record,
    /// A file import (HTTP or the command line).
    Import,
}

/// What a recorded batch did, as subscribers and webhooks are told.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchSummary {
    pub source: Source,
    /// When it was committed (µs).
    pub at: i64,
    pub recorded: i64,
    pub duplicates: i64,
    pub new_handoffs: i64,
    pub new_silo_handoffs: i64,
    /// Set for a batch of feedback (`recordFeedback` or a feedback import), which
    /// records no interactions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback: Option<FeedbackCounts>,
}

/// What a batch of feedback did, as subscribers and webhooks are told.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedbackCounts {
    /// Surveys offered and complaints made, newly recorded.
    pub recorded: i64,
    /// Surveys recorded as offered whose answer the batch added.
    pub answered: i64,
    /// Items recorded already, left as they were.
    pub duplicates: i64,
    /// Of those recorded, complaints.
    pub complaints: i64,
}

/// One recorded batch as a relay delivers it.
#[derive(Clone, Debug)]
pub struct LiveBatch {
    /// Its place in the change table.
    pub position: i64,
    pub organization_id: i64,
    pub summary: BatchSummary,
    /// Its new handoffs that carry a flag, in (at, id) order, with their flags as the
    /// map is when delivered.
    pub handoffs: Vec<Handoff>,
}

static WAKE: Notify = Notify::const_new();

/// Appends the change-table row of a recorded batch in the batch's transaction, with
/// the interaction ids of its new flagged handoffs.
pub(crate) async fn announce(
    txn: &DatabaseTransaction,
    organization_id: i64,
    summary: &BatchSummary,
    flagged: &[i64],
) -> ServiceResult<()> {
    live_event::ActiveModel {
        organization_id: Set(organization_id),
        summary: Set(serde_json::to_string(summary).map_err(ServiceError::internal)?),
        handoffs: Set(serde_json::to_string(flagged).map_err(ServiceError::internal)?),
        created_at: Set(summary.at),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// Wakes every replica's relay after a change-table row was committed: this
/// process's at once, the others through `NOTIFY` on PostgreSQL. Sent after the
/// commit, not in the transaction (a transaction's `NOTIFY` takes a database-wide lock
/// at commit, which would make every recording commit one at a time); a notification
/// lost to a crash in between only waits for the next poll.
pub fn committed(db: &crate::storage::db::Db) {
    WAKE.notify_waiters();
    if db.is_postgres() {
        let owner = db.owner(crate::storage::db::OwnerWork::Schedule);
        tokio::spawn(async move {
            if let Err(error) = owner.execute_unprepared(&format!("NOTIFY {CHANNEL}")).await {
                tracing::debug!(%error, "live: NOTIFY failed; the relays' poll will read the change");
            }
        });
    }
}

/// How a relay reads the change table.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// How often it reads when nothing wakes it.
    pub poll: Duration,
    /// How long an id skipped over is looked for again.
    pub gap_wait: Duration,
    /// How long rows are kept in the change table.
    pub keep: Duration,
    /// How many batches a subscriber may fall behind before it is dropped.
    pub backlog: usize,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            poll: Duration::from_secs(2),
            gap_wait: Duration::from_secs(60),
            keep: Duration::from_secs(3600),
            backlog: 1024,
        }
    }
}

/// This replica's subscribers, by organization.
type Channels = Arc<Mutex<HashMap<i64, broadcast::Sender<Arc<LiveBatch>>>>>;

/// The relay of one replica: reads the change table and fans each batch out to the
/// subscribers of its organization. Cloning shares it.
#[derive(Clone)]
pub struct Relay {
    channels: Channels,
    backlog: usize,
    position: Arc<std::sync::atomic::AtomicI64>,
}

impl Relay {
    /// Starts reading the change table from its end (what is recorded from now on).
    pub async fn start(db: crate::storage::db::Db, options: LiveOptions) -> ServiceResult<Relay> {
        let start: Option<i64> = live_event::Entity::find()
            .select_only()
            .column_as(live_event::Column::Id.max(), "max")
            .into_tuple()
            .one(&db.owner(crate::storage::db::OwnerWork::Schedule))
            .await?
            .flatten();
        let relay = Relay {
            channels: Arc::default(),
            backlog: options.backlog.max(1),
            position: Arc::new(start.unwrap_or(0).into()),
        };
        let reader = Reader {
            db: db.clone(),
            relay: relay.clone(),
            high: start.unwrap_or(0),
            gaps: BTreeMap::new(),
            options: options.clone(),
            pruned: Instant::now(),
        };
        let listening = Arc::new(Notify::new());
        match db.listen_url() {
            _ if !db.is_postgres() => {}
            Some(url) => {
                tokio::spawn(listen(url.to_owned(), listening.clone()));
            }
            None => tracing::info!(
                "live: no direct database URL to LISTEN on behind the pooler \
                 (SILOSCOPE_DATABASE_DIRECT_URL); changes of other replicas are read every poll"
            ),
        }
        tokio::spawn(reader.run(listening));
        Ok(relay)
    }

    /// The batches of `organization_id` delivered from now on. A receiver that falls
    /// more than the backlog behind gets `Lagged` and should give up.
    pub fn subscribe(&self, organization_id: i64) -> broadcast::Receiver<Arc<LiveBatch>> {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        channels
            .entry(organization_id)
            .or_insert_with(|| broadcast::channel(self.backlog).0)
            .subscribe()
    }

    /// The id of the last change-table row read.
    pub fn position(&self) -> i64 {
        self.position.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The sender of the organization's channel while anyone listens.
    fn listeners(&self, organization_id: i64) -> Option<broadcast::Sender<Arc<LiveBatch>>> {
        let mut channels = self
            .channels
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let sender = channels.get(&organization_id)?;
        if sender.receiver_count() == 0 {
            channels.remove(&organization_id);
            return None;
        }
        Some(sender.clone())
    }
}

/// Wakes `listening` on every notification of [`CHANNEL`] and after every reconnect
/// (notifications sent while disconnected are lost; the reader reads from its
/// position, so nothing else is).
async fn listen(url: String, listening: Arc<Notify>) {
    use sea_orm::sqlx::postgres::PgListener;
    let mut backoff = Duration::from_millis(100);
    loop {
        let connected = async {
            let mut listener = PgListener::connect(&url).await?;
            listener.listen(CHANNEL).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        }
        .await;
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(%error, "live: cannot listen for changes; polling meanwhile");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        listening.notify_one();
        loop {
            match listener.try_recv().await {
                // Woken by a notification, or told the connection was lost and
                // re-established (it reconnects on the next call).
                Ok(_) => listening.notify_one(),
                Err(error) => {
                    tracing::warn!(%error, "live: the listening connection failed");
                    listening.notify_one();
                    break;
                }
            }
        }
    }
}

struct Reader {
    db: crate::storage::db::Db,
    relay: Relay,
    /// The highest id read.
    high: i64,
    /// Ids below `high` not seen yet, with when they were first missed.
    gaps: BTreeMap<i64, Instant>,
    options: LiveOptions,
    pruned: Instant,
}

/// Change-table rows per read.
const READ_ROWS: u64 = 500;
/// The widest run of missing ids still awaited as gaps.
const MAX_GAP: i64 = 1_000;

impl Reader {
    async fn run(mut self, listening: Arc<Notify>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            let woken = WAKE.notified();
            let notified = listening.notified();
            match self.read().await {
                Ok(more) => {
                    backoff = Duration::from_millis(100);
                    if more {
                        continue;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, position = self.high, "live: reading the change table failed; retrying");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            }
            if self.pruned.elapsed() > Duration::from_secs(60) {
                self.prune().await;
            }
            let wait = if self.gaps.is_empty() {
                self.options.poll
            } else {
                self.options.poll.min(Duration::from_millis(200))
            };
            tokio::select! {
                () = woken => {}
                () = notified => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Reads and delivers the rows after `high` and the gaps still awaited; returns
    /// whether more rows may be waiting. The position moves past a row only once it
    /// is delivered: after a failure the next read starts again from it.
    async fn read(&mut self) -> ServiceResult<bool> {
        let now = Instant::now();
        let gap_wait = self.options.gap_wait;
        self.gaps.retain(|id, since| {
            let waiting = now.duration_since(*since) < gap_wait;
            if !waiting {
                // A transaction that took the id rolled back (the usual case), or
                // committed more than `gap_wait` after taking it.
                tracing::debug!(
                    id,
                    "live: change-table id never committed; no longer awaited"
                );
            }
            waiting
        });
        if !self.gaps.is_empty() {
            let missing: Vec<i64> = self.gaps.keys().copied().collect();
            let found = live_event::Entity::find()
                .filter(live_event::Column::Id.is_in(missing))
                .order_by_asc(live_event::Column::Id)
                .all(&self.db.owner(crate::storage::db::OwnerWork::Schedule))
                .await?;
            for row in found {
                let id = row.id;
                self.deliver(row).await?;
                self.gaps.remove(&id);
            }
        }
        let fresh = live_event::Entity::find()
            .filter(live_event::Column::Id.gt(self.high))
            .order_by_asc(live_event::Column::Id)
            .limit(READ_ROWS)
            .all(&self.db.owner(crate::storage::db::OwnerWork::Schedule))
            .await?;
        let more = fresh.len() as u64 == READ_ROWS;
        for row in fresh {
            let id = row.id;
            self.deliver(row).await?;
            // A jump wider than any set of transactions in flight (the table was
            // empty when this relay started, or a sequence skipped ahead) is no gap.
            if id - self.high <= MAX_GAP {
                for skipped in (self.high + 1)..id {
                    self.gaps.insert(skipped, now);
                }
            }
            self.high = id;
            self.relay
                .position
                .store(id, std::sync::atomic::Ordering::Relaxed);
        }
        Ok(more)
    }

    async fn deliver(&self, row: live_event::Model) -> ServiceResult<()> {
        let Some(sender) = self.relay.listeners(row.organization_id) else {
            return Ok(());
        };
        let summary: BatchSummary =
            serde_json::from_str(&row.summary).map_err(ServiceError::internal)?;
        let ids: Vec<i64> = serde_json::from_str(&row.handoffs).map_err(ServiceError::internal)?;
        let handoffs = if ids.is_empty() {
            Vec::new()
        } else {
            crate::reports::handoff::of_interactions(
                &self.db.tenant(row.organization_id),
                row.organization_id,
                &ids,
            )
            .await?
        };
        // No receiver left in the meantime is not an error.
        let _ = sender.send(Arc::new(LiveBatch {
            position: row.id,
            organization_id: row.organization_id,
            summary,
            handoffs,
        }));
        Ok(())
    }

    /// Removes change-table rows older than `keep` (any replica may; they all agree).
    async fn prune(&mut self) {
        self.pruned = Instant::now();
        let keep = i64::try_from(self.options.keep.as_micros()).unwrap_or(i64::MAX);
        let before = crate::storage::db::now_micros().saturating_sub(keep);
        let deleted = live_event::Entity::delete_many()
            .filter(live_event::Column::CreatedAt.lt(before))
            .filter(live_event::Column::Id.lte(self.high))
            .exec(&self.db.owner(crate::storage::db::OwnerWork::Schedule))
            .await;
        if let Err(error) = deleted {
            tracing::warn!(%error, "live: pruning the change table failed");
        }
    }
}
