//! Timestamps as stored: naive UTC with microsecond precision on both backends.

use chrono::{NaiveDateTime, Timelike, Utc};

/// The current UTC time, truncated to microseconds (PostgreSQL's precision), so a value
/// written and read back compares equal on both backends.
#[must_use]
pub fn now_utc() -> NaiveDateTime {
    truncate_to_micros(Utc::now().naive_utc())
}

/// Drops sub-microsecond digits.
///
/// ```
/// use chrono::NaiveDate;
/// let t = NaiveDate::from_ymd_opt(2026, 1, 2).unwrap().and_hms_nano_opt(3, 4, 5, 123_456_789).unwrap();
/// assert_eq!(wetech_persistence::truncate_to_micros(t).and_utc().timestamp_subsec_nanos(), 123_456_000);
/// ```
#[must_use]
pub fn truncate_to_micros(t: NaiveDateTime) -> NaiveDateTime {
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}
