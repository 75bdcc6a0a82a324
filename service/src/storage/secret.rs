//! Keys the database keeps for every replica (`server_secret`), made the first time
//! one is asked for: every replica of one database reads the same.

use base64::Engine;
use entity::server_secret;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};

use crate::error::{ServiceError, ServiceResult};
use crate::storage::db::Owner;

/// The key global ids are made with.
pub async fn id_key(db: &Owner) -> ServiceResult<[u8; 16]> {
    let bytes = get_or_make(db, "id_key", 16).await?;
    bytes.try_into().map_err(|_| {
        ServiceError::internal(anyhow::anyhow!("server_secret `id_key` is not 16 bytes"))
    })
}

/// The key `name`, made of `len` random bytes when there is none yet (a replica that
/// makes one at the same moment loses the race and reads the other's).
async fn get_or_make(db: &Owner, name: &str, len: usize) -> ServiceResult<Vec<u8>> {
    let b64 = base64::engine::general_purpose::STANDARD;
    if let Some(found) = server_secret::Entity::find_by_id(name).one(db).await? {
        return b64.decode(found.value).map_err(ServiceError::internal);
    }
    let made = crate::access::api_key::random_base64(len);
    let txn = db.begin().await?;
    let inserted = server_secret::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(made),
    }
    .insert(&txn)
    .await;
    match inserted {
        Ok(_) => txn.commit().await?,
        Err(_) => txn.rollback().await?,
    }
    let found = server_secret::Entity::find_by_id(name)
        .one(db)
        .await?
        .ok_or_else(|| {
            ServiceError::internal(anyhow::anyhow!("server_secret `{name}` was not kept"))
        })?;
    b64.decode(found.value).map_err(ServiceError::internal)
}
