//! The service layer's handle: the database pool, the clock and the settings that the
//! account, token and environment services share. Both the REST API and the
//! dashboard's server functions call into a `Platform`.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use sqlx::any::AnyPoolOptions;
use sqlx::postgres::PgConnection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode};
use sqlx::AnyPool;
use sqlx::{ConnectOptions, Connection};

use crate::DomainError;

/// Where time comes from; tests move it forward by hand.
#[derive(Clone, Default)]
pub struct Clock {
    /// How far the clock was moved, in milliseconds: read on every call, never locked.
    offset_ms: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::milliseconds(self.offset_ms.load(Ordering::Relaxed));
        let now = Utc::now() + offset;
        // Whole seconds: what the database stores and the API shows.
        Utc.timestamp_opt(now.timestamp(), 0)
            .single()
            .unwrap_or(now)
    }

    /// Moves this clock (and every copy of it) forward.
    pub fn advance(&self, by: chrono::Duration) {
        self.offset_ms
            .fetch_add(by.num_milliseconds(), Ordering::Relaxed);
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
    /// Sign-ups one address may make in an hour.
    pub signups_per_hour: u32,
    /// Audit entries older than this many days are deleted.
    pub audit_retention_days: u32,
    /// Bytes of uploads one account may keep.
    pub upload_quota: u64,
    /// Seals the secrets the server must read back (two-factor), from the key file.
    pub secret_key: Arc<crate::secrets::SecretKey>,
    /// Whether a mail server is configured: sign-up then asks for the email's inbox,
    /// and the owner is mailed about what happens to the account.
    pub mail: bool,
}

/// Which database engine a URL names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// One file, one server: the embedded default.
    Sqlite,
    /// Shared by several server replicas.
    Postgres,
}

impl Backend {
    pub fn of(url: &str) -> anyhow::Result<Self> {
        if url.starts_with("sqlite:") {
            Ok(Self::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self::Postgres)
        } else {
            anyhow::bail!("the database URL must start with sqlite: or postgres://")
        }
    }
}

/// An open database: the pool every query runs on, and what is behind it.
#[derive(Clone)]
pub struct Database {
    pub pool: AnyPool,
    pub backend: Backend,
    /// For the connection that listens to other replicas' changes (PostgreSQL). It may
    /// hold a password: never logged.
    url: Arc<str>,
}

pub type Transaction = sqlx::Transaction<'static, sqlx::Any>;

/// Uploads received at the same time; more wait their turn.
pub const UPLOADS_AT_ONCE: usize = 4;

/// The handle every service works through. Cloned for every request (each extractor
/// and middleware takes one), so it is one shared pointer to what it holds.
#[derive(Clone)]
pub struct Platform(Arc<PlatformParts>);

impl std::ops::Deref for Platform {
    type Target = PlatformParts;

    fn deref(&self) -> &PlatformParts {
        &self.0
    }
}

/// What a `Platform` holds.
pub struct PlatformParts {
    pub db: AnyPool,
    pub backend: Backend,
    pub(crate) database_url: Arc<str>,
    pub clock: Clock,
    pub settings: Arc<PlatformSettings>,
    pub(crate) hashing: Arc<tokio::sync::Semaphore>,
    pub(crate) token_cache: Arc<crate::tokens::TokenCache>,
    /// Open sessions, by digest, kept like verified tokens.
    pub(crate) session_cache: Arc<crate::accounts::SessionCache>,
    pub(crate) session_uses: Arc<crate::accounts::SessionUses>,
    /// Environments by account and name, for `GetEnvInfo` and the dashboard.
    pub(crate) environment_cache: Arc<crate::environments::EnvironmentCache>,
    pub(crate) last_used: Arc<crate::tokens::LastUsedLog>,
    pub(crate) denials: Arc<crate::audit::DenialLog>,
    /// Token changes of this replica waiting to hear their own notification.
    pub(crate) echoes: Arc<crate::changes::Echoes>,
    /// The hour old audit entries and attempts were last deleted in.
    pub(crate) pruned_hour: Arc<std::sync::atomic::AtomicI64>,
    /// The minute expired share links last lost their ciphertext in.
    pub(crate) pruned_minute: Arc<std::sync::atomic::AtomicI64>,
    /// Uploads being received at once are bounded.
    pub(crate) uploading: Arc<tokio::sync::Semaphore>,
    /// Counts the metrics endpoint reports.
    pub stats: Arc<Stats>,
    /// On SQLite: when another process (the operator's command line) last said it
    /// changed tokens or accounts.
    pub(crate) changes_elsewhere: Arc<crate::changes::ChangesElsewhere>,
    /// The file through which, on SQLite, another process (`patio user disable`, `patio
    /// token revoke`) tells a running server that tokens changed:
    /// `<data_dir>/token-changes`, looked at by token checks (see `Changes::notice_elsewhere`).
    pub(crate) changes_file: Arc<std::path::Path>,
}

