//! The database's care from the command line: `patio backup`, `patio restore` and
//! `patio check`. Backup and restore are SQLite's: PostgreSQL has its own tools for both,
//! and these commands refuse it before connecting.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use anyhow::{bail, ensure, Context};
use domain::platform::{migrations, Backend};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection, PgConnection, SqliteConnection};

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

/// What `patio check` found: one line per check, and whether all passed.
#[derive(Debug, Default)]
pub struct Report {
    pub lines: Vec<String>,
    pub healthy: bool,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            writeln!(f, "{line}")?;
        }
        write!(
            f,
            "{}",
            if self.healthy {
                "all checks passed"
            } else {
                "PROBLEMS FOUND"
            }
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

/// Checks a database, online: SQLite's own integrity and foreign key checks, and
/// whether its migrations are this binary's. On PostgreSQL, the migrations and a query.
pub async fn check(database_url: &str) -> anyhow::Result<Report> {
    match Backend::of(database_url)? {
        Backend::Sqlite => check_sqlite(database_url).await,
        Backend::Postgres => check_postgres(database_url).await,
    }
}

async fn check_sqlite(database_url: &str) -> anyhow::Result<Report> {
    let options = live_options(database_url)?;
    let path = options.get_filename().to_owned();
    ensure!(path.is_file(), "there is no database at {}", path.display());
    let mut conn = options.connect().await.context("open the database")?;
    let mut report = Report {
        lines: vec![format!("database: {}", path.display())],
        healthy: true,
    };
    let problems = integrity(&mut conn).await?;
    report.add(
        problems.is_empty(),
        "integrity: ok".into(),
        format!(
            "integrity: {} problems, first: {}",
            problems.len(),
            problems.first().map_or("", String::as_str)
        ),
    );
    let orphans: Vec<Orphan> =
        sqlx::query_as("select \"table\", rowid, parent from pragma_foreign_key_check")
            .fetch_all(&mut conn)
            .await
            .context("pragma foreign_key_check")?;
    report.add(
        orphans.is_empty(),
        "foreign keys: ok".into(),
        format!(
            "foreign keys: {} rows point at missing rows, first: {}",
            orphans.len(),
            orphans.first().map_or(String::new(), |o| {
                format!(
                    "{} row {} → {}",
                    o.table,
                    o.rowid.unwrap_or_default(),
                    o.parent
                )
            })
        ),
    );
    let applied = applied_sqlite(&mut conn).await?;
    conn.close().await.context("close the database")?;
    report.schema(applied.as_deref(), &migrations(Backend::Sqlite));
    Ok(report)
}

async fn check_postgres(database_url: &str) -> anyhow::Result<Report> {
    let mut conn = PgConnection::connect(database_url)
        .await
        .context("connect to PostgreSQL")?;
    let mut report = Report {
        lines: Vec::new(),
        healthy: true,
    };
    let one: i32 = sqlx::query_scalar("select 1")
        .fetch_one(&mut conn)
        .await
        .context("select 1")?;
    report.add(
        one == 1,
        "connection: ok".into(),
        "connection: select 1 did not answer 1".into(),
    );
    report.lines.push(
        "integrity: PostgreSQL's own job (the amcheck extension: pg_amcheck, or \
         bt_index_check on the indexes)"
            .into(),
    );
    let exists: bool = sqlx::query_scalar("select to_regclass('_sqlx_migrations') is not null")
        .fetch_one(&mut conn)
        .await
        .context("look for the migrations table")?;
    let applied = if exists {
        let rows: Vec<Applied> = sqlx::query_as(
            "select version, checksum, success from _sqlx_migrations order by version",
        )
        .fetch_all(&mut conn)
        .await
        .context("read the applied migrations")?;
        Some(rows)
    } else {
        None
    };
    conn.close().await.context("close the connection")?;
    report.schema(applied.as_deref(), &migrations(Backend::Postgres));
    Ok(report)
}

impl Report {
    fn add(&mut self, passed: bool, ok: String, problem: String) {
        self.healthy &= passed;
        self.lines.push(if passed { ok } else { problem });
    }

    /// Migrations still to run are not a fault: the server runs them when it starts.
    fn schema(&mut self, applied: Option<&[Applied]>, compiled: &Migrator) {
        let Some(applied) = applied else {
            self.add(
                false,
                String::new(),
                "schema: no _sqlx_migrations table: not a Patio database".into(),
            );
            return;
        };
        let schema = Schema::compare(applied, compiled);
        if let Some(problem) = schema.problems.first() {
            self.add(false, String::new(), format!("schema: {problem}"));
            return;
        }
        self.lines.push(match schema.pending.as_slice() {
            [] => format!(
                "schema: ok, {} migrations, as this binary's",
                schema.applied
            ),
            pending => format!(
                "schema: ok, {} migrations applied; {} pending ({}), run when the server starts",
                schema.applied,
                pending.len(),
                pending
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        });
    }
}

/// A row of `_sqlx_migrations`.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Applied {
    pub version: i64,
    pub checksum: Vec<u8>,
    pub success: bool,
}

/// A row of SQLite's `foreign_key_check`: a row whose parent is missing.
#[derive(sqlx::FromRow)]
struct Orphan {
    table: String,
    rowid: Option<i64>,
    parent: String,
}

/// How a database's applied migrations compare with this binary's.
#[derive(Debug, PartialEq, Eq)]
pub struct Schema {
    pub applied: usize,
    /// This binary's migrations the database has not had, when it has no problems.
    pub pending: Vec<i64>,
    /// Applied migrations that are not this binary's, differ from it or failed.
    pub problems: Vec<String>,
}

impl Schema {
    /// The applied migrations must be the first of the compiled ones, with the same
    /// checksums, each completed.
    pub fn compare(applied: &[Applied], compiled: &Migrator) -> Self {
        let compiled: Vec<_> = compiled
            .iter()
            .filter(|m| !m.migration_type.is_down_migration())
            .collect();
        let mut problems = Vec::new();
        for (i, row) in applied.iter().enumerate() {
            match compiled.get(i) {
                Some(m) if m.version == row.version => {
                    if *m.checksum != *row.checksum {
                        problems.push(format!(
                            "migration {} ({}) differs from this binary's",
                            m.version, m.description
                        ));
                    }
                    if !row.success {
                        problems.push(format!("migration {} did not complete", m.version));
                    }
                }
                _ => problems.push(format!(
                    "migration {} is not one of this binary's (a database of another \
                     program, or of a newer Patio?)",
                    row.version
                )),
            }
        }
        let pending = if problems.is_empty() {
            compiled
                .iter()
                .skip(applied.len())
                .map(|m| m.version)
                .collect()
        } else {
            Vec::new()
        };
        Self {
            applied: applied.len(),
            pending,
            problems,
        }
    }
}

fn sqlite_only(database_url: &str, command: &str) -> anyhow::Result<()> {
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
fn live_options(database_url: &str) -> anyhow::Result<SqliteConnectOptions> {
    Ok(SqliteConnectOptions::from_str(database_url)
        .context("parse the database URL")?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(10)))
}

/// Opens a file nobody writes to (a backup) without creating anything beside it.
async fn open_file(path: &Path) -> anyhow::Result<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .immutable(true)
        .connect()
        .await
        .with_context(|| format!("open {}", path.display()))
}

