//! What a token may call: a predefined API set, or Custom with its methods.

use serde::{Deserialize, Serialize};

use super::clip;
use crate::catalogue::{self, ApiSet};
use crate::error::DomainError;

/// A token's grant: a predefined set, or Custom with its methods.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    pub set: ApiSet,
    /// The Custom methods, sorted; empty for a predefined set.
    pub custom: Vec<String>,
}

impl Grant {
    /// From the API's `tokenTemplate` and the items of `apiList`: exactly one of them.
    pub fn from_list(
        template: Option<&str>,
        api_list: Option<Vec<String>>,
    ) -> Result<Self, DomainError> {
        let template = template.map(str::trim).filter(|t| !t.is_empty());
        let api_list = api_list.filter(|l| !l.is_empty());
        match (template, api_list) {
            (Some(t), None) => match ApiSet::parse(t) {
                Some(set) if set.is_predefined() => Ok(Self {
                    set,
                    custom: Vec::new(),
                }),
                Some(_) => Err(DomainError::param(
                    "tokenTemplate",
                    "Custom takes its methods in apiList",
                )),
                None => Err(DomainError::param(
                    "tokenTemplate",
                    format!("\"{}\" is not an API set", clip(t)),
                )),
            },
            (None, Some(list)) => Self::custom(list),
            (Some(t), Some(list)) if ApiSet::parse(t) == Some(ApiSet::Custom) => Self::custom(list),
            (Some(_), Some(_)) => Err(DomainError::InvalidParam(
                "give tokenTemplate or apiList, not both".into(),
            )),
            (None, None) => Err(DomainError::InvalidParam(
                "tokenTemplate or apiList is required".into(),
            )),
        }
    }

    /// A Custom grant of exactly these methods, each a grantable catalogue method.
    pub fn custom(ids: Vec<String>) -> Result<Self, DomainError> {
        let mut custom = Vec::with_capacity(ids.len());
        for id in ids {
            let method = catalogue::method(&id).ok_or_else(|| {
                DomainError::param("apiList", format!("\"{}\" is not an API method", clip(&id)))
            })?;
            if !method.grantable() {
                return Err(DomainError::param(
                    "apiList",
                    format!("{} cannot be granted to a token", method.id),
                ));
            }
            custom.push(method.id.to_owned());
        }
        custom.sort();
        custom.dedup();
        if custom.is_empty() {
            return Err(DomainError::param("apiList", "names no method"));
        }
        Ok(Self {
            set: ApiSet::Custom,
            custom,
        })
    }

    pub fn predefined(set: ApiSet) -> Self {
        Self {
            set,
            custom: Vec::new(),
        }
    }

    /// The methods this grant allows today.
    pub fn methods(&self) -> Vec<String> {
        match self.set {
            ApiSet::Custom => self.custom.clone(),
            set => set.methods().into_iter().map(str::to_owned).collect(),
        }
    }

    pub fn allows(&self, method: &catalogue::Method) -> bool {
        self.set.allows(&self.custom, method)
    }
}
