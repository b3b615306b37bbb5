//! The service layer's handle: the database pool, the clock and the settings that the
//! account, token and environment services share. Both the REST API and the
//! dashboard's server functions call into a `Platform`.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// Where time comes from; tests move it forward by hand.
#[derive(Clone, Default)]
pub struct Clock {
    offset: Arc<Mutex<chrono::Duration>>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let offset = *self.offset.lock().unwrap_or_else(|e| e.into_inner());
        let now = Utc::now() + offset;
        // Whole seconds: what the database stores and the API shows.
        Utc.timestamp_opt(now.timestamp(), 0)
            .single()
            .unwrap_or(now)
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: chrono::Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|e| e.into_inner());
        *offset += by;
    }
}

#[derive(Clone, Debug)]
pub struct PlatformSettings {
    /// Uploaded files live under `<data_dir>/uploads`.
    pub data_dir: PathBuf,
    /// The largest file `storage.uploader.Upload` accepts, in bytes.
    pub upload_limit: usize,
    /// The address clients reach this server at, for URLs it hands out.
    pub public_url: String,
    /// Whether anyone may create an account from the sign-up page.
    pub open_signup: bool,
}

#[derive(Clone)]
pub struct Platform {
    pub db: SqlitePool,
    pub clock: Clock,
    pub settings: Arc<PlatformSettings>,
    pub(crate) hashing: Arc<tokio::sync::Semaphore>,
    pub(crate) token_cache: Arc<crate::tokens::TokenCache>,
    pub(crate) last_used: Arc<crate::tokens::LastUsedLog>,
    pub(crate) denials: Arc<crate::audit::DenialLog>,
}

impl Platform {
    pub fn new(db: SqlitePool, clock: Clock, settings: PlatformSettings) -> Self {
        // argon2id takes 19 MiB a hash: bound how many run at once.
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
        Self {
            db,
            clock,
            settings: Arc::new(settings),
            hashing: Arc::new(tokio::sync::Semaphore::new(permits)),
            token_cache: Arc::default(),
            last_used: Arc::default(),
            denials: Arc::default(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Writes what requests only noted (last uses, denied calls), in one batch each.
    pub async fn flush_pending(&self) -> Result<(), crate::DomainError> {
        let uses = self.flush_last_used().await;
        let denials = self.flush_denials().await;
        uses.and(denials)
    }
}

/// Opens (creating if needed) the SQLite database and brings its schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| "parse the database URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // A revocation must survive power loss, not only a crash.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    if let Some(dir) = options.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("create the database folder {}", dir.display()))?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .context("open the database")?;
    sqlx::migrate!("../migrations/sqlite")
        .run(&pool)
        .await
        .context("run database migrations")?;
    let journal: String = sqlx::query_scalar("pragma journal_mode")
        .fetch_one(&pool)
        .await
        .context("read journal_mode")?;
    let synchronous: i64 = sqlx::query_scalar("pragma synchronous")
        .fetch_one(&pool)
        .await
        .context("read synchronous")?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    anyhow::ensure!(
        in_memory || (journal.eq_ignore_ascii_case("wal") && synchronous == 2),
        "the database must run in WAL mode with synchronous=FULL (got {journal}, {synchronous})"
    );
    Ok(pool)
}

/// SHA-256 of a secret: what is stored and looked up instead of the secret.
pub(crate) fn digest(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

/// `n` characters drawn uniformly from base62 by the OS random source.
pub(crate) fn random_base62(n: usize) -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::rngs::OsRng, n)
}

pub(crate) fn from_unix(seconds: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(seconds, 0).single().unwrap_or_default()
}

/// Who is calling and how: the account, the credential it used, where from.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account: crate::accounts::AccountInfo,
    pub actor: crate::audit::Actor,
    /// The session used, when the caller signed in (not for tokens).
    pub session_id: Option<i64>,
    /// The token used, when the caller presented one.
    pub token_id: Option<i64>,
    pub origin: crate::accounts::Origin,
}
