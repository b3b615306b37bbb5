//! The audit log: every token change, sign-in and denied call, with who, what, when
//! and from where.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    Failed,
    Denied,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Denied => "denied",
        }
    }
}

/// Who acted: nobody yet (signing in), a session, or a token known by its hint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    Anonymous,
    /// The operator, from the command line.
    Operator,
    Session,
    Token {
        hint: String,
    },
    /// Someone holding a share link, without an account.
    ShareLink,
    /// Someone signing in with a passkey.
    Passkey,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "password".into(),
            Self::Operator => "operator".into(),
            Self::Session => "session".into(),
            Self::Token { hint } => format!("token {hint}"),
            Self::ShareLink => "share link".into(),
            Self::Passkey => "passkey".into(),
        }
    }
}

/// Which entries of the log the owner wants to see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditFilter {
    All,
    TokenChanges,
    Denied,
    SignIns,
}

impl AuditFilter {
    pub const ALL: [AuditFilter; 4] = [Self::All, Self::TokenChanges, Self::Denied, Self::SignIns];

    pub const fn key(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::TokenChanges => "tokens",
            Self::Denied => "denied",
            Self::SignIns => "signins",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::All => "Everything",
            Self::TokenChanges => "Token changes",
            Self::Denied => "Denied calls",
            Self::SignIns => "Sign-ins, password and code checks",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn matches(self, e: &AuditEvent) -> bool {
        match self {
            Self::All => true,
            Self::TokenChanges => category(&e.action) == CATEGORY_TOKENS,
            Self::Denied => e.outcome == Outcome::Denied.as_str(),
            Self::SignIns => category(&e.action) == CATEGORY_SIGNINS,
        }
    }

    /// The same choice as `matches`, as a condition on `audit_events` (each entry stores
    /// its `category`; indexes serve both forms).
    pub const fn sql_condition(self) -> &'static str {
        match self {
            Self::All => "",
            Self::TokenChanges => "and category = 'tokens'",
            Self::Denied => "and outcome = 'denied'",
            Self::SignIns => "and category = 'signins'",
        }
    }
}

const CATEGORY_TOKENS: &str = "tokens";
const CATEGORY_SIGNINS: &str = "signins";

/// The part of the log an action belongs to, stored beside each entry so that a filter
/// is an indexed condition (the migration that added the column wrote the same for the
/// entries before it).
pub fn category(action: &str) -> &'static str {
    if action.starts_with("token.") || action.starts_with("share.") {
        CATEGORY_TOKENS
    } else if action == "signin"
        || action.starts_with("password.")
        || action.starts_with("passkey.")
        || action.starts_with("twofactor.")
        || action.starts_with("session.")
        || action.starts_with("account.")
    {
        CATEGORY_SIGNINS
    } else {
        "other"
    }
}

/// Entries on one page of the Security Log.
pub const PAGE_SIZE: usize = 100;

/// Where a page of the log starts: the newest entries, entries older than one (the
/// Older link), or newer than one (the Newer link). Entries are known by id, so a page
/// stays put while new entries arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageStart {
    Newest,
    Before(i64),
    After(i64),
}

/// One page of the log, newest first, and where the pages beside it start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Entries newer than this page exist: `PageStart::After` this id shows them.
    pub newer: Option<i64>,
    /// Entries older than this page exist: `PageStart::Before` this id shows them.
    pub older: Option<i64>,
}

/// What an action code means, for people.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "token.create" => "Token generated",
        "token.edit" => "Token edited",
        "token.regenerate" => "Token regenerated",
        "token.delete" => "Token removed",
        "token.revoke_all" => "All tokens revoked",
        "share.create" => "Share link created",
        "share.open" => "Share link opened",
        "share.cancel" => "Share link cancelled",
        "session.signout_others" => "Other sessions signed out",
        "account.disable" => "Account disabled by the operator",
        "account.create" => "Account created",
        "account.delete" => "Account deleted",
        "account.email_change_asked" => "Email change asked for",
        "account.email_change" => "Email changed",
        "account.signin_notices_on" => "Sign-in mail turned on",
        "account.signin_notices_off" => "Sign-in mail turned off",
        "password.reset" => "Password set from a reset link",
        "password.reset_link" => "Reset link made by the operator",
        "password.change" => "Password changed",
        "passkey.add" => "Passkey added",
        "passkey.rename" => "Passkey renamed",
        "passkey.remove" => "Passkey removed",
        "passkey.remove_all" => "Passkeys removed by the operator",
        "account.enable" => "Account enabled by the operator",
        "signin" => "Sign-in",
        "password.confirm" => "Password confirmation",
        "api.call" => "API call outside the token's set",
        "api.address" => "API call from outside the token's allowed IPs",
        "api.scope" => "API call to an environment outside the token's scope",
        "env.create" => "Environment created",
        "env.delete" => "Environment deleted",
        "env.deploy" => "App deployed",
        "env.start" => "Environment started",
        "env.stop" => "Environment stopped",
        "env.sleep" => "Environment put to sleep",
        "env.restart" => "Nodes restarted",
        _ => "Other",
    }
}

/// One entry of the log as the owner reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Tells entries apart and orders them: pages start before or after one.
    pub id: i64,
    #[serde(deserialize_with = "crate::times::utc")]
    pub at: chrono::DateTime<chrono::Utc>,
    pub action: String,
    pub outcome: String,
    pub target: Option<String>,
    pub actor: String,
    pub ip: Option<String>,
    /// How many calls the entry stands for: denied calls are counted by the minute.
    pub count: i64,
}

#[cfg(feature = "server")]
pub use denials::DenialLog;
#[cfg(feature = "server")]
pub use export::{csv_header, csv_rows, to_csv};
#[cfg(feature = "server")]
pub use service::Audit;

#[cfg(feature = "server")]
mod denials;
#[cfg(feature = "server")]
mod export;
#[cfg(feature = "server")]
mod service;

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(action: &str, outcome: &str, target: &str) -> AuditEvent {
        AuditEvent {
            id: 1,
            at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
                .unwrap(),
            action: action.into(),
            outcome: outcome.into(),
            target: Some(target.into()),
            actor: "token patio_abcd".into(),
            ip: Some("127.0.0.1".into()),
            count: 1,
        }
    }

    #[test]
    fn filters_pick_their_entries() {
        let denied = event("api.call", "denied", "environment.control.StartEnv");
        let created = event("token.create", "ok", "token 1");
        let signin = event("signin", "failed", "");
        assert!(AuditFilter::Denied.matches(&denied) && !AuditFilter::Denied.matches(&created));
        assert!(
            AuditFilter::TokenChanges.matches(&created)
                && !AuditFilter::TokenChanges.matches(&signin)
        );
        assert!(AuditFilter::SignIns.matches(&signin));
        assert!(AuditFilter::ALL
            .iter()
            .all(|f| AuditFilter::parse(f.key()) == Some(*f)));
    }
}
