//! One-time share links: a token value handed to a co-worker without passing through
//! chat or email in plain text. The owner's browser encrypts the value (AES-256-GCM)
//! with a fresh random key and sends only the nonce and ciphertext; the key travels in
//! the link's fragment (`/share/<id>#<key>`), which browsers never send, so the server
//! holds nothing that opens the token. Storage lives in `shares::service`.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use crate::error::DomainError;
use crate::tokens::{Allowlist, Grant, TOKEN_LEN};

/// A link id: 24 base62 characters from the OS random source (142 bits).
pub const SHARE_ID_LEN: usize = 24;
/// AES-256: the key in the fragment.
pub const KEY_LEN: usize = 32;
/// AES-GCM's 96-bit nonce, sent before the ciphertext.
pub const NONCE_LEN: usize = 12;
/// AES-GCM's authentication tag, at the end of the ciphertext.
pub const TAG_LEN: usize = 16;
/// What the browser sends: nonce, encrypted value, tag. Only a token value fits.
pub const SEALED_LEN: usize = NONCE_LEN + TOKEN_LEN + TAG_LEN;
/// How long after a reveal its session may make a share link of the value.
pub const OFFER_MINUTES: i64 = 10;
/// How long a link's row (without ciphertext) is kept after it expired, so that a late
/// opening still learns what became of it.
pub const KEPT_DAYS: i64 = 30;

/// base64url without padding, as the fragment and the wire carry bytes.
pub fn encode(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim()).ok()
}

/// How long a link may wait to be opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareLifetime {
    Hour,
    Day,
    Week,
}

impl ShareLifetime {
    pub const ALL: [ShareLifetime; 3] = [Self::Hour, Self::Day, Self::Week];

    pub const fn key(self) -> &'static str {
        match self {
            Self::Hour => "1h",
            Self::Day => "1d",
            Self::Week => "7d",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|l| l.key() == raw.trim())
            .ok_or_else(|| DomainError::param("lifetime", "must be 1h, 1d or 7d"))
    }

    pub fn duration(self) -> Duration {
        match self {
            Self::Hour => Duration::hours(1),
            Self::Day => Duration::days(1),
            Self::Week => Duration::days(7),
        }
    }
}

/// A link id as it appears in `/share/<id>`: only the right length and alphabet reach
/// the database.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareId(String);

impl ShareId {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.len() == SHARE_ID_LEN && raw.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(raw.to_owned()))
        } else {
            Err(not_found())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The one answer for a link that does not exist (any more): nothing tells a guessed id
/// from a pruned one.
pub fn not_found() -> DomainError {
    DomainError::NotFound("no such share link; it may have been removed".into())
}

/// The nonce and ciphertext of one token value, as the owner's browser sealed it.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed(Vec<u8>);

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sealed({} bytes)", self.0.len())
    }
}

impl Sealed {
    /// base64url of exactly `SEALED_LEN` bytes.
    pub fn parse(text: &str) -> Result<Self, DomainError> {
        let bytes =
            decode(text)
                .filter(|b| b.len() == SEALED_LEN)
                .ok_or_else(|| {
                    DomainError::param(
                "ciphertext",
                format!("must be the {SEALED_LEN} bytes of an encrypted token value, in base64url"),
            )
                })?;
        Ok(Self(bytes))
    }

    pub fn from_bytes(bytes: Vec<u8>) -> Option<Self> {
        (bytes.len() == SEALED_LEN).then_some(Self(bytes))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.0
    }

    pub fn nonce(&self) -> &[u8] {
        &self.0[..NONCE_LEN]
    }

    /// The encrypted value followed by its tag.
    pub fn ciphertext(&self) -> &[u8] {
        &self.0[NONCE_LEN..]
    }

    pub fn to_text(&self) -> String {
        encode(&self.0)
    }
}

/// What became of a link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShareState {
    /// Not opened yet; it can be until `expires_at`.
    Waiting,
    /// The token was shown; the address only on the owner's side.
    Opened {
        #[serde(deserialize_with = "crate::times::utc")]
        at: DateTime<Utc>,
        ip: Option<String>,
    },
    /// The owner cancelled it, or regenerated the token it held.
    Cancelled {
        #[serde(deserialize_with = "crate::times::utc")]
        at: DateTime<Utc>,
    },
    /// Nobody opened it in time.
    Expired,
}

