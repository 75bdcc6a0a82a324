//! Rollups of the steps by local day and by local month: what a report over whole
//! days of the organization's calendar reads instead of the steps themselves.
//!
//! Every step counts once in its day's bucket and once in its month's. A report's
//! window is covered by whole months where it can and by days at its edges
//! ([`cover`]); a trend reads one level for all its periods ([`fold_periods`]).

use std::collections::HashMap;

use crate::calendar::{Calendar, NO_DAY};
use crate::chain::Step;
use crate::flags::OrgMap;
pub use crate::report::EntryKind;
use crate::report::{fold, Entries, Report, StepGroup};

/// How long a bucket is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    Day,
    Month,
}

impl Level {
    pub const ALL: [Level; 2] = [Level::Day, Level::Month];

    /// The level's number in storage.
    pub fn code(self) -> i16 {
        match self {
            Level::Day => 0,
            Level::Month => 1,
        }
    }
}

/// The key of a group row: a bucket and every column a chart-dependent flag depends
/// on (0 stands for a missing previous function or touchpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupKey {
    pub level: Level,
    /// The bucket's first local day.
    pub first_day: i64,
    pub prev_function_id: i64,
    pub function_id: i64,
    pub prev_touchpoint_id: i64,
}

/// The counts of a group row (see [`StepGroup`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GroupCounts {
    pub count: i64,
    pub case_ends: i64,
    pub ping_pongs: i64,
    pub customer_burdens: i64,
    pub deferral_languages: i64,
    pub prompt_opportunities: i64,
    pub prompt_breaches: i64,
}

impl GroupCounts {
    fn merge(&mut self, other: GroupCounts) {
        self.count += other.count;
        self.case_ends += other.case_ends;
        self.ping_pongs += other.ping_pongs;
        self.customer_burdens += other.customer_burdens;
        self.deferral_languages += other.deferral_languages;
        self.prompt_opportunities += other.prompt_opportunities;
        self.prompt_breaches += other.prompt_breaches;
    }

    fn is_zero(&self) -> bool {
        *self == GroupCounts::default()
    }
}

/// The key of an entry row. Days on or after the bucket's first day are stored as
/// that day: every period that holds the whole bucket starts on it or before, so
/// they count alike, and a month's bucket keeps a few rows instead of one per day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryKey {
    pub level: Level,
    pub first_day: i64,
    pub kind: EntryKind,
    pub function_id: i64,
    pub prev_day: i64,
    pub prev_day2: i64,
}

/// The key of a touchpoint row: interactions of a bucket by touchpoint and function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TouchpointKey {
    pub level: Level,
    pub first_day: i64,
    pub touchpoint_id: i64,
    pub function_id: i64,
}

/// Changes to the rollups: counts per group key, count per entry key, count per
/// touchpoint key.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RollupDelta {
    pub groups: HashMap<GroupKey, GroupCounts>,
    pub entries: HashMap<EntryKey, i64>,
    pub touchpoints: HashMap<TouchpointKey, i64>,
}

impl RollupDelta {
    /// Adds (`sign` = 1) or removes (`sign` = -1) the contribution of steps.
    pub fn add(&mut self, steps: &[Step], sign: i64, calendar: &Calendar) {
        for s in steps {
            let day = calendar.day(s.at);
            let handoff = s.is_handoff();
            // Marks count only on handoffs.
            let mark = |holds: bool| sign * i64::from(handoff && holds);
            let counts = GroupCounts {
                count: sign,
                case_ends: sign * i64::from(s.is_last),
                ping_pongs: mark(s.ping_pong),
                customer_burdens: mark(s.customer_burden),
                deferral_languages: mark(s.deferral_language),
                prompt_opportunities: sign
                    * i64::from(s.prev_function_id.is_some() && !s.prev_customer_action),
                prompt_breaches: sign * i64::from(s.prompt_breach),
            };
            for (level, first_day) in [(Level::Day, day), (Level::Month, calendar.month_of(day))] {
                self.groups
                    .entry(GroupKey {
                        level,
                        first_day,
                        prev_function_id: s.prev_function_id.unwrap_or(0),
                        function_id: s.function_id,
                        prev_touchpoint_id: s.prev_touchpoint_id.unwrap_or(0),
                    })
                    .or_default()
                    .merge(counts);
                if let Some(touchpoint_id) = s.touchpoint_id {
                    *self
                        .touchpoints
                        .entry(TouchpointKey {
                            level,
                            first_day,
                            touchpoint_id,
                            function_id: s.function_id,
                        })
                        .or_default() += sign;
                }
                let clamp = |at: Option<i64>| calendar.day_of(at).min(first_day);
                let mut entry = |kind, function_id, prev_day, prev_day2| {
                    *self
                        .entries
                        .entry(EntryKey {
                            level,
                            first_day,
                            kind,
                            function_id,
                            prev_day,
                            prev_day2,
                        })
                        .or_default() += sign;
                };
                entry(EntryKind::Case, 0, clamp(s.prev_at), NO_DAY);
                entry(
                    EntryKind::Function,
                    s.function_id,
                    clamp(s.prev_same_function_at),
                    NO_DAY,
                );
                if handoff {
                    entry(
                        EntryKind::Handoff,
                        0,
                        clamp(s.prev_at),
                        clamp(s.prev_handoff_from_at),
                    );
                }
            }
        }
    }

