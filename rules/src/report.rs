//! Folding grouped step counts into the figures of docs/rules.md, "Reports".
//!
//! The database groups a window's steps by everything a flag depends on, and counts
//! the window's first step of each case, of each (case, function) and of each case's
//! first handoff inside the window (see `service::report`: from the steps, or from the
//! daily rollups for whole days). What is left is small and folded here against the
//! organization's current map.

use std::collections::BTreeMap;

use super::flags::{FlagCounts, Flags, HandoffKey, OrgMap};

/// One group of a window's steps sharing every column the chart-dependent flags
/// depend on (the previous function, the function, the touchpoint), with how many of
/// them carry each mark that is the chain's own (ping-pong, burden, deferral
/// language): those flags need no chart, so they are counted, not grouped by.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepGroup {
    /// The previous interaction's function; `None` for a case's first interaction.
    pub from: Option<i64>,
    pub to: i64,
    pub touchpoint: Option<i64>,
    /// Steps (interactions) in the group.
    pub count: i64,
    /// Steps that are their case's last interaction.
    pub case_ends: i64,
    /// Steps that are PING_PONG handoffs.
    pub ping_pongs: i64,
    /// Steps that are handoffs after a burden was left to the customer.
    pub customer_burdens: i64,
    /// Steps that are handoffs after deferral language.
    pub deferral_languages: i64,
    /// Steps whose previous interaction did not wait on the customer (PROMPT
    /// opportunities where the touchpoint sets `promptWithin`).
    pub prompt_opportunities: i64,
    /// Steps that came later than the touchpoint's `promptWithin`.
    pub prompt_breaches: i64,
}

impl StepGroup {
    /// The group's handoffs by flag, given the chart-dependent flags they share.
    fn flag_counts(&self, shared: Flags) -> FlagCounts {
        let mut counts = FlagCounts::default();
        counts.add(shared, self.count);
        counts.ping_pongs = self.ping_pongs;
        counts.customer_burden = self.customer_burdens;
        counts.deferral_language = self.deferral_languages;
        counts
    }
}

/// The window-dependent counts of a window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Entries {
    /// Steps that are their case's first interaction in the window: the window's cases.
    pub cases: i64,
    /// Per function, steps that are the first in the window of their (case, function).
    pub function_entries: BTreeMap<i64, i64>,
    /// Handoffs that are their case's first handoff with both ends in the window.
    pub first_inner_handoffs: i64,
}

impl Entries {
    /// Counts `count` entries of `kind` (`function_id` matters for function entries).
    pub fn add(&mut self, kind: EntryKind, function_id: i64, count: i64) {
        match kind {
            EntryKind::Case => self.cases += count,
            EntryKind::Function => *self.function_entries.entry(function_id).or_default() += count,
            EntryKind::Handoff => self.first_inner_handoffs += count,
        }
    }
}

/// What an entry counts (see [`Entries`]); rollups store one row per kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// A step with its case's previous interaction on `prev_day`.
    Case,
    /// A step with its (case, function)'s previous interaction on `prev_day`.
    Function,
    /// A handoff from an interaction on `prev_day`, the case's previous handoff
    /// being from an interaction on `prev_day2`.
    Handoff,
}

impl EntryKind {
    /// The kind's number in storage.
    pub fn code(self) -> i16 {
        match self {
            EntryKind::Case => 0,
            EntryKind::Function => 1,
            EntryKind::Handoff => 2,
        }
    }

    pub fn from_code(code: i16) -> Option<EntryKind> {
        match code {
            0 => Some(EntryKind::Case),
            1 => Some(EntryKind::Function),
            2 => Some(EntryKind::Handoff),
            _ => None,
        }
    }

