//! The API catalogue: every platform method with its parameters and documentation,
//! and the predefined API sets. It drives the REST router, the permission check, the
//! dashboard's method picker, the API docs pages and the OpenAPI document.

use serde::{Deserialize, Serialize};

use crate::error::ResultCode;

mod methods;
use methods::METHODS;

/// How a parameter is encoded on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    Text,
    Password,
    /// A JSON document in a string parameter.
    Json,
    /// A list: a JSON array, values separated by `,` or `;`, the key repeated, or a
    /// Python list's `repr` (`['a', 'b']`).
    List,
    /// `yyyy-MM-dd HH:mm:ss` or `yyyy-MM-dd`, UTC.
    DateTime,
    /// A multipart file part.
    File,
}

impl ParamKind {
    pub const fn label(self) -> &'static str {
        match self {
            Self::Text => "string",
            Self::Password => "string (password)",
            Self::Json => "string (JSON)",
            Self::List => "list",
            Self::DateTime => "date-time",
            Self::File => "file",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Param {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    pub description: &'static str,
}

/// Who may call a method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// No credential at all (signing in).
    Public,
    /// A session only: never grantable to a token.
    SessionOnly,
    /// A session, or a token whose API set includes the method.
    Grantable,
    /// Any valid credential, asking about itself: every token may, whatever its set.
    Own,
}

/// What a method does with environments, for a token limited to some (`crate::scope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// It names no environment: the API set alone decides.
    None,
    /// It acts on the environment its `envName` names.
    Named,
    /// It creates the environment it names (`CreateEnvironment`'s `env.shortdomain`,
    /// `Install`'s `envName`).
    Creates,
    /// It lists environments: a limited token sees only its own.
    Lists,
}

impl Reach {
    /// Whether a call names one environment the scope must reach.
    pub const fn names_one(self) -> bool {
        matches!(self, Self::Named | Self::Creates)
    }
}

#[derive(Debug)]
pub struct Method {
    /// `group.service.Method`, e.g. `environment.control.StopEnv`.
    pub id: &'static str,
    pub access: Access,
    /// What it does with environments.
    pub reach: Reach,
    pub summary: &'static str,
    pub docs: &'static str,
    pub params: &'static [Param],
    /// What a successful response carries beside `result`.
    pub returns: &'static str,
    /// Result codes the method itself can return (credential errors come on top).
    pub errors: &'static [ResultCode],
}

impl Method {
    pub fn group(&self) -> &'static str {
        self.id.split('.').next().unwrap_or_default()
    }

    pub fn service(&self) -> &'static str {
        self.id.split('.').nth(1).unwrap_or_default()
    }

    pub fn name(&self) -> &'static str {
        self.id.rsplit('.').next().unwrap_or_default()
    }

    /// `group.service`, the heading the picker groups methods under.
    pub fn service_id(&self) -> &'static str {
        &self.id[..self.id.len() - self.name().len() - 1]
    }

    /// The REST path: `/1.0/environment/control/rest/stopenv`.
    pub fn path(&self) -> String {
        format!(
            "/1.0/{}/{}/rest/{}",
            self.group(),
            self.service(),
            self.name().to_ascii_lowercase()
        )
    }

    /// The dashboard's docs page for this method.
    pub fn docs_path(&self) -> String {
        format!("/docs/api/{}", self.id)
    }

    /// What the docs say of this method under a token limited to environments.
    pub fn scope_note(&self) -> Option<&'static str> {
        match self.reach {
            Reach::None => None,
            Reach::Named => Some("A token limited to environments may call this only for those; any other name, and one that does not exist, is answered 8202."),
            Reach::Creates => Some("A token limited to environments may call this only for names its patterns (such as `ci-*`) match; any other name is answered 8202."),
            Reach::Lists => Some("A token limited to environments lists only those."),
        }
    }

    pub fn grantable(&self) -> bool {
        self.access == Access::Grantable
    }

    /// Does `needle` (already lower-cased) occur in the id or the summary? Both are ASCII
    /// (a test holds them to it), so ASCII lower-casing is all a search needs, and the
    /// browser's wasm carries no Unicode case tables for it.
    pub fn matches(&self, needle: &str) -> bool {
        needle.is_empty()
            || self.id.to_ascii_lowercase().contains(needle)
            || self.summary.to_ascii_lowercase().contains(needle)
    }
}

