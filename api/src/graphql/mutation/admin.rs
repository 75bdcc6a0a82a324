//! Administering the organization's API keys.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use entity::api_key;
use service::ServiceResult;

use super::{user_errors, UserError};
use crate::graphql::context::{db, org_for, viewer, written};
use crate::graphql::ids::row;
use crate::graphql::types::admin::ApiKey;
use crate::graphql::types::window::Instant;
use crate::server::auth::{may, AccessRole};

#[derive(Default)]
pub struct AdminMutation;

/// A new API key.
#[derive(InputObject)]
pub struct CreateApiKeyInput {
    /// Unique in the organization (1–200 characters), like `entra-provisioning`.
    pub name: String,
    /// The roles the key grants; INTEGRATION suits connectors.
    pub roles: Vec<AccessRole>,
    /// When the key stops working; omit for a key that works until revoked.
    pub expires_at: Option<Instant>,
}

/// The result of `createApiKey`.
#[derive(SimpleObject, Default)]
pub struct CreateApiKeyPayload {
    /// The key; `null` when `userErrors` is not empty.
    pub api_key: Option<ApiKey>,
    /// The key to present as `Authorization: Bearer <secret>`. Shown this once:
    /// siloscope keeps only its hash. `null` when `userErrors` is not empty.
    pub secret: Option<String>,
    /// What the caller must fix; empty on success.
    pub user_errors: Vec<UserError>,
}

super::payload!(
    /// The result of `revokeApiKey`.
    RevokeApiKeyPayload, api_key, ApiKey
);

#[Object]
impl AdminMutation {
    /// Creates an API key for a connector (SCIM provisioning, HR sync, imports). Its
    /// secret is in the payload and never shown again. Role: ADMIN.
    async fn create_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's name, roles and expiry.")] input: CreateApiKeyInput,
    ) -> ServiceResult<CreateApiKeyPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        let expires_at =
            match Instant::input_micros(input.expires_at, service::Field::of("expires_at")) {
                Ok(micros) => micros,
                Err(error) => {
                    return Ok(CreateApiKeyPayload {
                        user_errors: user_errors(vec![error]),
                        ..Default::default()
                    })
                }
            };
        let new = service::access::api_key::NewApiKey {
            name: input.name,
            roles: input.roles.iter().map(|r| r.as_str().to_owned()).collect(),
            expires_at,
            created_by: viewer(ctx)?.subject.clone(),
        };
        Ok(
            match written(service::access::api_key::create(db(ctx)?, org, new).await)? {
                Ok(created) => CreateApiKeyPayload {
                    api_key: Some(ApiKey(created.key)),
                    secret: Some(created.secret),
                    user_errors: Vec::new(),
                },
                Err(errors) => CreateApiKeyPayload {
                    user_errors: user_errors(errors),
                    ..Default::default()
                },
            },
        )
    }

    /// Revokes an API key: it is refused from the next request on. Role: ADMIN.
    async fn revoke_api_key(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The key's global id.")] id: ID,
    ) -> ServiceResult<RevokeApiKeyPayload> {
        let org = org_for(ctx, may::ADMINISTER)?;
        RevokeApiKeyPayload::from_write(
            service::access::api_key::revoke(db(ctx)?, org, row::<api_key::Entity>(&id)).await,
            ApiKey,
        )
    }
}
