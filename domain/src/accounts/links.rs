//! One-time links the server mails or prints: a password reset (one hour), a sign-up's
//! verification (24 hours), an email change (24 hours). The secret is 32 random base62
//! characters in the link's path; the server keeps only its SHA-256 digest. A link works
//! once: using it is one conditional update, so two uses at once cannot both succeed.
//! Opening the page a link leads to uses nothing (a mail program's link scanner cannot
//! burn it); the page's button does.

use anyhow::Context;
use chrono::Duration;
use sqlx::{AnyConnection, Row};

use super::LinkPurpose;
use crate::error::DomainError;
use crate::platform::{digest, random_base62};

crate::platform::service! {
    /// One-time links: `platform.links()`.
    Links, links
}

/// The secret's length: 32 base62 characters, about 190 bits.
pub const LINK_SECRET_LEN: usize = 32;

/// Whether `text` could be a link's secret at all (checked before any database read).
pub fn looks_like_link_secret(text: &str) -> bool {
    text.len() == LINK_SECRET_LEN && text.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// A link as it was made: whose, for which address, with which password hash.
#[derive(Clone, Debug)]
pub(crate) struct LinkRow {
    pub account_id: Option<i64>,
    pub email: Option<String>,
    pub password_hash: Option<String>,
}

impl Links<'_> {
    /// Makes a link on `conn` and returns its full URL (the only place the secret is).
    pub(crate) async fn create(
        &self,
        conn: &mut AnyConnection,
        purpose: LinkPurpose,
        account_id: Option<i64>,
        email: Option<&str>,
        password_hash: Option<&str>,
    ) -> Result<String, DomainError> {
        let secret = random_base62(LINK_SECRET_LEN);
        let now = self.now();
        sqlx::query(
            "insert into account_links (purpose, digest, account_id, email, password_hash, expires_at, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, $7)",
        )
        .bind(purpose.key())
        .bind(digest(&secret))
        .bind(account_id)
        .bind(email)
        .bind(password_hash)
        .bind((now + purpose.lifetime()).timestamp())
        .bind(now.timestamp())
        .execute(&mut *conn)
        .await
        .context("insert a one-time link")?;
        let server = self.settings.public_url.trim_end_matches('/');
        Ok(format!("{server}{}{secret}", purpose.path()))
    }

    /// Whether a link works now (unused, not expired), without using it.
    pub async fn works(&self, purpose: LinkPurpose, secret: &str) -> Result<bool, DomainError> {
        if !looks_like_link_secret(secret) {
            return Ok(false);
        }
        let found: Option<i64> = sqlx::query_scalar(
            "select id from account_links where digest = $1 and purpose = $2 and used_at is null and expires_at > $3",
        )
        .bind(digest(secret))
        .bind(purpose.key())
        .bind(self.now().timestamp())
        .fetch_optional(&self.db)
        .await
        .context("look up a one-time link")?;
        Ok(found.is_some())
    }

    /// Uses a link on `conn` (inside the change it makes): what it was made with, or
    /// `None` if it is unknown, used, expired or for something else.
    pub(crate) async fn consume(
        &self,
        conn: &mut AnyConnection,
        purpose: LinkPurpose,
        secret: &str,
    ) -> Result<Option<LinkRow>, DomainError> {
        if !looks_like_link_secret(secret) {
            return Ok(None);
        }
        let now = self.now().timestamp();
        let row = sqlx::query(
            "update account_links set used_at = $1, updated_at = $1
             where digest = $2 and purpose = $3 and used_at is null and expires_at > $1
             returning account_id, email, password_hash",
        )
        .bind(now)
        .bind(digest(secret))
        .bind(purpose.key())
        .fetch_optional(&mut *conn)
        .await
        .context("use a one-time link")?;
        Ok(row.map(|r| LinkRow {
            account_id: r.get("account_id"),
            email: r.get("email"),
            password_hash: r.get("password_hash"),
        }))
    }

    /// Ends the account's unused links of `purpose` (a newer one, or the change they were
    /// for happened another way).
    pub(crate) async fn end_for(
        &self,
        conn: &mut AnyConnection,
        purpose: LinkPurpose,
        account_id: i64,
    ) -> Result<(), DomainError> {
        sqlx::query(
            "update account_links set used_at = $1, updated_at = $1
             where account_id = $2 and purpose = $3 and used_at is null",
        )
        .bind(self.now().timestamp())
        .bind(account_id)
        .bind(purpose.key())
        .execute(&mut *conn)
        .await
        .context("end older one-time links")?;
        Ok(())
    }

    /// Forgets links a day after they expired.
    pub(crate) async fn prune(&self) -> Result<(), DomainError> {
        sqlx::query("delete from account_links where expires_at < $1")
            .bind((self.now() - Duration::days(1)).timestamp())
            .execute(&self.db)
            .await
            .context("prune one-time links")?;
        Ok(())
    }
}
