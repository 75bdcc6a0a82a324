//! Customer journeys and their ordered stages.

use entity::{journey, stage};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, ModelTrait, QueryFilter,
    QueryOrder, Set,
};

use crate::error::{
    check, no_such, unique_violation, Field, Place, ServiceResult, UserError, UserErrorCode, Write,
    WriteError,
};
use crate::fields::{clean_name, finish, name_key, reference, Audit, Unique};
use crate::storage::db::{begin_change, now_micros};
use crate::storage::scoped::{find, in_org, page, Page, PageRequest};

/// Most stages in one journey.
pub const MAX_STAGES: usize = 50;

/// A new journey with its stages in order.
#[derive(Clone, Debug, Default)]
pub struct NewJourney {
    /// Unique in the organization, compared case-insensitively.
    pub name: String,
    /// Names of the stages, in order (at most [`MAX_STAGES`]).
    pub stages: Vec<String>,
}

/// Changes to a journey; `None` leaves the name as it is.
#[derive(Clone, Debug, Default)]
pub struct JourneyChanges {
    pub name: Option<String>,
}

/// A stage to add to a journey.
#[derive(Clone, Debug, Default)]
pub struct NewStage {
    pub journey_id: i64,
    pub name: String,
    /// Where the stage goes (0 is first); `None` or past the end appends it.
    pub position: Option<i32>,
}

/// Changes to a stage; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct StageChanges {
    pub name: Option<String>,
    /// The stage's new place among its journey's stages (0 is first).
    pub position: Option<i32>,
}

pub async fn create(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    input: NewJourney,
) -> Write<journey::Model> {
    let mut errors = Vec::new();
    let name = clean_name(&input.name, Field::of("name"), &mut errors);
    if input.stages.len() > MAX_STAGES {
        errors.push(UserError::new(
            UserErrorCode::TooMany,
            Field::of("stages"),
            format!("at most {MAX_STAGES} stages"),
        ));
    }
    let stages: Vec<String> = input
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| clean_name(s, Field::entry("stages", i), &mut errors))
        .collect();
    let txn = begin_change(db, organization_id).await?;
    Unique::<journey::Entity>::name(journey::Column::NameKey, &name)
        .check(&txn, organization_id, None, Place::input(), &mut errors)
        .await?;
    check(errors)?;
    let now = now_micros();
    let inserted = journey::ActiveModel {
        organization_id: Set(organization_id),
        name_key: Set(name_key(&name)),
        name: Set(name),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let journey = inserted.map_err(|e| unique_violation(e, Field::of("name"), "the name"))?;
    crate::access::audit::record_row(
        &txn,
        organization_id,
        "journey.create",
        "Journey",
        None,
        Some(&journey),
    )
    .await?;
    for (position, name) in stages.into_iter().enumerate() {
        stage::ActiveModel {
            organization_id: Set(organization_id),
            journey_id: Set(journey.id),
            name: Set(name),
            position: Set(position as i32),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(journey)
}

pub async fn update(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    input: JourneyChanges,
) -> Write<journey::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<journey::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("journey"))?;
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| clean_name(n, Field::of("name"), &mut errors));
    if let Some(name) = &name {
        Unique::<journey::Entity>::name(journey::Column::NameKey, name)
            .check(
                &txn,
                organization_id,
                Some(current.id),
                Place::input(),
                &mut errors,
            )
            .await?;
    }
    check(errors)?;
    let before = current.clone();
    let mut active: journey::ActiveModel = current.into();
    if let Some(name) = name {
        active.name_key = Set(name_key(&name));
        active.name = Set(name);
    }
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    let audit = Audit {
        organization_id,
        action: "journey.update",
        kind: "Journey",
        before: Some(before),
    };
    finish(txn, updated, Field::of("name"), "the name", audit).await
}

/// The stages of a journey, in order.
pub async fn stages(
    db: &impl ConnectionTrait,
    organization_id: i64,
    journey_id: i64,
) -> ServiceResult<Vec<stage::Model>> {
    Ok(in_org::<stage::Entity>(organization_id)
        .filter(stage::Column::JourneyId.eq(journey_id))
        .order_by_asc(stage::Column::Position)
        .order_by_asc(stage::Column::Id)
        .all(db)
        .await?)
}

