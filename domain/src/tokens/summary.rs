//! A token as its owner sees it, and the one reply that reveals its value.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{is_live, Allowlist, Expiry, Grant, LastUse};
use crate::scope::EnvNames;

/// A token as shown to its owner: never the value, never the digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSummary {
    pub id: i64,
    pub description: String,
    pub grant: Grant,
    #[serde(default, deserialize_with = "crate::times::option_utc")]
    pub expires_at: Option<Expiry>,
    #[serde(deserialize_with = "crate::times::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::times::utc")]
    pub updated_at: DateTime<Utc>,
    pub last_used: Option<LastUse>,
    pub hint: String,
    /// Where the token may be used from; empty means anywhere.
    #[serde(default)]
    pub allowlist: Allowlist,
    /// The environments it may touch: `None` for every one (see `scope::EnvNames`).
    #[serde(default)]
    pub env_names: EnvNames,
}

impl TokenSummary {
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        !is_live(self.expires_at, now)
    }

    /// Whole days left (0: it expires today) when a live token expires within
    /// `EXPIRY_WARNING_DAYS`.
    pub fn expires_soon(&self, now: DateTime<Utc>) -> Option<i64> {
        let at = self.expires_at.filter(|_| !self.is_expired(now))?;
        let days = (at.date_naive() - now.date_naive()).num_days();
        (days <= EXPIRY_WARNING_DAYS).then_some(days)
    }
}

/// How far ahead the dashboard warns of an expiry.
pub const EXPIRY_WARNING_DAYS: i64 = 7;

/// A token value shown once, beside the token it belongs to.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RevealedToken {
    pub token: TokenSummary,
    pub key: RevealedKey,
}

/// The value in the one answer that reveals it (to the dashboard, serialised as the
/// bare text). It never prints: `expose` is the one way to the text.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RevealedKey(String);

impl RevealedKey {
    pub fn new(value: String) -> Self {
        Self(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for RevealedKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevealedKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ApiSet;
    use crate::tokens::parse_expiry;
    use chrono::TimeZone;

    #[test]
    fn expiry_warnings_cover_the_next_seven_days() {
        let now = Utc.with_ymd_and_hms(2026, 11, 23, 12, 0, 0).unwrap();
        let token = |expires_at| TokenSummary {
            id: 1,
            description: "t".into(),
            grant: Grant::predefined(ApiSet::Marketplace),
            expires_at,
            created_at: now,
            updated_at: now,
            last_used: None,
            hint: "patio_abcd".into(),
            allowlist: Allowlist::default(),
            env_names: None,
        };
        let day = |d| parse_expiry(d, now).unwrap();
        assert_eq!(token(day("2026-11-23")).expires_soon(now), Some(0));
        assert_eq!(token(day("2026-11-30")).expires_soon(now), Some(7));
        assert_eq!(token(day("2026-12-01")).expires_soon(now), None);
        assert_eq!(token(None).expires_soon(now), None);
        let later = now + chrono::Duration::days(1);
        assert_eq!(
            token(day("2026-11-23")).expires_soon(later),
            None,
            "expired is not expiring"
        );
    }
}
