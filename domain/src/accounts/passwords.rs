//! Passwords: argon2id hashing, and the confirmation every sensitive change asks for.

use super::{Attempt, Origin};
use crate::audit::{Actor, Outcome};
use crate::error::DomainError;
use crate::platform::random_base62;
use anyhow::Context;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::atomic::AtomicU64;
use std::sync::OnceLock;

crate::platform::service! {
    /// Password hashing and confirmation: `platform.passwords()`.
    Passwords, passwords
}

pub(super) fn argon2() -> Argon2<'static> {
    // OWASP's argon2id parameters: 19 MiB, 2 passes, 1 lane.
    let params = Params::new(19_456, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody knows, so that unknown emails cost as much as known ones.
pub(super) fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(random_base62(32).as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Was this hash made with weaker settings than today's?
pub(super) fn needs_rehash(stored: &str) -> bool {
    let current = argon2();
    let params = current.params();
    PasswordHash::new(stored).map_or(true, |h| {
        h.algorithm.as_str() != "argon2id"
            || Params::try_from(&h).map_or(true, |p| {
                p.m_cost() < params.m_cost()
                    || p.t_cost() < params.t_cost()
                    || p.p_cost() < params.p_cost()
            })
    })
}

impl Passwords<'_> {
    pub(crate) async fn hash(&self, password: &str) -> Result<String, DomainError> {
        let _permit = self.hashing.acquire().await.context("hashing semaphore")?;
        let password = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut rand::rngs::OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hash password: {e}"))
        })
        .await
        .context("join hashing task")??;
        Ok(hash)
    }

    /// Verifies off the async runtime; `None` checks against the dummy hash.
    pub(crate) async fn verify(
        &self,
        password: &str,
        hash: Option<String>,
    ) -> Result<bool, DomainError> {
        let _permit = self.hashing.acquire().await.context("hashing semaphore")?;
        let password = password.to_owned();
        let known = hash.is_some();
        let ok = tokio::task::spawn_blocking(move || {
            let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
            PasswordHash::new(&hash)
                .map(|parsed| {
                    argon2()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false)
        })
        .await
        .context("join verification task")?;
        Ok(ok && known)
    }

    /// The confirmation every sensitive change asks for: the account's password,
    /// with attempts reserved before the check and failures limited.
    pub async fn confirm(
        &self,
        account_id: i64,
        password: &str,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let attempt = Attempt::Confirm { account_id };
        let reserved = self.attempts().reserve(&attempt).await?;
        let hash: Option<String> =
            sqlx::query_scalar("select password_hash from accounts where id = $1")
                .bind(account_id)
                .fetch_optional(&self.db)
                .await
                .context("read password hash")?;
        if password.is_empty() || !self.verify(password, hash).await? {
            let failures = &self.stats.confirm_failures;
            return Err(self
                .refuse(
                    reserved,
                    failures,
                    Some(account_id),
                    "password.confirm",
                    origin,
                )
                .await);
        }
        self.attempts().succeeded(reserved, &attempt).await
    }

    /// A wrong password (sign-in or confirmation): its reserved attempt now counts
    /// against the limits, the failure is counted and logged as `action`, and the answer
    /// is 702 (or the error that kept the failure from being recorded).
    pub(crate) async fn refuse(
        &self,
        reserved: i64,
        failures: &AtomicU64,
        account_id: Option<i64>,
        action: &str,
        origin: &Origin,
    ) -> DomainError {
        let recorded = async {
            self.attempts().failed(reserved).await?;
            self.stats.count(failures);
            self.audit()
                .record(
                    account_id,
                    action,
                    Outcome::Failed,
                    None,
                    &Actor::Anonymous,
                    origin,
                )
                .await
        };
        match recorded.await {
            Ok(()) => DomainError::WrongPassword,
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_below_the_owasp_parameters_are_upgraded() {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8192, 1, 1, None).unwrap(),
        )
        .hash_password(b"password", &salt)
        .unwrap()
        .to_string();
        assert!(needs_rehash(&weak));
        let strong = argon2()
            .hash_password(b"password", &salt)
            .unwrap()
            .to_string();
        assert!(strong.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(!needs_rehash(&strong));
        assert!(needs_rehash("$2b$12$notargon"));
    }
}
