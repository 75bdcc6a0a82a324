//! Timestamps as exports write them. RFC 3339 with an offset is taken as it is; a
//! local time (`2026-03-01 14:02`, `01/03/2026 14:02`) is an instant only in a zone,
//! named by `--time-zone` (or the organization's, `org`); an unusual layout is named by
//! `--time-format` (strftime, as chrono reads it). Without them a time without an
//! offset is refused with a message that names both, never guessed.

use chrono::{DateTime, NaiveDate, NaiveDateTime};
use service::calendar::Tz;

use super::Door;

/// Layouts tried when no `--time-format` is given, after RFC 3339: ISO 8601 with a
/// space or a `T`, to the minute or below, with an offset without a colon (Jira's
/// `2019-03-14T09:20:51.013+0000`) or none.
const WITH_OFFSET: &[&str] = &["%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z"];
const LOCAL: &[&str] = &[
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
];

/// How a log's timestamps are read.
#[derive(Clone, Debug, Default)]
pub struct TimeParsing {
    /// The zone of times without an offset.
    pub zone: Option<Tz>,
    /// The layout of every timestamp (strftime).
    pub format: Option<String>,
    /// The door, for messages that name its options.
    pub door: Option<Door>,
}

impl TimeParsing {
    /// The zone a `--time-zone` value names: an IANA name, or `org` for
    /// `organization_zone`.
    pub fn zone(value: &str, organization_zone: &str) -> Result<Tz, String> {
        let name = if value.eq_ignore_ascii_case("org") {
            organization_zone
        } else {
            value
        };
        service::calendar::parse_zone(name.trim()).ok_or_else(|| {
            format!("`{value}` is not a time zone: an IANA name like Europe/Berlin, UTC, or `org` for the organization's")
        })
    }

    /// Checks a `--time-format`: it must read a date (and may read a time and an
    /// offset).
    pub fn check_format(format: &str) -> Result<(), String> {
        let items = chrono::format::StrftimeItems::new(format);
        if items
            .clone()
            .any(|i| matches!(i, chrono::format::Item::Error))
        {
            return Err(format!(
                "`{format}` is not a strftime layout (like %d/%m/%Y %H:%M)"
            ));
        }
        Ok(())
    }

    fn option(&self, name: &str, value: &str) -> String {
        self.door.unwrap_or(Door::CommandLine).option(name, value)
    }

    /// The instant `text` names, as RFC 3339 in UTC; or why it names none.
    pub fn instant(&self, text: &str) -> Result<String, String> {
        let text = text.trim();
        if let Some(format) = &self.format {
            return self.with_format(text, format);
        }
        if let Ok(at) = DateTime::parse_from_rfc3339(text) {
            return Ok(utc(at.timestamp_micros()));
        }
        for layout in WITH_OFFSET {
            if let Ok(at) = DateTime::parse_from_str(text, layout) {
                return Ok(utc(at.timestamp_micros()));
            }
        }
        let local = LOCAL
            .iter()
            .find_map(|layout| NaiveDateTime::parse_from_str(text, layout).ok());
        match local {
            Some(local) => self.localized(text, local),
            None => Err(format!(
                "`{text}` is not an RFC 3339 instant like 2026-03-01T09:30:00Z; name the file's layout with {}",
                self.option("time-format", "'%d/%m/%Y %H:%M'")
            )),
        }
    }

    fn with_format(&self, text: &str, format: &str) -> Result<String, String> {
        if let Ok(at) = DateTime::parse_from_str(text, format) {
            return Ok(utc(at.timestamp_micros()));
        }
        let local = NaiveDateTime::parse_from_str(text, format).or_else(|_| {
            NaiveDate::parse_from_str(text, format).map(|d| d.and_time(chrono::NaiveTime::MIN))
        });
        match local {
            Ok(local) => self.localized(text, local),
            Err(error) => Err(format!("`{text}` does not read as `{format}`: {error}")),
        }
    }

    fn localized(&self, text: &str, local: NaiveDateTime) -> Result<String, String> {
        let Some(zone) = self.zone else {
            return Err(format!(
                "`{text}` has no offset, so it could be any of 26 instants: say the file's zone with {} (or `org` for the organization's){}",
                self.option("time-zone", "Europe/Berlin"),
                if self.format.is_none() {
                    format!(", and an unusual layout with {}", self.option("time-format", "'%d/%m/%Y %H:%M'"))
                } else {
                    String::new()
                }
            ));
        };
        service::calendar::local_instant(zone, local).map(utc)
    }
}

/// RFC 3339 in UTC, to the microsecond.
fn utc(micros: i64) -> String {
    DateTime::from_timestamp_micros(micros)
        .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paris() -> TimeParsing {
        TimeParsing {
            zone: service::calendar::parse_zone("Europe/Paris"),
            ..TimeParsing::default()
        }
    }

    #[test]
    fn offsets_are_kept_and_local_times_need_a_zone() {
        let none = TimeParsing::default();
        assert_eq!(
            none.instant("2026-03-01T09:30:00+01:00").unwrap(),
            "2026-03-01T08:30:00Z"
        );
        assert_eq!(
            none.instant("2019-03-14T09:20:51.013+0000").unwrap(),
            "2019-03-14T09:20:51.013Z"
        );
        let refused = none.instant("2026-03-01 14:02").unwrap_err();
        assert!(
            refused.contains("--time-zone") && refused.contains("--time-format"),
            "{refused}"
        );
        assert_eq!(
            paris().instant("2026-03-01 14:02").unwrap(),
            "2026-03-01T13:02:00Z"
        );
        assert_eq!(
            paris().instant("2026-07-01T14:02:03.5").unwrap(),
            "2026-07-01T12:02:03.500Z"
        );
    }

    #[test]
    fn a_format_reads_the_layouts_exports_use() {
        let mut parsing = paris();
        parsing.format = Some("%d/%m/%Y %H:%M".into());
        assert_eq!(
            parsing.instant("01/03/2026 14:02").unwrap(),
            "2026-03-01T13:02:00Z"
        );
        assert!(parsing.instant("2026-03-01 14:02").is_err());
        parsing.format = Some("%d.%m.%Y".into());
        assert_eq!(
            parsing.instant("01.03.2026").unwrap(),
            "2026-02-28T23:00:00Z"
        );
    }

    #[test]
    fn clock_changes_are_named_or_resolved_to_the_first() {
        // 2026-03-29 02:30 never happened in Paris; 2026-10-25 02:30 happened twice.
        let gap = paris().instant("2026-03-29 02:30").unwrap_err();
        assert!(gap.contains("never happened"), "{gap}");
        assert_eq!(
            paris().instant("2026-10-25 02:30").unwrap(),
            "2026-10-25T00:30:00Z"
        );
        assert!(TimeParsing::zone("Mars/Olympus", "UTC").is_err());
        assert_eq!(
            TimeParsing::zone("org", "Europe/Paris").unwrap(),
            service::calendar::parse_zone("Europe/Paris").unwrap()
        );
    }
}
