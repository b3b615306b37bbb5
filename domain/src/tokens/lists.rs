//! List parameters as they arrive in a request: a JSON (or Python `repr`) array or a
//! comma-separated list, of ids or of method names.

use super::{clip, Grant};
use crate::error::DomainError;

/// Splits a list parameter: a JSON array of strings or numbers, the same in Python's
/// `repr` (`['a', 'b']`, as py-jelastic sends lists), or values separated by `,` (and
/// `;`). Blank entries are dropped.
pub fn split_list(name: &str, raw: &str) -> Result<Vec<String>, DomainError> {
    let text = raw.trim();
    let items: Vec<String> = if text.starts_with('[') {
        let parsed: Vec<serde_json_lite::Item> = serde_json_lite::parse_array(text)
            .ok_or_else(|| DomainError::param(name, "is not an array of strings or numbers"))?;
        parsed.into_iter().map(|i| i.0).collect()
    } else {
        text.split([',', ';']).map(str::to_owned).collect()
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// A JSON array of strings or numbers, read without pulling a JSON library into the
/// browser build. Strings may also be quoted with `'`, as Python's `repr` writes them.
mod serde_json_lite {
    pub struct Item(pub String);

    pub fn parse_array(text: &str) -> Option<Vec<Item>> {
        let inner = text.strip_prefix('[')?.strip_suffix(']')?;
        let mut out = Vec::new();
        let mut chars = inner.chars().peekable();
        loop {
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.peek() {
                None => break,
                Some(&quote @ ('"' | '\'')) => {
                    chars.next();
                    let mut s = String::new();
                    loop {
                        match chars.next()? {
                            c if c == quote => break,
                            '\\' => match chars.next()? {
                                '"' => s.push('"'),
                                '\'' => s.push('\''),
                                '\\' => s.push('\\'),
                                '/' => s.push('/'),
                                _ => return None,
                            },
                            c => s.push(c),
                        }
                    }
                    out.push(Item(s));
                }
                Some(c) if c.is_ascii_digit() => {
                    let mut s = String::new();
                    while chars.peek().is_some_and(|c| c.is_ascii_digit()) {
                        s.extend(chars.next());
                    }
                    out.push(Item(s));
                }
                _ => return None,
            }
            while chars.peek().is_some_and(|c| c.is_whitespace()) {
                chars.next();
            }
            match chars.next() {
                None => break,
                Some(',') => continue,
                _ => return None,
            }
        }
        Some(out)
    }
}

/// Numeric ids from an `ids` parameter.
pub fn parse_ids(name: &str, raw: &str) -> Result<Vec<i64>, DomainError> {
    ids(name, split_list(name, raw)?)
}

/// Numeric ids from the items of a list parameter.
pub fn ids(name: &str, items: Vec<String>) -> Result<Vec<i64>, DomainError> {
    if items.is_empty() {
        return Err(DomainError::param(name, "is required"));
    }
    if items.len() > 1000 {
        return Err(DomainError::param(name, "lists more than 1000 ids"));
    }
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = item
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| DomainError::param(name, format!("\"{}\" is not an id", clip(&item))))?;
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}

impl Grant {
    /// From the API's `tokenTemplate` and `apiList`: exactly one of them.
    pub fn parse(template: Option<&str>, api_list: Option<&str>) -> Result<Self, DomainError> {
        let api_list = api_list
            .map(|list| split_list("apiList", list))
            .transpose()?;
        Self::from_list(template, api_list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ApiSet;

    #[test]
    fn lists_split_on_commas_semicolons_or_json() {
        assert_eq!(split_list("ids", "1, 2;3").unwrap(), ["1", "2", "3"]);
        assert_eq!(
            split_list("ids", r#"["a.b.C", "d"]"#).unwrap(),
            ["a.b.C", "d"]
        );
        assert_eq!(split_list("ids", "[1, 2]").unwrap(), ["1", "2"]);
        assert!(split_list("ids", "[1, 2").is_err());
        // py-jelastic sends a Python list as its repr().
        assert_eq!(
            split_list("apiList", "['a.b.C', \"d'e\", 'f\\'g']").unwrap(),
            ["a.b.C", "d'e", "f'g"]
        );
        assert!(split_list("ids", "['a\", 'b']").is_err());
        assert_eq!(parse_ids("ids", "3,3,4").unwrap(), [3, 4]);
        assert!(parse_ids("ids", "").is_err());
        assert!(parse_ids("ids", "1,x").is_err());
        assert!(parse_ids("ids", "-1").is_err());
    }

    #[test]
    fn grants_need_exactly_one_valid_source() {
        let g = Grant::parse(Some("IDE Plugins"), None).unwrap();
        assert_eq!(g.set, ApiSet::IdePlugins);
        let g = Grant::parse(
            None,
            Some("environment.control.StopEnv,environment.control.GetEnvInfo"),
        )
        .unwrap();
        assert_eq!(g.set, ApiSet::Custom);
        assert_eq!(
            g.custom,
            [
                "environment.control.GetEnvInfo",
                "environment.control.StopEnv"
            ]
        );
        assert!(Grant::parse(None, None).is_err());
        assert!(Grant::parse(Some("nope"), None).is_err());
        assert!(Grant::parse(None, Some("environment.control.Explode")).is_err());
        assert!(Grant::parse(None, Some("users.authentication.CreateToken")).is_err());
        assert!(Grant::parse(Some("marketplace"), Some("environment.control.StopEnv")).is_err());
    }
}
