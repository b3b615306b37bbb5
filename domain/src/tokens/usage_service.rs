//! What tokens were used for: the last use noted per request and written once a
//! second, calls per day and method, and tightening a token to what it used.

use super::{DayCalls, Grant, MethodCalls, Tightening, TokenEdit, TokenSummary, TokenUsage};
use crate::error::DomainError;
use crate::platform::Caller;
use anyhow::Context;
use sqlx::Row;

crate::platform::service! {
    /// Token uses and tightening: `platform.usage()`.
    Usage, usage
}

impl Usage<'_> {
    /// Notes that a token was used to call `method`; `flush_last_used` writes the notes
    /// in one batch, so a busy token costs no write per request.
    pub fn touch(&self, token_id: i64, origin: &crate::accounts::Origin, method: &'static str) {
        self.last_used.record(
            token_id,
            self.now().timestamp(),
            origin.ip.as_deref(),
            origin.user_agent.as_deref(),
            method,
        );
    }

    /// Writes the uses noted since the previous flush: each token's last use and its
    /// calls by day and method. Counts older than `USAGE_RETENTION_DAYS` are dropped.
    pub async fn flush(&self) -> Result<(), DomainError> {
        let _one_at_a_time = self.last_used.flushing.lock().await;
        let pending = self.last_used.take();
        if pending.last.is_empty() && pending.calls.is_empty() {
            return Ok(());
        }
        let written = self.write_uses(&pending).await;
        if written.is_err() {
            // Kept for the next flush rather than lost.
            self.last_used.restore(pending);
        }
        written
    }

    async fn write_uses(&self, pending: &super::cache::PendingUses) -> Result<(), DomainError> {
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
        }
        tx.commit().await.context("commit token uses")?;
        Ok(())
    }

    /// The token's last use, calls per day for `USAGE_DAYS` days and the methods called.
    pub async fn of_token(&self, account_id: i64, id: i64) -> Result<TokenUsage, DomainError> {
        let token = self.tokens().one(account_id, id).await?;
        let today = super::day_number(self.now());
        let first = today - super::USAGE_DAYS + 1;
        let rows = sqlx::query(
            "select day, method_id, calls from token_usage where token_id = $1 and day >= $2 order by day",
        )
        .bind(id)
        .bind(first)
        .fetch_all(&self.db)
        .await
        .context("read token calls")?;
        let mut per_day = vec![0u64; super::USAGE_DAYS as usize];
        let mut methods: Vec<MethodCalls> = Vec::new();
        for row in &rows {
            let (day, method, calls): (i64, String, i64) = (row.get(0), row.get(1), row.get(2));
            let calls = calls.max(0) as u64;
            if let Some(slot) = usize::try_from(day - first)
                .ok()
                .and_then(|i| per_day.get_mut(i))
            {
                *slot += calls;
            }
            let last_day = super::day_of_number(day);
            match methods.iter_mut().find(|m| m.method == method) {
                Some(m) => {
                    m.calls += calls;
                    m.last_day = m.last_day.max(last_day);
                }
                None => methods.push(MethodCalls {
                    method,
                    calls,
                    last_day,
                }),
            }
        }
        methods.sort_by(|a, b| b.calls.cmp(&a.calls).then_with(|| a.method.cmp(&b.method)));
        Ok(TokenUsage {
            token_id: id,
            last_used: token.last_used,
            days: per_day
                .into_iter()
                .enumerate()
                .map(|(i, calls)| DayCalls {
                    day: super::day_of_number(first + i as i64),
                    calls,
                })
                .collect(),
            methods,
        })
    }

    /// The Custom set of only the methods the token called in the last `days` days
    /// (1 to `USAGE_RETENTION_DAYS`), beside its current grant.
    pub async fn propose_tightening(
        &self,
        account_id: i64,
        id: i64,
        days: i64,
    ) -> Result<Tightening, DomainError> {
        if !(1..=super::USAGE_RETENTION_DAYS).contains(&days) {
            return Err(DomainError::param(
                "days",
                format!("must be 1 to {}", super::USAGE_RETENTION_DAYS),
            ));
        }
        let token = self.tokens().one(account_id, id).await?;
        let first = super::day_number(self.now()) - days + 1;
        let used: Vec<String> = sqlx::query_scalar(
            "select distinct method_id from token_usage where token_id = $1 and day >= $2",
        )
        .bind(id)
        .bind(first)
        .fetch_all(&self.db)
        .await
        .context("read methods called")?;
        Ok(Tightening::new(id, days, token.grant, &used))
    }

    /// Narrows a token to a Custom set of `keep`, every one of which it must hold when the
    /// change is made: a proposal made before another edit can never widen the token.
    pub async fn tighten(
        &self,
        caller: &Caller,
        password: &str,
        id: i64,
        keep: Vec<String>,
    ) -> Result<TokenSummary, DomainError> {
        let edit = TokenEdit {
            grant: Some(Grant::custom(keep)?),
            narrow_only: true,
            ..TokenEdit::default()
        };
        self.tokens().edit(caller, password, id, edit).await
    }
}
