//! Expiry notices: an email to the owner 7 days and 1 day before a token expires, and
//! when it has expired. Which notice is due is decided here; claiming and recording
//! them in `notices::service`; the server writes and sends the emails.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum NoticeKind {
    /// 7 days before.
    Week,
    /// 1 day before.
    Day,
    /// Within a day after the token expired.
    Expired,
}

impl NoticeKind {
    pub const ALL: [NoticeKind; 3] = [Self::Week, Self::Day, Self::Expired];

    pub const fn key(self) -> &'static str {
        match self {
            Self::Week => "week",
            Self::Day => "day",
            Self::Expired => "expired",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }

    /// How long before the expiry the notice goes out (after it, for `Expired`).
    pub fn lead(self) -> Duration {
        match self {
            Self::Week => Duration::days(7),
            Self::Day | Self::Expired => Duration::days(1),
        }
    }
}

/// The notice due for a token at `now`, if any: only the most urgent one that applies,
/// so a server that was down (or a mail server that refused) for days sends "tomorrow",
/// not a stale "in 7 days" as well. `Expired` is due only within a day after the
/// expiry, so turning email on never mails about tokens that expired long ago. A token
/// made with less time left than a notice's lead gets no such notice: its owner chose
/// the short life (and a token made to live less than a day gets none at all).
pub fn due(
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<NoticeKind> {
    let kind = if now > expires_at {
        if now - expires_at > Duration::days(1) {
            return None;
        }
        NoticeKind::Expired
    } else if expires_at - now <= Duration::days(1) {
        NoticeKind::Day
    } else if expires_at - now <= Duration::days(7) {
        NoticeKind::Week
    } else {
        return None;
    };
    (expires_at - created_at > kind.lead()).then_some(kind)
}

#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
pub use service::*;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_most_urgent_notice_is_due() {
        let made = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        let expiry = made + Duration::days(30);
        let at = |days_before: i64, hours: i64| {
            due(
                expiry,
                made,
                expiry - Duration::days(days_before) + Duration::hours(hours),
            )
        };
        assert_eq!(at(8, 0), None);
        assert_eq!(at(7, 0), Some(NoticeKind::Week));
        assert_eq!(at(2, 0), Some(NoticeKind::Week));
        assert_eq!(at(1, 0), Some(NoticeKind::Day));
        assert_eq!(
            at(0, 0),
            Some(NoticeKind::Day),
            "the last second is still valid"
        );
        assert_eq!(at(0, 1), Some(NoticeKind::Expired));
        assert_eq!(at(-1, 0), Some(NoticeKind::Expired));
        assert_eq!(at(-1, 1), None, "long expired: nothing");
    }

    #[test]
    fn short_lived_tokens_skip_the_notices_their_owner_did_not_need() {
        let made = Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap();
        let three_days = made + Duration::days(3);
        assert_eq!(due(three_days, made, made + Duration::hours(1)), None);
        assert_eq!(
            due(three_days, made, three_days - Duration::hours(2)),
            Some(NoticeKind::Day)
        );
        let an_hour = made + Duration::hours(1);
        assert_eq!(due(an_hour, made, made + Duration::minutes(30)), None);
        assert_eq!(due(an_hour, made, made + Duration::hours(2)), None);
    }

    #[test]
    fn kinds_round_trip_their_keys() {
        for k in NoticeKind::ALL {
            assert_eq!(NoticeKind::parse(k.key()), Some(k));
        }
        assert_eq!(NoticeKind::parse("month"), None);
    }
}
