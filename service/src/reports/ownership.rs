//! Gaps in the responsibility map: what the findings are computed from, and the
//! findings named for a reader.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use entity::enums::Role;
use entity::{acknowledgement, function, person, responsibility, touchpoint};
use rules::ownership::{findings, Finding, FindingKind, OwnershipInput, RoleAssignment};
use sea_orm::{ColumnTrait, ConnectionTrait, QueryFilter, QuerySelect};

use crate::error::ServiceResult;
use crate::reports::names::Names;
use crate::storage::scoped::in_org;

/// A finding with its touchpoint and functions at hand.
#[derive(Clone, Debug)]
pub struct OwnershipFinding {
    pub finding: Finding,
    names: Arc<Names>,
}

impl OwnershipFinding {
    pub fn touchpoint(&self) -> Option<&touchpoint::Model> {
        self.names.touchpoint(Some(self.finding.touchpoint_id))
    }

    /// The functions involved (see [`Finding::function_ids`]).
    pub fn functions(&self) -> Vec<&function::Model> {
        self.finding
            .function_ids
            .iter()
            .filter_map(|id| self.names.function(*id))
            .collect()
    }

    /// A sentence for a human, naming the touchpoint and the functions.
    pub fn message(&self) -> String {
        let touchpoint = self.touchpoint().map_or_else(
            || "a deleted touchpoint".to_owned(),
            |t| format!("`{}`", t.name),
        );
        let functions = self
            .functions()
            .iter()
            .map(|f| format!("`{}`", f.name))
            .collect::<Vec<_>>()
            .join(", ");
        match self.finding.kind {
            FindingKind::NoAccountable => {
                format!("no function is accountable for touchpoint {touchpoint}")
            }
            FindingKind::MultipleAccountable => {
                format!("{functions} are all accountable for touchpoint {touchpoint}")
            }
            FindingKind::NoResponsible => {
                format!("no function is responsible for touchpoint {touchpoint}")
            }
            FindingKind::CxOnlyOwnership => format!(
                "only CX teams ({functions}) own touchpoint {touchpoint}: CX has become a silo of its own"
            ),
            FindingKind::Unacknowledged => {
                let (done, all) = self.finding.coverage.unwrap_or_default();
                let role = self.finding.role.map_or("its", |r| r.name());
                format!(
                    "{done} of {all} people of {functions} acknowledged the {role} responsibility for touchpoint {touchpoint}"
                )
            }
        }
    }
}

pub(crate) fn rule_role(role: Role) -> rules::ownership::Role {
    match role {
        Role::Responsible => rules::ownership::Role::Responsible,
        Role::Accountable => rules::ownership::Role::Accountable,
        Role::Consulted => rules::ownership::Role::Consulted,
        Role::Informed => rules::ownership::Role::Informed,
    }
}

/// The organization's ownership findings (docs/rules.md, "Ownership findings"), over
/// live touchpoints and functions only, ordered by touchpoint then kind.
pub async fn ownership_findings(
    db: &impl ConnectionTrait,
    organization_id: i64,
) -> ServiceResult<Vec<OwnershipFinding>> {
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
                role: rule_role(r.role),
            })
            .collect(),
        people: people_by_function,
        acknowledgements: acks,
    };
    let names = Names::load(db, organization_id).await?;
    Ok(findings(&input)
        .into_iter()
        .map(|finding| OwnershipFinding {
            finding,
            names: names.clone(),
        })
        .collect())
}
