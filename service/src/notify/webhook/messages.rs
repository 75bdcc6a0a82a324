//! The JSON a message carries, in the Standard Webhooks shape (`type`, `timestamp`,
//! `data`).

use sea_orm::DatabaseTransaction;
use serde::Serialize;

use super::{EventType, HANDOFFS_PER_MESSAGE};
use crate::error::{ServiceError, ServiceResult};
use crate::notify::live::BatchSummary;

/// A message's body: the Standard Webhooks shape (`type`, `timestamp`, `data`).
#[derive(Serialize)]
struct Message<'a, T: Serialize> {
    r#type: &'a str,
    timestamp: String,
    data: T,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RecordedData<'a> {
    organization: &'a str,
    #[serde(flatten)]
    summary: BatchSummaryJson,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BatchSummaryJson {
    source: crate::notify::live::Source,
    at: String,
    recorded: i64,
    duplicates: i64,
    new_handoffs: i64,
    new_silo_handoffs: i64,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FeedbackData<'a> {
    organization: &'a str,
    source: crate::notify::live::Source,
    at: String,
    #[serde(flatten)]
    counts: crate::notify::live::FeedbackCounts,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HandoffsData {
    organization: String,
    handoffs: Vec<HandoffJson>,
}

/// A function or touchpoint as a message names it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Named {
    name: String,
    external_id: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct HandoffJson {
    case_ref: String,
    at: String,
    from: Option<Named>,
    to: Option<Named>,
    touchpoint: Option<Named>,
    flags: Vec<&'static str>,
}

fn function_json(function: &entity::function::Model) -> Named {
    Named {
        name: function.name.clone(),
        external_id: function.external_id.clone(),
    }
}

fn handoff_json(handoff: &crate::reports::handoff::Handoff) -> HandoffJson {
    HandoffJson {
        case_ref: handoff.case_ref.clone(),
        at: crate::storage::db::format_instant(handoff.step.at),
        from: handoff.from().map(function_json),
        to: handoff.to().map(function_json),
        touchpoint: handoff.touchpoint().map(|t| Named {
            name: t.name.clone(),
            external_id: None,
        }),
        flags: handoff.flags.list().into_iter().map(|f| f.name()).collect(),
    }
}

/// The bodies a recorded batch makes, for the event types some webhook `wants`.
pub(super) async fn bodies(
    txn: &DatabaseTransaction,
    organization_id: i64,
    summary: &BatchSummary,
    flagged: &[i64],
    wants: impl Fn(EventType) -> bool,
) -> ServiceResult<Vec<(EventType, String)>> {
    let organization = crate::model::organization::get(txn, organization_id).await?;
    let timestamp = crate::storage::db::format_instant(summary.at);
    let mut bodies: Vec<(EventType, String)> = Vec::new();
    if let Some(feedback) = summary.feedback {
        if wants(EventType::FeedbackRecorded) {
            let body = Message {
                r#type: EventType::FeedbackRecorded.as_str(),
                timestamp: timestamp.clone(),
                data: FeedbackData {
                    organization: &organization.slug,
                    source: summary.source,
                    at: timestamp.clone(),
                    counts: feedback,
                },
            };
            bodies.push((
                EventType::FeedbackRecorded,
                serde_json::to_string(&body).map_err(ServiceError::internal)?,
            ));
        }
        return Ok(bodies);
    }
    if wants(EventType::InteractionsRecorded) {
        let json = BatchSummaryJson {
            source: summary.source,
            at: timestamp.clone(),
            recorded: summary.recorded,
            duplicates: summary.duplicates,
            new_handoffs: summary.new_handoffs,
            new_silo_handoffs: summary.new_silo_handoffs,
        };
        let body = Message {
            r#type: EventType::InteractionsRecorded.as_str(),
            timestamp: timestamp.clone(),
            data: RecordedData {
                organization: &organization.slug,
                summary: json,
            },
        };
        bodies.push((
            EventType::InteractionsRecorded,
            serde_json::to_string(&body).map_err(ServiceError::internal)?,
        ));
    }
    if wants(EventType::SiloHandoffsDetected) && !flagged.is_empty() {
        let silo: Vec<HandoffJson> =
            crate::reports::handoff::of_interactions(txn, organization_id, flagged)
                .await?
                .iter()
                .filter(|h| h.flags.silo)
                .map(handoff_json)
                .collect();
        let mut silo = silo.into_iter().peekable();
        while silo.peek().is_some() {
            let handoffs: Vec<HandoffJson> = silo.by_ref().take(HANDOFFS_PER_MESSAGE).collect();
            let body = Message {
                r#type: EventType::SiloHandoffsDetected.as_str(),
                timestamp: timestamp.clone(),
                data: HandoffsData {
                    organization: organization.slug.clone(),
                    handoffs,
                },
            };
            bodies.push((
                EventType::SiloHandoffsDetected,
                serde_json::to_string(&body).map_err(ServiceError::internal)?,
            ));
        }
    }
    Ok(bodies)
}
