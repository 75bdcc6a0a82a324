//! Service behaviour that needs no HTTP: the one write path of functions, neutral
//! field errors, and the webhook messages a recorded batch writes. On SQLite, or on
//! PostgreSQL when SILOSCOPE_TEST_POSTGRES_URL is set, as the API's suite.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use service::access::audit::{as_actor, Actor};
use service::error::{Field, UserErrorCode, WriteError};
use service::log::recording::{self, FunctionRef, InteractionInput};
use service::model::chart::{self, Chart, ChartFunction};
use service::model::directory::sync::{self, SyncFunction, SyncMode, SyncRequest};
use service::model::function::{self, NewFunction};
use service::notify::webhook::{self, DeliveryFilter, EventType, NewWebhook};
use service::storage::db::{DbOptions, OwnerWork, Tenant};
use service::storage::scoped::PageRequest;
use service::storage::scratch::Scratch;

/// A migrated scratch database with one organization, its tenant handle and id.
async fn organization() -> (Scratch, Tenant, i64) {
    let admin = std::env::var("SILOSCOPE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let (url, scratch) = Scratch::create(admin.as_deref()).await.expect("scratch");
    let options = DbOptions {
        url,
        max_connections: 4,
        transaction_pooler: false,
        direct_url: None,
    };
    let db = service::upgrade::open(&options, true)
        .await
        .expect("migrated");
    let org = as_actor(
        Actor::system("test"),
        service::model::organization::create(&db.owner(OwnerWork::Organizations), "acme", "Acme"),
    )
    .await
    .expect("organization");
    (scratch, db.tenant(org.id), org.id)
}

fn item(case: &str, at: &str, function: &str, external_id: &str) -> InteractionInput {
    InteractionInput {
        case_ref: case.into(),
        occurred_at: at.into(),
        function: FunctionRef::Name(function.into()),
        touchpoint: None,
        person_id: None,
        note: None,
        customer_action_required: false,
        external_id: Some(external_id.into()),
    }
}

/// The user errors of a write that must fail, as (code, list, item, field).
fn invalid<T: std::fmt::Debug>(
    written: Result<T, WriteError>,
) -> Vec<(UserErrorCode, Option<String>, Option<usize>, String)> {
    match written {
        Err(WriteError::Invalid(errors)) => errors
            .into_iter()
            .map(|e| {
                let Field { list, item, name } = e.field;
                (
                    e.code,
                    list.map(|l| l.into_owned()),
                    item,
                    name.into_owned(),
                )
            })
            .collect(),
        other => panic!("expected user errors, got {other:?}"),
    }
}

#[tokio::test]
async fn functions_are_written_one_way_whichever_door_writes_them() {
    let (_scratch, db, org) = organization().await;
    as_actor(Actor::system("test"), async {
        let new = |name: &str| NewFunction {
            name: name.into(),
            is_cx_team: false,
            parent_id: None,
            external_id: None,
        };
        function::create(&db, org, new("Sales"))
            .await
            .expect("created");
        // The same name in another case is the same function, for every door.
        let taken = function::create(&db, org, new("SALES")).await;
        assert_eq!(
            invalid(taken),
            [(UserErrorCode::Duplicate, None, None, "name".to_owned())]
        );
        // A chart loads it by name and changes only what differs.
        let cx = |is_cx_team| Chart {
            functions: vec![
                ChartFunction {
                    name: "sales".into(),
                    is_cx_team,
                    external_id: None,
                },
                ChartFunction {
                    name: "Sales".into(),
                    is_cx_team,
                    external_id: None,
                },
            ],
            ..Chart::default()
        };
        let loaded = chart::load(&db, org, cx(false)).await.expect("loaded");
        assert_eq!((loaded.functions_created, loaded.functions_updated), (0, 0));
        // A directory sync adopts it by name and gives it its HR id; a parent cycle
        // is refused with the payload's own field, wherever the cycle closes.
        let sync = |functions: Vec<SyncFunction>| SyncRequest {
            mode: SyncMode::Merge,
            dry_run: false,
            functions,
            people: Vec::new(),
        };
        let entry = |id: &str, name: &str, parent: Option<&str>| SyncFunction {
            external_id: id.into(),
            name: name.into(),
            parent_external_id: parent.map(Into::into),
            is_cx_team: false,
        };
        let adopted = sync::sync(&db, org, sync(vec![entry("hr-1", "Sales", None)]))
            .await
            .expect("synced");
        assert_eq!(adopted.functions.updated, 1);
        assert_eq!(adopted.functions.created, 0);
        let cycle = sync::sync(
            &db,
            org,
            sync(vec![
                entry("hr-1", "Sales", Some("hr-2")),
                entry("hr-2", "Billing", Some("hr-1")),
            ]),
        )
        .await;
        let errors = invalid(cycle);
        assert!(
            errors
                .iter()
                .all(|(code, list, _, field)| *code == UserErrorCode::Invalid
                    && list.as_deref() == Some("functions")
                    && field == "parent_external_id"),
            "{errors:?}"
        );
        // Nothing of the refused sync was written.
        let all = function::all(&db, org).await.expect("listed");
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].external_id.as_deref(), Some("hr-1"));
    })
    .await;
}