/// A link's state from its stored columns.
pub fn state_of(
    has_ciphertext: bool,
    expires_at: DateTime<Utc>,
    opened: Option<(DateTime<Utc>, Option<String>)>,
    cancelled_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> ShareState {
    if let Some((at, ip)) = opened {
        ShareState::Opened { at, ip }
    } else if let Some(at) = cancelled_at {
        ShareState::Cancelled { at }
    } else if has_ciphertext && now < expires_at {
        ShareState::Waiting
    } else {
        ShareState::Expired
    }
}

/// The owner's view of the token's latest link, on its detail panel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareStatus {
    #[serde(deserialize_with = "crate::times::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::times::utc")]
    pub expires_at: DateTime<Utc>,
    pub state: ShareState,
}

/// What the co-worker sees before pressing Show token: what the token may do, never
/// its value, and what became of the link.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareView {
    /// The owner's account, who sent the link.
    pub owner: String,
    pub description: String,
    pub grant: Grant,
    #[serde(default, deserialize_with = "crate::times::option_utc")]
    pub token_expires_at: Option<DateTime<Utc>>,
    pub allowlist: Allowlist,
    /// The environments it may touch; `None` for every one.
    #[serde(default)]
    pub env_names: crate::scope::EnvNames,
    #[serde(deserialize_with = "crate::times::utc")]
    pub link_expires_at: DateTime<Utc>,
    pub state: ShareState,
}

/// A link just made: its id (the key is the browser's) and when it expires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedShare {
    pub id: String,
    #[serde(deserialize_with = "crate::times::utc")]
    pub expires_at: DateTime<Utc>,
}

/// The path of a link; the browser adds `#<key>`.
pub fn share_path(id: &str) -> String {
    format!("/share/{id}")
}

#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
pub use service::Shares;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn only_a_sealed_token_value_is_accepted() {
        let good = encode(&[7u8; SEALED_LEN]);
        assert_eq!(good.len(), 96);
        let sealed = Sealed::parse(&good).unwrap();
        assert_eq!(sealed.nonce().len(), NONCE_LEN);
        assert_eq!(sealed.ciphertext().len(), TOKEN_LEN + TAG_LEN);
        assert_eq!(sealed.to_text(), good);
        for bad in [
            String::new(),
            encode(&[7u8; SEALED_LEN - 1]),
            encode(&[7u8; SEALED_LEN + 1]),
            format!("{good}=="),
            good.replacen('B', "+", 1),
            "patio_".repeat(15),
        ] {
            assert!(Sealed::parse(&bad).is_err(), "{bad}");
        }
        assert!(!format!("{sealed:?}").contains(&good));
    }

    #[test]
    fn link_ids_have_one_shape() {
        assert!(ShareId::parse("abcdefghijABCDEFGHIJ0123").is_ok());
        for bad in [
            "",
            "abc",
            "abcdefghijABCDEFGHIJ012",
            "abcdefghijABCDEFGHIJ0123x",
            "abcdefghijABCDEFGHIJ012-",
            "../../etc/passwd.......",
        ] {
            assert!(ShareId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lifetimes_are_an_hour_a_day_or_a_week() {
        assert_eq!(ShareLifetime::parse("1h").unwrap(), ShareLifetime::Hour);
        assert_eq!(
            ShareLifetime::parse("7d").unwrap().duration(),
            Duration::days(7)
        );
        assert!(ShareLifetime::parse("30d").is_err());
        assert!(ShareLifetime::parse("").is_err());
    }

    #[test]
    fn a_state_follows_from_the_columns() {
        let now = Utc.with_ymd_and_hms(2026, 11, 25, 12, 0, 0).unwrap();
        let later = now + Duration::hours(1);
        assert_eq!(state_of(true, later, None, None, now), ShareState::Waiting);
        assert_eq!(state_of(true, now, None, None, now), ShareState::Expired);
        assert_eq!(state_of(false, later, None, None, now), ShareState::Expired);
        assert_eq!(
            state_of(false, later, Some((now, None)), None, now),
            ShareState::Opened { at: now, ip: None }
        );
        assert_eq!(
            state_of(false, later, None, Some(now), now),
            ShareState::Cancelled { at: now }
        );
    }

    #[test]
    fn base64url_round_trips_keys() {
        let key = [0xfbu8; KEY_LEN];
        let text = encode(&key);
        assert!(!text.contains(['+', '/', '=']));
        assert_eq!(decode(&text).unwrap(), key);
        assert!(decode("not base64!").is_none());
    }
}
