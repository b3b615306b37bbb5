//! Answers kept in memory so a hot request costs no database read: verified tokens,
//! open sessions, environments. Every committed change empties what it touched at once
//! (on every replica: `tokens::changes`), a lookup that read the database before a
//! change may not store its stale answer after it (`generation`), and while `trusted`
//! is off (a replica not hearing the others' changes) nothing is served from memory.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// Entries kept at most; past that the cache starts over.
const CAPACITY: usize = 100_000;

/// How long an entry is trusted without reading it again: the bound on how long a change
/// could go unnoticed should a replica miss a notification.
const MAX_AGE: Duration = Duration::from_secs(60);

pub struct Cache<K, V> {
    entries: RwLock<HashMap<K, (V, Instant)>>,
    generation: AtomicU64,
    trusted: AtomicBool,
}

impl<K: Hash + Eq, V: Clone> Cache<K, V> {
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

    pub(crate) fn get(&self, key: &K) -> Option<V> {
        if !self.is_trusted() {
            return None;
        }
        self.entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .filter(|(_, stored)| stored.elapsed() < MAX_AGE)
            .map(|(value, _)| value.clone())
    }

    /// The generation to hand back to `insert`: read it before reading the database.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Stores a lookup's answer unless a change happened since `generation`.
    pub(crate) fn insert(&self, generation: u64, key: K, value: V) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.generation.load(Ordering::Acquire) != generation || !self.is_trusted() {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (value, Instant::now()));
    }

    /// Changes an entry in place, if it is still there (a change may have emptied it).
    pub(crate) fn update(&self, key: &K, change: impl FnOnce(&mut V)) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some((value, _)) = entries.get_mut(key) {
            change(value);
        }
    }

    /// Forgets every entry.
    pub fn invalidate(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.clear();
    }

    /// Forgets the entries `stale` picks (one account's, say).
    pub(crate) fn invalidate_where(&self, stale: impl Fn(&K, &V) -> bool) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.retain(|key, (value, _)| !stale(key, value));
    }

    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lookup_older_than_a_change_is_not_stored() {
        let cache: Cache<u8, &str> = Cache::new(true);
        let before = cache.generation();
        cache.invalidate_where(|_, _| false);
        cache.insert(before, 1, "stale");
        assert_eq!(cache.get(&1), None);
        cache.insert(cache.generation(), 1, "fresh");
        assert_eq!(cache.get(&1), Some("fresh"));
    }

    #[test]
    fn an_untrusted_cache_serves_and_stores_nothing() {
        let cache: Cache<u8, u8> = Cache::new(false);
        cache.insert(cache.generation(), 1, 1);
        assert_eq!(cache.get(&1), None);
        cache.set_trusted(true);
        cache.insert(cache.generation(), 1, 1);
        assert_eq!(cache.get(&1), Some(1));
        cache.set_trusted(false);
        assert!(cache.is_empty());
    }

    #[test]
    fn invalidating_some_entries_keeps_the_others() {
        let cache: Cache<(i64, u8), u8> = Cache::new(true);
        for key in [(1, 1), (1, 2), (2, 1)] {
            cache.insert(cache.generation(), key, 0);
        }
        cache.update(&(2, 1), |v| *v = 7);
        cache.invalidate_where(|(account, _), _| *account == 1);
        assert_eq!(cache.len(), 1);
        assert_eq!(cache.get(&(2, 1)), Some(7));
    }
}
