//! The audit log: every token change, sign-in and denied call, with who, what, when
//! and from where.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Ok,
    Failed,
    Denied,
}

impl Outcome {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::Denied => "denied",
        }
    }
}

/// Who acted: nobody yet (signing in), a session, or a token known by its hint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Actor {
    Anonymous,
    /// The operator, from the command line.
    Operator,
    Session,
    Token {
        hint: String,
    },
    /// Someone holding a share link, without an account.
    ShareLink,
}

impl Actor {
    pub fn label(&self) -> String {
        match self {
            Self::Anonymous => "password".into(),
            Self::Operator => "operator".into(),
            Self::Session => "session".into(),
            Self::Token { hint } => format!("token {hint}"),
            Self::ShareLink => "share link".into(),
        }
    }
}

/// Which entries of the log the owner wants to see.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditFilter {
    All,
    TokenChanges,
    Denied,
    SignIns,
}

impl AuditFilter {
    pub const ALL: [AuditFilter; 4] = [Self::All, Self::TokenChanges, Self::Denied, Self::SignIns];

    pub const fn key(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::TokenChanges => "tokens",
            Self::Denied => "denied",
            Self::SignIns => "signins",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Self::All => "Everything",
            Self::TokenChanges => "Token changes",
            Self::Denied => "Denied calls",
            Self::SignIns => "Sign-ins, password and code checks",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.key() == key)
    }

    pub fn matches(self, e: &AuditEvent) -> bool {
        match self {
            Self::All => true,
            Self::TokenChanges => category(&e.action) == CATEGORY_TOKENS,
            Self::Denied => e.outcome == Outcome::Denied.as_str(),
            Self::SignIns => category(&e.action) == CATEGORY_SIGNINS,
        }
    }

    /// The same choice as `matches`, as a condition on `audit_events` (each entry stores
    /// its `category`; indexes serve both forms).
    pub const fn sql_condition(self) -> &'static str {
        match self {
            Self::All => "",
            Self::TokenChanges => "and category = 'tokens'",
            Self::Denied => "and outcome = 'denied'",
            Self::SignIns => "and category = 'signins'",
        }
    }
}

const CATEGORY_TOKENS: &str = "tokens";
const CATEGORY_SIGNINS: &str = "signins";

/// The part of the log an action belongs to, stored beside each entry so that a filter
/// is an indexed condition (the migration that added the column wrote the same for the
/// entries before it).
pub fn category(action: &str) -> &'static str {
    if action.starts_with("token.") || action.starts_with("share.") {
        CATEGORY_TOKENS
    } else if action == "signin"
        || action == "password.confirm"
        || action.starts_with("twofactor.")
        || action.starts_with("session.")
        || action.starts_with("account.")
    {
        CATEGORY_SIGNINS
    } else {
        "other"
    }
}

/// Entries on one page of the Security Log.
pub const PAGE_SIZE: usize = 100;

/// Where a page of the log starts: the newest entries, entries older than one (the
/// Older link), or newer than one (the Newer link). Entries are known by id, so a page
/// stays put while new entries arrive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageStart {
    Newest,
    Before(i64),
    After(i64),
}

/// One page of the log, newest first, and where the pages beside it start.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEvent>,
    /// Entries newer than this page exist: `PageStart::After` this id shows them.
    pub newer: Option<i64>,
    /// Entries older than this page exist: `PageStart::Before` this id shows them.
    pub older: Option<i64>,
}

