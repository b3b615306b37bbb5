//! What a token was used for, as its owner reads it (calls per day and method over 30
//! days), and tightening a token to the methods it used.

use super::{DayCalls, Grant, MethodCalls, Tightening, TokenEdit, TokenSummary, TokenUsage};
use crate::error::DomainError;
use crate::scope::ScopeRequest;
use crate::Caller;
use anyhow::Context;
use sqlx::Row;

crate::platform::service! {
    /// Token usage and tightening: `platform.usage()`.
    Usage, usage
}

impl Usage<'_> {
    /// The token's last use, calls per day for `USAGE_DAYS` days and the methods called.
    pub async fn report(&self, account_id: i64, id: i64) -> Result<TokenUsage, DomainError> {
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
            let (day, method, calls): (i64, String, i64) =
                (row.get("day"), row.get("method_id"), row.get("calls"));
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
        let named: Vec<String> = sqlx::query_scalar(
            "select distinct u.env_name from token_env_usage u
             join environments e on e.name = u.env_name and e.account_id = $1
             where u.token_id = $2 and u.day >= $3",
        )
        .bind(account_id)
        .bind(id)
        .bind(first)
        .fetch_all(&self.db)
        .await
        .context("read environments named")?;
        Ok(Tightening::with_envs(
            id,
            days,
            token.grant,
            &used,
            token.env_names,
            named,
        ))
    }

    /// Narrows a token to a Custom set of `keep` and, when given, to the environments
    /// `envs`, every one of which it must hold when the change is made: a proposal made
    /// before another edit can never widen the token.
    pub async fn tighten(
        &self,
        caller: &Caller,
        password: &str,
        id: i64,
        keep: Vec<String>,
        envs: Option<Vec<String>>,
    ) -> Result<TokenSummary, DomainError> {
        let edit = TokenEdit {
            grant: Some(Grant::custom(keep)?),
            scope: envs.map(ScopeRequest::parse).transpose()?,
            narrow_only: true,
            ..TokenEdit::default()
        };
        self.tokens().edit(caller, password, id, edit).await
    }
}
