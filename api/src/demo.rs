//! The demo organization: generated, deterministic by seed, with the gaps and silos a
//! real organization shows, recorded through the same services the API uses.

use anyhow::anyhow;
use entity::enums::{Channel, Role};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use service::log::feedback::FeedbackInput;
use service::log::recording::{self, FunctionRef, InteractionInput, TouchpointRef};
use service::model::function::NewFunction;
use service::model::journey::NewJourney;
use service::model::person::NewPerson;
use service::model::responsibility::{Acknowledger, NewResponsibility};
use service::model::touchpoint::{ExperienceElement, NewTouchpoint};
use service::storage::db::{Db, OwnerWork, Tenant};
use service::{
    model::function, model::journey, model::organization, model::person, model::responsibility,
    model::touchpoint, Write, WriteError,
};

/// Every demo touchpoint promises the next interaction within two days (the
/// generated gaps run up to three, so some promises break).
const DEMO_PROMPT_WITHIN: i64 = 2 * 86_400 * 1_000_000;

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
    Channel,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
);
const TOUCHPOINTS: &[TouchpointSpec] = &[
    (
        "Campaign email",
        Channel::Email,
        "Discover",
        &["Marketing"],
        &["Marketing"],
    ),
    (
        "Product website",
        Channel::Web,
        "Discover",
        &["Marketing"],
        &["Sales"],
    ),
    (
        "Sales call",
        Channel::Phone,
        "Purchase",
        &["Sales"],
        &["Sales"],
    ),
    ("Checkout", Channel::Web, "Purchase", &["Sales"], &["Sales"]),
    (
        "Store visit",
        Channel::FaceToFace,
        "Purchase",
        &[],
        &["Sales"],
    ),
    (
        "Delivery update",
        Channel::MobileApp,
        "Deliver",
        &["Logistics"],
        &["Logistics"],
    ),
    (
        "Welcome call",
        Channel::Phone,
        "Onboard",
        &["Customer Experience"],
        &["Customer Experience"],
    ),
    ("Invoice", Channel::Email, "Pay", &["Billing"], &["Billing"]),
    (
        "Payment failure",
        Channel::Email,
        "Pay",
        &["Billing", "Finance"],
        &["Billing"],
    ),
    (
        "Support chat",
        Channel::Chat,
        "Get help",
        &["Customer Service"],
        &["Customer Service"],
    ),
    (
        "Refund request",
        Channel::Email,
        "Get help",
        &["Finance"],
        &["Customer Service"],
    ),
    (
        "Account review",
        Channel::Phone,
        "Get help",
        &["Risk"],
        &["Risk"],
    ),
    (
        "Cancellation",
        Channel::Phone,
        "Cancel",
        &["Customer Service"],
        &["Customer Experience"],
    ),
    ("Complaint letter", Channel::Mail, "Get help", &[], &[]),
];

const DEFERRAL_NOTES: &[&str] = &[
    "not our department, passing to the CX team",
    "that's what customer experience is there for",
    "that's what CX is there for",
    "not my job - someone else handles this",
    "forwarded to another team",
];
const BURDEN_NOTES: &[&str] = &[
    "asked the customer to call back tomorrow",
    "customer will have to send the form again",
    "customer needs to contact the bank",
];
/// What complaining customers write.
const COMPLAINTS: &[&str] = &[
    "I explained the problem three times to three different people",
    "Nobody called me back as promised",
    "I was told it is another department's job",
    "Still waiting for my refund",
];

const PLAIN_NOTES: &[&str] = &[
    "resolved on first contact",
    "explained the charge",
    "updated the order",
    "issued credit",
    "",
];

fn expect_ok<T>(result: Write<T>, what: &str) -> anyhow::Result<T> {
    result.map_err(|error| match error {
        WriteError::Invalid(errors) => anyhow!(
            "{what}: {}",
            errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ")
        ),
        WriteError::Fault(fault) => anyhow!("{what}: {fault}"),
    })
}

/// Creates the organization `slug` with its model and about `interactions`
/// interactions over the year before now; returns a one-line summary.
pub async fn create(db: &Db, slug: &str, seed: u64, interactions: usize) -> anyhow::Result<String> {
    let org_id = create_model(db, slug, seed).await?;
    let db = &db.tenant(org_id);
    let mut log = LogGenerator::new(seed, chrono::Utc::now().timestamp());
    let (mut total, mut silos, mut surveys) = (0, 0, 0);
    while total < interactions {
        let batch = log.batch(recording::MAX_BATCH.min(interactions - total).max(1));
        total += batch.len();
        let done = expect_ok(
            service::access::audit::as_actor(demo_actor(), recording::record(db, org_id, batch))
                .await,
            "interactions",
        )?;
        silos += done.new_silo_handoffs;
        let feedback = log.take_feedback();
        surveys += feedback.len();
        expect_ok(
            service::access::audit::as_actor(
                demo_actor(),
                service::log::feedback::record(db, org_id, feedback),
            )
            .await,
            "feedback",
        )?;
    }
    Ok(format!(
        "organization `{slug}` with {} functions, {} touchpoints, {total} interactions ({silos} silo handoffs) and {surveys} surveys and complaints",
        FUNCTIONS.len(),
        TOUCHPOINTS.len()
    ))
}

