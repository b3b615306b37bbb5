//! `patio restore`: a checked backup put in place of a stopped server's SQLite database.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, ensure, Context};
use domain::platform::{migrations, Backend};
use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection};

use super::schema::{applied_sqlite, Schema};
use super::sqlite::{
    counts, integrity, live_options, open_file, remove_if_present, sqlite_code, sqlite_only,
    sync_file, sync_parent, with_suffix, Counts, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_NOTADB,
};

/// What a restored database holds, and what it replaced.
#[derive(Debug)]
pub struct Restored {
    pub path: PathBuf,
    pub counts: Counts,
    pub replaced: bool,
    /// Migrations of this binary the restored database has not had yet.
    pub pending: usize,
}

impl fmt::Display for Restored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verb = if self.replaced { "replaced" } else { "created" };
        write!(f, "{verb} {}: {}", self.path.display(), self.counts)?;
        if self.pending > 0 {
            write!(
                f,
                "; {} newer migrations run when the server starts",
                self.pending
            )?;
        }
        Ok(())
    }
}

/// Puts a backup in place of the database of a stopped server. The file must be an
/// intact SQLite database with Patio's schema (this binary's migrations or fewer); an
/// existing database is replaced only with `force`, and never while a server uses it.
pub async fn restore(database_url: &str, file: &Path, force: bool) -> anyhow::Result<Restored> {
    sqlite_only(database_url, "restore")?;
    let target_options = live_options(database_url)?;
    let target = target_options.get_filename().to_owned();
    ensure!(file.is_file(), "{} is not a file", file.display());
    ensure!(
        !with_suffix(file, "-wal").exists(),
        "{} has a write-ahead log beside it: it looks like a live database, not a backup; \
         make one with `patio backup`",
        file.display()
    );
    let (counts, pending) = inspect_backup(file).await?;
    let replaced = target.exists();
    if replaced {
        if !force {
            bail!(
                "a database already exists at {}; pass --force to replace it (back it up first)",
                target.display()
            );
        }
        ensure_unused(&target_options).await?;
    } else if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("create the database folder {}", dir.display()))?;
    }
    let part = with_suffix(&target, ".part");
    let copied = (|| {
        std::fs::copy(file, &part)
            .with_context(|| format!("copy {} to {}", file.display(), part.display()))?;
        sync_file(&part)?;
        // The old database's journal would be replayed into the new one.
        for stale in ["-wal", "-shm", "-journal"] {
            remove_if_present(&with_suffix(&target, stale))?;
        }
        std::fs::rename(&part, &target)
            .with_context(|| format!("rename {} to {}", part.display(), target.display()))?;
        sync_parent(&target)
    })();
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&part);
        return Err(e);
    }
    Ok(Restored {
        path: target,
        counts,
        replaced,
        pending,
    })
}

/// Whether a file can become this server's database: intact, with this binary's
/// migrations or the first of them. Answers its counts and how many migrations it lacks.
async fn inspect_backup(file: &Path) -> anyhow::Result<(Counts, usize)> {
    let opened = match open_file(file).await {
        Ok(mut conn) => integrity(&mut conn).await.map(|problems| (conn, problems)),
        Err(e) => Err(e),
    };
    let (mut conn, problems) = match opened {
        Ok(opened) => opened,
        Err(e) if sqlite_code(&e) == Some(SQLITE_NOTADB) => {
            bail!("{} is not a SQLite database", file.display())
        }
        Err(e) => return Err(e),
    };
    ensure!(
        problems.is_empty(),
        "{} failed its integrity check: {}",
        file.display(),
        problems.join("; ")
    );
    let Some(applied) = applied_sqlite(&mut conn).await? else {
        bail!(
            "{} does not hold Patio's schema: it has no _sqlx_migrations table",
            file.display()
        );
    };
    let schema = Schema::compare(&applied, &migrations(Backend::Sqlite));
    ensure!(
        schema.problems.is_empty() && !applied.is_empty(),
        "{} does not hold Patio's schema: {}",
        file.display(),
        schema
            .problems
            .first()
            .map_or("no migrations applied", String::as_str)
    );
    let counts = counts(&mut conn).await?;
    conn.close().await.context("close the backup")?;
    Ok((counts, schema.pending.len()))
}

/// Refuses while a server has the database open. In WAL mode `begin exclusive` alone
/// still admits readers; in exclusive locking mode the first read must lock the file
/// itself, which fails at once while any other connection has it open.
async fn ensure_unused(options: &SqliteConnectOptions) -> anyhow::Result<()> {
    let attempt = async {
        let mut conn = options
            .clone()
            .locking_mode(SqliteLockingMode::Exclusive)
            .busy_timeout(Duration::ZERO)
            .connect()
            .await?;
        let mut tx = conn.begin_with("begin exclusive").await?;
        sqlx::query("select count(*) from sqlite_master")
            .execute(&mut *tx)
            .await?;
        tx.rollback().await?;
        conn.close().await
    }
    .await
    .map_err(anyhow::Error::from);
    match attempt {
        Ok(()) => Ok(()),
        Err(e) if matches!(sqlite_code(&e), Some(SQLITE_BUSY | SQLITE_LOCKED)) => {
            let path = options.get_filename().display();
            bail!("{path} is in use: the server seems to be running; stop it first")
        }
        // A database too broken to open is what a restore is for.
        Err(e) if sqlite_code(&e).is_some() => {
            tracing::warn!(error = %e, "the database being replaced does not open; replacing it");
            Ok(())
        }
        Err(e) => Err(e.context("open the database being replaced")),
    }
}
