//! Accounts and what proves who is calling: email and password, sessions, and the
//! password confirmation every sensitive change asks for.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

#[cfg(feature = "server")]
mod attempts;
#[cfg(feature = "server")]
mod lifecycle;
#[cfg(feature = "server")]
pub(crate) mod links;
#[cfg(feature = "server")]
mod passwords;
#[cfg(feature = "server")]
mod recovery;
#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
mod session_cache;
#[cfg(feature = "server")]
mod sessions;
#[cfg(feature = "server")]
mod totp;
#[cfg(feature = "server")]
mod two_factor;
#[cfg(feature = "server")]
pub use {
    attempts::*,
    lifecycle::*,
    links::{looks_like_link_secret, Links},
    passwords::*,
    recovery::*,
    service::*,
    session_cache::*,
    sessions::*,
    totp::*,
    two_factor::*,
};

/// Where a request came from, for the audit log and the rate limits.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Who is calling and how: the account, the credential it used, where from.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account: AccountInfo,
    pub actor: crate::audit::Actor,
    /// The session used, when the caller signed in (not for tokens).
    pub session_id: Option<i64>,
    /// The token used, when the caller presented one.
    pub token_id: Option<i64>,
    /// The environments a token limited to some may touch (`None`: every one).
    pub scope: Option<std::sync::Arc<crate::scope::EnvScope>>,
    pub origin: Origin,
}

pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// A sign-in name: an email address, stored lower-cased.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim().to_lowercase();
        let valid = text.len() <= 254
            && text.split_once('@').is_some_and(|(local, host)| {
                !local.is_empty()
                    && host.contains('.')
                    && !host.starts_with('.')
                    && !host.ends_with('.')
                    && !host.contains('@')
            })
            && !text.chars().any(|c| c.is_whitespace() || c.is_control());
        if valid {
            Ok(Self(text))
        } else {
            Err(DomainError::param("email", "is not an email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password: 8 to 128 characters, no composition rules, never truncated.
pub struct NewPassword(String);

impl NewPassword {
    pub fn parse(raw: String, field: &str) -> Result<Self, DomainError> {
        let n = raw.chars().count();
        if n < PASSWORD_MIN {
            return Err(DomainError::param(
                field,
                format!("must be at least {PASSWORD_MIN} characters"),
            ));
        }
        if n > PASSWORD_MAX {
            return Err(DomainError::param(
                field,
                format!("must be at most {PASSWORD_MAX} characters"),
            ));
        }
        Ok(Self(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

/// What signing up did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SignUpOutcome {
    /// Mail is off: the account was made (or the email is taken, answered as an error).
    Created,
    /// Mail is on: whatever the email, the answer is to check the inbox.
    CheckInbox,
}

/// The Account tab's view of the account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub email: String,
    #[serde(deserialize_with = "crate::times::utc")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// A change of email waiting for its confirmation from the new address.
    pub pending_email: Option<String>,
    pub notify_new_signin: bool,
    pub two_factor: bool,
    /// Whether this server sends mail (the notices and links need it).
    pub mail: bool,
}

/// What a link is for, and how long it works.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LinkPurpose {
    Reset,
    SignUp,
    EmailChange,
}

impl LinkPurpose {
    pub const fn key(self) -> &'static str {
        match self {
            Self::Reset => "reset",
            Self::SignUp => "signup",
            Self::EmailChange => "email",
        }
    }

    pub fn lifetime(self) -> chrono::Duration {
        match self {
            Self::Reset => chrono::Duration::hours(1),
            Self::SignUp | Self::EmailChange => chrono::Duration::hours(24),
        }
    }

    /// The dashboard path the link opens, before its secret.
    pub const fn path(self) -> &'static str {
        match self {
            Self::Reset => "/reset/",
            Self::SignUp => "/verify/",
            Self::EmailChange => "/confirm-email/",
        }
    }
}

/// The language an account reads Patio in: the one its owner last used in the dashboard.
/// Emails are written in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Language {
    #[default]
    En,
    Id,
}

impl Language {
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Id => "id",
        }
    }

    /// `en` or `id`.
    pub fn parse(code: &str) -> Option<Self> {
        [Self::En, Self::Id].into_iter().find(|l| l.code() == code)
    }

    /// What an account has stored; anything else (or nothing) is English.
    pub fn from_code(code: Option<&str>) -> Self {
        code.and_then(Self::parse).unwrap_or_default()
    }
}

/// The signed-in account as the dashboard sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountInfo {
    pub id: i64,
    pub email: String,
}

/// Whether an account signs in with a second factor, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorStatus {
    /// Since when codes are asked for; `None` while off (or enrolment not finished).
    #[serde(default, deserialize_with = "crate::times::option_utc")]
    pub enabled_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
}

/// What an authenticator app needs to start making codes for the account.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    /// The secret in base32, grouped by four for typing.
    pub secret: String,
    /// `otpauth://totp/…`, what the QR code holds.
    pub uri: String,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Enrolment(***)")
    }
}

/// Recovery codes, shown once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodes(pub Vec<String>);

impl std::fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RecoveryCodes({} codes)", self.0.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse(" Ann@Example.COM ").unwrap().as_str(),
            "ann@example.com"
        );
        for bad in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "a b@example.com",
            "ann@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_have_length_rules_only() {
        assert!(NewPassword::parse("short".into(), "password").is_err());
        assert!(NewPassword::parse("12345678".into(), "password").is_ok());
        assert!(NewPassword::parse("x".repeat(128), "password").is_ok());
        assert!(NewPassword::parse("x".repeat(129), "password").is_err());
        assert!(!format!(
            "{:?}",
            NewPassword::parse("secret-pass".into(), "p").unwrap()
        )
        .contains("secret"));
    }
}
