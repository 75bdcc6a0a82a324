//! Loading an organization chart in one go (the `org.json` shape): functions,
//! touchpoints and responsibilities by name, all in one transaction. What exists is
//! matched by name and brought in line (a function's CX flag and HR id, a
//! touchpoint's channel); what is missing is created; nothing is removed. So loading
//! the same chart twice changes nothing, and a chart with any bad entry changes
//! nothing at all.

use std::collections::{HashMap, HashSet};

use entity::enums::{Channel, Role};
use entity::{function, responsibility, touchpoint};
use sea_orm::DatabaseTransaction;

use crate::error::{check, Place, ServiceResult, UserError, UserErrorCode, Write, WriteError};
use crate::fields::name_key;
use crate::model::function::{FunctionFields, Parents};
use crate::model::responsibility::NewResponsibility;
use crate::model::touchpoint::{
    check_prompt_within, ExperienceElement, NewTouchpoint, TouchpointChanges,
};
use crate::storage::db::begin_change;
use crate::storage::scoped::in_org;

/// A function of the chart.
#[derive(Clone, Debug)]
pub struct ChartFunction {
    pub name: String,
    pub is_cx_team: bool,
    pub external_id: Option<String>,
}

/// A touchpoint of the chart. `None` leaves an existing touchpoint's field as it is.
#[derive(Clone, Debug)]
pub struct ChartTouchpoint {
    pub name: String,
    pub channel: Channel,
    pub experience: Option<Vec<ExperienceElement>>,
    /// `promptWithin` (µs).
    pub prompt_within: Option<i64>,
}

/// A responsibility of the chart, by names.
#[derive(Clone, Debug)]
pub struct ChartResponsibility {
    pub touchpoint: String,
    pub function: String,
    pub role: Role,
}

/// An organization chart.
#[derive(Clone, Debug, Default)]
pub struct Chart {
    pub functions: Vec<ChartFunction>,
    pub touchpoints: Vec<ChartTouchpoint>,
    pub responsibilities: Vec<ChartResponsibility>,
}

/// What loading a chart changed.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ChartLoaded {
    pub functions_created: usize,
    pub functions_updated: usize,
    pub touchpoints_created: usize,
    pub touchpoints_updated: usize,
    pub responsibilities_assigned: usize,
}

/// A write's errors of one entry, moved to the entry's place (`list[index]`).
fn under(error: WriteError, place: Place) -> WriteError {
    match error {
        WriteError::Invalid(errors) => WriteError::Invalid(
            errors
                .into_iter()
                .map(|mut e| {
                    e.field.list = place.list.map(Into::into);
                    e.field.item = place.item;
                    e
                })
                .collect(),
        ),
        fault => fault,
    }
}

/// Loads `chart` into the organization, atomically.
pub async fn load(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    chart: Chart,
) -> Write<ChartLoaded> {
    let txn = begin_change(db, organization_id).await?;
    let mut loading = Loading {
        txn: &txn,
        organization_id,
        loaded: ChartLoaded::default(),
        errors: Vec::new(),
    };
    let functions = loading.functions(chart.functions).await?;
    let touchpoints = loading.touchpoints(chart.touchpoints).await?;
    loading
        .responsibilities(chart.responsibilities, &functions, &touchpoints)
        .await?;
    let Loading { loaded, errors, .. } = loading;
    check(errors)?;
    crate::access::audit::record(
        &txn,
        organization_id,
        crate::access::audit::Change {
            action: "chart.load",
            entity_kind: "Organization",
            entity_id: Some(organization_id.to_string()),
        },
        None::<&()>,
        Some(&loaded),
    )
    .await?;
    txn.commit().await?;
    Ok(loaded)
}

/// A chart being loaded: what it changed so far, and every entry's errors.
struct Loading<'a> {
    txn: &'a DatabaseTransaction,
    organization_id: i64,
    loaded: ChartLoaded,
    errors: Vec<UserError>,
}

