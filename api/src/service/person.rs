//! People: employees of the organization's functions.

use async_graphql::{InputObject, MaybeUndefined, ID};
use entity::{function, person};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};

use super::scoped::load;
use super::{
    clean_name, clean_optional, ensure_free, finish, no_such, optional_reference, reference_change,
    UserError, UserErrorCode, Write,
};
use crate::db::{begin_write, now_micros};
use crate::error::ApiResult;

/// A new person.
#[derive(InputObject, Clone, Debug)]
pub struct CreatePersonInput {
    /// Full name.
    pub name: String,
    /// Unique in the organization, compared case-insensitively.
    pub email: String,
    /// The HR system's id, unique in the organization.
    pub external_id: Option<String>,
    /// The function the person works in.
    pub function_id: Option<ID>,
    /// Job title.
    pub title: Option<String>,
}

/// Changes to a person; absent fields stay as they are, `null` clears.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UpdatePersonInput {
    /// New full name.
    pub name: Option<String>,
    /// New email, unique in the organization.
    pub email: Option<String>,
    /// The HR system's id; `null` clears it.
    pub external_id: MaybeUndefined<String>,
    /// The function the person works in; `null` unassigns them.
    pub function_id: MaybeUndefined<ID>,
    /// Job title; `null` clears it.
    pub title: MaybeUndefined<String>,
}

fn clean_email(email: &str, errors: &mut Vec<UserError>) -> String {
    let email = email.trim().to_owned();
    let valid = email.len() <= 320
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c == '\0');
    if !valid {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            &["input", "email"],
            "not an email address",
        ));
    }
    email
}

/// Checks that the email and external id are free (except on `this`).
async fn check_unique(
    db: &impl ConnectionTrait,
    organization_id: i64,
    this: Option<i64>,
    email: Option<&str>,
    external_id: Option<&str>,
    errors: &mut Vec<UserError>,
) -> ApiResult<()> {
    use person::{Column, Entity};
    if let Some(email) = email {
        ensure_free::<Entity>(
            db,
            organization_id,
            this,
            Column::EmailKey,
            &email.to_lowercase(),
            "email",
            email,
            errors,
        )
        .await?;
    }
    if let Some(external) = external_id {
        ensure_free::<Entity>(
            db,
            organization_id,
            this,
            Column::ExternalId,
            external,
            "externalId",
            external,
            errors,
        )
        .await?;
    }
    Ok(())
}

pub async fn create(
    db: &DatabaseConnection,
    organization_id: i64,
    input: CreatePersonInput,
) -> Write<person::Model> {
    let mut errors = Vec::new();
    let name = clean_name(&input.name, &["input", "name"], &mut errors);
    let email = clean_email(&input.email, &mut errors);
    let external_id = clean_optional(
        input.external_id.as_deref(),
        &["input", "externalId"],
        &mut errors,
    );
    let title = clean_optional(input.title.as_deref(), &["input", "title"], &mut errors);
    let txn = begin_write(db).await?;
    check_unique(
        &txn,
        organization_id,
        None,
        Some(&email),
        external_id.as_deref(),
        &mut errors,
    )
    .await?;
    let function_id = optional_reference::<function::Entity>(
        &txn,
        organization_id,
        input.function_id.as_ref(),
        &["input", "functionId"],
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let now = now_micros();
    let inserted = person::ActiveModel {
        organization_id: Set(organization_id),
        name: Set(name),
        email_key: Set(email.to_lowercase()),
        email: Set(email),
        external_id: Set(external_id),
        function_id: Set(function_id),
        title: Set(title),
        archived: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    finish(
        txn,
        inserted,
        &["input", "email"],
        "the email or externalId",
    )
    .await
}

pub async fn update(
    db: &DatabaseConnection,
    organization_id: i64,
    id: &ID,
    input: UpdatePersonInput,
) -> Write<person::Model> {
    let txn = begin_write(db).await?;
    let Some(current) = load::<person::Entity>(&txn, organization_id, id).await? else {
        return Ok(Err(no_such("person")));
    };
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| clean_name(n, &["input", "name"], &mut errors));
    let email = input.email.as_deref().map(|e| clean_email(e, &mut errors));
    let external_id = input
        .external_id
        .as_opt_ref()
        .map(|v| clean_optional(v.map(String::as_str), &["input", "externalId"], &mut errors));
    let title = input
        .title
        .as_opt_ref()
        .map(|v| clean_optional(v.map(String::as_str), &["input", "title"], &mut errors));
    check_unique(
        &txn,
        organization_id,
        Some(current.id),
        email.as_deref(),
        external_id.clone().flatten().as_deref(),
        &mut errors,
    )
    .await?;
    let function_id = reference_change::<function::Entity>(
        &txn,
        organization_id,
        &input.function_id,
        &["input", "functionId"],
        &mut errors,
    )
    .await?;
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let mut active: person::ActiveModel = current.into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(email) = email {
        active.email_key = Set(email.to_lowercase());
        active.email = Set(email);
    }
    if input.external_id.is_null() {
        active.external_id = Set(None);
    } else if let Some(external_id) = external_id {
        active.external_id = Set(external_id);
    }
    if input.title.is_null() {
        active.title = Set(None);
    } else if let Some(title) = title {
        active.title = Set(title);
    }
    if let Some(function_id) = function_id {
        active.function_id = Set(function_id);
    }
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    finish(txn, updated, &["input", "email"], "the email or externalId").await
}
