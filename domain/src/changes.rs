//! Changes across server replicas: to tokens, sessions, accounts and environments, the
//! things replicas keep in memory (`crate::cache`). On PostgreSQL a change announces
//! itself on a channel inside its own transaction, so the announcement goes out exactly
//! when the change commits; every replica listens and empties what the change touched
//! (all verified tokens, or one account's sessions or environments). The
//! replica that made the change answers only once it has heard its own announcement
//! (so PostgreSQL has handed it to every listener), within a second, and a short grace
//! more for the other listeners to read theirs. A replica that is
//! not listening (starting, or its listening connection lost or silent) does not trust
//! its caches and reads everything from the database until it listens again; and no
//! cached answer is older than a minute, however quiet the channel.

use crate::error::DomainError;
use crate::platform::{random_base62, Backend, Transaction};
use anyhow::Context;
use sqlx::postgres::PgListener;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

mod announcement;
pub(crate) use announcement::Change;
pub use announcement::Echoes;

crate::platform::service! {
    /// Committing changes other replicas must hear of, and hearing theirs:
    /// `platform.changes()`.
    Changes, changes
}

/// The channel changes are announced on (named when only tokens were).
const CHANNEL: &str = "patio_tokens";

/// How often a quiet listening connection is checked with a query.
const HEALTH_EVERY: Duration = Duration::from_secs(15);

/// How long a change waits to hear its own announcement before answering anyway.
const ECHO_WAIT: Duration = Duration::from_secs(1);

/// PostgreSQL signals every listening connection at commit, but each delivers in its
/// own time: hearing our own announcement says the others were sent theirs, not that
/// they have read it. The change waits this much longer before it is answered, so the
/// other replicas' listeners have read it too (measured skew: a few milliseconds).
const ECHO_GRACE: Duration = Duration::from_millis(25);

