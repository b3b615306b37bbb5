//! Sessions: signing in and out, and the session behind a dashboard cookie or a
//! `session` parameter, answered from memory like a token.

use super::needs_rehash;
use super::{AccountInfo, Attempt, CachedSession, Email, Origin};
use crate::audit::{Actor, Outcome};
use crate::changes::Change;
use crate::error::DomainError;
use crate::platform::{digest, from_unix, random_base62, WriteKey};
use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;
use sqlx::Row;

crate::platform::service! {
    /// Signing in and out, and open sessions: `platform.sessions()`.
    Sessions, sessions
}

/// A session dies after this long unused, and after `SESSION_MAX` whatever happens.
pub const SESSION_IDLE: Duration = Duration::hours(24);

pub const SESSION_MAX: Duration = Duration::days(14);

const SESSION_LEN: usize = 40;

/// A session value handed out once at sign-in.
pub struct NewSession {
    /// Sent once, in the answer or the cookie; it never prints.
    pub value: SecretString,
    pub account: AccountInfo,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for NewSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewSession")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// One open session, as `GetSessions` lists it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SessionInfo {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Ends every session of the account but `keep`; how many ended.
pub(super) async fn delete_other_sessions(
    tx: &mut crate::platform::Transaction,
    account_id: i64,
    keep: Option<i64>,
) -> Result<u64, DomainError> {
    let done = sqlx::query("delete from sessions where account_id = $1 and id is distinct from $2")
        .bind(account_id)
        .bind(keep)
        .execute(&mut **tx)
        .await
        .context("sign out other sessions")?;
    Ok(done.rows_affected())
}

impl Sessions<'_> {
    /// Checks email and password, then the two-factor code if the account has it on,
    /// and opens a session.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
        code: Option<&str>,
        origin: &Origin,
    ) -> Result<NewSession, DomainError> {
        let ip = origin.ip.clone();
        let email = Email::parse(login).ok();
        let row = match &email {
            Some(email) => sqlx::query(
                "select id, email, password_hash, disabled_at, notify_new_signin from accounts where email = $1",
            )
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .context("look up account")?,
            None => None,
        };
        let disabled = row
            .as_ref()
            .is_some_and(|r| r.get::<Option<i64>, _>("disabled_at").is_some());
        let notify = row
            .as_ref()
            .is_some_and(|r| r.get::<i64, _>("notify_new_signin") != 0);
        let account = row.map(|r| {
            (
                r.get::<i64, _>("id"),
                r.get::<String, _>("email"),
                r.get::<String, _>("password_hash"),
            )
        });
        let familiar = match &account {
            Some((id, ..)) => self.attempts().is_familiar(*id, ip.as_deref()).await?,
            None => false,
        };
        let attempt = Attempt::SignIn {
            login: digest(&login.trim().to_lowercase()),
            ip,
            familiar,
        };
        let account_id = account.as_ref().map(|a| a.0);
        // A refusal here writes nothing: a flood of them must not become rows.
        let reserved = self.attempts().reserve(&attempt).await?;
        let ok = self
            .passwords()
            .verify(password, account.as_ref().map(|a| a.2.clone()))
            .await?;
        let Some((id, email, stored)) = account.filter(|_| ok) else {
            let failures = &self.stats.signin_failures;
            return Err(self
                .passwords()
                .refuse(reserved, failures, account_id, "signin", origin)
                .await);
        };
        self.attempts().succeeded(reserved, &attempt).await?;
        if disabled {
            // Only someone who knows the password learns that the account is disabled.
            return Err(DomainError::AccountDisabled);
        }
        self.two_factor().second_factor(id, code, origin).await?;
        if needs_rehash(&stored) {
            let hash = self.passwords().hash(password).await?;
            sqlx::query("update accounts set password_hash = $1, updated_at = $2 where id = $3")
                .bind(&hash)
                .bind(self.now().timestamp())
                .bind(id)
                .execute(&self.db)
                .await
                .context("upgrade password hash")?;
        }
        if !familiar && notify {
            self.new_address_notice(id, origin).await?;
        }
        let session = self.open(AccountInfo { id, email }, origin).await?;
        self.audit()
            .record(
                Some(id),
                "signin",
                Outcome::Ok,
                None,
                &Actor::Anonymous,
                origin,
            )
            .await?;
        Ok(session)
    }

    /// Mails the owner about a sign-in from an address the account has not used in 90
    /// days, unless it is the account's first sign-in (nothing is new to it yet).
    pub(crate) async fn new_address_notice(
        &self,
        account_id: i64,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let signed_in_before: Option<i64> = sqlx::query_scalar(
            "select 1 from audit_events where account_id = $1 and action = 'signin' and outcome = 'ok' limit 1",
        )
        .bind(account_id)
        .fetch_optional(&self.db)
        .await
        .context("look for an earlier sign-in")?;
        if signed_in_before.is_none() {
            return Ok(());
        }
        self.outbox()
            .notify(
                account_id,
                crate::mail::MailKind::NewSignin,
                super::recovery::context_of(self.now(), origin),
            )
            .await
    }

    pub(crate) async fn open(
        &self,
        account: AccountInfo,
        origin: &Origin,
    ) -> Result<NewSession, DomainError> {
        let value = random_base62(SESSION_LEN);
        let now = self.now();
        let expires_at = now + SESSION_MAX;
        sqlx::query(
            "insert into sessions (account_id, digest, ip, user_agent, expires_at, last_used_at, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(account.id)
        .bind(digest(&value))
        .bind(origin.ip.as_deref())
        .bind(origin.user_agent.as_deref().map(|ua| ua.chars().take(200).collect::<String>()))
        .bind(expires_at.timestamp())
        .bind(now.timestamp())
        .bind(now.timestamp())
        .bind(now.timestamp())
        .execute(&self.db)
        .await
        .context("insert session")?;
        Ok(NewSession {
            value: SecretString::from(value),
            account,
            expires_at,
        })
    }

    /// The account and session id a session value belongs to, if it is still open
    /// (idle for less than `SESSION_IDLE`, younger than `SESSION_MAX`, account enabled).
    /// Answered from memory like a token: every sign-out, password change or account
    /// change empties the account's sessions on every replica before it is answered.
    pub async fn resolve(&self, value: &str) -> Result<(AccountInfo, i64), DomainError> {
        if value.len() != SESSION_LEN || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DomainError::NotAuthenticated);
        }
        let now = self.now().timestamp();
        let idle_since = now - SESSION_IDLE.num_seconds();
        let digest = digest(value);
        self.changes().notice_elsewhere();
        if let Some(hit) = self.session_cache.get(&digest) {
            if hit.expires_at > now && hit.last_used_at > idle_since {
                self.note_use(&digest, &hit, now);
                return Ok((hit.account, hit.session_id));
            }
            // Idle here, but another replica may have used it since: ask the database.
        }
        let generation = self.session_cache.generation();
        let row = sqlx::query(
            "select s.id, s.account_id, a.email, s.last_used_at, s.expires_at from sessions s
             join accounts a on a.id = s.account_id
             where s.digest = $1 and s.expires_at > $2 and a.disabled_at is null",
        )
        .bind(&digest)
        .bind(now)
        .fetch_optional(&self.db)
        .await
        .context("look up session")?
        .ok_or(DomainError::NotAuthenticated)?;
        let session_id: i64 = row.get("id");
        // A use this replica noted but has not written yet counts too.
        let last_used_at = row
            .get::<i64, _>("last_used_at")
            .max(self.session_uses.latest(session_id).unwrap_or(i64::MIN));
        if last_used_at <= idle_since {
            return Err(DomainError::NotAuthenticated);
        }
        let session = CachedSession {
            account: AccountInfo {
                id: row.get("account_id"),
                email: row.get("email"),
            },
            session_id,
            expires_at: row.get("expires_at"),
            last_used_at,
        };
        self.session_cache
            .insert(generation, digest.clone(), session.clone());
        self.note_use(&digest, &session, now);
        Ok((session.account, session_id))
    }

    /// Sliding idle expiry: a use is written at most once a minute per session, by the
    /// once-a-second writer, not by the request.
    fn note_use(&self, digest: &[u8], session: &CachedSession, now: i64) {
        if now - session.last_used_at >= 60 {
            self.session_uses.record(session.session_id, now);
            self.session_cache.update(&digest.to_vec(), |s| {
                s.last_used_at = s.last_used_at.max(now)
            });
        }
    }

    /// Writes the session uses noted since the last flush.
    pub async fn flush_uses(&self) -> Result<(), DomainError> {
        let _one_at_a_time = self.session_uses.flushing.lock().await;
        let pending = self.session_uses.take();
        if pending.is_empty() {
            return Ok(());
        }
        let written = async {
            let mut uses: Vec<(i64, i64)> = pending.iter().map(|(id, at)| (*id, *at)).collect();
            // One order on every replica: row locks are taken in the same sequence.
            uses.sort_unstable();
            let mut tx = self.begin_write(&[]).await?;
            for (id, at) in uses {
                sqlx::query(
                    "update sessions set last_used_at = $1, updated_at = $1 where id = $2 and last_used_at < $1",
                )
                .bind(at)
                .bind(id)
                .execute(&mut *tx)
                .await
                .context("record session use")?;
            }
            tx.commit().await.context("commit session uses")?;
            Ok::<(), DomainError>(())
        }
        .await;
        if written.is_err() {
            // Kept for the next flush rather than lost.
            self.session_uses.restore(pending);
        }
        written
    }

    pub async fn sign_out(&self, session_id: i64) -> Result<(), DomainError> {
        let mut tx = self.db.begin().await.context("begin")?;
        let account: Option<i64> =
            sqlx::query_scalar("delete from sessions where id = $1 returning account_id")
                .bind(session_id)
                .fetch_optional(&mut *tx)
                .await
                .context("delete session")?;
        match account {
            Some(account) => {
                self.changes()
                    .commit(tx, Change::Sessions(account), "commit sign-out")
                    .await
            }
            None => Ok(()),
        }
    }

    pub async fn list(&self, account_id: i64) -> Result<Vec<SessionInfo>, DomainError> {
        // The owner sees every use so far, not only the flushed ones.
        self.flush_uses().await?;
        let now = self.now().timestamp();
        let rows = sqlx::query(
            "select id, created_at, last_used_at, ip, user_agent from sessions
             where account_id = $1 and expires_at > $2 and last_used_at > $3 order by id",
        )
        .bind(account_id)
        .bind(now)
        .bind(now - SESSION_IDLE.num_seconds())
        .fetch_all(&self.db)
        .await
        .context("list sessions")?;
        Ok(rows
            .into_iter()
            .map(|r| SessionInfo {
                id: r.get("id"),
                created_at: from_unix(r.get("created_at")),
                last_used_at: from_unix(r.get("last_used_at")),
                ip: r.get("ip"),
                user_agent: r.get("user_agent"),
            })
            .collect())
    }

    /// Ends the given sessions of the account; all of them or, if any is not the
    /// account's, none.
    pub async fn sign_out_these(&self, account_id: i64, ids: &[i64]) -> Result<u64, DomainError> {
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        let mut ended = 0;
        for id in ids {
            let done = sqlx::query("delete from sessions where id = $1 and account_id = $2")
                .bind(id)
                .bind(account_id)
                .execute(&mut *tx)
                .await
                .context("delete session")?;
            if done.rows_affected() == 0 {
                return Err(DomainError::NotFound(format!(
                    "no session {id} on this account"
                )));
            }
            ended += done.rows_affected();
        }
        self.changes()
            .commit(tx, Change::Sessions(account_id), "commit sign-outs")
            .await?;
        Ok(ended)
    }

    /// Ends every session of the account but `keep` (the caller's own), after the
    /// password: someone else may be signed in with a stolen session.
    pub async fn sign_out_others(
        &self,
        account_id: i64,
        keep: Option<i64>,
        password: &str,
        origin: &Origin,
    ) -> Result<u64, DomainError> {
        self.passwords()
            .confirm(account_id, password, origin)
            .await?;
        let mut tx = self.db.begin().await.context("begin")?;
        let ended = delete_other_sessions(&mut tx, account_id, keep).await?;
        self.changes()
            .commit(tx, Change::Sessions(account_id), "commit sign-outs")
            .await?;
        self.audit()
            .record(
                Some(account_id),
                "session.signout_others",
                Outcome::Ok,
                Some(&format!("{} sessions", ended)),
                &Actor::Session,
                origin,
            )
            .await?;
        Ok(ended)
    }
}
