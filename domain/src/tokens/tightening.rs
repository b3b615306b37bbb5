//! Least privilege from usage: the Custom grant of only the methods a token called.

use serde::{Deserialize, Serialize};

use super::Grant;
use crate::catalogue::{self, ApiSet};
use crate::error::DomainError;

/// A least-privilege proposal: the methods a token called in the last `days` days that
/// its grant still allows, as a Custom set, beside what it holds now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tightening {
    pub token_id: i64,
    pub days: i64,
    pub current: Grant,
    /// Sorted; empty when the token called nothing it needs a grant for.
    pub proposed: Vec<String>,
}

impl Tightening {
    pub fn new(token_id: i64, days: i64, current: Grant, used: &[String]) -> Self {
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
        let already_minimal = self.current.set == ApiSet::Custom && self.removed().is_empty();
        !self.proposed.is_empty() && !already_minimal
    }

    /// The grant to apply: Custom with only the methods used.
    pub fn grant(&self) -> Result<Grant, DomainError> {
        Grant::custom(self.proposed.clone())
    }
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
}
