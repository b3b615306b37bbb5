//! Token changes across server replicas. On PostgreSQL a change announces itself on a
//! channel inside its own transaction, so the announcement goes out exactly when the
//! change commits; every replica listens and empties its cache of verified tokens. A
//! replica that is not listening (starting, or its listening connection lost) does not
//! trust its cache and reads every token from the database until it listens again.

use std::time::Duration;

use anyhow::Context;
use sqlx::postgres::PgListener;

use crate::error::DomainError;
use crate::platform::{Backend, Platform, Transaction};

/// The channel token changes are announced on.
const CHANNEL: &str = "patio_tokens";

impl Platform {
    /// Commits a change to tokens, announcing it to the other replicas, and empties this
    /// replica's cache before the change is answered.
    pub(crate) async fn commit_token_change(
        &self,
        mut tx: Transaction,
        what: &'static str,
    ) -> Result<(), DomainError> {
        if self.backend == Backend::Postgres {
            sqlx::query("notify patio_tokens")
                .execute(&mut *tx)
                .await
                .context("announce the token change")?;
        }
        tx.commit().await.context(what)?;
        self.token_cache.invalidate();
        Ok(())
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
        loop {
            match listener.try_recv().await.context("receive")? {
                Some(_) => self.token_cache.invalidate(),
                // The connection dropped: changes may have gone unseen.
                None => anyhow::bail!("the listening connection was lost"),
            }
        }
    }
}
