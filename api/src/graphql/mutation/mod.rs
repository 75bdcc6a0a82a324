//! Mutations, one module per domain. Each returns a payload whose `userErrors` lists
//! what the caller can fix; when it is not empty nothing was written.

mod admin;
mod chart;
mod directory;
mod feedback;
mod inputs;
mod interaction;
mod privacy;
mod settings;
mod webhook;

use async_graphql::{MergedObject, Object};

use crate::graphql::types::enums::UserErrorCodeEnum;

/// Every change: the organization's model, the interaction log and the settings. Each
/// mutation is atomic and reports what the caller can fix in `userErrors`.
#[derive(MergedObject, Default)]
pub struct Mutation(
    chart::ChartMutation,
    interaction::InteractionMutation,
    feedback::FeedbackMutation,
    settings::SettingsMutation,
    admin::AdminMutation,
    directory::DirectoryMutation,
    webhook::WebhookMutation,
    privacy::PrivacyMutation,
);

/// A problem with a mutation's input that the caller can fix: the service's error,
/// and how the mutation takes its input (so its field becomes a path into it).
pub struct UserError(pub service::UserError, pub Arguments);

/// How a mutation takes what it writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arguments {
    /// One `input` object: paths begin with `input`.
    Input,
    /// Arguments of their own (`filter`, `externalIds`, `people`…).
    Own,
}

/// A service's name for a field (`occurred_at`) as the schema spells it (`occurredAt`).
fn camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The GraphQL path of a field of a mutation taking `arguments`: `["input", "3",
/// "occurredAt"]`, `["people", "2", "email"]`, `["id"]`.
pub fn path(field: &service::Field, arguments: Arguments) -> Vec<String> {
    if field.name == "id" && field.list.is_none() && field.item.is_none() {
        return vec!["id".into()];
    }
    let mut path = Vec::new();
    if arguments == Arguments::Input {
        path.push("input".to_owned());
    }
    if let Some(list) = &field.list {
        path.push(camel(list));
    }
    if let Some(item) = field.item {
        path.push(item.to_string());
    }
    if !field.name.is_empty() {
        path.push(camel(&field.name));
    }
    path
}

/// A problem with a mutation's input that the caller can fix.
#[Object]
impl UserError {
    /// What kind of problem this is.
    async fn code(&self) -> UserErrorCodeEnum {
        self.0.code.into()
    }
    /// The path to the input field at fault, e.g. `["input", "3", "function"]`.
    async fn path(&self) -> Vec<String> {
        path(&self.0.field, self.1)
    }
    /// A sentence for a human.
    async fn message(&self) -> &str {
        &self.0.message
    }
}

/// The GraphQL form of the user errors of a mutation taking one `input`.
pub fn user_errors(errors: Vec<service::UserError>) -> Vec<UserError> {
    errors
        .into_iter()
        .map(|e| UserError(e, Arguments::Input))
        .collect()
}

/// The GraphQL form of the user errors of a mutation taking arguments of its own.
pub fn argument_errors(errors: Vec<service::UserError>) -> Vec<UserError> {
    errors
        .into_iter()
        .map(|e| UserError(e, Arguments::Own))
        .collect()
}

/// Declares a mutation payload carrying one record under `$field`, built from a
/// service's [`service::Write`] (a fault fails the resolver).
macro_rules! payload {
    ($(#[$doc:meta])* $name:ident, $field:ident, $ty:ty) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// The record as written; `null` when `userErrors` is not empty.
            pub $field: Option<$ty>,
            /// What the caller must fix; empty on success.
            pub user_errors: Vec<crate::graphql::mutation::UserError>,
        }

        impl $name {
            /// The payload of a mutation taking one `input`.
            #[allow(dead_code, reason = "every payload has it; a few take only arguments")]
            pub(crate) fn from_write<M>(
                write: service::Write<M>,
                wrap: impl FnOnce(M) -> $ty,
            ) -> service::ServiceResult<Self> {
                Self::from_write_with(write, wrap, crate::graphql::mutation::Arguments::Input)
            }

            /// The payload of a mutation taking `arguments`.
            pub(crate) fn from_write_with<M>(
                write: service::Write<M>,
                wrap: impl FnOnce(M) -> $ty,
                arguments: crate::graphql::mutation::Arguments,
            ) -> service::ServiceResult<Self> {
                Ok(match crate::graphql::context::written(write)? {
                    Ok(value) => $name { $field: Some(wrap(value)), user_errors: Vec::new() },
                    Err(errors) => $name {
                        $field: None,
                        user_errors: errors
                            .into_iter()
                            .map(|e| crate::graphql::mutation::UserError(e, arguments))
                            .collect(),
                    },
                })
            }
        }
    };
}
pub(crate) use payload;