/// What an action code means, for people.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "token.create" => "Token generated",
        "token.edit" => "Token edited",
        "token.regenerate" => "Token regenerated",
        "token.delete" => "Token removed",
        "token.revoke_all" => "All tokens revoked",
        "share.create" => "Share link created",
        "share.open" => "Share link opened",
        "share.cancel" => "Share link cancelled",
        "session.signout_others" => "Other sessions signed out",
        "account.disable" => "Account disabled by the operator",
        "account.enable" => "Account enabled by the operator",
        "signin" => "Sign-in",
        "password.confirm" => "Password confirmation",
        "api.call" => "API call outside the token's set",
        "api.address" => "API call from outside the token's allowed IPs",
        "env.create" => "Environment created",
        "env.delete" => "Environment deleted",
        "env.deploy" => "App deployed",
        "env.start" => "Environment started",
        "env.stop" => "Environment stopped",
        "env.sleep" => "Environment put to sleep",
        "env.restart" => "Nodes restarted",
        _ => "Other",
    }
}

/// The header row of the CSV export.
pub const CSV_HEADER: &str = "time_utc,action,outcome,target,actor,ip,count\r\n";

/// One entry as a CSV (RFC 4180) row, line end included.
pub fn csv_row(e: &AuditEvent) -> String {
    fn field(text: &str) -> String {
        // A leading =, +, - or @ would be a formula in a spreadsheet: quote it away.
        let text = if text.starts_with(['=', '+', '-', '@']) {
            format!("'{text}")
        } else {
            text.to_owned()
        };
        if text.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", text.replace('"', "\"\""))
        } else {
            text
        }
    }
    let row = [
        e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
        e.action.clone(),
        e.outcome.clone(),
        e.target.clone().unwrap_or_default(),
        e.actor.clone(),
        e.ip.clone().unwrap_or_default(),
        e.count.to_string(),
    ];
    let mut line = row.iter().map(|f| field(f)).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// The entries as CSV (RFC 4180), with a header row.
pub fn to_csv(events: &[AuditEvent]) -> String {
    let mut out = String::from(CSV_HEADER);
    for e in events {
        out.push_str(&csv_row(e));
    }
    out
}

/// One entry of the log as the owner reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Tells entries apart and orders them: pages start before or after one.
    pub id: i64,
    pub at: chrono::DateTime<chrono::Utc>,
    pub action: String,
    pub outcome: String,
    pub target: Option<String>,
    pub actor: String,
    pub ip: Option<String>,
    /// How many calls the entry stands for: denied calls are counted by the minute.
    pub count: i64,
}

#[cfg(feature = "server")]
pub use service::DenialLog;

#[cfg(feature = "server")]
mod service {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use anyhow::Context;
    use sqlx::Row;

    use super::{Actor, AuditEvent, AuditFilter, AuditPage, Outcome, PageStart, PAGE_SIZE};
    use crate::accounts::Origin;
    use crate::error::DomainError;
    use crate::platform::{from_unix, Caller, Platform, WriteKey};

    /// Denied calls waiting to be written, counted by account, action, method, actor and
    /// minute: a flood of refused calls becomes one row a minute with a count, and at
    /// most this many distinct rows wait at once (the rest are counted as dropped).
    const DENIALS_MAX: usize = 10_000;

    #[derive(Clone, PartialEq, Eq, Hash)]
    struct DenialKey {
        account_id: i64,
        action: &'static str,
        method: &'static str,
        actor: String,
        minute: i64,
    }

    struct DenialCount {
        count: i64,
        /// The address of the latest call in the minute.
        ip: Option<String>,
    }

    #[derive(Default)]
    pub struct DenialLog {
        pending: Mutex<HashMap<DenialKey, DenialCount>>,
        dropped: Mutex<u64>,
        /// One flush at a time, so a reader that flushes first (the Security Log) sees
        /// every denial noted before, even one another flush is still writing.
        flushing: tokio::sync::Mutex<()>,
    }

    impl Platform {
        /// Notes a call a token was not allowed to make; `flush_pending` writes it.
        pub fn audit_denied(&self, caller: &Caller, method: &'static str) {
            self.note_denial("api.call", caller, method);
        }

        /// Notes a call refused because it came from outside the token's allowlist.
        pub fn audit_outside_allowlist(&self, caller: &Caller, method: &'static str) {
            self.note_denial("api.address", caller, method);
        }

