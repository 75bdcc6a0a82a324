//! An organization's calendar as plain data (docs/rules.md §5): which local day an
//! instant falls on in its time zone, where each local day starts, and which days
//! start a month. The service fills it from the IANA database; the rules only look
//! things up, so they stay free of any time-zone library.

/// Microseconds in a day.
pub const DAY_MICROS: i64 = 86_400_000_000;

/// The day of a missing instant.
pub const NO_DAY: i64 = i64::MIN;

/// A time zone's offsets over time and the first days of months.
///
/// Days are numbered from the local 1970-01-01 (day 0), whatever the zone: day `d`
/// is the local calendar date `d` days after 1970-01-01.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Calendar {
    /// `(since, offset)`: from the UTC instant `since` on, local time is UTC plus
    /// `offset` microseconds. Sorted by `since`; the first starts at `i64::MIN`.
    offsets: Vec<(i64, i64)>,
    /// The day numbers of the first days of months, ascending.
    month_starts: Vec<i64>,
}

impl Calendar {
    /// A calendar from its offset changes `(since, offset)` in time order (the first
    /// offset holds before the first change) and the first days of months.
    ///
    /// Where going back (say, from summer time) would take the local date back to
    /// the day before, the change is taken to happen at the next local midnight
    /// instead, so that the local day never goes backwards: the repeated hour after a
    /// midnight belongs to the new day.
    pub fn new(initial_offset: i64, changes: &[(i64, i64)], mut month_starts: Vec<i64>) -> Self {
        let mut offsets = vec![(i64::MIN, initial_offset)];
        for &(since, offset) in changes {
            let Some(&(last_since, last)) = offsets.last() else {
                continue;
            };
            let mut since = since.max(last_since.saturating_add(1));
            let old_day = since.saturating_add(last).div_euclid(DAY_MICROS);
            if since.saturating_add(offset).div_euclid(DAY_MICROS) < old_day {
                since = (old_day * DAY_MICROS).saturating_sub(offset);
            }
            if offset != last {
                offsets.push((since, offset));
            }
        }
        month_starts.sort_unstable();
        month_starts.dedup();
        Calendar {
            offsets,
            month_starts,
        }
    }

    /// UTC, with the given first days of months.
    pub fn utc(month_starts: Vec<i64>) -> Self {
        Calendar::new(0, &[], month_starts)
    }

    /// The offset to UTC at the instant `at`.
    pub fn offset(&self, at: i64) -> i64 {
        let index = self.offsets.partition_point(|(since, _)| *since <= at);
        self.offsets[index.saturating_sub(1)].1
    }

    /// The local day of the instant `at`.
    pub fn day(&self, at: i64) -> i64 {
        at.saturating_add(self.offset(at)).div_euclid(DAY_MICROS)
    }

    /// The local day of a possibly missing instant ([`NO_DAY`] when missing).
    pub fn day_of(&self, at: Option<i64>) -> i64 {
        at.map_or(NO_DAY, |at| self.day(at))
    }

    /// The first instant of local day `day`: its local midnight, or where a change
    /// of offset skips midnight, the first instant after it.
    pub fn day_start(&self, day: i64) -> i64 {
        // The first span that ends on `day` or later holds the answer, because the
        // local day never goes backwards.
        let (mut low, mut high) = (0, self.offsets.len() - 1);
        while low < high {
            let middle = (low + high) / 2;
            if self.last_day_of_span(middle) < day {
                low = middle + 1;
            } else {
                high = middle;
            }
        }
        let (since, offset) = self.offsets[low];
        day.saturating_mul(DAY_MICROS)
            .saturating_sub(offset)
            .max(since)
    }

    /// The local day of the last instant of span `index` (the last span never ends).
    fn last_day_of_span(&self, index: usize) -> i64 {
        match self.offsets.get(index + 1) {
            Some(&(until, _)) => (until - 1)
                .saturating_add(self.offsets[index].1)
                .div_euclid(DAY_MICROS),
            None => i64::MAX,
        }
    }

    /// Whether the instant `at` is the first instant of its local day.
    pub fn is_day_start(&self, at: i64) -> bool {
        self.day_start(self.day(at)) == at
    }

    /// The first day of the month holding `day`; [`NO_DAY`] before the first known month.
    pub fn month_of(&self, day: i64) -> i64 {
        let index = self.month_starts.partition_point(|start| *start <= day);
        index
            .checked_sub(1)
            .map_or(NO_DAY, |i| self.month_starts[i])
    }

    /// The first day of the first month that starts on `day` or later; `None` after
    /// the last known month.
    pub fn month_at_or_after(&self, day: i64) -> Option<i64> {
        let index = self.month_starts.partition_point(|start| *start < day);
        self.month_starts.get(index).copied()
    }

    /// Whether `day` is the first day of a month.
    pub fn starts_month(&self, day: i64) -> bool {
        self.month_starts.binary_search(&day).is_ok()
    }

    /// The period before the window `[from, to)` (docs/rules.md §5, `PREVIOUS_PERIOD`):
    /// when the window is whole local months (and so quarters and years), the same
    /// number of months just before it; when it is whole local days (and so ISO
    /// weeks), the same number of days just before it; otherwise the window of the
    /// same length ending where it starts. February for March, Q1 for Q2, the week
    /// before for a week, whatever daylight saving does to their lengths.
    pub fn period_before(&self, from: i64, to: i64) -> (i64, i64) {
        let equal_length = (from.saturating_sub(to.saturating_sub(from)), from);
        if from >= to || !self.is_day_start(from) || !self.is_day_start(to) {
            return equal_length;
        }
        let (first, end) = (self.day(from), self.day(to));
        if let (Ok(a), Ok(b)) = (
            self.month_starts.binary_search(&first),
            self.month_starts.binary_search(&end),
        ) {
            let months = b - a;
            if let Some(start) = a.checked_sub(months) {
                return (self.day_start(self.month_starts[start]), from);
            }
        }
        (self.day_start(first - (end - first)), from)
    }
}

#[cfg(test)]
mod tests {}
