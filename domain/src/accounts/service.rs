//! Storage and checks for accounts, sessions and password confirmations.

use std::sync::OnceLock;

use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use chrono::{DateTime, Duration, Utc};
use sqlx::Row;

use super::{AccountInfo, Email, NewPassword};
use crate::audit::{Actor, Outcome};
use crate::error::DomainError;
use crate::platform::{digest, from_unix, random_base62, Platform, WriteKey};
use crate::tokens::Change;

/// Attempt limits, each over a sliding `ATTEMPT_WINDOW`. A sign-in counts against the
/// login tried from that address (`PAIR_ATTEMPTS`), against the address whatever the
/// login (`ADDRESS_ATTEMPTS`), and against the login from everywhere
/// (`LOGIN_ATTEMPTS`); the last only holds back addresses the account has never signed
/// in from, so an attacker elsewhere cannot lock the owner out. Logins are keyed by the
/// text tried, so an unknown email and an account answer alike.
pub const PAIR_ATTEMPTS: i64 = 5;
pub const ADDRESS_ATTEMPTS: i64 = 20;
pub const LOGIN_ATTEMPTS: i64 = 10;
/// Password confirmations behind a session, per account.
pub const CONFIRM_ATTEMPTS: i64 = 5;
pub const ATTEMPT_WINDOW: Duration = Duration::minutes(15);
/// An address the account signed in from this recently is familiar to it.
pub const FAMILIAR_FOR: Duration = Duration::days(90);
/// Sign-ups from one address in `SIGNUP_WINDOW`, by default.
pub const SIGNUP_WINDOW: Duration = Duration::hours(1);
/// A session dies after this long unused, and after `SESSION_MAX` whatever happens.
pub const SESSION_IDLE: Duration = Duration::hours(24);
pub const SESSION_MAX: Duration = Duration::days(14);
const SESSION_LEN: usize = 40;

fn argon2() -> Argon2<'static> {
    // OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody knows, so that unknown emails cost as much as known ones.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(random_base62(32).as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Was this hash made with weaker settings than today's?
fn needs_rehash(stored: &str) -> bool {
    let current = argon2();
    let params = current.params();
    PasswordHash::new(stored).map_or(true, |h| {
        h.algorithm.as_str() != "argon2id"
            || Params::try_from(&h).map_or(true, |p| {
                p.m_cost() < params.m_cost()
                    || p.t_cost() < params.t_cost()
                    || p.p_cost() < params.p_cost()
            })
    })
}

/// A session value handed out once at sign-in.
pub struct NewSession {
    pub value: String,
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

/// An open session as this replica remembers it (`Platform::session`).
#[derive(Clone)]
pub(crate) struct CachedSession {
    account: AccountInfo,
    session_id: i64,
    expires_at: i64,
    /// The last use the database holds, or that this replica is about to write.
    last_used_at: i64,
}

/// Open sessions by the digest of their value.
pub(crate) type SessionCache = crate::cache::Cache<Vec<u8>, CachedSession>;

/// Session uses waiting for the once-a-second writer: the latest, by session id.
#[derive(Default)]
pub struct SessionUses {
    pending: std::sync::Mutex<std::collections::HashMap<i64, i64>>,
    /// One flush at a time, so a reader that flushes first sees every earlier use.
    flushing: tokio::sync::Mutex<()>,
}

impl SessionUses {
    fn record(&self, session_id: i64, at: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let last = pending.entry(session_id).or_insert(at);
        *last = (*last).max(at);
    }

    fn latest(&self, session_id: i64) -> Option<i64> {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&session_id)
            .copied()
    }