#[tokio::test]
async fn a_bad_batch_names_each_item_and_field_in_the_services_terms() {
    let (_scratch, db, org) = organization().await;
    as_actor(Actor::system("test"), async {
        function::create(
            &db,
            org,
            NewFunction {
                name: "Sales".into(),
                is_cx_team: false,
                parent_id: None,
                external_id: None,
            },
        )
        .await
        .expect("created");
        let batch = vec![
            item("c1", "2026-01-01T10:00:00Z", "Sales", "e1"),
            item("c1", "yesterday", "Sales", "e2"),
            item("", "2026-01-01T11:00:00Z", "Nobody", "e3"),
        ];
        let errors = invalid(recording::record(&db, org, batch).await);
        assert_eq!(
            errors,
            [
                (UserErrorCode::Invalid, None, Some(1), "occurred_at".into()),
                (UserErrorCode::Required, None, Some(2), "case_ref".into()),
                (UserErrorCode::NotFound, None, Some(2), "function".into()),
            ]
        );
    })
    .await;
}

#[tokio::test]
async fn a_recorded_batch_writes_one_message_per_subscribed_event() {
    let (_scratch, db, org) = organization().await;
    as_actor(Actor::system("test"), async {
        for (name, is_cx_team) in [("Sales", false), ("CX", true)] {
            let new = NewFunction {
                name: name.into(),
                is_cx_team,
                parent_id: None,
                external_id: Some(format!("hr-{name}")),
            };
            function::create(&db, org, new).await.expect("created");
        }
        let hook = NewWebhook {
            url: "https://hooks.example/siloscope".into(),
            events: vec![
                EventType::SiloHandoffsDetected,
                EventType::InteractionsRecorded,
            ],
            description: None,
            created_by: "test".into(),
        };
        let created = webhook::create(&db, org, hook).await.expect("webhook");
        assert!(created.secret.starts_with(webhook::SECRET_PREFIX));
        let batch = vec![
            item("c1", "2026-03-02T09:00:00Z", "Sales", "e1"),
            item("c1", "2026-03-02T10:00:00Z", "CX", "e2"),
        ];
        let recorded = recording::record(&db, org, batch).await.expect("recorded");
        assert_eq!(recorded.new_silo_handoffs, 1);
        let page = PageRequest {
            first: 10,
            after: None,
            with_total: false,
        };
        let messages = webhook::deliveries(&db, org, &DeliveryFilter::default(), page)
            .await
            .expect("listed");
        let bodies: Vec<serde_json::Value> = messages
            .items
            .iter()
            .map(|m| serde_json::from_str(&m.payload).expect("JSON"))
            .collect();
        insta::assert_json_snapshot!(bodies, {
            "[].timestamp" => "[timestamp]",
            "[].data.at" => "[timestamp]",
        });
        // Sending the same batch again records nothing and tells nobody.
        let again = vec![
            item("c1", "2026-03-02T09:00:00Z", "Sales", "e1"),
            item("c1", "2026-03-02T10:00:00Z", "CX", "e2"),
        ];
        let recorded = recording::record(&db, org, again).await.expect("recorded");
        assert_eq!((recorded.recorded, recorded.duplicates), (0, 2));
        let messages = webhook::deliveries(&db, org, &DeliveryFilter::default(), page)
            .await
            .expect("listed");
        assert_eq!(messages.items.len(), 2);
    })
    .await;
}

/// Interactions recorded without an externalId before content keys existed are keyed
/// on start; of identical copies an earlier re-import made, the first keeps the key and
/// the others are keyed apart, so that they can be retracted by key.
#[tokio::test]
async fn earlier_interactions_are_keyed_once_and_copies_apart() {
    use sea_orm::ConnectionTrait;
    let (_scratch, db, org) = organization().await;
    let item = || item("c1", "2026-03-02T09:00:00Z", "Sales", "unused");
    as_actor(Actor::system("test"), async {
        function::create(
            &db,
            org,
            NewFunction {
                name: "Sales".into(),
                is_cx_team: false,
                parent_id: None,
                external_id: None,
            },
        )
        .await
        .expect("created");
        let mut first = item();
        first.external_id = None;
        recording::record(&db, org, vec![first])
            .await
            .expect("recorded");
    })
    .await;
    // As before content keys: no key, and a copy the old re-import bug made.
    let owner = db.db().owner(OwnerWork::Migration);
    for sql in [
        "UPDATE interaction SET content_key = NULL",
        "INSERT INTO interaction (organization_id, case_id, occurred_at, function_id, touchpoint_id, person_id, note, customer_action_required, external_id, burden_match, deferral_match, recorded_at, note_redacted) SELECT organization_id, case_id, occurred_at, function_id, touchpoint_id, person_id, note, customer_action_required, external_id, burden_match, deferral_match, recorded_at, note_redacted FROM interaction",
        "UPDATE organization SET content_keys_version = 0",
    ] {
        owner.execute_unprepared(sql).await.expect("legacy rows");
    }
    service::upgrade::key_earlier_interactions(db.db())
        .await
        .expect("keyed");
    let keys: Vec<String> = owner
        .query_all_raw(sea_orm::Statement::from_string(
            owner.get_database_backend(),
            "SELECT content_key FROM interaction ORDER BY id",
        ))
        .await
        .expect("read")
        .iter()
        .map(|row| row.try_get_by_index::<String>(0).expect("keyed"))
        .collect();
    assert_eq!(keys.len(), 2);
    assert!(keys[0].starts_with(recording::CONTENT_KEY_PREFIX));
    assert_eq!(keys[1], format!("{}:dup1", keys[0]));
    // The same row sent again is the first one: nothing new.
    let again = as_actor(Actor::system("test"), async {
        let mut row = item();
        row.external_id = None;
        recording::record(&db, org, vec![row])
            .await
            .expect("recorded")
    })
    .await;
    assert_eq!((again.recorded, again.duplicates), (0, 1));
}
