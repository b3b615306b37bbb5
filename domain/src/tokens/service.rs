//! Storage of tokens: only the SHA-256 digest of a value is kept, and a value is
//! verified with one indexed lookup by that digest.

use super::{
    Allowlist, Description, Expiry, Grant, LastUse, RevealedKey, RevealedToken, TokenGrant,
    TokenSecret, TokenSummary,
};
use crate::accounts::context_of;
use crate::audit::Outcome;
use crate::catalogue::ApiSet;
use crate::error::DomainError;
use crate::mail::MailKind;
use crate::platform::{digest, from_unix, random_base62, Backend, WriteKey};
use crate::scope::{
    describe_scope, scope_of, store_scope, stored_entries, widening, ScopeRequest, SCOPE_COLUMNS,
};
use crate::Caller;
use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use sqlx::Row;

crate::platform::service! {
    /// Generating, editing and removing tokens, and looking one up by its value:
    /// `platform.tokens()`.
    Tokens, tokens
}

/// What a new token is made of.
#[derive(Clone, Debug)]
pub struct TokenDraft {
    pub description: Description,
    pub grant: Grant,
    pub expires_at: Option<Expiry>,
    pub allowlist: Allowlist,
    pub scope: ScopeRequest,
}

/// The fields an edit changes; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct TokenEdit {
    pub description: Option<Description>,
    pub grant: Option<Grant>,
    pub expires_at: Option<Option<Expiry>>,
    pub allowlist: Option<Allowlist>,
    pub scope: Option<ScopeRequest>,
    /// The new grant and scope may only drop what the token holds at the moment of the
    /// change.
    pub narrow_only: bool,
}

const SUMMARY_COLUMNS: &str =
    "t.id, t.description, t.api_set, t.expires_at, t.created_at, t.updated_at,
     t.last_used_at, t.last_used_ip, t.hint,
     (select string_agg(m.method_id, ',') from token_methods m where m.token_id = t.id) as methods,
     t.allowed_ips, t.last_used_agent";

/// A token row's columns as its owner sees it, scope included.
fn summary_columns() -> String {
    format!("{SUMMARY_COLUMNS}, {SCOPE_COLUMNS}")
}

pub(crate) fn grant_of(api_set: &str, methods: Option<String>) -> Result<Grant, DomainError> {
    let set = ApiSet::parse(api_set).with_context(|| format!("stored api_set {api_set:?}"))?;
    let mut custom: Vec<String> = methods
        .unwrap_or_default()
        .split(',')
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    custom.sort();
    Ok(Grant { set, custom })
}

fn summary(row: &AnyRow) -> Result<TokenSummary, DomainError> {
    let last_used_at: Option<i64> = row.get("last_used_at");
    Ok(TokenSummary {
        id: row.get("id"),
        description: row.get("description"),
        grant: grant_of(row.get("api_set"), row.get("methods"))?,
        expires_at: row.get::<Option<i64>, _>("expires_at").map(from_unix),
        created_at: from_unix(row.get("created_at")),
        updated_at: from_unix(row.get("updated_at")),
        last_used: last_used_at.map(|at| LastUse {
            at: from_unix(at),
            ip: row.get("last_used_ip"),
            user_agent: row.get("last_used_agent"),
        }),
        hint: row.get("hint"),
        allowlist: stored_allowlist(row.get("allowed_ips"))?,
        env_names: describe_scope(row),
    })
}

pub(crate) fn stored_allowlist(text: &str) -> Result<Allowlist, DomainError> {
    Ok(Allowlist::parse(text).with_context(|| format!("stored allowed_ips {text:?}"))?)
}

fn new_secret() -> Result<TokenSecret, DomainError> {
    TokenSecret::from_entropy(&random_base62(32))
}

/// One token as its owner sees it, read on `conn` (inside the change's transaction, so
/// the answer shows exactly that change).
async fn load_token(
    conn: &mut AnyConnection,
    account_id: i64,
    id: i64,
) -> Result<TokenSummary, DomainError> {
    let row = sqlx::query(&format!(
        "select {} from tokens t where t.account_id = $1 and t.id = $2",
        summary_columns()
    ))
    .bind(account_id)
    .bind(id)
    .fetch_optional(conn)
    .await
    .context("read token")?
    .ok_or_else(|| DomainError::NotFound(format!("no token {id} on this account")))?;
    summary(&row)
}

