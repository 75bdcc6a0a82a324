//! Mutations, one module per domain. Each returns a payload whose `userErrors` lists
//! what the caller can fix; when it is not empty nothing was written.

mod admin;
mod directory;
mod inputs;
mod interaction;
mod model;
mod privacy;
mod webhook;

use async_graphql::{MergedObject, Object};

use crate::graphql::types::enums::UserErrorCodeEnum;

/// Every change: the organization's model, the interaction log and the settings. Each
/// mutation is atomic and reports what the caller can fix in `userErrors`.
#[derive(MergedObject, Default)]
pub struct Mutation(
    model::ModelMutation,
    interaction::InteractionMutation,
    admin::AdminMutation,
    directory::DirectoryMutation,
    webhook::WebhookMutation,
    privacy::PrivacyMutation,
);

/// A problem with a mutation's input that the caller can fix.
pub struct UserError(pub service::UserError);

/// A problem with a mutation's input that the caller can fix.
#[Object]
impl UserError {
    /// What kind of problem this is.
    async fn code(&self) -> UserErrorCodeEnum {
        self.0.code.into()
    }
    /// The path to the input field at fault, e.g. `["input", "3", "function"]`.
    async fn path(&self) -> &[String] {
        &self.0.path
    }
    /// A sentence for a human.
    async fn message(&self) -> &str {
        &self.0.message
    }
}

/// The GraphQL form of a write's user errors.
pub fn user_errors(errors: Vec<service::UserError>) -> Vec<UserError> {
    errors.into_iter().map(UserError).collect()
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
            pub(crate) fn from_write<M>(
                write: service::Write<M>,
                wrap: impl FnOnce(M) -> $ty,
            ) -> service::ApiResult<Self> {
                Ok(match crate::graphql::context::written(write)? {
                    Ok(value) => $name { $field: Some(wrap(value)), user_errors: Vec::new() },
                    Err(errors) => $name {
                        $field: None,
                        user_errors: crate::graphql::mutation::user_errors(errors),
                    },
                })
            }
        }
    };
}
pub(crate) use payload;
