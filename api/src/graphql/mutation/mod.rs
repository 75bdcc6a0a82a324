//! Mutations, one module per domain. Each returns a payload whose `userErrors` lists
//! what the caller can fix; when it is not empty nothing was written.

mod interaction;
mod model;

use async_graphql::MergedObject;

#[derive(MergedObject, Default)]
pub struct Mutation(model::ModelMutation, interaction::InteractionMutation);

/// Declares a mutation payload carrying one record under `$field`.
macro_rules! payload {
    ($(#[$doc:meta])* $name:ident, $field:ident, $ty:ty) => {
        $(#[$doc])*
        #[derive(async_graphql::SimpleObject)]
        pub struct $name {
            /// The record as written; `null` when `userErrors` is not empty.
            pub $field: Option<$ty>,
            /// What the caller must fix; empty on success.
            pub user_errors: Vec<crate::service::UserError>,
        }

        impl From<Result<$ty, Vec<crate::service::UserError>>> for $name {
            fn from(result: Result<$ty, Vec<crate::service::UserError>>) -> Self {
                match result {
                    Ok(value) => $name { $field: Some(value), user_errors: Vec::new() },
                    Err(user_errors) => $name { $field: None, user_errors },
                }
            }
        }
    };
}
pub(crate) use payload;
