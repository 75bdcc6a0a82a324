//! The demo organization: generated, deterministic by seed, with the gaps and silos a
//! real organization shows, recorded through the same services the API uses.

use anyhow::anyhow;
use async_graphql::ID;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sea_orm::DatabaseConnection;

use crate::graphql::types::enums::{ChannelEnum, RoleEnum};
use crate::service::function::CreateFunctionInput;
use crate::service::interaction::{FunctionRef, InteractionInput, TouchpointRef};
use crate::service::journey::CreateJourneyInput;
use crate::service::person::CreatePersonInput;
use crate::service::responsibility::AssignResponsibilityInput;
use crate::service::touchpoint::{CreateTouchpointInput, ExperienceElement};
use crate::service::{
    function, interaction, journey, organization, person, responsibility, touchpoint, UserError,
};

const FUNCTIONS: &[(&str, bool, f64)] = &[
    // name, CX team, how readily it defers to CX
    ("Sales", false, 0.40),
    ("Marketing", false, 0.30),
    ("Finance", false, 0.20),
    ("Billing", false, 0.20),
    ("Risk", false, 0.35),
    ("Customer Service", false, 0.15),
    ("Logistics", false, 0.20),
    ("Customer Experience", true, 0.0),
];

const JOURNEYS: &[(&str, &[&str])] = &[
    ("Buy", &["Discover", "Purchase", "Deliver"]),
    ("Use and pay", &["Onboard", "Pay", "Get help"]),
    ("Leave", &["Cancel"]),
];

/// name, channel, stage, ACCOUNTABLE, RESPONSIBLE (gaps on purpose).
type TouchpointSpec = (
    &'static str,
    ChannelEnum,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);
const TOUCHPOINTS: &[TouchpointSpec] = &[
    (
        "Campaign email",
        ChannelEnum::Email,
        "Discover",
        &["Marketing"],
        &["Marketing"],
    ),
    (
        "Product website",
        ChannelEnum::Web,
        "Discover",
        &["Marketing"],
        &["Sales"],
    ),
    (
        "Sales call",
        ChannelEnum::Phone,
        "Purchase",
        &["Sales"],
        &["Sales"],
    ),
    (
        "Checkout",
        ChannelEnum::Web,
        "Purchase",
        &["Sales"],
        &["Sales"],
    ),
    (
        "Store visit",
        ChannelEnum::FaceToFace,
        "Purchase",
        &[],
        &["Sales"],
    ),
    (
        "Delivery update",
        ChannelEnum::MobileApp,
        "Deliver",
        &["Logistics"],
        &["Logistics"],
    ),
    (
        "Welcome call",
        ChannelEnum::Phone,
        "Onboard",
        &["Customer Experience"],
        &["Customer Experience"],
    ),
    (
        "Invoice",
        ChannelEnum::Email,
        "Pay",
        &["Billing"],
        &["Billing"],
    ),
    (
        "Payment failure",
        ChannelEnum::Email,
        "Pay",
        &["Billing", "Finance"],
        &["Billing"],
    ),
    (
        "Support chat",
        ChannelEnum::Chat,
        "Get help",
        &["Customer Service"],
        &["Customer Service"],
    ),
    (
        "Refund request",
        ChannelEnum::Email,
        "Get help",
        &["Finance"],
        &["Customer Service"],
    ),
    (
        "Account review",
        ChannelEnum::Phone,
        "Get help",
        &["Risk"],
        &["Risk"],
    ),
    (
        "Cancellation",
        ChannelEnum::Phone,
        "Cancel",
        &["Customer Service"],
        &["Customer Experience"],
    ),
    ("Complaint letter", ChannelEnum::Mail, "Get help", &[], &[]),
];

const DEFERRAL_NOTES: &[&str] = &[
    "not our department, passing to the CX team",
    "that's what customer experience is there for",
    "not my job - someone else handles this",
    "forwarded to another team",
];
const BURDEN_NOTES: &[&str] = &[
    "asked the customer to call back tomorrow",
    "customer will have to send the form again",
    "customer needs to contact the bank",
];
const PLAIN_NOTES: &[&str] = &[
    "resolved on first contact",
    "explained the charge",
    "updated the order",
    "issued credit",
    "",
];

