//! Environments: what the API controls. Each has a name (its short domain), a status,
//! node groups and deployments; status changes follow `Status::apply`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::tokens::clip;

#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
/// Environments by account and name, as `GetEnvInfo` and the dashboard read them; every
/// change to one of an account's environments empties that account's on every replica.
pub(crate) type EnvironmentCache = crate::cache::Cache<(i64, String), std::sync::Arc<Environment>>;
#[cfg(feature = "server")]
pub use service::Environments;
#[cfg(feature = "server")]
mod uploads;
#[cfg(feature = "server")]
pub use uploads::{StoredUpload, Upload, UploadSlot, Uploads};

/// An environment name: 2 to 40 lower-case letters, digits and hyphens, starting with
/// a letter and not ending with a hyphen.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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
    /// Node groups from what a request describes: 1 to 16 of them, each of a node
    /// type of letters, digits, `-`, `_` or `.` (`docker` when only an image is named),
    /// in a group of such a name (by default where the type goes), 1 to 16 nodes, no
    /// group twice.
    pub fn from_specs(specs: Vec<NodeSpec>) -> Result<Vec<Self>, DomainError> {
        if specs.is_empty() || specs.len() > 16 {
            return Err(DomainError::param("nodes", "must list 1 to 16 node groups"));
        }
        let mut groups: Vec<NodeGroup> = Vec::with_capacity(specs.len());
        for spec in &specs {
            let node_type = match spec.node_type.as_deref().map(str::trim) {
                None if spec.docker_image => "docker",
                t => t.filter(|t| is_word(t)).ok_or_else(|| {
                    DomainError::param(
                        "nodes",
                        "each node group needs a nodeType of letters, digits, - or _",
                    )
                })?,
            };
            let node_group = spec
                .node_group
                .as_deref()
                .map(str::trim)
                .unwrap_or_else(|| default_group(node_type));
            if !is_word(node_group) {
                return Err(DomainError::param(
                    "nodes",
                    format!("\"{}\" is not a node group name", clip(node_group)),
                ));
            }
            let count = spec
                .count
                .unwrap_or(Some(1))
                .filter(|c| (1..=16).contains(c))
                .ok_or_else(|| DomainError::param("nodes", "count must be 1 to 16"))?;
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

/// A node group as a request describes it, before it is checked (`NodeGroup::from_specs`).
#[derive(Clone, Debug, Default)]
pub struct NodeSpec {
    pub node_type: Option<String>,
    pub node_group: Option<String>,
    /// Whether a Docker image is named: a node with only an image is of type `docker`.
    pub docker_image: bool,
    /// `None` when not given (one node); `Some(None)` when given but not a whole number.
    pub count: Option<Option<i64>>,
}

/// The node group a node type goes to when the request names none, as the platform
/// places them: databases in `sqldb` / `nosqldb`, balancers in `bl`, and so on.
pub fn default_group(node_type: &str) -> &'static str {
    let t = node_type.to_ascii_lowercase();
    let any = |words: &[&str]| words.iter().any(|w| t.contains(w));
    if any(&["sql", "mariadb", "percona"]) {
        "sqldb"
    } else if any(&["mongo", "redis", "couch", "cassandra", "neo4j"]) {
        "nosqldb"
    } else if any(&["memcache"]) {
        "cache"
    } else if any(&["haproxy", "varnish", "traefik", "balancer"]) {
        "bl"
    } else if any(&["storage"]) {
        "storage"
    } else {
        "cp"
    }
}

/// What the platform reports for resources Patio does not meter: cloudlets and the
/// disk limit (MB) of every node.
pub const FIXED_CLOUDLETS: i64 = 1;
pub const FLEXIBLE_CLOUDLETS: i64 = 4;
pub const DISK_LIMIT_MB: i64 = 10_000;

/// One container of a node group, as the platform API lists it: a group with count 2
/// is two nodes. Ids and addresses come from the group's stored row, so they stay the
/// same from one call to the next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    pub id: i64,
    pub node_group: String,
    pub node_type: String,
    /// The first node of its group.
    pub is_master: bool,
    pub int_ip: String,
    pub url: String,
}

impl Node {
    /// The containers of the node group stored in row `row_id`, of an environment
    /// reached at `domain` over `scheme`.
    pub fn of_group(row_id: i64, group: &NodeGroup, scheme: &str, domain: &str) -> Vec<Node> {
        (0..group.count)
            .map(|i| {
                let id = row_id * 100 + i + 1;
                Node {
                    id,
                    node_group: group.node_group.clone(),
                    node_type: group.node_type.clone(),
                    is_master: i == 0,
                    int_ip: internal_ip(id),
                    url: format!("{scheme}://node{id}-{domain}"),
                }
            })
            .collect()
    }
}

/// A private address in 10.0.0.0/8 for a node id: distinct for the first 16 million
/// ids, never a network or broadcast address.
pub fn internal_ip(node_id: i64) -> String {
    let n = node_id.rem_euclid(250 * 65_536);
    let rest = n / 250;
    format!("10.{}.{}.{}", rest / 256, rest % 256, n % 250 + 2)
}

/// The scheme and host of `public_url`, the environment domains' parent: an
/// environment `shop` on `https://patio.example:8443` is `shop.patio.example`.
pub fn platform_host(public_url: &str) -> (&str, &str) {
    let (scheme, rest) = public_url.split_once("://").unwrap_or(("http", public_url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    (scheme, if host.is_empty() { "localhost" } else { host })
}

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
    #[serde(deserialize_with = "crate::times::utc")]
    pub deployed_at: DateTime<Utc>,
}

/// An environment as its owner sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// The stored row's id; the API's `appid` comes from it.
    pub id: i64,
    pub name: String,
    /// `<name>.<host of the public URL>`.
    pub domain: String,
    pub display_name: String,
    pub status: Status,
    pub app_id: Option<String>,
    #[serde(deserialize_with = "crate::times::utc")]
    pub created_at: DateTime<Utc>,
    #[serde(deserialize_with = "crate::times::utc")]
    pub updated_at: DateTime<Utc>,
    pub nodes: Vec<NodeGroup>,
    /// The containers of `nodes`, one per count.
    pub containers: Vec<Node>,
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

    #[test]
    fn nodes_have_stable_distinct_ids_and_addresses() {
        let group = NodeGroup {
            node_group: "cp".into(),
            node_type: "docker".into(),
            count: 3,
        };
        let nodes = Node::of_group(7, &group, "http", "shop.example");
        assert_eq!(
            nodes.iter().map(|n| n.id).collect::<Vec<_>>(),
            [701, 702, 703]
        );
        assert!(nodes[0].is_master && !nodes[1].is_master);
        assert_eq!(nodes[1].url, "http://node702-shop.example");
        assert_eq!(nodes, Node::of_group(7, &group, "http", "shop.example"));
        let ips: std::collections::HashSet<_> = (1..100_000).map(internal_ip).collect();
        assert_eq!(ips.len(), 99_999);
        assert!(ips
            .iter()
            .all(|ip| ip.starts_with("10.") && !ip.ends_with(".0") && !ip.ends_with(".255")));
    }

    #[test]
    fn the_platform_host_comes_from_the_public_url() {
        assert_eq!(
            platform_host("https://patio.example:8443/x"),
            ("https", "patio.example")
        );
        assert_eq!(
            platform_host("http://127.0.0.1:3000"),
            ("http", "127.0.0.1")
        );
        assert_eq!(platform_host("http://[::1]:3000"), ("http", "::1"));
        assert_eq!(default_group("mariadb"), "sqldb");
        assert_eq!(default_group("nginx"), "cp");
    }
}
