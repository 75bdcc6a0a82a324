//! Loading what the ownership findings are computed from.

use std::collections::{HashMap, HashSet};

use entity::{acknowledgement, function, person, responsibility, touchpoint};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};

use super::scoped::in_org;
use crate::analysis::ownership::{findings, Finding, OwnershipInput, RoleAssignment};
use crate::error::ApiResult;

/// The organization's ownership findings (SPEC §4), live touchpoints and functions only.
pub async fn ownership_findings(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> ApiResult<Vec<Finding>> {
    let touchpoints: Vec<i64> = in_org::<touchpoint::Entity>(organization_id)
        .filter(touchpoint::Column::Archived.eq(false))
        .select_only()
        .column(touchpoint::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let functions: Vec<(i64, bool)> = in_org::<function::Entity>(organization_id)
        .filter(function::Column::Archived.eq(false))
        .select_only()
        .columns([function::Column::Id, function::Column::IsCxTeam])
        .into_tuple()
        .all(db)
        .await?;
    let responsibilities = in_org::<responsibility::Entity>(organization_id)
        .all(db)
        .await?;
    let people: Vec<(i64, Option<i64>)> = in_org::<person::Entity>(organization_id)
        .filter(person::Column::Archived.eq(false))
        .select_only()
        .columns([person::Column::Id, person::Column::FunctionId])
        .into_tuple()
        .all(db)
        .await?;
    let acknowledgements: Vec<(i64, i64)> = in_org::<acknowledgement::Entity>(organization_id)
        .select_only()
        .columns([
            acknowledgement::Column::ResponsibilityId,
            acknowledgement::Column::PersonId,
        ])
        .into_tuple()
        .all(db)
        .await?;
    let mut people_by_function: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (id, function_id) in people {
        if let Some(function_id) = function_id {
            people_by_function
                .entry(function_id)
                .or_default()
                .insert(id);
        }
    }
    let mut acks: HashMap<i64, HashSet<i64>> = HashMap::new();
    for (responsibility_id, person_id) in acknowledgements {
        acks.entry(responsibility_id).or_default().insert(person_id);
    }
    let input = OwnershipInput {
        touchpoints,
        live_functions: functions.iter().map(|f| f.0).collect(),
        cx_teams: functions.iter().filter(|f| f.1).map(|f| f.0).collect(),
        responsibilities: responsibilities
            .into_iter()
            .map(|r| RoleAssignment {
                id: r.id,
                touchpoint_id: r.touchpoint_id,
                function_id: r.function_id,
                role: r.role,
            })
            .collect(),
        people: people_by_function,
        acknowledgements: acks,
    };
    Ok(findings(&input))
}