/// Declares a service's handle: `platform.<accessor>()` lends the platform to one
/// service, whose methods are that concern's operations, all in one file. A call site
/// names the file to open: `platform.tokens().create(…)` is in `tokens/service.rs`. The
/// handle reads what every service shares (database, clock, settings, caches) through
/// `Deref`.
macro_rules! service {
    ($(#[$doc:meta])* $name:ident, $accessor:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy)]
        pub struct $name<'a>(&'a $crate::platform::Platform);

        impl $crate::platform::Platform {
            $(#[$doc])*
            pub fn $accessor(&self) -> $name<'_> {
                $name(self)
            }
        }

        impl std::ops::Deref for $name<'_> {
            type Target = $crate::platform::Platform;

            fn deref(&self) -> &Self::Target {
                self.0
            }
        }
    };
}
pub(crate) use service;

/// Counters of what the domain saw, for metrics. Only totals: no token, email or
/// address is kept.
#[derive(Default)]
pub struct Stats {
    pub tokens_accepted: AtomicU64,
    /// Known tokens calling outside their API set (8202).
    pub tokens_denied: AtomicU64,
    pub tokens_outside_allowlist: AtomicU64,
    pub tokens_unknown: AtomicU64,
    pub tokens_expired: AtomicU64,
    pub cache_hits: AtomicU64,
    pub cache_misses: AtomicU64,
    pub signin_failures: AtomicU64,
    pub confirm_failures: AtomicU64,
    /// Wrong two-factor codes.
    pub code_failures: AtomicU64,
    /// Password checks refused with 703.
    pub lockouts: AtomicU64,
}

