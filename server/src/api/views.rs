//! How domain values read in API responses: one `Serialize` type per shape the
//! platform's clients read.

use chrono::{DateTime, Utc};
use domain::environments::{
    Deployment, Environment, NodeGroup, DISK_LIMIT_MB, FIXED_CLOUDLETS, FLEXIBLE_CLOUDLETS,
};
use domain::tokens::TokenSummary;
use serde::Serialize;
use serde_json::Value;

pub fn time(at: DateTime<Utc>) -> String {
    match written_time(at) {
        Some(digits) => String::from_utf8_lossy(&digits).into_owned(),
        None => at.format(domain::tokens::API_DATE_TIME).to_string(),
    }
}

/// `time`, serialised from the stack: for the answers every token call can get.
fn serialize_time<S: serde::Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    match written_time(*at) {
        Some(digits) => s.serialize_str(std::str::from_utf8(&digits).unwrap_or_default()),
        None => s.serialize_str(&time(*at)),
    }
}

/// `API_DATE_TIME` written out digit by digit, for years 0 to 9999: chrono's `format`
/// reads its pattern anew every call, and `format!` goes through the formatting
/// machinery for each of six numbers; every environment and token answer has dates.
fn written_time(at: DateTime<Utc>) -> Option<[u8; 19]> {
    use chrono::{Datelike, Timelike};
    let year = u32::try_from(at.year()).ok().filter(|y| *y <= 9999)?;
    let mut out = *b"0000-00-00 00:00:00";
    for (slot, place) in out.iter_mut().zip([1000, 100, 10, 1]) {
        *slot = b'0' + (year / place % 10) as u8;
    }
    let rest = [at.month(), at.day(), at.hour(), at.minute(), at.second()];
    for (pair, part) in out[5..].chunks_mut(3).zip(rest) {
        pair[0] = b'0' + (part / 10) as u8;
        pair[1] = b'0' + (part % 10) as u8;
    }
    Some(out)
}

/// An environment's `appid`: its row id as 32 hex digits, written without the
/// formatting machinery (`format!("{:032x}")` pads one character at a time).
struct AppId(i64);

impl Serialize for AppId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = [b'0'; 32];
        // A negative id reads as its two's complement, as `{:x}` writes it.
        let mut n = self.0 as u64;
        for slot in out.iter_mut().rev().take(16) {
            *slot = HEX[(n & 15) as usize];
            n >>= 4;
        }
        s.serialize_str(std::str::from_utf8(&out).unwrap_or_default())
    }
}

/// An answer with nothing beside `result`.
#[derive(Serialize)]
pub struct Empty {}

/// A token as `GetTokens` and every token change answer it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenView<'a> {
    id: i64,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_used_ip: Option<&'a str>,
    created_at: String,
    updated_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_template: Option<TemplateView>,
    api_list_items: Vec<String>,
    hint: &'a str,
    allowed_ips: Vec<String>,
    /// Absent (null, left out) for a token that reaches every environment.
    #[serde(skip_serializing_if = "Option::is_none")]
    env_names: Option<&'a [String]>,
}

#[derive(Serialize)]
pub struct TemplateView {
    id: &'static str,
    name: &'static str,
}

impl<'a> TokenView<'a> {
    pub fn of(t: &'a TokenSummary) -> Self {
        Self {
            id: t.id,
            description: &t.description,
            expires_at: t.expires_at.map(time),
            last_used: t.last_used.as_ref().map(|u| time(u.at)),
            last_used_ip: t.last_used.as_ref().and_then(|u| u.ip.as_deref()),
            created_at: time(t.created_at),
            updated_at: time(t.updated_at),
            token_template: t.grant.set.is_predefined().then(|| TemplateView {
                id: t.grant.set.key(),
                name: t.grant.set.name(),
            }),
            api_list_items: t.grant.methods(),
            hint: &t.hint,
            allowed_ips: t.allowlist.entries(),
            env_names: t.env_names.as_deref(),
        }
    }
}

/// An environment as the platform answers `GetEnvInfo`: `env`, its `nodeGroups`, and
/// one entry in `nodes` per container.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentView<'a> {
    env: EnvView<'a>,
    env_groups: [(); 0],
    node_groups: NodeGroups<'a>,
    nodes: Nodes<'a>,
    deployments: Deployments<'a>,
}

// The lists are written item by item as the answer is written, not gathered first.
struct NodeGroups<'a>(&'a [NodeGroup]);
struct Nodes<'a>(&'a Environment);
struct Deployments<'a>(&'a [Deployment]);

impl Serialize for NodeGroups<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|g| NodeGroupView {
            name: &g.node_group,
            display_name: &g.node_group,
            node_type: &g.node_type,
            count: g.count,
            is_slb_access_enabled: true,
        }))
    }
}

