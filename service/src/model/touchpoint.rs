//! Touchpoints: where the business meets the customer.

use entity::enums::Channel;
use entity::{responsibility, stage, touchpoint};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Set,
};

use crate::error::{
    check, no_such, unique_violation, Field, Place, ServiceResult, UserError, UserErrorCode, Write,
};
use crate::fields::{clean_name, name_key, optional_reference, reference_change, Unique};
use crate::storage::db::{begin_change, now_micros};
use crate::storage::scoped::{find, in_org, page, Page, PageRequest};

/// An element of the experience a touchpoint should give the customer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
    pub const ALL: [ExperienceElement; 7] = [
        ExperienceElement::Personalized,
        ExperienceElement::Knowledgeable,
        ExperienceElement::Empathetic,
        ExperienceElement::Prompt,
        ExperienceElement::Accurate,
        ExperienceElement::SinglePointOfContact,
        ExperienceElement::ReliableAccess,
    ];

    /// The element named `name` (`PROMPT`), case-insensitively.
    pub fn from_name(name: &str) -> Option<ExperienceElement> {
        Self::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(name.trim()))
    }

    /// The element's name as the API spells it.
    pub fn name(self) -> &'static str {
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
#[derive(Clone, Debug)]
pub struct NewTouchpoint {
    /// Unique in the organization, compared case-insensitively.
    pub name: String,
    pub channel: Channel,
    pub stage_id: Option<i64>,
    /// The experience the customer should have here.
    pub experience: Vec<ExperienceElement>,
    /// How soon (µs) the next interaction of a case must follow one here (PROMPT).
    pub prompt_within: Option<i64>,
}

/// Changes to a touchpoint: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct TouchpointChanges {
    pub name: Option<String>,
    pub channel: Option<Channel>,
    pub stage_id: Option<Option<i64>>,
    /// The new set of experience elements (replaces the old one).
    pub experience: Option<Vec<ExperienceElement>>,
    /// The new `prompt_within` (µs); `Some(None)` stops measuring PROMPT here.
    pub prompt_within: Option<Option<i64>>,
}

/// The shortest `promptWithin`: a second.
pub const MIN_PROMPT_WITHIN: i64 = 1_000_000;
/// The longest `promptWithin`: 366 days.
pub const MAX_PROMPT_WITHIN: i64 = 366 * 86_400 * 1_000_000;

/// Checks a `promptWithin` (µs), adding a user error on `field` when it is out of range.
pub fn check_prompt_within(within: Option<i64>, field: Field, errors: &mut Vec<UserError>) {
    if within.is_some_and(|within| !(MIN_PROMPT_WITHIN..=MAX_PROMPT_WITHIN).contains(&within)) {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            field,
            "promptWithin must be between one second and 366 days",
        ));
    }
}

pub async fn create(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    input: NewTouchpoint,
) -> Write<touchpoint::Model> {
    crate::storage::db::atomically(db, organization_id, async |txn| {
        create_in(txn, organization_id, input).await
    })
    .await
}

/// The same, inside the caller's transaction (nothing is committed).
pub async fn create_in(
    txn: &DatabaseTransaction,
    organization_id: i64,
    input: NewTouchpoint,
) -> Write<touchpoint::Model> {
    let mut errors = Vec::new();
    let name = clean_name(&input.name, Field::of("name"), &mut errors);
    Unique::<touchpoint::Entity>::name(touchpoint::Column::NameKey, &name)
        .check(txn, organization_id, None, Place::input(), &mut errors)
        .await?;
    let stage_id = optional_reference::<stage::Entity>(
        txn,
        organization_id,
        input.stage_id,
        Field::of("stage_id"),
        &mut errors,
    )
    .await?;
    check_prompt_within(input.prompt_within, Field::of("prompt_within"), &mut errors);
    check(errors)?;
    let now = now_micros();
    let inserted = touchpoint::ActiveModel {
        organization_id: Set(organization_id),
        name_key: Set(name_key(&name)),
        name: Set(name),
        channel: Set(input.channel),
        stage_id: Set(stage_id),
        experience: Set(ExperienceElement::store(&input.experience)),
        prompt_within: Set(input.prompt_within),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await
    .map_err(|e| unique_violation(e, Field::of("name"), "the name"))?;
    crate::access::audit::record_row(
        txn,
        organization_id,
        "touchpoint.create",
        "Touchpoint",
        None,
        Some(&inserted),
    )
    .await?;
    Ok(inserted)
}

pub async fn update(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    input: TouchpointChanges,
) -> Write<touchpoint::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<touchpoint::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("touchpoint"))?;
    let updated = update_in(&txn, organization_id, current, input, Place::input()).await?;
    txn.commit().await?;
    Ok(updated)
}

