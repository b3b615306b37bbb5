//! `patio check`: a database's health, online. On SQLite its integrity, foreign keys and
//! migrations; on PostgreSQL a query and the migrations.

use std::fmt;

use anyhow::{ensure, Context};
use domain::platform::{migrations, Backend};
use sqlx::migrate::Migrator;
use sqlx::{ConnectOptions, Connection, PgConnection};

use super::schema::{applied_sqlite, Applied, AppliedRow, Schema, APPLIED};
use super::sqlite::{integrity, live_options};

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
    // A row whose parent is missing: its table, its rowid and the parent's table.
    let orphans: Vec<(String, Option<i64>, String)> =
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
            orphans
                .first()
                .map_or(String::new(), |(table, rowid, parent)| {
                    format!("{table} row {} → {parent}", rowid.unwrap_or_default())
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
        let rows: Vec<AppliedRow> = sqlx::query_as(APPLIED)
            .fetch_all(&mut conn)
            .await
            .context("read the applied migrations")?;
        Some(rows.into_iter().map(Applied::from).collect::<Vec<_>>())
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