impl Loading<'_> {
    /// Brings the chart's functions in line; returns every function by name key.
    async fn functions(
        &mut self,
        chart: Vec<ChartFunction>,
    ) -> ServiceResult<HashMap<String, function::Model>> {
        let (txn, organization_id) = (self.txn, self.organization_id);
        let mut functions: HashMap<String, function::Model> =
            in_org::<function::Entity>(organization_id)
                .all(txn)
                .await?
                .into_iter()
                .map(|f| (f.name_key.clone(), f))
                .collect();
        let mut parents = Parents::load(txn, organization_id).await?;
        for (index, f) in chart.into_iter().enumerate() {
            // A function of the chart is matched by name; its CX flag is the chart's, its
            // externalId too when the chart gives one, the rest stays as it is.
            let existing = functions.get(&name_key(&f.name)).cloned();
            let external_id = f.external_id.filter(|e| !e.trim().is_empty());
            let fields = match &existing {
                Some(current) => FunctionFields {
                    is_cx_team: f.is_cx_team,
                    external_id: external_id.or(current.external_id.clone()),
                    ..FunctionFields::of(current)
                },
                None => FunctionFields {
                    name: f.name,
                    is_cx_team: f.is_cx_team,
                    parent_id: None,
                    external_id,
                    archived: false,
                },
            };
            let created = existing.is_none();
            let place = Place::listed("functions", index);
            let saved = crate::model::function::save(
                txn,
                organization_id,
                existing,
                fields,
                None,
                place,
                &mut parents,
            )
            .await;
            if let Some(saved) = self.kept(saved)? {
                if created {
                    self.loaded.functions_created += 1;
                } else if saved.changed {
                    self.loaded.functions_updated += 1;
                }
                functions.insert(saved.row.name_key.clone(), saved.row);
            }
        }
        Ok(functions)
    }

    /// Brings the chart's touchpoints in line; returns every touchpoint by name key.
    async fn touchpoints(
        &mut self,
        chart: Vec<ChartTouchpoint>,
    ) -> ServiceResult<HashMap<String, touchpoint::Model>> {
        let (txn, organization_id) = (self.txn, self.organization_id);
        let mut touchpoints: HashMap<String, touchpoint::Model> =
            in_org::<touchpoint::Entity>(organization_id)
                .all(txn)
                .await?
                .into_iter()
                .map(|t| (t.name_key.clone(), t))
                .collect();
        for (index, t) in chart.into_iter().enumerate() {
            let place = Place::listed("touchpoints", index);
            let written = match touchpoints.get(&name_key(&t.name)) {
                Some(existing) => {
                    // Only what differs is changed, so loading twice changes nothing.
                    let changes = TouchpointChanges {
                        channel: Some(t.channel).filter(|c| *c != existing.channel),
                        experience: t
                            .experience
                            .filter(|e| ExperienceElement::store(e) != existing.experience),
                        prompt_within: t
                            .prompt_within
                            .filter(|w| Some(*w) != existing.prompt_within)
                            .map(Some),
                        ..TouchpointChanges::default()
                    };
                    let changed = changes.channel.is_some()
                        || changes.experience.is_some()
                        || changes.prompt_within.is_some();
                    if !changed {
                        check_prompt_within(
                            t.prompt_within,
                            place.field("prompt_within"),
                            &mut self.errors,
                        );
                        continue;
                    }
                    let updated = crate::model::touchpoint::update_in(
                        txn,
                        organization_id,
                        existing.clone(),
                        changes,
                        place,
                    )
                    .await;
                    self.kept(updated)?
                        .inspect(|_| self.loaded.touchpoints_updated += 1)
                }
                None => {
                    let new = NewTouchpoint {
                        name: t.name,
                        channel: t.channel,
                        stage_id: None,
                        experience: t.experience.unwrap_or_default(),
                        prompt_within: t.prompt_within,
                    };
                    let created =
                        crate::model::touchpoint::create_in(txn, organization_id, new).await;
                    let created = self.kept(created.map_err(|e| under(e, place)))?;
                    created.inspect(|_| self.loaded.touchpoints_created += 1)
                }
            };
            if let Some(row) = written {
                touchpoints.insert(row.name_key.clone(), row);
            }
        }
        Ok(touchpoints)
    }

    /// Assigns the chart's responsibilities that are not held yet.
    async fn responsibilities(
        &mut self,
        chart: Vec<ChartResponsibility>,
        functions: &HashMap<String, function::Model>,
        touchpoints: &HashMap<String, touchpoint::Model>,
    ) -> ServiceResult<()> {
        let (txn, organization_id) = (self.txn, self.organization_id);
        // Who holds what already, read once: a responsibility held is left as it is.
        let mut held: HashSet<(i64, i64, Role)> = in_org::<responsibility::Entity>(organization_id)
            .all(txn)
            .await?
            .into_iter()
            .map(|r| (r.touchpoint_id, r.function_id, r.role))
            .collect();
        for (index, r) in chart.into_iter().enumerate() {
            let place = Place::listed("responsibilities", index);
            let touchpoint = touchpoints.get(&name_key(&r.touchpoint));
            let function = functions.get(&name_key(&r.function));
            if touchpoint.is_none() {
                self.errors.push(UserError::new(
                    UserErrorCode::NotFound,
                    place.field("touchpoint"),
                    format!(
                        "no touchpoint named `{}` in the chart or the organization",
                        r.touchpoint
                    ),
                ));
            }
            if function.is_none() {
                self.errors.push(UserError::new(
                    UserErrorCode::NotFound,
                    place.field("function"),
                    format!(
                        "no function named `{}` in the chart or the organization",
                        r.function
                    ),
                ));
            }
            let (Some(touchpoint), Some(function)) = (touchpoint, function) else {
                continue;
            };
            if !held.insert((touchpoint.id, function.id, r.role)) {
                continue;
            }
            let new = NewResponsibility {
                touchpoint_id: touchpoint.id,
                function_id: function.id,
                role: r.role,
                person_id: None,
            };
            let assigned = crate::model::responsibility::assign_in(txn, organization_id, new).await;
            if self.kept(assigned.map_err(|e| under(e, place)))?.is_some() {
                self.loaded.responsibilities_assigned += 1;
            }
        }
        Ok(())
    }

    /// A write's row; its user errors are kept with the chart's (`None`), a fault
    /// ends the load.
    fn kept<T>(&mut self, written: Write<T>) -> ServiceResult<Option<T>> {
        match written {
            Ok(row) => Ok(Some(row)),
            Err(WriteError::Invalid(bad)) => {
                self.errors.extend(bad);
                Ok(None)
            }
            Err(WriteError::Fault(fault)) => Err(fault),
        }
    }
}
