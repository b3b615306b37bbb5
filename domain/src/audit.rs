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
mod service {
    use anyhow::Context;
    use sqlx::Row;

    use super::{Actor, AuditEvent, Outcome};
    use crate::accounts::Origin;
    use crate::error::DomainError;
    use crate::platform::{from_unix, Platform};

    impl Platform {
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