impl Serialize for Nodes<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let status = self.0.status.code();
        serializer.collect_seq(self.0.containers.iter().map(|n| NodeView {
            id: n.id,
            node_group: &n.node_group,
            node_type: &n.node_type,
            nodemission: &n.node_group,
            name: &n.node_type,
            kind: "NATIVE",
            os_type: "LINUX",
            int_ip: &n.int_ip,
            address: &n.int_ip,
            ext_ips: [],
            url: &n.url,
            status,
            ismaster: n.is_master,
            count: 1,
            fixed_cloudlets: FIXED_CLOUDLETS,
            flexible_cloudlets: FLEXIBLE_CLOUDLETS,
            disk_limit: DISK_LIMIT_MB,
        }))
    }
}

impl Serialize for Deployments<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(DeploymentView::of))
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct EnvView<'a> {
    appid: AppId,
    env_name: &'a str,
    shortdomain: &'a str,
    display_name: &'a str,
    domain: &'a str,
    status: i64,
    status_name: &'static str,
    sslstate: bool,
    ishaenabled: bool,
    hardware_node_group: &'static str,
    region: &'static str,
    extdomains: [(); 0],
    #[serde(skip_serializing_if = "Option::is_none")]
    marketplace_app: Option<&'a str>,
    #[serde(serialize_with = "serialize_time")]
    created_on: DateTime<Utc>,
    #[serde(serialize_with = "serialize_time")]
    updated_on: DateTime<Utc>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeGroupView<'a> {
    name: &'a str,
    display_name: &'a str,
    node_type: &'a str,
    count: i64,
    #[serde(rename = "isSLBAccessEnabled")]
    is_slb_access_enabled: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct NodeView<'a> {
    id: i64,
    node_group: &'a str,
    node_type: &'a str,
    nodemission: &'a str,
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    os_type: &'static str,
    #[serde(rename = "intIP")]
    int_ip: &'a str,
    address: &'a str,
    #[serde(rename = "extIPs")]
    ext_ips: [(); 0],
    url: &'a str,
    status: i64,
    ismaster: bool,
    count: i64,
    fixed_cloudlets: i64,
    flexible_cloudlets: i64,
    disk_limit: i64,
}

/// A deployment as `DeployApp` and `GetEnvInfo` show it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentView<'a> {
    context: &'a str,
    file_name: &'a str,
    file_url: &'a str,
    deployed_at: String,
}

impl<'a> DeploymentView<'a> {
    pub fn of(d: &'a Deployment) -> Self {
        Self {
            context: &d.context,
            file_name: &d.file_name,
            file_url: &d.file_url,
            deployed_at: time(d.deployed_at),
        }
    }
}

impl<'a> EnvironmentView<'a> {
    pub fn of(e: &'a Environment) -> Self {
        let status = e.status.code();
        Self {
            env: EnvView {
                appid: AppId(e.id),
                env_name: &e.name,
                shortdomain: &e.name,
                display_name: &e.display_name,
                domain: &e.domain,
                status,
                status_name: e.status.name(),
                sslstate: false,
                ishaenabled: false,
                hardware_node_group: "default",
                region: "default",
                extdomains: [],
                marketplace_app: e.app_id.as_deref(),
                created_on: e.created_at,
                updated_on: e.updated_at,
            },
            env_groups: [],
            node_groups: NodeGroups(&e.nodes),
            nodes: Nodes(e),
            deployments: Deployments(&e.deployments),
        }
    }
}

/// Drops `null` fields at every depth: clients read an absent field as unset, while
/// some of them fail on a `null` where they expect a string or a list.
pub fn without_nulls(mut value: Value) -> Value {
    strip_nulls(&mut value);
    value
}

/// Removes null fields in place, at every depth (no map is rebuilt).
fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn times_are_written_as_the_api_pattern_says() {
        for at in [
            Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap(),
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
            Utc.with_ymd_and_hms(987, 10, 9, 0, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(12345, 6, 7, 8, 9, 10).unwrap(),
            Utc.timestamp_opt(0, 0).unwrap(),
        ] {
            let written = at.format(domain::tokens::API_DATE_TIME).to_string();
            assert_eq!(time(at), written);
            #[derive(Serialize)]
            struct Field(#[serde(serialize_with = "serialize_time")] DateTime<Utc>);
            assert_eq!(
                serde_json::to_value(Field(at)).unwrap(),
                Value::from(written)
            );
        }
    }

    #[test]
    fn app_ids_are_32_hex_digits() {
        for id in [0, 1, 255, 0x1234_5678_9abc, i64::MAX, -1, i64::MIN] {
            assert_eq!(
                serde_json::to_value(AppId(id)).unwrap(),
                Value::from(format!("{id:032x}"))
            );
        }
    }
}
