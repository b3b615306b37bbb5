//! The database's care from the command line: `patio backup`, `patio restore` and
//! `patio check`. Backup and restore are SQLite's: PostgreSQL has its own tools for both,
//! and these commands refuse it before connecting.

mod backup;
mod check;
mod restore;
mod schema;
mod sqlite;

pub use backup::{backup, Backup};
pub use check::{check, Report};
pub use restore::{restore, Restored};
pub use schema::{Applied, Schema};
pub use sqlite::Counts;
