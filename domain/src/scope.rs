//! Which environments a token may touch: every one (the default), or only those its
//! owner listed. An entry is an environment's exact name, held by the environment's
//! identity (a deleted environment leaves the scope; a new one under the same name is
//! not in it), or a prefix pattern (`ci-*`) matched by name, now and later.
//! `platform.access()` checks the scope; `scope::service` stores it.

use serde::{Deserialize, Serialize};

use crate::environments::EnvName;
use crate::error::DomainError;
use crate::tokens::clip;

#[cfg(feature = "server")]
mod service;
#[cfg(feature = "server")]
pub(crate) use service::{describe_scope, scope_of, store_scope, stored_entries, SCOPE_COLUMNS};

/// The most entries one token's scope may list.
pub const SCOPE_MAX: usize = 100;

/// The parameter a scope is given in, and named in its errors.
const PARAM: &str = "envNames";

/// One entry of a scope as its owner writes it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ScopeEntry {
    /// An environment, by its name now: stored as the environment it names.
    Name(EnvName),
    /// Every environment whose name starts with this, now and later (`ci-*` is `ci-`).
    Prefix(String),
}

impl ScopeEntry {
    /// `my-project`, or `ci-*` for the names that start with `ci-`.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim().to_ascii_lowercase();
        match text.strip_suffix('*') {
            Some(prefix) if is_name_prefix(prefix) => Ok(Self::Prefix(prefix.to_owned())),
            Some(_) => Err(DomainError::param(
                PARAM,
                format!(
                    "\"{}\" is not a name pattern: the start of a name (a letter, then letters, digits or hyphens) followed by *",
                    clip(raw)
                ),
            )),
            None => EnvName::parse(&text).map(Self::Name).map_err(|_| {
                DomainError::param(
                    PARAM,
                    format!("\"{}\" is not an environment name", clip(raw)),
                )
            }),
        }
    }

    /// As written: the name, or the prefix followed by `*`.
    pub fn text(&self) -> String {
        match self {
            Self::Name(name) => name.as_str().to_owned(),
            Self::Prefix(prefix) => format!("{prefix}*"),
        }
    }

    pub fn is_pattern(&self) -> bool {
        matches!(self, Self::Prefix(_))
    }

    /// Whether a name falls under this entry by its text (a pattern's prefix, or the
    /// very name).
    pub fn covers_name(&self, name: &str) -> bool {
        match self {
            Self::Name(own) => own.as_str() == name,
            Self::Prefix(prefix) => name.starts_with(prefix.as_str()),
        }
    }
}

/// The start of an environment name: a letter, then letters, digits or hyphens, at most
/// one character short of the longest name.
fn is_name_prefix(prefix: &str) -> bool {
    (1..40).contains(&prefix.len())
        && prefix.starts_with(|c: char| c.is_ascii_lowercase())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// A scope as its owner asks for it in `envNames`: every environment, or only the ones
/// listed (sorted, each once).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ScopeRequest {
    All,
    Only(Vec<ScopeEntry>),
}

impl ScopeRequest {
    /// From the items of `envNames`: `*` alone is every environment; otherwise 1 to
    /// `SCOPE_MAX` names and patterns.
    pub fn parse(items: Vec<String>) -> Result<Self, DomainError> {
        let items: Vec<&str> = items
            .iter()
            .map(|i| i.trim())
            .filter(|i| !i.is_empty())
            .collect();
        match items.as_slice() {
            [] => Err(DomainError::param(
                PARAM,
                "names no environment; give * for every environment",
            )),
            ["*"] => Ok(Self::All),
            items if items.contains(&"*") => Err(DomainError::param(
                PARAM,
                "* stands for every environment and cannot be listed beside names",
            )),
            items if items.len() > SCOPE_MAX => Err(DomainError::param(
                PARAM,
                format!("lists more than {SCOPE_MAX} entries"),
            )),
            items => {
                let mut entries = items
                    .iter()
                    .map(|i| ScopeEntry::parse(i))
                    .collect::<Result<Vec<_>, _>>()?;
                entries.sort();
                entries.dedup();
                Ok(Self::Only(entries))
            }
        }
    }

    /// The entries as `envNames` lists them: `None` for every environment.
    pub fn texts(&self) -> Option<Vec<String>> {
        match self {
            Self::All => None,
            Self::Only(entries) => Some(entries.iter().map(ScopeEntry::text).collect()),
        }
    }
}

/// A token's scope as the server holds it beside a verified token: the environments
/// it names by identity (with their names when it was read: deleting an environment
/// makes every replica read its account's tokens again, so a name here is always the
/// one environment's), and its patterns. `None` in its place means every environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvScope {
    /// (environment id, its name), sorted by id.
    pub environments: Vec<(i64, String)>,
    /// Name prefixes (`ci-` for `ci-*`).
    pub prefixes: Vec<String>,
}

