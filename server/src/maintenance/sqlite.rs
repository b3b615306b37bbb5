//! What backup, restore and check share about SQLite files: opening a database as it
//! is, its integrity and row counts, its error codes, and moving files durably.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, Context};
use domain::platform::Backend;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, SqliteConnection};

/// Rows in the tables an operator recognises.
#[derive(Debug, Clone, Copy)]
pub struct Counts {
    pub accounts: i64,
    pub tokens: i64,
}

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} accounts, {} tokens", self.accounts, self.tokens)
    }
}

pub(super) fn sqlite_only(database_url: &str, command: &str) -> anyhow::Result<()> {
    match Backend::of(database_url)? {
        Backend::Sqlite => Ok(()),
        Backend::Postgres => bail!(
            "`patio {command}` is for SQLite; nothing was done. On PostgreSQL use its own \
             tools: `pg_dump --format=custom --file=patio.dump \"$DATABASE_URL\"` to back up \
             and, with the servers stopped, `pg_restore --clean --if-exists --no-owner \
             --dbname=\"$DATABASE_URL\" patio.dump` to restore"
        ),
    }
}

/// The database a URL names, opened as it is: never created, never migrated.
pub(super) fn live_options(database_url: &str) -> anyhow::Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(database_url)
        .context("parse the database URL")?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10)))
}

/// Opens a file nobody writes to (a backup) without creating anything beside it.
pub(super) async fn open_file(path: &Path) -> anyhow::Result<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .immutable(true)
        .connect()
        .await
        .with_context(|| format!("open {}", path.display()))
}

/// `pragma integrity_check`'s complaints; none when it says ok.
pub(super) async fn integrity(conn: &mut SqliteConnection) -> anyhow::Result<Vec<String>> {
    let lines: Vec<String> = sqlx::query_scalar("pragma integrity_check")
        .fetch_all(&mut *conn)
        .await
        .context("pragma integrity_check")?;
    Ok(lines.into_iter().filter(|l| l != "ok").collect())
}

pub(super) async fn counts(conn: &mut SqliteConnection) -> anyhow::Result<Counts> {
    let accounts = sqlx::query_scalar("select count(*) from accounts")
        .fetch_one(&mut *conn)
        .await
        .context("count accounts")?;
    let tokens = sqlx::query_scalar("select count(*) from tokens")
        .fetch_one(&mut *conn)
        .await
        .context("count tokens")?;
    Ok(Counts { accounts, tokens })
}

pub(super) const SQLITE_BUSY: i32 = 5;
pub(super) const SQLITE_LOCKED: i32 = 6;
pub(super) const SQLITE_NOTADB: i32 = 26;

/// The primary SQLite result code behind an error, if it is one.
pub(super) fn sqlite_code(e: &anyhow::Error) -> Option<i32> {
    let code = e
        .downcast_ref::<sqlx::Error>()?
        .as_database_error()?
        .code()?
        .parse::<i32>()
        .ok()?;
    Some(code & 0xff)
}

/// `path` with `suffix` appended to its file name: `patio.db` → `patio.db-wal`.
pub(super) fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

pub(super) fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

pub(super) fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("sync {}", path.display()))
}

/// A rename is durable once the folder holding it is synced.
pub(super) fn sync_parent(path: &Path) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("sync the folder {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_and_restore_refuse_postgres_naming_its_tools() {
        let refusal = sqlite_only("postgres://patio@db/patio", "backup").unwrap_err();
        assert!(refusal.to_string().contains("pg_dump --format=custom"));
        assert!(sqlite_only("sqlite://data/patio.db", "backup").is_ok());
    }

    #[test]
    fn suffixes_go_after_the_whole_file_name() {
        assert_eq!(
            with_suffix(Path::new("data/patio.db"), "-wal"),
            PathBuf::from("data/patio.db-wal")
        );
    }
}