/// `pragma integrity_check`'s complaints; none when it says ok.
async fn integrity(conn: &mut SqliteConnection) -> anyhow::Result<Vec<String>> {
    let lines: Vec<String> = sqlx::query_scalar("pragma integrity_check")
        .fetch_all(&mut *conn)
        .await
        .context("pragma integrity_check")?;
    Ok(lines.into_iter().filter(|l| l != "ok").collect())
}

/// The applied migrations, or `None` without a migrations table.
async fn applied_sqlite(conn: &mut SqliteConnection) -> anyhow::Result<Option<Vec<Applied>>> {
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from sqlite_master where type = 'table' and name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .context("look for the migrations table")?;
    if tables == 0 {
        return Ok(None);
    }
    let rows: Vec<Applied> =
        sqlx::query_as("select version, checksum, success from _sqlx_migrations order by version")
            .fetch_all(&mut *conn)
            .await
            .context("read the applied migrations")?;
    Ok(Some(rows))
}

async fn counts(conn: &mut SqliteConnection) -> anyhow::Result<Counts> {
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

const SQLITE_BUSY: i32 = 5;
const SQLITE_LOCKED: i32 = 6;
const SQLITE_NOTADB: i32 = 26;

/// The primary SQLite result code behind an error, if it is one.
fn sqlite_code(e: &anyhow::Error) -> Option<i32> {
    let code = e
        .downcast_ref::<sqlx::Error>()?
        .as_database_error()?
        .code()?
        .parse::<i32>()
        .ok()?;
    Some(code & 0xff)
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

/// `path` with `suffix` appended to its file name: `patio.db` → `patio.db-wal`.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("remove {}", path.display()))
        }
        _ => Ok(()),
    }
}

fn sync_file(path: &Path) -> anyhow::Result<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("sync {}", path.display()))
}

/// A rename is durable once the folder holding it is synced.
fn sync_parent(path: &Path) -> anyhow::Result<()> {
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

    fn applied(migrator: &Migrator, n: usize) -> Vec<Applied> {
        migrator
            .iter()
            .take(n)
            .map(|m| Applied {
                version: m.version,
                checksum: m.checksum.to_vec(),
                success: true,
            })
            .collect()
    }

    #[test]
    fn all_migrations_applied_is_up_to_date() {
        let compiled = migrations(Backend::Sqlite);
        let all = applied(&compiled, usize::MAX);
        let schema = Schema::compare(&all, &compiled);
        assert!(
            schema.problems.is_empty() && schema.pending.is_empty(),
            "{schema:?}"
        );
    }

    #[test]
    fn fewer_migrations_are_pending_not_a_problem() {
        let compiled = migrations(Backend::Sqlite);
        let schema = Schema::compare(&applied(&compiled, 1), &compiled);
        assert!(schema.problems.is_empty());
        assert_eq!(schema.pending.len(), compiled.iter().count() - 1);
    }

    #[test]
    fn a_changed_checksum_an_unknown_version_or_a_failure_is_a_problem() {
        let compiled = migrations(Backend::Sqlite);
        let mut changed = applied(&compiled, 2);
        changed[1].checksum[0] ^= 1;
        assert_eq!(Schema::compare(&changed, &compiled).problems.len(), 1);
        let mut unknown = applied(&compiled, 2);
        unknown[1].version = 1;
        assert_eq!(Schema::compare(&unknown, &compiled).problems.len(), 1);
        let mut failed = applied(&compiled, 2);
        failed[1].success = false;
        assert_eq!(Schema::compare(&failed, &compiled).problems.len(), 1);
    }

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
