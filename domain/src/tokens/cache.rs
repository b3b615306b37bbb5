//! What keeps a token check off the database: a cache of verified tokens that every
//! change to any token empties at once, and a log of last uses written in batches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::scope::EnvScope;

use super::{Allowlist, Expiry, Grant};

#[derive(Clone)]
pub(crate) struct Cached {
    /// Shared: a hit costs a count, not a copy of the grant.
    pub grant: Arc<TokenGrant>,
    pub expires_at: Option<Expiry>,
}

/// Verified tokens by digest; every change to any token empties it.
pub(crate) type TokenCache = crate::cache::Cache<Vec<u8>, Cached>;

/// A token's latest use not yet written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PendingUse {
    pub at: i64,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Uses not yet written: the last one of each token, calls by (token, day, method), and
/// calls by (token, day) and environment named (looked up by the name as given, so a
/// repeated call allocates nothing).
#[derive(Default)]
pub(crate) struct PendingUses {
    pub last: HashMap<i64, PendingUse>,
    pub calls: HashMap<(i64, i64, &'static str), u64>,
    pub envs: HashMap<(i64, i64), HashMap<String, u64>>,
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
        env: Option<&str>,
    ) {
        let user_agent = user_agent.map(|a| clip(a, super::USER_AGENT_MAX));
        let day = at.div_euclid(86_400);
        let mut pending = self.pending.lock().unwrap_or_else(|e| e.into_inner());
        *pending.calls.entry((token_id, day, method)).or_default() += 1;
        if let Some(env) = env {
            let named = pending.envs.entry((token_id, day)).or_default();
            match named.get_mut(env) {
                Some(calls) => *calls += 1,
                None => {
                    named.insert(env.to_owned(), 1);
                }
            }
        }
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
        for (key, named) in failed.envs {
            let into = pending.envs.entry(key).or_default();
            for (env, calls) in named {
                *into.entry(env).or_default() += calls;
            }
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

/// A verified token: whose it is and what it may call.
#[derive(Clone, Debug)]
pub struct TokenGrant {
    pub token_id: i64,
    pub account_id: i64,
    pub email: String,
    pub hint: String,
    pub grant: Grant,
    pub allowlist: Allowlist,
    /// The environments it may touch; `None` for every one.
    pub scope: Option<Arc<EnvScope>>,
}