    fn take(&self) -> std::collections::HashMap<i64, i64> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    fn restore(&self, failed: std::collections::HashMap<i64, i64>) {
        for (id, at) in failed {
            self.record(id, at);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).len()
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

/// One password check or sign-up, as the limits count it.
pub(crate) enum Attempt {
    /// `login` is the digest of the lower-cased login text.
    SignIn {
        login: Vec<u8>,
        ip: Option<String>,
        familiar: bool,
    },
    Confirm {
        account_id: i64,
    },
    /// A two-factor code, after the password.
    Code {
        account_id: i64,
    },
    SignUp {
        ip: Option<String>,
        per_hour: u32,
    },
}

impl Attempt {
    fn kind(&self) -> &'static str {
        match self {
            Self::SignIn { .. } => "signin",
            Self::Confirm { .. } => "confirm",
            Self::Code { .. } => "code",
            Self::SignUp { .. } => "signup",
        }
    }

    /// What the attempt's row holds: the login's digest, the account, the address.
    fn columns(&self) -> (Option<Vec<u8>>, Option<i64>, Option<String>) {
        match self {
            Self::SignIn { login, ip, .. } => (Some(login.clone()), None, ip.clone()),
            Self::Confirm { account_id } | Self::Code { account_id } => {
                (None, Some(*account_id), None)
            }
            Self::SignUp { ip, .. } => (None, None, ip.clone()),
        }
    }

    /// What the limits this attempt is counted against are keyed by: reservations that
    /// share none of them cannot change each other's counts, and go in parallel.
    fn write_keys(&self) -> Vec<WriteKey> {
        let kind = self.kind();
        match self {
            Self::SignIn { login, ip, .. } => {
                let mut keys = vec![WriteKey::AttemptsByLogin(kind, login.clone())];
                keys.extend(ip.clone().map(|ip| WriteKey::AttemptsByAddress(kind, ip)));
                keys
            }
            Self::Confirm { account_id } | Self::Code { account_id } => {
                vec![WriteKey::AttemptsByAccount(kind, *account_id)]
            }
            Self::SignUp { ip, .. } => ip
                .clone()
                .map(|ip| WriteKey::AttemptsByAddress(kind, ip))
                .into_iter()
                .collect(),
        }
    }

    fn window(&self) -> Duration {
        match self {
            Self::SignUp { .. } => SIGNUP_WINDOW,
            _ => ATTEMPT_WINDOW,
        }
    }
}

/// How long a reservation waits for checks still running before it gives up.
const PENDING_WAIT: std::time::Duration = std::time::Duration::from_secs(20);
/// A check pending longer than this was cut short and counts as a failure.
const PENDING_STALE: Duration = Duration::minutes(1);

enum Reservation {
    Made(i64),
    /// Refused: the limit is full of failures until then.
    Full(i64),
    /// The limit would be full if the checks still running failed.
    Busy(i64),
}

/// What one limit counts by.
enum Key {
    Pair(Vec<u8>, Option<String>),
    Text(String),
    Bytes(Vec<u8>),
    Id(i64),
}

/// Where a request came from, for the audit log and the rate limits.
#[derive(Clone, Debug, Default)]
pub struct Origin {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

impl Platform {
    async fn hash_password(&self, password: &str) -> Result<String, DomainError> {
        let _permit = self.hashing.acquire().await.context("hashing semaphore")?;
        let password = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hash password: {e}"))
        })
        .await
        .context("join hashing task")??;
        Ok(hash)
    }

