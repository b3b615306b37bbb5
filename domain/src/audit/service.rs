//! Storage of the Security Log: entries written with the change they record, denied
//! calls tallied by the minute and written once a second, and keyset pages.

use super::denials::{DenialCount, DenialKey, DENIALS_MAX};
use super::{Actor, AuditEvent, AuditFilter, AuditPage, Outcome, PageStart, PAGE_SIZE};
use crate::accounts::Origin;
use crate::error::DomainError;
use crate::platform::{from_unix, WriteKey};
use crate::Caller;
use anyhow::Context;
use sqlx::Row;
use std::collections::HashMap;

crate::platform::service! {
    /// The Security Log: `platform.audit()`.
    Audit, audit
}

const EVENT_COLUMNS: &str = "id, created_at, action, outcome, target, actor, ip, count";

fn event(r: &sqlx::any::AnyRow) -> AuditEvent {
    AuditEvent {
        id: r.get("id"),
        at: from_unix(r.get("created_at")),
        action: r.get("action"),
        outcome: r.get("outcome"),
        target: r.get("target"),
        actor: r.get("actor"),
        ip: r.get("ip"),
        count: r.get("count"),
    }
}

impl Audit<'_> {
    /// Notes a call a token was not allowed to make; `flush_pending` writes it.
    pub fn denied(&self, caller: &Caller, method: &'static str) {
        self.note_denial("api.call", caller, method.to_owned());
    }

    /// Notes a call refused because the environment it named is outside the token's
    /// scope (or does not exist): the entry names the method and the environment.
    pub fn outside_scope(&self, caller: &Caller, method: &'static str, env: &str) {
        self.note_denial("api.scope", caller, format!("{method} {env}"));
    }

    /// Notes a call refused because it came from outside the token's allowlist.
    pub fn outside_allowlist(&self, caller: &Caller, method: &'static str) {
        self.note_denial("api.address", caller, method.to_owned());
    }

    fn note_denial(&self, action: &'static str, caller: &Caller, target: String) {
        let now = self.now().timestamp();
        let key = DenialKey {
            account_id: caller.account.id,
            action,
            target,
            actor: caller.actor.label(),
            minute: now - now.rem_euclid(60),
        };
        let mut pending = self
            .denials
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if pending.len() >= DENIALS_MAX && !pending.contains_key(&key) {
            drop(pending);
            *self
                .denials
                .dropped
                .lock()
                .unwrap_or_else(|e| e.into_inner()) += 1;
            return;
        }
        let entry = pending
            .entry(key)
            .or_insert(DenialCount { count: 0, ip: None });
        entry.count += 1;
        entry.ip.clone_from(&caller.origin.ip);
    }

    /// Denied-call tallies waiting to be written.
    pub(crate) fn denial_backlog(&self) -> usize {
        self.denials
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }

    pub async fn flush_denials(&self) -> Result<(), DomainError> {
        let _one_at_a_time = self.denials.flushing.lock().await;
        let batch = std::mem::take(
            &mut *self
                .denials
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        let dropped = std::mem::take(
            &mut *self
                .denials
                .dropped
                .lock()
                .unwrap_or_else(|e| e.into_inner()),
        );
        if dropped > 0 {
            tracing::warn!(
                dropped,
                "denied calls beyond the audit batch limit were not logged"
            );
        }
        if batch.is_empty() {
            return Ok(());
        }
        let written = self.write_denials(&batch).await;
        if written.is_err() {
            // Kept for the next flush rather than lost (the transaction rolled back).
            let mut pending = self
                .denials
                .pending
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            for (key, tally) in batch {
                let entry = pending.entry(key).or_insert(DenialCount {
                    count: 0,
                    ip: tally.ip,
                });
                entry.count += tally.count;
            }
        }
        written
    }

    async fn write_denials(
        &self,
        batch: &HashMap<DenialKey, DenialCount>,
    ) -> Result<(), DomainError> {
        // Read-then-write per (account, minute) row: every account in the batch is
        // locked, so two replicas flushing the same minute add up instead of both
        // inserting.
        let accounts: Vec<WriteKey> = batch
            .keys()
            .map(|k| WriteKey::Account(k.account_id))
            .collect();
        let mut tx = self.begin_write(&accounts).await?;
        for (key, tally) in batch {
            // The minute's row, if an earlier flush (or another replica) wrote it.
            let updated = sqlx::query(
                "update audit_events set count = count + $1, ip = $2, updated_at = $3
                 where account_id = $4 and action = $5 and outcome = 'denied' and target = $6
                   and actor = $7 and created_at = $8",
            )
            .bind(tally.count)
            .bind(&tally.ip)
            .bind(self.now().timestamp())
            .bind(key.account_id)
            .bind(key.action)
            .bind(&key.target)
            .bind(&key.actor)
            .bind(key.minute)
            .execute(&mut *tx)
            .await
            .context("count denied calls")?;
            if updated.rows_affected() > 0 {
                continue;
            }
            sqlx::query(
                "insert into audit_events (account_id, action, outcome, target, actor, ip, created_at, updated_at, count, category)
                 values ($1, $2, 'denied', $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(key.account_id)
            .bind(key.action)
            .bind(&key.target)
            .bind(&key.actor)
            .bind(&tally.ip)
            .bind(key.minute)
            .bind(key.minute)
            .bind(tally.count)
            .bind(super::category(key.action))
            .execute(&mut *tx)
            .await
            .context("insert denied calls")?;
        }
        tx.commit().await.context("commit denied calls")?;
        Ok(())
    }

    /// Deletes audit entries older than the retention period and attempts older
    /// than any limit's window; runs at most once an hour.
    pub(crate) async fn prune(&self) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        let hour = now / 3600;
        if self
            .pruned_hour
            .swap(hour, std::sync::atomic::Ordering::AcqRel)
            == hour
        {
            return Ok(());
        }
        let days = i64::from(self.settings.audit_retention_days);
        sqlx::query("delete from audit_events where created_at < $1")
            .bind(now - days * 86_400)
            .execute(&self.db)
            .await
            .context("delete old audit entries")?;
        self.notices().prune().await?;
        self.outbox().prune().await?;
        self.links().prune().await?;
        self.attempts().prune().await
    }

    pub async fn record(
        &self,
        account_id: Option<i64>,
        action: &str,
        outcome: Outcome,
        target: Option<&str>,
        actor: &Actor,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        sqlx::query(
            "insert into audit_events (account_id, action, outcome, target, actor, ip, created_at, updated_at, category)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(account_id)
        .bind(action)
        .bind(outcome.as_str())
        .bind(target)
        .bind(actor.label())
        .bind(origin.ip.as_deref())
        .bind(now)
        .bind(now)
        .bind(super::category(action))
        .execute(&self.db)
        .await
        .context("insert audit event")?;
        Ok(())
    }

    /// The account's newest events first.
    pub async fn events(
        &self,
        account_id: i64,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, DomainError> {
        self.events_before(account_id, AuditFilter::All, i64::MAX, limit)
            .await
    }

    /// Up to `limit` of the account's entries that `filter` picks with an id below
    /// `before`, newest first: one keyset step (an indexed read however long the
    /// log). Pages and the CSV export walk the log with it.
    pub async fn events_before(
        &self,
        account_id: i64,
        filter: AuditFilter,
        before: i64,
        limit: i64,
    ) -> Result<Vec<AuditEvent>, DomainError> {
        let rows = sqlx::query(&format!(
            "select {EVENT_COLUMNS} from audit_events
             where account_id = $1 {} and id < $2 order by id desc limit $3",
            filter.sql_condition()
        ))
        .bind(account_id)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.db)
        .await
        .context("list audit events")?;
        Ok(rows.iter().map(event).collect())
    }

    /// One page of the Security Log: `PAGE_SIZE` entries that `filter` picks from
    /// where `start` says, newest first, with where the pages beside it start. What
    /// requests only noted (denied calls) is written first, so the page shows it.
    pub async fn page(
        &self,
        account_id: i64,
        filter: AuditFilter,
        start: PageStart,
    ) -> Result<AuditPage, DomainError> {
        self.flush_denials().await?;
        let size = PAGE_SIZE as i64;
        let condition = filter.sql_condition();
        let (events, start) = match start {
            PageStart::Newest => (
                self.events_before(account_id, filter, i64::MAX, size + 1)
                    .await?,
                start,
            ),
            PageStart::Before(id) => (
                self.events_before(account_id, filter, id, size + 1).await?,
                start,
            ),
            PageStart::After(id) => {
                let rows = sqlx::query(&format!(
                    "select {EVENT_COLUMNS} from audit_events
                     where account_id = $1 {condition} and id > $2 order by id limit $3"
                ))
                .bind(account_id)
                .bind(id)
                .bind(size + 1)
                .fetch_all(&self.db)
                .await
                .context("list newer audit events")?;
                if rows.len() > PAGE_SIZE {
                    let mut page: Vec<AuditEvent> =
                        rows.iter().take(PAGE_SIZE).map(event).collect();
                    page.reverse();
                    (page, start)
                } else {
                    // Near the top: the newest page, full, with what arrived since.
                    let newest = self
                        .events_before(account_id, filter, i64::MAX, size + 1)
                        .await?;
                    (newest, PageStart::Newest)
                }
            }
        };
        self.finish_page(account_id, condition, events, start).await
    }

    /// Trims a page read with one extra entry and finds whether entries lie beyond
    /// either end.
    async fn finish_page(
        &self,
        account_id: i64,
        condition: &str,
        mut events: Vec<AuditEvent>,
        start: PageStart,
    ) -> Result<AuditPage, DomainError> {
        let more_older = events.len() > PAGE_SIZE;
        events.truncate(PAGE_SIZE);
        let older = match (more_older, events.last()) {
            (true, Some(last)) => Some(last.id),
            (false, Some(last)) if matches!(start, PageStart::After(_)) => self
                .exists(account_id, condition, "id < $2", last.id)
                .await?
                .then_some(last.id),
            _ => None,
        };
        let newer = match (events.first(), start) {
            (_, PageStart::Newest) => None,
            (Some(first), _) => self
                .exists(account_id, condition, "id > $2", first.id)
                .await?
                .then_some(first.id),
            // An empty page past the oldest entry: the way back.
            (None, PageStart::Before(id)) => self
                .exists(account_id, condition, "id >= $2", id)
                .await?
                .then_some(id - 1),
            (None, _) => None,
        };
        Ok(AuditPage {
            events,
            newer,
            older,
        })
    }

    async fn exists(
        &self,
        account_id: i64,
        condition: &str,
        side: &str,
        id: i64,
    ) -> Result<bool, DomainError> {
        let found: Option<i64> = sqlx::query_scalar(&format!(
            "select id from audit_events where account_id = $1 {condition} and {side} limit 1"
        ))
        .bind(account_id)
        .bind(id)
        .fetch_optional(&self.db)
        .await
        .context("look for more audit events")?;
        Ok(found.is_some())
    }
}
