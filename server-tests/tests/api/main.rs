//! The platform REST API, tested over real HTTP against a server on port 0 with a
//! fresh database per test.

#[path = "../support/mod.rs"]
mod support;

mod helpers;

mod accounts;
mod assets;
mod attacks;
mod clients;
mod concurrency;
mod environments;
mod pages;
mod permissions;
mod replicas;
mod robustness;
mod schema;
mod scopes;
mod security;
mod security_log;
mod sessions;
mod shares;
mod tokens;
mod two_factor;
mod upgrade;
mod usage;