fn expect_ok<T>(result: Result<T, Vec<UserError>>, what: &str) -> anyhow::Result<T> {
    result.map_err(|errors| {
        anyhow!(
            "{what}: {}",
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        )
    })
}

/// Creates the organization `slug` with its model and about `interactions`
/// interactions over the year before now; returns a one-line summary.
pub async fn create(
    db: &DatabaseConnection,
    slug: &str,
    seed: u64,
    interactions: usize,
) -> anyhow::Result<String> {
    let org_id = create_model(db, slug, seed).await?;
    let mut log = LogGenerator::new(seed, chrono::Utc::now().timestamp());
    let (mut total, mut silos) = (0, 0);
    while total < interactions {
        let batch = log.batch(interaction::MAX_BATCH.min(interactions - total).max(1));
        total += batch.len();
        let done = expect_ok(
            interaction::record(db, org_id, batch).await?,
            "interactions",
        )?;
        silos += done.new_silo_handoffs;
    }
    Ok(format!(
        "organization `{slug}` with {} functions, {} touchpoints and {total} interactions ({silos} silo handoffs)",
        FUNCTIONS.len(),
        TOUCHPOINTS.len()
    ))
}

/// Creates the organization `slug` with the demo's functions, journeys, people,
/// touchpoints, responsibilities and acknowledgements; returns its id.
pub async fn create_model(db: &DatabaseConnection, slug: &str, seed: u64) -> anyhow::Result<i64> {
    let org = expect_ok(
        organization::create(db, slug, "Demo Retail Co.").await?,
        "organization",
    )?;
    let org_id = org.id;
    let mut function_ids = Vec::new();
    for (name, is_cx, _) in FUNCTIONS {
        let input = CreateFunctionInput {
            name: (*name).into(),
            is_cx_team: *is_cx,
            parent_id: None,
            external_id: Some(format!("hr-{}", name.to_lowercase().replace(' ', "-"))),
        };
        function_ids.push(crate::ids::encode(
            "Function",
            expect_ok(function::create(db, org_id, input).await?, name)?.id,
        ));
    }
    let function_id = |name: &str| -> anyhow::Result<ID> {
        let index = FUNCTIONS
            .iter()
            .position(|f| f.0 == name)
            .ok_or_else(|| anyhow!("unknown function {name}"))?;
        Ok(function_ids[index].clone())
    };
    let mut stage_ids = std::collections::HashMap::new();
    for (name, stages) in JOURNEYS {
        let input = CreateJourneyInput {
            name: (*name).into(),
            stages: stages.iter().map(|s| s.to_string()).collect(),
        };
        let journey = expect_ok(journey::create(db, org_id, input).await?, name)?;
        for stage in journey::stages(db, org_id, journey.id).await? {
            stage_ids.insert(stage.name.clone(), crate::ids::encode("Stage", stage.id));
        }
    }
    let mut people_by_function: Vec<Vec<i64>> = vec![Vec::new(); FUNCTIONS.len()];
    for (index, (name, _, _)) in FUNCTIONS.iter().enumerate() {
        for n in 1..=3 {
            let input = CreatePersonInput {
                name: format!("{name} person {n}"),
                email: format!("{}.{n}@demo.example", name.to_lowercase().replace(' ', "-")),
                external_id: None,
                function_id: Some(function_ids[index].clone()),
                title: Some(if n == 1 {
                    "Lead".into()
                } else {
                    "Specialist".into()
                }),
            };
            people_by_function[index]
                .push(expect_ok(person::create(db, org_id, input).await?, "person")?.id);
        }
    }
    let admin = crate::auth::Viewer {
        subject: "demo".into(),
        organization_id: org_id,
        organization_slug: slug.into(),
        roles: [crate::auth::AccessRole::Admin].into_iter().collect(),
    };
    let mut rng = StdRng::seed_from_u64(seed);
    for (name, channel, stage, accountable, responsible) in TOUCHPOINTS {
        let input = CreateTouchpointInput {
            name: (*name).into(),
            channel: *channel,
            stage_id: stage_ids.get(*stage).cloned(),
            experience: vec![
                ExperienceElement::Prompt,
                ExperienceElement::SinglePointOfContact,
            ],
        };
        let tp = expect_ok(touchpoint::create(db, org_id, input).await?, name)?;
        for (role, owners) in [
            (RoleEnum::Accountable, accountable),
            (RoleEnum::Responsible, responsible),
        ] {
            for owner in owners.iter() {
                let input = AssignResponsibilityInput {
                    touchpoint_id: crate::ids::encode("Touchpoint", tp.id),
                    function_id: function_id(owner)?,
                    role,
                    person_id: None,
                };
                let r = expect_ok(
                    responsibility::assign(db, org_id, input).await?,
                    "responsibility",
                )?;
                // Most, not all, people acknowledge their function's responsibilities.
                let index = FUNCTIONS
                    .iter()
                    .position(|f| f.0 == *owner)
                    .unwrap_or_default();
                for person in &people_by_function[index] {
                    if rng.random_bool(0.7) {
                        expect_ok(
                            responsibility::acknowledge(
                                db,
                                &admin,
                                &crate::ids::encode("Responsibility", r.id),
                                &crate::ids::encode("Person", *person),
                            )
                            .await?,
                            "acknowledgement",
                        )?;
                    }
                }
            }
        }
    }
    Ok(org_id)
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// Generates the demo's interaction log over the year before `now` (seconds), in
/// batches: cases of 1–8 interactions (most short), each whole within one batch, with
/// deferrals that grow rarer over the year so period comparisons show an improvement.
pub struct LogGenerator {
    rng: StdRng,
    now: i64,
    cases: usize,
    interactions: usize,
}

impl LogGenerator {
    pub fn new(seed: u64, now: i64) -> Self {
        LogGenerator {
            rng: StdRng::seed_from_u64(seed ^ 0x5eed),
            now,
            cases: 0,
            interactions: 0,
        }
    }

    /// At least `target` more interactions (whole cases, so up to 7 more).
    pub fn batch(&mut self, target: usize) -> Vec<InteractionInput> {
        let rng = &mut self.rng;
        let now = self.now;
        let cx = FUNCTIONS.len() - 1;
        let year = 365 * 24 * 3600;
        let mut log = Vec::with_capacity(target + 8);
        while log.len() < target {
            self.cases += 1;
            let case = self.cases;
            let (tp_name, _, _, accountable, responsible) =
                TOUCHPOINTS[rng.random_range(0..TOUCHPOINTS.len())];
            let owner = responsible.first().or(accountable.first()).copied();
            let mut current = owner
                .and_then(|o| FUNCTIONS.iter().position(|f| f.0 == o))
                .unwrap_or_else(|| rng.random_range(0..cx));
            let start = now - year + rng.random_range(0..year - 7 * 24 * 3600);
            let progress = (start - (now - year)) as f64 / year as f64;
            let mut at = start;
            let mut previous = None;
            let length = 1 + (rng.random::<f64>().powi(2) * 7.0) as usize;
            for step in 0..length {
                let defer_rate = FUNCTIONS[current].2 * (1.2 - 0.5 * progress);
                let next = if current == cx {
                    // CX routes back (a bounce) or on to someone else.
                    match previous {
                        Some(p) if rng.random_bool(0.4) => p,
                        _ => rng.random_range(0..cx),
                    }
                } else if rng.random_bool(defer_rate.clamp(0.0, 1.0)) {
                    cx
                } else if rng.random_bool(0.35) {
                    rng.random_range(0..cx)
                } else {
                    current
                };
                let last = step + 1 == length;
                let note = if !last && next == cx && current != cx && rng.random_bool(0.6) {
                    pick(rng, DEFERRAL_NOTES)
                } else if rng.random_bool(0.06) {
                    pick(rng, BURDEN_NOTES)
                } else {
                    pick(rng, PLAIN_NOTES)
                };
                log.push(InteractionInput {
                    case_ref: format!("DEMO-{case:06}"),
                    occurred_at: crate::graphql::types::window::instant(at * 1_000_000)
                        .to_rfc3339(),
                    function: FunctionRef::Name(FUNCTIONS[current].0.into()),
                    touchpoint: Some(TouchpointRef::Name(tp_name.into())),
                    person_id: None,
                    note: (!note.is_empty()).then(|| note.to_owned()),
                    customer_action_required: rng.random_bool(0.03),
                    external_id: Some(format!("demo-{:08}", self.interactions + log.len() + 1)),
                });
                at += rng.random_range(300..3 * 24 * 3600);
                previous = Some(current);
                current = next;
            }
        }
        self.interactions += log.len();
        log
    }
}
