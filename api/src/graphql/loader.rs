//! Batched reads for nested fields: a list of 100 functions with their
//! responsibilities and touchpoints costs one query per level, not one per row.
//! A loader lives for one request and reads only the caller's organization.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, Loader};
use entity::responsibility;
use service::storage::db::Tenant;
use service::storage::scoped::{find_many, OrgScoped};
use service::{ServiceError, ServiceResult};

/// Reads rows of one organization in batches.
pub struct OrgLoader {
    db: Tenant,
    organization_id: i64,
}

/// The request's loader.
pub type RequestLoader = DataLoader<OrgLoader>;

/// A loader for one request, reading through its tenant handle.
pub fn for_request(db: Tenant) -> RequestLoader {
    let organization_id = db.organization_id();
    DataLoader::new(
        OrgLoader {
            db,
            organization_id,
        },
        tokio::spawn,
    )
    .delay(std::time::Duration::from_micros(LOADER_DELAY_MICROS))
}

/// How long a loader waits for sibling fields to ask for keys before it queries.
/// Siblings of a list register their keys in one poll, before the spawned fetch can
/// run, so no wait is needed; the default (1 ms) cost ~30% of a nested list's rate.
const LOADER_DELAY_MICROS: u64 = 0;

/// The row `id` of entity `E`.
pub struct ById<E>(pub i64, PhantomData<fn() -> E>);

impl<E> ById<E> {
    pub fn new(id: i64) -> Self {
        ById(id, PhantomData)
    }
}

impl<E> Clone for ById<E> {
    fn clone(&self) -> Self {
        ById::new(self.0)
    }
}
impl<E> PartialEq for ById<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<E> Eq for ById<E> {}
impl<E> Hash for ById<E> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state);
    }
}

impl<E> Loader<ById<E>> for OrgLoader
where
    E: OrgScoped + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
{
    type Value = E::Model;
    type Error = ServiceError;

    async fn load(&self, keys: &[ById<E>]) -> Result<HashMap<ById<E>, E::Model>, ServiceError> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let rows = find_many::<E>(&self.db, self.organization_id, ids).await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let id = row_id::<E>(&row)?;
                Some((ById::new(id), row))
            })
            .collect())
    }
}

fn row_id<E: OrgScoped>(row: &E::Model) -> Option<i64> {
    use sea_orm::ModelTrait;
    match row.get(E::id_column()) {
        sea_orm::Value::BigInt(Some(id)) => Some(id),
        _ => None,
    }
}

/// The responsibilities held by a function, or held on a touchpoint.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponsibilitiesOf {
    Function(i64),
    Touchpoint(i64),
}

impl Loader<ResponsibilitiesOf> for OrgLoader {
    type Value = Vec<responsibility::Model>;
    type Error = ServiceError;

    async fn load(
        &self,
        keys: &[ResponsibilitiesOf],
    ) -> Result<HashMap<ResponsibilitiesOf, Self::Value>, ServiceError> {
        let (mut functions, mut touchpoints) = (Vec::new(), Vec::new());
        for key in keys {
            match *key {
                ResponsibilitiesOf::Function(id) => functions.push(id),
                ResponsibilitiesOf::Touchpoint(id) => touchpoints.push(id),
            }
        }
        let mut found: HashMap<ResponsibilitiesOf, Self::Value> =
            keys.iter().map(|k| (*k, Vec::new())).collect();
        let rows = service::model::responsibility::held(
            &self.db,
            self.organization_id,
            &functions,
            &touchpoints,
        )
        .await?;
        for row in rows {
            for key in [
                ResponsibilitiesOf::Function(row.function_id),
                ResponsibilitiesOf::Touchpoint(row.touchpoint_id),
            ] {
                if let Some(list) = found.get_mut(&key) {
                    list.push(row.clone());
                }
            }
        }
        Ok(found)
    }
}

/// The row `id` of `E` through the request's loader.
pub async fn one<E>(loader: &RequestLoader, id: Option<i64>) -> ServiceResult<Option<E::Model>>
where
    E: OrgScoped + Send + Sync + 'static,
    E::Model: Send + Sync + Clone + 'static,
{
    match id {
        Some(id) => loader.load_one(ById::<E>::new(id)).await,
        None => Ok(None),
    }
}

/// The functions a person is a member of (function ids, oldest membership first).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MembershipsOf(pub i64);

impl Loader<MembershipsOf> for OrgLoader {
    type Value = Vec<i64>;
    type Error = ServiceError;

    async fn load(
        &self,
        keys: &[MembershipsOf],
    ) -> Result<HashMap<MembershipsOf, Self::Value>, ServiceError> {
        let people: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let found =
            service::model::directory::functions_of(&self.db, self.organization_id, &people)
                .await?;
        Ok(found
            .into_iter()
            .map(|(person, functions)| (MembershipsOf(person), functions))
            .collect())
    }
}
