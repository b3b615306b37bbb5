//! `patio backup`: a consistent copy of a live SQLite database, checked before it takes
//! its final name.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{bail, ensure, Context};
use sqlx::{ConnectOptions, Connection};

use super::sqlite::{
    counts, integrity, live_options, open_file, remove_if_present, sqlite_only, sync_file,
    sync_parent, with_suffix, Counts,
};

/// What a SQLite backup holds.
#[derive(Debug)]
pub struct Backup {
    pub path: PathBuf,
    pub bytes: u64,
    pub counts: Counts,
}

impl fmt::Display for Backup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "wrote {} ({} bytes): {}",
            self.path.display(),
            self.bytes,
            self.counts
        )
    }
}

/// Copies a live SQLite database to `file` without stopping its writers: `vacuum into`
/// reads one snapshot, like any reader in WAL mode. The copy is written beside `file` as
/// `file.part`, checked, synced and only then renamed, so a half backup never has the
/// final name.
pub async fn backup(database_url: &str, file: &Path, force: bool) -> anyhow::Result<Backup> {
    sqlite_only(database_url, "backup")?;
    let live = live_options(database_url)?;
    let source = live.get_filename().to_owned();
    ensure!(
        source.is_file(),
        "there is no database at {}",
        source.display()
    );
    if let (Ok(a), Ok(b)) = (source.canonicalize(), file.canonicalize()) {
        ensure!(a != b, "{} is the database itself", file.display());
    }
    if file.exists() && !force {
        bail!(
            "{} already exists; pass --force to replace it",
            file.display()
        );
    }
    let part = with_suffix(file, ".part");
    remove_if_present(&part)?;
    let written = async {
        let into = part
            .to_str()
            .context("the backup path must be valid UTF-8")?;
        let mut conn = live.connect().await.context("open the database")?;
        // A bound parameter: the path needs no quoting, whatever it holds.
        sqlx::query("vacuum into ?")
            .bind(into)
            .execute(&mut conn)
            .await
            .context("copy the database (vacuum into)")?;
        conn.close().await.context("close the database")?;
        let counts = verify_copy(&part).await?;
        sync_file(&part)?;
        std::fs::rename(&part, file)
            .with_context(|| format!("rename {} to {}", part.display(), file.display()))?;
        sync_parent(file)?;
        anyhow::Ok(counts)
    }
    .await;
    let counts = match written {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_file(&part);
            return Err(e);
        }
    };
    let bytes = std::fs::metadata(file)
        .with_context(|| format!("read the size of {}", file.display()))?
        .len();
    Ok(Backup {
        path: file.to_owned(),
        bytes,
        counts,
    })
}

/// A fresh copy is intact, or it does not become a backup.
async fn verify_copy(path: &Path) -> anyhow::Result<Counts> {
    let mut conn = open_file(path).await?;
    let problems = integrity(&mut conn).await?;
    ensure!(
        problems.is_empty(),
        "the copy failed its integrity check: {}",
        problems.join("; ")
    );
    let counts = counts(&mut conn).await?;
    conn.close().await.context("close the copy")?;
    Ok(counts)
}
