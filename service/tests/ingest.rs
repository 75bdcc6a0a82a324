//! The bulk path's figures equal recording's: a random log, partly recorded item by
//! item and the rest imported shuffled in random chunks (each case derived once, after
//! the last chunk), reports exactly what recording every interaction item by item
//! reports, over windows read from the rollups and from the steps. On SQLite, or on
//! PostgreSQL when SILOSCOPE_TEST_POSTGRES_URL is set.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use service::access::audit::{as_actor, Actor};
use service::log::import::{import_interactions, Chunk, ImportOptions, SourceRow};
use service::log::recording::{self, FunctionRef, InteractionInput, TouchpointRef};
use service::model::function::{self, NewFunction};
use service::model::touchpoint::{self, NewTouchpoint};
use service::reports::snapshot::Figures;
use service::rules::Window;
use service::storage::db::{DbOptions, OwnerWork, Tenant};
use service::storage::scratch::Scratch;

/// A scratch database whose organization has the same chart, so the ids agree.
async fn charted() -> (Scratch, Tenant, i64) {
    let admin = std::env::var("SILOSCOPE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty());
    let (url, scratch) = Scratch::create(admin.as_deref()).await.unwrap();
    let options = DbOptions {
        url,
        max_connections: 4,
        transaction_pooler: false,
        direct_url: None,
    };
    let db = service::upgrade::open(&options, true).await.unwrap();
    let org = as_actor(
        Actor::system("test"),
        service::model::organization::create(&db.owner(OwnerWork::Organizations), "acme", "Acme"),
    )
    .await
    .unwrap();
    let tenant = db.tenant(org.id);
    as_actor(Actor::system("test"), async {
        for (name, is_cx_team) in [("Sales", false), ("Billing", false), ("CX", true)] {
            let new = NewFunction {
                name: name.into(),
                is_cx_team,
                parent_id: None,
                external_id: None,
            };
            function::create(&tenant, org.id, new).await.unwrap();
        }
        for name in ["Call", "Chat"] {
            let new = NewTouchpoint {
                name: name.into(),
                channel: entity::enums::Channel::Other,
                stage_id: None,
                experience: Vec::new(),
                prompt_within: Some(3_600_000_000),
            };
            touchpoint::create(&tenant, org.id, new).await.unwrap();
        }
    })
    .await;
    (scratch, tenant, org.id)
}

fn log(rng: &mut StdRng) -> Vec<InteractionInput> {
    let functions = ["Sales", "Billing", "CX"];
    let notes = [
        None,
        Some("that's what CX is there for"),
        Some("then the customer will have to call"),
    ];
    let mut items = Vec::new();
    for case in 0..rng.random_range(5..40) {
        for _ in 0..rng.random_range(1..7) {
            let at = 1_772_323_200 + rng.random_range(0..30 * 86_400i64);
            let at = chrono::DateTime::from_timestamp(at, 0)
                .unwrap()
                .to_rfc3339();
            let external = rng.random_bool(0.5).then(|| format!("e{}", items.len()));
            items.push(InteractionInput {
                case_ref: format!("c{case}"),
                occurred_at: at,
                function: FunctionRef::Name(functions[rng.random_range(0..3)].into()),
                touchpoint: rng
                    .random_bool(0.6)
                    .then(|| TouchpointRef::Name(["Call", "Chat"][rng.random_range(0..2)].into())),
                person_id: None,
                note: notes[rng.random_range(0..3)].map(str::to_owned),
                customer_action_required: rng.random_bool(0.2),
                external_id: external,
            });
        }
    }
    items
}

/// Every figure of the silo report and the network over `window`, as text.
async fn figures(db: &Tenant, org: i64, window: Window) -> String {
    let figures = Figures::new(0);
    let report = service::reports::report::silo_report(db, &figures, org, window, &[])
        .await
        .unwrap();
    let network = service::reports::network::handoff_network(db, &figures, org, window)
        .await
        .unwrap();
    let id = |f: &Option<entity::function::Model>| f.as_ref().map(|f| f.id);
    let functions: Vec<_> = report
        .by_function
        .iter()
        .map(|r| (id(&r.function), format!("{:?}", r.figures)))
        .collect();
    let touchpoints: Vec<_> = report
        .by_touchpoint
        .iter()
        .map(|r| (r.touchpoint.as_ref().map(|t| t.id), r.figures))
        .collect();
    let edges: Vec<_> = network
        .edges
        .iter()
        .map(|e| (id(&e.from), id(&e.to), e.figures))
        .collect();
    let weights: Vec<_> = network
        .handover_of_work
        .iter()
        .map(|w| (id(&w.from), id(&w.to), w.count, w.weight))
        .collect();
    format!(
        "{:?}\n{functions:?}\n{touchpoints:?}\n{edges:?}\n{}\n{weights:?}",
        report.totals, network.total_pairs
    )
}

#[tokio::test]
async fn any_order_and_chunking_of_an_import_gives_recordings_figures() {
    for seed in 0..6u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let items = log(&mut rng);
        let (_a, one_by_one, org) = charted().await;
        let (_b, imported, org_b) = charted().await;
        assert_eq!(org, org_b);
        let (mut new_handoffs, mut new_silo_handoffs) = (0, 0);
        as_actor(Actor::system("test"), async {
            // Each item's change of the figures, which late items make negative too
            // (an item between two others can end a handoff): their sums are the totals.
            for item in &items {
                let done = recording::record(&one_by_one, org, vec![item.clone()])
                    .await
                    .unwrap();
                new_handoffs += done.new_handoffs;
                new_silo_handoffs += done.new_silo_handoffs;
            }
            // Part first, item by item, so that the import adds to existing cases too.
            let split = rng.random_range(0..items.len());
            for item in &items[..split] {
                recording::record(&imported, org, vec![item.clone()])
                    .await
                    .unwrap();
            }
            let mut rest: Vec<InteractionInput> = items[split..].to_vec();
            rest.shuffle(&mut rng);
            let (tx, rx) = tokio::sync::mpsc::channel(4);
            let mut chunks = Vec::new();
            let mut line = 0u64;
            while !rest.is_empty() {
                let size = rng.random_range(1..=rest.len().min(25));
                let rows = rest
                    .drain(..size)
                    .map(|input| {
                        line += 1;
                        SourceRow {
                            line,
                            input,
                            chart: Default::default(),
                            raw: None,
                        }
                    })
                    .collect();
                chunks.push(Chunk {
                    rows,
                    rejected: Vec::new(),
                });
            }
            let feed = async move {
                for chunk in chunks {
                    tx.send(Ok(chunk)).await.unwrap();
                }
            };
            let (_, summary) = tokio::join!(
                feed,
                import_interactions(&imported, org, rx, ImportOptions::default(), &|_| {})
            );
            let summary = summary.unwrap();
            assert!(summary.committed, "seed {seed}: {:?}", summary.rejections);
        })
        .await;
        let totals = service::reports::report::silo_report(
            &one_by_one,
            &Figures::new(0),
            org,
            Window::default(),
            &[],
        )
        .await
        .unwrap()
        .totals;
        assert_eq!(
            (new_handoffs, new_silo_handoffs),
            (totals.flags.handoffs, totals.flags.silo_handoffs),
            "seed {seed}: the changes recording reported add up to the totals"
        );
        for window in [
            Window::default(),
            Window {
                from: Some(1_772_323_200_000_000 + 86_400_000_000 * 3 + 12_345),
                to: Some(1_772_323_200_000_000 + 86_400_000_000 * 20 + 777),
            },
        ] {
            assert_eq!(
                figures(&imported, org, window).await,
                figures(&one_by_one, org, window).await,
                "seed {seed}, window {window:?}"
            );
        }
    }
}