impl Changes<'_> {
    fn forget_sessions_of(&self, account_id: i64) {
        self.session_cache
            .invalidate_where(|_, s| s.account.id == account_id);
    }

    fn forget_environments_of(&self, account_id: i64) {
        self.environment_cache
            .invalidate_where(|(account, _), _| *account == account_id);
    }

    /// Forgets what a change touched, on this replica.
    pub(crate) fn apply(&self, change: Option<Change>) {
        match change {
            Some(Change::Tokens) => self.token_cache.invalidate(),
            Some(Change::Sessions(account)) => self.forget_sessions_of(account),
            Some(Change::Account(account)) => {
                self.token_cache.invalidate();
                self.forget_sessions_of(account);
                self.forget_environments_of(account);
            }
            Some(Change::Environments(account)) => self.forget_environments_of(account),
            None => self.forget_everything(),
        }
    }

    pub(crate) fn forget_everything(&self) {
        self.token_cache.invalidate();
        self.session_cache.invalidate();
        self.environment_cache.invalidate();
    }

    fn set_caches_trusted(&self, trusted: bool) {
        self.token_cache.set_trusted(trusted);
        self.session_cache.set_trusted(trusted);
        self.environment_cache.set_trusted(trusted);
    }

    /// Commits a change to tokens, announcing it to the other replicas, and empties this
    /// replica's cache before the change is answered.
    pub(crate) async fn commit_tokens(
        &self,
        tx: Transaction,
        what: &'static str,
    ) -> Result<(), DomainError> {
        self.commit(tx, Change::Tokens, what).await
    }

    /// Commits a change, announcing it to the other replicas, and empties what it
    /// touched in this replica's caches; on PostgreSQL it answers only once the others
    /// have been handed the announcement (see the module's comment).
    pub(crate) async fn commit(
        &self,
        mut tx: Transaction,
        change: Change,
        what: &'static str,
    ) -> Result<(), DomainError> {
        if self.backend != Backend::Postgres {
            tx.commit().await.context(what)?;
            self.apply(Some(change));
            // A server running beside this process (the operator's command line) reads
            // it; nothing there caches environments.
            if !matches!(change, Change::Environments(_)) {
                self.announce_elsewhere();
                // Until every look taken before the write has stopped holding.
                tokio::time::sleep(2 * LOOK_HOLDS).await;
            }
            return Ok(());
        }
        let payload = change.payload(&random_base62(16));
        let echo = self
            .follows_token_changes()
            .then(|| self.echoes.expect(&payload));
        let committed = async {
            sqlx::query(&format!("notify {CHANNEL}, '{payload}'"))
                .execute(&mut *tx)
                .await
                .context("announce the change")?;
            tx.commit().await.context(what)
        }
        .await;
        self.apply(Some(change));
        if let (Ok(()), Some(echo)) = (&committed, echo) {
            if tokio::time::timeout(ECHO_WAIT, echo).await.is_err() {
                tracing::warn!("a change was not heard back within a second");
            }
            tokio::time::sleep(ECHO_GRACE).await;
        }
        self.echoes.forget(&payload);
        Ok(committed?)
    }

    /// Follows the other replicas' token changes for as long as the server runs
    /// (PostgreSQL; on SQLite there are no other replicas and this returns at once).
    pub async fn follow(&self) {
        if self.backend != Backend::Postgres {
            return;
        }
        loop {
            if let Err(e) = self.listen().await {
                tracing::warn!(error = %format!("{e:#}"), "not following token changes; retrying in a second");
            }
            self.set_caches_trusted(false);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen(&self) -> anyhow::Result<()> {
        let mut listener = PgListener::connect(&self.database_url)
            .await
            .context("connect the listener")?;
        listener.listen(CHANNEL).await.context("listen")?;
        // Whatever was cached before now may have changed unseen.
        self.forget_everything();
        self.set_caches_trusted(true);
        tracing::debug!("following token changes");
        let mut check = tokio::time::interval(HEALTH_EVERY);
        check.tick().await;
        loop {
            tokio::select! {
                received = listener.try_recv() => match received.context("receive")? {
                    Some(notification) => {
                        self.apply(Change::parse(notification.payload()));
                        self.echoes.heard(notification.payload());
                    }
                    // The connection dropped: changes may have gone unseen.
                    None => anyhow::bail!("the listening connection was lost"),
                },
                _ = check.tick() => {
                    // A connection that died without closing would otherwise wait forever.
                    tokio::time::timeout(Duration::from_secs(5), sqlx::query("select 1").execute(&mut listener))
                        .await
                        .context("the listening connection did not answer")?
                        .context("check the listening connection")?;
                }
            }
        }
    }

    /// Tells other processes on this SQLite database that tokens changed: the changes
    /// file is written with new random text, which their looks compare.
    pub(crate) fn announce_elsewhere(&self) {
        let _ = std::fs::create_dir_all(&self.settings.data_dir);
        if let Err(e) = std::fs::write(&self.changes_file, random_base62(16)) {
            tracing::warn!(error = %e, "could not signal the token change to a running server");
        }
    }

    /// On SQLite, forgets cached tokens when another process announced a change since
    /// the last look. The file is held open (created empty if need be), so that a look
    /// is one `fstat` and one read rather than a lookup of its path; once the held file
    /// is no longer the one at the path (deleted, or replaced by a rename), it is opened
    /// again.
    ///
    /// A look holds for `LOOK_HOLDS`: checks that start within it trust it, so under
    /// load the file is looked at about once a millisecond rather than on every call.
    /// Every writer waits twice that before its change is answered (`commit`), so a
    /// check that starts after a change was answered is covered only by a look that
    /// started after the file was written, and hears it.
    pub(crate) fn notice_elsewhere(&self) {
        use std::os::unix::fs::{FileExt, MetadataExt};
        if self.backend != Backend::Sqlite {
            return;
        }
        let elsewhere = &*self.changes_elsewhere;
        let now = elsewhere.clock();
        if now < elsewhere.look_again_at.load(Ordering::Acquire) {
            return;
        }
        let mut seen = elsewhere.seen.lock().unwrap_or_else(|e| e.into_inner());
        // Another check may have looked while this one waited for the lock.
        if now < elsewhere.look_again_at.load(Ordering::Acquire) {
            return;
        }
        let held = (seen.file.as_ref())
            .and_then(|file| file.metadata().ok())
            .filter(|m| m.nlink() > 0);
        let metadata = match held {
            Some(metadata) => Some(metadata),
            None => {
                seen.file = std::fs::OpenOptions::new()
                    .read(true)
                    .write(true)
                    .create(true)
                    .truncate(false)
                    .open(&self.changes_file)
                    .or_else(|_| std::fs::File::open(&self.changes_file))
                    .ok();
                seen.file.as_ref().and_then(|f| f.metadata().ok())
            }
        };
        // Which file, when it was written, and what it says: a file put in its place
        // within the filesystem's clock tick still differs by its inode, and a second
        // write to the same file within that tick by what it says (each writer writes
        // new random text).
        let version = metadata.and_then(|m| {
            let mut says = [0; SAYS_READ];
            let read = seen.file.as_ref()?.read_at(&mut says, 0).ok()?;
            Some(Version {
                inode: m.ino(),
                written: m.modified().ok()?,
                says: (says, read),
            })
        });
        if seen.version != version {
            seen.version = version;
            self.forget_everything();
        }
        // Published once the caches are emptied, so that a check trusting this look
        // reads them emptied. `now` was read before the look began.
        let holds = u64::try_from(LOOK_HOLDS.as_nanos()).unwrap_or(u64::MAX);
        elsewhere
            .look_again_at
            .store(now.saturating_add(holds), Ordering::Release);
    }
}

/// How long a look at the changes file holds for the token checks that start after it
/// (see `notice_elsewhere`).
pub const LOOK_HOLDS: Duration = Duration::from_millis(1);

/// On SQLite, what token checks know of changes made by other processes: the last look
/// at the changes file, and until when it holds.
pub(crate) struct ChangesElsewhere {
    /// The origin of `look_again_at`.
    started: std::time::Instant,
    /// Nanoseconds after `started` from which a check looks at the file again; 0 before
    /// the first look.
    look_again_at: AtomicU64,
    seen: Mutex<SeenChanges>,
}

impl Default for ChangesElsewhere {
    fn default() -> Self {
        Self {
            started: std::time::Instant::now(),
            look_again_at: AtomicU64::new(0),
            seen: Mutex::default(),
        }
    }
}

impl ChangesElsewhere {
    /// Nanoseconds since `started`, on the monotonic clock (real time elapsed, as the
    /// writers' wait is).
    fn clock(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// What token checks last saw of the changes file (SQLite): the file, held open, and
/// its version.
#[derive(Default)]
struct SeenChanges {
    file: Option<std::fs::File>,
    version: Option<Version>,
}

/// How much of the changes file a look compares: more than a writer writes.
const SAYS_READ: usize = 64;

/// A version of the changes file: its inode, when it was last written, and the start of
/// what it says (with the bytes read).
#[derive(PartialEq, Eq)]
struct Version {
    inode: u64,
    written: std::time::SystemTime,
    says: ([u8; SAYS_READ], usize),
}

#[cfg(test)]
mod tests {
    use crate::platform::{
        connect, digest, random_base62, Clock, Platform, PlatformSettings, Stats,
    };
    use crate::tokens::TokenSecret;
    use std::sync::Arc;

    /// One process's platform on the SQLite database and data folder in `dir`.
    async fn process(dir: &std::path::Path) -> Platform {
        let db = connect(&format!("sqlite://{}/patio.db", dir.display()))
            .await
            .unwrap();
        let settings = PlatformSettings {
            data_dir: dir.into(),
            upload_limit: 1 << 20,
            public_url: "http://127.0.0.1:3000".into(),
            open_signup: true,
            signups_per_hour: 10,
            audit_retention_days: 90,
            upload_quota: 1 << 20,
            secret_key: Arc::new(crate::secrets::SecretKey::random()),
            mail: false,
        };
        Platform::new(db, Clock::default(), settings)
    }

    /// An account with `n` tokens, written straight to the database.
    async fn tokens_of_an_account(platform: &Platform, n: usize) -> Vec<TokenSecret> {
        sqlx::query("insert into accounts (id, email, password_hash, created_at, updated_at) values (1, 'ann@example.com', 'x', 0, 0)")
            .execute(&platform.db)
            .await
            .unwrap();
        let secrets: Vec<TokenSecret> = (0..n)
            .map(|_| TokenSecret::from_entropy(&random_base62(32)).unwrap())
            .collect();
        for secret in &secrets {
            sqlx::query("insert into tokens (account_id, description, digest, hint, api_set, created_at, updated_at) values (1, 'ci', $1, $2, 'extended-access', 0, 0)")
                .bind(digest(secret.expose()))
                .bind(secret.hint())
                .execute(&platform.db)
                .await
                .unwrap();
        }
        secrets
    }

    /// Removes a token as patio does: a transaction, committed as a change to tokens.
    async fn remove(platform: &Platform, secret: &TokenSecret) {
        let mut tx = platform.db.begin().await.unwrap();
        sqlx::query("delete from tokens where digest = $1")
            .bind(digest(secret.expose()))
            .execute(&mut *tx)
            .await
            .unwrap();
        (platform.changes().commit_tokens(tx, "remove a token"))
            .await
            .unwrap();
    }

    /// A look at the changes file holds for a millisecond, and a check right after
    /// another process's change was answered falls within it; the change is heard all
    /// the same, because the writer waited until that look stopped holding.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_check_right_after_a_change_elsewhere_hears_it() {
        let dir = std::env::temp_dir().join(format!("patio-changes-{}", random_base62(12)));
        let here = process(&dir).await;
        let elsewhere = process(&dir).await;
        let secrets = tokens_of_an_account(&here, 6).await;
        // Checks here without a pause, so that a recent look always holds.
        let kept = secrets[0].expose().to_owned();
        let looking = tokio::spawn({
            let here = here.clone();
            async move {
                loop {
                    here.tokens().verify(&kept).await.unwrap();
                    tokio::task::yield_now().await;
                }
            }
        });
        for (round, secret) in secrets[1..].iter().enumerate() {
            here.tokens().verify(secret.expose()).await.unwrap();
            remove(&elsewhere, secret).await;
            assert!(
                here.tokens().verify(secret.expose()).await.is_err(),
                "round {round}: a removed token was accepted"
            );
        }
        looking.abort();
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// Two changes elsewhere within one tick of the filesystem's clock leave the changes
    /// file with the same inode and the same time (on a filesystem with coarse times,
    /// the second write's time is the first's); a look between them must still hear
    /// the second.
    #[tokio::test]
    async fn a_second_change_within_one_tick_of_the_file_clock_is_heard() {
        let dir = std::env::temp_dir().join(format!("patio-changes-{}", random_base62(12)));
        let here = process(&dir).await;
        let elsewhere = process(&dir).await;
        let secret = tokens_of_an_account(&here, 1).await.remove(0);
        let changes = dir.join("token-changes");
        here.tokens().verify(secret.expose()).await.unwrap();

        // The first change, heard, and the token checked (and cached) again after it.
        let tx = elsewhere.db.begin().await.unwrap();
        (elsewhere.changes().commit_tokens(tx, "a first change"))
            .await
            .unwrap();
        let first_written = std::fs::metadata(&changes).unwrap().modified().unwrap();
        here.tokens().verify(secret.expose()).await.unwrap();
        let misses = || Stats::get(&here.stats.cache_misses);
        let before = misses();
        here.tokens().verify(secret.expose()).await.unwrap();
        assert_eq!(misses(), before, "answered from the cache");

        // The second removes the token; its write carries the first one's time.
        remove(&elsewhere, &secret).await;
        std::fs::File::options()
            .write(true)
            .open(&changes)
            .and_then(|file| file.set_modified(first_written))
            .unwrap();
        assert!(
            here.tokens().verify(secret.expose()).await.is_err(),
            "a removed token was accepted"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
