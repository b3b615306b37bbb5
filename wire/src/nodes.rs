//! The `nodes` of `environment.control.CreateEnvironment`: a JSON array of node
//! groups, or one group as an object, as the platform's clients send it. Nulls count as
//! absent; the group may sit in `docker.nodeGroup` (jelastic-client puts it there).

use domain::environments::{NodeGroup, NodeSpec};
use domain::DomainError;
use serde_json::Value;

/// The node groups `raw` describes, checked by the domain.
pub fn node_groups(raw: &str) -> Result<Vec<NodeGroup>, DomainError> {
    NodeGroup::from_specs(node_specs(raw)?)
}

fn node_specs(raw: &str) -> Result<Vec<NodeSpec>, DomainError> {
    let value: Value =
        serde_json::from_str(raw).map_err(|_| DomainError::param("nodes", "is not valid JSON"))?;
    let items = match value {
        Value::Array(items) => items,
        item @ Value::Object(_) => vec![item],
        _ => {
            return Err(DomainError::param(
                "nodes",
                "must be a JSON array of node groups",
            ))
        }
    };
    Ok(items.iter().map(spec).collect())
}

fn spec(item: &Value) -> NodeSpec {
    let field = |key: &str| item.get(key).filter(|v| !v.is_null());
    let docker = field("docker");
    let docker_field = |key: &str| docker.and_then(|d| d.get(key)).filter(|v| !v.is_null());
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    NodeSpec {
        node_type: text(field("nodeType")),
        node_group: text(field("nodeGroup")).or_else(|| text(docker_field("nodeGroup"))),
        docker_image: docker_field("image").is_some(),
        count: field("count").map(Value::as_i64),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_lists_are_validated() {
        let groups = node_groups(
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
            r#"[{"nodeType":null,"docker":null}]"#,
            "3",
        ] {
            assert!(node_groups(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn node_lists_take_what_client_libraries_send() {
        // jelastic-client: nulls, the group inside docker, no top-level group.
        let groups = node_groups(
            r#"[{"docker":{"image":"nginx:latest","nodeGroup":null},"count":1,"displayName":null,
                 "extip":false,"fixedCloudlets":1,"flexibleCloudlets":4,"nodeType":"docker"},
                {"nodeType":"postgresql","count":null,"docker":null},
                {"nodeType":null,"docker":{"image":"redis","nodeGroup":"cache"}}]"#,
        )
        .unwrap();
        let names: Vec<_> = groups
            .iter()
            .map(|g| (g.node_group.as_str(), g.node_type.as_str(), g.count))
            .collect();
        assert_eq!(
            names,
            [
                ("cp", "docker", 1),
                ("sqldb", "postgresql", 1),
                ("cache", "docker", 1)
            ]
        );
        // py-jelastic: one group as an object.
        let one = node_groups(r#"{"nodeType": "mysql", "count": 2}"#).unwrap();
        assert_eq!(one[0].node_group, "sqldb");
        assert_eq!(one[0].count, 2);
    }
}
