//! What keeps a token check off the database: a cache of verified tokens that every
//! change to any token empties at once, and a log of last uses written in batches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};

use super::{Expiry, TokenGrant};

/// Entries kept at most; past that the cache starts over.
const CAPACITY: usize = 100_000;

#[derive(Clone)]
pub(crate) struct Cached {
    pub grant: TokenGrant,
    pub expires_at: Option<Expiry>,
    pub stored: std::time::Instant,
}

/// How long a verified token is trusted without reading it again: the bound on how long
/// a change could go unnoticed should a replica miss a notification.
const MAX_AGE: std::time::Duration = std::time::Duration::from_secs(60);

/// Verified tokens by digest. A lookup that read the database before a change may not
/// store its (stale) answer after it: `generation` tells them apart. While `trusted` is
/// off (a replica not hearing about other replicas' changes) the cache is not used.
pub struct TokenCache {
    entries: RwLock<HashMap<Vec<u8>, Cached>>,
    generation: AtomicU64,
    trusted: AtomicBool,
}

impl TokenCache {
    pub fn new(trusted: bool) -> Self {
        Self {
            entries: RwLock::default(),
            generation: AtomicU64::default(),
            trusted: AtomicBool::new(trusted),
        }
    }

    pub(crate) fn set_trusted(&self, trusted: bool) {
        if !trusted {
            self.invalidate();
        }
        self.trusted.store(trusted, Ordering::Release);
    }

    pub fn is_trusted(&self) -> bool {
        self.trusted.load(Ordering::Acquire)
    }

    pub(crate) fn get(&self, digest: &[u8]) -> Option<Cached> {
        if !self.is_trusted() {
            return None;
        }
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(digest)
            .filter(|entry| entry.stored.elapsed() < MAX_AGE)
            .cloned()
    }

    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a lookup's answer unless a change happened since `generation`.
    pub(crate) fn insert(&self, generation: u64, digest: Vec<u8>, entry: Cached) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation || !self.is_trusted() {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(digest, entry);
    }

    /// Forgets every entry; called after each committed change to a token.
    pub fn invalidate(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A token's latest use not yet written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingUse {
    pub at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Uses not yet written: the last one of each token, and calls by (token, day, method).
#[derive(Default)]
pub(crate) struct PendingUses {
    pub last: HashMap<i64, PendingUse>,
    pub calls: HashMap<(i64, i64, &'static str), u64>,
}

/// Token uses noted by requests and written in batches.
#[derive(Default)]
pub struct LastUsedLog {
    pending: Mutex<PendingUses>,
    /// One flush at a time, so a reader that flushes first sees every earlier use.
    pub(crate) flushing: tokio::sync::Mutex<()>,
    /// The day old counts were last dropped.
    pub(crate) purged_day: std::sync::atomic::AtomicI64,
}

impl LastUsedLog {
    pub(crate) fn record(
        &self,
        token_id: i64,
        at: i64,
        ip: Option<&str>,
        user_agent: Option<&str>,
        method: &'static str,
    ) {
        let user_agent = user_agent.map(|a| clip(a, super::USER_AGENT_MAX));
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending
            .calls
            .entry((token_id, at.div_euclid(86_400), method))
            .or_default() += 1;
        match pending.last.get_mut(&token_id) {
            Some(last)
                if last.at == at
                    && last.ip.as_deref() == ip
                    && last.user_agent.as_deref() == user_agent => {}
            Some(last) => {
                *last = PendingUse {
                    at,
                    ip: ip.map(str::to_owned),
                    user_agent: user_agent.map(str::to_owned),
                }
            }
            None => {
                pending.last.insert(
                    token_id,
                    PendingUse {
                        at,
                        ip: ip.map(str::to_owned),
                        user_agent: user_agent.map(str::to_owned),
                    },
                );
            }
        }
    }

    /// Puts back uses a failed flush could not write, beside those noted since.
    /// Tokens with a use not yet written.
    pub(crate) fn len(&self) -> usize {
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last
            .len()
    }

    pub(crate) fn restore(&self, failed: PendingUses) {
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        for (key, calls) in failed.calls {
            *pending.calls.entry(key).or_default() += calls;
        }
        for (token_id, last) in failed.last {
            pending
                .last
                .entry(token_id)
                .and_modify(|newer| {
                    if newer.at < last.at {
                        *newer = last.clone();
                    }
                })
                .or_insert(last);
        }
    }

    pub(crate) fn take(&self) -> PendingUses {
        std::mem::take(&mut *self.pending.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// At most `max` characters of `text`.
fn clip(text: &str, max: usize) -> &str {
    text.char_indices()
        .nth(max)
        .map_or(text, |(end, _)| &text[..end])
}
