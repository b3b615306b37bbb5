//! Patio's token domain: one source of truth for the rules that the REST API and the
//! dashboard share. Pure types compile to wasm; storage and crypto sit behind the
//! `server` feature.

#[cfg(feature = "server")]
pub mod access;
pub mod accounts;
pub mod audit;
pub mod catalogue;
pub mod environments;
pub mod error;
pub mod mail;
pub mod marketplace;
pub mod notices;
pub mod passkeys;
pub mod scope;
pub mod shares;
pub mod times;
pub mod tokens;

#[cfg(feature = "server")]
pub mod cache;
#[cfg(feature = "server")]
pub mod changes;
#[cfg(feature = "server")]
pub mod platform;
#[cfg(feature = "server")]
pub mod secrets;
#[cfg(feature = "server")]
pub mod upkeep;

pub use accounts::Caller;
pub use error::{DomainError, ResultCode};
#[cfg(feature = "server")]
pub use platform::{Clock, Platform, PlatformSettings};
