//! The mail queue: a mail is a row, claimed by one replica for `OUTBOX_LEASE` before it
//! is sent ('sending'), then 'sent' once the mail server accepted it. A failed attempt
//! holds the lease until the retry time; a replica that died between claim and send
//! leaves a lease that runs out, and the next pass takes it over; a replica that stops
//! hands back what it claimed. What a mail says is sealed with the server's key (a
//! one-time link is a secret until it is used) and wiped once sent.

use anyhow::Context;
use chrono::Duration;
use sqlx::{AnyConnection, Row};

use super::{MailContext, MailKind, OutgoingMail};
use crate::accounts::Language;
use crate::error::DomainError;

crate::platform::service! {
    /// The mail queue: `platform.outbox()`.
    Outbox, outbox
}

/// How long a claim holds a mail while it is being sent.
pub const OUTBOX_LEASE: Duration = Duration::minutes(5);

/// Mails claimed in one pass; the rest wait for the next.
const PER_PASS: i64 = 50;

/// Sent mails are kept (without what they said) this long, for the operator.
const KEEP_SENT: Duration = Duration::days(30);

/// What the queue keeps of a mail, sealed: the kind and its context.
#[derive(serde::Serialize, serde::Deserialize)]
struct Payload {
    pub kind: MailKind,
    pub context: MailContext,
}

fn seal_context(to: &str) -> String {
    format!("mail:{to}")
}

