//! Reports and networks are the heavy fields: each folds a window's rows. So that one
//! organization cannot take the server from the others, at most
//! `SILOSCOPE_MAX_REPORTS_PER_ORG` of them run at once per organization on this
//! server; another waits up to [`WAIT`] for a turn and is then refused with
//! `TOO_MANY_REQUESTS` (HTTP adds `Retry-After`). The bound is per replica: each
//! protects its own CPU, so nothing here needs sharing between replicas.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use service::error::{ServiceError, ServiceResult};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// How long a report waits for its organization's turn before it is refused: long
/// enough that one request's own reports (a dashboard's months) queue rather than
/// refuse each other.
pub const WAIT: Duration = Duration::from_secs(5);

/// The `Retry-After` of a refusal, in seconds: turns free up as reports finish.
pub const RETRY_AFTER_SECONDS: u64 = 1;

/// The complexity of a report or network, per period it computes: enough that a
/// request cannot ask for dozens at once within `SILOSCOPE_MAX_COMPLEXITY`.
pub const REPORT_COST: usize = 2_000;

/// The per-organization turns.
#[derive(Clone)]
pub struct ReportsGate {
    per_org: usize,
    turns: Arc<Mutex<HashMap<i64, Arc<Semaphore>>>>,
}

impl ReportsGate {
    pub fn new(per_org: usize) -> Self {
        ReportsGate {
            per_org: per_org.max(1),
            turns: Arc::default(),
        }
    }

    /// Waits for a turn of `organization_id`; the turn ends when the permit drops.
    pub async fn enter(&self, organization_id: i64) -> ServiceResult<OwnedSemaphorePermit> {
        let turns = {
            let mut all = self.turns.lock().map_err(|_| {
                ServiceError::internal(anyhow::anyhow!("the reports gate is poisoned"))
            })?;
            all.entry(organization_id)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_org)))
                .clone()
        };
        match tokio::time::timeout(WAIT, turns.acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            Ok(Err(closed)) => Err(ServiceError::internal(closed)),
            Err(_) => Err(ServiceError::TooManyRequests(format!(
                "the organization already runs {} reports or networks at once on this server and \
                 none finished within {} s; retry shortly, or ask for fewer periods per request",
                self.per_org,
                WAIT.as_secs()
            ))),
        }
    }
}

impl ReportsGate {
    /// Runs `work` for `organization_id` in a turn: in a task of its own (the work
    /// reads through the tenant handle it was given), holding the turn until the work is done, so that a request
    /// abandoned meanwhile (timed out, client gone) does not free its turn while its
    /// folding still runs.
    pub async fn run<T, F>(&self, organization_id: i64, work: F) -> ServiceResult<T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = ServiceResult<T>> + Send + 'static,
    {
        let turn = self.enter(organization_id).await?;
        let task = tokio::spawn(async move {
            let result = work.await;
            drop(turn);
            result
        });
        task.await.map_err(ServiceError::internal)?
    }
}

/// A report's cost in the complexity budget: [`REPORT_COST`] per period computed (the
/// window and each comparison) plus its selection.
pub fn report_cost(periods: usize, child_complexity: usize) -> usize {
    REPORT_COST * periods.max(1) + child_complexity
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_busy_organization_waits_then_is_refused_and_others_are_not() {
        let gate = ReportsGate::new(2);
        let first = gate.enter(1).await.unwrap();
        let _second = gate.enter(1).await.unwrap();
        let refused = gate.enter(1).await.unwrap_err();
        assert_eq!(refused.code().as_str(), "TOO_MANY_REQUESTS");
        assert!(refused.to_string().contains("2 reports"), "{refused}");
        // Another organization is not held up.
        let _other = gate.enter(2).await.unwrap();
        // A turn given back is taken by the next.
        drop(first);
        assert!(gate.enter(1).await.is_ok());
    }
}
