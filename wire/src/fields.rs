//! Field types a method's input uses for the rules every method shares: a value that
//! must not be blank, a password (taken as typed, kept secret), a positive id. The
//! decoder applies each rule with the parameter's name, so a refusal names it.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

/// A value that must be present and not blank.
#[derive(Debug, Deserialize)]
pub struct Required(pub String);

/// A password as typed (never trimmed): present, not empty, and never printed.
pub struct Password(SecretString);

impl Password {
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

impl<'de> Deserialize<'de> for Password {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "Password")]
        struct Typed(String);
        let Typed(text) = Typed::deserialize(deserializer)?;
        Ok(Self(SecretString::from(text)))
    }
}

/// A positive whole number naming a row.
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct Id(pub i64);

/// The rule a field type stands for, by the name serde gives its newtype.
pub(crate) enum Rule {
    Required,
    Password,
    Id,
}

impl Rule {
    pub(crate) fn of(newtype: &str) -> Option<Self> {
        match newtype {
            "Required" => Some(Self::Required),
            "Password" => Some(Self::Password),
            "Id" => Some(Self::Id),
            _ => None,
        }
    }
}
