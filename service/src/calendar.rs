//! The organization's calendar (docs/rules.md §5): its IANA time zone as the rules'
//! [`Calendar`], and the calendar periods of trends and comparisons, taken in it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use chrono::LocalResult;
use chrono::{DateTime, Datelike, Months, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::OffsetComponents;
pub use chrono_tz::Tz;
use rules::calendar::{Calendar, DAY_MICROS};
use rules::Window;

use crate::error::{ServiceError, ServiceResult};

/// The years the calendars know: every instant the service accepts, with room.
const FIRST_YEAR: i32 = 1900;
const LAST_YEAR: i32 = 2300;

/// The time zone named `name` (an IANA name such as `Europe/Berlin`, or `UTC`).
pub fn parse_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

/// The zone of a stored name; UTC when it is not one (only a hand-edited row).
pub fn zone_or_utc(name: &str) -> Tz {
    parse_zone(name).unwrap_or(Tz::UTC)
}

/// The instant (µs since the epoch) a wall-clock time in `zone` names. When the
/// clocks went back and the time came twice, the first; when they went forward and
/// it never came, the reason (docs/rules.md §5, "Local times in files").
pub fn local_instant(zone: Tz, local: NaiveDateTime) -> Result<i64, String> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => Ok(at.timestamp_micros()),
        LocalResult::Ambiguous(first, _) => Ok(first.timestamp_micros()),
        LocalResult::None => Err(format!(
            "{local} never happened in {zone}: the clocks went forward over it"
        )),
    }
}

fn epoch() -> NaiveDate {
    NaiveDate::default()
}

/// The day number (days from 1970-01-01) of a date.
pub fn day_number(date: NaiveDate) -> i64 {
    date.signed_duration_since(epoch()).num_days()
}

/// The date of a day number.
pub fn date_of(day: i64) -> ServiceResult<NaiveDate> {
    let n = chrono::Days::new(day.unsigned_abs());
    if day >= 0 {
        epoch().checked_add_days(n)
    } else {
        epoch().checked_sub_days(n)
    }
    .ok_or_else(|| ServiceError::bad_input("the date is out of range"))
}

/// The calendar of `zone`, built once per zone and process (it depends on nothing
/// but the zone and the time-zone database compiled in).
pub fn calendar(zone: Tz) -> Arc<Calendar> {
    static CALENDARS: OnceLock<Mutex<HashMap<Tz, Arc<Calendar>>>> = OnceLock::new();
    let calendars = CALENDARS.get_or_init(Mutex::default);
    if let Some(found) = calendars.lock().ok().and_then(|c| c.get(&zone).cloned()) {
        return found;
    }
    let built = Arc::new(build(zone));
    if let Ok(mut all) = calendars.lock() {
        all.insert(zone, built.clone());
    }
    built
}

/// The offset of `zone` at the UTC instant `seconds`, in microseconds.
fn offset_at(zone: Tz, seconds: i64) -> i64 {
    let offset = zone.offset_from_utc_datetime(
        &DateTime::<Utc>::from_timestamp(seconds, 0)
            .unwrap_or_default()
            .naive_utc(),
    );
    (offset.base_utc_offset() + offset.dst_offset()).num_seconds() * 1_000_000
}

fn build(zone: Tz) -> Calendar {
    let start = |year| {
        NaiveDate::from_ymd_opt(year, 1, 1)
            .map(day_number)
            .unwrap_or_default()
    };
    let (first, last) = (start(FIRST_YEAR), start(LAST_YEAR));
    // Offsets are sampled once a day; where two samples differ, the change is found
    // to the second by halving.
    let day_seconds = DAY_MICROS / 1_000_000;
    let initial = offset_at(zone, first * day_seconds);
    let mut changes = Vec::new();
    let mut current = initial;
    for day in first..last {
        let seconds = (day + 1) * day_seconds;
        let next = offset_at(zone, seconds);
        if next != current {
            let (mut low, mut high) = (seconds - day_seconds, seconds);
            while high - low > 1 {
                let middle = low + (high - low) / 2;
                if offset_at(zone, middle) == current {
                    low = middle;
                } else {
                    high = middle;
                }
            }
            changes.push((high * 1_000_000, offset_at(zone, high)));
            current = next;
        }
    }
    let month_starts = (FIRST_YEAR..LAST_YEAR)
        .flat_map(|year| (1..=12).filter_map(move |month| NaiveDate::from_ymd_opt(year, month, 1)))
        .map(day_number)
        .collect();
    Calendar::new(initial, &changes, month_starts)
}

