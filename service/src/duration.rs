//! Lengths of time as ISO 8601 durations (`PT4H`, `P2D`, `PT1H30M`, `P1W`), the form
//! `promptWithin` takes at every door. A day is 24 hours and a week 7 days here;
//! years and months, whose length depends on the calendar, are refused.

const MICROS_PER_MILLI: i64 = 1_000;
const MILLIS_PER_SECOND: i64 = 1_000;

/// The microseconds of an ISO 8601 duration, or a sentence saying what is wrong.
pub fn parse(text: &str) -> Result<i64, String> {
    let parsed = iso8601::duration(text.trim())
        .map_err(|_| format!("`{text}` is not an ISO 8601 duration such as PT4H, P2D or P1W"))?;
    let calendar_bound = matches!(
        parsed,
        iso8601::Duration::YMDHMS { year, month, .. } if year > 0 || month > 0
    );
    if calendar_bound {
        return Err(format!(
            "`{text}`: years and months have no fixed length; give days (P30D) or weeks (P4W)"
        ));
    }
    let length: std::time::Duration = parsed.into();
    i64::try_from(length.as_micros()).map_err(|_| format!("`{text}` is too long"))
}

/// The ISO 8601 form of `micros` (to the millisecond): days, hours, minutes, seconds.
pub fn format(micros: i64) -> String {
    let millis = micros.max(0) / MICROS_PER_MILLI;
    let seconds = millis / MILLIS_PER_SECOND;
    let part = |value: i64| u32::try_from(value).unwrap_or(u32::MAX);
    iso8601::Duration::YMDHMS {
        year: 0,
        month: 0,
        day: part(seconds / 86_400),
        hour: part(seconds % 86_400 / 3_600),
        minute: part(seconds % 3_600 / 60),
        second: part(seconds % 60),
        millisecond: part(millis % MILLIS_PER_SECOND),
    }
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000_000;

    #[test]
    fn durations_read_and_write_in_iso_8601() {
        assert_eq!(parse("PT4H"), Ok(4 * HOUR));
        assert_eq!(parse("PT48H"), Ok(48 * HOUR));
        assert_eq!(parse("P1DT12H"), Ok(36 * HOUR));
        assert_eq!(parse("P1W"), Ok(168 * HOUR));
        assert_eq!(parse("PT0.5S"), Ok(500_000));
        assert_eq!(format(36 * HOUR), "P1DT12H");
        assert_eq!(format(48 * HOUR), "P2D");
        assert_eq!(format(90 * 60_000_000), "PT1H30M");
        assert_eq!(format(1_500_000), "PT1.500S");
        for text in ["P1M", "P1Y", "4 hours", ""] {
            assert!(parse(text).is_err(), "{text}");
        }
    }
}
