//! Posts webhook messages from the outbox (`service::webhook`), signed as the
//! Standard Webhooks specification says: `webhook-id` (the message id, the same on
//! every attempt), `webhook-timestamp` (seconds) and `webhook-signature`
//! (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the secret). Every replica
//! runs one; the outbox's leases keep them from posting the same attempt twice.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use service::webhook::{Due, Outcome, RetryPolicy};

use crate::config::Limits;

/// Messages taken per round.
const PER_ROUND: u64 = 32;

/// Starts this process's sender.
pub fn spawn(db: DatabaseConnection, limits: &Limits) -> anyhow::Result<()> {
    let client = reqwest::Client::builder()
        .timeout(limits.webhook_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("siloscope-webhooks/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let policy = RetryPolicy {
        base: limits.webhook_retry_base,
        max_attempts: limits.webhook_max_attempts,
        disable_after: limits.webhook_disable_after,
    };
    // Long enough for the slowest answer; a sender killed mid-post leaves its
    // messages to be taken again after it.
    let lease = limits.webhook_timeout * 2 + Duration::from_secs(5);
    let idle = limits.webhook_retry_base.min(Duration::from_secs(1));
    tokio::spawn(async move {
        loop {
            let woken = service::webhook::woken();
            let due = match service::webhook::claim(&db, PER_ROUND, lease).await {
                Ok(due) => due,
                Err(error) => {
                    tracing::warn!(%error, "webhooks: cannot read the outbox; retrying");
                    Vec::new()
                }
            };
            let full = due.len() as u64 == PER_ROUND;
            let attempts = due.into_iter().map(|due| {
                let (client, db) = (client.clone(), db.clone());
                async move {
                    let outcome = attempt(&client, &due).await;
                    if let Err(error) = service::webhook::settle(&db, &due, outcome, &policy).await {
                        tracing::warn!(%error, delivery = due.delivery.id, "webhooks: cannot record an attempt; it will be retried after its lease");
                    }
                }
            });
            futures_util::future::join_all(attempts).await;
            if !full {
                tokio::select! {
                    () = woken => {}
                    () = tokio::time::sleep(idle) => {}
                }
            }
        }
    });
    Ok(())
}

/// Signs and posts one message.
async fn attempt(client: &reqwest::Client, due: &Due) -> Outcome {
    let delivery = &due.delivery;
    let timestamp = chrono::Utc::now().timestamp();
    let signature = match standardwebhooks::Webhook::new(&due.secret)
        .and_then(|hook| hook.sign(&delivery.message_id, timestamp, delivery.payload.as_bytes()))
    {
        Ok(signature) => signature,
        Err(error) => {
            return Outcome::Failed {
                status: None,
                error: format!("cannot sign: {error}"),
            }
        }
    };
    let sent = client
        .post(&due.url)
        .header("content-type", "application/json")
        .header("webhook-id", &delivery.message_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Outcome::Delivered {
            status: response.status().as_u16(),
        },
        Ok(response) => Outcome::Failed {
            status: Some(response.status().as_u16()),
            error: format!("the endpoint answered {}", response.status()),
        },
        Err(error) => Outcome::Failed {
            status: None,
            error: if error.is_timeout() {
                "the endpoint did not answer in time".to_owned()
            } else if error.is_connect() {
                "cannot connect to the endpoint".to_owned()
            } else {
                format!("the request failed: {error}")
            },
        },
    }
}
