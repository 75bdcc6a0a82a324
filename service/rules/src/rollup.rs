//! Daily rollups of the steps: what a report over whole UTC days reads instead of the
//! steps themselves. The service's SQL rebuild of the rollups buckets the same way.

use std::collections::HashMap;

use super::chain::Step;

/// Microseconds in a day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// The day of a missing instant.
pub const NO_DAY: i64 = i64::MIN;

/// Days since the Unix epoch (UTC) of an instant in microseconds.
pub fn day(at: i64) -> i64 {
    at.div_euclid(DAY_MICROS)
}

fn day_of(at: Option<i64>) -> i64 {
    at.map_or(NO_DAY, day)
}

/// The key of a `step_daily` row (0 stands for a missing previous function or touchpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DailyKey {
    pub day: i64,
    pub prev_function_id: i64,
    pub function_id: i64,
    pub prev_touchpoint_id: i64,
    pub ping_pong: bool,
    pub customer_burden: bool,
    pub deferral_language: bool,
}

/// The key of a `step_daily_entry` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryKey {
    pub day: i64,
    /// 0: case entries, 1: function entries, 2: handoffs for single-point-of-contact.
    pub kind: i16,
    pub function_id: i64,
    pub prev_day: i64,
    pub prev_day2: i64,
}

/// Changes to the rollups: (count, case ends) per daily key, count per entry key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RollupDelta {
    pub daily: HashMap<DailyKey, (i64, i64)>,
    pub entries: HashMap<EntryKey, i64>,
}

impl RollupDelta {
    /// Adds (`sign` = 1) or removes (`sign` = -1) the contribution of steps.
    pub fn add(&mut self, steps: &[Step], sign: i64) {
        for s in steps {
            let day = day(s.at);
            let daily = self
                .daily
                .entry(DailyKey {
                    day,
                    prev_function_id: s.prev_function_id.unwrap_or(0),
                    function_id: s.function_id,
                    prev_touchpoint_id: s.prev_touchpoint_id.unwrap_or(0),
                    ping_pong: s.ping_pong,
                    customer_burden: s.customer_burden,
                    deferral_language: s.deferral_language,
                })
                .or_default();
            daily.0 += sign;
            daily.1 += sign * i64::from(s.is_last);
            let mut entry = |kind, function_id, prev_day, prev_day2| {
                *self
                    .entries
                    .entry(EntryKey {
                        day,
                        kind,
                        function_id,
                        prev_day,
                        prev_day2,
                    })
                    .or_default() += sign;
            };
            entry(0, 0, day_of(s.prev_at), NO_DAY);
            entry(1, s.function_id, day_of(s.prev_same_function_at), NO_DAY);
            if s.is_handoff() {
                entry(2, 0, day_of(s.prev_at), day_of(s.prev_handoff_from_at));
            }
        }
    }

    /// Adds another delta's changes.
    pub fn merge(&mut self, other: RollupDelta) {
        for (key, (count, ends)) in other.daily {
            let mine = self.daily.entry(key).or_default();
            mine.0 += count;
            mine.1 += ends;
        }
        for (key, count) in other.entries {
            *self.entries.entry(key).or_default() += count;
        }
    }

    /// Drops the keys whose changes cancel out.
    pub fn compact(&mut self) {
        self.daily.retain(|_, v| *v != (0, 0));
        self.entries.retain(|_, v| *v != 0);
    }
}

/// Whether a window can be answered from the rollups: each end open or a UTC midnight.
pub fn aligned(window: super::Window) -> bool {
    [window.from, window.to]
        .into_iter()
        .flatten()
        .all(|at| at.rem_euclid(DAY_MICROS) == 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_floor_before_the_epoch() {
        assert_eq!(day(0), 0);
        assert_eq!(day(DAY_MICROS - 1), 0);
        assert_eq!(day(-1), -1);
        assert_eq!(day(-DAY_MICROS), -1);
    }
}
