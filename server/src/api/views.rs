//! How domain values read in API responses.

use chrono::{DateTime, Utc};
use domain::environments::Environment;
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

pub fn environment(e: &Environment) -> Value {
    json!({
        "env": {
            "envName": e.name,
            "shortdomain": e.name,
            "displayName": e.display_name,
            "status": e.status.code(),
            "statusName": e.status.name(),
            "appid": e.app_id,
            "createdOn": time(e.created_at),
            "updatedOn": time(e.updated_at),
        },
        "nodes": e.nodes.iter().map(|n| json!({
            "nodeGroup": n.node_group,
            "nodeType": n.node_type,
            "count": n.count,
        })).collect::<Vec<_>>(),
        "deployments": e.deployments.iter().map(|d| json!({
            "context": d.context,
            "fileName": d.file_name,
            "fileUrl": d.file_url,
            "deployedAt": time(d.deployed_at),
        })).collect::<Vec<_>>(),
    })
}