impl Outbox<'_> {
    /// Queues a mail to the account's email, in its language, on `conn` (inside the
    /// change it reports, so it goes out exactly when the change commits). Nothing is
    /// queued where no mail server is configured.
    pub(crate) async fn notify_on(
        &self,
        conn: &mut AnyConnection,
        account_id: i64,
        kind: MailKind,
        context: MailContext,
    ) -> Result<(), DomainError> {
        if !self.settings.mail {
            return Ok(());
        }
        let row = sqlx::query("select email, language from accounts where id = $1")
            .bind(account_id)
            .fetch_optional(&mut *conn)
            .await
            .context("read the account to mail")?;
        let Some(row) = row else { return Ok(()) };
        let to: String = row.get("email");
        let language = Language::from_code(row.get::<Option<String>, _>("language").as_deref());
        self.queue_on(conn, Some(account_id), &to, language, kind, context)
            .await
    }

    /// `notify_on`, on a connection of its own.
    pub async fn notify(
        &self,
        account_id: i64,
        kind: MailKind,
        context: MailContext,
    ) -> Result<(), DomainError> {
        if !self.settings.mail {
            return Ok(());
        }
        let mut conn = self.db.acquire().await.context("connect")?;
        self.notify_on(&mut conn, account_id, kind, context).await
    }

    /// Queues a mail to an address (a sign-up's, a new email's), on `conn`.
    pub(crate) async fn queue_on(
        &self,
        conn: &mut AnyConnection,
        account_id: Option<i64>,
        to: &str,
        language: Language,
        kind: MailKind,
        context: MailContext,
    ) -> Result<(), DomainError> {
        if !self.settings.mail {
            return Ok(());
        }
        let key = kind.key();
        let payload = serde_json::to_vec(&Payload { kind, context }).context("write a mail")?;
        let sealed = self.settings.secret_key.seal(&payload, &seal_context(to));
        let now = self.now().timestamp();
        sqlx::query(
            "insert into mail_outbox (account_id, to_address, language, kind, payload, state, created_at, updated_at)
             values ($1, $2, $3, $4, $5, 'queued', $6, $6)",
        )
        .bind(account_id)
        .bind(to)
        .bind(language.code())
        .bind(key)
        .bind(sealed)
        .bind(now)
        .execute(&mut *conn)
        .await
        .context("queue a mail")?;
        Ok(())
    }

    /// Claims the mails waiting (queued, or with a lease run out) for this replica.
    pub async fn claim(&self) -> Result<Vec<OutgoingMail>, DomainError> {
        let now = self.now().timestamp();
        let rows = sqlx::query(
            "select id, to_address, language, payload, attempts from mail_outbox
             where state = 'queued' or (state = 'sending' and lease_until <= $1)
             order by id limit $2",
        )
        .bind(now)
        .bind(PER_PASS)
        .fetch_all(&self.db)
        .await
        .context("read the mail queue")?;
        let lease = (self.now() + OUTBOX_LEASE).timestamp();
        let mut claimed = Vec::with_capacity(rows.len());
        for row in rows {
            let id: i64 = row.get("id");
            // Compare-and-set: of two replicas reading the same row, one claims it.
            let taken = sqlx::query(
                "update mail_outbox set state = 'sending', lease_until = $1, attempts = attempts + 1, updated_at = $2
                 where id = $3 and (state = 'queued' or (state = 'sending' and lease_until <= $2))",
            )
            .bind(lease)
            .bind(now)
            .bind(id)
            .execute(&self.db)
            .await
            .context("claim a mail")?;
            if taken.rows_affected() == 0 {
                continue;
            }
            let to: String = row.get("to_address");
            let sealed: Option<String> = row.get("payload");
            let opened = sealed
                .as_deref()
                .map(|s| self.settings.secret_key.open(s, &seal_context(&to)))
                .transpose()
                .and_then(|p| {
                    p.map(|bytes| serde_json::from_slice::<Payload>(&bytes).map_err(Into::into))
                        .transpose()
                });
            let payload = match opened {
                Ok(Some(payload)) => payload,
                Ok(None) | Err(_) => {
                    // A row no key here opens (another key file) cannot be sent by anyone.
                    tracing::error!(mail_id = id, "a queued mail cannot be read; it is dropped");
                    self.sent(id).await?;
                    continue;
                }
            };
            claimed.push(OutgoingMail {
                id,
                to,
                language: Language::from_code(Some(row.get::<String, _>("language").as_str())),
                kind: payload.kind,
                context: payload.context,
                attempts: row.get::<i64, _>("attempts") + 1,
            });
        }
        Ok(claimed)
    }

    /// The mail server accepted the mail: it is never sent again, and what it said is
    /// wiped.
    pub async fn sent(&self, id: i64) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        sqlx::query(
            "update mail_outbox set state = 'sent', sent_at = $1, payload = null, lease_until = null, last_error = null, updated_at = $1
             where id = $2",
        )
        .bind(now)
        .bind(id)
        .execute(&self.db)
        .await
        .context("record a mail sent")?;
        Ok(())
    }

    /// The attempt failed: the mail waits `retry_after` before the next.
    pub async fn failed(&self, mail: &OutgoingMail, error: &str) -> Result<(), DomainError> {
        let now = self.now();
        let error: String = error.chars().take(500).collect();
        sqlx::query(
            "update mail_outbox set lease_until = $1, last_error = $2, updated_at = $3 where id = $4",
        )
        .bind((now + crate::notices::retry_after(mail.attempts)).timestamp())
        .bind(error)
        .bind(now.timestamp())
        .bind(mail.id)
        .execute(&self.db)
        .await
        .context("record a mail failure")?;
        Ok(())
    }

    /// Hands back mails claimed and not sent (a server stopping): queued again, for the
    /// next pass of any replica.
    pub async fn release(&self, mails: &[OutgoingMail]) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        for mail in mails {
            sqlx::query(
                "update mail_outbox set state = 'queued', lease_until = null, attempts = attempts - 1, updated_at = $1
                 where id = $2 and state = 'sending'",
            )
            .bind(now)
            .bind(mail.id)
            .execute(&self.db)
            .await
            .context("hand back a mail")?;
        }
        Ok(())
    }

    /// Mails waiting to be sent (queued or being sent), for metrics and tests.
    pub async fn waiting(&self) -> Result<i64, DomainError> {
        Ok(
            sqlx::query_scalar("select count(*) from mail_outbox where state <> 'sent'")
                .fetch_one(&self.db)
                .await
                .context("count waiting mail")?,
        )
    }

    /// Forgets sent mails after `KEEP_SENT`.
    pub(crate) async fn prune(&self) -> Result<(), DomainError> {
        sqlx::query("delete from mail_outbox where state = 'sent' and sent_at < $1")
            .bind((self.now() - KEEP_SENT).timestamp())
            .execute(&self.db)
            .await
            .context("prune sent mail")?;
        Ok(())
    }
}