/// Changes a touchpoint inside the caller's transaction (nothing is committed), with
/// errors named at `place`; a new `prompt_within` judges the steps after interactions
/// here anew. Every change to a touchpoint comes through here.
pub async fn update_in(
    txn: &DatabaseTransaction,
    organization_id: i64,
    current: touchpoint::Model,
    input: TouchpointChanges,
    place: Place,
) -> Write<touchpoint::Model> {
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| clean_name(n, place.field("name"), &mut errors));
    if let Some(name) = &name {
        Unique::<touchpoint::Entity>::name(touchpoint::Column::NameKey, name)
            .check(txn, organization_id, Some(current.id), place, &mut errors)
            .await?;
    }
    let stage_id = reference_change::<stage::Entity>(
        txn,
        organization_id,
        input.stage_id,
        place.field("stage_id"),
        &mut errors,
    )
    .await?;
    if let Some(within) = input.prompt_within {
        check_prompt_within(within, place.field("prompt_within"), &mut errors);
    }
    check(errors)?;
    let before = current.clone();
    let mut active: touchpoint::ActiveModel = current.into();
    if let Some(name) = name {
        active.name_key = Set(name_key(&name));
        active.name = Set(name);
    }
    if let Some(channel) = input.channel {
        active.channel = Set(channel);
    }
    if let Some(stage_id) = stage_id {
        active.stage_id = Set(stage_id);
    }
    if let Some(experience) = &input.experience {
        active.experience = Set(ExperienceElement::store(experience));
    }
    if let Some(within) = input.prompt_within {
        active.prompt_within = Set(within);
    }
    active.updated_at = Set(now_micros());
    let updated = active
        .update(txn)
        .await
        .map_err(|e| unique_violation(e, place.field("name"), "the name"))?;
    if let Some(within) = input.prompt_within.filter(|w| *w != before.prompt_within) {
        let calendar = crate::calendar::of_organization(txn, organization_id).await?;
        crate::log::derived::rollup::remark_prompt(
            txn,
            organization_id,
            before.id,
            within,
            &calendar,
        )
        .await?;
    }
    crate::access::audit::record_row(
        txn,
        organization_id,
        "touchpoint.update",
        "Touchpoint",
        Some(&before),
        Some(&updated),
    )
    .await?;
    Ok(updated)
}

/// Which touchpoints a list holds; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct TouchpointFilter {
    /// Name contains this, case-insensitively.
    pub name: Option<String>,
    pub archived: Option<bool>,
    pub channel: Option<Channel>,
    pub stage_id: Option<i64>,
    /// Touchpoints on which this function has any role.
    pub function_id: Option<i64>,
}

/// A page of the organization's touchpoints, by creation.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &TouchpointFilter,
    request: PageRequest,
) -> ServiceResult<Page<touchpoint::Model>> {
    let mut select = in_org::<touchpoint::Entity>(organization_id);
    if let Some(name) = &filter.name {
        select = select.filter(touchpoint::Column::NameKey.contains(name_key(name)));
    }
    if let Some(archived) = filter.archived {
        select = select.filter(touchpoint::Column::Archived.eq(archived));
    }
    if let Some(channel) = filter.channel {
        select = select.filter(touchpoint::Column::Channel.eq(channel));
    }
    if let Some(stage) = filter.stage_id {
        select = select.filter(touchpoint::Column::StageId.eq(stage));
    }
    if let Some(function_id) = filter.function_id {
        let with_role = in_org::<responsibility::Entity>(organization_id)
            .filter(responsibility::Column::FunctionId.eq(function_id))
            .select_only()
            .column(responsibility::Column::TouchpointId)
            .into_query();
        select = select.filter(touchpoint::Column::Id.in_subquery(with_role));
    }
    page(db, select, request).await
}

/// The touchpoints of a journey stage, by creation.
pub async fn of_stage(
    db: &impl ConnectionTrait,
    organization_id: i64,
    stage_id: i64,
) -> ServiceResult<Vec<touchpoint::Model>> {
    Ok(in_org::<touchpoint::Entity>(organization_id)
        .filter(touchpoint::Column::StageId.eq(stage_id))
        .order_by_asc(touchpoint::Column::Id)
        .all(db)
        .await?)
}