    /// Whether an entry of this kind counts for a period starting on `first_day`
    /// (`None`: a period open at the start). Cases and (case, function)s enter a
    /// period at their first step in it; a case's first handoff with both ends in it
    /// is the one whose previous handoff started before it.
    pub fn counts(self, prev_day: i64, prev_day2: i64, first_day: Option<i64>) -> bool {
        let first = first_day.unwrap_or(crate::calendar::NO_DAY + 1);
        match self {
            EntryKind::Case | EntryKind::Function => prev_day < first,
            EntryKind::Handoff => prev_day >= first && prev_day2 < first,
        }
    }
}

/// Totals of a report.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Totals {
    pub cases: i64,
    pub interactions: i64,
    pub flags: FlagCounts,
    pub cases_ending_at_cx: i64,
    /// Share of the window's cases whose window interactions all have one function.
    pub single_point_of_contact_rate: Option<f64>,
    /// Mean number of distinct functions over the window's cases.
    pub mean_functions_per_case: Option<f64>,
}

impl Totals {
    /// deferralsToCx / handoffs, `None` when there is no handoff.
    pub fn deferral_rate(&self) -> Option<f64> {
        ratio(self.flags.deferrals_to_cx, self.flags.handoffs)
    }
}

/// Figures attributed to one function.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FunctionFigures {
    /// Handoffs from this function, with their flags.
    pub out: FlagCounts,
    pub handoffs_in: i64,
    pub cases_touched: i64,
}

impl FunctionFigures {
    /// deferralsToCx / handoffsOut, `None` when there is no handoff out.
    pub fn deferral_rate(&self) -> Option<f64> {
        ratio(self.out.deferrals_to_cx, self.out.handoffs)
    }
}

/// A report over a window.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub totals: Totals,
    pub by_function: BTreeMap<i64, FunctionFigures>,
    /// Keyed by touchpoint; `None` for handoffs without one.
    pub by_touchpoint: BTreeMap<Option<i64>, FlagCounts>,
    /// Handoffs per (from, to).
    pub edges: BTreeMap<(i64, i64), FlagCounts>,
    /// Consecutive pairs (same-function pairs included) per (from, to).
    pub pairs: BTreeMap<(i64, i64), i64>,
    /// The promises of each touchpoint as the log kept them (docs/rules.md §6), by
    /// the touchpoint of the pair's first interaction.
    pub promises: BTreeMap<i64, PromiseCounts>,
}

/// Opportunities and breaches of the two measurable promises at one touchpoint.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PromiseCounts {
    /// Interactions here with a next interaction in their case.
    pub spoc_opportunities: i64,
    /// ... whose next interaction is by another function (a handoff).
    pub spoc_breaches: i64,
    /// Interactions here with a next one, not waiting on the customer.
    pub prompt_opportunities: i64,
    /// ... whose next one came later than `promptWithin`.
    pub prompt_breaches: i64,
}

impl PromiseCounts {
    /// Adds another's counts.
    pub fn merge(&mut self, other: &PromiseCounts) {
        self.spoc_opportunities += other.spoc_opportunities;
        self.spoc_breaches += other.spoc_breaches;
        self.prompt_opportunities += other.prompt_opportunities;
        self.prompt_breaches += other.prompt_breaches;
    }
}

impl Report {
    /// Handover-of-work weights: each pair's count over all pairs in the window.
    pub fn handover_of_work(&self) -> BTreeMap<(i64, i64), f64> {
        let total: i64 = self.pairs.values().sum();
        self.pairs
            .iter()
            .filter_map(|(edge, count)| ratio(*count, total).map(|w| (*edge, w)))
            .collect()
    }
}

/// Current minus earlier totals, figure by figure.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TotalsDelta {
    pub cases: i64,
    pub interactions: i64,
    pub flags: FlagCounts,
    pub cases_ending_at_cx: i64,
    /// `None` when either period has no case.
    pub single_point_of_contact_rate: Option<f64>,
    /// `None` when either period has no case.
    pub mean_functions_per_case: Option<f64>,
    /// `None` when either period has no handoff.
    pub deferral_rate: Option<f64>,
}

