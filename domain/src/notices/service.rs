//! Claiming expiry notices so that each is sent once across restarts and replicas.
//! A notice is one row per (token, kind, expiry): the replica that inserts it owns it
//! for `LEASE` ('sending'); it marks it 'sent' once the mail server accepted the
//! message. A failed attempt sets the lease to the retry time; a replica that died
//! between claim and send leaves a lease that runs out, and the next pass takes the
//! notice over. So a notice is sent at least once, and twice only if a replica dies in
//! the moment between the mail server's acceptance and the 'sent' write.

use super::{due, NoticeKind};
use crate::accounts::Language;
use crate::error::DomainError;
use crate::platform::from_unix;
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

crate::platform::service! {
    /// Expiry notices: `platform.notices()`.
    Notices, notices
}

/// How long a claim holds a notice while it is being sent.
pub const LEASE: Duration = Duration::minutes(5);

/// Notices claimed in one pass; the rest wait for the next.
const PER_PASS: usize = 50;

/// A notice this replica claimed and must now send.
#[derive(Clone, Debug)]
pub struct DueNotice {
    pub notice_id: i64,
    pub kind: NoticeKind,
    pub token_id: i64,
    pub description: String,
    pub expires_at: DateTime<Utc>,
    pub email: String,
    pub language: Language,
    /// This one included.
    pub attempts: i64,
}

/// After `attempts` failures, wait this long before the next: a minute more each time,
/// at most half an hour.
pub fn retry_after(attempts: i64) -> Duration {
    Duration::minutes(attempts.clamp(1, 30))
}

/// Whether a notice of `kind` may be claimed, given the notices made about the same
/// expiry (`kind:state:lease_until`, comma-separated): not yet made, or still being
/// sent with its lease run out.
fn claimable(made: &str, kind: NoticeKind, now: i64) -> bool {
    made.split(',')
        .filter_map(|n| {
            let mut parts = n.split(':');
            Some((parts.next()?, parts.next()?, parts.next()?))
        })
        .find(|(k, _, _)| *k == kind.key())
        .is_none_or(|(_, state, lease)| {
            state == "sending" && lease.parse::<i64>().map_or(true, |l| l <= now)
        })
}

