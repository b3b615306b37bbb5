//! Denied calls waiting to be written: a flood of refused calls becomes one row a minute
//! with a count.

use std::collections::HashMap;
use std::sync::Mutex;

/// Denied calls waiting to be written, counted by account, action, target, actor and
/// minute: a flood of refused calls becomes one row a minute with a count, and at
/// most this many distinct rows wait at once (the rest are counted as dropped).
pub(super) const DENIALS_MAX: usize = 10_000;

#[derive(Clone, PartialEq, Eq, Hash)]
pub(super) struct DenialKey {
    pub(super) account_id: i64,
    pub(super) action: &'static str,
    /// The method called, and for a call outside the token's environment scope, the
    /// environment it named (`environment.control.StopEnv prod`).
    pub(super) target: String,
    pub(super) actor: String,
    pub(super) minute: i64,
}

pub(super) struct DenialCount {
    pub(super) count: i64,
    /// The address of the latest call in the minute.
    pub(super) ip: Option<String>,
}

#[derive(Default)]
pub struct DenialLog {
    pub(super) pending: Mutex<HashMap<DenialKey, DenialCount>>,
    pub(super) dropped: Mutex<u64>,
    /// One flush at a time, so a reader that flushes first (the Security Log) sees
    /// every denial noted before, even one another flush is still writing.
    pub(super) flushing: tokio::sync::Mutex<()>,
}
