//! How domain values read in API responses.

use chrono::{DateTime, Utc};
use domain::environments::{Environment, DISK_LIMIT_MB, FIXED_CLOUDLETS, FLEXIBLE_CLOUDLETS};
use domain::tokens::{TokenSummary, API_DATE_TIME};
use serde_json::{json, Value};

pub fn time(at: DateTime<Utc>) -> String {
    at.format(API_DATE_TIME).to_string()
}

pub fn token(t: &TokenSummary) -> Value {
    json!({
        "id": t.id,
        "description": t.description,
        "expiresAt": t.expires_at.map(time),
        "lastUsed": t.last_used.as_ref().map(|u| time(u.at)),
        "lastUsedIp": t.last_used.as_ref().and_then(|u| u.ip.clone()),
        "createdAt": time(t.created_at),
        "updatedAt": time(t.updated_at),
        "tokenTemplate": t.grant.set.is_predefined().then(|| json!({ "id": t.grant.set.key(), "name": t.grant.set.name() })),
        "apiListItems": t.grant.methods(),
        "hint": t.hint,
        "allowedIps": t.allowlist.entries(),
    })
}

/// An environment as the platform answers `GetEnvInfo`: `env`, its `nodeGroups`, and
/// one entry in `nodes` per container.
pub fn environment(e: &Environment) -> Value {
    let status = e.status.code();
    json!({
        "env": {
            "appid": format!("{:032x}", e.id),
            "envName": e.name,
            "shortdomain": e.name,
            "displayName": e.display_name,
            "domain": e.domain,
            "status": status,
            "statusName": e.status.name(),
            "sslstate": false,
            "ishaenabled": false,
            "hardwareNodeGroup": "default",
            "region": "default",
            "extdomains": [],
            "marketplaceApp": e.app_id,
            "createdOn": time(e.created_at),
            "updatedOn": time(e.updated_at),
        },
        "envGroups": [],
        "nodeGroups": e.nodes.iter().map(|g| json!({
            "name": g.node_group,
            "displayName": g.node_group,
            "nodeType": g.node_type,
            "count": g.count,
            "isSLBAccessEnabled": true,
        })).collect::<Vec<_>>(),
        "nodes": e.containers.iter().map(|n| json!({
            "id": n.id,
            "nodeGroup": n.node_group,
            "nodeType": n.node_type,
            "nodemission": n.node_group,
            "name": n.node_type,
            "type": "NATIVE",
            "osType": "LINUX",
            "intIP": n.int_ip,
            "address": n.int_ip,
            "extIPs": [],
            "url": n.url,
            "status": status,
            "ismaster": n.is_master,
            "count": 1,
            "fixedCloudlets": FIXED_CLOUDLETS,
            "flexibleCloudlets": FLEXIBLE_CLOUDLETS,
            "diskLimit": DISK_LIMIT_MB,
        })).collect::<Vec<_>>(),
        "deployments": e.deployments.iter().map(|d| json!({
            "context": d.context,
            "fileName": d.file_name,
            "fileUrl": d.file_url,
            "deployedAt": time(d.deployed_at),
        })).collect::<Vec<_>>(),
    })
}

/// Drops `null` fields at every depth: clients read an absent field as unset, while
/// some of them fail on a `null` where they expect a string or a list.
pub fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}