/// The methods of a Custom token.
async fn insert_methods(
    conn: &mut AnyConnection,
    token_id: i64,
    methods: &[String],
    now: i64,
) -> Result<(), DomainError> {
    for method in methods {
        sqlx::query("insert into token_methods (token_id, method_id, created_at, updated_at) values ($1, $2, $3, $4)")
            .bind(token_id)
            .bind(method)
            .bind(now)
            .bind(now)
            .execute(&mut *conn)
            .await
            .context("insert token method")?;
    }
    Ok(())
}

impl Tokens<'_> {
    pub async fn list(
        &self,
        account_id: i64,
        ids: Option<&[i64]>,
    ) -> Result<Vec<TokenSummary>, DomainError> {
        // The owner sees every use so far, not only the flushed ones.
        self.uses().flush().await?;
        let rows = sqlx::query(&format!(
            "select {} from tokens t where t.account_id = $1 order by t.id",
            summary_columns()
        ))
        .bind(account_id)
        .fetch_all(&self.db)
        .await
        .context("list tokens")?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let token = summary(row)?;
            if ids.is_none_or(|ids| ids.contains(&token.id)) {
                out.push(token);
            }
        }
        Ok(out)
    }

    async fn audit_change(
        &self,
        caller: &Caller,
        action: &str,
        target: &str,
    ) -> Result<(), DomainError> {
        self.audit()
            .record(
                Some(caller.account.id),
                action,
                Outcome::Ok,
                Some(target),
                &caller.actor,
                &caller.origin,
            )
            .await
    }

    pub async fn create(
        &self,
        caller: &Caller,
        password: &str,
        draft: TokenDraft,
    ) -> Result<RevealedToken, DomainError> {
        self.passwords()
            .confirm(caller.account.id, password, &caller.origin)
            .await?;
        let secret = new_secret()?;
        let now = self.now().timestamp();
        let mut tx = self
            .begin_write(&[WriteKey::Account(caller.account.id)])
            .await?;
        let id: i64 = sqlx::query_scalar(
            "insert into tokens (account_id, description, digest, hint, api_set, expires_at, allowed_ips, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id",
        )
        .bind(caller.account.id)
        .bind(draft.description.as_str())
        .bind(digest(secret.expose()))
        .bind(secret.hint())
        .bind(draft.grant.set.key())
        .bind(draft.expires_at.map(|e| e.timestamp()))
        .bind(draft.allowlist.to_text())
        .bind(now)
        .bind(now)
        .fetch_one(&mut *tx)
        .await
        .context("insert token")?;
        insert_methods(&mut tx, id, &draft.grant.custom, now).await?;
        store_scope(&mut tx, caller.account.id, id, &draft.scope, now).await?;
        self.shares().offer(&mut tx, caller, id).await?;
        let token = load_token(&mut tx, caller.account.id, id).await?;
        tx.commit().await.context("commit token")?;
        self.token_cache.invalidate();
        self.reveal(caller, "token.create", &secret, token).await
    }

    pub async fn edit(
        &self,
        caller: &Caller,
        password: &str,
        id: i64,
        edit: TokenEdit,
    ) -> Result<TokenSummary, DomainError> {
        self.passwords()
            .confirm(caller.account.id, password, &caller.origin)
            .await?;
        let now = self.now().timestamp();
        let mut tx = self
            .begin_write(&[WriteKey::Account(caller.account.id)])
            .await?;
        let current = sqlx::query(
            "select description, api_set, expires_at, allowed_ips from tokens where id = $1 and account_id = $2",
        )
        .bind(id)
        .bind(caller.account.id)
        .fetch_optional(&mut *tx)
        .await
        .context("read token for edit")?
        .ok_or_else(|| DomainError::NotFound(format!("no token {id} on this account")))?;
        if let (true, Some(grant)) = (edit.narrow_only, &edit.grant) {
            let methods: Option<String> = sqlx::query_scalar(
                "select string_agg(method_id, ',') from token_methods where token_id = $1",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await
            .context("read token methods")?;
            let held = grant_of(&current.get::<String, _>("api_set"), methods)?.methods();
            if let Some(extra) = grant.custom.iter().find(|m| !held.contains(m)) {
                return Err(DomainError::param(
                    "apiList",
                    format!("{extra} is not held by this token; tightening only removes methods"),
                ));
            }
        }
        if let Some(scope) = &edit.scope {
            if edit.narrow_only {
                let extra = match (stored_entries(&mut tx, id).await?, scope) {
                    // A token that reaches every environment holds any scope.
                    (None, _) => None,
                    (Some(_), ScopeRequest::All) => Some("*".to_owned()),
                    (Some(held), ScopeRequest::Only(wanted)) => widening(wanted, &held),
                };
                if let Some(extra) = extra {
                    return Err(DomainError::param(
                        "envNames",
                        format!("{extra} is not held by this token; tightening only removes environments"),
                    ));
                }
            }
            store_scope(&mut tx, caller.account.id, id, scope, now).await?;
        }
        let description = edit.description.map_or_else(
            || current.get::<String, _>("description"),
            |d| d.as_str().to_owned(),
        );
        let api_set = edit.grant.as_ref().map_or_else(
            || current.get::<String, _>("api_set"),
            |g| g.set.key().to_owned(),
        );
        let expires_at = edit.expires_at.map_or_else(
            || current.get::<Option<i64>, _>("expires_at"),
            |e| e.map(|e| e.timestamp()),
        );
        let allowed_ips = edit
            .allowlist
            .map_or_else(|| current.get::<String, _>("allowed_ips"), |a| a.to_text());
        sqlx::query(
            "update tokens set description = $1, api_set = $2, expires_at = $3, allowed_ips = $4, updated_at = $5 where id = $6",
        )
            .bind(&description)
            .bind(&api_set)
            .bind(expires_at)
            .bind(&allowed_ips)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await
            .context("update token")?;
        if let Some(grant) = &edit.grant {
            sqlx::query("delete from token_methods where token_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .context("clear token methods")?;
            insert_methods(&mut tx, id, &grant.custom, now).await?;
        }
        let token = load_token(&mut tx, caller.account.id, id).await?;
        self.changes()
            .commit_tokens(tx, "commit token edit")
            .await?;
        self.audit_change(caller, "token.edit", &format!("token {id}"))
            .await?;
        Ok(token)
    }

    /// A new value for the token; the old one is refused from the moment this returns.
    pub async fn regenerate(
        &self,
        caller: &Caller,
        password: &str,
        id: i64,
        expires_at: Option<Option<Expiry>>,
    ) -> Result<RevealedToken, DomainError> {
        self.passwords()
            .confirm(caller.account.id, password, &caller.origin)
            .await?;
        let secret = new_secret()?;
        let now = self.now().timestamp();
        let mut tx = self
            .begin_write(&[WriteKey::Account(caller.account.id)])
            .await?;
        let done = sqlx::query(
            "update tokens set digest = $1, hint = $2, expires_at = case when $3 then $4 else expires_at end, updated_at = $5
             where id = $6 and account_id = $7",
        )
        .bind(digest(secret.expose()))
        .bind(secret.hint())
        .bind(expires_at.is_some())
        .bind(expires_at.flatten().map(|e| e.timestamp()))
        .bind(now)
        .bind(id)
        .bind(caller.account.id)
        .execute(&mut *tx)
        .await
        .context("regenerate token")?;
        if done.rows_affected() == 0 {
            return Err(DomainError::NotFound(format!(
                "no token {id} on this account"
            )));
        }
        self.shares().offer(&mut tx, caller, id).await?;
        let token = load_token(&mut tx, caller.account.id, id).await?;
        self.changes()
            .commit_tokens(tx, "commit regeneration")
            .await?;
        self.reveal(caller, "token.regenerate", &secret, token)
            .await
    }

    /// Removes all the given tokens or, if any is not the account's, none.
    pub async fn delete(
        &self,
        caller: &Caller,
        password: &str,
        ids: &[i64],
    ) -> Result<u64, DomainError> {
        self.passwords()
            .confirm(caller.account.id, password, &caller.origin)
            .await?;
        let mut tx = self
            .begin_write(&[WriteKey::Account(caller.account.id)])
            .await?;
        // In id order, the order the last-use writer locks rows in: no deadlock.
        let mut ordered = ids.to_vec();
        ordered.sort_unstable();
        for id in &ordered {
            let done = sqlx::query("delete from tokens where id = $1 and account_id = $2")
                .bind(id)
                .bind(caller.account.id)
                .execute(&mut *tx)
                .await
                .context("delete token")?;
            if done.rows_affected() == 0 {
                return Err(DomainError::NotFound(format!(
                    "no token {id} on this account"
                )));
            }
        }
        self.changes()
            .commit_tokens(tx, "commit token removal")
            .await?;
        for id in ids {
            self.audit_change(caller, "token.delete", &format!("token {id}"))
                .await?;
        }
        Ok(ids.len() as u64)
    }

    /// Removes every token of the account at once (a laptop with tokens on it was
    /// stolen): password-confirmed, one log entry with the count.
    pub async fn revoke_all(&self, caller: &Caller, password: &str) -> Result<u64, DomainError> {
        self.passwords()
            .confirm(caller.account.id, password, &caller.origin)
            .await?;
        let count = self.remove_all(caller.account.id).await?;
        self.audit_change(caller, "token.revoke_all", &format!("{count} tokens"))
            .await?;
        self.outbox()
            .notify(
                caller.account.id,
                MailKind::TokensRevoked { count },
                context_of(self.now(), &caller.origin),
            )
            .await?;
        Ok(count)
    }

    /// Removes every token of an account, announced to every replica like any token
    /// change. The caller logs it.
    pub(crate) async fn remove_all(&self, account_id: i64) -> Result<u64, DomainError> {
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        if self.backend == Backend::Postgres {
            // Rows locked in id order, the order the last-use writer takes them in, so
            // the two cannot deadlock.
            sqlx::query("select id from tokens where account_id = $1 order by id for update")
                .bind(account_id)
                .fetch_all(&mut *tx)
                .await
                .context("lock tokens")?;
        }
        let done = sqlx::query("delete from tokens where account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .context("delete tokens")?;
        self.changes()
            .commit_tokens(tx, "commit token removal")
            .await?;
        Ok(done.rows_affected())
    }

    /// Verifies a presented value: well-formed, known, not expired. Malformed values
    /// are refused without a database read.
    pub async fn verify(&self, value: &str) -> Result<std::sync::Arc<TokenGrant>, DomainError> {
        let Some(secret) = TokenSecret::parse(value) else {
            self.stats.count(&self.stats.tokens_unknown);
            return Err(DomainError::NotAuthenticated);
        };
        let now = self.now();
        let digest = digest(secret.expose());
        self.changes().notice_elsewhere();
        if let Some(hit) = self.token_cache.get(&digest) {
            self.stats.count(&self.stats.cache_hits);
            return if super::is_live(hit.expires_at, now) {
                Ok(hit.grant)
            } else {
                self.stats.count(&self.stats.tokens_expired);
                Err(DomainError::NotAuthenticated)
            };
        }
        self.stats.count(&self.stats.cache_misses);
        let generation = self.token_cache.generation();
        let row = sqlx::query(&format!(
            "select t.id, t.account_id, a.email, t.hint, t.api_set, t.expires_at,
                    (select string_agg(m.method_id, ',') from token_methods m where m.token_id = t.id) as methods,
                    t.allowed_ips, {SCOPE_COLUMNS}
             from tokens t join accounts a on a.id = t.account_id
             where t.digest = $1 and a.disabled_at is null",
        ))
        .bind(&digest)
        .fetch_optional(&self.db)
        .await
        .context("look up token")?;
        let Some(row) = row else {
            self.stats.count(&self.stats.tokens_unknown);
            return Err(DomainError::NotAuthenticated);
        };
        let expires_at = row.get::<Option<i64>, _>("expires_at").map(from_unix);
        let grant = std::sync::Arc::new(TokenGrant {
            token_id: row.get("id"),
            account_id: row.get("account_id"),
            email: row.get("email"),
            hint: row.get("hint"),
            grant: grant_of(row.get("api_set"), row.get("methods"))?,
            allowlist: stored_allowlist(row.get("allowed_ips"))?,
            scope: scope_of(&row)?.map(std::sync::Arc::new),
        });
        self.token_cache.insert(
            generation,
            digest,
            super::cache::Cached {
                grant: grant.clone(),
                expires_at,
            },
        );
        if !super::is_live(expires_at, now) {
            self.stats.count(&self.stats.tokens_expired);
            return Err(DomainError::NotAuthenticated);
        }
        Ok(grant)
    }

    /// Logs the change that made a new value and hands the value out, this once.
    async fn reveal(
        &self,
        caller: &Caller,
        action: &str,
        secret: &TokenSecret,
        token: TokenSummary,
    ) -> Result<RevealedToken, DomainError> {
        self.audit_change(
            caller,
            action,
            &format!("token {} ({})", token.id, secret.hint()),
        )
        .await?;
        self.outbox()
            .notify(
                caller.account.id,
                MailKind::TokenCreated {
                    description: token.description.clone(),
                    regenerated: action == "token.regenerate",
                    api_set: token.grant.set.name().to_owned(),
                    environments: token.env_names.clone(),
                },
                context_of(self.now(), &caller.origin),
            )
            .await?;
        Ok(RevealedToken {
            token,
            key: RevealedKey::new(secret.expose().to_owned()),
        })
    }

    /// One token of the account, every noted use written first.
    pub(crate) async fn one(&self, account_id: i64, id: i64) -> Result<TokenSummary, DomainError> {
        self.uses().flush().await?;
        let mut conn = self.db.acquire().await.context("connect")?;
        load_token(&mut conn, account_id, id).await
    }
}
