//! The chart against the log (docs/rules.md, "The chart against the log"): who handles
//! each touchpoint in fact beside who owns it on paper, and which promised experience
//! elements the log shows kept or broken.

use std::collections::HashMap;

use crate::ownership::{Role, Severity};
use crate::report::PromiseCounts;

/// A function as de facto ownership sees it.
#[derive(Clone, Debug)]
pub struct FunctionFacts {
    pub name: String,
    pub is_cx: bool,
    /// Not archived: archived functions' interactions are left out of the shares.
    pub live: bool,
}

/// What de facto ownership is judged against.
#[derive(Clone, Debug, Default)]
pub struct ChartInput {
    /// Live touchpoints, in the order they are reported.
    pub touchpoints: Vec<i64>,
    pub functions: HashMap<i64, FunctionFacts>,
    /// Roles as (touchpoint, function, role); only ACCOUNTABLE and RESPONSIBLE count.
    pub roles: Vec<(i64, i64, Role)>,
    /// Interactions a touchpoint needs in the window before findings are made on it.
    pub min_interactions: i64,
}

/// One function's part of a touchpoint's interactions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Share {
    pub function_id: i64,
    pub interactions: i64,
    /// `interactions` over the touchpoint's; `None` when the touchpoint has none.
    pub share: Option<f64>,
}

/// A finding of the chart against the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DriftKind {
    /// The de facto owner is neither ACCOUNTABLE nor RESPONSIBLE for the touchpoint.
    DeFactoOwnerNotResponsible,
    /// A CX team carries a touchpoint another function owns on paper.
    CxCarriesOwnedTouchpoint,
}

impl DriftKind {
    pub fn severity(self) -> Severity {
        match self {
            DriftKind::DeFactoOwnerNotResponsible => Severity::Warning,
            DriftKind::CxCarriesOwnedTouchpoint => Severity::Error,
        }
    }
}

/// Who handles one touchpoint in fact, beside who owns it on paper.
#[derive(Clone, Debug, PartialEq)]
pub struct TouchpointOwnership {
    pub touchpoint_id: i64,
    /// Interactions at the touchpoint by live functions.
    pub interactions: i64,
    /// Every live function that handled it: largest share first, ties by name.
    pub shares: Vec<Share>,
    /// The first of `shares`; `None` when no live function handled the touchpoint.
    pub de_facto_owner: Option<Share>,
    /// The live ACCOUNTABLE functions with their shares, ordered as `shares`.
    pub accountable: Vec<Share>,
    /// The live RESPONSIBLE functions with their shares, ordered as `shares`.
    pub responsible: Vec<Share>,
    /// The touchpoint has at least `min_interactions` interactions: findings are made.
    pub judged: bool,
    /// The findings that hold, in `DriftKind` order (empty when not judged).
    pub findings: Vec<DriftKind>,
}

/// De facto ownership of every live touchpoint, from the interactions per
/// (touchpoint, function) of a window.
pub fn ownership(
    handled: &HashMap<(i64, i64), i64>,
    input: &ChartInput,
) -> Vec<TouchpointOwnership> {
    let live = |function_id: &i64| input.functions.get(function_id).is_some_and(|f| f.live);
    let name = |function_id: i64| {
        input
            .functions
            .get(&function_id)
            .map(|f| f.name.as_bytes())
            .unwrap_or_default()
    };
    let mut counts: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for (&(touchpoint_id, function_id), &count) in handled {
        if count > 0 && live(&function_id) {
            counts
                .entry(touchpoint_id)
                .or_default()
                .push((function_id, count));
        }
    }
    let mut roles: HashMap<(i64, Role), Vec<i64>> = HashMap::new();
    for &(touchpoint_id, function_id, role) in &input.roles {
        if role.owns() && live(&function_id) {
            let functions = roles.entry((touchpoint_id, role)).or_default();
            if !functions.contains(&function_id) {
                functions.push(function_id);
            }
        }
    }
    input
        .touchpoints
        .iter()
        .map(|&touchpoint_id| {
            let mut handled_here = counts.remove(&touchpoint_id).unwrap_or_default();
            handled_here.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| name(a.0).cmp(name(b.0))));
            let interactions: i64 = handled_here.iter().map(|(_, c)| c).sum();
            let count_of = |function_id: i64| {
                handled_here
                    .iter()
                    .find(|(f, _)| *f == function_id)
                    .map_or(0, |(_, c)| *c)
            };
            let share = |function_id: i64| {
                let count = count_of(function_id);
                Share {
                    function_id,
                    interactions: count,
                    share: (interactions > 0).then(|| count as f64 / interactions as f64),
                }
            };
            let with_role = |role: Role| -> Vec<Share> {
                let mut shares: Vec<Share> = roles
                    .get(&(touchpoint_id, role))
                    .map(|functions| functions.iter().map(|&f| share(f)).collect())
                    .unwrap_or_default();
                shares.sort_by(|a, b| {
                    b.interactions
                        .cmp(&a.interactions)
                        .then_with(|| name(a.function_id).cmp(name(b.function_id)))
                });
                shares
            };
            let shares: Vec<Share> = handled_here.iter().map(|&(f, _)| share(f)).collect();
            let de_facto_owner = shares.first().copied();
            let accountable = with_role(Role::Accountable);
            let responsible = with_role(Role::Responsible);
            let judged = interactions > 0 && interactions >= input.min_interactions;
            let mut findings = Vec::new();
            if let Some(owner) = de_facto_owner.filter(|_| judged) {
                let owners = || accountable.iter().chain(&responsible);
                if !owners().any(|s| s.function_id == owner.function_id) {
                    findings.push(DriftKind::DeFactoOwnerNotResponsible);
                }
                let is_cx =
                    |function_id: i64| input.functions.get(&function_id).is_some_and(|f| f.is_cx);
                if is_cx(owner.function_id) && owners().any(|s| !is_cx(s.function_id)) {
                    findings.push(DriftKind::CxCarriesOwnedTouchpoint);
                }
            }
            TouchpointOwnership {
                touchpoint_id,
                interactions,
                shares,
                de_facto_owner,
                accountable,
                responsible,
                judged,
                findings,
            }
        })
        .collect()
}