/// Creates the organization `slug` with the demo's functions, journeys, people,
/// touchpoints, responsibilities and acknowledgements; returns its id.
pub async fn create_model(db: &Db, slug: &str, seed: u64) -> anyhow::Result<i64> {
    let org = expect_ok(
        organization::create(&db.owner(OwnerWork::Organizations), slug, "Demo Retail Co.").await,
        "organization",
    )?;
    let org_id = org.id;
    service::access::audit::as_actor(demo_actor(), create_chart(&db.tenant(org_id), org_id, seed))
        .await?;
    Ok(org_id)
}

/// Who the demo's changes are recorded as.
fn demo_actor() -> service::access::audit::Actor {
    service::access::audit::Actor::system("demo")
}

/// The demo organization's functions, journeys, people, touchpoints, responsibilities
/// and acknowledgements, and its own deferral phrase besides the defaults (the words
/// the README quotes).
async fn create_chart(db: &Tenant, org_id: i64, seed: u64) -> anyhow::Result<()> {
    let mut deferral: Vec<String> = service::rules::flags::DEFAULT_DEFERRAL_PHRASES
        .iter()
        .map(|p| (*p).to_owned())
        .collect();
    deferral.push("what cx is there for".into());
    expect_ok(
        organization::update_settings(
            db,
            org_id,
            organization::SettingsChanges {
                deferral_phrases: Some(deferral),
                ..Default::default()
            },
        )
        .await,
        "settings",
    )?;
    let function_ids = create_functions(db, org_id).await?;
    let stage_ids = create_journeys(db, org_id).await?;
    let people_by_function = create_people(db, org_id, &function_ids).await?;
    create_touchpoints(
        db,
        org_id,
        seed,
        &function_ids,
        &stage_ids,
        &people_by_function,
    )
    .await
}

/// The demo's functions, with HR ids; their ids in [`FUNCTIONS`]' order.
async fn create_functions(db: &Tenant, org_id: i64) -> anyhow::Result<Vec<i64>> {
    let mut function_ids = Vec::new();
    for (name, is_cx, _) in FUNCTIONS {
        let input = NewFunction {
            name: (*name).into(),
            is_cx_team: *is_cx,
            parent_id: None,
            external_id: Some(format!("hr-{}", name.to_lowercase().replace(' ', "-"))),
        };
        function_ids.push(expect_ok(function::create(db, org_id, input).await, name)?.id);
    }
    Ok(function_ids)
}

/// The demo's journeys; their stages' ids by name.
async fn create_journeys(
    db: &Tenant,
    org_id: i64,
) -> anyhow::Result<std::collections::HashMap<String, i64>> {
    let mut stage_ids = std::collections::HashMap::new();
    for (name, stages) in JOURNEYS {
        let input = NewJourney {
            name: (*name).into(),
            stages: stages.iter().map(|s| s.to_string()).collect(),
        };
        let journey = expect_ok(journey::create(db, org_id, input).await, name)?;
        for stage in journey::stages(db, org_id, journey.id).await? {
            stage_ids.insert(stage.name.clone(), stage.id);
        }
    }
    Ok(stage_ids)
}

/// Three people in each function; their ids per function.
async fn create_people(
    db: &Tenant,
    org_id: i64,
    function_ids: &[i64],
) -> anyhow::Result<Vec<Vec<i64>>> {
    let mut people_by_function: Vec<Vec<i64>> = vec![Vec::new(); FUNCTIONS.len()];
    for (index, (name, _, _)) in FUNCTIONS.iter().enumerate() {
        for n in 1..=3 {
            let input = NewPerson {
                name: format!("{name} person {n}"),
                email: format!("{}.{n}@demo.example", name.to_lowercase().replace(' ', "-")),
                external_id: None,
                function_id: Some(function_ids[index]),
                title: Some(if n == 1 {
                    "Lead".into()
                } else {
                    "Specialist".into()
                }),
            };
            people_by_function[index]
                .push(expect_ok(person::create(db, org_id, input).await, "person")?.id);
        }
    }
    Ok(people_by_function)
}

