//! The server's one notion of "now", used by every time check (request skew, presigned expiry).
//! It runs real, offset by a number of seconds, or frozen at an instant, and can be changed at run
//! time through `/_s3strict/clock`, so tests move time instead of sleeping.

use std::sync::RwLock;

use chrono::{DateTime, Duration, SecondsFormat, Utc};

/// How the clock derives "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClockSetting {
    /// The machine's clock.
    #[default]
    Real,
    /// The machine's clock plus this many seconds (may be negative).
    Offset(i64),
    /// Always this instant.
    Frozen(DateTime<Utc>),
}

/// The injectable clock.
#[derive(Debug, Default)]
pub struct Clock {
    setting: RwLock<ClockSetting>,
}

impl Clock {
    /// A clock with the given setting.
    pub fn new(setting: ClockSetting) -> Self {
        Clock { setting: RwLock::new(setting) }
    }

    /// The server's now.
    pub fn now(&self) -> DateTime<Utc> {
        match self.setting() {
            ClockSetting::Real => Utc::now(),
            ClockSetting::Offset(secs) => Utc::now() + Duration::seconds(secs),
            ClockSetting::Frozen(at) => at,
        }
    }

    /// The current setting.
    pub fn setting(&self) -> ClockSetting {
        match self.setting.read() {
            Ok(g) => *g,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }

    /// Changes the setting.
    pub fn set(&self, setting: ClockSetting) {
        match self.setting.write() {
            Ok(mut g) => *g = setting,
            Err(poisoned) => *poisoned.into_inner() = setting,
        }
    }
}

/// `2020-10-15T02:03:37Z`, the form S3 uses in `ServerTime` and `Expires`.
pub fn iso8601(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `20130524T000000Z`, the SigV4 basic form.
pub fn amz_date(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Parses `yyyyMMdd'T'HHmmss'Z'` strictly.
pub fn parse_amz_date(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    if !b[..8].iter().chain(&b[9..15]).all(u8::is_ascii_digit) {
        return None;
    }
    chrono::NaiveDateTime::parse_from_str(s, "%Y%m%dT%H%M%SZ").ok().map(|n| n.and_utc())
}

/// Parses `yyyyMMdd` strictly.
pub fn parse_yyyymmdd(s: &str) -> Option<chrono::NaiveDate> {
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    chrono::NaiveDate::parse_from_str(s, "%Y%m%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frozen_and_offset() {
        let at = parse_amz_date("20260101T000000Z").unwrap();
        let c = Clock::new(ClockSetting::Frozen(at));
        assert_eq!(c.now(), at);
        c.set(ClockSetting::Offset(3600));
        let d = c.now() - Utc::now();
        assert!((3590..=3610).contains(&d.num_seconds()));
        assert_eq!(iso8601(at), "2026-01-01T00:00:00Z");
        assert_eq!(amz_date(at), "20260101T000000Z");
    }

    #[test]
    fn amz_date_is_strict() {
        for bad in
            ["2026-01-01T00:00:00Z", "20260101T000000", "20261301T000000Z", "2026010AT000000Z", "20260101t000000Z"]
        {
            assert!(parse_amz_date(bad).is_none(), "{bad}");
        }
        assert!(parse_yyyymmdd("20130524").is_some());
        assert!(parse_yyyymmdd("2013052").is_none());
    }
}
