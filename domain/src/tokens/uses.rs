//! Token uses: each accepted call is noted in memory (`LastUsedLog`) and written once
//! a second in one batch: the last use (time, address, client) and calls per day and method.

use crate::error::DomainError;
use anyhow::Context;

crate::platform::service! {
    /// Noting token uses and writing them: `platform.uses()`.
    Uses, uses
}

impl Uses<'_> {
    /// Notes that a token was used to call `method` (on the environment `env`, for a
    /// method that names one); `flush` writes the notes in one batch, so a busy token
    /// costs no write per request.
    pub fn touch(
        &self,
        token_id: i64,
        origin: &crate::accounts::Origin,
        method: &'static str,
        env: Option<&crate::environments::EnvName>,
    ) {
        self.last_used.record(
            token_id,
            self.now().timestamp(),
            origin.ip.as_deref(),
            origin.user_agent.as_deref(),
            method,
            env.map(|e| e.as_str()),
        );
    }

    /// Writes the uses noted since the previous flush: each token's last use and its
    /// calls by day and method. Counts older than `USAGE_RETENTION_DAYS` are dropped.
    pub async fn flush(&self) -> Result<(), DomainError> {
        let _one_at_a_time = self.last_used.flushing.lock().await;
        let pending = self.last_used.take();
        if pending.last.is_empty() && pending.calls.is_empty() && pending.envs.is_empty() {
            return Ok(());
        }
        let written = self.write(&pending).await;
        if written.is_err() {
            // Kept for the next flush rather than lost.
            self.last_used.restore(pending);
        }
        written
    }

    async fn write(&self, pending: &super::cache::PendingUses) -> Result<(), DomainError> {
        // Only rows are written, each by key: no read decides a write, so no write lock
        // beyond the rows' own (on PostgreSQL).
        let mut tx = self.begin_write(&[]).await?;
        let mut last: Vec<_> = pending.last.iter().collect();
        // One order on every replica: row locks are taken in the same sequence.
        last.sort_by_key(|(id, _)| **id);
        for (token_id, last) in last {
            sqlx::query(
                "update tokens set last_used_at = $1, last_used_ip = $2, last_used_agent = $3
                 where id = $4 and (last_used_at is null or last_used_at <= $5)",
            )
            .bind(last.at)
            .bind(&last.ip)
            .bind(&last.user_agent)
            .bind(token_id)
            .bind(last.at)
            .execute(&mut *tx)
            .await
            .context("record token use")?;
        }
        let mut calls: Vec<_> = pending.calls.iter().collect();
        calls.sort_unstable_by_key(|(key, _)| **key);
        for ((token_id, day, method), calls) in calls {
            // A token removed since the call has no row to count against.
            sqlx::query(
                "insert into token_usage (token_id, day, method_id, calls)
                 select id, $1, $2, $3 from tokens where id = $4
                 on conflict (token_id, day, method_id) do update set calls = token_usage.calls + excluded.calls",
            )
            .bind(day)
            .bind(method)
            .bind(*calls as i64)
            .bind(token_id)
            .execute(&mut *tx)
            .await
            .context("count token calls")?;
        }
        let mut envs: Vec<_> = pending
            .envs
            .iter()
            .flat_map(|((token_id, day), named)| {
                named
                    .iter()
                    .map(move |(env, calls)| ((*token_id, *day, env), *calls))
            })
            .collect();
        envs.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        for ((token_id, day, env), calls) in envs {
            sqlx::query(
                "insert into token_env_usage (token_id, day, env_name, calls)
                 select id, $1, $2, $3 from tokens where id = $4
                 on conflict (token_id, day, env_name) do update set calls = token_env_usage.calls + excluded.calls",
            )
            .bind(day)
            .bind(env)
            .bind(calls as i64)
            .bind(token_id)
            .execute(&mut *tx)
            .await
            .context("count token calls by environment")?;
        }
        // Old counts go once a day, not on every flush.
        let today = super::day_number(self.now());
        if self
            .last_used
            .purged_day
            .swap(today, std::sync::atomic::Ordering::AcqRel)
            != today
        {
            sqlx::query("delete from token_usage where day < $1")
                .bind(today - super::USAGE_RETENTION_DAYS)
                .execute(&mut *tx)
                .await
                .context("drop old token calls")?;
            sqlx::query("delete from token_env_usage where day < $1")
                .bind(today - super::USAGE_RETENTION_DAYS)
                .execute(&mut *tx)
                .await
                .context("drop old token calls by environment")?;
        }
        tx.commit().await.context("commit token uses")?;
        Ok(())
    }
}