    /// Verifies off the async runtime; `None` checks against the dummy hash.
    async fn verify_password(
        &self,
        password: &str,
        hash: Option<String>,
    ) -> Result<bool, DomainError> {
        let _permit = self.hashing.acquire().await.context("hashing semaphore")?;
        let password = password.to_owned();
        let known = hash.is_some();
        let ok = tokio::task::spawn_blocking(move || {
            let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
            PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .context("join verification task")?;
        Ok(ok && known)
    }

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
        self.reserve_attempt(&Attempt::SignUp {
            ip: origin.ip.clone(),
            per_hour: self.settings.signups_per_hour,
        })
        .await?;
        self.create_account(&email, &password).await
    }

    /// Creates an account whatever the sign-up setting says (the operator's command).
    pub async fn create_account(
        &self,
        email: &Email,
        password: &NewPassword,
    ) -> Result<AccountInfo, DomainError> {
        let hash = self.hash_password(password.expose()).await?;
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
                id: row.get(0),
                email: email.as_str().to_owned(),
            }),
            Err(sqlx::Error::Database(e)) if is_unique_violation(e.as_ref(), "accounts.email") => {
                Err(DomainError::param("email", "is already registered"))
            }
            Err(e) => Err(anyhow::Error::new(e).context("insert account").into()),
        }
    }

    /// Reserves one attempt of `kind` before any password is hashed: inside one write
    /// transaction, every limit is counted and, if none is full, a pending row is
    /// written that stands for this attempt. A limit full of failures refuses at once;
    /// one that would only be full with the checks still running waits for them to end
    /// (a burst of right passwords goes through one after the other). So a burst of any
    /// size evaluates at most as many passwords as the limits allow, on one server or
    /// across replicas. The row is settled as a failure when the check fails and
    /// removed when it succeeds.
    pub(crate) async fn reserve_attempt(&self, attempt: &Attempt) -> Result<i64, DomainError> {
        let started = std::time::Instant::now();
        loop {
            match self.try_reserve(attempt).await? {
                Reservation::Made(id) => return Ok(id),
                Reservation::Busy(_) if started.elapsed() < PENDING_WAIT => {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                }
                Reservation::Full(until) | Reservation::Busy(until) => {
                    self.stats.count(&self.stats.lockouts);
                    return Err(DomainError::TooManyAttempts {
                        retry_after_secs: (until - self.now().timestamp()).max(1) as u64,
                    });
                }
            }
        }
    }

    async fn try_reserve(&self, attempt: &Attempt) -> Result<Reservation, DomainError> {
        let now = self.now();
        let since = (now - attempt.window()).timestamp();
        // A check still pending after this long was cut short (a crash): a failure.
        let stale = (now - PENDING_STALE).timestamp();
        let mut tx = self.begin_write(&attempt.write_keys()).await?;
        let mut limits: Vec<(&str, Key, i64)> = Vec::new();
        match attempt {
            Attempt::SignIn {
                login,
                ip,
                familiar,
            } => {
                limits.push((
                    "login = $2 and ip is not distinct from $3",
                    Key::Pair(login.clone(), ip.clone()),
                    PAIR_ATTEMPTS,
                ));
                if let Some(ip) = ip {
                    limits.push(("ip = $2", Key::Text(ip.clone()), ADDRESS_ATTEMPTS));
                }
                if !familiar {
                    limits.push(("login = $2", Key::Bytes(login.clone()), LOGIN_ATTEMPTS));
                }
            }
            Attempt::Confirm { account_id } => {
                limits.push(("account_id = $2", Key::Id(*account_id), CONFIRM_ATTEMPTS));
            }
            Attempt::Code { account_id } => {
                limits.push((
                    "account_id = $2",
                    Key::Id(*account_id),
                    super::CODE_ATTEMPTS,
                ));
            }
            Attempt::SignUp {
                ip: Some(ip),
                per_hour,
            } => {
                limits.push(("ip = $2", Key::Text(ip.clone()), i64::from(*per_hour)));
            }
            Attempt::SignUp { ip: None, .. } => {}
        }
        let mut full_until: Option<i64> = None;
        let mut busy_until: Option<i64> = None;
        for (condition, key, limit) in limits {
            let sql = format!(
                "select count(*), min(created_at),
                        cast(coalesce(sum(case when settled = 0 and created_at > {stale} then 1 else 0 end), 0) as bigint)
                 from attempts where kind = $1 and {condition} and created_at > {since}"
            );
            let query = sqlx::query(&sql).bind(attempt.kind());
            let query = match key {
                Key::Pair(login, ip) => query.bind(login).bind(ip),
                Key::Text(text) => query.bind(text),
                Key::Bytes(bytes) => query.bind(bytes),
                Key::Id(id) => query.bind(id),
            };
            let row = query.fetch_one(&mut *tx).await.context("count attempts")?;
            let (count, first, pending): (i64, Option<i64>, i64) =
                (row.get(0), row.get(1), row.get(2));
            let until = first.unwrap_or(since) + attempt.window().num_seconds();
            if count - pending >= limit {
                full_until = full_until.max(Some(until));
            } else if count >= limit {
                busy_until = busy_until.max(Some(until));
            }
        }
        if let Some(until) = full_until {
            return Ok(Reservation::Full(until));
        }
        if let Some(until) = busy_until {
            return Ok(Reservation::Busy(until));
        }
        let (login, account_id, ip) = attempt.columns();
        // A sign-up counts as soon as it is made; a password check once it fails.
        let settled = i64::from(matches!(attempt, Attempt::SignUp { .. }));
        let id: i64 = sqlx::query_scalar(
            "insert into attempts (kind, login, account_id, ip, settled, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7) returning id",
        )
        .bind(attempt.kind())
        .bind(login)
        .bind(account_id)
        .bind(ip)
        .bind(settled)
        .bind(now.timestamp())
        .bind(now.timestamp())
        .fetch_one(&mut *tx)
        .await
        .context("reserve an attempt")?;
        tx.commit().await.context("commit the attempt")?;
        Ok(Reservation::Made(id))
    }

    /// Marks a reserved attempt as failed: it now counts against every limit.
    pub(crate) async fn attempt_failed(&self, id: i64) -> Result<(), DomainError> {
        sqlx::query("update attempts set settled = 1, updated_at = $1 where id = $2")
            .bind(self.now().timestamp())
            .bind(id)
            .execute(&self.db)
            .await
            .context("settle an attempt")?;
        Ok(())
    }

    /// Takes back a reserved attempt that succeeded, with the earlier failures of the
    /// same login from the same address (the owner's own typos); failures from other
    /// addresses stay counted.
    pub(crate) async fn attempt_succeeded(
        &self,
        id: i64,
        attempt: &Attempt,
    ) -> Result<(), DomainError> {
        let query = match attempt {
            Attempt::SignIn { login, ip, .. } => sqlx::query(
                "delete from attempts where id = $1 or (kind = 'signin' and login = $2 and ip is not distinct from $3)",
            )
            .bind(id)
            .bind(login.clone())
            .bind(ip.clone()),
            Attempt::Confirm { account_id } | Attempt::Code { account_id } => sqlx::query(
                "delete from attempts where id = $1 or (kind = $3 and account_id = $2)",
            )
            .bind(id)
            .bind(*account_id)
            .bind(attempt.kind()),
            // A sign-up that went through still counts: the limit is on accounts made.
            Attempt::SignUp { .. } => return Ok(()),
        };
        query
            .execute(&self.db)
            .await
            .context("take back an attempt")?;
        Ok(())
    }

    /// Whether the account has signed in from this address lately.
    async fn is_familiar(&self, account_id: i64, ip: Option<&str>) -> Result<bool, DomainError> {
        let Some(ip) = ip else { return Ok(false) };
        let since = (self.now() - FAMILIAR_FOR).timestamp();
        let seen: Option<i64> = sqlx::query_scalar(
            "select 1 from audit_events where account_id = $1 and action = 'signin' and outcome = 'ok'
             and ip = $2 and created_at > $3 limit 1",
        )
        .bind(account_id)
        .bind(ip)
        .bind(since)
        .fetch_optional(&self.db)
        .await
        .context("look for an earlier sign-in")?;
        Ok(seen.is_some())
    }

    /// Forgets attempts older than any window, so the table stays small.
    pub(crate) async fn prune_attempts(&self) -> Result<(), DomainError> {
        let before = (self.now() - ATTEMPT_WINDOW.max(SIGNUP_WINDOW)).timestamp();
        sqlx::query("delete from attempts where created_at <= $1")
            .bind(before)
            .execute(&self.db)
            .await
            .context("prune attempts")?;
        Ok(())
    }

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
                "select id, email, password_hash, disabled_at from accounts where email = $1",
            )
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .context("look up account")?,
            None => None,
        };
        let disabled = row
            .as_ref()
            .is_some_and(|r| r.get::<Option<i64>, _>(3).is_some());
        let account = row.map(|r| {
            (
                r.get::<i64, _>(0),
                r.get::<String, _>(1),
                r.get::<String, _>(2),
            )
        });
        let familiar = match &account {
            Some((id, ..)) => self.is_familiar(*id, ip.as_deref()).await?,
            None => false,
        };
        let attempt = Attempt::SignIn {
            login: digest(&login.trim().to_lowercase()),
            ip,
            familiar,
        };
        let account_id = account.as_ref().map(|a| a.0);
        // A refusal here writes nothing: a flood of them must not become rows.
        let reserved = self.reserve_attempt(&attempt).await?;
        let ok = self
            .verify_password(password, account.as_ref().map(|a| a.2.clone()))
            .await?;
        let Some((id, email, stored)) = account.filter(|_| ok) else {
            self.attempt_failed(reserved).await?;
            self.stats.count(&self.stats.signin_failures);
            self.audit(
                account_id,
                "signin",
                Outcome::Failed,
                None,
                &Actor::Anonymous,
                origin,
            )
            .await?;
            return Err(DomainError::WrongPassword);
        };
        self.attempt_succeeded(reserved, &attempt).await?;
        if disabled {
            // Only someone who knows the password learns that the account is disabled.
            return Err(DomainError::AccountDisabled);
        }
        self.second_factor(id, code, origin).await?;
        if needs_rehash(&stored) {
            let hash = self.hash_password(password).await?;
            sqlx::query("update accounts set password_hash = $1, updated_at = $2 where id = $3")
                .bind(&hash)
                .bind(self.now().timestamp())
                .bind(id)
                .execute(&self.db)
                .await
                .context("upgrade password hash")?;
        }
        let session = self.open_session(AccountInfo { id, email }, origin).await?;
        self.audit(
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

    async fn open_session(
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
            value,
            account,
            expires_at,
        })
    }

    /// The account and session id a session value belongs to, if it is still open
    /// (idle for less than `SESSION_IDLE`, younger than `SESSION_MAX`, account enabled).
    /// Answered from memory like a token: every sign-out, password change or account
    /// change empties the account's sessions on every replica before it is answered.
    pub async fn session(&self, value: &str) -> Result<(AccountInfo, i64), DomainError> {
        if value.len() != SESSION_LEN || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(DomainError::NotAuthenticated);
        }
        let now = self.now().timestamp();
        let idle_since = now - SESSION_IDLE.num_seconds();
        let digest = digest(value);
        self.notice_changes_elsewhere();
        if let Some(hit) = self.session_cache.get(&digest) {
            if hit.expires_at > now && hit.last_used_at > idle_since {
                self.note_session_use(&digest, &hit, now);
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
        let session_id: i64 = row.get(0);
        // A use this replica noted but has not written yet counts too.
        let last_used_at = row
            .get::<i64, _>(3)
            .max(self.session_uses.latest(session_id).unwrap_or(i64::MIN));
        if last_used_at <= idle_since {
            return Err(DomainError::NotAuthenticated);
        }
        let session = CachedSession {
            account: AccountInfo {
                id: row.get(1),
                email: row.get(2),
            },
            session_id,
            expires_at: row.get(4),
            last_used_at,
        };
        self.session_cache
            .insert(generation, digest.clone(), session.clone());
        self.note_session_use(&digest, &session, now);
        Ok((session.account, session_id))
    }

    /// Sliding idle expiry: a use is written at most once a minute per session, by the
    /// once-a-second writer, not by the request.
    fn note_session_use(&self, digest: &[u8], session: &CachedSession, now: i64) {
        if now - session.last_used_at >= 60 {
            self.session_uses.record(session.session_id, now);
            self.session_cache.update(&digest.to_vec(), |s| {
                s.last_used_at = s.last_used_at.max(now)
            });
        }
    }

    /// Writes the session uses noted since the last flush.
    pub async fn flush_session_uses(&self) -> Result<(), DomainError> {
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

    /// Forgets the account's sessions on this replica.
    pub(crate) fn forget_sessions_of(&self, account_id: i64) {
        self.session_cache
            .invalidate_where(|_, s| s.account.id == account_id);
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
                self.commit_change(tx, Change::Sessions(account), "commit sign-out")
                    .await
            }
            None => Ok(()),
        }
    }

    pub async fn sessions(&self, account_id: i64) -> Result<Vec<SessionInfo>, DomainError> {
        // The owner sees every use so far, not only the flushed ones.
        self.flush_session_uses().await?;
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
                id: r.get(0),
                created_at: from_unix(r.get(1)),
                last_used_at: from_unix(r.get(2)),
                ip: r.get(3),
                user_agent: r.get(4),
            })
            .collect())
    }

    /// Ends the given sessions of the account; all of them or, if any is not the
    /// account's, none.
    pub async fn sign_out_sessions(
        &self,
        account_id: i64,
        ids: &[i64],
    ) -> Result<u64, DomainError> {
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
        self.commit_change(tx, Change::Sessions(account_id), "commit sign-outs")
            .await?;
        Ok(ended)
    }

    /// The confirmation every sensitive change asks for: the account's password,
    /// with attempts reserved before the check and failures limited.
    pub async fn confirm_password(
        &self,
        account_id: i64,
        password: &str,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let attempt = Attempt::Confirm { account_id };
        let reserved = self.reserve_attempt(&attempt).await?;
        let hash: Option<String> =
            sqlx::query_scalar("select password_hash from accounts where id = $1")
                .bind(account_id)
                .fetch_optional(&self.db)
                .await
                .context("read password hash")?;
        if password.is_empty() || !self.verify_password(password, hash).await? {
            self.attempt_failed(reserved).await?;
            self.stats.count(&self.stats.confirm_failures);
            self.audit(
                Some(account_id),
                "password.confirm",
                Outcome::Failed,
                None,
                &Actor::Anonymous,
                origin,
            )
            .await?;
            return Err(DomainError::WrongPassword);
        }
        self.attempt_succeeded(reserved, &attempt).await
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
        self.confirm_password(account_id, old, origin).await?;
        let hash = self.hash_password(new.expose()).await?;
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
        self.commit_change(tx, Change::Sessions(account_id), "commit password change")
            .await?;
        Ok(())
    }

    pub async fn account(
        &self,
        account_id: i64,
    ) -> Result<(AccountInfo, DateTime<Utc>), DomainError> {
        let row = sqlx::query("select id, email, created_at from accounts where id = $1")
            .bind(account_id)
            .fetch_optional(&self.db)
            .await
            .context("read account")?
            .ok_or(DomainError::NotAuthenticated)?;
        Ok((
            AccountInfo {
                id: row.get(0),
                email: row.get(1),
            },
            from_unix(row.get(2)),
        ))
    }
}