/// Every method, in the order the docs and the picker list them.
pub fn methods() -> &'static [Method] {
    METHODS
}

/// The method with exactly this id.
pub fn method(id: &str) -> Option<&'static Method> {
    METHODS.iter().find(|m| m.id == id)
}

/// The method a REST path names; the method part is matched without regard to case.
pub fn method_at(group: &str, service: &str, name: &str) -> Option<&'static Method> {
    // Every call looks its method up: the id is compared in place, part by part,
    // rather than split for each of the catalogue's methods.
    let length = group.len() + service.len() + name.len() + 2;
    METHODS.iter().find(|m| {
        let id = m.id.as_bytes();
        id.len() == length
            && id.starts_with(group.as_bytes())
            && id[group.len()] == b'.'
            && id[group.len() + 1..].starts_with(service.as_bytes())
            && id[length - name.len() - 1] == b'.'
            && id[length - name.len()..].eq_ignore_ascii_case(name.as_bytes())
    })
}

/// The methods a Custom token can be granted.
pub fn grantable() -> impl Iterator<Item = &'static Method> {
    METHODS.iter().filter(|m| m.grantable())
}

/// An API set: what a token may call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ApiSet {
    ExtendedAccess,
    IdePlugins,
    Marketplace,
    MavenPlugin,
    Custom,
}

const IDE_PLUGINS: &[&str] = &[
    "environment.control.GetEnvs",
    "environment.control.GetEnvInfo",
    "environment.control.StartEnv",
    "environment.control.StopEnv",
    "environment.control.RestartNodes",
    "environment.control.DeployApp",
    "storage.uploader.Upload",
    "users.account.GetUserInfo",
];
const MARKETPLACE: &[&str] = &[
    "marketplace.app.GetList",
    "marketplace.app.GetAppInfo",
    "marketplace.app.Install",
    "environment.control.GetEnvs",
    "environment.control.GetEnvInfo",
];
const MAVEN_PLUGIN: &[&str] = &[
    "storage.uploader.Upload",
    "environment.control.DeployApp",
    "environment.control.GetEnvInfo",
    "environment.control.RestartNodes",
];

impl ApiSet {
    pub const PREDEFINED: [ApiSet; 4] = [
        Self::ExtendedAccess,
        Self::IdePlugins,
        Self::Marketplace,
        Self::MavenPlugin,
    ];
    pub const ALL: [ApiSet; 5] = [
        Self::ExtendedAccess,
        Self::IdePlugins,
        Self::Marketplace,
        Self::MavenPlugin,
        Self::Custom,
    ];

