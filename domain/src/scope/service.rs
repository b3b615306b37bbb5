//! Storing a token's scope, and reading it back for its owner and for the check.

use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{EnvNames, EnvScope, ScopeEntry, ScopeRequest};
use crate::error::DomainError;

/// The columns a token row's scope reads from, for `select … from tokens t`.
pub(crate) const SCOPE_COLUMNS: &str = "t.env_scoped,
     (select string_agg(e.name, ',') from token_scope s join environments e on e.id = s.environment_id
      where s.token_id = t.id) as scope_names,
     (select string_agg(cast(s.environment_id as text) || ':' || e.name, ',') from token_scope s
      join environments e on e.id = s.environment_id where s.token_id = t.id) as scope_ids,
     (select string_agg(s.prefix, ',') from token_scope s
      where s.token_id = t.id and s.prefix is not null) as scope_prefixes";

fn items(row: &AnyRow, column: &str) -> Vec<String> {
    let text: Option<String> = row.get(column);
    let mut items: Vec<String> = text
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    items.sort();
    items
}

fn is_scoped(row: &AnyRow) -> bool {
    row.get::<i64, _>("env_scoped") != 0
}

/// The scope as the owner reads it, from a row with `SCOPE_COLUMNS`.
pub(crate) fn describe_scope(row: &AnyRow) -> EnvNames {
    is_scoped(row).then(|| {
        let mut names = items(row, "scope_names");
        names.extend(
            items(row, "scope_prefixes")
                .into_iter()
                .map(|p| format!("{p}*")),
        );
        names
    })
}

/// The scope as the check holds it, from a row with `SCOPE_COLUMNS`; `None` for every
/// environment.
pub(crate) fn scope_of(row: &AnyRow) -> Result<Option<EnvScope>, DomainError> {
    if !is_scoped(row) {
        return Ok(None);
    }
    // `id:name` each (a name has no colon).
    let mut environments = items(row, "scope_ids")
        .iter()
        .map(|pair| {
            let (id, name) = pair.split_once(':')?;
            Some((id.parse::<i64>().ok()?, name.to_owned()))
        })
        .collect::<Option<Vec<_>>>()
        .context("stored scope environment")?;
    environments.sort_unstable();
    Ok(Some(EnvScope {
        environments,
        prefixes: items(row, "scope_prefixes"),
    }))
}

/// Replaces a token's scope with `request`, inside the change's transaction: each name
/// is stored as the account's environment of that name now, and a name the account has
/// no environment of is refused (and the transaction, dropped, writes nothing).
pub(crate) async fn store_scope(
    conn: &mut AnyConnection,
    account_id: i64,
    token_id: i64,
    request: &ScopeRequest,
    now: i64,
) -> Result<(), DomainError> {
    sqlx::query("delete from token_scope where token_id = $1")
        .bind(token_id)
        .execute(&mut *conn)
        .await
        .context("clear token scope")?;
    let entries = match request {
        ScopeRequest::All => &[][..],
        ScopeRequest::Only(entries) => entries.as_slice(),
    };
    sqlx::query("update tokens set env_scoped = $1 where id = $2")
        .bind(i64::from(matches!(request, ScopeRequest::Only(_))))
        .bind(token_id)
        .execute(&mut *conn)
        .await
        .context("mark token scope")?;
    for entry in entries {
        let (environment_id, prefix) = match entry {
            ScopeEntry::Name(name) => {
                let id: Option<i64> = sqlx::query_scalar(
                    "select id from environments where account_id = $1 and name = $2",
                )
                .bind(account_id)
                .bind(name.as_str())
                .fetch_optional(&mut *conn)
                .await
                .context("find scope environment")?;
                let id = id.ok_or_else(|| {
                    DomainError::param(
                        "envNames",
                        format!("no environment \"{}\" on this account", name.as_str()),
                    )
                })?;
                (Some(id), None)
            }
            ScopeEntry::Prefix(prefix) => (None, Some(prefix.as_str())),
        };
        sqlx::query(
            "insert into token_scope (token_id, environment_id, prefix, created_at, updated_at)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(token_id)
        .bind(environment_id)
        .bind(prefix)
        .bind(now)
        .bind(now)
        .execute(&mut *conn)
        .await
        .context("insert token scope")?;
    }
    Ok(())
}

/// The names the token's scope holds now, as entries (for narrowing checks): the
/// environments it holds by identity, under their names, and its patterns.
pub(crate) async fn stored_entries(
    conn: &mut AnyConnection,
    token_id: i64,
) -> Result<Option<Vec<ScopeEntry>>, DomainError> {
    let row = sqlx::query(&format!(
        "select {SCOPE_COLUMNS} from tokens t where t.id = $1"
    ))
    .bind(token_id)
    .fetch_one(&mut *conn)
    .await
    .context("read token scope")?;
    let Some(texts) = describe_scope(&row) else {
        return Ok(None);
    };
    texts
        .iter()
        .map(|t| ScopeEntry::parse(t))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}
