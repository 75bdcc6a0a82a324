//! Gaps in the responsibility map (docs/rules.md, "Ownership findings").

use std::collections::{HashMap, HashSet};

/// A RACI role, as the findings see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Role {
    Responsible,
    Accountable,
    Consulted,
    Informed,
}

impl Role {
    /// The role's name as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            Role::Responsible => "RESPONSIBLE",
            Role::Accountable => "ACCOUNTABLE",
            Role::Consulted => "CONSULTED",
            Role::Informed => "INFORMED",
        }
    }

    /// ACCOUNTABLE and RESPONSIBLE are the roles that own a touchpoint.
    pub fn owns(self) -> bool {
        matches!(self, Role::Accountable | Role::Responsible)
    }
}

/// The kind of an ownership finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    NoAccountable,
    MultipleAccountable,
    NoResponsible,
    CxOnlyOwnership,
    Unacknowledged,
}

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl FindingKind {
    pub fn severity(self) -> Severity {
        match self {
            FindingKind::NoAccountable | FindingKind::MultipleAccountable => Severity::Error,
            FindingKind::NoResponsible | FindingKind::CxOnlyOwnership => Severity::Warning,
            FindingKind::Unacknowledged => Severity::Info,
        }
    }
}

/// One finding about a touchpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub kind: FindingKind,
    pub touchpoint_id: i64,
    /// The functions involved (the accountable ones, the CX owners, or the function
    /// whose people have not all acknowledged), sorted.
    pub function_ids: Vec<i64>,
    /// For UNACKNOWLEDGED: (people who acknowledged, people of the function).
    pub coverage: Option<(i64, i64)>,
    /// For UNACKNOWLEDGED: the role not acknowledged (a function both ACCOUNTABLE and
    /// RESPONSIBLE for a touchpoint can have a finding for each).
    pub role: Option<Role>,
}

/// One responsibility as the findings see it.
#[derive(Clone, Debug)]
pub struct RoleAssignment {
    pub id: i64,
    pub touchpoint_id: i64,
    pub function_id: i64,
    pub role: Role,
}

/// What the findings are computed from: only live (not archived) touchpoints and
/// functions are passed in.
#[derive(Clone, Debug, Default)]
pub struct OwnershipInput {
    pub touchpoints: Vec<i64>,
    pub live_functions: HashSet<i64>,
    pub cx_teams: HashSet<i64>,
    pub responsibilities: Vec<RoleAssignment>,
    /// Live people per function.
    pub people: HashMap<i64, HashSet<i64>>,
    /// Acknowledging people per responsibility.
    pub acknowledgements: HashMap<i64, HashSet<i64>>,
}

/// The findings, ordered by touchpoint then kind.
pub fn findings(input: &OwnershipInput) -> Vec<Finding> {
    let mut by_touchpoint: HashMap<i64, Vec<&RoleAssignment>> = HashMap::new();
    for r in &input.responsibilities {
        if input.live_functions.contains(&r.function_id) {
            by_touchpoint.entry(r.touchpoint_id).or_default().push(r);
        }
    }
    let mut out = Vec::new();
    for &touchpoint_id in &input.touchpoints {
        let roles = by_touchpoint
            .get(&touchpoint_id)
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let with_role = |role: Role| -> Vec<i64> {
            let mut ids: Vec<i64> = roles
                .iter()
                .filter(|r| r.role == role)
                .map(|r| r.function_id)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            ids
        };
        let finding = |kind, function_ids| Finding {
            kind,
            touchpoint_id,
            function_ids,
            coverage: None,
            role: None,
        };
        let accountable = with_role(Role::Accountable);
        match accountable.len() {
            0 => out.push(finding(FindingKind::NoAccountable, vec![])),
            1 => {}
            _ => out.push(finding(FindingKind::MultipleAccountable, accountable)),
        }
        if with_role(Role::Responsible).is_empty() {
            out.push(finding(FindingKind::NoResponsible, vec![]));
        }
        let mut owners: Vec<i64> = roles
            .iter()
            .filter(|r| r.role.owns())
            .map(|r| r.function_id)
            .collect();
        owners.sort_unstable();
        owners.dedup();
        if !owners.is_empty() && owners.iter().all(|f| input.cx_teams.contains(f)) {
            out.push(finding(FindingKind::CxOnlyOwnership, owners));
        }
        for r in roles.iter().filter(|r| r.role.owns()) {
            let Some(people) = input.people.get(&r.function_id).filter(|p| !p.is_empty()) else {
                continue;
            };
            let acknowledged = input
                .acknowledgements
                .get(&r.id)
                .map_or(0, |acks| people.intersection(acks).count());
            if acknowledged < people.len() {
                out.push(Finding {
                    kind: FindingKind::Unacknowledged,
                    touchpoint_id,
                    function_ids: vec![r.function_id],
                    coverage: Some((acknowledged as i64, people.len() as i64)),
                    role: Some(r.role),
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.touchpoint_id, a.kind, &a.function_ids, a.role).cmp(&(
            b.touchpoint_id,
            b.kind,
            &b.function_ids,
            b.role,
        ))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assign(id: i64, touchpoint_id: i64, function_id: i64, role: Role) -> RoleAssignment {
        RoleAssignment {
            id,
            touchpoint_id,
            function_id,
            role,
        }
    }

    #[test]
    fn each_gap_of_the_map_is_found() {
        let input = OwnershipInput {
            touchpoints: vec![1, 2, 3, 4],
            live_functions: [10, 11, 20].into_iter().collect(),
            cx_teams: [20].into_iter().collect(),
            responsibilities: vec![
                // 1: well owned by 10, one of its two people acknowledged.
                assign(1, 1, 10, Role::Accountable),
                assign(2, 1, 10, Role::Responsible),
                // 2: two accountable, nobody responsible.
                assign(3, 2, 10, Role::Accountable),
                assign(4, 2, 11, Role::Accountable),
                // 3: owned by CX only.
                assign(5, 3, 20, Role::Accountable),
                assign(6, 3, 20, Role::Responsible),
                // 4: only an archived function (99) is accountable.
                assign(7, 4, 99, Role::Accountable),
                assign(8, 4, 11, Role::Responsible),
            ],
            people: [(10, [100, 101].into_iter().collect())]
                .into_iter()
                .collect(),
            acknowledgements: [
                (1, [100].into_iter().collect()),
                (2, [100, 101].into_iter().collect()),
            ]
            .into_iter()
            .collect(),
        };
        let got: Vec<(FindingKind, i64)> = findings(&input)
            .iter()
            .map(|f| (f.kind, f.touchpoint_id))
            .collect();
        assert_eq!(
            got,
            vec![
                (FindingKind::Unacknowledged, 1),
                (FindingKind::MultipleAccountable, 2),
                (FindingKind::NoResponsible, 2),
                (FindingKind::Unacknowledged, 2),
                (FindingKind::CxOnlyOwnership, 3),
                (FindingKind::NoAccountable, 4),
            ]
        );
        assert_eq!(findings(&input)[0].coverage, Some((1, 2)));
    }
}