/// The calendar of the organization's time zone, as it is now.
pub async fn of_organization(
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i64,
) -> ServiceResult<Arc<Calendar>> {
    use sea_orm::{EntityTrait, QuerySelect};
    let zone: Option<String> = entity::organization::Entity::find_by_id(organization_id)
        .select_only()
        .column(entity::organization::Column::TimeZone)
        .into_tuple()
        .one(db)
        .await?;
    let zone = zone.ok_or_else(|| ServiceError::not_found("organization"))?;
    Ok(calendar(zone_or_utc(&zone)))
}

/// How long the periods of a trend are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Granularity {
    Day,
    /// ISO weeks, Monday first.
    Week,
    Month,
    Quarter,
    Year,
}

impl Granularity {
    /// The first day of the period holding `day`.
    pub fn start(self, day: i64) -> ServiceResult<i64> {
        let date = date_of(day)?;
        let first = match self {
            Granularity::Day => date,
            Granularity::Week => {
                return Ok(day - i64::from(date.weekday().num_days_from_monday()));
            }
            Granularity::Month => date.with_day(1).unwrap_or(date),
            Granularity::Quarter => {
                NaiveDate::from_ymd_opt(date.year(), date.month0() / 3 * 3 + 1, 1).unwrap_or(date)
            }
            Granularity::Year => NaiveDate::from_ymd_opt(date.year(), 1, 1).unwrap_or(date),
        };
        Ok(day_number(first))
    }

    /// The first day of the period after the one starting on `start`.
    pub fn next(self, start: i64) -> ServiceResult<i64> {
        let months = match self {
            Granularity::Day => return Ok(start + 1),
            Granularity::Week => return Ok(start + 7),
            Granularity::Month => 1,
            Granularity::Quarter => 3,
            Granularity::Year => 12,
        };
        date_of(start)?
            .checked_add_months(Months::new(months))
            .map(day_number)
            .ok_or_else(|| ServiceError::bad_input("the date is out of range"))
    }

    /// Whether the periods are read from the month buckets (else from the day ones).
    pub fn by_months(self) -> bool {
        matches!(
            self,
            Granularity::Month | Granularity::Quarter | Granularity::Year
        )
    }
}

/// The same local date a year earlier (29 February becomes 28 February).
pub fn year_earlier(day: i64) -> ServiceResult<i64> {
    date_of(day)?
        .checked_sub_months(Months::new(12))
        .map(day_number)
        .ok_or_else(|| {
            ServiceError::bad_input("the date is too early to compare with a year before")
        })
}

/// The instant `at` moved back one calendar year in `zone`'s local time: the same
/// wall-clock time a year earlier (29 February becomes 28 February; a time that the
/// earlier year skipped becomes the first instant after the gap, and a repeated one
/// its earlier instant).
pub fn instant_year_earlier(zone: Tz, at: i64) -> ServiceResult<i64> {
    let too_early =
        || ServiceError::bad_input("the window is too early to compare with a year before");
    let local: NaiveDateTime = DateTime::from_timestamp_micros(at)
        .ok_or_else(too_early)?
        .with_timezone(&zone)
        .naive_local();
    let earlier = local
        .checked_sub_months(Months::new(12))
        .ok_or_else(too_early)?;
    let instant = match zone.from_local_datetime(&earlier) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => t,
        chrono::LocalResult::None => chrono_tz::GapInfo::new(&earlier, &zone)
            .and_then(|gap| gap.end)
            .ok_or_else(too_early)?,
    };
    Ok(instant.timestamp_micros())
}