/// The demo's touchpoints with their owners, most responsibilities acknowledged.
async fn create_touchpoints(
    db: &Tenant,
    org_id: i64,
    seed: u64,
    function_ids: &[i64],
    stage_ids: &std::collections::HashMap<String, i64>,
    people_by_function: &[Vec<i64>],
) -> anyhow::Result<()> {
    let function_index = |name: &str| -> anyhow::Result<usize> {
        FUNCTIONS
            .iter()
            .position(|f| f.0 == name)
            .ok_or_else(|| anyhow!("unknown function {name}"))
    };
    let mut rng = StdRng::seed_from_u64(seed);
    for (name, channel, stage, accountable, responsible) in TOUCHPOINTS {
        let input = NewTouchpoint {
            name: (*name).into(),
            channel: *channel,
            stage_id: stage_ids.get(*stage).copied(),
            experience: vec![
                ExperienceElement::Prompt,
                ExperienceElement::SinglePointOfContact,
            ],
            prompt_within: Some(DEMO_PROMPT_WITHIN),
        };
        let tp = expect_ok(touchpoint::create(db, org_id, input).await, name)?;
        for (role, owners) in [
            (Role::Accountable, accountable),
            (Role::Responsible, responsible),
        ] {
            for owner in owners.iter() {
                let index = function_index(owner)?;
                let input = NewResponsibility {
                    touchpoint_id: tp.id,
                    function_id: function_ids[index],
                    role,
                    person_id: None,
                };
                let r = expect_ok(
                    responsibility::assign(db, org_id, input).await,
                    "responsibility",
                )?;
                // Most, not all, people acknowledge their function's responsibilities.
                for person in &people_by_function[index] {
                    if rng.random_bool(0.7) {
                        expect_ok(
                            responsibility::acknowledge(
                                db,
                                org_id,
                                Acknowledger::Anyone,
                                r.id,
                                *person,
                            )
                            .await,
                            "acknowledgement",
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn pick<'a>(rng: &mut StdRng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}

/// How far back the demo's log reaches: 25 months, so that the last complete month is
/// a whole one and every month of the last year has its year-earlier month.
pub const SPAN_DAYS: i64 = 761;

/// The touchpoint whose owner drifted: in the last quarter, customers at it end up with
/// the CX team instead of its owner (the regression worth finding).
pub const DRIFTED_TOUCHPOINT: &str = "Refund request";

/// Generates the demo's interaction log over the [`SPAN_DAYS`] before `now` (seconds),
/// in batches: cases of 1–8 interactions (most short), each whole within one batch,
/// fewer on weekends, with deferrals that grow rarer over time so period comparisons
/// show an improvement, except at [`DRIFTED_TOUCHPOINT`], which CX took over in the
/// last quarter. The log runs up to `now`: a case still open then is cut there.
pub struct LogGenerator {
    rng: StdRng,
    /// Feedback draws from its own stream, so the interactions stay as they were.
    voice: StdRng,
    now: i64,
    cases: usize,
    interactions: usize,
    feedback: Vec<FeedbackInput>,
}

impl LogGenerator {
    pub fn new(seed: u64, now: i64) -> Self {
        LogGenerator {
            rng: StdRng::seed_from_u64(seed ^ 0x5eed),
            voice: StdRng::seed_from_u64(seed ^ 0xfeed),
            now,
            cases: 0,
            interactions: 0,
            feedback: Vec::new(),
        }
    }

    /// When the next case starts: any time in the span, less often on weekends.
    fn case_start(&mut self) -> i64 {
        let span = SPAN_DAYS * 86_400;
        loop {
            let start = self.now - span + self.rng.random_range(0..span);
            // 1970-01-01 was a Thursday: day 2 of the week (Saturday) and 3 (Sunday).
            let weekday = (start.div_euclid(86_400) + 3).rem_euclid(7);
            if weekday < 5 || self.rng.random_bool(0.35) {
                return start;
            }
        }
    }

    /// At least `target` more interactions (whole cases, so up to 7 more), or fewer
    /// when cases run into `now` and are cut there.
    pub fn batch(&mut self, target: usize) -> Vec<InteractionInput> {
        let cx = FUNCTIONS.len() - 1;
        let span = SPAN_DAYS * 86_400;
        let quarter = 92 * 86_400;
        let mut log = Vec::with_capacity(target + 8);
        let mut attempts = 0;
        while log.len() < target && attempts < target * 4 {
            attempts += 1;
            let start = self.case_start();
            let rng = &mut self.rng;
            self.cases += 1;
            let case = self.cases;
            let (tp_name, _, _, accountable, responsible) =
                TOUCHPOINTS[rng.random_range(0..TOUCHPOINTS.len())];
            let owner = responsible.first().or(accountable.first()).copied();
            let mut current = owner
                .and_then(|o| FUNCTIONS.iter().position(|f| f.0 == o))
                .unwrap_or_else(|| rng.random_range(0..cx));
            let progress = (start - (self.now - span)) as f64 / span as f64;
            // The regression: CX took this touchpoint over in the last quarter.
            let drifted = tp_name == DRIFTED_TOUCHPOINT && start > self.now - quarter;
            if drifted && rng.random_bool(0.55) {
                current = cx;
            }
            let mut at = start;
            let mut previous = None;
            let mut deferrals = 0;
            let length = 1 + (rng.random::<f64>().powi(2) * 7.0) as usize;
            for step in 0..length {
                if at > self.now {
                    break;
                }
                let mut defer_rate = FUNCTIONS[current].2 * (1.2 - 0.6 * progress);
                if drifted {
                    defer_rate = 0.75;
                }
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
                    occurred_at: chrono::DateTime::from_timestamp(at, 0)
                        .unwrap_or_default()
                        .to_rfc3339(),
                    function: FunctionRef::Name(FUNCTIONS[current].0.into()),
                    touchpoint: Some(TouchpointRef::Name(tp_name.into())),
                    person_id: None,
                    note: (!note.is_empty()).then(|| note.to_owned()),
                    customer_action_required: rng.random_bool(0.03),
                    external_id: Some(format!("demo-{:08}", self.interactions + log.len() + 1)),
                });
                if !last && next == cx && current != cx {
                    deferrals += 1;
                }
                at += rng.random_range(300..3 * 24 * 3600);
                previous = Some(current);
                current = next;
            }
            self.say(case, at, deferrals);
        }
        self.interactions += log.len();
        log
    }

    /// What the customer of case `case` says after its last interaction (about `end`):
    /// the myth of good scores. Customers passed to CX are surveyed as often, but
    /// answer a third as often and score lower, and complain more.
    fn say(&mut self, case: usize, end: i64, deferrals: usize) {
        let rng = &mut self.voice;
        let bounced = deferrals > 0;
        let instant = |at: i64| {
            chrono::DateTime::from_timestamp(at, 0)
                .unwrap_or_default()
                .to_rfc3339()
        };
        // (kind, share of cases offered it, top of its scale); the lowest score drawn is
        // a fifth of the top, so a CSAT is never below 1.
        for (kind, offered, top) in [("CSAT", 0.6, 5i32), ("NPS", 0.2, 10)] {
            let at = end + rng.random_range(3600..2 * 86_400);
            if !rng.random_bool(offered) || at > self.now {
                continue;
            }
            let answered = rng.random_bool(if bounced { 0.18 } else { 0.62 });
            let answered_at = at + rng.random_range(600..3 * 86_400);
            let answer = (answered && answered_at <= self.now).then(|| {
                let low = if bounced { top / 5 } else { top * 3 / 5 };
                let high = if bounced { top * 4 / 5 } else { top };
                (instant(answered_at), rng.random_range(low..=high))
            });
            self.feedback.push(FeedbackInput {
                external_id: format!("demo-{}-{case:06}", kind.to_lowercase()),
                case_ref: format!("DEMO-{case:06}"),
                kind: kind.into(),
                at: instant(at),
                answered_at: answer.as_ref().map(|a| a.0.clone()),
                score: answer.map(|a| a.1),
                channel: Some("email".into()),
                comment: None,
            });
        }
        let complains = if deferrals >= 2 {
            0.15
        } else if bounced {
            0.06
        } else {
            0.01
        };
        let at = end + rng.random_range(600..86_400);
        if rng.random_bool(complains) && at <= self.now {
            self.feedback.push(FeedbackInput {
                external_id: format!("demo-complaint-{case:06}"),
                case_ref: format!("DEMO-{case:06}"),
                kind: "COMPLAINT".into(),
                at: instant(at),
                channel: Some(
                    if rng.random_bool(0.4) {
                        "social"
                    } else {
                        "phone"
                    }
                    .into(),
                ),
                comment: Some(pick(rng, COMPLAINTS).into()),
                ..FeedbackInput::default()
            });
        }
    }

    /// The feedback of the cases generated so far that was not taken yet.
    pub fn take_feedback(&mut self) -> Vec<FeedbackInput> {
        std::mem::take(&mut self.feedback)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_log_runs_over_its_span_up_to_now() {
        let now = 1_800_000_000;
        let mut generator = LogGenerator::new(3, now);
        let mut latest = 0;
        for item in generator.batch(50_000) {
            let at = chrono::DateTime::parse_from_rfc3339(&item.occurred_at)
                .map(|t| t.timestamp())
                .unwrap_or(i64::MAX);
            assert!(
                at <= now && at >= now - SPAN_DAYS * 24 * 3600,
                "{}",
                item.occurred_at
            );
            latest = latest.max(at);
        }
        assert!(latest > now - 86_400, "the log reaches today");
    }
}
