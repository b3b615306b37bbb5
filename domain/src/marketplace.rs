//! The marketplace: a small built-in catalogue of apps that `Install` turns into
//! environments.

use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct App {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    /// (node group, node type, count)
    pub nodes: &'static [(&'static str, &'static str, i64)],
}

static APPS: &[App] = &[
    App {
        id: "wordpress",
        name: "WordPress",
        description: "The blogging platform and CMS, with a web server and a MariaDB database.",
        nodes: &[("cp", "nginxphp", 1), ("sqldb", "mariadb", 1)],
    },
    App {
        id: "nodejs",
        name: "Node.js",
        description: "A Node.js application server behind a load balancer.",
        nodes: &[("bl", "nginx", 1), ("cp", "nodejs", 2)],
    },
    App {
        id: "postgresql",
        name: "PostgreSQL",
        description: "A standalone PostgreSQL database server.",
        nodes: &[("sqldb", "postgresql", 1)],
    },
    App {
        id: "tomcat",
        name: "Apache Tomcat",
        description: "A Java servlet container, ready for Maven Plugin deployments.",
        nodes: &[("cp", "tomcat", 1)],
    },
];

pub fn apps() -> &'static [App] {
    APPS
}

pub fn app(id: &str) -> Option<&'static App> {
    APPS.iter().find(|a| a.id.eq_ignore_ascii_case(id.trim()))
}

/// Apps whose id, name or description contains `search`, without regard to case.
pub fn search(search: &str) -> Vec<&'static App> {
    let needle = search.trim().to_lowercase();
    APPS.iter()
        .filter(|a| {
            needle.is_empty()
                || a.id.contains(&needle)
                || a.name.to_lowercase().contains(&needle)
                || a.description.to_lowercase().contains(&needle)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_are_found_by_id_and_search() {
        assert_eq!(app("WordPress").map(|a| a.id), Some("wordpress"));
        assert!(app("nope").is_none());
        assert_eq!(search("database").len(), 2);
        assert_eq!(search("").len(), apps().len());
    }
}