        fn note_denial(&self, action: &'static str, caller: &Caller, method: &'static str) {
            let now = self.now().timestamp();
            let key = DenialKey {
                account_id: caller.account.id,
                action,
                method,
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

        pub(crate) async fn flush_denials(&self) -> Result<(), DomainError> {
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
                .bind(key.method)
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
                .bind(key.method)
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
        pub(crate) async fn prune_old_entries(&self) -> Result<(), DomainError> {
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
            self.prune_notices().await?;
            self.prune_attempts().await
        }

        pub async fn audit(
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
        pub async fn audit_events(
            &self,
            account_id: i64,
            limit: i64,
        ) -> Result<Vec<AuditEvent>, DomainError> {
            self.audit_events_before(account_id, AuditFilter::All, i64::MAX, limit)
                .await
        }

        /// Up to `limit` of the account's entries that `filter` picks with an id below
        /// `before`, newest first: one keyset step (an indexed read however long the
        /// log). Pages and the CSV export walk the log with it.
        pub async fn audit_events_before(
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
        pub async fn audit_page(
            &self,
            account_id: i64,
            filter: AuditFilter,
            start: PageStart,
        ) -> Result<AuditPage, DomainError> {
            self.flush_pending().await?;
            let size = PAGE_SIZE as i64;
            let condition = filter.sql_condition();
            let (events, start) = match start {
                PageStart::Newest => (
                    self.audit_events_before(account_id, filter, i64::MAX, size + 1)
                        .await?,
                    start,
                ),
                PageStart::Before(id) => (
                    self.audit_events_before(account_id, filter, id, size + 1)
                        .await?,
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
                            .audit_events_before(account_id, filter, i64::MAX, size + 1)
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
                    .audit_exists(account_id, condition, "id < $2", last.id)
                    .await?
                    .then_some(last.id),
                _ => None,
            };
            let newer = match (events.first(), start) {
                (_, PageStart::Newest) => None,
                (Some(first), _) => self
                    .audit_exists(account_id, condition, "id > $2", first.id)
                    .await?
                    .then_some(first.id),
                // An empty page past the oldest entry: the way back.
                (None, PageStart::Before(id)) => self
                    .audit_exists(account_id, condition, "id >= $2", id)
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

        async fn audit_exists(
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn event(action: &str, outcome: &str, target: &str) -> AuditEvent {
        AuditEvent {
            id: 1,
            at: chrono::Utc
                .with_ymd_and_hms(2026, 11, 23, 12, 0, 0)
                .unwrap(),
            action: action.into(),
            outcome: outcome.into(),
            target: Some(target.into()),
            actor: "token patio_abcd".into(),
            ip: Some("127.0.0.1".into()),
            count: 1,
        }
    }

    #[test]
    fn filters_pick_their_entries() {
        let denied = event("api.call", "denied", "environment.control.StartEnv");
        let created = event("token.create", "ok", "token 1");
        let signin = event("signin", "failed", "");
        assert!(AuditFilter::Denied.matches(&denied) && !AuditFilter::Denied.matches(&created));
        assert!(
            AuditFilter::TokenChanges.matches(&created)
                && !AuditFilter::TokenChanges.matches(&signin)
        );
        assert!(AuditFilter::SignIns.matches(&signin));
        assert!(AuditFilter::ALL
            .iter()
            .all(|f| AuditFilter::parse(f.key()) == Some(*f)));
    }

    #[test]
    fn csv_quotes_what_needs_quoting_and_defuses_formulas() {
        let csv = to_csv(&[
            event("token.edit", "ok", "a \"quoted\", thing"),
            event("token.edit", "ok", "=HYPERLINK()"),
        ]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "time_utc,action,outcome,target,actor,ip,count");
        assert_eq!(lines[1], "2026-11-23 12:00:00,token.edit,ok,\"a \"\"quoted\"\", thing\",token patio_abcd,127.0.0.1,1");
        assert!(lines[2].contains(",'=HYPERLINK(),"));
    }
}
