//! What a replica keeps of open sessions between requests: the sessions it verified,
//! and the uses waiting for the once-a-second writer.

use super::AccountInfo;

/// An open session as this replica remembers it (`Sessions::resolve`).
#[derive(Clone)]
pub(crate) struct CachedSession {
    pub(crate) account: AccountInfo,
    pub(super) session_id: i64,
    pub(super) expires_at: i64,
    /// The last use the database holds, or that this replica is about to write.
    pub(super) last_used_at: i64,
}

/// Open sessions by the digest of their value.
pub(crate) type SessionCache = crate::cache::Cache<Vec<u8>, CachedSession>;

/// Session uses waiting for the once-a-second writer: the latest, by session id.
#[derive(Default)]
pub struct SessionUses {
    pub(super) pending: std::sync::Mutex<std::collections::HashMap<i64, i64>>,
    /// One flush at a time, so a reader that flushes first sees every earlier use.
    pub(super) flushing: tokio::sync::Mutex<()>,
}

impl SessionUses {
    pub(super) fn record(&self, session_id: i64, at: i64) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        let last = pending.entry(session_id).or_insert(at);
        *last = (*last).max(at);
    }

    pub(super) fn latest(&self, session_id: i64) -> Option<i64> {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&session_id)
            .copied()
    }

    pub(super) fn take(&self) -> std::collections::HashMap<i64, i64> {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(super) fn restore(&self, failed: std::collections::HashMap<i64, i64>) {
        for (id, at) in failed {
            self.record(id, at);
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.pending.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}