impl TotalsDelta {
    /// `now` minus `then`.
    pub fn between(now: &Totals, then: &Totals) -> Self {
        let minus = |a: Option<f64>, b: Option<f64>| a.zip(b).map(|(a, b)| a - b);
        let (a, b) = (&now.flags, &then.flags);
        TotalsDelta {
            cases: now.cases - then.cases,
            interactions: now.interactions - then.interactions,
            flags: FlagCounts {
                handoffs: a.handoffs - b.handoffs,
                deferrals_to_cx: a.deferrals_to_cx - b.deferrals_to_cx,
                silo_handoffs: a.silo_handoffs - b.silo_handoffs,
                owned_deferrals: a.owned_deferrals - b.owned_deferrals,
                ping_pongs: a.ping_pongs - b.ping_pongs,
                customer_burden: a.customer_burden - b.customer_burden,
                deferral_language: a.deferral_language - b.deferral_language,
            },
            cases_ending_at_cx: now.cases_ending_at_cx - then.cases_ending_at_cx,
            single_point_of_contact_rate: minus(
                now.single_point_of_contact_rate,
                then.single_point_of_contact_rate,
            ),
            mean_functions_per_case: minus(
                now.mean_functions_per_case,
                then.mean_functions_per_case,
            ),
            deferral_rate: minus(now.deferral_rate(), then.deferral_rate()),
        }
    }
}

fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    (denominator != 0).then(|| numerator as f64 / denominator as f64)
}