impl EnvScope {
    /// Whether the scope reaches the environment `id` named `name`.
    pub fn reaches(&self, id: i64, name: &str) -> bool {
        self.matches_pattern(name)
            || self
                .environments
                .binary_search_by_key(&id, |(id, _)| *id)
                .is_ok()
    }

    /// Whether the scope holds the environment called `name` now, or a pattern matches
    /// it: what a call naming it may touch (no lookup: the names are the ones held).
    pub fn reaches_name(&self, name: &str) -> bool {
        self.matches_pattern(name) || self.environments.iter().any(|(_, n)| n == name)
    }

    /// Whether a pattern of the scope matches `name`: such a name may be created, and
    /// is reached whatever environment holds it.
    pub fn matches_pattern(&self, name: &str) -> bool {
        self.prefixes.iter().any(|p| name.starts_with(p.as_str()))
    }
}

/// How a token's scope reads to its owner: `None` for every environment, else the
/// names of the environments it holds (as they are called now) and its patterns, names
/// first, each sorted. An empty list: every environment it named was deleted.
pub type EnvNames = Option<Vec<String>>;

/// The first entry of `narrower` that reaches what `wider` does not, if any: a name
/// must be one `wider` holds (read in the same transaction, so the same environment) or
/// one a pattern of `wider` covers; a pattern must be covered by a pattern of `wider`.
pub fn widening(narrower: &[ScopeEntry], wider: &[ScopeEntry]) -> Option<String> {
    narrower
        .iter()
        .find(|entry| match entry {
            ScopeEntry::Name(name) => {
                !wider.contains(entry)
                    && !wider
                        .iter()
                        .any(|w| w.is_pattern() && w.covers_name(name.as_str()))
            }
            ScopeEntry::Prefix(prefix) => !wider.iter().any(|w| match w {
                ScopeEntry::Prefix(p) => prefix.starts_with(p.as_str()),
                ScopeEntry::Name(_) => false,
            }),
        })
        .map(ScopeEntry::text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn names_and_patterns_parse_and_read_back_as_written() {
        let scope = ScopeRequest::parse(items(&[" My-Project ", "ci-*", "ci-*", "b"]));
        assert!(scope.is_err(), "a one-letter name is not a name");
        let scope = ScopeRequest::parse(items(&[" My-Project ", "ci-*", "ci-*", "web"])).unwrap();
        assert_eq!(
            scope.texts().unwrap(),
            ["my-project", "web", "ci-*"],
            "names first, each once"
        );
        assert_eq!(
            ScopeRequest::parse(items(&["*"])).unwrap(),
            ScopeRequest::All
        );
        assert_eq!(ScopeRequest::All.texts(), None);
    }

    #[test]
    fn bad_scopes_are_refused_naming_the_parameter() {
        for bad in [
            items(&[]),
            items(&["", " "]),
            items(&["*", "web"]),
            items(&["-x*"]),
            items(&["c*i*"]),
            items(&["**"]),
            items(&["Web Site"]),
            items(&["9lives"]),
            (0..=SCOPE_MAX).map(|i| format!("env-{i}")).collect(),
        ] {
            let e = ScopeRequest::parse(bad.clone()).unwrap_err();
            assert_eq!(e.code().number(), 3, "{bad:?}");
            assert!(e.to_string().starts_with("envNames: "), "{e}");
        }
    }

    #[test]
    fn a_scope_reaches_its_environments_by_id_and_its_patterns_by_name() {
        let scope = EnvScope {
            environments: vec![(3, "blog".into()), (7, "my-project".into())],
            prefixes: vec!["ci-".into()],
        };
        assert!(scope.reaches(7, "my-project"));
        assert!(scope.reaches_name("my-project") && scope.reaches_name("ci-9"));
        assert!(!scope.reaches_name("shop"));
        assert!(
            !scope.reaches(8, "my-project"),
            "a new environment under a held name is not held"
        );
        assert!(scope.reaches(99, "ci-build-42"));
        assert!(!scope.reaches(99, "cim"));
        assert!(scope.matches_pattern("ci-new"));
        assert!(!EnvScope::default().reaches(1, "anything"));
    }

    #[test]
    fn narrowing_allows_only_what_the_wider_scope_reaches() {
        let parse = |list: &[&str]| match ScopeRequest::parse(items(list)).unwrap() {
            ScopeRequest::Only(entries) => entries,
            ScopeRequest::All => unreachable!(),
        };
        let wider = parse(&["web", "ci-*"]);
        assert_eq!(widening(&parse(&["web"]), &wider), None);
        assert_eq!(widening(&parse(&["ci-web", "ci-a-*"]), &wider), None);
        assert_eq!(widening(&parse(&["shop"]), &wider), Some("shop".into()));
        assert_eq!(
            widening(&parse(&["c*"]), &wider),
            Some("c*".into()),
            "a shorter prefix reaches more"
        );
    }
}
