//! List parameters as they arrive: a JSON array (or the same in Python's `repr`, as
//! py-jelastic sends a list) or values separated by `,` or `;`.

use domain::DomainError;
use serde_json::Value;

/// The items of a list parameter, trimmed, blank ones dropped. An array holds strings
/// or whole numbers; it is read as JSON (`serde_json`), or as JSON5 (`json5`) for the
/// single quotes of Python's `repr`.
pub fn split_list(name: &str, raw: &str) -> Result<Vec<String>, DomainError> {
    let text = raw.trim();
    let items: Vec<String> = if text.starts_with('[') {
        let not_an_array = || DomainError::param(name, "is not an array of strings or numbers");
        let values: Vec<Value> = serde_json::from_str(text)
            .or_else(|_| json5::from_str(text))
            .map_err(|_| not_an_array())?;
        values
            .into_iter()
            .map(|value| match value {
                Value::String(s) => Some(s),
                Value::Number(n) if n.is_u64() => Some(n.to_string()),
                _ => None,
            })
            .collect::<Option<_>>()
            .ok_or_else(not_an_array)?
    } else {
        text.split([',', ';']).map(str::to_owned).collect()
    };
    Ok(items
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect())
}

/// Numeric ids from an `ids` parameter, by the domain's rule for id lists.
pub fn parse_ids(name: &str, raw: &str) -> Result<Vec<i64>, DomainError> {
    domain::tokens::ids(name, split_list(name, raw)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_on_commas_semicolons_or_json() {
        assert_eq!(split_list("ids", "1, 2;3").unwrap(), ["1", "2", "3"]);
        assert_eq!(
            split_list("ids", r#"["a.b.C", "d"]"#).unwrap(),
            ["a.b.C", "d"]
        );
        assert_eq!(split_list("ids", "[1, 2]").unwrap(), ["1", "2"]);
        assert!(split_list("ids", "[1, 2").is_err());
        // Every JSON string escape reads as JSON says.
        assert_eq!(
            split_list("apiList", r#"["caf\u00e9", "a\/b"]"#).unwrap(),
            ["café", "a/b"]
        );
        assert!(split_list("ids", "[1.5]").is_err());
        assert!(split_list("ids", "[-1]").is_err());
        assert!(split_list("ids", r#"[{"a": 1}]"#).is_err());
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
}
