//! When the market is open, for the staleness watchdog (a quiet quote at 3 a.m. is not a dead stream).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};

/// The trading hours the staleness watchdog counts as "open".
///
/// US hours follow New York time (EST/EDT by the US daylight-saving rule); exchange holidays are not known
/// to the SDK, so on a holiday the watchdog may reconnect a quiet stream (harmless, and reported).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketHours {
    /// Always open (the sandbox, crypto-like feeds, tests).
    Always,
    /// 09:30 to 16:00 New York time, Monday to Friday.
    UsEquitiesRegular,
    /// 04:00 to 20:00 New York time, Monday to Friday (pre-market, regular and after-hours sessions).
    UsEquitiesExtended,
}

impl MarketHours {
    /// Whether the market is open at `t`.
    pub fn is_open(self, t: DateTime<Utc>) -> bool {
        let (open, close) = match self {
            MarketHours::Always => return true,
            MarketHours::UsEquitiesRegular => (hm(9, 30), hm(16, 0)),
            MarketHours::UsEquitiesExtended => (hm(4, 0), hm(20, 0)),
        };
        let local = t.naive_utc() + Duration::hours(new_york_offset_hours(t));
        if matches!(local.weekday(), Weekday::Sat | Weekday::Sun) {
            return false;
        }
        let time = local.time();
        time >= open && time < close
    }
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()
}

/// The n-th `weekday` of a month (1-based).
fn nth_weekday(year: i32, month: u32, weekday: Weekday, n: u32) -> NaiveDate {
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
    let shift = (7 + weekday.num_days_from_monday() - first.weekday().num_days_from_monday()) % 7;
    first + Duration::days(i64::from(shift + 7 * (n - 1)))
}

/// UTC offset of New York at `t`: -4 from the second Sunday of March 02:00 local (07:00 UTC) to the first
/// Sunday of November 02:00 local (06:00 UTC), else -5.
fn new_york_offset_hours(t: DateTime<Utc>) -> i64 {
    let year = t.year();
    let dst_start = nth_weekday(year, 3, Weekday::Sun, 2).and_hms_opt(7, 0, 0);
    let dst_end = nth_weekday(year, 11, Weekday::Sun, 1).and_hms_opt(6, 0, 0);
    let n = t.naive_utc();
    match (dst_start, dst_end) {
        (Some(s), Some(e)) if n >= s && n < e => -4,
        _ => -5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn new_york_hours_with_daylight_saving() {
        let at = |y, mo, d, h, mi| Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap();
        let regular = MarketHours::UsEquitiesRegular;
        // Friday 2026-12-04 (EST): 14:30 UTC = 09:30 New York.
        assert!(regular.is_open(at(2026, 12, 4, 14, 30)));
        assert!(!regular.is_open(at(2026, 12, 4, 14, 29)));
        assert!(!regular.is_open(at(2026, 12, 4, 21, 0)));
        // Saturday.
        assert!(!regular.is_open(at(2026, 12, 5, 15, 0)));
        // Monday 2026-07-06 (EDT): 13:30 UTC = 09:30 New York.
        assert!(regular.is_open(at(2026, 7, 6, 13, 30)));
        assert!(!regular.is_open(at(2026, 7, 6, 20, 0)));
        let extended = MarketHours::UsEquitiesExtended;
        assert!(extended.is_open(at(2026, 7, 6, 23, 59)));
        assert!(!extended.is_open(at(2026, 7, 7, 0, 0)));
        assert!(MarketHours::Always.is_open(at(2026, 12, 5, 3, 0)));
        assert_eq!(nth_weekday(2026, 3, Weekday::Sun, 2).day(), 8);
        assert_eq!(nth_weekday(2026, 11, Weekday::Sun, 1).day(), 1);
    }
}
