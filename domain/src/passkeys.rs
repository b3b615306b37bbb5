//! Passkeys (WebAuthn): a sign-in a look-alike page cannot steal, since the browser
//! signs only for the server's own name. An owner adds one after the password, names
//! it, and signs in with it alone (no email typed); it needs user verification (a
//! fingerprint, a face, a PIN on the device), so it counts as both factors where
//! two-factor is on. The server keeps public keys only. `passkeys::service` runs the
//! ceremonies with webauthn-rs, their state in the database so any replica finishes
//! what another began.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;

#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
pub use service::Passkeys;

/// The longest name a passkey may have, in characters.
pub const PASSKEY_NAME_MAX: usize = 64;

/// A passkey as its owner sees it: never the key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeySummary {
    pub id: i64,
    pub name: String,
    #[serde(deserialize_with = "crate::times::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(default, deserialize_with = "crate::times::option_utc")]
    pub last_used_at: Option<DateTime<Utc>>,
    /// The key may be copied to the owner's other devices (a synced passkey) rather than
    /// held by one device alone.
    pub synced: bool,
}

/// The Passkeys tab: whether this server can use passkeys, and the account's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasskeysView {
    /// `None` when passkeys work here; else why not (a public URL that is an address).
    pub unavailable: Option<String>,
    pub passkeys: Vec<PasskeySummary>,
}

/// A ceremony begun: its id (to finish it with) and the options for the browser's
/// `navigator.credentials`, as WebAuthn's JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ceremony {
    pub id: String,
    pub options: String,
}

/// A name for a passkey: 1 to `PASSKEY_NAME_MAX` printable characters, trimmed.
pub fn parse_name(raw: &str) -> Result<String, DomainError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::param("name", "is required"));
    }
    if name.chars().count() > PASSKEY_NAME_MAX || name.chars().any(char::is_control) {
        return Err(DomainError::param(
            "name",
            format!("must be at most {PASSKEY_NAME_MAX} printable characters"),
        ));
    }
    Ok(name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_and_printable() {
        assert_eq!(parse_name("  Laptop  ").unwrap(), "Laptop");
        for bad in ["", "   ", "a\nb", &"x".repeat(65)] {
            assert_eq!(parse_name(bad).unwrap_err().code().number(), 3, "{bad:?}");
        }
    }
}
