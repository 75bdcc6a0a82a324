//! A case's chain: its interactions in order and its handoffs with their flags.

use async_graphql::{Context, Object, ID};
use service::{reports::handoff, ServiceResult};

use super::chart::{Function, Person, Touchpoint};
use super::enums::HandoffFlagEnum;
use super::window::{instant, Instant};
use crate::graphql::{context, ids, loader};

/// A derived handoff: a case passed from one function to another.
#[derive(Clone)]
pub struct Handoff(pub handoff::Handoff);

/// A derived handoff: a case passed from one function to another.
#[Object]
impl Handoff {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        ids::global_of("Handoff", self.0.step.interaction_id)
    }
    /// The case the handoff belongs to; `case(caseRef:)` shows its whole chain.
    async fn case_ref(&self) -> &str {
        &self.0.case_ref
    }
    /// The function of the first interaction.
    async fn from(&self) -> Option<Function> {
        self.0.from().cloned().map(Function)
    }
    /// The function of the second interaction.
    async fn to(&self) -> Option<Function> {
        self.0.to().cloned().map(Function)
    }
    /// The touchpoint of the first interaction; `null` when it had none.
    async fn touchpoint(&self) -> Option<Touchpoint> {
        self.0.touchpoint().cloned().map(Touchpoint)
    }
    /// When the second interaction happened.
    async fn at(&self) -> Instant {
        instant(self.0.step.at)
    }
    /// The global id of the first interaction.
    async fn from_interaction_id(&self) -> Option<ID> {
        self.0
            .step
            .prev_interaction_id
            .map(ids::global::<entity::interaction::Entity>)
    }
    /// The global id of the second interaction.
    async fn to_interaction_id(&self) -> ID {
        ids::global::<entity::interaction::Entity>(self.0.step.interaction_id)
    }
    /// The flags that hold, as the organization's map and phrase lists are now.
    async fn flags(&self) -> Vec<HandoffFlagEnum> {
        self.0
            .flags
            .list()
            .into_iter()
            .map(HandoffFlagEnum::from)
            .collect()
    }
}

/// One recorded event of a case.
#[derive(Clone)]
pub struct Interaction(pub handoff::Interaction);

/// One recorded event of a case.
#[Object]
impl Interaction {
    /// The global id, opaque; pass it to `node(id:)`.
    pub async fn id(&self) -> ID {
        ids::global::<entity::interaction::Entity>(self.0.model.id)
    }
    /// When it happened.
    async fn occurred_at(&self) -> Instant {
        instant(self.0.model.occurred_at)
    }
    /// The function that handled the case.
    async fn function(&self) -> Option<Function> {
        self.0.function().cloned().map(Function)
    }
    /// `null` when recorded without one.
    async fn touchpoint(&self) -> Option<Touchpoint> {
        self.0.touchpoint().cloned().map(Touchpoint)
    }
    /// The case's reference in the ticketing system; `case(caseRef:)` shows its chain.
    async fn case_ref(&self) -> &str {
        &self.0.case_ref
    }
    /// The person who handled it; `null` when recorded without one.
    async fn person(&self, ctx: &Context<'_>) -> ServiceResult<Option<Person>> {
        Ok(
            loader::one::<entity::person::Entity>(context::loader(ctx)?, self.0.model.person_id)
                .await?
                .map(Person),
        )
    }
    /// The person's global id; `null` when recorded without one.
    async fn person_id(&self) -> Option<ID> {
        self.0
            .model
            .person_id
            .map(ids::global::<entity::person::Entity>)
    }
    /// `null` when recorded without one.
    async fn note(&self) -> Option<&str> {
        self.0.model.note.as_deref()
    }
    /// Whether the customer was left with something to do.
    async fn customer_action_required(&self) -> bool {
        self.0.model.customer_action_required
    }
    /// The source system's id; `null` when recorded without one.
    async fn external_id(&self) -> Option<&str> {
        self.0.model.external_id.as_deref()
    }
    /// For an interaction recorded without an externalId, the key its content gives
    /// it (docs/rules.md §1, "Identity"): sending the same content again records
    /// nothing, and `retractInteractions(contentKeys:)` removes it. `null` otherwise.
    async fn content_key(&self) -> Option<&str> {
        self.0.model.content_key.as_deref()
    }
    /// Whether the note matches a burden phrase of the current list.
    async fn burden_phrase_matched(&self) -> bool {
        self.0.model.burden_match
    }
    /// Whether the note matches a deferral phrase of the current list.
    async fn deferral_phrase_matched(&self) -> bool {
        self.0.model.deferral_match
    }
}

/// A customer case: its interactions in order and the handoffs between them.
pub struct Case(pub handoff::CaseChain);

/// A customer case: its interactions in order and the handoffs between them.
#[Object]
impl Case {
    /// The case's reference in the ticketing system.
    async fn case_ref(&self) -> &str {
        &self.0.case_ref
    }
    /// In chain order: by occurredAt, then externalId byte-wise, then recording order.
    async fn interactions(&self) -> Vec<Interaction> {
        self.0
            .interactions
            .iter()
            .cloned()
            .map(Interaction)
            .collect()
    }
    /// Consecutive interactions whose functions differ, with their flags.
    async fn handoffs(&self) -> Vec<Handoff> {
        self.0.handoffs.iter().cloned().map(Handoff).collect()
    }
}
