//! Loading an organization chart in one go (the `org.json` shape): functions,
//! touchpoints and responsibilities by name, all in one transaction. What exists is
//! matched by name and brought in line (a function's CX flag and HR id, a
//! touchpoint's channel); what is missing is created; nothing is removed. So loading
//! the same chart twice changes nothing, and a chart with any bad entry changes
//! nothing at all.

use std::collections::{HashMap, HashSet};

use entity::enums::{Channel, Role};
use entity::{function, responsibility, touchpoint};
use sea_orm::{ActiveModelTrait, Set};

use crate::error::{check, Field, Place, UserError, UserErrorCode, Write, WriteError};
use crate::fields::name_key;
use crate::model::function::{FunctionFields, Parents};
use crate::model::responsibility::NewResponsibility;
use crate::model::touchpoint::{check_prompt_within, ExperienceElement, NewTouchpoint};
use crate::storage::db::{begin_change, now_micros};
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

/// The errors of one entry, moved under `list[index]`.
fn under(errors: Vec<UserError>, list: &'static str, index: usize) -> Vec<UserError> {
    errors
        .into_iter()
        .map(|mut e| {
            e.field.list = Some(list.into());
            e.field.item = Some(index);
            e
        })
        .collect()
}

/// Loads `chart` into the organization, atomically.
pub async fn load(
    db: &crate::storage::db::Tenant,
    organization_id: i64,
    chart: Chart,
) -> Write<ChartLoaded> {
    let txn = begin_change(db, organization_id).await?;
    let mut loaded = ChartLoaded::default();
    let mut errors = Vec::new();

    let mut functions: HashMap<String, function::Model> =
        in_org::<function::Entity>(organization_id)
            .all(&txn)
            .await?
            .into_iter()
            .map(|f| (f.name_key.clone(), f))
            .collect();
    let mut parents = Parents::load(&txn, organization_id).await?;
    for (index, f) in chart.functions.into_iter().enumerate() {
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
        match crate::model::function::save(
            &txn,
            organization_id,
            existing,
            fields,
            None,
            Place::listed("functions", index),
            &mut parents,
        )
        .await
        {
            Ok(saved) => {
                if created {
                    loaded.functions_created += 1;
                } else if saved.changed {
                    loaded.functions_updated += 1;
                }
                functions.insert(saved.row.name_key.clone(), saved.row);
            }
            Err(WriteError::Invalid(bad)) => errors.extend(bad),
            Err(fault) => return Err(fault),
        }
    }

    let mut touchpoints: HashMap<String, touchpoint::Model> =
        in_org::<touchpoint::Entity>(organization_id)
            .all(&txn)
            .await?
            .into_iter()
            .map(|t| (t.name_key.clone(), t))
            .collect();
    for (index, t) in chart.touchpoints.into_iter().enumerate() {
        match touchpoints.get(&name_key(&t.name)) {
            Some(existing) => {
                let mut bad = Vec::new();
                check_prompt_within(
                    t.prompt_within,
                    Field::listed("touchpoints", index, "prompt_within"),
                    &mut bad,
                );
                if !bad.is_empty() {
                    errors.extend(bad);
                    continue;
                }
                let experience = t.experience.as_deref().map(ExperienceElement::store);
                let prompt_changed =
                    t.prompt_within.is_some() && t.prompt_within != existing.prompt_within;
                let changed = existing.channel != t.channel
                    || experience
                        .as_ref()
                        .is_some_and(|e| *e != existing.experience)
                    || prompt_changed;
                if changed {
                    let mut model: touchpoint::ActiveModel = existing.clone().into();
                    model.channel = Set(t.channel);
                    if let Some(experience) = experience {
                        model.experience = Set(experience);
                    }
                    if prompt_changed {
                        model.prompt_within = Set(t.prompt_within);
                    }
                    model.updated_at = Set(now_micros());
                    let updated = model.update(&txn).await?;
                    if prompt_changed {
                        let calendar =
                            crate::calendar::of_organization(&txn, organization_id).await?;
                        crate::log::derived::rollup::remark_prompt(
                            &txn,
                            organization_id,
                            existing.id,
                            t.prompt_within,
                            &calendar,
                        )
                        .await?;
                    }
                    crate::access::audit::record_row(
                        &txn,
                        organization_id,
                        "touchpoint.update",
                        "Touchpoint",
                        Some(existing),
                        Some(&updated),
                    )
                    .await?;
                    loaded.touchpoints_updated += 1;
                }
            }
            None => {
                let new = NewTouchpoint {
                    name: t.name,
                    channel: t.channel,
                    stage_id: None,
                    experience: t.experience.unwrap_or_default(),
                    prompt_within: t.prompt_within,
                };
                match crate::model::touchpoint::create_in(&txn, organization_id, new).await {
                    Ok(created) => {
                        touchpoints.insert(created.name_key.clone(), created);
                        loaded.touchpoints_created += 1;
                    }
                    Err(WriteError::Invalid(bad)) => {
                        errors.extend(under(bad, "touchpoints", index))
                    }
                    Err(fault) => return Err(fault),
                }
            }
        }
    }

    // Who holds what already, read once: a responsibility held is left as it is.
    let mut held: HashSet<(i64, i64, Role)> = in_org::<responsibility::Entity>(organization_id)
        .all(&txn)
        .await?
        .into_iter()
        .map(|r| (r.touchpoint_id, r.function_id, r.role))
        .collect();
    for (index, r) in chart.responsibilities.into_iter().enumerate() {
        let at = index;
        let touchpoint = touchpoints.get(&name_key(&r.touchpoint));
        let function = functions.get(&name_key(&r.function));
        if touchpoint.is_none() {
            errors.push(UserError::new(
                UserErrorCode::NotFound,
                Field::listed("responsibilities", at, "touchpoint"),
                format!(
                    "no touchpoint named `{}` in the chart or the organization",
                    r.touchpoint
                ),
            ));
        }
        if function.is_none() {
            errors.push(UserError::new(
                UserErrorCode::NotFound,
                Field::listed("responsibilities", at, "function"),
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
        match crate::model::responsibility::assign_in(&txn, organization_id, new).await {
            Ok(_) => loaded.responsibilities_assigned += 1,
            Err(WriteError::Invalid(bad)) => errors.extend(under(bad, "responsibilities", index)),
            Err(fault) => return Err(fault),
        }
    }
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
