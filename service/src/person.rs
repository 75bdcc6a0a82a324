//! People: employees of the organization's functions.

use entity::{function, person};
use sea_orm::sea_query::ExprTrait;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, QueryFilter, Set};

use crate::db::{begin_change, now_micros};
use crate::error::{check, no_such, ApiResult, UserError, UserErrorCode, Write};
use crate::fields::{
    clean_change, clean_name, clean_optional, finish, optional_reference, reference_change, Audit,
    Unique,
};
use crate::scoped::{find, in_org, page, Page, PageRequest};

/// A new person.
#[derive(Clone, Debug, Default)]
pub struct NewPerson {
    pub name: String,
    /// Unique in the organization, compared case-insensitively.
    pub email: String,
    /// The HR system's id, unique in the organization.
    pub external_id: Option<String>,
    pub function_id: Option<i64>,
    pub title: Option<String>,
}

/// Changes to a person: `None` leaves a field as it is; `Some(None)` clears it.
#[derive(Clone, Debug, Default)]
pub struct PersonChanges {
    pub name: Option<String>,
    pub email: Option<String>,
    pub external_id: Option<Option<String>>,
    pub function_id: Option<Option<i64>>,
    pub title: Option<Option<String>>,
}

pub(crate) fn clean_email(email: &str, errors: &mut Vec<UserError>) -> String {
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
        Unique::<Entity> {
            column: Column::EmailKey,
            key: email.to_lowercase(),
            field: "email",
            shown: email,
        }
        .check(db, organization_id, this, errors)
        .await?;
    }
    if let Some(external) = external_id {
        Unique::<Entity>::external_id(Column::ExternalId, external)
            .check(db, organization_id, this, errors)
            .await?;
    }
    Ok(())
}

pub async fn create(
    db: &crate::db::Tenant,
    organization_id: i64,
    input: NewPerson,
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
    let txn = begin_change(db, organization_id).await?;
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
        input.function_id,
        &["input", "functionId"],
        &mut errors,
    )
    .await?;
    check(errors)?;
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
    if let Ok(person) = &inserted {
        crate::directory::move_function(&txn, organization_id, person.id, None, function_id)
            .await?;
    }
    let audit = Audit {
        organization_id,
        action: "person.create",
        kind: "Person",
        before: None,
    };
    finish(
        txn,
        inserted,
        &["input", "email"],
        "the email or externalId",
        audit,
    )
    .await
}

pub async fn update(
    db: &crate::db::Tenant,
    organization_id: i64,
    id: i64,
    input: PersonChanges,
) -> Write<person::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = find::<person::Entity>(&txn, organization_id, id)
        .await?
        .ok_or_else(|| no_such("person"))?;
    if current.erased_at.is_some() {
        return Err(UserError::new(
            UserErrorCode::Invalid,
            &["id"],
            "this person was erased (erasePerson) and cannot be changed",
        )
        .into());
    }
    let mut errors = Vec::new();
    let name = input
        .name
        .as_deref()
        .map(|n| clean_name(n, &["input", "name"], &mut errors));
    let email = input.email.as_deref().map(|e| clean_email(e, &mut errors));
    let external_id = clean_change(
        input.external_id.as_ref().map(Option::as_deref),
        &["input", "externalId"],
        &mut errors,
    );
    let title = clean_change(
        input.title.as_ref().map(Option::as_deref),
        &["input", "title"],
        &mut errors,
    );
    check_unique(
        &txn,
        organization_id,
        Some(current.id),
        email.as_deref(),
        external_id.as_ref().and_then(Option::as_deref),
        &mut errors,
    )
    .await?;
    let function_id = reference_change::<function::Entity>(
        &txn,
        organization_id,
        input.function_id,
        &["input", "functionId"],
        &mut errors,
    )
    .await?;
    check(errors)?;
    let before = current.clone();
    let mut active: person::ActiveModel = current.into();
    if let Some(name) = name {
        active.name = Set(name);
    }
    if let Some(email) = email {
        active.email_key = Set(email.to_lowercase());
        active.email = Set(email);
    }
    if let Some(external_id) = external_id {
        active.external_id = Set(external_id);
    }
    if let Some(title) = title {
        active.title = Set(title);
    }
    if let Some(function_id) = function_id {
        active.function_id = Set(function_id);
    }
    active.updated_at = Set(now_micros());
    let updated = active.update(&txn).await;
    if let Ok(person) = &updated {
        crate::directory::move_function(
            &txn,
            organization_id,
            person.id,
            before.function_id,
            person.function_id,
        )
        .await?;
    }
    let audit = Audit {
        organization_id,
        action: "person.update",
        kind: "Person",
        before: Some(before),
    };
    finish(
        txn,
        updated,
        &["input", "email"],
        "the email or externalId",
        audit,
    )
    .await
}

/// Which people a list holds; every condition given must hold.
#[derive(Clone, Debug, Default)]
pub struct PersonFilter {
    /// Name or email contains this, case-insensitively.
    pub name: Option<String>,
    pub archived: Option<bool>,
    /// People of this function.
    pub function_id: Option<i64>,
    /// The person with this HR id.
    pub external_id: Option<String>,
    /// Members of this function (a person may be a member of several).
    pub member_of: Option<i64>,
}

/// A page of the organization's people, by creation.
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
    filter: &PersonFilter,
    request: PageRequest,
) -> ApiResult<Page<person::Model>> {
    let mut select = in_org::<person::Entity>(organization_id);
    if let Some(name) = &filter.name {
        select = select.filter(
            person::Column::Name
                .contains(name.trim())
                .or(person::Column::EmailKey.contains(name.trim().to_lowercase())),
        );
    }
    if let Some(archived) = filter.archived {
        select = select.filter(person::Column::Archived.eq(archived));
    }
    if let Some(external_id) = &filter.external_id {
        select = select.filter(person::Column::ExternalId.eq(external_id.as_str()));
    }
    if let Some(function_id) = filter.function_id {
        select = select.filter(person::Column::FunctionId.eq(function_id));
    }
    if let Some(function_id) = filter.member_of {
        select = select.filter(
            person::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(entity::membership::Column::PersonId)
                    .from(entity::membership::Entity)
                    .and_where(
                        sea_orm::sea_query::Expr::col(entity::membership::Column::FunctionId)
                            .eq(function_id),
                    )
                    .and_where(
                        sea_orm::sea_query::Expr::col(entity::membership::Column::OrganizationId)
                            .eq(organization_id),
                    )
                    .to_owned(),
            ),
        );
    }
    page(db, select, request).await
}

/// The person with the HR id `external_id`, if there is one.
pub async fn by_external_id(
    db: &impl ConnectionTrait,
    organization_id: i64,
    external_id: &str,
) -> ApiResult<Option<person::Model>> {
    Ok(in_org::<person::Entity>(organization_id)
        .filter(person::Column::ExternalId.eq(external_id))
        .one(db)
        .await?)
}
