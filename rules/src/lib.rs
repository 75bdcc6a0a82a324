//! siloscope's detection rules (docs/rules.md) as plain functions over plain data.
//!
//! This crate depends on nothing: no database, no web framework, no other crate of
//! siloscope's. What the rules need arrives as numbers and strings; what they find
//! leaves as plain structs. That keeps them testable alone and the same for every door.
//!
//! * [`chain`] orders a case's interactions and derives its steps ("Handoffs");
//! * [`flags`] classifies a handoff against the organization's current map ("Flags");
//! * [`report`] folds grouped step counts into the report figures ("Reports");
//! * [`calendar`] says which local day an instant falls on, and which days start months;
//! * [`rollup`] buckets steps by local day and month for the pre-aggregated reports;
//! * [`ownership`] finds the gaps of the responsibility map ("Ownership findings");
//! * [`drift`] holds the map against the log: de facto owners and promises kept
//!   ("The chart against the log");
//! * [`voice`] holds what customers say against the silo handoffs of their cases
//!   ("What customers say").

pub mod calendar;
pub mod chain;
pub mod drift;
pub mod flags;
pub mod ownership;
pub mod report;
pub mod rollup;
pub mod voice;

/// A half-open window `[from, to)` of instants in microseconds; either end may be open.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Window {
    pub from: Option<i64>,
    pub to: Option<i64>,
}

impl Window {
    /// The whole timeline.
    pub const ALL: Window = Window {
        from: None,
        to: None,
    };

    /// Whether the instant `at` lies in the window.
    pub fn contains(&self, at: i64) -> bool {
        self.from.is_none_or(|from| at >= from) && self.to.is_none_or(|to| at < to)
    }

    /// The lower bound, `i64::MIN` when open.
    pub fn lower(&self) -> i64 {
        self.from.unwrap_or(i64::MIN)
    }

    /// The upper bound, `i64::MAX` when open.
    pub fn upper(&self) -> i64 {
        self.to.unwrap_or(i64::MAX)
    }
}
