//! Handoff flags (docs/rules.md, "Flags") against the organization's map as it is now.

use std::collections::HashSet;

use crate::chain::Step;

/// The default deferral phrases of docs/rules.md.
pub const DEFAULT_DEFERRAL_PHRASES: &[&str] = &[
    "cx team",
    "customer experience",
    "not our department",
    "not my department",
    "not our job",
    "not my job",
    "someone else",
    "another team",
    "another department",
];

/// The default burden phrases of docs/rules.md.
pub const DEFAULT_BURDEN_PHRASES: &[&str] = &[
    "customer will have to",
    "customer will need to",
    "customer needs to",
    "customer has to",
    "ask the customer to",
    "asked the customer to",
    "customer must",
    "call back",
];

/// A list of phrases matched as lower-cased plain substrings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Phrases(Vec<String>);

impl Phrases {
    /// Lower-cases every phrase; empty phrases are dropped.
    pub fn new<S: AsRef<str>>(phrases: impl IntoIterator<Item = S>) -> Self {
        Phrases(
            phrases
                .into_iter()
                .map(|p| p.as_ref().to_lowercase())
                .filter(|p| !p.is_empty())
                .collect(),
        )
    }

    /// Whether the note contains any phrase, both sides lower-cased.
    pub fn matches(&self, note: Option<&str>) -> bool {
        let Some(note) = note else { return false };
        if self.0.is_empty() {
            return false;
        }
        let note = note.to_lowercase();
        self.0.iter().any(|phrase| note.contains(phrase.as_str()))
    }

    /// The phrases, lower-cased.
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

/// What flags depend on: which functions are CX teams and who owns which touchpoint.
#[derive(Clone, Debug, Default)]
pub struct OrgMap {
    cx_teams: HashSet<i64>,
    /// (touchpoint, function) pairs with an ACCOUNTABLE or RESPONSIBLE role.
    owners: HashSet<(i64, i64)>,
    /// Touchpoints some CX team is ACCOUNTABLE or RESPONSIBLE for.
    cx_owned: HashSet<i64>,
}

impl OrgMap {
    /// Builds the map from the CX teams and the owning (touchpoint, function) pairs.
    pub fn new(
        cx_teams: impl IntoIterator<Item = i64>,
        owners: impl IntoIterator<Item = (i64, i64)>,
    ) -> Self {
        let cx_teams: HashSet<i64> = cx_teams.into_iter().collect();
        let owners: HashSet<(i64, i64)> = owners.into_iter().collect();
        let cx_owned = owners
            .iter()
            .filter(|(_, function)| cx_teams.contains(function))
            .map(|(touchpoint, _)| *touchpoint)
            .collect();
        OrgMap {
            cx_teams,
            owners,
            cx_owned,
        }
    }

    pub fn is_cx(&self, function_id: i64) -> bool {
        self.cx_teams.contains(&function_id)
    }

    pub fn cx_teams(&self) -> &HashSet<i64> {
        &self.cx_teams
    }

    /// Touchpoints a CX team owns.
    pub fn cx_owned_touchpoints(&self) -> &HashSet<i64> {
        &self.cx_owned
    }

    /// The owning (touchpoint, function) pairs.
    pub fn owners(&self) -> &HashSet<(i64, i64)> {
        &self.owners
    }

    /// The flags of a handoff `from → to` at `touchpoint` whose first interaction
    /// carried the given burden and deferral-language marks.
    pub fn classify(&self, handoff: &HandoffKey) -> Flags {
        let deferral_to_cx = self.is_cx(handoff.to) && !self.is_cx(handoff.from);
        Flags {
            deferral_to_cx,
            silo: deferral_to_cx
                && handoff
                    .touchpoint
                    .is_none_or(|tp| !self.cx_owned.contains(&tp)),
            owned_deferral: deferral_to_cx
                && handoff
                    .touchpoint
                    .is_some_and(|tp| self.owners.contains(&(tp, handoff.from))),
            ping_pong: handoff.ping_pong,
            customer_burden: handoff.customer_burden,
            deferral_language: handoff.deferral_language,
        }
    }
}

/// What a handoff's flags are computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct HandoffKey {
    pub from: i64,
    pub to: i64,
    pub touchpoint: Option<i64>,
    pub ping_pong: bool,
    pub customer_burden: bool,
    pub deferral_language: bool,
}

impl HandoffKey {
    /// The flag inputs of a handoff step (see [`Step::is_handoff`]).
    pub fn of(step: &Step) -> HandoffKey {
        HandoffKey {
            from: step.prev_function_id.unwrap_or_default(),
            to: step.function_id,
            touchpoint: step.prev_touchpoint_id,
            ping_pong: step.ping_pong,
            customer_burden: step.customer_burden,
            deferral_language: step.deferral_language,
        }
    }
}

impl OrgMap {
    /// The flags of a handoff step.
    pub fn flags_of(&self, step: &Step) -> Flags {
        self.classify(&HandoffKey::of(step))
    }

    /// How many of a case's steps are SILO handoffs.
    pub fn silo_count(&self, steps: &[Step]) -> i64 {
        steps
            .iter()
            .filter(|s| s.is_handoff() && self.flags_of(s).silo)
            .count() as i64
    }
}

