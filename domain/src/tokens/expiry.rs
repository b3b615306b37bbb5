//! When a token stops working: the accepted input forms and the liveness rule.

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::error::DomainError;

/// The last moment a token is valid, in whole seconds, UTC.
pub type Expiry = DateTime<Utc>;

pub const API_DATE_TIME: &str = "%Y-%m-%d %H:%M:%S";

/// `yyyy-MM-dd HH:mm:ss` (UTC) or `yyyy-MM-dd` (valid through the end of that day).
/// Empty means no expiry. A moment already past is refused.
pub fn parse_expiry(raw: &str, now: DateTime<Utc>) -> Result<Option<Expiry>, DomainError> {
    let text = raw.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let moment = if let Ok(t) = NaiveDateTime::parse_from_str(text, API_DATE_TIME) {
        t
    } else if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        d.and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default())
    } else {
        return Err(DomainError::param(
            "expiresAt",
            "must be yyyy-MM-dd or yyyy-MM-dd HH:mm:ss (UTC)",
        ));
    };
    if text.len() > 19 || !(1970..=9999).contains(&chrono::Datelike::year(&moment)) {
        return Err(DomainError::param("expiresAt", "is out of range"));
    }
    let moment = moment.and_utc();
    if moment <= now {
        return Err(DomainError::param("expiresAt", "is in the past"));
    }
    Ok(Some(moment))
}

/// Is a token with this expiry still valid at `now`?
pub fn is_live(expires_at: Option<Expiry>, now: DateTime<Utc>) -> bool {
    expires_at.is_none_or(|e| now.timestamp() <= e.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn expiry_dates_run_through_the_end_of_the_day() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let e = parse_expiry("2026-12-31", now).unwrap().unwrap();
        assert_eq!(e, Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap());
        let e = parse_expiry("2026-11-23 12:30:00", now).unwrap().unwrap();
        assert_eq!(e.format(API_DATE_TIME).to_string(), "2026-11-23 12:30:00");
        assert_eq!(parse_expiry("", now).unwrap(), None);
        assert!(parse_expiry("2026-11-23 11:00:00", now).is_err());
        assert!(parse_expiry("2026-11-22", now).is_err());
        assert!(parse_expiry("23-11-2026", now).is_err());
        assert!(parse_expiry("2026-02-30", now).is_err());
        assert!(parse_expiry("tomorrow", now).is_err());
        // Today's date is still valid until midnight.
        assert!(parse_expiry("2026-11-23", now).is_ok());
    }

    #[test]
    fn liveness_includes_the_last_second() {
        let e = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        assert!(is_live(Some(e), e));
        assert!(!is_live(Some(e), e + chrono::Duration::seconds(1)));
        assert!(is_live(None, e));
    }
}
