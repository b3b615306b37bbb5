//! Environments: what the API controls. Each has a name (its short domain), a status,
//! node groups and deployments; status changes follow `Status::apply`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::tokens::clip;

#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
pub use service::{StoredUpload, Upload, UploadSlot};

/// An environment name: 2 to 40 lower-case letters, digits and hyphens, starting with
/// a letter and not ending with a hyphen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvName(String);

impl EnvName {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let name = raw.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(DomainError::param("envName", "is required"));
        }
        let ok = (2..=40).contains(&name.len())
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && !name.ends_with('-')
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if ok {
            Ok(Self(name))
        } else {
            Err(DomainError::param(
                "envName",
                format!(
                    "\"{}\" must be 2 to 40 lower-case letters, digits or hyphens, starting with a letter",
                    clip(raw)
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The status codes the platform API reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Running,
    Stopped,
    Sleeping,
}

/// A status change someone asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Start,
    Stop,
    Sleep,
    Restart,
}

impl Status {
    pub const fn code(self) -> i64 {
        match self {
            Self::Running => 1,
            Self::Stopped => 2,
            Self::Sleeping => 4,
        }
    }

    pub fn from_code(code: i64) -> Option<Self> {
        [Self::Running, Self::Stopped, Self::Sleeping]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub const fn name(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::Sleeping => "sleeping",
        }
    }

    /// The status after `action`, or 2212 if this status does not allow it.
    pub fn apply(self, action: Action) -> Result<Status, DomainError> {
        use Status::*;
        match (action, self) {
            (Action::Start, Stopped | Sleeping) => Ok(Running),
            (Action::Stop, Running | Sleeping) => Ok(Stopped),
            (Action::Sleep, Running) => Ok(Sleeping),
            (Action::Restart, Running) => Ok(Running),
            (action, status) => Err(DomainError::NotAllowedForStatus(format!(
                "cannot {} an environment that is {}",
                match action {
                    Action::Start => "start",
                    Action::Stop => "stop",
                    Action::Sleep => "put to sleep",
                    Action::Restart => "restart the nodes of",
                },
                status.name()
            ))),
        }
    }
}

/// A node group of an environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeGroup {
    pub node_group: String,
    pub node_type: String,
    pub count: i64,
}

impl NodeGroup {
    /// From the API's `nodes` JSON array.
    #[cfg(feature = "server")]
    pub fn parse_list(raw: &str) -> Result<Vec<Self>, DomainError> {
        let value: serde_json::Value = serde_json::from_str(raw)
            .map_err(|_| DomainError::param("nodes", "is not valid JSON"))?;
        let items = value
            .as_array()
            .ok_or_else(|| DomainError::param("nodes", "must be a JSON array"))?;
        if items.is_empty() || items.len() > 16 {
            return Err(DomainError::param("nodes", "must list 1 to 16 node groups"));
        }
        let mut groups: Vec<NodeGroup> = Vec::with_capacity(items.len());
        for item in items {
            let text = |key: &str| item.get(key).and_then(|v| v.as_str()).map(str::trim);
            let node_type = text("nodeType").filter(|t| is_word(t)).ok_or_else(|| {
                DomainError::param(
                    "nodes",
                    "each node group needs a nodeType of letters, digits, - or _",
                )
            })?;
            let node_group = text("nodeGroup").unwrap_or("cp");
            if !is_word(node_group) {
                return Err(DomainError::param(
                    "nodes",
                    format!("\"{}\" is not a node group name", clip(node_group)),
                ));
            }
            let count = item
                .get("count")
                .map_or(Some(1), |c| c.as_i64())
                .filter(|c| (1..=16).contains(c));
            let count =
                count.ok_or_else(|| DomainError::param("nodes", "count must be 1 to 16"))?;
            if groups.iter().any(|g| g.node_group == node_group) {
                return Err(DomainError::param(
                    "nodes",
                    format!("node group {node_group} is listed twice"),
                ));
            }
            groups.push(NodeGroup {
                node_group: node_group.into(),
                node_type: node_type.into(),
                count,
            });
        }
        Ok(groups)
    }
}

#[cfg(feature = "server")]
fn is_word(s: &str) -> bool {
    (1..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Something deployed to an environment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub context: String,
    pub file_name: String,
    pub file_url: String,
    pub deployed_at: DateTime<Utc>,
}

/// An environment as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    pub name: String,
    pub display_name: String,
    pub status: Status,
    pub app_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub nodes: Vec<NodeGroup>,
    pub deployments: Vec<Deployment>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_short_domain_rules() {
        assert_eq!(
            EnvName::parse(" My-Project ").unwrap().as_str(),
            "my-project"
        );
        for bad in ["", "a", "1abc", "abc-", "ab_c", "ab c", &"a".repeat(41)] {
            assert!(EnvName::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn transitions_allow_only_what_makes_sense() {
        use Action::*;
        use Status::*;
        assert_eq!(Running.apply(Stop), Ok(Stopped));
        assert_eq!(Sleeping.apply(Stop), Ok(Stopped));
        assert_eq!(Stopped.apply(Start), Ok(Running));
        assert_eq!(Sleeping.apply(Start), Ok(Running));
        assert_eq!(Running.apply(Sleep), Ok(Sleeping));
        assert_eq!(Running.apply(Restart), Ok(Running));
        for (status, action) in [
            (Running, Start),
            (Stopped, Stop),
            (Stopped, Sleep),
            (Sleeping, Sleep),
            (Stopped, Restart),
            (Sleeping, Restart),
        ] {
            let e = status.apply(action).unwrap_err();
            assert_eq!(e.code().number(), 2212, "{status:?} {action:?}");
        }
    }

    #[cfg(feature = "server")]
    #[test]
    fn node_lists_are_validated() {
        let groups = NodeGroup::parse_list(
            r#"[{"nodeType":"nginx"},{"nodeType":"mysql","nodeGroup":"sqldb","count":2}]"#,
        )
        .unwrap();
        assert_eq!(groups[0].node_group, "cp");
        assert_eq!(groups[1].count, 2);
        for bad in [
            "",
            "{}",
            "[]",
            r#"[{"count":1}]"#,
            r#"[{"nodeType":"a","count":0}]"#,
            r#"[{"nodeType":"a"},{"nodeType":"b"}]"#,
        ] {
            assert!(NodeGroup::parse_list(bad).is_err(), "{bad}");
        }
    }
}
