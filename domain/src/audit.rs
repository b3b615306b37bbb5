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
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "password".into(),
            Self::Operator => "operator".into(),
            Self::Session => "session".into(),
            Self::Token { hint } => format!("token {hint}"),
            Self::ShareLink => "share link".into(),
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
            Self::TokenChanges => e.action.starts_with("token.") || e.action.starts_with("share."),
            Self::Denied => e.outcome == Outcome::Denied.as_str(),
            Self::SignIns => {
                e.action == "signin"
                    || e.action == "password.confirm"
                    || e.action.starts_with("twofactor.")
                    || e.action.starts_with("session.")
                    || e.action.starts_with("account.")
            }
        }
    }
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
        "account.enable" => "Account enabled by the operator",
        "signin" => "Sign-in",
        "password.confirm" => "Password confirmation",
        "api.call" => "API call outside the token's set",
        "api.address" => "API call from outside the token's allowed IPs",
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

/// The entries as CSV (RFC 4180), with a header row.
pub fn to_csv(events: &[AuditEvent]) -> String {
    fn field(text: &str) -> String {
        // A leading =, +, - or @ would be a formula in a spreadsheet: quote it away.
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    }
    let mut out = String::from("time_utc,action,outcome,target,actor,ip,count\r\n");
    for e in events {
        let row = [
            e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            e.action.clone(),
            e.outcome.clone(),
            e.target.clone().unwrap_or_default(),
            e.actor.clone(),
            e.ip.clone().unwrap_or_default(),
            e.count.to_string(),
        ];
        out.push_str(&row.iter().map(|f| field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// One entry of the log as the owner reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
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
pub use service::DenialLog;

#[cfg(feature = "server")]
mod service {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use anyhow::Context;
    use sqlx::Row;

    use super::{Actor, AuditEvent, Outcome};
    use crate::accounts::Origin;
    use crate::error::DomainError;
    use crate::platform::{from_unix, Caller, Platform};

    /// Denied calls waiting to be written, counted by account, action, method, actor and
    /// minute: a flood of refused calls becomes one row a minute with a count, and at
    /// most this many distinct rows wait at once (the rest are counted as dropped).
    const DENIALS_MAX: usize = 10_000;

    #[derive(Clone, PartialEq, Eq, Hash)]
    struct DenialKey {
        account_id: i64,
        action: &'static str,
        method: &'static str,
        actor: String,
        minute: i64,
    }

    struct DenialCount {
        count: i64,
        /// The address of the latest call in the minute.
        ip: Option<String>,
    }

    #[derive(Default)]
    pub struct DenialLog {
        pending: Mutex<HashMap<DenialKey, DenialCount>>,
        dropped: Mutex<u64>,
    }

    impl Platform {
        /// Notes a call a token was not allowed to make; `flush_pending` writes it.
        pub fn audit_denied(&self, caller: &Caller, method: &'static str) {
            self.note_denial("api.call", caller, method);
        }

        /// Notes a call refused because it came from outside the token's allowlist.
        pub fn audit_outside_allowlist(&self, caller: &Caller, method: &'static str) {
            self.note_denial("api.address", caller, method);
        }

        fn note_denial(&self, action: &'static str, caller: &Caller, method: &'static str) {
            let now = self.now().timestamp();
            let key = DenialKey {
                account_id: caller.account.id,
                action,
                method,
                actor: caller.actor.label(),
                minute: now - now.rem_euclid(60),
            };
            let mut pending = self
                .denials
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if pending.len() >= DENIALS_MAX && !pending.contains_key(&key) {
                drop(pending);
                *self
                    .denials
                    .dropped
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) += 1;
                return;
            }
            let entry = pending
                .entry(key)
                .or_insert(DenialCount { count: 0, ip: None });
            entry.count += 1;
            entry.ip.clone_from(&caller.origin.ip);
        }

        /// Denied-call tallies waiting to be written.
        pub(crate) fn denial_backlog(&self) -> usize {
            self.denials
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .len()
        }

        pub(crate) async fn flush_denials(&self) -> Result<(), DomainError> {
            let batch = std::mem::take(
                &mut *self
                    .denials
                    .pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            );
            let dropped = std::mem::take(
                &mut *self
                    .denials
                    .dropped
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()),
            );
            if dropped > 0 {
                tracing::warn!(
                    dropped,
                    "denied calls beyond the audit batch limit were not logged"
                );
            }
            if batch.is_empty() {
                return Ok(());
            }
            let mut tx = self.begin_write().await?;
            for (key, tally) in batch {
                // The minute's row, if an earlier flush (or another replica) wrote it.
                let updated = sqlx::query(
                    "update audit_events set count = count + $1, ip = $2, updated_at = $3
                     where account_id = $4 and action = $5 and outcome = 'denied' and target = $6
                       and actor = $7 and created_at = $8",
                )
                .bind(tally.count)
                .bind(&tally.ip)
                .bind(self.now().timestamp())
                .bind(key.account_id)
                .bind(key.action)
                .bind(key.method)
                .bind(&key.actor)
                .bind(key.minute)
                .execute(&mut *tx)
                .await
                .context("count denied calls")?;
                if updated.rows_affected() > 0 {
                    continue;
                }
                sqlx::query(
                    "insert into audit_events (account_id, action, outcome, target, actor, ip, created_at, updated_at, count)
                     values ($1, $2, 'denied', $3, $4, $5, $6, $7, $8)",
                )
                .bind(key.account_id)
                .bind(key.action)
                .bind(key.method)
                .bind(&key.actor)
                .bind(&tally.ip)
                .bind(key.minute)
                .bind(key.minute)
                .bind(tally.count)
                .execute(&mut *tx)
                .await
                .context("insert denied calls")?;
            }
            tx.commit().await.context("commit denied calls")?;
            Ok(())
        }

        /// Deletes audit entries older than the retention period and attempts older
        /// than any limit's window; runs at most once an hour.
        pub(crate) async fn prune_old_entries(&self) -> Result<(), DomainError> {
            let now = self.now().timestamp();
            let hour = now / 3600;
            if self
                .pruned_hour
                .swap(hour, std::sync::atomic::Ordering::AcqRel)
                == hour
            {
                return Ok(());
            }
            let days = i64::from(self.settings.audit_retention_days);
            sqlx::query("delete from audit_events where created_at < $1")
                .bind(now - days * 86_400)
                .execute(&self.db)
                .await
                .context("delete old audit entries")?;
            self.prune_notices().await?;
            self.prune_attempts().await
        }

        pub async fn audit(
            &self,
            account_id: Option<i64>,
            action: &str,
            outcome: Outcome,
            target: Option<&str>,
            actor: &Actor,
            origin: &Origin,
        ) -> Result<(), DomainError> {
            let now = self.now().timestamp();
            sqlx::query(
                "insert into audit_events (account_id, action, outcome, target, actor, ip, created_at, updated_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(account_id)
            .bind(action)
            .bind(outcome.as_str())
            .bind(target)
            .bind(actor.label())
            .bind(origin.ip.as_deref())
            .bind(now)
            .bind(now)
            .execute(&self.db)
            .await
            .context("insert audit event")?;
            Ok(())
        }

        /// The account's newest events first.
        pub async fn audit_events(
            &self,
            account_id: i64,
            limit: i64,
        ) -> Result<Vec<AuditEvent>, DomainError> {
            let rows = sqlx::query(
                "select created_at, action, outcome, target, actor, ip, count from audit_events
                 where account_id = $1 order by id desc limit $2",
            )
            .bind(account_id)
            .bind(limit)
            .fetch_all(&self.db)
            .await
            .context("list audit events")?;
            Ok(rows
                .into_iter()
                .map(|r| AuditEvent {
                    at: from_unix(r.get(0)),
                    action: r.get(1),
                    outcome: r.get(2),
                    target: r.get(3),
                    actor: r.get(4),
                    ip: r.get(5),
                    count: r.get(6),
                })
                .collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(action: &str, outcome: &str, target: &str) -> AuditEvent {
        AuditEvent {
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

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        let csv = to_csv(&[
            event("token.edit", "ok", "a \"quoted\", thing"),
            event("token.edit", "ok", "=HYPERLINK()"),
        ]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "time_utc,action,outcome,target,actor,ip,count");
        assert_eq!(lines[1], "2026-11-23 12:00:00,token.edit,ok,\"a \"\"quoted\"\", thing\",token patio_abcd,127.0.0.1,1");
        assert!(lines[2].contains(",'=HYPERLINK(),"));
    }
}