/// The same window one calendar year earlier in `zone` (docs/rules.md §3.4).
pub fn window_year_earlier(zone: Tz, window: Window) -> ServiceResult<Window> {
    let (from, to) = match (window.from, window.to) {
        (Some(from), Some(to)) => (from, to),
        _ => {
            return Err(ServiceError::bad_input(
                "a comparison needs a window with both `from` and `to`",
            ))
        }
    };
    Ok(Window {
        from: Some(instant_year_earlier(zone, from)?),
        to: Some(instant_year_earlier(zone, to)?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn micros(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn a_berlin_day_starts_at_local_midnight_across_daylight_saving() {
        let berlin = calendar(parse_zone("Europe/Berlin").unwrap());
        // 2026-03-29 (summer time from 02:00) and 2026-10-25 (back at 03:00).
        for (date, midnight) in [
            ("2026-03-29", "2026-03-28T23:00:00Z"),
            ("2026-03-30", "2026-03-29T22:00:00Z"),
            ("2026-10-25", "2026-10-24T22:00:00Z"),
            ("2026-10-26", "2026-10-25T23:00:00Z"),
        ] {
            let day = day_number(date.parse().unwrap());
            assert_eq!(berlin.day_start(day), micros(midnight), "{date}");
            assert_eq!(berlin.day(micros(midnight)), day);
            assert_eq!(berlin.day(micros(midnight) - 1), day - 1);
        }
        // 2026-03-01 is a month start; 2026-03-02 is not.
        assert!(berlin.starts_month(day_number("2026-03-01".parse().unwrap())));
        assert!(!berlin.starts_month(day_number("2026-03-02".parse().unwrap())));
    }

    #[test]
    fn a_midnight_skipped_by_the_clock_starts_the_day_after_the_gap() {
        // Asia/Beirut moved to summer time at 00:00 on 2023-03-26 (→ 01:00).
        let beirut = parse_zone("Asia/Beirut").unwrap();
        let cal = calendar(beirut);
        let day = day_number("2023-03-26".parse().unwrap());
        assert_eq!(cal.day_start(day), micros("2023-03-25T22:00:00Z"));
        let local = NaiveDate::from_ymd_opt(2023, 3, 26)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        assert!(matches!(
            beirut.from_local_datetime(&local),
            chrono::LocalResult::None
        ));
    }

    #[test]
    fn periods_follow_the_calendar() {
        let day = |s: &str| day_number(s.parse().unwrap());
        let wednesday = day("2026-11-25");
        assert_eq!(
            Granularity::Week.start(wednesday).unwrap(),
            day("2026-11-23")
        );
        assert_eq!(
            Granularity::Month.start(wednesday).unwrap(),
            day("2026-11-01")
        );
        assert_eq!(
            Granularity::Quarter.start(wednesday).unwrap(),
            day("2026-10-01")
        );
        assert_eq!(
            Granularity::Year.start(wednesday).unwrap(),
            day("2026-01-01")
        );
        assert_eq!(
            Granularity::Quarter.next(day("2026-10-01")).unwrap(),
            day("2027-01-01")
        );
        assert_eq!(year_earlier(day("2028-02-29")).unwrap(), day("2027-02-28"));
        let berlin = parse_zone("Europe/Berlin").unwrap();
        // Midnight of 1 July in Berlin (summer time) a year back is midnight of 1 July.
        assert_eq!(
            instant_year_earlier(berlin, micros("2026-06-30T22:00:00Z")).unwrap(),
            micros("2025-06-30T22:00:00Z")
        );
    }

    mod zones {
        use chrono::{DateTime, NaiveTime, TimeZone};
        use proptest::prelude::*;

        use super::super::*;

        const HOUR: i64 = 3_600_000_000;

        /// What the IANA database says: the first instant of a local date.
        fn first_instant(zone: Tz, date: NaiveDate) -> i64 {
            let midnight = date.and_time(NaiveTime::MIN);
            match zone.from_local_datetime(&midnight) {
                chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
                    t.timestamp_micros()
                }
                chrono::LocalResult::None => chrono_tz::GapInfo::new(&midnight, &zone)
                    .and_then(|gap| gap.end)
                    .map(|t| t.timestamp_micros())
                    .unwrap(),
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// Any zone, any instant from 1970 to 2100: the calendar's day is the local
            /// date, and the day starts where the zone's local midnight is, except in
            /// the hour a clock set back across midnight repeats (docs/rules.md §5:
            /// it belongs to the new day).
            #[test]
            fn calendars_agree_with_the_time_zone_database(
                zone in 0..chrono_tz::TZ_VARIANTS.len(),
                seconds in 0i64..4_102_444_800,
            ) {
                let zone = chrono_tz::TZ_VARIANTS[zone];
                let cal = calendar(zone);
                let at = seconds * 1_000_000;
                let local = DateTime::from_timestamp(seconds, 0).unwrap().with_timezone(&zone);
                let date = local.date_naive();
                let day = day_number(date);
                let set_back = |from: i64, to: i64| cal.offset(to) < cal.offset(from);
                let repeated = set_back(at - 3 * HOUR, at);
                prop_assert!(
                    cal.day(at) == day || (repeated && cal.day(at) == day + 1),
                    "{zone} at {local}: day {} for {date}", cal.day(at)
                );
                let start = first_instant(zone, date);
                let ours = cal.day_start(day);
                prop_assert!(
                    ours == start || (ours < start && set_back(ours - HOUR, start)),
                    "{zone} {date}: starts at {ours}, the database says {start}"
                );
                prop_assert_eq!(cal.starts_month(day), date.day() == 1);
            }
        }
    }
}
