//! Reading back the times the server writes: RFC 3339, as chrono's serde writes a
//! `DateTime<Utc>` (`2026-12-07T09:21:00.5Z`). chrono's own reading goes through its
//! general parser, which is about 7 KB of the browser's compressed wasm on every
//! signed-in page; the fields the dashboard reads use these functions instead
//! (`#[serde(deserialize_with = "crate::times::utc")]`, `option_utc`, `day`). What
//! they write is unchanged.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::de::{Deserialize, Deserializer, Error};

/// A time written as RFC 3339: `yyyy-mm-ddThh:mm:ss`, an optional fraction of up to nine
/// digits, then `Z` or an offset `±hh:mm`. Years outside 0–9999 carry a sign, as chrono
/// writes them; a leap second is second 60.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let mut at = Cursor(text.as_bytes());
    let date = at.date()?;
    at.byte(b'T')?;
    let hour = at.number(2)?;
    at.byte(b':')?;
    let minute = at.number(2)?;
    at.byte(b':')?;
    let second = at.number(2)?;
    let mut nanos = 0;
    if at.byte(b'.').is_some() {
        let digits = at.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if !(1..=9).contains(&digits) {
            return None;
        }
        nanos = at.number(digits)? * 10u32.pow(9 - digits as u32);
    }
    let offset_seconds = match at.0 {
        [b'Z'] => 0,
        [sign @ (b'+' | b'-'), ..] => {
            let sign = if *sign == b'+' { 1 } else { -1 };
            at.0 = &at.0[1..];
            let hours = at.number(2)?;
            at.byte(b':')?;
            let minutes = at.number(2)?;
            if !at.0.is_empty() || minutes > 59 {
                return None;
            }
            sign * i64::from(hours * 3600 + minutes * 60)
        }
        _ => return None,
    };
    // chrono keeps a leap second as second 59 with a second's worth more nanoseconds.
    let time = if second == 60 {
        NaiveTime::from_hms_nano_opt(hour, minute, 59, nanos + 1_000_000_000)?
    } else {
        NaiveTime::from_hms_nano_opt(hour, minute, second, nanos)?
    };
    let local = date.and_time(time);
    local
        .checked_sub_signed(Duration::seconds(offset_seconds))
        .map(|utc| utc.and_utc())
}

/// A day written as chrono writes a `NaiveDate`: `yyyy-mm-dd`, a year outside 0–9999
/// with a sign.
pub fn parse_day(text: &str) -> Option<NaiveDate> {
    let mut at = Cursor(text.as_bytes());
    let day = at.date()?;
    at.0.is_empty().then_some(day)
}

/// The bytes not read yet.
struct Cursor<'a>(&'a [u8]);

impl Cursor<'_> {
    /// `yyyy-mm-dd`, the year with a sign and more digits outside 0–9999.
    fn date(&mut self) -> Option<NaiveDate> {
        let sign = match self.0.first() {
            Some(b'+') => Some(1),
            Some(b'-') => Some(-1),
            _ => None,
        };
        if sign.is_some() {
            self.0 = &self.0[1..];
        }
        let year_digits = self.0.iter().take_while(|b| b.is_ascii_digit()).count();
        if year_digits < 4 || (sign.is_none() && year_digits != 4) {
            return None;
        }
        let year = i32::try_from(self.number(year_digits)?).ok()? * sign.unwrap_or(1);
        self.byte(b'-')?;
        let month = self.number(2)?;
        self.byte(b'-')?;
        let day = self.number(2)?;
        NaiveDate::from_ymd_opt(year, month, day)
    }

    /// `count` ASCII digits as a number.
    fn number(&mut self, count: usize) -> Option<u32> {
        let digits = self.0.get(..count)?;
        let mut n: u32 = 0;
        for d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            n = n.checked_mul(10)?.checked_add(u32::from(d - b'0'))?;
        }
        self.0 = &self.0[count..];
        Some(n)
    }

    fn byte(&mut self, expected: u8) -> Option<()> {
        let (first, rest) = self.0.split_first()?;
        (*first == expected).then(|| self.0 = rest)
    }
}

/// `#[serde(deserialize_with = "crate::times::utc")]`.
pub fn utc<'de, D: Deserializer<'de>>(deserializer: D) -> Result<DateTime<Utc>, D::Error> {
    time(&String::deserialize(deserializer)?)
}

fn time<E: Error>(text: &str) -> Result<DateTime<Utc>, E> {
    parse(text).ok_or_else(|| E::custom("not an RFC 3339 time"))
}

/// `#[serde(deserialize_with = "crate::times::day")]`.
pub fn day<'de, D: Deserializer<'de>>(deserializer: D) -> Result<NaiveDate, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_day(&text).ok_or_else(|| D::Error::custom("not a yyyy-mm-dd day"))
}

