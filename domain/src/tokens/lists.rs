//! Lists of ids, as every method that takes `ids` reads them.

use super::clip;
#[cfg(test)]
use super::Grant;
use crate::error::DomainError;

/// Numeric ids from the items of a list parameter.
pub fn ids(name: &str, items: Vec<String>) -> Result<Vec<i64>, DomainError> {
    id_list(name, items.len())?;
    let mut ids = Vec::with_capacity(items.len());
    for item in items {
        let id = item
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| DomainError::param(name, format!("\"{}\" is not an id", clip(&item))))?;
        ids.push(id);
    }
    unique_ids(name, ids)
}

/// The rule every list of ids keeps, wherever it comes from (an API parameter, the
/// dashboard): 1 to 1000 positive ids; a repeated one counts once.
pub fn unique_ids(name: &str, ids: Vec<i64>) -> Result<Vec<i64>, DomainError> {
    id_list(name, ids.len())?;
    if let Some(bad) = ids.iter().find(|id| **id <= 0) {
        return Err(DomainError::param(name, format!("\"{bad}\" is not an id")));
    }
    let mut unique = Vec::with_capacity(ids.len());
    for id in ids {
        if !unique.contains(&id) {
            unique.push(id);
        }
    }
    Ok(unique)
}

fn id_list(name: &str, len: usize) -> Result<(), DomainError> {
    match len {
        0 => Err(DomainError::param(name, "is required")),
        1..=1000 => Ok(()),
        _ => Err(DomainError::param(name, "lists more than 1000 ids")),
    }
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
        assert_eq!(unique_ids("ids", vec![5, 5, 2]).unwrap(), [5, 2]);
        assert!(unique_ids("ids", vec![]).is_err());
        assert!(unique_ids("ids", vec![0]).is_err());
        assert!(unique_ids("ids", (1..=1001).collect()).is_err());
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