/// Renumbers a journey's stages 0.. with `moved` placed at `position`.
async fn reorder(
    db: &impl ConnectionTrait,
    organization_id: i64,
    journey_id: i64,
    moved: i64,
    position: Option<i32>,
) -> ServiceResult<()> {
    let mut ordered: Vec<stage::Model> = stages(db, organization_id, journey_id).await?;
    let Some(index) = ordered.iter().position(|s| s.id == moved) else {
        return Ok(());
    };
    let stage = ordered.remove(index);
    let at = position.map_or(ordered.len(), |p| (p.max(0) as usize).min(ordered.len()));
    ordered.insert(at, stage);
    let now = now_micros();
    for (i, stage) in ordered.into_iter().enumerate() {
        if stage.position != i as i32 {
            let mut active: stage::ActiveModel = stage.into();
            active.position = Set(i as i32);
            active.updated_at = Set(now);
            active.update(db).await?;
        }
    }
    Ok(())
}

pub async fn add_stage(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    input: NewStage,
) -> Write<stage::Model> {
    let mut errors = Vec::new();
    let name = clean_name(&input.name, Field::of("name"), &mut errors);
    let txn = begin_change(db, organization_id).await?;
    let journey_id = reference::<journey::Entity>(
        &txn,
        organization_id,
        input.journey_id,
        Field::of("journey_id"),
        &mut errors,
    )
    .await?;
    let Some(journey_id) = journey_id.filter(|_| errors.is_empty()) else {
        return Err(errors.into());
    };
    let count = stages(&txn, organization_id, journey_id).await?.len();
    if count >= MAX_STAGES {
        return Err(WriteError::from(UserError::new(
            UserErrorCode::TooMany,
            Field::of("journey_id"),
            format!("a journey has at most {MAX_STAGES} stages"),
        )));
    }
    let now = now_micros();
    let stage = stage::ActiveModel {
        organization_id: Set(organization_id),
        journey_id: Set(journey_id),
        name: Set(name),
        position: Set(count as i32),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    reorder(&txn, organization_id, journey_id, stage.id, input.position).await?;
    let stage = stage::Entity::find_by_id(stage.id)
        .one(&txn)
        .await?
        .unwrap_or(stage);
    crate::access::audit::record_row(
        &txn,
        organization_id,
        "stage.create",
        "Stage",
        None,
        Some(&stage),
    )
    .await?;
    txn.commit().await?;
    Ok(stage)
}

pub async fn update_stage(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
    input: StageChanges,
) -> Write<stage::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<stage::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("stage"))?;
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| clean_name(n, Field::of("name"), &mut errors));
    check(errors)?;
    let (stage_id, journey_id) = (current.id, current.journey_id);
    let before = current.clone();
    if let Some(name) = name {
        let mut active: stage::ActiveModel = current.into();
        active.name = Set(name);
        active.updated_at = Set(now_micros());
        active.update(&txn).await?;
    }
    if input.position.is_some() {
        reorder(&txn, organization_id, journey_id, stage_id, input.position).await?;
    }
    let Some(stage) = stage::Entity::find_by_id(stage_id).one(&txn).await? else {
        return Err(no_such("stage"));
    };
    crate::access::audit::record_row(
        &txn,
        organization_id,
        "stage.update",
        "Stage",
        Some(&before),
        Some(&stage),
    )
    .await?;
    txn.commit().await?;
    Ok(stage)
}

/// Removes a stage; its touchpoints keep existing without a stage.
pub async fn remove_stage(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
) -> Write<stage::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<stage::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("stage"))?;
    let journey_id = current.journey_id;
    entity::touchpoint::Entity::update_many()
        .col_expr(
            entity::touchpoint::Column::StageId,
            sea_orm::sea_query::Expr::value(Option::<i64>::None),
        )
        .filter(entity::touchpoint::Column::StageId.eq(current.id))
        .exec(&txn)
        .await?;
    current.clone().delete(&txn).await?;
    let remaining = stages(&txn, organization_id, journey_id).await?;
    if let Some(first) = remaining.first() {
        reorder(&txn, organization_id, journey_id, first.id, Some(0)).await?;
    }
    crate::access::audit::record_row(
        &txn,
        organization_id,
        "stage.remove",
        "Stage",
        Some(&current),
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(current)
}

/// Which journeys a list holds; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct JourneyFilter {
    /// Name contains this, case-insensitively.
    pub name: Option<String>,
    pub archived: Option<bool>,
}

/// A page of the organization's journeys, by creation.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &JourneyFilter,
    request: PageRequest,
) -> ServiceResult<Page<journey::Model>> {
    let mut select = in_org::<journey::Entity>(organization_id);
    if let Some(name) = &filter.name {
        select = select.filter(journey::Column::NameKey.contains(name_key(name)));
    }
    if let Some(archived) = filter.archived {
        select = select.filter(journey::Column::Archived.eq(archived));
    }
    page(db, select, request).await
}
