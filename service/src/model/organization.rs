//! Organizations and their settings.

use entity::organization;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use rules::flags::{Phrases, DEFAULT_BURDEN_PHRASES, DEFAULT_DEFERRAL_PHRASES};

use crate::error::{
    check, Field, ServiceError, ServiceResult, UserError, UserErrorCode, Write, WriteError,
};
use crate::storage::db::{begin_change, now_micros};

/// Whether `slug` is 1–64 characters of a–z, 0–9 and `-`, not starting with `-`.
pub fn valid_slug(slug: &str) -> bool {
    (1..=64).contains(&slug.len())
        && !slug.starts_with('-')
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

fn to_json(phrases: &[&str]) -> ServiceResult<String> {
    serde_json::to_string(phrases).map_err(ServiceError::internal)
}

/// Creates an organization with the default phrase lists.
pub async fn create(
    db: &crate::storage::db::Owner,
    slug: &str,
    name: &str,
) -> Write<organization::Model> {
    if !valid_slug(slug) {
        return Err(WriteError::Invalid(vec![UserError::new(
            UserErrorCode::Invalid,
            Field::of("slug"),
            "a slug is 1 to 64 characters of a-z, 0-9 and -",
        )]));
    }
    let mut errors = Vec::new();
    let name = crate::fields::clean_name(name, Field::of("name"), &mut errors);
    check(errors)?;
    let txn = db.begin().await?;
    if find_by_slug(&txn, slug).await?.is_some() {
        return Err(WriteError::Invalid(vec![UserError::new(
            UserErrorCode::Duplicate,
            Field::of("slug"),
            format!("an organization `{slug}` exists already"),
        )]));
    }
    let now = now_micros();
    let model = organization::ActiveModel {
        slug: Set(slug.to_owned()),
        name: Set(name),
        deferral_phrases: Set(to_json(DEFAULT_DEFERRAL_PHRASES)?),
        burden_phrases: Set(to_json(DEFAULT_BURDEN_PHRASES)?),
        created_at: Set(now),
        updated_at: Set(now),
        // Nothing to rebuild: it has no steps yet.
        rollup_version: Set(crate::log::derived::rollup::ROLLUP_VERSION),
        // Nothing to key either.
        content_keys_version: Set(1),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model)
}

/// Every organization of the database, by slug (for the command line, which acts as
/// the database's owner).
pub async fn list(db: &impl ConnectionTrait) -> ServiceResult<Vec<organization::Model>> {
    use sea_orm::QueryOrder;
    Ok(organization::Entity::find()
        .order_by_asc(organization::Column::Slug)
        .all(db)
        .await?)
}

pub async fn find_by_slug(
    db: &impl ConnectionTrait,
    slug: &str,
) -> ServiceResult<Option<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn get(db: &impl ConnectionTrait, id: i64) -> ServiceResult<organization::Model> {
    organization::Entity::find_by_id(id)
        .one(db)
        .await?
        .ok_or_else(|| ServiceError::not_found("organization"))
}

/// The organization's phrase lists: (deferral, burden).
pub fn phrases(org: &organization::Model) -> ServiceResult<(Phrases, Phrases)> {
    let parse = |json: &str| -> ServiceResult<Phrases> {
        let list: Vec<String> = serde_json::from_str(json).map_err(ServiceError::internal)?;
        Ok(Phrases::new(list))
    };
    Ok((parse(&org.deferral_phrases)?, parse(&org.burden_phrases)?))
}

/// Most phrases in one list, and longest phrase.
pub const MAX_PHRASES: usize = 200;
pub const MAX_PHRASE_CHARS: usize = 200;

/// Checks a phrase list: trimmed, lower-cased, non-empty phrases, bounded.
pub fn clean_phrases(
    list: &[String],
    field: &'static str,
    errors: &mut Vec<UserError>,
) -> Vec<String> {
    if list.len() > MAX_PHRASES {
        errors.push(UserError::new(
            UserErrorCode::TooMany,
            Field::of(field),
            format!("at most {MAX_PHRASES} phrases"),
        ));
    }
    let mut cleaned = Vec::new();
    for (i, phrase) in list.iter().enumerate() {
        let phrase = phrase.trim().to_lowercase();
        if phrase.is_empty() || phrase.chars().count() > MAX_PHRASE_CHARS || phrase.contains('\0') {
            errors.push(UserError::new(
                UserErrorCode::Invalid,
                Field::entry(field, i),
                format!("a phrase has 1 to {MAX_PHRASE_CHARS} characters"),
            ));
        } else if !cleaned.contains(&phrase) {
            cleaned.push(phrase);
        }
    }
    cleaned
}

/// Changes to the organization's settings; `None` leaves one as it is.
#[derive(Clone, Debug, Default)]
pub struct SettingsChanges {
    pub deferral_phrases: Option<Vec<String>>,
    pub burden_phrases: Option<Vec<String>>,
    /// An IANA time zone name, such as `Europe/Berlin` or `UTC`.
    pub time_zone: Option<String>,
    /// Interactions a touchpoint needs in a window before its de facto owner is judged.
    pub min_interactions: Option<i32>,
    /// Answers a survey kind needs in a window before the voice report judges it.
    pub min_responses: Option<i32>,
}

/// The largest `minInteractions` and `minResponses`.
pub const MAX_MIN_INTERACTIONS: i32 = 1_000_000;

/// Changes the settings in one transaction: new phrase lists re-mark every recorded
/// interaction, and new phrase lists or a new time zone rebuild the rollups.
pub async fn update_settings(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    changes: SettingsChanges,
) -> Write<organization::Model> {
    let mut errors = Vec::new();
    let deferral = changes
        .deferral_phrases
        .map(|l| clean_phrases(&l, "deferral_phrases", &mut errors));
    let burden = changes
        .burden_phrases
        .map(|l| clean_phrases(&l, "burden_phrases", &mut errors));
    let zone = changes.time_zone.map(|name| {
        let zone = crate::calendar::parse_zone(name.trim());
        if zone.is_none() {
            errors.push(UserError::new(
                UserErrorCode::Invalid,
                Field::of("time_zone"),
                format!("`{name}` is not an IANA time zone name, like Europe/Berlin or UTC"),
            ));
        }
        zone
    });
    if changes
        .min_interactions
        .is_some_and(|min| !(1..=MAX_MIN_INTERACTIONS).contains(&min))
    {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            Field::of("min_interactions"),
            format!("minInteractions must be between 1 and {MAX_MIN_INTERACTIONS}"),
        ));
    }
    if changes
        .min_responses
        .is_some_and(|min| !(1..=MAX_MIN_INTERACTIONS).contains(&min))
    {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            Field::of("min_responses"),
            format!("minResponses must be between 1 and {MAX_MIN_INTERACTIONS}"),
        ));
    }
    check(errors)?;
    let txn = begin_change(db, organization_id).await?;
    let org = get(&txn, organization_id).await?;
    let zone_changed = zone.flatten().filter(|z| z.name() != org.time_zone);
    let before = org.clone();
    let mut active: organization::ActiveModel = org.into();
    let remark = deferral.is_some() || burden.is_some();
    if let Some(deferral) = deferral {
        active.deferral_phrases =
            Set(serde_json::to_string(&deferral).map_err(ServiceError::internal)?);
    }
    if let Some(burden) = burden {
        active.burden_phrases =
            Set(serde_json::to_string(&burden).map_err(ServiceError::internal)?);
    }
    if let Some(zone) = zone_changed {
        active.time_zone = Set(zone.name().to_owned());
    }
    if let Some(min) = changes.min_interactions {
        active.min_interactions = Set(min);
    }
    if let Some(min) = changes.min_responses {
        active.min_responses = Set(min);
    }
    active.updated_at = Set(now_micros());
    let org = active.update(&txn).await?;
    crate::access::audit::record_row(
        &txn,
        organization_id,
        "organization.settings",
        "Organization",
        Some(&before),
        Some(&org),
    )
    .await?;
    if remark {
        let (deferral, burden) = phrases(&org)?;
        crate::log::derived::phrases::remark(&txn, organization_id, &deferral, &burden).await?;
    }
    if remark || zone_changed.is_some() {
        let calendar = crate::calendar::calendar(crate::calendar::zone_or_utc(&org.time_zone));
        crate::log::derived::rollup::rebuild(&txn, organization_id, &calendar).await?;
    }
    txn.commit().await?;
    Ok(org)
}
