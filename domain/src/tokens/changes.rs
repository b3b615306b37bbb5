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

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgListener;
use tokio::sync::oneshot;

use crate::error::DomainError;
use crate::platform::{random_base62, Backend, Platform, Transaction};

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

/// What a committed change touched, so each replica forgets just that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Change {
    /// Any token (a token is cached by its digest, not its account).
    Tokens,
    /// Sessions of one account: signed out, password changed.
    Sessions(i64),
    /// An account as a whole (disabled, enabled): its tokens, sessions, environments.
    Account(i64),
    /// Environments of one account: status, deployments, removal.
    Environments(i64),
}

impl Change {
    /// The announcement's text: a letter for the kind, the account and a random part
    /// that tells this announcement apart (base62, digits and '.' only, so it can stand
    /// in the statement: NOTIFY takes no parameters).
    fn payload(self) -> String {
        let nonce = random_base62(16);
        match self {
            Self::Tokens => format!("t.{nonce}"),
            Self::Sessions(account) => format!("s{account}.{nonce}"),
            Self::Account(account) => format!("a{account}.{nonce}"),
            Self::Environments(account) => format!("e{account}.{nonce}"),
        }
    }

    /// Reads an announcement; `None` for one this version does not know (a replica of
    /// another version): then everything is forgotten.
    fn parse(payload: &str) -> Option<Self> {
        let (head, _) = payload.split_once('.')?;
        let mut chars = head.chars();
        let kind = chars.next()?;
        let account = chars.as_str().parse::<i64>();
        match (kind, account) {
            ('t', _) if head.len() == 1 => Some(Self::Tokens),
            ('s', Ok(a)) => Some(Self::Sessions(a)),
            ('a', Ok(a)) => Some(Self::Account(a)),
            ('e', Ok(a)) => Some(Self::Environments(a)),
            _ => None,
        }
    }
}

impl Platform {
    /// Forgets what a change touched, on this replica.
    pub(crate) fn apply_change(&self, change: Option<Change>) {
        match change {
            Some(Change::Tokens) => self.token_cache.invalidate(),
            Some(Change::Sessions(account)) => self.sessions().forget_of(account),
            Some(Change::Account(account)) => {
                self.token_cache.invalidate();
                self.sessions().forget_of(account);
                self.environments().forget_of(account);
            }
            Some(Change::Environments(account)) => self.environments().forget_of(account),
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
    pub(crate) async fn commit_token_change(
        &self,
        tx: Transaction,
        what: &'static str,
    ) -> Result<(), DomainError> {
        self.commit_change(tx, Change::Tokens, what).await
    }

    /// Commits a change, announcing it to the other replicas, and empties what it
    /// touched in this replica's caches; on PostgreSQL it answers only once the others
    /// have been handed the announcement (see the module's comment).
    pub(crate) async fn commit_change(
        &self,
        mut tx: Transaction,
        change: Change,
        what: &'static str,
    ) -> Result<(), DomainError> {
        if self.backend != Backend::Postgres {
            tx.commit().await.context(what)?;
            self.apply_change(Some(change));
            // A server running beside this process (the operator's command line) reads
            // it; nothing there caches environments.
            if !matches!(change, Change::Environments(_)) {
                self.announce_changes_elsewhere();
            }
            return Ok(());
        }
        let payload = change.payload();
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
        self.apply_change(Some(change));
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
    pub async fn follow_token_changes(&self) {
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
                        self.apply_change(Change::parse(notification.payload()));
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

#[cfg(test)]
mod tests {
    use super::Change;

    #[test]
    fn announcements_read_back_as_what_they_announce() {
        for change in [
            Change::Tokens,
            Change::Sessions(42),
            Change::Account(7),
            Change::Environments(1),
        ] {
            assert_eq!(Change::parse(&change.payload()), Some(change));
        }
        // An older replica's announcement (random text) is read as "anything changed".
        assert_eq!(Change::parse("Ab3dEf9hIj2lMn0p"), None);
        assert_eq!(Change::parse("sx.abc"), None);
    }
}