impl Stats {
    pub fn count(&self, counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

impl Platform {
    pub fn new(db: Database, clock: Clock, settings: PlatformSettings) -> Self {
        // argon2id takes 19 MiB a hash: bound how many run at once.
        let permits = std::thread::available_parallelism().map_or(2, |n| n.get()) * 2;
        let trusted = db.backend == Backend::Sqlite;
        let changes_file = settings.data_dir.join("token-changes").into();
        Self(Arc::new(PlatformParts {
            db: db.pool,
            backend: db.backend,
            database_url: db.url,
            clock,
            settings: Arc::new(settings),
            hashing: Arc::new(tokio::sync::Semaphore::new(permits)),
            // Another replica's changes are only heard once listening (PostgreSQL).
            token_cache: Arc::new(crate::tokens::TokenCache::new(trusted)),
            session_cache: Arc::new(crate::accounts::SessionCache::new(trusted)),
            session_uses: Arc::default(),
            environment_cache: Arc::new(crate::environments::EnvironmentCache::new(trusted)),
            echoes: Arc::default(),
            last_used: Arc::default(),
            denials: Arc::default(),
            pruned_hour: Arc::default(),
            pruned_minute: Arc::default(),
            stats: Arc::default(),
            changes_elsewhere: Arc::default(),
            changes_file,
            uploading: Arc::new(tokio::sync::Semaphore::new(UPLOADS_AT_ONCE)),
        }))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Whether this replica hears about token changes made elsewhere (always on SQLite,
    /// where there is no elsewhere); only then does it use its token cache.
    pub fn follows_token_changes(&self) -> bool {
        self.token_cache.is_trusted()
    }

    /// How many verified tokens this replica holds in memory (0 while it does not trust
    /// its cache).
    pub fn cached_tokens(&self) -> usize {
        if self.token_cache.is_trusted() {
            self.token_cache.len()
        } else {
            0
        }
    }

    /// How many open sessions this replica holds in memory (0 while it does not trust
    /// its caches).
    pub fn cached_sessions(&self) -> usize {
        if self.session_cache.is_trusted() {
            self.session_cache.len()
        } else {
            0
        }
    }

    /// A transaction for a change whose reads decide its writes (a limit, a quota, an
    /// attempt reservation). On SQLite writers go one at a time: the write lock is taken
    /// up front (`begin immediate`). On PostgreSQL only writers that share one of `keys`
    /// wait for each other, each key a transaction-scoped advisory lock taken in one
    /// order (so two writers never deadlock): one account's changes do not hold up
    /// another's, across every replica.
    /// Public for tools and tests that change rows by hand under the same locks.
    pub async fn begin_write(&self, keys: &[WriteKey]) -> Result<Transaction, DomainError> {
        match self.backend {
            Backend::Sqlite => Ok(self
                .db
                .begin_with("begin immediate")
                .await
                .context("begin")?),
            Backend::Postgres => {
                let mut tx = self.db.begin().await.context("begin")?;
                // Like SQLite's busy timeout: a stuck writer cannot hold every other up.
                sqlx::query("set local lock_timeout = '10s'")
                    .execute(&mut *tx)
                    .await
                    .context("set the lock timeout")?;
                let mut ids: Vec<i64> = keys.iter().map(WriteKey::lock_id).collect();
                ids.sort_unstable();
                ids.dedup();
                for id in ids {
                    sqlx::query("select pg_advisory_xact_lock($1)")
                        .bind(id)
                        .execute(&mut *tx)
                        .await
                        .context("take a write lock")?;
                }
                Ok(tx)
            }
        }
    }

    /// Whether this replica can serve: the database answers and, on PostgreSQL, it
    /// hears the other replicas' token changes.
    pub async fn readiness(&self) -> Result<(), &'static str> {
        let answered = tokio::time::timeout(
            Duration::from_secs(2),
            sqlx::query("select 1").execute(&self.db),
        )
        .await;
        if !matches!(answered, Ok(Ok(_))) {
            return Err("the database does not answer");
        }
        if !self.follows_token_changes() {
            return Err("not hearing other replicas' token changes yet");
        }
        Ok(())
    }
}

/// What a read-then-write change serialises on, on PostgreSQL (see `begin_write`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WriteKey {
    /// Everything one account owns: tokens, sessions, uploads, environments, two-factor,
    /// its Security Log rows.
    Account(i64),
    /// The attempts one limit counts: of `kind`, by what it is counted by.
    AttemptsByLogin(&'static str, Vec<u8>),
    AttemptsByAddress(&'static str, String),
    AttemptsByAccount(&'static str, i64),
    /// One share link, by its public id: it is handed out once.
    Share(String),
}

impl WriteKey {
    /// The advisory lock standing for this key: the same number on every replica. Two
    /// keys sharing one (one chance in 2^64) only wait for each other.
    fn lock_id(&self) -> i64 {
        let mut hash = Sha256::new();
        match self {
            Self::Account(id) => hash.update(format!("account:{id}")),
            Self::AttemptsByLogin(kind, login) => {
                hash.update(format!("attempts:{kind}:login:"));
                hash.update(login);
            }
            Self::AttemptsByAddress(kind, ip) => hash.update(format!("attempts:{kind}:ip:{ip}")),
            Self::AttemptsByAccount(kind, id) => {
                hash.update(format!("attempts:{kind}:account:{id}"))
            }
            Self::Share(id) => hash.update(format!("share:{id}")),
        }
        let digest = hash.finalize();
        let mut first = [0u8; 8];
        first.copy_from_slice(&digest[..8]);
        i64::from_be_bytes(first)
    }
}

/// `(version, description, SQL)` of each migration file, in version order (build.rs).
mod migration_files {
    include!(concat!(env!("OUT_DIR"), "/migrations.rs"));
}

/// The migrations compiled into this binary for a backend: what `connect` applies, and
/// what the command line's backup, restore and check compare a database against.
pub fn migrations(backend: Backend) -> sqlx::migrate::Migrator {
    use sqlx::migrate::{Migration, MigrationType, Migrator};
    use std::borrow::Cow;
    let files = match backend {
        Backend::Sqlite => migration_files::SQLITE,
        Backend::Postgres => migration_files::POSTGRES,
    };
    let migrations = files.iter().map(|&(version, description, sql)| {
        let no_transaction = sql.starts_with("-- no-transaction");
        let (description, sql) = (Cow::Borrowed(description), Cow::Borrowed(sql));
        Migration::new(
            version,
            description,
            MigrationType::Simple,
            sql,
            no_transaction,
        )
    });
    // What `sqlx::migrate!` expands to, with the migrations listed at run time: each
    // checksum is computed from the SQL as the macro computes it.
    Migrator {
        migrations: Cow::Owned(migrations.collect()),
        ..Migrator::DEFAULT
    }
}

/// Opens the database a URL names (SQLite, created if needed, or PostgreSQL) and brings
/// its schema up to date.
pub async fn connect(url: &str) -> anyhow::Result<Database> {
    sqlx::any::install_default_drivers();
    let backend = Backend::of(url)?;
    let pool = match backend {
        Backend::Sqlite => connect_sqlite(url).await?,
        Backend::Postgres => connect_postgres(url).await?,
    };
    Ok(Database {
        pool,
        backend,
        url: url.into(),
    })
}

async fn connect_sqlite(url: &str) -> anyhow::Result<AnyPool> {
    let options = SqliteConnectOptions::from_str(url)
        .with_context(|| "parse the database URL")?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(10));
    if let Some(dir) = options.get_filename().parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("create the database folder {}", dir.display()))?;
        }
    }
    // Create the file, switch it to WAL (which the file remembers) and migrate it, with
    // foreign keys off on this one connection: migrations that rebuild a table (SQLite's
    // way to change one) must not cascade the old table's removal.
    let mut first = options
        .clone()
        .foreign_keys(false)
        .connect()
        .await
        .context("open the database")?;
    migrations(Backend::Sqlite)
        .run(&mut first)
        .await
        .context("run database migrations")?;
    first
        .close()
        .await
        .context("close the migration connection")?;
    let pool = AnyPoolOptions::new()
        .max_connections(8)
        .after_connect(|conn, _| {
            Box::pin(async move {
                // Per connection: a revocation must survive power loss, not only a
                // crash; foreign keys cascade; writers wait for each other.
                for pragma in [
                    "pragma synchronous = full",
                    "pragma foreign_keys = on",
                    "pragma busy_timeout = 10000",
                ] {
                    sqlx::Executor::execute(&mut *conn, pragma).await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .context("open the database")?;
    let journal: String = sqlx::query_scalar("pragma journal_mode")
        .fetch_one(&pool)
        .await
        .context("read journal_mode")?;
    let synchronous: i64 = sqlx::query_scalar("pragma synchronous")
        .fetch_one(&pool)
        .await
        .context("read synchronous")?;
    anyhow::ensure!(
        journal.eq_ignore_ascii_case("wal") && synchronous == 2,
        "the database must run in WAL mode with synchronous=FULL (got {journal}, {synchronous})"
    );
    Ok(pool)
}

async fn connect_postgres(url: &str) -> anyhow::Result<AnyPool> {
    let mut first = PgConnection::connect(url)
        .await
        .context("connect to PostgreSQL")?;
    migrations(Backend::Postgres)
        .run(&mut first)
        .await
        .context("run database migrations")?;
    first
        .close()
        .await
        .context("close the migration connection")?;
    AnyPoolOptions::new()
        .max_connections(16)
        .connect(url)
        .await
        .context("connect to PostgreSQL")
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The embedded migrations are what sqlx reads from the folders: the same versions,
    /// descriptions, kinds and checksums, so databases migrated by earlier builds (which
    /// used `sqlx::migrate!`) stay valid.
    #[tokio::test]
    async fn the_embedded_migrations_are_the_folders() {
        for (backend, folder) in [(Backend::Sqlite, "sqlite"), (Backend::Postgres, "postgres")] {
            let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../migrations")
                .join(folder);
            let read = sqlx::migrate::Migrator::new(dir).await.unwrap();
            let embedded = migrations(backend);
            let fields = |m: &sqlx::migrate::Migration| {
                let kind = format!("{:?}", m.migration_type);
                let text = (m.description.to_string(), m.sql.to_string(), kind);
                (m.version, text, m.checksum.to_vec(), m.no_tx)
            };
            let read: Vec<_> = read.iter().map(fields).collect();
            let embedded: Vec<_> = embedded.iter().map(fields).collect();
            assert!(read.len() >= 9, "{folder}: {} migrations", read.len());
            assert_eq!(embedded, read, "{folder}");
            assert!(read.windows(2).all(|pair| pair[0].0 < pair[1].0));
        }
    }
}
