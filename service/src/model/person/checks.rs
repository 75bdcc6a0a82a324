//! Cleaning and checking a person's fields before they are written.

use entity::{function, person};
use sea_orm::DatabaseTransaction;

use crate::error::{check, Place, UserError, UserErrorCode, Write};
use crate::fields::{clean_name, clean_optional, reference, Unique};

use super::PersonFields;

/// An email address, trimmed; a user error on `place`'s `email` when it is not one.
pub(crate) fn clean_email(email: &str, place: Place, errors: &mut Vec<UserError>) -> String {
    let email = email.trim().to_owned();
    let valid = email.len() <= 320
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@')
        })
        && !email.chars().any(|c| c.is_whitespace() || c == '\0');
    if !valid {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            place.field("email"),
            "not an email address",
        ));
    }
    email
}

/// A person's fields, cleaned and checked.
pub(super) struct Clean {
    pub(super) name: String,
    pub(super) email: String,
    pub(super) external_id: Option<String>,
    pub(super) function_id: Option<i64>,
    pub(super) title: Option<String>,
    pub(super) user_name: Option<String>,
    pub(super) given_name: Option<String>,
    pub(super) family_name: Option<String>,
    pub(super) department: Option<String>,
    pub(super) archived: bool,
}

impl Clean {
    /// Whether the person's row holds these fields already (and is not deleted).
    pub(super) fn same_as(&self, p: &person::Model) -> bool {
        p.name == self.name
            && p.email == self.email
            && p.external_id == self.external_id
            && p.function_id == self.function_id
            && p.title == self.title
            && p.user_name == self.user_name
            && p.given_name == self.given_name
            && p.family_name == self.family_name
            && p.department == self.department
            && p.archived == self.archived
            && p.deleted_at.is_none()
    }
}

/// Cleans `fields` and checks them: names, emails and ids well formed and unique in
/// the organization (but for `existing` itself), the function one of its own.
pub(super) async fn checked(
    txn: &DatabaseTransaction,
    organization_id: i64,
    existing: Option<&person::Model>,
    fields: &PersonFields,
    place: Place,
) -> Write<Clean> {
    let mut errors = Vec::new();
    let name = clean_name(&fields.name, place.field("name"), &mut errors);
    let email = clean_email(&fields.email, place, &mut errors);
    let optional = |value: &Option<String>, field: &'static str, errors: &mut Vec<UserError>| {
        clean_optional(value.as_deref(), place.field(field), errors)
    };
    let external_id = optional(&fields.external_id, "external_id", &mut errors);
    let title = optional(&fields.title, "title", &mut errors);
    let given_name = optional(&fields.given_name, "given_name", &mut errors);
    let family_name = optional(&fields.family_name, "family_name", &mut errors);
    let department = optional(&fields.department, "department", &mut errors);
    let user_name = fields
        .user_name
        .as_deref()
        .map(str::trim)
        .map(str::to_owned);
    if user_name
        .as_deref()
        .is_some_and(|u| u.is_empty() || u.chars().count() > 320 || u.contains('\0'))
    {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            place.field("user_name"),
            "a user name has 1 to 320 characters",
        ));
    }
    let this = existing.map(|p| p.id);
    use person::{Column, Entity};
    Unique::<Entity>::email(Column::EmailKey, &email)
        .check(txn, organization_id, this, place, &mut errors)
        .await?;
    if let Some(external_id) = &external_id {
        Unique::<Entity>::external_id(Column::ExternalId, external_id)
            .check(txn, organization_id, this, place, &mut errors)
            .await?;
    }
    if let Some(user_name) = &user_name {
        Unique::<Entity>::user_name(Column::UserNameKey, user_name)
            .check(txn, organization_id, this, place, &mut errors)
            .await?;
    }
    let function_id = match fields.function_id {
        Some(id) if existing.and_then(|p| p.function_id) == Some(id) => Some(id),
        Some(id) => {
            reference::<function::Entity>(
                txn,
                organization_id,
                id,
                place.field("function_id"),
                &mut errors,
            )
            .await?
        }
        None => None,
    };
    check(errors)?;
    Ok(Clean {
        name,
        email,
        external_id,
        function_id,
        title,
        user_name,
        given_name,
        family_name,
        department,
        archived: fields.archived,
    })
}