/// Folds the groups and entries of a window into a report.
pub fn fold(groups: &[StepGroup], entries: &Entries, map: &OrgMap) -> Report {
    let mut report = Report::default();
    for (function, count) in &entries.function_entries {
        if *count != 0 {
            report
                .by_function
                .entry(*function)
                .or_default()
                .cases_touched += count;
        }
    }
    for group in groups {
        let totals = &mut report.totals;
        totals.interactions += group.count;
        if map.is_cx(group.to) {
            totals.cases_ending_at_cx += group.case_ends;
        }
        let Some(from) = group.from else { continue };
        *report.pairs.entry((from, group.to)).or_default() += group.count;
        if let Some(touchpoint) = group.touchpoint {
            let promise = report.promises.entry(touchpoint).or_default();
            promise.spoc_opportunities += group.count;
            if from != group.to {
                promise.spoc_breaches += group.count;
            }
            promise.prompt_opportunities += group.prompt_opportunities;
            promise.prompt_breaches += group.prompt_breaches;
        }
        if from == group.to {
            continue;
        }
        let flags = group.flag_counts(map.classify(&HandoffKey {
            from,
            to: group.to,
            touchpoint: group.touchpoint,
            ping_pong: false,
            customer_burden: false,
            deferral_language: false,
        }));
        report.totals.flags.merge(&flags);
        report
            .by_function
            .entry(from)
            .or_default()
            .out
            .merge(&flags);
        report.by_function.entry(group.to).or_default().handoffs_in += group.count;
        report
            .by_touchpoint
            .entry(group.touchpoint)
            .or_default()
            .merge(&flags);
        report
            .edges
            .entry((from, group.to))
            .or_default()
            .merge(&flags);
    }
    let totals = &mut report.totals;
    totals.cases = entries.cases;
    totals.single_point_of_contact_rate =
        ratio(totals.cases - entries.first_inner_handoffs, totals.cases);
    totals.mean_functions_per_case = ratio(entries.function_entries.values().sum(), totals.cases);
    report
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::chain::{derive, Event};
    use crate::Window;

    /// Groups steps the way the database does, for a window.
    pub(crate) fn group(steps: &[crate::chain::Step], window: Window) -> (Vec<StepGroup>, Entries) {
        let from = window.lower();
        let mut entries = Entries::default();
        let groups = steps
            .iter()
            .filter(|s| window.contains(s.at))
            .map(|s| {
                entries.cases += i64::from(s.prev_at.is_none_or(|at| at < from));
                *entries.function_entries.entry(s.function_id).or_default() +=
                    i64::from(s.prev_same_function_at.is_none_or(|at| at < from));
                entries.first_inner_handoffs += i64::from(
                    s.is_handoff()
                        && s.prev_at.is_some_and(|at| at >= from)
                        && s.prev_handoff_from_at.is_none_or(|at| at < from),
                );
                StepGroup {
                    from: s.prev_function_id,
                    to: s.function_id,
                    touchpoint: s.prev_touchpoint_id,
                    count: 1,
                    case_ends: i64::from(s.is_last),
                    ping_pongs: i64::from(s.ping_pong),
                    customer_burdens: i64::from(s.customer_burden),
                    deferral_languages: i64::from(s.deferral_language),
                    prompt_opportunities: i64::from(
                        s.prev_function_id.is_some() && !s.prev_customer_action,
                    ),
                    prompt_breaches: i64::from(s.prompt_breach),
                }
            })
            .collect();
        (groups, entries)
    }

    fn case(id_base: i64, functions: &[(i64, i64)]) -> Vec<crate::chain::Step> {
        let mut events: Vec<Event> = functions
            .iter()
            .enumerate()
            .map(|(i, (at, function_id))| Event {
                id: id_base + i as i64,
                at: *at,
                external_id: None,
                function_id: *function_id,
                touchpoint_id: None,
                burden: false,
                customer_action: false,
                deferral_language: false,
            })
            .collect();
        derive(&mut events, &crate::chain::PromptWithin::new())
    }

    #[test]
    fn a_window_counts_cases_functions_and_single_points_of_contact() {
        // Case A: 1@0 2@10 2@20 1@30; case B: 3@15 3@25. CX is 2.
        let mut steps = case(0, &[(0, 1), (10, 2), (20, 2), (30, 1)]);
        steps.extend(case(10, &[(15, 3), (25, 3)]));
        let map = OrgMap::new([2], []);

        let (g, e) = group(&steps, Window::ALL);
        let whole = fold(&g, &e, &map);
        assert_eq!(whole.totals.cases, 2);
        assert_eq!(whole.totals.interactions, 6);
        assert_eq!(whole.totals.flags.handoffs, 2);
        assert_eq!(whole.totals.flags.deferrals_to_cx, 1);
        assert_eq!(whole.totals.single_point_of_contact_rate, Some(0.5));
        assert_eq!(whole.totals.mean_functions_per_case, Some(1.5));
        assert_eq!(whole.totals.cases_ending_at_cx, 0);

        // [12, 30): A has only 2@20 inside (one function), B has both.
        let window = Window {
            from: Some(12),
            to: Some(30),
        };
        let (g, e) = group(&steps, window);
        let inner = fold(&g, &e, &map);
        assert_eq!(inner.totals.cases, 2);
        assert_eq!(inner.totals.interactions, 3);
        assert_eq!(inner.totals.flags.handoffs, 0);
        assert_eq!(inner.totals.single_point_of_contact_rate, Some(1.0));
        assert_eq!(inner.by_function[&2].cases_touched, 1);
        assert_eq!(inner.totals.cases_ending_at_cx, 0);

        // [5, 31): A's 2@10..1@30 has a handoff with both ends inside.
        let window = Window {
            from: Some(5),
            to: Some(31),
        };
        let (g, e) = group(&steps, window);
        let late = fold(&g, &e, &map);
        assert_eq!(late.totals.single_point_of_contact_rate, Some(0.5));
        assert_eq!(late.totals.flags.handoffs, 2);
        assert_eq!(late.pairs.values().sum::<i64>(), 4);

        let empty = fold(&[], &Entries::default(), &map);
        assert_eq!(empty.totals.single_point_of_contact_rate, None);
        assert_eq!(empty.totals.mean_functions_per_case, None);
        assert!(empty.handover_of_work().is_empty());
    }
}
