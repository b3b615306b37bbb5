//! Mail that tells an owner what happened to the account, and the mail that carries a
//! one-time link (a password reset, a sign-up's verification, an email change). What
//! goes out is decided here, as a `MailKind` with what it names; the server writes it in
//! the account's language (`app::mail`) and sends it. Every mail goes through one queue
//! (`mail::outbox`) that claims it in the database before sending, so it goes out once
//! across replicas and restarts and is retried when the mail server fails. No mail holds
//! a token's value or hint.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::accounts::Language;

#[cfg(feature = "server")]
mod outbox;
#[cfg(feature = "server")]
pub use outbox::{Outbox, OUTBOX_LEASE};

/// What a mail is about, with what it names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MailKind {
    /// A link to `/reset/<secret>` that sets a new password (one hour, once).
    Reset { link: String },
    /// A link to `/verify/<secret>` that creates the account (24 hours, once).
    Verify { link: String },
    /// Someone tried to sign up with an email that has an account.
    SignupExists,
    /// To the new address: a link to `/confirm-email/<secret>` that makes it the
    /// account's email (24 hours, once).
    ConfirmEmail { link: String, old: String },
    /// To the old address: a change to `new` was asked for; nothing changes unless it
    /// is confirmed from there.
    EmailChangeAsked { new: String },
    /// The account's email is now `new` (to the old address and to the new one).
    EmailChanged { old: String, new: String },
    /// The password was changed (from the Account tab) or set from a reset link.
    PasswordChanged { by_reset: bool },
    /// A token was generated, copied or regenerated.
    TokenCreated {
        description: String,
        regenerated: bool,
        api_set: String,
        /// Its environments, as the table shows them (`None`: every environment).
        environments: Option<Vec<String>>,
    },
    /// Every token of the account was revoked at once.
    TokensRevoked { count: u64 },
    /// Two-factor sign-in was turned off.
    TwoFactorOff,
    /// A sign-in from an address the account has not used in 90 days.
    NewSignin,
    /// A passkey was added: one more way into the account.
    PasskeyAdded { name: String },
    /// The account was deleted, with everything it held.
    AccountDeleted { by_operator: bool },
}

impl MailKind {
    /// The key the queue stores beside it (never what it holds).
    pub fn key(&self) -> &'static str {
        match self {
            Self::Reset { .. } => "reset",
            Self::Verify { .. } => "verify",
            Self::SignupExists => "signup_exists",
            Self::ConfirmEmail { .. } => "confirm_email",
            Self::EmailChangeAsked { .. } => "email_change_asked",
            Self::EmailChanged { .. } => "email_changed",
            Self::PasswordChanged { .. } => "password_changed",
            Self::TokenCreated { .. } => "token_created",
            Self::TokensRevoked { .. } => "tokens_revoked",
            Self::TwoFactorOff => "two_factor_off",
            Self::NewSignin => "new_signin",
            Self::PasskeyAdded { .. } => "passkey_added",
            Self::AccountDeleted { .. } => "account_deleted",
        }
    }

    /// The dashboard page the mail links to, for what it is about.
    pub fn page(&self) -> &'static str {
        match self {
            Self::Reset { .. } | Self::Verify { .. } | Self::ConfirmEmail { .. } => "",
            Self::SignupExists => "/forgot",
            Self::TokenCreated { .. } | Self::TokensRevoked { .. } => "/settings/access-tokens",
            Self::TwoFactorOff => "/settings/two-factor",
            Self::NewSignin => "/settings/sessions",
            Self::PasskeyAdded { .. } => "/settings/passkeys",
            Self::EmailChangeAsked { .. }
            | Self::EmailChanged { .. }
            | Self::PasswordChanged { .. } => "/settings/account",
            Self::AccountDeleted { .. } => "/signup",
        }
    }
}

/// Who did what the mail reports, and from where: the time, the client's address and
/// its User-Agent.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailContext {
    pub at: Option<DateTime<Utc>>,
    pub ip: Option<String>,
    pub client: Option<String>,
}

/// A queued mail this replica claimed and must now send.
#[derive(Clone, Debug)]
pub struct OutgoingMail {
    pub id: i64,
    pub to: String,
    pub language: Language,
    pub kind: MailKind,
    pub context: MailContext,
    /// This one included.
    pub attempts: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_and_links_somewhere_sensible() {
        let kinds = [
            MailKind::Reset {
                link: "https://p/reset/x".into(),
            },
            MailKind::SignupExists,
            MailKind::TokenCreated {
                description: "CI".into(),
                regenerated: false,
                api_set: "Custom".into(),
                environments: Some(vec!["ci-*".into()]),
            },
            MailKind::NewSignin,
        ];
        for kind in kinds {
            let text = serde_json::to_string(&kind).unwrap();
            assert_eq!(serde_json::from_str::<MailKind>(&text).unwrap(), kind);
            assert!(kind.page().is_empty() || kind.page().starts_with('/'));
        }
    }
}
