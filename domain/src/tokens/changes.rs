//! Token changes across server replicas. On PostgreSQL a change announces itself on a
//! channel inside its own transaction, so the announcement goes out exactly when the
//! change commits; every replica listens and empties its cache of verified tokens. The
//! replica that made the change answers only once it has heard its own announcement
//! (so PostgreSQL has handed it to every listener), within a second, and a short grace
//! more for the other listeners to read theirs. A replica that is
//! not listening (starting, or its listening connection lost or silent) does not trust
//! its cache and reads every token from the database until it listens again; and no
//! cached token is older than a minute, however quiet the channel.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgListener;
use tokio::sync::oneshot;

use crate::error::DomainError;
use crate::platform::{random_base62, Backend, Platform, Transaction};

/// The channel token changes are announced on.
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

/// Announcements this replica made, by payload, and who waits to hear each.
#[derive(Default)]
pub struct Echoes(Mutex<HashMap<String, oneshot::Sender<()>>>);

impl Echoes {
    fn expect(&self, payload: &str) -> oneshot::Receiver<()> {
        let (heard, wait) = oneshot::channel();
        self.lock().insert(payload.to_owned(), heard);
        wait
    }

    fn heard(&self, payload: &str) {
        if let Some(waiter) = self.lock().remove(payload) {
            let _ = waiter.send(());
        }
    }

    fn forget(&self, payload: &str) {
        self.lock().remove(payload);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<()>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Platform {
    /// Commits a change to tokens, announcing it to the other replicas, and empties this
    /// replica's cache before the change is answered.
    pub(crate) async fn commit_token_change(
        &self,
        mut tx: Transaction,
        what: &'static str,
    ) -> Result<(), DomainError> {
        if self.backend != Backend::Postgres {
            tx.commit().await.context(what)?;
            self.token_cache.invalidate();
            // A server running beside this process (the operator's command line) reads it.
            self.announce_changes_elsewhere();
            return Ok(());
        }
        // Base62 only, so it can stand in the statement (NOTIFY takes no parameters).
        let payload = random_base62(16);
        let echo = self
            .follows_token_changes()
            .then(|| self.echoes.expect(&payload));
        let committed = async {
            sqlx::query(&format!("notify {CHANNEL}, '{payload}'"))
                .execute(&mut *tx)
                .await
                .context("announce the token change")?;
            tx.commit().await.context(what)
        }
        .await;
        self.token_cache.invalidate();
        if let (Ok(()), Some(echo)) = (&committed, echo) {
            if tokio::time::timeout(ECHO_WAIT, echo).await.is_err() {
                tracing::warn!("a token change was not heard back within a second");
            }
            tokio::time::sleep(ECHO_GRACE).await;
        }
        self.echoes.forget(&payload);
        Ok(committed?)
    }

    /// Follows the other replicas' token changes for as long as the server runs
    /// (PostgreSQL; on SQLite there are no other replicas and this returns at once).
    pub async fn follow_token_changes(&self) {
        if self.backend != Backend::Postgres {
            return;
        }
        loop {
            if let Err(e) = self.listen().await {
                tracing::warn!(error = %format!("{e:#}"), "not following token changes; retrying in a second");
            }
            self.token_cache.set_trusted(false);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    }

    async fn listen(&self) -> anyhow::Result<()> {
        let mut listener = PgListener::connect(&self.database_url)
            .await
            .context("connect the listener")?;
        listener.listen(CHANNEL).await.context("listen")?;
        // Whatever was cached before now may have changed unseen.
        self.token_cache.invalidate();
        self.token_cache.set_trusted(true);
        tracing::debug!("following token changes");
        let mut check = tokio::time::interval(HEALTH_EVERY);
        check.tick().await;
        loop {
            tokio::select! {
                received = listener.try_recv() => match received.context("receive")? {
                    Some(notification) => {
                        self.token_cache.invalidate();
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
}
