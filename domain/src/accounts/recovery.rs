//! A forgotten password: `/forgot` mails a one-time link where an account has the email
//! and answers every email alike, at once (the looking up and mailing happen after the
//! answer, so neither its words nor its timing tell whether an account exists); the
//! link's page sets a new password, which ends every session of the account (its tokens
//! keep working: they were never the password's). The operator can make a link too, for
//! a server without mail.

use anyhow::Context;

use super::LinkPurpose;
use super::{Attempt, Email, NewPassword, Origin};
use crate::audit::{Actor, Outcome};
use crate::changes::Change;
use crate::error::DomainError;
use crate::mail::{MailContext, MailKind};
use crate::platform::{digest, WriteKey};
use sqlx::Row;

crate::platform::service! {
    /// Forgotten passwords: `platform.recovery()`.
    Recovery, recovery
}

/// What a mail says of the request it answers: now, from where.
pub(crate) fn context_of(now: chrono::DateTime<chrono::Utc>, origin: &Origin) -> MailContext {
    MailContext {
        at: Some(now),
        ip: origin.ip.clone(),
        client: origin
            .user_agent
            .as_ref()
            .map(|ua| ua.chars().take(200).collect()),
    }
}

impl Recovery<'_> {
    /// Asks for a reset link for `email`. Limited like sign-ins (by the email tried and
    /// by address), and answered the same whether or not an account has the email; the
    /// mail, where there is one to send, is queued after the answer.
    pub async fn forgot(&self, email: &str, origin: &Origin) -> Result<(), DomainError> {
        if !self.settings.mail {
            return Err(DomainError::InvalidParam(
                "this server sends no mail: ask its operator for a link to set a new password"
                    .into(),
            ));
        }
        let email = Email::parse(email)?;
        self.attempts()
            .reserve(&Attempt::Forgot {
                login: digest(email.as_str()),
                ip: origin.ip.clone(),
            })
            .await?;
        let platform = self.0.clone();
        let origin = origin.clone();
        tokio::spawn(async move {
            // Logged where it failed; the person asks again.
            let _ = platform.recovery().mail_reset(&email, &origin).await;
        });
        Ok(())
    }

    /// Makes a reset link for the account with `email`, if there is one (and it is
    /// enabled), and queues the mail that carries it.
    async fn mail_reset(&self, email: &Email, origin: &Origin) -> Result<(), DomainError> {
        let account: Option<i64> =
            sqlx::query_scalar("select id from accounts where email = $1 and disabled_at is null")
                .bind(email.as_str())
                .fetch_optional(&self.db)
                .await
                .context("look up the account to reset")?;
        let Some(account_id) = account else {
            return Ok(());
        };
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        self.links()
            .end_for(&mut tx, LinkPurpose::Reset, account_id)
            .await?;
        let link = self
            .links()
            .create(&mut tx, LinkPurpose::Reset, Some(account_id), None, None)
            .await?;
        let context = context_of(self.now(), origin);
        self.outbox()
            .notify_on(&mut tx, account_id, MailKind::Reset { link }, context)
            .await?;
        tx.commit().await.context("commit a reset link")?;
        Ok(())
    }

    /// Sets a new password from a reset link: every session of the account ends, its
    /// tokens keep working, the owner is mailed. Wrong, used and expired links are
    /// limited by address like sign-ins.
    pub async fn reset(
        &self,
        secret: &str,
        password: String,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let password = NewPassword::parse(password, "password")?;
        let attempt = Attempt::Link {
            ip: origin.ip.clone(),
        };
        let reserved = self.attempts().reserve(&attempt).await?;
        let hash = self.passwords().hash(password.expose()).await?;
        let mut tx = self.begin_write(&[]).await?;
        let Some(link) = self
            .links()
            .consume(&mut tx, LinkPurpose::Reset, secret)
            .await?
        else {
            drop(tx);
            self.attempts().failed(reserved).await?;
            return Err(link_gone());
        };
        let account_id = link.account_id.context("a reset link without an account")?;
        let now = self.now();
        sqlx::query("update accounts set password_hash = $1, updated_at = $2 where id = $3")
            .bind(&hash)
            .bind(now.timestamp())
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .context("set the new password")?;
        sqlx::query("delete from sessions where account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .context("end the account's sessions")?;
        self.links()
            .end_for(&mut tx, LinkPurpose::Reset, account_id)
            .await?;
        self.outbox()
            .notify_on(
                &mut tx,
                account_id,
                MailKind::PasswordChanged { by_reset: true },
                context_of(now, origin),
            )
            .await?;
        self.changes()
            .commit(tx, Change::Sessions(account_id), "commit a password reset")
            .await?;
        self.attempts().succeeded(reserved, &attempt).await?;
        self.audit()
            .record(
                Some(account_id),
                "password.reset",
                Outcome::Ok,
                None,
                &Actor::Anonymous,
                origin,
            )
            .await
    }

    /// A reset link for the operator to hand over (a server without mail): printed, never
    /// stored but as a digest; in the account's Security Log as the operator's.
    pub async fn operator_link(&self, email: &Email) -> Result<String, DomainError> {
        let row = sqlx::query("select id from accounts where email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .context("look up the account")?
            .ok_or_else(|| DomainError::NotFound(format!("no account {}", email.as_str())))?;
        let account_id: i64 = row.get("id");
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        self.links()
            .end_for(&mut tx, LinkPurpose::Reset, account_id)
            .await?;
        let link = self
            .links()
            .create(&mut tx, LinkPurpose::Reset, Some(account_id), None, None)
            .await?;
        tx.commit().await.context("commit a reset link")?;
        self.audit()
            .record(
                Some(account_id),
                "password.reset_link",
                Outcome::Ok,
                None,
                &Actor::Operator,
                &Origin::default(),
            )
            .await?;
        Ok(link)
    }
}

/// What a link that does not work (now) answers, whatever the reason.
pub(crate) fn link_gone() -> DomainError {
    DomainError::NotFound("this link does not work: it was already used, or it expired".into())
}