/// The flags of one handoff; several can hold at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Flags {
    pub deferral_to_cx: bool,
    pub silo: bool,
    pub owned_deferral: bool,
    pub ping_pong: bool,
    pub customer_burden: bool,
    pub deferral_language: bool,
}

/// The six flags, for listing and filtering.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flag {
    DeferralToCx,
    Silo,
    OwnedDeferral,
    PingPong,
    CustomerBurden,
    DeferralLanguage,
}

impl Flag {
    pub const ALL: [Flag; 6] = [
        Flag::DeferralToCx,
        Flag::Silo,
        Flag::OwnedDeferral,
        Flag::PingPong,
        Flag::CustomerBurden,
        Flag::DeferralLanguage,
    ];

    /// The flag's name in every door's vocabulary: the GraphQL enum value, webhook
    /// messages and exports spell it so (a test holds the schema to it).
    pub fn name(self) -> &'static str {
        match self {
            Flag::DeferralToCx => "DEFERRAL_TO_CX",
            Flag::Silo => "SILO",
            Flag::OwnedDeferral => "OWNED_DEFERRAL",
            Flag::PingPong => "PING_PONG",
            Flag::CustomerBurden => "CUSTOMER_BURDEN",
            Flag::DeferralLanguage => "DEFERRAL_LANGUAGE",
        }
    }
}

impl Flags {
    pub fn has(&self, flag: Flag) -> bool {
        match flag {
            Flag::DeferralToCx => self.deferral_to_cx,
            Flag::Silo => self.silo,
            Flag::OwnedDeferral => self.owned_deferral,
            Flag::PingPong => self.ping_pong,
            Flag::CustomerBurden => self.customer_burden,
            Flag::DeferralLanguage => self.deferral_language,
        }
    }

    /// The flags that hold, in a fixed order.
    pub fn list(&self) -> Vec<Flag> {
        Flag::ALL.into_iter().filter(|f| self.has(*f)).collect()
    }
}

/// Counts of each flag over a set of handoffs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlagCounts {
    pub handoffs: i64,
    pub deferrals_to_cx: i64,
    pub silo_handoffs: i64,
    pub owned_deferrals: i64,
    pub ping_pongs: i64,
    pub customer_burden: i64,
    pub deferral_language: i64,
}

impl FlagCounts {
    /// Adds another set's counts.
    pub fn merge(&mut self, other: &FlagCounts) {
        self.handoffs += other.handoffs;
        self.deferrals_to_cx += other.deferrals_to_cx;
        self.silo_handoffs += other.silo_handoffs;
        self.owned_deferrals += other.owned_deferrals;
        self.ping_pongs += other.ping_pongs;
        self.customer_burden += other.customer_burden;
        self.deferral_language += other.deferral_language;
    }

    /// Adds `count` handoffs that all carry `flags`.
    pub fn add(&mut self, flags: Flags, count: i64) {
        let of = |holds: bool| if holds { count } else { 0 };
        self.handoffs += count;
        self.deferrals_to_cx += of(flags.deferral_to_cx);
        self.silo_handoffs += of(flags.silo);
        self.owned_deferrals += of(flags.owned_deferral);
        self.ping_pongs += of(flags.ping_pong);
        self.customer_burden += of(flags.customer_burden);
        self.deferral_language += of(flags.deferral_language);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(from: i64, to: i64, touchpoint: Option<i64>) -> HandoffKey {
        HandoffKey {
            from,
            to,
            touchpoint,
            ping_pong: false,
            customer_burden: false,
            deferral_language: false,
        }
    }

    #[test]
    fn a_deferral_to_cx_is_a_silo_unless_cx_owns_the_touchpoint() {
        // Function 9 is CX; it owns touchpoint 2; function 1 owns touchpoint 1.
        let map = OrgMap::new([9], [(1, 1), (2, 9)]);
        let owned = map.classify(&key(1, 9, Some(1)));
        assert!(owned.deferral_to_cx && owned.silo && owned.owned_deferral);
        let designed = map.classify(&key(1, 9, Some(2)));
        assert!(designed.deferral_to_cx && !designed.silo && !designed.owned_deferral);
        let no_touchpoint = map.classify(&key(1, 9, None));
        assert!(no_touchpoint.silo && !no_touchpoint.owned_deferral);
        assert_eq!(map.classify(&key(9, 1, Some(1))), Flags::default());
        // CX to CX is not a deferral.
        let map = OrgMap::new([8, 9], []);
        assert!(!map.classify(&key(8, 9, None)).deferral_to_cx);
    }

    #[test]
    fn phrases_match_case_insensitively_as_substrings() {
        let phrases = Phrases::new(["Not My Job", "ÉQUIPE"]);
        assert!(phrases.matches(Some("Honestly, NOT MY JOB.")));
        assert!(phrases.matches(Some("voir l'équipe cx")));
        assert!(!phrases.matches(Some("not my jo")));
        assert!(!phrases.matches(None));
        assert!(!Phrases::new([""]).matches(Some("anything")));
    }
}
