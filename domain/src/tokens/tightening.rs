//! Least privilege from usage: the Custom grant of only the methods a token called, and
//! the environments it named.

use serde::{Deserialize, Serialize};

use super::Grant;
use crate::catalogue::{self, ApiSet};
use crate::error::DomainError;
use crate::scope::{EnvNames, ScopeEntry};

/// A least-privilege proposal: the methods a token called in the last `days` days that
/// its grant still allows, as a Custom set, beside what it holds now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tightening {
    pub token_id: i64,
    pub days: i64,
    pub current: Grant,
    /// Sorted; empty when the token called nothing it needs a grant for.
    pub proposed: Vec<String>,
    /// The environments it reaches now (`None`: every one).
    pub current_envs: EnvNames,
    /// The environments it named in the window that exist and are in its scope, sorted.
    pub used_envs: Vec<String>,
}

impl Tightening {
    pub fn new(token_id: i64, days: i64, current: Grant, used: &[String]) -> Self {
        Self::with_envs(token_id, days, current, used, None, Vec::new())
    }

    /// A proposal that also keeps only the environments named in the window:
    /// `used_envs` (those that exist) within `current_envs`.
    pub fn with_envs(
        token_id: i64,
        days: i64,
        current: Grant,
        used: &[String],
        current_envs: EnvNames,
        used_envs: Vec<String>,
    ) -> Self {
        let entries = entries(&current_envs);
        let mut used_envs: Vec<String> = used_envs
            .into_iter()
            .filter(|name| {
                entries
                    .as_ref()
                    .is_none_or(|e| e.iter().any(|entry| entry.covers_name(name)))
            })
            .collect();
        used_envs.sort();
        used_envs.dedup();
        let held = current.methods();
        let mut proposed: Vec<String> = used
            .iter()
            .filter(|m| held.contains(m))
            .filter(|m| catalogue::method(m).is_some_and(|m| m.grantable()))
            .cloned()
            .collect();
        proposed.sort();
        proposed.dedup();
        Self {
            token_id,
            days,
            current,
            proposed,
            current_envs,
            used_envs,
        }
    }

    /// The scope to apply: `None` leaves it as it is (the token named no environment).
    /// A pattern that matched a name used is kept (it made that environment, maybe, and
    /// will make the next); other names used are kept by name.
    pub fn proposed_envs(&self) -> Option<Vec<String>> {
        if self.used_envs.is_empty() {
            return None;
        }
        let kept_patterns: Vec<ScopeEntry> = entries(&self.current_envs)
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e.is_pattern() && self.used_envs.iter().any(|n| e.covers_name(n)))
            .collect();
        let mut out: Vec<String> = self
            .used_envs
            .iter()
            .filter(|n| !kept_patterns.iter().any(|p| p.covers_name(n)))
            .cloned()
            .collect();
        out.extend(kept_patterns.iter().map(ScopeEntry::text));
        Some(out)
    }

    /// Environments (names and patterns) the token reaches now and would give up; for a
    /// token that reaches every environment, `["*"]` when a proposal limits it.
    pub fn envs_removed(&self) -> Vec<String> {
        let Some(proposed) = self.proposed_envs() else {
            return Vec::new();
        };
        match &self.current_envs {
            None => vec!["*".to_owned()],
            Some(current) => current
                .iter()
                .filter(|c| !proposed.contains(c))
                .cloned()
                .collect(),
        }
    }

    /// Methods the token holds and would give up.
    pub fn removed(&self) -> Vec<String> {
        let mut held = self.current.methods();
        held.retain(|m| !self.proposed.contains(m));
        held.sort();
        held
    }

    /// Whether applying it would change anything (a Custom set of exactly these already
    /// is as tight as it gets; a token that called nothing has nothing to keep).
    pub fn changes(&self) -> bool {
        let already_minimal = self.current.set == ApiSet::Custom
            && self.removed().is_empty()
            && self.envs_removed().is_empty();
        !self.proposed.is_empty() && !already_minimal
    }

    /// The grant to apply: Custom with only the methods used.
    pub fn grant(&self) -> Result<Grant, DomainError> {
        Grant::custom(self.proposed.clone())
    }
}

/// A scope's entries as typed (`None`: every environment).
fn entries(names: &EnvNames) -> Option<Vec<ScopeEntry>> {
    names.as_ref().map(|names| {
        names
            .iter()
            .filter_map(|n| ScopeEntry::parse(n).ok())
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|m| (*m).to_owned()).collect()
    }

    #[test]
    fn tightening_keeps_only_the_methods_used_that_the_grant_holds() {
        let used = ids(&[
            "environment.control.StopEnv",
            "environment.control.GetEnvInfo",
            // Every token may ask about itself: nothing to grant.
            "users.authentication.VerifyToken",
            // Called when the token still held it; it does not any more.
            "marketplace.app.GetList",
        ]);
        let tight = Tightening::new(7, 30, Grant::predefined(ApiSet::IdePlugins), &used);
        assert_eq!(
            tight.proposed,
            ids(&[
                "environment.control.GetEnvInfo",
                "environment.control.StopEnv"
            ])
        );
        let removed = tight.removed();
        assert!(!removed.is_empty());
        assert!(removed.iter().all(|m| !tight.proposed.contains(m)));
        assert_eq!(
            removed.len() + tight.proposed.len(),
            ApiSet::IdePlugins.methods().len()
        );
        assert!(tight.changes());
        let grant = tight.grant().unwrap();
        assert_eq!(grant.set, ApiSet::Custom);
        assert_eq!(grant.custom, tight.proposed);
    }

    #[test]
    fn tightening_an_unused_or_already_minimal_token_changes_nothing() {
        let unused = Tightening::new(1, 30, Grant::predefined(ApiSet::ExtendedAccess), &[]);
        assert!(unused.proposed.is_empty());
        assert!(!unused.changes());
        assert!(unused.grant().is_err());

        let custom = Grant::custom(ids(&["environment.control.StopEnv"])).unwrap();
        let minimal = Tightening::new(1, 30, custom, &ids(&["environment.control.StopEnv"]));
        assert!(minimal.removed().is_empty());
        assert!(!minimal.changes());
    }

    #[test]
    fn tightening_keeps_the_environments_named_and_the_patterns_that_matched() {
        let used = ids(&["environment.control.StopEnv"]);
        let all = Tightening::with_envs(
            1,
            30,
            Grant::predefined(ApiSet::IdePlugins),
            &used,
            None,
            ids(&["shop", "blog", "shop"]),
        );
        assert_eq!(all.proposed_envs(), Some(ids(&["blog", "shop"])));
        assert_eq!(all.envs_removed(), ids(&["*"]));
        assert!(all.changes());

        let scoped = Tightening::with_envs(
            1,
            30,
            Grant::custom(used.clone()).unwrap(),
            &used,
            Some(ids(&["prod", "shop", "ci-*"])),
            // `old` left the scope since it was called: not proposed back.
            ids(&["ci-7", "shop", "old"]),
        );
        assert_eq!(scoped.proposed_envs(), Some(ids(&["shop", "ci-*"])));
        assert_eq!(scoped.envs_removed(), ids(&["prod"]));
        assert!(
            scoped.changes(),
            "the methods are minimal, the environments are not"
        );

        let no_envs = Tightening::with_envs(
            1,
            30,
            Grant::custom(used.clone()).unwrap(),
            &used,
            Some(ids(&["prod"])),
            Vec::new(),
        );
        assert_eq!(
            no_envs.proposed_envs(),
            None,
            "no environment named: unchanged"
        );
        assert!(!no_envs.changes());
    }
}
