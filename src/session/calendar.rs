//! Calendar dates of the record's timestamps (seconds since 1970-01-01 UTC), by the `time`
//! crate: the proleptic Gregorian calendar, in UTC, over the years it represents (±9999).

use time::{Date, UtcDateTime};

/// Seconds in a (UTC) day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// 1970-01-01.
const EPOCH: Date = UtcDateTime::UNIX_EPOCH.date();

/// The UTC date and time `unix` seconds after 1970-01-01; a timestamp beyond the years `time`
/// represents reads as its first or last second.
fn utc_from_unix(unix: i64) -> UtcDateTime {
    let unix = unix.clamp(UtcDateTime::MIN.unix_timestamp(), UtcDateTime::MAX.unix_timestamp());
    UtcDateTime::from_unix_timestamp(unix).unwrap_or(UtcDateTime::UNIX_EPOCH)
}

/// Now, in seconds since 1970-01-01 UTC (0 for a clock set before then).
pub fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// The date `days` days after 1970-01-01, clamped to the years `time` represents.
pub fn date_from_days(days: i64) -> Date {
    let (min, max) = (Date::MIN.to_julian_day(), Date::MAX.to_julian_day());
    let julian_day =
        (i64::from(EPOCH.to_julian_day()) + days).clamp(i64::from(min), i64::from(max));
    i32::try_from(julian_day).ok().and_then(|d| Date::from_julian_day(d).ok()).unwrap_or(EPOCH)
}

/// Days from 1970-01-01 to `date`: the inverse of [`date_from_days`].
pub fn days_from_date(date: Date) -> i64 {
    i64::from(date.to_julian_day()) - i64::from(EPOCH.to_julian_day())
}

/// "YYYY-MM-DD HH:MM:SS" (UTC) for seconds since 1970.
pub fn format_utc(unix: i64) -> String {
    let utc = utc_from_unix(unix);
    let (year, month, day) = (utc.year(), u8::from(utc.month()), utc.day());
    let (hour, minute, second) = utc.as_hms();
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
}

#[cfg(test)]
mod tests {
    use time::Month;

    use super::*;

    /// Leap days, year boundaries and the days either side of them, before and after 1970.
    #[test]
    fn utc_text_across_leap_days_and_year_boundaries() {
        for (unix, text) in [
            (0, "1970-01-01 00:00:00"),
            (-1, "1969-12-31 23:59:59"),
            (951_782_400, "2000-02-29 00:00:00"),
            (951_868_799, "2000-02-29 23:59:59"),
            (951_868_800, "2000-03-01 00:00:00"),
            (4_107_456_000, "2100-02-28 00:00:00"),
            (4_107_542_400, "2100-03-01 00:00:00"),
            (1_709_164_800, "2024-02-29 00:00:00"),
            (1_735_689_599, "2024-12-31 23:59:59"),
            (1_735_689_600, "2025-01-01 00:00:00"),
            (1_795_219_199, "2026-11-20 23:59:59"),
            (-2_208_988_800, "1900-01-01 00:00:00"),
            (-2_203_891_200, "1900-03-01 00:00:00"),
        ] {
            assert_eq!(format_utc(unix), text, "{unix}");
        }
    }

    #[test]
    fn days_and_dates_are_inverse() {
        for days in (-800_000..800_000).step_by(997) {
            assert_eq!(days_from_date(date_from_days(days)), days, "{days}");
        }
        let march_1_2000 = Date::from_calendar_date(2000, Month::March, 1).unwrap();
        assert_eq!(days_from_date(march_1_2000), 11_017);
    }

    /// Timestamps past year 9999 read as its last second rather than failing.
    #[test]
    fn timestamps_beyond_the_calendar_are_clamped() {
        assert_eq!(format_utc(i64::MAX), "9999-12-31 23:59:59");
        assert_eq!(format_utc(i64::MIN), format_utc(UtcDateTime::MIN.unix_timestamp()));
    }
}