/// An experience element the log can check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    /// Each interaction's next one in its case is by the same function.
    SinglePointOfContact,
    /// Each interaction not waiting on the customer is followed within `promptWithin`.
    Prompt,
}

/// What the log shows of one promise at one touchpoint over a window.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Kept {
    pub opportunities: i64,
    pub breaches: i64,
}

impl Kept {
    /// breaches ÷ opportunities; `None` without an opportunity.
    pub fn breach_rate(&self) -> Option<f64> {
        (self.opportunities > 0).then(|| self.breaches as f64 / self.opportunities as f64)
    }
}

/// The log's figures for `measure` at a touchpoint whose promise counts are `counts`
/// and which sets `prompt_within` (µs) or not; `None` when the element is not
/// measured there (PROMPT without `prompt_within`).
pub fn kept(counts: &PromiseCounts, measure: Measure, prompt_within: Option<i64>) -> Option<Kept> {
    match measure {
        Measure::SinglePointOfContact => Some(Kept {
            opportunities: counts.spoc_opportunities,
            breaches: counts.spoc_breaches,
        }),
        Measure::Prompt => prompt_within.map(|_| Kept {
            opportunities: counts.prompt_opportunities,
            breaches: counts.prompt_breaches,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(min_interactions: i64) -> ChartInput {
        let function = |name: &str, is_cx: bool, live: bool| FunctionFacts {
            name: name.to_owned(),
            is_cx,
            live,
        };
        ChartInput {
            touchpoints: vec![10, 20, 30],
            functions: HashMap::from([
                (1, function("Billing", false, true)),
                (2, function("Customer Experience", true, true)),
                (3, function("Sales", false, true)),
                (4, function("Archive", false, false)),
            ]),
            roles: vec![
                (10, 1, Role::Accountable),
                (10, 1, Role::Responsible),
                (20, 3, Role::Responsible),
                (20, 2, Role::Consulted),
                (30, 2, Role::Responsible),
            ],
            min_interactions,
        }
    }

    #[test]
    fn cx_carrying_what_billing_owns_is_both_findings() {
        let handled = HashMap::from([((10, 1), 3), ((10, 2), 7), ((10, 4), 50)]);
        let result = ownership(&handled, &input(10));
        let billing = &result[0];
        // The archived function's 50 interactions count for nothing.
        assert_eq!(billing.interactions, 10);
        assert_eq!(billing.de_facto_owner.unwrap().function_id, 2);
        assert_eq!(billing.de_facto_owner.unwrap().share, Some(0.7));
        assert_eq!(billing.accountable[0].share, Some(0.3));
        assert_eq!(
            billing.findings,
            [
                DriftKind::DeFactoOwnerNotResponsible,
                DriftKind::CxCarriesOwnedTouchpoint
            ]
        );
        // Under the threshold: the same figures, no finding.
        let result = ownership(&handled, &input(11));
        assert!(!result[0].judged);
        assert!(result[0].findings.is_empty());
        assert_eq!(result[0].de_facto_owner.unwrap().function_id, 2);
    }

    #[test]
    fn a_tie_goes_to_the_name_that_sorts_first_and_cx_owning_on_paper_is_no_finding() {
        // Tie between Sales (3) and Billing (1): Billing sorts first, and is not an owner.
        let handled = HashMap::from([((20, 3), 5), ((20, 1), 5), ((30, 2), 1)]);
        let result = ownership(&handled, &input(1));
        assert_eq!(result[1].de_facto_owner.unwrap().function_id, 1);
        assert_eq!(result[1].findings, [DriftKind::DeFactoOwnerNotResponsible]);
        assert_eq!(result[1].responsible[0].share, Some(0.5));
        // CX carries what CX owns: as designed.
        assert!(result[2].findings.is_empty());
        // Nobody at touchpoint 10: no owner, shares undefined, no finding.
        assert_eq!(result[0].de_facto_owner, None);
        assert_eq!(result[0].accountable[0].share, None);
        assert!(result[0].findings.is_empty());
    }

    #[test]
    fn prompt_is_measured_only_with_prompt_within() {
        let counts = PromiseCounts {
            spoc_opportunities: 4,
            spoc_breaches: 1,
            prompt_opportunities: 3,
            prompt_breaches: 3,
        };
        assert_eq!(kept(&counts, Measure::Prompt, None), None);
        let prompt = kept(&counts, Measure::Prompt, Some(60)).unwrap();
        assert_eq!(prompt.breach_rate(), Some(1.0));
        let spoc = kept(&counts, Measure::SinglePointOfContact, None).unwrap();
        assert_eq!(spoc.breach_rate(), Some(0.25));
        assert_eq!(Kept::default().breach_rate(), None);
    }
}