/// The interaction table's references hold however rows arrive: on PostgreSQL they are
/// checked once per statement (migration 22), and there a reference must also be of
/// the interaction's own organization; on SQLite the foreign keys check them.
#[tokio::test]
async fn references_of_interactions_hold_per_statement() {
    let (_scratch, tenant, org) = charted().await;
    let db = tenant.db();
    let postgres = db.is_postgres();
    let other = as_actor(
        Actor::system("test"),
        service::model::organization::create(&db.owner(OwnerWork::Organizations), "other", "Other"),
    )
    .await
    .unwrap();
    let elsewhere = as_actor(Actor::system("test"), async {
        let new = NewFunction {
            name: "Elsewhere".into(),
            is_cx_team: false,
            parent_id: None,
            external_id: None,
        };
        function::create(&db.tenant(other.id), other.id, new)
            .await
            .unwrap()
    })
    .await;
    let mut items = log(&mut StdRng::seed_from_u64(7));
    items.truncate(3);
    as_actor(
        Actor::system("test"),
        recording::record(&tenant, org, items),
    )
    .await
    .unwrap();
    use sea_orm::ConnectionTrait;
    // As the owner (a migration's role), which row-level security does not restrict:
    // what a statement the service does not expect would run as.
    let owner = db.owner(OwnerWork::Migration);
    let raw = &owner;
    let one = |sql: String| async move { raw.execute_unprepared(&sql).await };
    let (case_id, function_id): (i64, i64) = {
        let row = raw
            .query_one_raw(sea_orm::Statement::from_string(
                raw.get_database_backend(),
                format!("SELECT case_id, function_id FROM interaction WHERE organization_id = {org} LIMIT 1"),
            ))
            .await
            .unwrap()
            .unwrap();
        (
            row.try_get_by_index(0).unwrap(),
            row.try_get_by_index(1).unwrap(),
        )
    };
    let insert = |case_id: i64, function_id: i64, touchpoint: &str| {
        format!(
            "INSERT INTO interaction (organization_id, case_id, occurred_at, function_id, \
             touchpoint_id, customer_action_required, burden_match, deferral_match, recorded_at) \
             VALUES ({org}, {case_id}, 1, {function_id}, {touchpoint}, false, false, false, 1)"
        )
    };
    assert!(one(insert(case_id, function_id, "NULL")).await.is_ok());
    for (what, sql) in [
        ("an unknown case", insert(999_999, function_id, "NULL")),
        ("an unknown function", insert(case_id, 999_999, "NULL")),
        (
            "an unknown touchpoint",
            insert(case_id, function_id, "999999"),
        ),
        (
            "a function changed to an unknown one",
            format!("UPDATE interaction SET function_id = 999999 WHERE case_id = {case_id}"),
        ),
        (
            "a case deleted under its interactions",
            format!("DELETE FROM customer_case WHERE id = {case_id}"),
        ),
    ] {
        assert!(one(sql).await.is_err(), "{what} was let through");
    }
    if postgres {
        // Stricter than a foreign key: another organization's function is refused.
        assert!(
            one(insert(case_id, elsewhere.id, "NULL")).await.is_err(),
            "another organization's function was let through"
        );
    }
    let count = |sql: String| async move {
        raw.query_one_raw(sea_orm::Statement::from_string(
            raw.get_database_backend(),
            sql,
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get_by_index::<i64>(0)
        .unwrap()
    };
    let of_org = format!("SELECT COUNT(*) FROM interaction WHERE organization_id = {org}");
    assert_eq!(
        count(of_org.clone()).await,
        4,
        "the refused statements wrote nothing"
    );
    // A deleted organization takes its interactions along, as the cascade did.
    one(format!("DELETE FROM organization WHERE id = {org}"))
        .await
        .unwrap();
    assert_eq!(count(of_org).await, 0);
}