/// `#[serde(default, deserialize_with = "crate::times::option_utc")]`.
pub fn option_utc<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    Option::<String>::deserialize(deserializer)?
        .map(|text| time(&text))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone};

    /// What chrono's serde writes, as a JSON string's contents.
    fn written(at: DateTime<Utc>) -> String {
        let json = serde_json::to_string(&at).unwrap();
        json.trim_matches('"').to_owned()
    }

    #[test]
    fn reads_back_whatever_chrono_writes() {
        // A spread of instants from year 1 to 9999 (a simple LCG), each with no fraction,
        // whole milliseconds, whole microseconds and any nanoseconds: chrono writes each
        // of those in its own form.
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let first = Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0).unwrap().timestamp();
        let last = Utc
            .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
            .unwrap()
            .timestamp();
        for _ in 0..20_000 {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let seconds = first + (x >> 11) as i64 % (last - first + 1);
            let nanos = (x % 1_000_000_000) as u32;
            for nanos in [0, nanos / 1_000_000 * 1_000_000, nanos / 1000 * 1000, nanos] {
                let at = Utc.timestamp_opt(seconds, nanos).unwrap();
                let text = written(at);
                assert_eq!(parse(&text), Some(at), "{text}");
            }
        }
        for at in [
            Utc.with_ymd_and_hms(-44, 3, 15, 12, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap(),
        ] {
            let text = written(at);
            assert_eq!(parse(&text), Some(at), "{text}");
        }
    }

    #[test]
    fn reads_back_the_days_chrono_writes() {
        let mut day = NaiveDate::from_ymd_opt(1, 1, 1).unwrap();
        while day.year() <= 9999 {
            let json = serde_json::to_string(&day).unwrap();
            assert_eq!(parse_day(json.trim_matches('"')), Some(day), "{json}");
            day += Duration::days(37);
        }
        for day in [
            NaiveDate::from_ymd_opt(-44, 3, 15).unwrap(),
            NaiveDate::from_ymd_opt(10_000, 2, 29).unwrap(),
        ] {
            let json = serde_json::to_string(&day).unwrap();
            assert_eq!(parse_day(json.trim_matches('"')), Some(day), "{json}");
        }
        for text in [
            "",
            "2026-12",
            "2026-12-07T00:00:00Z",
            "2026-02-30",
            "2026-12-7",
            "20261207",
        ] {
            assert_eq!(parse_day(text), None, "{text:?}");
        }
    }

    #[test]
    fn reads_offsets_and_leap_seconds_as_chrono_does() {
        for text in [
            "2026-12-07T09:21:00+05:30",
            "2026-12-07T09:21:00.25-08:00",
            "2026-01-01T00:30:00+01:00",
            "2016-12-31T23:59:60Z",
            "2016-12-31T23:59:60.5Z",
        ] {
            let chrono = DateTime::parse_from_rfc3339(text)
                .unwrap()
                .with_timezone(&Utc);
            assert_eq!(parse(text), Some(chrono), "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_such_a_time() {
        for text in [
            "",
            "2026-12-07",
            "2026-12-07T09:21:00",
            "2026-12-07T09:21Z",
            "2026-13-07T09:21:00Z",
            "2026-02-30T09:21:00Z",
            "2026-12-07T24:00:00Z",
            "2026-12-07T09:21:00.Z",
            "2026-12-07T09:21:00.1234567890Z",
            "2026-12-07T09:21:00ZZ",
            "2026-12-07T09:21:00+05:30:00",
            "2026-12-07T09:21:00+0530",
            "26-12-07T09:21:00Z",
            "02026-12-07T09:21:00Z",
            "２026-12-07T09:21:00Z",
            "2026-12-07T09:21:00 Z",
        ] {
            assert_eq!(parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn fields_read_with_it_read_what_was_written() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct Row {
            #[serde(deserialize_with = "utc")]
            at: DateTime<Utc>,
            #[serde(default, deserialize_with = "option_utc")]
            until: Option<DateTime<Utc>>,
        }
        let at = Utc.timestamp_opt(1_800_000_000, 123_000_000).unwrap();
        for row in [
            Row { at, until: None },
            Row {
                at,
                until: Some(at + Duration::days(30)),
            },
        ] {
            let json = serde_json::to_string(&row).unwrap();
            assert_eq!(serde_json::from_str::<Row>(&json).unwrap(), row, "{json}");
        }
        let missing: Row = serde_json::from_str(r#"{"at":"2027-01-15T08:00:00Z"}"#).unwrap();
        assert_eq!(missing.until, None);
        let wrong = serde_json::from_str::<Row>(r#"{"at":"yesterday"}"#).unwrap_err();
        assert!(
            wrong.to_string().contains("not an RFC 3339 time"),
            "{wrong}"
        );
    }
}
