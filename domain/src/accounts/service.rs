//! Accounts: signing up, the operator's account commands, and changing a password.

use super::delete_other_sessions;
use super::{AccountInfo, Attempt, Email, NewPassword, Origin};
use crate::audit::{Actor, Outcome};
use crate::changes::Change;
use crate::error::DomainError;
use crate::platform::{from_unix, WriteKey};
use anyhow::Context;
use chrono::{DateTime, Utc};
use sqlx::Row;

crate::platform::service! {
    /// Accounts: `platform.accounts()`.
    Accounts, accounts
}

/// An account as `patio user list` shows it.
#[derive(Clone, Debug)]
pub struct AccountSummary {
    pub id: i64,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
    pub tokens: i64,
    pub sessions: i64,
}

/// Is this the unique index on `table.column` refusing a duplicate? PostgreSQL names
/// the index (`table_column_key`); SQLite names the columns in its message instead.
pub(crate) fn is_unique_violation(e: &dyn sqlx::error::DatabaseError, columns: &str) -> bool {
    let index = format!("{}_key", columns.replace('.', "_"));
    e.is_unique_violation()
        && match e.constraint() {
            Some(name) => name == index,
            None => e.message().contains(columns),
        }
}

impl Accounts<'_> {
    /// Creates an account from the sign-up page: only while sign-up is open, and at
    /// most `signups_per_hour` from one address (each costs a password hash).
    pub async fn sign_up(
        &self,
        email: &str,
        password: String,
        origin: &Origin,
    ) -> Result<AccountInfo, DomainError> {
        if !self.settings.open_signup {
            return Err(DomainError::InvalidParam(
                "sign-up is closed on this server; ask its operator for an account".into(),
            ));
        }
        let email = Email::parse(email)?;
        let password = NewPassword::parse(password, "password")?;
        self.attempts()
            .reserve(&Attempt::SignUp {
                ip: origin.ip.clone(),
                per_hour: self.settings.signups_per_hour,
            })
            .await?;
        self.create(&email, &password).await
    }

    /// Creates an account whatever the sign-up setting says (the operator's command).
    pub async fn create(
        &self,
        email: &Email,
        password: &NewPassword,
    ) -> Result<AccountInfo, DomainError> {
        let hash = self.passwords().hash(password.expose()).await?;
        let now = self.now().timestamp();
        let inserted = sqlx::query(
            "insert into accounts (email, password_hash, created_at, updated_at) values ($1, $2, $3, $4) returning id",
        )
        .bind(email.as_str())
        .bind(&hash)
        .bind(now)
        .bind(now)
        .fetch_one(&self.db)
        .await;
        match inserted {
            Ok(row) => Ok(AccountInfo {
                id: row.get("id"),
                email: email.as_str().to_owned(),
            }),
            Err(sqlx::Error::Database(e)) if is_unique_violation(e.as_ref(), "accounts.email") => {
                Err(DomainError::param("email", "is already registered"))
            }
            Err(e) => Err(anyhow::Error::new(e).context("insert account").into()),
        }
    }

    /// Sets a new password and signs out every session but `keep`.
    pub async fn change_password(
        &self,
        account_id: i64,
        keep: Option<i64>,
        old: &str,
        new: String,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let new = NewPassword::parse(new, "newPassword")?;
        self.passwords().confirm(account_id, old, origin).await?;
        let hash = self.passwords().hash(new.expose()).await?;
        let now = self.now().timestamp();
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        sqlx::query("update accounts set password_hash = $1, updated_at = $2 where id = $3")
            .bind(&hash)
            .bind(now)
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .context("update password")?;
        delete_other_sessions(&mut tx, account_id, keep).await?;
        self.changes()
            .commit(tx, Change::Sessions(account_id), "commit password change")
            .await?;
        Ok(())
    }

    pub async fn get(&self, account_id: i64) -> Result<(AccountInfo, DateTime<Utc>), DomainError> {
        let row = sqlx::query("select id, email, created_at from accounts where id = $1")
            .bind(account_id)
            .fetch_optional(&self.db)
            .await
            .context("read account")?
            .ok_or(DomainError::NotAuthenticated)?;
        Ok((
            AccountInfo {
                id: row.get("id"),
                email: row.get("email"),
            },
            from_unix(row.get("created_at")),
        ))
    }

    /// Every account, for the operator.
    pub async fn list(&self) -> Result<Vec<AccountSummary>, DomainError> {
        let now = self.now().timestamp();
        let rows = sqlx::query(
            "select a.id, a.email, a.created_at, a.disabled_at,
                    (select count(*) from tokens t where t.account_id = a.id) as tokens,
                    (select count(*) from sessions s where s.account_id = a.id and s.expires_at > $1) as sessions
             from accounts a order by a.id",
        )
        .bind(now)
        .fetch_all(&self.db)
        .await
        .context("list accounts")?;
        Ok(rows
            .into_iter()
            .map(|r| AccountSummary {
                id: r.get("id"),
                email: r.get("email"),
                created_at: from_unix(r.get("created_at")),
                disabled_at: r.get::<Option<i64>, _>("disabled_at").map(from_unix),
                tokens: r.get("tokens"),
                sessions: r.get("sessions"),
            })
            .collect())
    }

    /// The operator disables an account (its sessions end, its tokens answer 701 on
    /// every replica at once) or enables it again.
    pub async fn set_disabled(
        &self,
        email: &Email,
        disabled: bool,
    ) -> Result<AccountInfo, DomainError> {
        let id: i64 = sqlx::query_scalar("select id from accounts where email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .context("look up account")?
            .ok_or_else(|| DomainError::NotFound(format!("no account {}", email.as_str())))?;
        let now = self.now().timestamp();
        let mut tx = self.begin_write(&[WriteKey::Account(id)]).await?;
        sqlx::query("update accounts set disabled_at = $1, updated_at = $2 where id = $3")
            .bind(disabled.then_some(now))
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("disable account")?;
        if disabled {
            sqlx::query("delete from sessions where account_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .context("end sessions")?;
        }
        // Every replica forgets the account's tokens and sessions before this answers.
        self.changes()
            .commit(tx, Change::Account(id), "commit account change")
            .await?;
        let action = if disabled {
            "account.disable"
        } else {
            "account.enable"
        };
        self.audit()
            .record(
                Some(id),
                action,
                Outcome::Ok,
                None,
                &Actor::Operator,
                &Origin::default(),
            )
            .await?;
        Ok(AccountInfo {
            id,
            email: email.as_str().to_owned(),
        })
    }

    /// The operator removes every token of an account.
    pub async fn revoke_tokens_of(&self, email: &Email) -> Result<u64, DomainError> {
        let id: Option<i64> = sqlx::query_scalar("select id from accounts where email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .context("look up account")?;
        let id =
            id.ok_or_else(|| DomainError::NotFound(format!("no account {}", email.as_str())))?;
        let count = self.tokens().remove_all(id).await?;
        self.outbox()
            .notify(
                id,
                crate::mail::MailKind::TokensRevoked { count },
                super::context_of(self.now(), &Origin::default()),
            )
            .await?;
        self.audit()
            .record(
                Some(id),
                "token.revoke_all",
                Outcome::Ok,
                Some(&format!("{count} tokens")),
                &Actor::Operator,
                &Origin::default(),
            )
            .await?;
        Ok(count)
    }
}
