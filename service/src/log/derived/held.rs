//! What an import wrote to the cases it created, held compactly in memory so that
//! deriving those cases reads nothing back: every interaction of a case the import
//! created is one of the import's own rows, and the write returned what the chain
//! needs of each. Reading them back is what cost the most at a million rows, one page
//! per interaction wherever the file put it.
//!
//! Memory is bounded whatever the file's size: an event takes 48 bytes and its
//! external id its length; past [`MAX_EVENTS`] events or [`MAX_TEXT`] bytes of
//! external ids, the import lets go of what it held and derives every case from the
//! database, as it would without this.

use std::num::NonZeroI64;

use rules::chain::Event;

/// Events held at most (about 58 MiB). Debug builds (the tests) hold 150, so that
/// small imports derive from what is held and larger ones from the database.
pub const MAX_EVENTS: usize = if cfg!(debug_assertions) {
    150
} else {
    1_200_000
};

/// Bytes of external ids held at most.
pub const MAX_TEXT: usize = if cfg!(debug_assertions) {
    6_000
} else {
    24 << 20
};

/// No external id (an id's length is at most a few hundred bytes).
const NO_EXTERNAL: u16 = u16::MAX;

const BURDEN: u8 = 1;
const CUSTOMER_ACTION: u8 = 2;
const DEFERRAL: u8 = 4;

/// One event as held.
#[derive(Clone, Copy, Debug)]
struct Slot {
    case_id: i64,
    id: i64,
    at: i64,
    function_id: i64,
    touchpoint_id: Option<NonZeroI64>,
    text_at: u32,
    text_len: u16,
    flags: u8,
}

/// The events held, by case once [`Held::seal`] has sorted them.
#[derive(Debug)]
pub struct Held {
    slots: Vec<Slot>,
    text: String,
    complete: bool,
    sealed: bool,
}

impl Default for Held {
    fn default() -> Held {
        // Reserved, not touched: the pages are the system's until written.
        Held {
            slots: Vec::with_capacity(MAX_EVENTS),
            text: String::with_capacity(MAX_TEXT),
            complete: true,
            sealed: false,
        }
    }
}

impl Held {
    /// Holds `event` of case `case_id`; past the bounds, lets go of everything.
    pub fn push(&mut self, case_id: i64, event: &Event) {
        if !self.complete {
            return;
        }
        let external = event.external_id.as_deref().unwrap_or_default();
        let fits = self.slots.len() < MAX_EVENTS
            && self.text.len() + external.len() <= MAX_TEXT
            && external.len() < usize::from(NO_EXTERNAL);
        if !fits {
            self.complete = false;
            self.slots = Vec::new();
            self.text = String::new();
            return;
        }
        let flags = [
            (event.burden, BURDEN),
            (event.customer_action, CUSTOMER_ACTION),
            (event.deferral_language, DEFERRAL),
        ]
        .into_iter()
        .filter(|(set, _)| *set)
        .fold(0, |flags, (_, bit)| flags | bit);
        let (text_at, text_len) = match &event.external_id {
            Some(id) => {
                let at = self.text.len() as u32;
                self.text.push_str(id);
                (at, id.len() as u16)
            }
            None => (0, NO_EXTERNAL),
        };
        self.slots.push(Slot {
            case_id,
            id: event.id,
            at: event.at,
            function_id: event.function_id,
            touchpoint_id: event.touchpoint_id.and_then(NonZeroI64::new),
            text_at,
            text_len,
            flags,
        });
    }

    /// Whether every event pushed is still held.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Orders the events by case (and recording order), for [`Held::events_of`].
    pub fn seal(&mut self) {
        self.slots.sort_unstable_by_key(|s| (s.case_id, s.id));
        self.sealed = true;
    }

    /// The earliest instant held of case `case_id`.
    pub fn first_at(&self, case_id: i64) -> Option<i64> {
        let start = self.slots.partition_point(|s| s.case_id < case_id);
        self.slots[start..]
            .iter()
            .take_while(|s| s.case_id == case_id)
            .map(|s| s.at)
            .min()
    }

    /// The events held of case `case_id`, in recording order.
    pub fn events_of(&self, case_id: i64) -> Vec<Event> {
        debug_assert!(self.sealed, "events_of before seal");
        let start = self.slots.partition_point(|s| s.case_id < case_id);
        self.slots[start..]
            .iter()
            .take_while(|s| s.case_id == case_id)
            .map(|s| Event {
                id: s.id,
                at: s.at,
                external_id: (s.text_len != NO_EXTERNAL).then(|| {
                    let from = s.text_at as usize;
                    self.text[from..from + usize::from(s.text_len)].to_owned()
                }),
                function_id: s.function_id,
                touchpoint_id: s.touchpoint_id.map(NonZeroI64::get),
                burden: s.flags & BURDEN != 0,
                customer_action: s.flags & CUSTOMER_ACTION != 0,
                deferral_language: s.flags & DEFERRAL != 0,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, external_id: Option<&str>, touchpoint_id: Option<i64>, flags: u8) -> Event {
        Event {
            id,
            at: 1_000 * id,
            external_id: external_id.map(str::to_owned),
            function_id: 7 + id,
            touchpoint_id,
            burden: flags & 1 != 0,
            customer_action: flags & 2 != 0,
            deferral_language: flags & 4 != 0,
        }
    }

    #[test]
    fn what_is_held_comes_back_by_case_as_it_went_in() {
        let mut held = Held::default();
        let events = [
            (30, event(5, Some("é-5"), Some(2), 1)),
            (10, event(2, None, None, 6)),
            (30, event(1, Some(""), Some(3), 7)),
            (20, event(3, Some("x"), None, 0)),
            (10, event(4, Some("ticket-4"), Some(9), 2)),
        ];
        for (case_id, e) in &events {
            held.push(*case_id, e);
        }
        held.seal();
        assert!(held.is_complete());
        let expect = |case_id: i64| {
            let mut of: Vec<Event> = events
                .iter()
                .filter(|(c, _)| *c == case_id)
                .map(|(_, e)| e.clone())
                .collect();
            of.sort_by_key(|e| e.id);
            of
        };
        for case_id in [10, 20, 30] {
            assert_eq!(held.events_of(case_id), expect(case_id), "case {case_id}");
        }
        assert!(held.events_of(15).is_empty());
        assert!(held.events_of(99).is_empty());
    }

    #[test]
    fn past_its_bounds_it_lets_go_of_everything() {
        let mut held = Held::default();
        for id in 1..=MAX_EVENTS as i64 {
            held.push(id % 7, &event(id, None, None, 0));
        }
        assert!(held.is_complete());
        held.push(1, &event(0, None, None, 0));
        assert!(!held.is_complete());
        assert_eq!(held.slots.capacity(), 0);

        let mut held = Held::default();
        let long = "x".repeat(MAX_TEXT / 2);
        held.push(1, &event(1, Some(&long), None, 0));
        held.push(1, &event(2, Some(&long), None, 0));
        assert!(held.is_complete());
        held.push(1, &event(3, Some("y"), None, 0));
        assert!(!held.is_complete());
    }
}