impl Notices<'_> {
    /// Claims the notices due now that no replica has sent or is sending.
    pub async fn claim(&self) -> Result<Vec<DueNotice>, DomainError> {
        let now = self.now();
        // Each token near its expiry, with the notices already made about this expiry
        // (`kind:state:lease_until`, comma-separated): one read a pass, and a notice
        // already sent costs no write on the next passes.
        let rows = sqlx::query(
            "select t.id, t.description, t.expires_at, t.created_at, a.email, a.language,
                    (select string_agg(n.kind || ':' || n.state || ':' || coalesce(cast(n.lease_until as text), ''), ',')
                     from expiry_notices n where n.token_id = t.id and n.expires_at = t.expires_at) as notices
             from tokens t join accounts a on a.id = t.account_id
             where a.disabled_at is null and t.expires_at is not null
               and t.expires_at >= $1 and t.expires_at <= $2
             order by t.expires_at, t.id",
        )
        .bind((now - Duration::days(1)).timestamp())
        .bind((now + NoticeKind::Week.lead()).timestamp())
        .fetch_all(&self.db)
        .await
        .context("look for tokens near their expiry")?;
        let mut candidates = Vec::new();
        for row in &rows {
            let expires_at = from_unix(row.get("expires_at"));
            let Some(kind) = due(expires_at, from_unix(row.get("created_at")), now) else {
                continue;
            };
            let made: Option<String> = row.get("notices");
            if !claimable(made.as_deref().unwrap_or_default(), kind, now.timestamp()) {
                continue;
            }
            candidates.push(DueNotice {
                notice_id: 0,
                kind,
                token_id: row.get("id"),
                description: row.get("description"),
                expires_at,
                email: row.get("email"),
                language: Language::from_code(row.get::<Option<String>, _>("language").as_deref()),
                attempts: 0,
            });
            if candidates.len() >= PER_PASS {
                break;
            }
        }
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let (stamp, lease) = (now.timestamp(), (now + LEASE).timestamp());
        let mut claimed = Vec::with_capacity(candidates.len());
        // The unique index, not a lock, decides which replica sends a notice.
        let mut tx = self.begin_write(&[]).await?;
        for mut notice in candidates {
            // The unique (token, kind, expiry) index decides between replicas.
            let inserted = sqlx::query(
                "insert into expiry_notices (token_id, kind, expires_at, state, attempts, lease_until, created_at, updated_at)
                 values ($1, $2, $3, 'sending', 1, $4, $5, $5)
                 on conflict (token_id, kind, expires_at) do nothing
                 returning id, attempts",
            )
            .bind(notice.token_id)
            .bind(notice.kind.key())
            .bind(notice.expires_at.timestamp())
            .bind(lease)
            .bind(stamp)
            .fetch_optional(&mut *tx)
            .await
            .context("claim expiry notice")?;
            let row = match inserted {
                Some(row) => Some(row),
                // Taken over when its lease ran out: a failed attempt, or a replica gone.
                None => sqlx::query(
                    "update expiry_notices set lease_until = $1, attempts = attempts + 1, updated_at = $2
                     where token_id = $3 and kind = $4 and expires_at = $5
                       and state = 'sending' and (lease_until is null or lease_until <= $2)
                     returning id, attempts",
                )
                .bind(lease)
                .bind(stamp)
                .bind(notice.token_id)
                .bind(notice.kind.key())
                .bind(notice.expires_at.timestamp())
                .fetch_optional(&mut *tx)
                .await
                .context("take over expiry notice")?,
            };
            if let Some(row) = row {
                notice.notice_id = row.get("id");
                notice.attempts = row.get("attempts");
                claimed.push(notice);
            }
        }
        tx.commit().await.context("commit expiry notice claims")?;
        Ok(claimed)
    }

    /// The mail server accepted the notice: it is never sent again.
    pub async fn sent(&self, notice_id: i64) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        sqlx::query(
            "update expiry_notices set state = 'sent', sent_at = $1, lease_until = null, last_error = null, updated_at = $1
             where id = $2",
        )
        .bind(now)
        .bind(notice_id)
        .execute(&self.db)
        .await
        .context("record expiry notice sent")?;
        Ok(())
    }

    /// Hands back notices claimed and not sent (a server stopping): their lease ends
    /// now, so the next pass of any replica sends them.
    pub async fn release(&self, notices: &[DueNotice]) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        for notice in notices {
            sqlx::query(
                "update expiry_notices set lease_until = null, attempts = attempts - 1, updated_at = $1
                 where id = $2 and state = 'sending'",
            )
            .bind(now)
            .bind(notice.notice_id)
            .execute(&self.db)
            .await
            .context("hand back an expiry notice")?;
        }
        Ok(())
    }

    /// The attempt failed: the notice waits `retry_after` before the next.
    pub async fn failed(&self, notice: &DueNotice, error: &str) -> Result<(), DomainError> {
        let now = self.now();
        let error: String = error.chars().take(500).collect();
        sqlx::query(
            "update expiry_notices set lease_until = $1, last_error = $2, updated_at = $3 where id = $4",
        )
        .bind((now + retry_after(notice.attempts)).timestamp())
        .bind(error)
        .bind(now.timestamp())
        .bind(notice.notice_id)
        .execute(&self.db)
        .await
        .context("record expiry notice failure")?;
        Ok(())
    }

    /// The notices of a token (kind, state, attempts), oldest first: for the operator
    /// and the tests.
    pub async fn of_token(
        &self,
        token_id: i64,
    ) -> Result<Vec<(NoticeKind, String, i64)>, DomainError> {
        let rows = sqlx::query(
            "select kind, state, attempts from expiry_notices where token_id = $1 order by id",
        )
        .bind(token_id)
        .fetch_all(&self.db)
        .await
        .context("list expiry notices")?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let kind = NoticeKind::parse(&r.get::<String, _>("kind"))?;
                Some((kind, r.get("state"), r.get("attempts")))
            })
            .collect())
    }

    /// Records the language the owner reads the dashboard in, when it changed.
    pub async fn remember_language(
        &self,
        account_id: i64,
        language: Language,
    ) -> Result<(), DomainError> {
        let stored: Option<Option<String>> =
            sqlx::query_scalar("select language from accounts where id = $1")
                .bind(account_id)
                .fetch_optional(&self.db)
                .await
                .context("read account language")?;
        if stored.is_some_and(|s| s.as_deref() != Some(language.code())) {
            sqlx::query("update accounts set language = $1, updated_at = $2 where id = $3")
                .bind(language.code())
                .bind(self.now().timestamp())
                .bind(account_id)
                .execute(&self.db)
                .await
                .context("update account language")?;
        }
        Ok(())
    }

    /// Notices about expiries long past can never be due again.
    pub(crate) async fn prune(&self) -> Result<(), DomainError> {
        sqlx::query("delete from expiry_notices where expires_at < $1")
            .bind((self.now() - Duration::days(30)).timestamp())
            .execute(&self.db)
            .await
            .context("delete old expiry notices")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_claimable_until_sent_and_while_its_lease_ran_out() {
        assert!(claimable("", NoticeKind::Week, 100));
        assert!(claimable("week:sent:", NoticeKind::Day, 100));
        assert!(!claimable(
            "week:sent:,day:sending:200",
            NoticeKind::Week,
            100
        ));
        assert!(!claimable("day:sending:200", NoticeKind::Day, 100));
        assert!(claimable("day:sending:100", NoticeKind::Day, 100));
        assert!(claimable("day:sending:", NoticeKind::Day, 100));
    }

    #[test]
    fn retries_wait_longer_each_time_up_to_half_an_hour() {
        assert_eq!(retry_after(1), Duration::minutes(1));
        assert_eq!(retry_after(5), Duration::minutes(5));
        assert_eq!(retry_after(500), Duration::minutes(30));
    }
}
