//! Attempt limits: password checks, two-factor codes and sign-ups reserve an attempt
//! before they run, so a burst of guesses costs no more than the limits allow, on one
//! server or across replicas.

use crate::error::DomainError;
use crate::platform::WriteKey;
use anyhow::Context;
use chrono::Duration;
use sqlx::Row;

crate::platform::service! {
    /// Attempt limits: `platform.attempts()`.
    Attempts, attempts
}

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

/// Reset links asked for one email (from anywhere) in `ATTEMPT_WINDOW`: enough for a
/// person who mistyped, too few to fill an inbox.
pub const FORGOT_PER_LOGIN: i64 = 3;

/// Reset links asked for from one address in `ATTEMPT_WINDOW`, whatever the email.
pub const FORGOT_PER_ADDRESS: i64 = 10;

/// One-time links that did not work, tried from one address in `ATTEMPT_WINDOW`.
pub const LINK_ATTEMPTS: i64 = 10;

/// Sign-ups from one address in `SIGNUP_WINDOW`, by default.
pub const SIGNUP_WINDOW: Duration = Duration::hours(1);

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
    /// A reset link asked for; `login` is the digest of the email.
    Forgot {
        login: Vec<u8>,
        ip: Option<String>,
    },
    /// A one-time link used (a reset, a sign-up's, an email change's).
    Link {
        ip: Option<String>,
    },
    /// A passkey's assertion checked.
    Passkey {
        ip: Option<String>,
    },
}

impl Attempt {
    fn kind(&self) -> &'static str {
        match self {
            Self::SignIn { .. } => "signin",
            Self::Confirm { .. } => "confirm",
            Self::Code { .. } => "code",
            Self::SignUp { .. } => "signup",
            Self::Forgot { .. } => "forgot",
            Self::Link { .. } => "link",
            Self::Passkey { .. } => "passkey",
        }
    }

    /// What the attempt's row holds: the login's digest, the account, the address.
    fn columns(&self) -> (Option<Vec<u8>>, Option<i64>, Option<String>) {
        match self {
            Self::SignIn { login, ip, .. } => (Some(login.clone()), None, ip.clone()),
            Self::Confirm { account_id } | Self::Code { account_id } => {
                (None, Some(*account_id), None)
            }
            Self::SignUp { ip, .. } | Self::Link { ip } | Self::Passkey { ip } => {
                (None, None, ip.clone())
            }
            Self::Forgot { login, ip } => (Some(login.clone()), None, ip.clone()),
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
            Self::SignUp { ip, .. } | Self::Link { ip } | Self::Passkey { ip } => ip
                .clone()
                .map(|ip| WriteKey::AttemptsByAddress(kind, ip))
                .into_iter()
                .collect(),
            Self::Forgot { login, ip } => {
                let mut keys = vec![WriteKey::AttemptsByLogin(kind, login.clone())];
                keys.extend(ip.clone().map(|ip| WriteKey::AttemptsByAddress(kind, ip)));
                keys
            }
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

impl Attempts<'_> {
    /// Reserves one attempt of `kind` before any password is hashed: inside one write
    /// transaction, every limit is counted and, if none is full, a pending row is
    /// written that stands for this attempt. A limit full of failures refuses at once;
    /// one that would only be full with the checks still running waits for them to end
    /// (a burst of right passwords goes through one after the other). So a burst of any
    /// size evaluates at most as many passwords as the limits allow, on one server or
    /// across replicas. The row is settled as a failure when the check fails and
    /// removed when it succeeds.
    pub(crate) async fn reserve(&self, attempt: &Attempt) -> Result<i64, DomainError> {
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
            Attempt::Forgot { login, ip } => {
                limits.push(("login = $2", Key::Bytes(login.clone()), FORGOT_PER_LOGIN));
                if let Some(ip) = ip {
                    limits.push(("ip = $2", Key::Text(ip.clone()), FORGOT_PER_ADDRESS));
                }
            }
            Attempt::Link { ip: Some(ip) } => {
                limits.push(("ip = $2", Key::Text(ip.clone()), LINK_ATTEMPTS));
            }
            Attempt::Link { ip: None } => {}
            // Failed assertions from one address, like wrong passwords from it.
            Attempt::Passkey { ip: Some(ip) } => {
                limits.push(("ip = $2", Key::Text(ip.clone()), ADDRESS_ATTEMPTS));
            }
            Attempt::Passkey { ip: None } => {}
        }
        let mut full_until: Option<i64> = None;
        let mut busy_until: Option<i64> = None;
        for (condition, key, limit) in limits {
            let sql = format!(
                "select count(*) as tries, min(created_at) as first_at,
                        cast(coalesce(sum(case when settled = 0 and created_at > {stale} then 1 else 0 end), 0) as bigint) as pending
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
                (row.get("tries"), row.get("first_at"), row.get("pending"));
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
        // A sign-up or a reset link asked for counts as soon as it is made; a password
        // check or a link used, once it fails.
        let settled = i64::from(matches!(
            attempt,
            Attempt::SignUp { .. } | Attempt::Forgot { .. }
        ));
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
    pub(crate) async fn failed(&self, id: i64) -> Result<(), DomainError> {
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
    pub(crate) async fn succeeded(&self, id: i64, attempt: &Attempt) -> Result<(), DomainError> {
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
            Attempt::Link { .. } | Attempt::Passkey { .. } => {
                sqlx::query("delete from attempts where id = $1").bind(id)
            }
            // A sign-up that went through still counts: the limit is on accounts made;
            // so does a link asked for: the limit is on mails sent.
            Attempt::SignUp { .. } | Attempt::Forgot { .. } => return Ok(()),
        };
        query
            .execute(&self.db)
            .await
            .context("take back an attempt")?;
        Ok(())
    }

    /// Whether the account has signed in from this address lately.
    pub(crate) async fn is_familiar(
        &self,
        account_id: i64,
        ip: Option<&str>,
    ) -> Result<bool, DomainError> {
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
    pub(crate) async fn prune(&self) -> Result<(), DomainError> {
        let before = (self.now() - ATTEMPT_WINDOW.max(SIGNUP_WINDOW)).timestamp();
        sqlx::query("delete from attempts where created_at <= $1")
            .bind(before)
            .execute(&self.db)
            .await
            .context("prune attempts")?;
        Ok(())
    }
}
