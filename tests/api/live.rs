//! Live delivery and webhooks (docs/rules.md §7): the relay of each replica, the
//! outbox written with the change, retries, giving up and disabling. The WebSocket
//! protocol, the filters over the wire, signatures checked by an independent
//! implementation and kill -9 are checked against live processes by
//! `scripts/live-check.sh`.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use service::notify::live::{LiveOptions, Relay};

use crate::helpers::{item, spawn_app, spawn_app_with, TestApp};

/// A webhook endpoint that answers with a settable status and keeps what it got.
struct Receiver {
    url: String,
    status: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<(String, String, Value)>>>,
}

impl Receiver {
    async fn start(status: u16) -> Receiver {
        let status = Arc::new(AtomicU16::new(status));
        let got: Arc<Mutex<Vec<(String, String, Value)>>> = Arc::default();
        let (answer, kept) = (status.clone(), got.clone());
        let server = HttpServer::new(move || {
            let (answer, kept) = (answer.clone(), kept.clone());
            App::new().default_service(web::to(move |request: HttpRequest, body: web::Bytes| {
                let (answer, kept) = (answer.clone(), kept.clone());
                async move {
                    let header = |name: &str| {
                        request
                            .headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                    kept.lock().unwrap().push((
                        header("webhook-id"),
                        header("webhook-signature"),
                        body,
                    ));
                    let code = actix_web::http::StatusCode::from_u16(answer.load(Ordering::SeqCst))
                        .unwrap();
                    HttpResponse::build(code).finish()
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        tokio::spawn(server.run());
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            status,
            got,
        }
    }

    fn count(&self) -> usize {
        self.got.lock().unwrap().len()
    }
}

/// An app whose webhooks may post to this machine, where the test's receivers are.
async fn private_ok() -> TestApp {
    spawn_app_with(|s| s.limits.webhook_allow_private_networks = true).await
}

async fn small_org(app: &TestApp) {
    app.create_function("Sales", false).await;
    app.create_function("CX", true).await;
}

async fn create_webhook(app: &TestApp, url: &str, events: &[&str]) -> Value {
    app.gql(
        "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id enabled events } secret userErrors { code path message } } }",
        json!({ "input": { "url": url, "events": events, "description": "test" } }),
    )
    .await["createWebhook"]
        .clone()
}

async fn deliveries(app: &TestApp) -> Vec<Value> {
    app.gql(
        "{ webhookDeliveries(first: 100) { nodes { event status attempts lastResponseStatus lastError messageId payload } } }",
        json!({}),
    )
    .await["webhookDeliveries"]["nodes"]
        .as_array()
        .unwrap()
        .clone()
}

async fn webhook(app: &TestApp) -> Value {
    app.gql(
        "{ webhooks { id enabled disabledReason failureStreak } }",
        json!({}),
    )
    .await["webhooks"][0]
        .clone()
}

/// Polls `done` every 50 ms for up to 20 s.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..400 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// A SILO handoff in its own case: Sales, then CX.
fn silo_case(case: &str) -> Value {
    json!([
        item(
            &format!("{case}-1"),
            case,
            "2026-10-01T09:00:00Z",
            "Sales",
            None,
            None
        ),
        item(
            &format!("{case}-2"),
            case,
            "2026-10-01T10:00:00Z",
            "CX",
            None,
            None
        ),
    ])
}

/// A failing endpoint: each message is retried with backoff until it is given up
/// (FAILED after the last attempt, with the status and error), the webhook is
/// disabled after enough failures in a row, with the reason; enabled again, the
/// waiting message is delivered, with the same message id as its earlier attempts.
#[tokio::test]
async fn failing_endpoints_are_retried_given_up_and_disabled() {
    let app = spawn_app_with(|s| {
        s.limits.webhook_allow_private_networks = true;
        s.limits.webhook_retry_base = Duration::from_millis(20);
        s.limits.webhook_max_attempts = 3;
        s.limits.webhook_disable_after = 4;
    })
    .await;
    small_org(&app).await;
    let receiver = Receiver::start(500).await;
    let created = create_webhook(&app, &receiver.url, &["INTERACTIONS_RECORDED"]).await;
    assert_eq!(created["userErrors"], json!([]));
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));

    app.record(silo_case("c1")).await;
    eventually("the first message is given up", || async {
        deliveries(&app).await[0]["status"] == "FAILED"
    })
    .await;
    let first = &deliveries(&app).await[0];
    assert_eq!(first["attempts"], 3);
    assert_eq!(first["lastResponseStatus"], 500);
    assert!(first["lastError"].as_str().unwrap().contains("500"));
    assert_eq!(receiver.count(), 3, "one request per attempt");
    {
        let got = receiver.got.lock().unwrap();
        assert!(got
            .iter()
            .all(|(id, _, _)| id == first["messageId"].as_str().unwrap()));
        assert!(got
            .iter()
            .all(|(_, signature, _)| signature.starts_with("v1,")));
        assert_eq!(got[0].2["type"], "interactions.recorded");
        assert_eq!(got[0].2["data"]["recorded"], 2);
        assert_eq!(got[0].2["data"]["organization"], "acme");
    }
    assert_eq!(webhook(&app).await["enabled"], true);

    // One more failed attempt makes four in a row: disabled, with the reason.
    app.record(silo_case("c2")).await;
    eventually("the webhook is disabled", || async {
        webhook(&app).await["enabled"] == false
    })
    .await;
    let hook = webhook(&app).await;
    assert_eq!(hook["failureStreak"], 4);
    let reason = hook["disabledReason"].as_str().unwrap();
    assert!(reason.contains("4 attempts failed in a row"), "{reason}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let waiting = deliveries(&app).await[1].clone();
    assert_eq!(waiting["status"], "PENDING");
    assert_eq!(
        waiting["attempts"], 1,
        "nothing is posted to a disabled webhook"
    );
    assert_eq!(receiver.count(), 4);

    // Mended and enabled again: the waiting message goes out.
    receiver.status.store(204, Ordering::SeqCst);
    let enabled = app
        .gql(
            "mutation($id: ID!) { setWebhookEnabled(id: $id, enabled: true) { webhook { enabled disabledReason failureStreak } } }",
            json!({ "id": hook["id"] }),
        )
        .await;
    assert_eq!(
        enabled["setWebhookEnabled"]["webhook"],
        json!({ "enabled": true, "disabledReason": null, "failureStreak": 0 })
    );
    eventually("the waiting message is delivered", || async {
        deliveries(&app).await[1]["status"] == "DELIVERED"
    })
    .await;
    let delivered = deliveries(&app).await[1].clone();
    assert_eq!(delivered["attempts"], 2);
    assert_eq!(delivered["lastResponseStatus"], 204);
    let got = receiver.got.lock().unwrap();
    assert_eq!(
        got.last().unwrap().0,
        delivered["messageId"].as_str().unwrap()
    );
}

/// By default a webhook does not reach this machine or a private network: the
/// attempt fails with the reason, and nothing is posted.
#[tokio::test]
async fn private_addresses_are_not_reached_by_default() {
    let app = spawn_app_with(|s| s.limits.webhook_retry_base = Duration::from_millis(20)).await;
    small_org(&app).await;
    let receiver = Receiver::start(200).await;
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    // Refused when registered: by address, and by a name that resolves to this machine.
    for url in [receiver.url.as_str(), by_name.as_str()] {
        let refused = create_webhook(&app, url, &["INTERACTIONS_RECORDED"]).await;
        assert_eq!(refused["webhook"], Value::Null, "{refused}");
        let message = refused["userErrors"][0]["message"]
            .as_str()
            .unwrap_or_default();
        assert!(
            message.contains("SILOSCOPE_WEBHOOK_ALLOW_PRIVATE_NETWORKS"),
            "{refused}"
        );
    }
    assert_eq!(webhook(&app).await, Value::Null, "nothing was registered");
    // And refused when delivered: webhooks registered before (or whose name resolved
    // elsewhere then) never reach a private address either.
    let db = app.service_db().await;
    let org = app.organization_id("acme").await;
    for url in [receiver.url.as_str(), by_name.as_str()] {
        let new = service::notify::webhook::NewWebhook {
            url: url.to_owned(),
            events: vec![service::notify::webhook::EventType::InteractionsRecorded],
            description: None,
            created_by: "test".into(),
        };
        let created = service::access::audit::as_actor(
            service::access::audit::Actor::system("test"),
            service::notify::webhook::create(&db.tenant(org), org, new),
        )
        .await;
        assert!(created.is_ok());
    }
    app.record(silo_case("c1")).await;
    eventually("both attempts fail", || async {
        let all = deliveries(&app).await;
        all.len() == 2 && all.iter().all(|d| d["attempts"].as_i64() >= Some(1))
    })
    .await;
    for delivery in deliveries(&app).await {
        let error = delivery["lastError"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.contains("private network"), "{error}");
    }
    assert_eq!(receiver.count(), 0);
}

/// 410 Gone disables a webhook at once.
#[tokio::test]
async fn gone_endpoints_are_disabled_at_once() {
    let app = spawn_app_with(|s| {
        s.limits.webhook_allow_private_networks = true;
        s.limits.webhook_retry_base = Duration::from_millis(20);
    })
    .await;
    small_org(&app).await;
    let receiver = Receiver::start(410).await;
    create_webhook(&app, &receiver.url, &["SILO_HANDOFFS_DETECTED"]).await;
    app.record(silo_case("c1")).await;
    eventually("the webhook is disabled", || async {
        webhook(&app).await["enabled"] == false
    })
    .await;
    let reason = webhook(&app).await["disabledReason"].clone();
    assert!(reason.as_str().unwrap().contains("410"), "{reason}");
    assert_eq!(receiver.count(), 1);
}

/// The outbox holds a message exactly when its change was committed: a refused batch
/// and a batch of duplicates write none; SILO handoffs are told with their case,
/// functions and flags; messages go only to the events a webhook asked for.
#[tokio::test]
async fn messages_are_written_with_the_change_and_only_then() {
    let app = private_ok().await;
    small_org(&app).await;
    let receiver = Receiver::start(200).await;
    create_webhook(&app, &receiver.url, &["SILO_HANDOFFS_DETECTED"]).await;

    let refused = app
        .record(json!([
            item("x-1", "c1", "2026-10-01T09:00:00Z", "Sales", None, None),
            item("x-2", "c1", "2026-10-01T10:00:00Z", "Nobody", None, None),
        ]))
        .await;
    assert_ne!(refused["userErrors"], json!([]));
    app.record(json!([item(
        "p-1",
        "c0",
        "2026-10-01T08:00:00Z",
        "Sales",
        None,
        None
    )]))
    .await;
    assert_eq!(
        deliveries(&app).await.len(),
        0,
        "no SILO handoff, no message"
    );
    app.record(silo_case("c2")).await;
    let again = app.record(silo_case("c2")).await;
    assert_eq!(again["duplicates"], 2);
    eventually("the message is delivered", || async {
        receiver.count() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = deliveries(&app).await;
    assert_eq!(
        messages.len(),
        1,
        "one message: the refused and re-sent batches wrote none"
    );
    assert_eq!(messages[0]["event"], "SILO_HANDOFFS_DETECTED");
    let body: Value = serde_json::from_str(messages[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "silo_handoffs.detected");
    assert_eq!(
        body["data"]["handoffs"],
        json!([{
            "caseRef": "c2",
            "at": "2026-10-01T10:00:00Z",
            "from": { "name": "Sales", "externalId": null },
            "to": { "name": "CX", "externalId": null },
            "touchpoint": null,
            "flags": ["DEFERRAL_TO_CX", "SILO"],
        }])
    );
    assert_eq!(receiver.got.lock().unwrap()[0].2, body);
}

/// Webhooks are for ADMINs; bad input is refused with what to fix; the secret is
/// shown once and never listed; deleting a webhook deletes its messages.
#[tokio::test]
async fn webhooks_are_checked_admin_only_and_deleted_whole() {
    let app = private_ok().await;
    small_org(&app).await;
    let editor = app.keys_mint("ed", api::server::auth::AccessRole::Editor);
    let (_, body) = app
        .post(Some(&editor), "{ webhooks { id } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
    for (url, events, path) in [
        (
            "ftp://example.com/x",
            json!(["INTERACTIONS_RECORDED"]),
            json!(["input", "url"]),
        ),
        (
            "not a url",
            json!(["INTERACTIONS_RECORDED"]),
            json!(["input", "url"]),
        ),
        (
            "https://user:pw@example.com/",
            json!(["INTERACTIONS_RECORDED"]),
            json!(["input", "url"]),
        ),
        (
            "https://example.com/hook",
            json!([]),
            json!(["input", "events"]),
        ),
    ] {
        let created = app
            .gql(
                "mutation($input: CreateWebhookInput!) { createWebhook(input: $input) { webhook { id } secret userErrors { path } } }",
                json!({ "input": { "url": url, "events": events } }),
            )
            .await["createWebhook"]
            .clone();
        assert_eq!(created["webhook"], Value::Null, "{url}");
        assert_eq!(created["secret"], Value::Null);
        assert_eq!(created["userErrors"][0]["path"], path, "{url}");
    }
    assert_eq!(
        app.gql("{ webhooks { id } }", json!({})).await["webhooks"],
        json!([])
    );

    let receiver = Receiver::start(200).await;
    let created = create_webhook(&app, &receiver.url, &["INTERACTIONS_RECORDED"]).await;
    let listed = app
        .gql("{ webhooks { id url events enabled } }", json!({}))
        .await;
    assert!(
        !listed.to_string().contains("whsec_"),
        "the secret is never listed"
    );
    app.record(silo_case("c1")).await;
    eventually("delivered", || async { receiver.count() == 1 }).await;
    let id = created["webhook"]["id"].clone();
    let deleted = app
        .gql(
            "mutation($id: ID!) { deleteWebhook(id: $id) { webhook { id } userErrors { code } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(deleted["deleteWebhook"]["webhook"]["id"], id);
    assert_eq!(deliveries(&app).await.len(), 0);
    let (_, other) = app
        .post(
            Some(&app.token("other", &[api::server::auth::AccessRole::Admin])),
            "{ webhooks { id } webhookDeliveries { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(other["data"]["webhooks"], json!([]));
    assert_eq!(other["data"]["webhookDeliveries"]["totalCount"], 0);
}

/// Every replica's relay delivers each recorded batch of an organization, in order,
/// to that organization's receivers only; on PostgreSQL delivery goes on after the
/// relays' LISTEN connections are killed, with nothing recorded meanwhile skipped.
#[tokio::test]
async fn every_relay_delivers_each_batch_in_order() {
    let app = spawn_app().await;
    small_org(&app).await;
    let options = LiveOptions {
        poll: Duration::from_millis(100),
        ..Default::default()
    };
    let mut relays = Vec::new();
    for _ in 0..2 {
        relays.push(
            Relay::start(app.service_db().await, options.clone())
                .await
                .unwrap(),
        );
    }
    let acme = app.organization_id("acme").await;
    let mut receivers: Vec<_> = relays.iter().map(|r| r.subscribe(acme)).collect();
    let mut elsewhere = relays[0].subscribe(acme + 1);

    let postgres = app.database_url.starts_with("postgres");
    for n in 0..6 {
        if postgres && n == 3 {
            let db = app.raw_db().await;
            use sea_orm::ConnectionTrait;
            let killed = db
                .execute_unprepared(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND query ILIKE 'LISTEN%' \
                     AND pid <> pg_backend_pid()",
                )
                .await
                .unwrap();
            assert!(killed.rows_affected() >= 2, "both relays listened");
        }
        app.record(silo_case(&format!("case-{n}"))).await;
    }
    for receiver in &mut receivers {
        for n in 0..6 {
            let batch = tokio::time::timeout(Duration::from_secs(10), receiver.recv())
                .await
                .expect("delivered")
                .unwrap();
            assert_eq!(batch.summary.recorded, 2);
            assert_eq!(batch.summary.new_silo_handoffs, 1);
            assert_eq!(batch.handoffs.len(), 1);
            assert_eq!(batch.handoffs[0].case_ref, format!("case-{n}"));
            assert!(batch.handoffs[0].flags.silo);
        }
    }
    assert!(
        elsewhere.try_recv().is_err(),
        "another organization hears nothing"
    );
    assert!(relays[0].position() > 0);
}

/// On PostgreSQL a transaction that took a smaller change-table id can commit after
/// one that took a larger: the relay delivers the later one first, then the earlier
/// one when it commits, and nothing twice.
#[tokio::test]
async fn a_batch_committed_late_is_still_delivered() {
    use sea_orm::{ActiveModelTrait, Set, TransactionTrait};
    let app = spawn_app().await;
    if !app.database_url.starts_with("postgres") {
        return; // SQLite commits one writer at a time, in id order.
    }
    let acme = app.organization_id("acme").await;
    // The rows are written beneath the service, as two writers' transactions would.
    let db = app.raw_db().await;
    let relay = Relay::start(
        app.service_db().await,
        LiveOptions {
            poll: Duration::from_millis(50),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut receiver = relay.subscribe(acme);
    let row = |recorded: i64| {
        entity::live_event::ActiveModel {
        organization_id: Set(acme),
        summary: Set(json!({ "source": "RECORD", "at": 0, "recorded": recorded, "duplicates": 0, "newHandoffs": 0, "newSiloHandoffs": 0 }).to_string()),
        handoffs: Set("[]".into()),
        created_at: Set(service::storage::db::now_micros()),
        ..Default::default()
    }
    };
    let early = db.begin().await.unwrap();
    row(1).insert(&early).await.unwrap();
    row(2).insert(&db).await.unwrap();
    let first = tokio::time::timeout(Duration::from_secs(5), receiver.recv())
        .await
        .expect("the committed row is delivered")
        .unwrap();
    assert_eq!(first.summary.recorded, 2);
    early.commit().await.unwrap();
    let late = tokio::time::timeout(Duration::from_secs(5), receiver.recv())
        .await
        .expect("the row committed late is delivered")
        .unwrap();
    assert_eq!(late.summary.recorded, 1);
    assert!(late.position < first.position);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(receiver.try_recv().is_err(), "nothing is delivered twice");
}

/// A batch of feedback is told as `feedback.recorded` to the webhooks that asked for
/// it (and to no other), and to subscribers as a feedback batch; a re-sent batch
/// tells nothing.
#[tokio::test]
async fn feedback_is_told_to_those_who_asked_for_it() {
    let app = private_ok().await;
    small_org(&app).await;
    let receiver = Receiver::start(200).await;
    create_webhook(&app, &receiver.url, &["FEEDBACK_RECORDED"]).await;
    let options = LiveOptions {
        poll: Duration::from_millis(100),
        ..Default::default()
    };
    let relay = Relay::start(app.service_db().await, options).await.unwrap();
    let mut batches = relay.subscribe(app.organization_id("acme").await);
    app.record(silo_case("c1")).await;
    let feedback = json!([
        { "externalId": "s-1", "caseRef": "c1", "kind": "CSAT", "at": "2026-10-02T09:00:00Z", "answeredAt": "2026-10-02T10:00:00Z", "score": 2 },
        { "externalId": "k-1", "caseRef": "c1", "kind": "COMPLAINT", "at": "2026-10-02T11:00:00Z", "channel": "social" },
    ]);
    let record = "mutation($input: [FeedbackInput!]!) { recordFeedback(input: $input) { recorded duplicates userErrors { message } } }";
    for _ in 0..2 {
        let data = app.gql(record, json!({ "input": feedback })).await;
        assert_eq!(data["recordFeedback"]["userErrors"], json!([]));
    }
    let first = tokio::time::timeout(Duration::from_secs(10), batches.recv())
        .await
        .expect("the interactions")
        .unwrap();
    assert_eq!(first.summary.feedback, None);
    let told = tokio::time::timeout(Duration::from_secs(10), batches.recv())
        .await
        .expect("the feedback")
        .unwrap();
    let counts = told.summary.feedback.expect("a feedback batch");
    assert_eq!((counts.recorded, counts.complaints), (2, 1));
    eventually("the message is delivered", || async {
        receiver.count() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = deliveries(&app).await;
    assert_eq!(
        messages.len(),
        1,
        "the interactions and the duplicates told nothing"
    );
    let body: Value = serde_json::from_str(messages[0]["payload"].as_str().unwrap()).unwrap();
    assert_eq!(body["type"], "feedback.recorded");
    assert_eq!(body["data"]["recorded"], 2);
    assert_eq!(body["data"]["complaints"], 1);
    assert_eq!(body["data"]["source"], "RECORD");
    assert!(
        batches.try_recv().is_err(),
        "the re-sent batch told nothing"
    );
}