impl Platform {
    /// Ends every session of the account but `keep` (the caller's own), after the
    /// password: someone else may be signed in with a stolen session.
    pub async fn sign_out_other_sessions(
        &self,
        account_id: i64,
        keep: Option<i64>,
        password: &str,
        origin: &Origin,
    ) -> Result<u64, DomainError> {
        self.confirm_password(account_id, password, origin).await?;
        let mut tx = self.db.begin().await.context("begin")?;
        let ended = delete_other_sessions(&mut tx, account_id, keep).await?;
        self.commit_change(tx, Change::Sessions(account_id), "commit sign-outs")
            .await?;
        self.audit(
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

    /// Every account, for the operator.
    pub async fn account_list(&self) -> Result<Vec<AccountSummary>, DomainError> {
        let now = self.now().timestamp();
        let rows = sqlx::query(
            "select a.id, a.email, a.created_at, a.disabled_at,
                    (select count(*) from tokens t where t.account_id = a.id),
                    (select count(*) from sessions s where s.account_id = a.id and s.expires_at > $1)
             from accounts a order by a.id",
        )
        .bind(now)
        .fetch_all(&self.db)
        .await
        .context("list accounts")?;
        Ok(rows
            .into_iter()
            .map(|r| AccountSummary {
                id: r.get(0),
                email: r.get(1),
                created_at: from_unix(r.get(2)),
                disabled_at: r.get::<Option<i64>, _>(3).map(from_unix),
                tokens: r.get(4),
                sessions: r.get(5),
            })
            .collect())
    }

    /// The operator disables an account (its sessions end, its tokens answer 701 on
    /// every replica at once) or enables it again.
    pub async fn set_account_disabled(
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
        self.commit_change(tx, Change::Account(id), "commit account change")
            .await?;
        let action = if disabled {
            "account.disable"
        } else {
            "account.enable"
        };
        self.audit(
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
        let count = self.remove_all_tokens(id).await?;
        self.audit(
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

/// Ends every session of the account but `keep`; how many ended.
async fn delete_other_sessions(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_below_the_owasp_parameters_are_upgraded() {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"password", &salt)
        .unwrap()
        .to_string();
        assert!(needs_rehash(&weak));
        let strong = argon2()
            .hash_password(b"password", &salt)
            .unwrap()
            .to_string();
        assert!(strong.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!needs_rehash(&strong));
        assert!(needs_rehash("$2b$12$notargon"));
    }
}
