//! Lists of ids, as every method that takes `ids` reads them.

use super::clip;
#[cfg(test)]
use super::Grant;
use crate::error::DomainError;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::ApiSet;

    fn grant(template: Option<&str>, list: Option<&str>) -> Result<Grant, DomainError> {
        let list = list.map(|l| l.split(',').map(str::to_owned).collect());
        Grant::from_list(template, list)
    }

    #[test]
    fn ids_are_positive_unique_and_at_most_a_thousand() {
        let items = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(ids("ids", items(&["3", "3", "4"])).unwrap(), [3, 4]);
        assert!(ids("ids", vec![]).is_err());
        assert!(ids("ids", items(&["1", "x"])).is_err());
        assert!(ids("ids", items(&["-1"])).is_err());
        assert!(ids("ids", (1..=1001).map(|i| i.to_string()).collect()).is_err());
    }

    #[test]
    fn grants_need_exactly_one_valid_source() {
        let g = grant(Some("IDE Plugins"), None).unwrap();
        assert_eq!(g.set, ApiSet::IdePlugins);
        let g = grant(
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
        assert!(grant(None, None).is_err());
        assert!(grant(Some("nope"), None).is_err());
        assert!(grant(None, Some("environment.control.Explode")).is_err());
        assert!(grant(None, Some("users.authentication.CreateToken")).is_err());
        assert!(grant(Some("marketplace"), Some("environment.control.StopEnv")).is_err());
    }
}
