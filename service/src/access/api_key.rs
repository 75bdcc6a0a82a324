//! API keys: long-lived, revocable credentials for connectors (HR syncs, ticketing
//! exports, SCIM provisioning). A key reads `sk_<public id>_<secret>`; the secret is
//! shown once, when the key is created, and only its SHA-256 is stored. A presented
//! key is found by its public id and its secret compared in constant time.

use base64::Engine as _;
use entity::api_key;
use rand::RngCore as _;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::{
    check, no_such, Field, ServiceError, ServiceResult, UserError, UserErrorCode, Write,
};
use crate::fields::{clean_name, finish, Audit};
use crate::storage::db::{begin_change, now_micros};

/// How a key begins, so that a presented token is known for a key at a glance.
pub const PREFIX: &str = "sk_";

/// Most keys an organization may hold that are neither revoked nor expired.
pub const MAX_LIVE_KEYS: usize = 100;

/// A new key.
#[derive(Clone, Debug, Default)]
pub struct NewApiKey {
    /// Unique in the organization; what audit events name the key's changes by.
    pub name: String,
    /// The access roles the key grants (the door checks they are known).
    pub roles: Vec<String>,
    /// When the key stops working (µs); `None`: until revoked.
    pub expires_at: Option<i64>,
    /// Who creates it.
    pub created_by: String,
}

/// A created key and its secret, which is not kept and cannot be shown again.
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: String,
}

/// Bytes in lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The SHA-256 of a text, in lowercase hexadecimal.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hash(secret: &str) -> String {
    sha256_hex(secret)
}

fn random_bytes(count: usize) -> Vec<u8> {
    let mut buffer = vec![0u8; count];
    rand::rng().fill_bytes(&mut buffer);
    buffer
}

/// `bytes` random bytes in standard base64.
pub(crate) fn random_base64(bytes: usize) -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes(bytes))
}

/// `bytes` random bytes in hex.
pub(crate) fn random_hex(bytes: usize) -> String {
    hex(&random_bytes(bytes))
}

fn random_text(bytes: usize) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// Creates a key; its secret is in the result and nowhere else.
pub async fn create(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    input: NewApiKey,
) -> Write<CreatedKey> {
    let mut errors = Vec::new();
    let name = clean_name(&input.name, Field::of("name"), &mut errors);
    if input.roles.is_empty() {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            Field::of("roles"),
            "a key needs at least one role",
        ));
    }
    let now = now_micros();
    if input.expires_at.is_some_and(|at| at <= now) {
        errors.push(UserError::new(
            UserErrorCode::Invalid,
            Field::of("expires_at"),
            "a key must expire in the future",
        ));
    }
    check(errors.clone())?;
    let txn = begin_change(db, organization_id).await?;
    let keys = in_org_keys(&txn, organization_id).await?;
    if keys.iter().any(|k| k.name.eq_ignore_ascii_case(&name)) {
        errors.push(UserError::new(
            UserErrorCode::Duplicate,
            Field::of("name"),
            format!("another API key is named `{name}`"),
        ));
    }
    let live = keys.iter().filter(|k| usable(k, now).is_ok()).count();
    if live >= MAX_LIVE_KEYS {
        errors.push(UserError::new(
            UserErrorCode::TooMany,
            Field::of("name"),
            format!("an organization holds at most {MAX_LIVE_KEYS} usable keys: revoke one first"),
        ));
    }
    check(errors)?;
    // Hex: the public id holds no `_`, so the first one after the prefix ends it.
    let public_id = hex(&random_bytes(12));
    let secret = random_text(32);
    let roles = serde_json::to_string(&input.roles).map_err(ServiceError::internal)?;
    let inserted = api_key::ActiveModel {
        organization_id: Set(organization_id),
        name: Set(name),
        public_id: Set(public_id.clone()),
        secret_hash: Set(hash(&secret)),
        roles: Set(roles),
        created_by: Set(input.created_by),
        created_at: Set(now),
        expires_at: Set(input.expires_at),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await;
    let audit = Audit {
        organization_id,
        action: "api_key.create",
        kind: "ApiKey",
        before: None,
    };
    let key = finish(txn, inserted, Field::of("name"), "the name", audit).await?;
    Ok(CreatedKey {
        secret: format!("{PREFIX}{public_id}_{secret}"),
        key,
    })
}

async fn in_org_keys(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> ServiceResult<Vec<api_key::Model>> {
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OrganizationId.eq(organization_id))
        .order_by_asc(api_key::Column::Id)
        .all(db)
        .await?)
}

/// The organization's keys, by creation (revoked and expired ones included).
pub async fn list(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> ServiceResult<Vec<api_key::Model>> {
    in_org_keys(db, organization_id).await
}

/// Revokes a key: it is refused from now on. Revoking twice keeps the first time.
pub async fn revoke(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    id: i64,
) -> Write<api_key::Model> {
    let txn = begin_change(db, organization_id).await?;
    let current = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrganizationId.eq(organization_id))
        .one(&txn)
        .await?
        .ok_or_else(|| no_such("API key"))?;
    if current.revoked_at.is_some() {
        return Ok(current);
    }
    let before = current.clone();
    let mut active: api_key::ActiveModel = current.into();
    active.revoked_at = Set(Some(now_micros()));
    let updated = active.update(&txn).await;
    let audit = Audit {
        organization_id,
        action: "api_key.revoke",
        kind: "ApiKey",
        before: Some(before),
    };
    finish(txn, updated, Field::id(), "the key", audit).await
}

/// Why a key cannot be used now, if it cannot.
fn usable(key: &api_key::Model, now: i64) -> Result<(), &'static str> {
    if key.revoked_at.is_some() {
        return Err("the API key was revoked");
    }
    if key.expires_at.is_some_and(|at| at <= now) {
        return Err("the API key has expired");
    }
    Ok(())
}

/// How often a key's last use is written down, at most (µs).
const LAST_USE_EVERY: i64 = 60_000_000;

/// The key `presented` names, if its secret matches and it is usable; UNAUTHENTICATED
/// otherwise (the same answer for an unknown key and a wrong secret). Runs as the
/// database owner, before any organization is known. Notes the key's use, at most
/// once a minute (bookkeeping, not a change: no audit event, no new revision).
pub async fn verify(db: &impl ConnectionTrait, presented: &str) -> ServiceResult<api_key::Model> {
    let refused = || ServiceError::Unauthenticated("the API key is not valid".into());
    let rest = presented.strip_prefix(PREFIX).ok_or_else(refused)?;
    let (public_id, secret) = rest.split_once('_').ok_or_else(refused)?;
    let key = api_key::Entity::find()
        .filter(api_key::Column::PublicId.eq(public_id))
        .one(db)
        .await?
        .ok_or_else(refused)?;
    let matches: bool = hash(secret)
        .as_bytes()
        .ct_eq(key.secret_hash.as_bytes())
        .into();
    if !matches {
        return Err(refused());
    }
    let now = now_micros();
    usable(&key, now).map_err(|why| ServiceError::Unauthenticated(why.into()))?;
    if key.last_used_at.is_none_or(|at| now - at >= LAST_USE_EVERY) {
        api_key::Entity::update_many()
            .col_expr(
                api_key::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_key::Column::Id.eq(key.id))
            .exec(db)
            .await?;
    }
    Ok(key)
}

/// The key's roles, as stored.
pub fn roles(key: &api_key::Model) -> Vec<String> {
    serde_json::from_str(&key.roles).unwrap_or_default()
}
