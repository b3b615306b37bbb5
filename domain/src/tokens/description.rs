//! What a token is for, as its owner wrote it.

use serde::{Deserialize, Serialize};

use crate::error::DomainError;

pub const DESCRIPTION_MAX: usize = 255;

/// What a token is for: trimmed, 1 to 255 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Description(String);

impl Description {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let text = raw.trim();
        if text.is_empty() {
            return Err(DomainError::param("description", "is required"));
        }
        if text.chars().count() > DESCRIPTION_MAX {
            return Err(DomainError::param(
                "description",
                format!("is longer than {DESCRIPTION_MAX} characters"),
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(DomainError::param(
                "description",
                "contains control characters",
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_trimmed_and_bounded() {
        assert_eq!(Description::parse("  ci  ").unwrap().as_str(), "ci");
        assert!(Description::parse("   ").is_err());
        assert!(Description::parse(&"x".repeat(255)).is_ok());
        assert!(Description::parse(&"x".repeat(256)).is_err());
        assert!(Description::parse("a\u{0}b").is_err());
        assert!(Description::parse(&"é".repeat(255)).is_ok());
    }
}
