//! Opening the database for the service: the schema's migrations ([`Db::connect`]),
//! then the data upgrades a migration leaves to the service because they need its
//! rules: rollups rebuilt in their current layout, content keys for interactions
//! recorded before they existed. This sits above the storage room (which knows no log
//! and no rules) and the log room (which knows no start-up).

use anyhow::Context;
use entity::organization;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use crate::log::recording::CONTENT_KEYS_VERSION;
use crate::storage::db::{begin_change, Db, DbOptions, OwnerWork};

/// Connects as `options` say; with `migrate`, applies the pending migrations and then
/// the pending data upgrades, each organization in a write of its own. Every process
/// that serves or imports opens the database here.
pub async fn open(options: &DbOptions, migrate: bool) -> anyhow::Result<Db> {
    let db = Db::connect(options, migrate).await?;
    if migrate {
        rebuild_outdated_rollups(&db).await?;
        key_earlier_interactions(&db).await?;
    }
    Ok(db)
}

/// Rebuilds, from its steps and in its calendar, the rollups of every organization
/// whose `rollup_version` is below [`crate::log::derived::rollup::ROLLUP_VERSION`] (a
/// migration that changed their layout sets it to 0). Each organization in a write of
/// its own, so another replica starting at once waits and then finds it done.
async fn rebuild_outdated_rollups(db: &Db) -> anyhow::Result<()> {
    let current = crate::log::derived::rollup::ROLLUP_VERSION;
    let outdated: Vec<i64> = entity::organization::Entity::find()
        .filter(entity::organization::Column::RollupVersion.lt(current))
        .select_only()
        .column(entity::organization::Column::Id)
        .into_tuple()
        .all(&db.owner(OwnerWork::Migration))
        .await?;
    for organization_id in &outdated {
        let tenant = db.tenant(*organization_id);
        let txn = begin_change(&tenant, *organization_id).await?;
        let org = entity::organization::Entity::find_by_id(*organization_id)
            .one(&txn)
            .await?
            .context("an organization went away while its rollups were rebuilt")?;
        if org.rollup_version < current {
            let calendar = crate::calendar::of_organization(&txn, *organization_id).await?;
            crate::log::derived::rollup::rebuild(&txn, *organization_id, &calendar).await?;
            let mut active: entity::organization::ActiveModel = org.into();
            active.rollup_version = Set(current);
            active.update(&txn).await?;
        }
        txn.commit().await?;
    }
    if !outdated.is_empty() {
        tracing::info!(
            organizations = outdated.len(),
            "rebuilt the rollups in their current layout"
        );
    }
    Ok(())
}

/// Gives the interactions recorded without an externalId before content keys existed
/// theirs, organization by organization (each in a write of its own, so another
/// replica starting at once waits and then finds it done). Identical rows an earlier
/// re-import recorded twice keep their copies, keyed `…:dup1`, `…:dup2` after the
/// first, so that they can be retracted by key.
pub async fn key_earlier_interactions(db: &Db) -> anyhow::Result<()> {
    let outdated: Vec<i64> = organization::Entity::find()
        .filter(organization::Column::ContentKeysVersion.lt(CONTENT_KEYS_VERSION))
        .select_only()
        .column(organization::Column::Id)
        .into_tuple()
        .all(&db.owner(OwnerWork::Migration))
        .await?;
    let mut keyed = 0u64;
    for organization_id in outdated {
        let tenant = db.tenant(organization_id);
        let txn = begin_change(&tenant, organization_id).await?;
        keyed += crate::log::recording::key_organization(&txn, organization_id).await?;
        let org = crate::model::organization::get(&txn, organization_id).await?;
        let mut active: organization::ActiveModel = org.into();
        active.content_keys_version = Set(CONTENT_KEYS_VERSION);
        active.update(&txn).await?;
        txn.commit().await?;
    }
    if keyed > 0 {
        tracing::info!(
            keyed,
            "gave interactions recorded without an externalId their content keys"
        );
    }
    Ok(())
}
