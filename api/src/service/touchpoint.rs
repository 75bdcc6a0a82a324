//! Touchpoints: where the business meets the customer.

use async_graphql::{Enum, InputObject, MaybeUndefined, ID};
use entity::enums::Channel;
use entity::{stage, touchpoint};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};

use super::scoped::load;
use super::{
    clean_name, ensure_free, finish, name_key, no_such, optional_reference, reference_change,
    UserError, Write,
};
use crate::db::{begin_write, now_micros};
use crate::error::ApiResult;

/// An element of the experience a touchpoint should give the customer.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ExperienceElement {
    /// The customer is treated as who they are.
    Personalized,
    /// Whoever they meet knows the answer.
    Knowledgeable,
    /// Their situation is understood.
    Empathetic,
    /// No waiting.
    Prompt,
    /// Right the first time.
    Accurate,
    /// One contact owns the moment; no passing on.
    SinglePointOfContact,
    /// They can reach the business when they need to.
    ReliableAccess,
}

impl ExperienceElement {
    const ALL: [ExperienceElement; 7] = [
        ExperienceElement::Personalized,
        ExperienceElement::Knowledgeable,
        ExperienceElement::Empathetic,
        ExperienceElement::Prompt,
        ExperienceElement::Accurate,
        ExperienceElement::SinglePointOfContact,
        ExperienceElement::ReliableAccess,
    ];

    fn name(self) -> &'static str {
        match self {
            ExperienceElement::Personalized => "PERSONALIZED",
            ExperienceElement::Knowledgeable => "KNOWLEDGEABLE",
            ExperienceElement::Empathetic => "EMPATHETIC",
            ExperienceElement::Prompt => "PROMPT",
            ExperienceElement::Accurate => "ACCURATE",
            ExperienceElement::SinglePointOfContact => "SINGLE_POINT_OF_CONTACT",
            ExperienceElement::ReliableAccess => "RELIABLE_ACCESS",
        }
    }

    /// The stored form of a set of elements: names in declaration order, comma-separated.
    pub fn store(elements: &[ExperienceElement]) -> String {
        Self::ALL
            .iter()
            .filter(|e| elements.contains(e))
            .map(|e| e.name())
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The elements of a stored set.
    pub fn load(stored: &str) -> Vec<ExperienceElement> {
        Self::ALL
            .into_iter()
            .filter(|e| stored.split(',').any(|s| s == e.name()))
            .collect()
    }
}

/// A new touchpoint.
#[derive(InputObject, Clone, Debug)]
pub struct CreateTouchpointInput {
    /// Unique in the organization, compared case-insensitively.
    pub name: String,
    /// How the customer is met here.
    pub channel: super::super::graphql::types::enums::ChannelEnum,
    /// The journey stage the touchpoint belongs to, if any.
    pub stage_id: Option<ID>,
    /// The experience the customer should have here.
    #[graphql(default)]
    pub experience: Vec<ExperienceElement>,
}

/// Changes to a touchpoint; absent fields stay as they are, `null` clears.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdateTouchpointInput {
    /// New name, unique in the organization.
    pub name: Option<String>,
    /// New channel.
    pub channel: Option<super::super::graphql::types::enums::ChannelEnum>,
    /// The journey stage; `null` takes the touchpoint off its journey.
    pub stage_id: MaybeUndefined<ID>,
    /// The new set of experience elements (replaces the old one).
    pub experience: Option<Vec<ExperienceElement>>,
}

/// Checks that the name is free (except on `this`).
async fn name_taken(
    db: &impl ConnectionTrait,
    organization_id: i64,
    this: Option<i64>,
    name: &str,
    errors: &mut Vec<UserError>,
) -> ApiResult<()> {
    let key = name_key(name);
    ensure_free::<touchpoint::Entity>(
        db,
        organization_id,
        this,
        touchpoint::Column::NameKey,
        &key,
        "name",
        name,
        errors,
    )
    .await
}

pub async fn create(
    db: &DatabaseConnection,
    organization_id: i64,
    input: CreateTouchpointInput,
) -> Write<touchpoint::Model> {
    let mut errors = Vec::new();
    let name = clean_name(&input.name, &["input", "name"], &mut errors);
    let txn = begin_write(db).await?;
    name_taken(&txn, organization_id, None, &name, &mut errors).await?;
    let stage_id = optional_reference::<stage::Entity>(
        &txn,
        organization_id,
        input.stage_id.as_ref(),
        &["input", "stageId"],
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let now = now_micros();
    let inserted = touchpoint::ActiveModel {
        organization_id: Set(organization_id),
        name_key: Set(name_key(&name)),
        name: Set(name),
        channel: Set(Channel::from(input.channel)),
        stage_id: Set(stage_id),
        experience: Set(ExperienceElement::store(&input.experience)),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    finish(txn, inserted, &["input", "name"], "the name").await
}

pub async fn update(
    db: &DatabaseConnection,
    organization_id: i64,
    id: &ID,
    input: UpdateTouchpointInput,
) -> Write<touchpoint::Model> {
    let txn = begin_write(db).await?;
    let Some(current) = load::<touchpoint::Entity>(&txn, organization_id, id).await? else {
        return Ok(Err(no_such("touchpoint")));
    };
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| clean_name(n, &["input", "name"], &mut errors));
    if let Some(name) = &name {
        name_taken(&txn, organization_id, Some(current.id), name, &mut errors).await?;
    }
    let stage_id = reference_change::<stage::Entity>(
        &txn,
        organization_id,
        &input.stage_id,
        &["input", "stageId"],
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut active: touchpoint::ActiveModel = current.into();
    if let Some(name) = name {
        active.name_key = Set(name_key(&name));
        active.name = Set(name);
    }
    if let Some(channel) = input.channel {
        active.channel = Set(Channel::from(channel));
    }
    if let Some(stage_id) = stage_id {
        active.stage_id = Set(stage_id);
    }
    if let Some(experience) = &input.experience {
        active.experience = Set(ExperienceElement::store(experience));
    }
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    finish(txn, updated, &["input", "name"], "the name").await
}