    /// Adds another delta's changes.
    pub fn merge(&mut self, other: RollupDelta) {
        for (key, counts) in other.groups {
            self.groups.entry(key).or_default().merge(counts);
        }
        for (key, count) in other.entries {
            *self.entries.entry(key).or_default() += count;
        }
        for (key, count) in other.touchpoints {
            *self.touchpoints.entry(key).or_default() += count;
        }
    }

    /// Drops the keys whose changes cancel out.
    /// How many keys the delta holds: what its memory grows with.
    pub fn len(&self) -> usize {
        self.groups.len() + self.entries.len() + self.touchpoints.len()
    }

    /// Whether the delta holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn compact(&mut self) {
        self.groups.retain(|_, v| !v.is_zero());
        self.entries.retain(|_, v| *v != 0);
        self.touchpoints.retain(|_, v| *v != 0);
    }
}

/// A window in local days, `[first, end)`; `None` is open.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Days {
    pub first: Option<i64>,
    pub end: Option<i64>,
}

impl Days {
    /// The days of a window whose ends are open or start local days; `None` for any
    /// other window (it is read from the steps).
    pub fn of(window: crate::Window, calendar: &Calendar) -> Option<Days> {
        let day = |at: Option<i64>| match at {
            None => Some(None),
            Some(at) => calendar.is_day_start(at).then(|| Some(calendar.day(at))),
        };
        Some(Days {
            first: day(window.from)?,
            end: day(window.to)?,
        })
    }
}

/// A run of buckets of one level: those whose first day is in `[from, to)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketRange {
    pub level: Level,
    pub from: i64,
    pub to: i64,
}

/// The fewest buckets that cover the days exactly: whole months inside them, days
/// at either edge.
pub fn cover(days: Days, calendar: &Calendar) -> Vec<BucketRange> {
    let low = days.first.unwrap_or(i64::MIN);
    let high = days.end.unwrap_or(i64::MAX);
    let first_month = days.first.map_or(i64::MIN, |first| {
        calendar.month_at_or_after(first).unwrap_or(i64::MAX)
    });
    let end_month = days.end.map_or(i64::MAX, |end| calendar.month_of(end));
    let range = |level, from, to| (from < to).then_some(BucketRange { level, from, to });
    if first_month < end_month {
        [
            range(Level::Day, low, first_month),
            range(Level::Month, first_month, end_month),
            range(Level::Day, end_month, high),
        ]
        .into_iter()
        .flatten()
        .collect()
    } else {
        range(Level::Day, low, high).into_iter().collect()
    }
}

/// One stored entry row, summed over what the query grouped away.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EntryRow {
    pub first_day: i64,
    pub kind: EntryKind,
    pub function_id: i64,
    pub prev_day: i64,
    pub prev_day2: i64,
    pub count: i64,
}

