//! A log that brings its own chart (`--create-missing`): the functions and touchpoints
//! an import's rows name that the organization does not have are created, in the
//! import's transaction and through the same writes as every door's (so each is
//! audited, checked and unique), before the rows are checked. A function is created by
//! name, with the HR id the row names it by if any (one named only by an HR id cannot
//! be), not a CX team; a touchpoint with the channel its row gives, else OTHER. Names
//! already taken, in any case, are used.

use std::collections::{BTreeMap, HashSet};

use entity::enums::Channel;
use sea_orm::DatabaseTransaction;

use super::SourceRow;
use crate::error::{Place, ServiceResult, WriteError};
use crate::fields::name_key;
use crate::log::recording::input::Lookup;
use crate::log::recording::{FunctionRef, TouchpointRef};
use crate::model::function::{FunctionFields, Parents};
use crate::model::touchpoint::NewTouchpoint;

/// The names of what an import created, in the order it created them.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    pub functions: Vec<String>,
    pub touchpoints: Vec<String>,
}

impl Created {
    pub fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.touchpoints.is_empty()
    }
}

/// Creates what `rows` name and `lookup` does not know; returns whether it created
/// anything (the caller then reads its lookup again). A name that cannot be a name
/// (empty, too long) is left for the row's own check to refuse.
pub(crate) async fn create_missing(
    txn: &DatabaseTransaction,
    organization_id: i64,
    rows: &[SourceRow],
    lookup: &Lookup,
    created: &mut Created,
) -> ServiceResult<bool> {
    // By name key, the first spelling (and HR id) and (touchpoints) the first channel.
    let mut functions: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    let mut touchpoints: BTreeMap<String, (String, Option<Channel>)> = BTreeMap::new();
    let mut order: Vec<(bool, String)> = Vec::new();
    for row in rows {
        let (name, external_id) = match &row.input.function {
            FunctionRef::Name(name) => (Some(name.as_str()), None),
            FunctionRef::ExternalId(external) => (
                row.chart.function_name.as_deref(),
                Some(external.trim().to_owned()),
            ),
            FunctionRef::Id(_) => (None, None),
        };
        if let Some(name) = name {
            let key = name_key(name);
            if !key.is_empty() && lookup.function(&row.input.function).is_none() {
                functions.entry(key.clone()).or_insert_with(|| {
                    order.push((true, key));
                    (name.trim().to_owned(), external_id)
                });
            }
        }
        if let Some(reference @ TouchpointRef::Name(name)) = &row.input.touchpoint {
            let key = name_key(name);
            if !key.is_empty() && lookup.touchpoint(reference).is_none() {
                let entry = touchpoints.entry(key.clone()).or_insert_with(|| {
                    order.push((false, key));
                    (name.trim().to_owned(), None)
                });
                if entry.1.is_none() {
                    entry.1 = row.chart.channel;
                }
            }
        }
    }
    if order.is_empty() {
        return Ok(false);
    }
    let mut parents = Parents::load(txn, organization_id).await?;
    let mut done: HashSet<(bool, String)> = HashSet::new();
    for (is_function, key) in order {
        if !done.insert((is_function, key.clone())) {
            continue;
        }
        let written = if is_function {
            let (name, external_id) = functions[&key].clone();
            let fields = FunctionFields {
                name,
                is_cx_team: false,
                parent_id: None,
                external_id,
                archived: false,
            };
            crate::model::function::save(
                txn,
                organization_id,
                None,
                fields,
                None,
                Place::input(),
                &mut parents,
            )
            .await
            .map(|saved| {
                created.functions.push(saved.row.name.clone());
            })
        } else {
            let (name, channel) = touchpoints[&key].clone();
            let new = NewTouchpoint {
                name,
                channel: channel.unwrap_or(Channel::Other),
                stage_id: None,
                experience: Vec::new(),
                prompt_within: None,
            };
            crate::model::touchpoint::create_in(txn, organization_id, new)
                .await
                .map(|row| created.touchpoints.push(row.name))
        };
        match written {
            Ok(()) => {}
            // Not a name after all: the rows that use it are refused by their check.
            Err(WriteError::Invalid(_)) => {}
            Err(WriteError::Fault(fault)) => return Err(fault),
        }
    }
    Ok(true)
}
