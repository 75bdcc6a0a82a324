//! A case's interactions in order, and the steps derived from them.

use std::cmp::Ordering;
use std::collections::HashMap;

/// What the chain needs to know of one interaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Recording order: the interaction's database id.
    pub id: i64,
    pub at: i64,
    pub external_id: Option<String>,
    pub function_id: i64,
    pub touchpoint_id: Option<i64>,
    /// `customerActionRequired`, or the note matched a burden phrase.
    pub burden: bool,
    /// `customerActionRequired` alone.
    pub customer_action: bool,
    /// The note matched a deferral phrase.
    pub deferral_language: bool,
}

/// The order of docs/rules.md, "Handoffs": by instant, then by external id compared byte-wise, those
/// without one after those with one, then in recording order.
pub fn chain_order(a: &Event, b: &Event) -> Ordering {
    a.at.cmp(&b.at)
        .then_with(|| match (&a.external_id, &b.external_id) {
            (Some(x), Some(y)) => x.as_bytes().cmp(y.as_bytes()),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then_with(|| a.id.cmp(&b.id))
}

/// One interaction in its case's chain, with what the reports need (see the `step`
/// table). A step whose `prev_function_id` differs from `function_id` is a handoff
/// from the previous interaction to this one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub interaction_id: i64,
    pub position: i32,
    pub at: i64,
    pub function_id: i64,
    pub prev_interaction_id: Option<i64>,
    pub prev_function_id: Option<i64>,
    pub prev_touchpoint_id: Option<i64>,
    pub prev_at: Option<i64>,
    pub prev_same_function_at: Option<i64>,
    pub prev_handoff_from_at: Option<i64>,
    pub ping_pong: bool,
    pub customer_burden: bool,
    pub deferral_language: bool,
    pub is_last: bool,
    /// This interaction's own touchpoint.
    pub touchpoint_id: Option<i64>,
    /// The previous interaction required customer action.
    pub prev_customer_action: bool,
    /// This interaction came later than the previous one's touchpoint promises
    /// (`promptWithin`), and the previous one did not wait on the customer.
    pub prompt_breach: bool,
}

/// How soon (µs) the next interaction must follow one at a touchpoint, by touchpoint;
/// touchpoints without `promptWithin` are absent.
pub type PromptWithin = HashMap<i64, i64>;

/// Whether the interaction at `at` breaks the PROMPT promise of the one before it
/// (at `prev_at`, at a touchpoint promising `within`, waiting on the customer or not).
pub fn prompt_breach(
    prev_at: i64,
    at: i64,
    within: Option<i64>,
    prev_customer_action: bool,
) -> bool {
    within.is_some_and(|within| !prev_customer_action && at - prev_at > within)
}

impl Step {
    /// Whether this step is a handoff (its function differs from the previous one's).
    pub fn is_handoff(&self) -> bool {
        self.prev_function_id
            .is_some_and(|prev| prev != self.function_id)
    }
}

/// Sorts a case's events into chain order and derives one step per event.
pub fn derive(events: &mut [Event], prompt_within: &PromptWithin) -> Vec<Step> {
    events.sort_by(chain_order);
    let mut steps = Vec::with_capacity(events.len());
    let mut last_at_by_function: HashMap<i64, i64> = HashMap::new();
    // The case's function sequence with consecutive repeats removed (the rules' G).
    let mut collapsed: Vec<i64> = Vec::new();
    let mut last_handoff_from_at: Option<i64> = None;
    let count = events.len();
    for (index, event) in events.iter().enumerate() {
        let prev = index.checked_sub(1).map(|i| &events[i]);
        let prev_same_function_at = last_at_by_function.insert(event.function_id, event.at);
        let mut step = Step {
            interaction_id: event.id,
            position: i32::try_from(index).unwrap_or(i32::MAX),
            at: event.at,
            function_id: event.function_id,
            prev_interaction_id: prev.map(|p| p.id),
            prev_function_id: prev.map(|p| p.function_id),
            prev_touchpoint_id: prev.and_then(|p| p.touchpoint_id),
            prev_at: prev.map(|p| p.at),
            prev_same_function_at,
            prev_handoff_from_at: None,
            ping_pong: false,
            customer_burden: prev.is_some_and(|p| p.burden),
            deferral_language: prev.is_some_and(|p| p.deferral_language),
            is_last: index + 1 == count,
            touchpoint_id: event.touchpoint_id,
            prev_customer_action: prev.is_some_and(|p| p.customer_action),
            prompt_breach: prev.is_some_and(|p| {
                let within = p.touchpoint_id.and_then(|t| prompt_within.get(&t).copied());
                prompt_breach(p.at, event.at, within, p.customer_action)
            }),
        };
        match prev {
            None => collapsed.push(event.function_id),
            Some(p) if p.function_id != event.function_id => {
                collapsed.push(event.function_id);
                let k = collapsed.len() - 1;
                step.ping_pong = k >= 2 && collapsed[k] == collapsed[k - 2];
                step.prev_handoff_from_at = last_handoff_from_at;
                last_handoff_from_at = Some(p.at);
            }
            Some(_) => {}
        }
        steps.push(step);
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, at: i64, external_id: Option<&str>, function_id: i64) -> Event {
        Event {
            id,
            at,
            external_id: external_id.map(str::to_owned),
            function_id,
            touchpoint_id: Some(100 + id),
            burden: id == 2,
            customer_action: false,
            deferral_language: false,
        }
    }

    #[test]
    fn ties_in_time_are_broken_by_external_id_then_recording_order() {
        let mut events = vec![
            event(1, 10, None, 1),
            event(2, 10, Some("b"), 2),
            event(3, 10, Some("a"), 3),
            event(4, 10, None, 4),
            event(5, 5, None, 5),
        ];
        let order: Vec<i64> = derive(&mut events, &PromptWithin::new())
            .iter()
            .map(|s| s.interaction_id)
            .collect();
        assert_eq!(order, vec![5, 3, 2, 1, 4]);
    }

    #[test]
    fn a_bounce_back_is_a_ping_pong_and_repeats_are_not_handoffs() {
        // A A B A C A: collapsed A B A C A; the handoffs B->A (k=2) and C->A (k=4) bounce.
        let mut events: Vec<Event> = [1, 1, 2, 1, 3, 1]
            .iter()
            .enumerate()
            .map(|(i, f)| event(i as i64, i as i64, None, *f))
            .collect();
        let steps = derive(&mut events, &PromptWithin::new());
        let handoffs: Vec<(usize, bool)> = steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_handoff())
            .map(|(i, s)| (i, s.ping_pong))
            .collect();
        assert_eq!(handoffs, vec![(2, false), (3, true), (4, false), (5, true)]);
        assert_eq!(steps[3].prev_same_function_at, Some(1));
        assert_eq!(steps[4].prev_handoff_from_at, Some(2));
        assert!(steps[5].is_last && !steps[4].is_last);
        // The burden of interaction 2 travels on the step after it.
        assert!(steps[3].customer_burden && !steps[2].customer_burden);
        assert_eq!(steps[3].prev_touchpoint_id, Some(102));
    }
}