/// Folds the buckets of consecutive periods `[start, end)` (local days, ascending,
/// not overlapping) into one report per period. `groups` and `entries` are bucket
/// rows of one level whose buckets each lie inside one period; rows outside every
/// period are ignored.
pub fn fold_periods(
    periods: &[(i64, i64)],
    groups: &[(i64, StepGroup)],
    entries: &[EntryRow],
    map: &OrgMap,
) -> Vec<Report> {
    let period_of = |day: i64| {
        let index = periods.partition_point(|(start, _)| *start <= day);
        index.checked_sub(1).filter(|&i| day < periods[i].1)
    };
    let mut grouped: Vec<Vec<StepGroup>> = vec![Vec::new(); periods.len()];
    for (day, group) in groups {
        if let Some(i) = period_of(*day) {
            grouped[i].push(group.clone());
        }
    }
    let mut counted: Vec<Entries> = vec![Entries::default(); periods.len()];
    for row in entries {
        let Some(i) = period_of(row.first_day) else {
            continue;
        };
        if row
            .kind
            .counts(row.prev_day, row.prev_day2, Some(periods[i].0))
        {
            counted[i].add(row.kind, row.function_id, row.count);
        }
    }
    grouped
        .iter()
        .zip(&counted)
        .map(|(groups, entries)| fold(groups, entries, map))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Months of 30 days from day 0, in UTC.
    fn calendar() -> Calendar {
        Calendar::utc((0..100).map(|m| m * 30).collect())
    }

    #[test]
    fn a_window_is_covered_by_whole_months_and_edge_days() {
        let cal = calendar();
        let days = |first, end| Days { first, end };
        assert_eq!(
            cover(days(Some(25), Some(95)), &cal),
            vec![
                BucketRange {
                    level: Level::Day,
                    from: 25,
                    to: 30
                },
                BucketRange {
                    level: Level::Month,
                    from: 30,
                    to: 90
                },
                BucketRange {
                    level: Level::Day,
                    from: 90,
                    to: 95
                },
            ]
        );
        assert_eq!(
            cover(days(Some(31), Some(40)), &cal),
            vec![BucketRange {
                level: Level::Day,
                from: 31,
                to: 40
            }]
        );
        assert_eq!(
            cover(days(None, None), &cal),
            vec![BucketRange {
                level: Level::Month,
                from: i64::MIN,
                to: i64::MAX
            }]
        );
        assert_eq!(
            cover(days(Some(30), None), &cal),
            vec![BucketRange {
                level: Level::Month,
                from: 30,
                to: i64::MAX
            }]
        );
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;
    use crate::calendar::DAY_MICROS;
    use crate::chain::{derive, Event, PromptWithin};
    use crate::report::tests::group;
    use crate::Window;

    const HOUR: i64 = 3_600_000_000;

    /// A made-up zone: an offset of whole quarter hours, then changes of up to two
    /// hours either way at random instants (some of them around midnight), and
    /// months of 28 to 31 days. Also gives the instants of the changes.
    fn zones() -> impl Strategy<Value = (Calendar, Vec<i64>)> {
        (
            -56i64..=56,
            prop::collection::vec((0i64..400 * 24 * 4, -8i64..=8), 0..8),
            prop::collection::vec(28i64..=31, 30),
        )
            .prop_map(|(initial, changes, lengths)| {
                let initial = initial * HOUR / 4;
                let mut changes: Vec<(i64, i64)> = changes
                    .into_iter()
                    .map(|(quarter, shift)| (quarter * HOUR / 4, initial + shift * HOUR / 4))
                    .collect();
                changes.sort_unstable();
                let mut starts = vec![-40];
                for length in lengths {
                    let last = *starts.last().unwrap_or(&0);
                    starts.push(last + length);
                }
                let instants = changes.iter().map(|c| c.0).collect();
                (Calendar::new(initial, &changes, starts), instants)
            })
    }

    fn calendars() -> impl Strategy<Value = Calendar> {
        zones().prop_map(|(calendar, _)| calendar)
    }

    /// An interaction: (quarter hour, function, touchpoint, burden, deferral language).
    type Interaction = (i64, i64, Option<i64>, bool, bool);

    /// Cases of one to six interactions over about 400 days.
    fn logs() -> impl Strategy<Value = Vec<Vec<Interaction>>> {
        let event = (
            0i64..400 * 24 * 4,
            1i64..=4,
            prop::option::of(1i64..=3),
            any::<bool>(),
            any::<bool>(),
        );
        prop::collection::vec(prop::collection::vec(event, 1..6), 1..40)
    }

    /// Touchpoint 1 promises an answer within six hours, touchpoint 2 within three days.
    fn prompt_within() -> PromptWithin {
        PromptWithin::from([(1, 6 * HOUR), (2, 72 * HOUR)])
    }

    fn steps_of(log: &[Vec<Interaction>]) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut id = 0;
        for case in log {
            let mut events: Vec<Event> = case
                .iter()
                .map(|&(quarter, function_id, touchpoint_id, burden, deferral)| {
                    id += 1;
                    Event {
                        id,
                        at: quarter * HOUR / 4 + 7,
                        external_id: None,
                        function_id,
                        touchpoint_id,
                        burden,
                        customer_action: burden,
                        deferral_language: deferral,
                    }
                })
                .collect();
            steps.extend(derive(&mut events, &prompt_within()));
        }
        steps
    }

    /// The rows of one level with their buckets' first days.
    fn rows(delta: &RollupDelta, level: Level) -> (Vec<(i64, StepGroup)>, Vec<EntryRow>) {
        let groups = delta
            .groups
            .iter()
            .filter(|(k, _)| k.level == level)
            .map(|(k, c)| {
                (
                    k.first_day,
                    StepGroup {
                        from: (k.prev_function_id != 0).then_some(k.prev_function_id),
                        to: k.function_id,
                        touchpoint: (k.prev_touchpoint_id != 0).then_some(k.prev_touchpoint_id),
                        count: c.count,
                        case_ends: c.case_ends,
                        ping_pongs: c.ping_pongs,
                        customer_burdens: c.customer_burdens,
                        deferral_languages: c.deferral_languages,
                        prompt_opportunities: c.prompt_opportunities,
                        prompt_breaches: c.prompt_breaches,
                    },
                )
            })
            .collect();
        let entries = delta
            .entries
            .iter()
            .filter(|(k, _)| k.level == level)
            .map(|(k, &count)| EntryRow {
                first_day: k.first_day,
                kind: k.kind,
                function_id: k.function_id,
                prev_day: k.prev_day,
                prev_day2: k.prev_day2,
                count,
            })
            .collect();
        (groups, entries)
    }

    /// The report of a window of days computed straight from the steps.
    fn direct(steps: &[Step], days: (i64, i64), calendar: &Calendar, map: &OrgMap) -> Report {
        let window = Window {
            from: Some(calendar.day_start(days.0)),
            to: Some(calendar.day_start(days.1)),
        };
        let (groups, entries) = group(steps, window);
        fold(&groups, &entries, map)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn local_days_never_go_back_and_start_where_they_say(
            (calendar, changes) in zones(),
            quarters in prop::collection::vec(-1000i64..400 * 24 * 4, 1..50),
        ) {
            // Random instants, and every quarter hour within three hours of a change.
            let mut instants: Vec<i64> = quarters.iter().map(|q| q * HOUR / 4 + 1).collect();
            for change in changes {
                instants.extend((-12..=12).map(|q| change + q * HOUR / 4));
            }
            instants.sort_unstable();
            for pair in instants.windows(2) {
                prop_assert!(calendar.day(pair[0]) <= calendar.day(pair[1]));
            }
            for at in instants {
                let day = calendar.day(at);
                let start = calendar.day_start(day);
                prop_assert!(start <= at);
                prop_assert_eq!(calendar.day(start), day);
                prop_assert!(calendar.day(start - 1) < day);
                prop_assert!(calendar.is_day_start(start));
                // A day is at most a day plus the largest change of offset (4 h here).
                prop_assert!(at - start < DAY_MICROS + 4 * HOUR);
            }
        }

        #[test]
        fn periods_read_from_buckets_equal_reports_read_from_steps(
            calendar in calendars(),
            log in logs(),
            cx in 1i64..=4,
            owners in prop::collection::vec((1i64..=3, 1i64..=4), 0..4),
            first in -5i64..300,
            lengths in prop::collection::vec(1i64..20, 1..8),
        ) {
            let steps = steps_of(&log);
            let map = OrgMap::new([cx], owners);
            let mut delta = RollupDelta::default();
            delta.add(&steps, 1, &calendar);
            delta.compact();

            // Consecutive periods of days, as a trend by day or week reads them.
            let mut periods = Vec::new();
            let mut start = first;
            for length in &lengths {
                periods.push((start, start + length));
                start += length;
            }
            let (groups, entries) = rows(&delta, Level::Day);
            let trend = fold_periods(&periods, &groups, &entries, &map);
            for (period, report) in periods.iter().zip(&trend) {
                prop_assert_eq!(report, &direct(&steps, *period, &calendar, &map));
            }

            // Consecutive months, read from the month buckets.
            let Some(month) = calendar.month_at_or_after(first) else { return Ok(()) };
            let mut months = Vec::new();
            let mut start = month;
            for _ in &lengths {
                let Some(next) = calendar.month_at_or_after(start + 1) else { break };
                months.push((start, next));
                start = next;
            }
            let (groups, entries) = rows(&delta, Level::Month);
            let trend = fold_periods(&months, &groups, &entries, &map);
            for (period, report) in months.iter().zip(&trend) {
                prop_assert_eq!(report, &direct(&steps, *period, &calendar, &map));
            }

            // One window over the cover of months and edge days.
            let window = (first, start.max(first + 1) + lengths[0]);
            let days = Days { first: Some(window.0), end: Some(window.1) };
            let mut groups = Vec::new();
            let mut entries = Vec::new();
            for range in cover(days, &calendar) {
                let (g, e) = rows(&delta, range.level);
                groups.extend(g.into_iter().filter(|(d, _)| (range.from..range.to).contains(d)));
                entries.extend(e.into_iter().filter(|r| (range.from..range.to).contains(&r.first_day)));
            }
            let whole = fold_periods(&[window], &groups, &entries, &map);
            prop_assert_eq!(&whole[0], &direct(&steps, window, &calendar, &map));
        }
    }
}
