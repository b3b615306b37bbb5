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
    Session,
    Token { hint: String },
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "anonymous".into(),
            Self::Session => "session".into(),
            Self::Token { hint } => format!("token {hint}"),
        }
    }
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
}

#[cfg(feature = "server")]
pub use service::DenialLog;

#[cfg(feature = "server")]
mod service {
    use std::sync::Mutex;

    use anyhow::Context;
    use sqlx::Row;

    use super::{Actor, AuditEvent, Outcome};
    use crate::accounts::Origin;
    use crate::error::DomainError;
    use crate::platform::{from_unix, Caller, Platform};

    /// Denied calls waiting to be written: a flood of them must not turn into a flood
    /// of synchronous writes, so they are logged in batches, at most this many a batch.
    const DENIALS_MAX: usize = 10_000;

    struct Denial {
        action: &'static str,
        account_id: i64,
        method: &'static str,
        actor: String,
        ip: Option<String>,
        at: i64,
    }

    #[derive(Default)]
    pub struct DenialLog {
        pending: Mutex<Vec<Denial>>,
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
            let mut pending = self
                .denials
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if pending.len() >= DENIALS_MAX {
                *self
                    .denials
                    .dropped
                    .lock()
                    .unwrap_or_else(|e| e.into_inner()) += 1;
                return;
            }
            pending.push(Denial {
                action,
                account_id: caller.account.id,
                method,
                actor: caller.actor.label(),
                ip: caller.origin.ip.clone(),
                at: self.now().timestamp(),
            });
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
                    "denied calls beyond the audit batch limit were not logged one by one"
                );
            }
            if batch.is_empty() {
                return Ok(());
            }
            let mut tx = self
                .db
                .begin_with("begin immediate")
                .await
                .context("begin")?;
            for d in batch {
                sqlx::query(
                    "insert into audit_events (account_id, action, outcome, target, actor, ip, created_at, updated_at)
                     values (?, ?, 'denied', ?, ?, ?, ?, ?)",
                )
                .bind(d.account_id)
                .bind(d.action)
                .bind(d.method)
                .bind(d.actor)
                .bind(d.ip)
                .bind(d.at)
                .bind(d.at)
                .execute(&mut *tx)
                .await
                .context("insert denied call")?;
            }
            tx.commit().await.context("commit denied calls")?;
            Ok(())
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
                 values (?, ?, ?, ?, ?, ?, ?, ?)",
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
                "select created_at, action, outcome, target, actor, ip from audit_events
                 where account_id = ? order by id desc limit ?",
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
                })
                .collect())
        }
    }
}
