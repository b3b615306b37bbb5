//! What a token did lately: its last use and its calls per day and per method, bucketed
//! by UTC calendar day.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// When and from where a token was last used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LastUse {
    #[serde(deserialize_with = "crate::times::utc")]
    pub at: DateTime<Utc>,
    pub ip: Option<String>,
    /// The client's User-Agent, clipped to `USER_AGENT_MAX` characters.
    #[serde(default)]
    pub user_agent: Option<String>,
}

/// The longest User-Agent kept for a token's last use.
pub const USER_AGENT_MAX: usize = 256;

/// How many days of calls the detail panel draws.
pub const USAGE_DAYS: i64 = 30;
/// How long per-day call counts are kept; also the longest Tighten window.
pub const USAGE_RETENTION_DAYS: i64 = 90;

/// Calls on one day (UTC).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCalls {
    #[serde(deserialize_with = "crate::times::day")]
    pub day: NaiveDate,
    pub calls: u64,
}

/// Calls to one method over the usage window.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MethodCalls {
    pub method: String,
    pub calls: u64,
    #[serde(deserialize_with = "crate::times::day")]
    pub last_day: NaiveDate,
}

/// What a token did lately: its last use, its calls per day for `USAGE_DAYS` days (oldest
/// first, days without calls included) and the methods it called in that time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenUsage {
    pub token_id: i64,
    pub last_used: Option<LastUse>,
    pub days: Vec<DayCalls>,
    pub methods: Vec<MethodCalls>,
}

impl TokenUsage {
    pub fn total(&self) -> u64 {
        self.days.iter().map(|d| d.calls).sum()
    }
}

/// Whole days since 1970-01-01 for a UTC time: how usage is bucketed.
pub fn day_number(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

pub fn day_of_number(day: i64) -> NaiveDate {
    DateTime::<Utc>::from_timestamp(day * 86_400, 0)
        .unwrap_or_default()
        .date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn usage_days_are_utc_calendar_days() {
        let late = Utc.with_ymd_and_hms(2026, 11, 23, 23, 59, 59).unwrap();
        let early = Utc.with_ymd_and_hms(2026, 11, 24, 0, 0, 0).unwrap();
        assert_eq!(day_number(early) - day_number(late), 1);
        assert_eq!(day_of_number(day_number(late)), late.date_naive());
        assert_eq!(day_of_number(day_number(early)), early.date_naive());
    }
}
