//! Posts webhook messages from the outbox (`service::notify::webhook`), signed as the
//! Standard Webhooks specification says: `webhook-id` (the message id, the same on
//! every attempt), `webhook-timestamp` (seconds) and `webhook-signature`
//! (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` under the secret). Every replica
//! runs one; the outbox's leases keep them from posting the same attempt twice.

use std::time::Duration;

use service::notify::webhook::{Due, Outcome, RetryPolicy};
use service::storage::db::{Db, OwnerWork};

use crate::server::config::Limits;

/// Messages taken per round.
const PER_ROUND: u64 = 32;

/// How long delivered and given-up messages are kept.
const KEEP_SETTLED: Duration = Duration::from_secs(30 * 86_400);

/// Starts this process's sender.
pub fn spawn(db: Db, limits: &Limits) -> anyhow::Result<()> {
    let db = db.owner(OwnerWork::Schedule);
    let allow_private = limits.webhook_allow_private_networks;
    let mut client = reqwest::Client::builder()
        .timeout(limits.webhook_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("siloscope-webhooks/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        client = client.dns_resolver(std::sync::Arc::new(PublicOnly));
    }
    let client = client.build()?;
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
        let mut pruned: Option<std::time::Instant> = None;
        loop {
            if pruned.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
                pruned = Some(std::time::Instant::now());
                let keep = i64::try_from(KEEP_SETTLED.as_micros()).unwrap_or(i64::MAX);
                let before = service::storage::db::now_micros().saturating_sub(keep);
                if let Err(error) = service::notify::webhook::prune(&db, before).await {
                    tracing::warn!(%error, "webhooks: cannot prune settled messages");
                }
            }
            let woken = service::notify::webhook::woken();
            let due = match service::notify::webhook::claim(&db, PER_ROUND, lease).await {
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
                    let outcome = match refused_address(&due.url, allow_private) {
                        Some(refused) => refused,
                        None => attempt(&client, &due).await,
                    };
                    if let Err(error) = service::notify::webhook::settle(&db, &due, outcome, &policy).await {
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
            // Without the URL: it may carry a token of the receiver's.
            error: if error.is_timeout() {
                "the endpoint did not answer in time".to_owned()
            } else if error.is_connect() {
                format!("cannot connect to the endpoint: {}", root_cause(&error))
            } else {
                format!("the request failed: {}", error.without_url())
            },
        },
    }
}

/// The innermost cause of an error (a refused address, a connection refused).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    cause.to_string()
}

/// Why an endpoint whose host is an IP address on this machine or a private network
/// is not posted to (unless `SILOSCOPE_WEBHOOK_ALLOW_PRIVATE_NETWORKS`); hosts given
/// by name are checked as they resolve ([`PublicOnly`]).
fn refused_address(url: &str, allow_private: bool) -> Option<Outcome> {
    if allow_private {
        return None;
    }
    let host = reqwest::Url::parse(url).ok()?.host()?.to_owned();
    let ip = match host {
        url::Host::Ipv4(ip) => std::net::IpAddr::V4(ip),
        url::Host::Ipv6(ip) => std::net::IpAddr::V6(ip),
        url::Host::Domain(_) => return None,
    };
    (!is_public(ip)).then(|| Outcome::Failed {
        status: None,
        error: PRIVATE.to_owned(),
    })
}

/// Why an endpoint may not be registered: its host is an address on this machine or a
/// private network, or a name that resolves only to such addresses; `None` when it
/// may (a name that does not resolve yet is given the benefit of the doubt: the
/// sender checks every address again when it connects).
pub(crate) async fn private_endpoint(url: &str, allow_private: bool) -> Option<&'static str> {
    if allow_private {
        return None;
    }
    let host = reqwest::Url::parse(url).ok()?.host()?.to_owned();
    let addresses: Vec<std::net::IpAddr> = match host {
        url::Host::Ipv4(ip) => vec![std::net::IpAddr::V4(ip)],
        url::Host::Ipv6(ip) => vec![std::net::IpAddr::V6(ip)],
        url::Host::Domain(name) => match tokio::time::timeout(
            std::time::Duration::from_secs(3),
            tokio::net::lookup_host((name.as_str(), 0)),
        )
        .await
        {
            Ok(Ok(found)) => found.map(|a| a.ip()).collect(),
            _ => return None,
        },
    };
    (!addresses.is_empty() && !addresses.iter().any(|ip| is_public(*ip))).then_some(PRIVATE)
}

const PRIVATE: &str = "the endpoint's address is on this machine or a private network, which webhooks may not reach (SILOSCOPE_WEBHOOK_ALLOW_PRIVATE_NETWORKS)";

/// Resolves endpoint hosts to their public addresses only, so that a webhook cannot
/// reach this machine or the private network it runs in (nor be made to by DNS that
/// changes between a check and the connection: the connection uses these addresses).
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|address| is_public(address.ip()))
                .collect();
            if public.is_empty() {
                return Err(PRIVATE.into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local
/// (cloud metadata services live there), shared (carrier-grade NAT), unspecified,
/// broadcast, documentation or unique-local.
fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (b & 0xc0) == 64))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn only_public_addresses_are_reached() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "8.8.8.8", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