    /// The stable key stored and sent as `tokenTemplate.id`.
    pub const fn key(self) -> &'static str {
        match self {
            Self::ExtendedAccess => "extended-access",
            Self::IdePlugins => "ide-plugins",
            Self::Marketplace => "marketplace",
            Self::MavenPlugin => "maven-plugin",
            Self::Custom => "custom",
        }
    }

    /// The name the dashboard shows.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ExtendedAccess => "Extended Access",
            Self::IdePlugins => "IDE Plugins",
            Self::Marketplace => "Marketplace",
            Self::MavenPlugin => "Maven Plugin",
            Self::Custom => "Custom",
        }
    }

    /// A set from its key or its name, without regard to case.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|s| s.key().eq_ignore_ascii_case(text) || s.name().eq_ignore_ascii_case(text))
    }

    pub fn is_predefined(self) -> bool {
        self != Self::Custom
    }

    /// The methods a predefined set grants as the catalogue stands now; empty for Custom.
    pub fn methods(self) -> Vec<&'static str> {
        match self {
            Self::ExtendedAccess => grantable().map(|m| m.id).collect(),
            Self::IdePlugins => IDE_PLUGINS.to_vec(),
            Self::Marketplace => MARKETPLACE.to_vec(),
            Self::MavenPlugin => MAVEN_PLUGIN.to_vec(),
            Self::Custom => Vec::new(),
        }
    }

    /// May a token with this set (and, for Custom, these methods) call `method`?
    pub fn allows(self, custom: &[String], method: &Method) -> bool {
        if !method.grantable() {
            return false;
        }
        match self {
            Self::ExtendedAccess => true,
            Self::IdePlugins => IDE_PLUGINS.contains(&method.id),
            Self::Marketplace => MARKETPLACE.contains(&method.id),
            Self::MavenPlugin => MAVEN_PLUGIN.contains(&method.id),
            Self::Custom => custom.iter().any(|m| m == method.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_well_formed() {
        let mut seen = HashSet::new();
        for m in methods() {
            assert!(seen.insert(m.id), "{} twice", m.id);
            assert_eq!(m.id.split('.').count(), 3, "{}", m.id);
            assert!(
                m.name().starts_with(|c: char| c.is_ascii_uppercase()),
                "{}",
                m.id
            );
            assert!(!m.summary.is_empty() && !m.docs.is_empty(), "{}", m.id);
        }
    }

    #[test]
    fn ids_and_summaries_are_ascii_so_search_lower_cases_them_as_ascii() {
        for m in methods() {
            assert!(m.id.is_ascii() && m.summary.is_ascii(), "{}", m.id);
        }
        // A summary's capitalised first word is found lower-cased.
        let stop = method("environment.control.StopEnv").unwrap();
        let first = stop.summary.split(' ').next().unwrap();
        assert!(
            first.starts_with(|c: char| c.is_ascii_uppercase()),
            "{first}"
        );
        assert!(stop.matches(&first.to_ascii_lowercase()), "{first}");
    }

    #[test]
    fn rest_paths_resolve_to_their_method() {
        for m in methods() {
            let path = m.path();
            let parts: Vec<&str> = path.split('/').collect();
            assert_eq!(
                method_at(parts[2], parts[3], parts[5]).map(|f| f.id),
                Some(m.id)
            );
        }
        assert_eq!(
            method_at("environment", "control", "STOPENV").map(|m| m.id),
            Some("environment.control.StopEnv")
        );
        assert!(method_at("environment", "control", "explode").is_none());
        // The parts must fall between the id's own dots.
        for (group, service, name) in [
            ("environment.control", "", "StopEnv"),
            ("environment", "control.StopEnv", ""),
            ("environmen", "t.control", "StopEnv"),
            ("environment", "contro", "l.StopEnv"),
            ("environment", "control", "StopEn"),
            ("", "environment", "control"),
        ] {
            assert!(
                method_at(group, service, name).is_none(),
                "{group}/{service}/{name}"
            );
        }
    }

    #[test]
    fn predefined_sets_name_only_grantable_catalogue_methods() {
        for set in ApiSet::PREDEFINED {
            let ids = set.methods();
            assert!(!ids.is_empty());
            for id in ids {
                let m = method(id).unwrap_or_else(|| panic!("{id} is not in the catalogue"));
                assert!(m.grantable(), "{id} in {set:?}");
                assert!(set.allows(&[], m));
            }
        }
    }

    #[test]
    fn extended_access_is_everything_but_the_session_only_methods() {
        let ext: HashSet<_> = ApiSet::ExtendedAccess.methods().into_iter().collect();
        for m in methods() {
            assert_eq!(
                ext.contains(m.id),
                m.access == Access::Grantable,
                "{}",
                m.id
            );
        }
    }

    #[test]
    fn sets_refuse_what_they_do_not_list() {
        let start = method("environment.control.StartEnv").unwrap();
        assert!(ApiSet::IdePlugins.allows(&[], start));
        assert!(!ApiSet::MavenPlugin.allows(&[], start));
        assert!(!ApiSet::Marketplace.allows(&[], start));
        assert!(!ApiSet::Custom.allows(&["environment.control.StopEnv".into()], start));
        assert!(ApiSet::Custom.allows(&["environment.control.StartEnv".into()], start));
        let create = method("users.authentication.CreateToken").unwrap();
        assert!(!ApiSet::ExtendedAccess.allows(&[], create));
        assert!(!ApiSet::Custom.allows(&[create.id.to_string()], create));
    }

    #[test]
    fn sets_parse_from_key_or_name() {
        for set in ApiSet::ALL {
            assert_eq!(ApiSet::parse(set.key()), Some(set));
            assert_eq!(ApiSet::parse(&set.name().to_uppercase()), Some(set));
        }
        assert_eq!(ApiSet::parse("everything"), None);
    }

    #[test]
    fn search_matches_id_and_summary() {
        let stop = method("environment.control.StopEnv").unwrap();
        assert!(stop.matches("stopenv"));
        assert!(stop.matches("stop a running"));
        assert!(!stop.matches("upload"));
    }
}
