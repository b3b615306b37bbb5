//! Whether a database's applied migrations are this binary's: what check and restore
//! both ask before they trust a database.

use anyhow::Context;
use sqlx::migrate::Migrator;
use sqlx::SqliteConnection;

/// A row of `_sqlx_migrations`.
#[derive(Debug, Clone)]
pub struct Applied {
    pub version: i64,
    pub checksum: Vec<u8>,
    pub success: bool,
}

/// What `APPLIED` selects, one row.
pub(super) type AppliedRow = (i64, Vec<u8>, bool);

/// The applied migrations in version order, for either database.
pub(super) const APPLIED: &str =
    "select version, checksum, success from _sqlx_migrations order by version";

impl From<AppliedRow> for Applied {
    fn from((version, checksum, success): AppliedRow) -> Self {
        Self {
            version,
            checksum,
            success,
        }
    }
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

/// The applied migrations, or `None` without a migrations table.
pub(super) async fn applied_sqlite(
    conn: &mut SqliteConnection,
) -> anyhow::Result<Option<Vec<Applied>>> {
    let tables: i64 = sqlx::query_scalar(
        "select count(*) from sqlite_master where type = 'table' and name = '_sqlx_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .context("look for the migrations table")?;
    if tables == 0 {
        return Ok(None);
    }
    let rows: Vec<AppliedRow> = sqlx::query_as(APPLIED)
        .fetch_all(&mut *conn)
        .await
        .context("read the applied migrations")?;
    Ok(Some(rows.into_iter().map(Applied::from).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::platform::{migrations, Backend};

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
}
