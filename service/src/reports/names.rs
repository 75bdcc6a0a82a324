//! The organization's functions and touchpoints by id, so that what the services
//! return names its rows without a query per row.

use std::collections::HashMap;
use std::sync::Arc;

use entity::{function, touchpoint};
use sea_orm::ConnectionTrait;

use crate::error::ServiceResult;
use crate::storage::scoped::in_org;

/// Functions and touchpoints by id, archived ones included (history keeps them).
#[derive(Debug, Default)]
pub struct Names {
    functions: HashMap<i64, function::Model>,
    touchpoints: HashMap<i64, touchpoint::Model>,
}

impl Names {
    /// The organization's functions and touchpoints.
    pub async fn load(
        db: &impl ConnectionTrait,
        organization_id: i64,
    ) -> ServiceResult<Arc<Names>> {
        let functions = in_org::<function::Entity>(organization_id).all(db).await?;
        let touchpoints = in_org::<touchpoint::Entity>(organization_id)
            .all(db)
            .await?;
        Ok(Arc::new(Names {
            functions: functions.into_iter().map(|f| (f.id, f)).collect(),
            touchpoints: touchpoints.into_iter().map(|t| (t.id, t)).collect(),
        }))
    }

    /// The function `id`; `None` only if it was deleted from the database by hand.
    pub fn function(&self, id: i64) -> Option<&function::Model> {
        self.functions.get(&id)
    }

    /// Every function, archived ones included, in no order.
    pub fn functions(&self) -> impl Iterator<Item = &function::Model> {
        self.functions.values()
    }

    /// The touchpoints that are not archived, by creation.
    pub fn live_touchpoints(&self) -> Vec<&touchpoint::Model> {
        let mut live: Vec<&touchpoint::Model> =
            self.touchpoints.values().filter(|t| !t.archived).collect();
        live.sort_by_key(|t| t.id);
        live
    }

    /// The touchpoint `id`, if there is one.
    pub fn touchpoint(&self, id: Option<i64>) -> Option<&touchpoint::Model> {
        id.and_then(|id| self.touchpoints.get(&id))
    }
}
