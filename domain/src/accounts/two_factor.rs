//! Two-factor sign-in: enrolment, recovery codes, turning it off, and the code check
//! after the password.

use super::attempts::Attempt;
use super::totp::{
    grouped, hotp, new_recovery_code, otpauth_uri, step_of, Code, DRIFT, SECRET_BYTES,
};
use super::Origin;
use super::{Enrolment, RecoveryCodes, TwoFactorStatus};
use crate::audit::{Actor, Outcome};
use crate::error::DomainError;
use crate::platform::{digest, from_unix, WriteKey};
use crate::Caller;
use anyhow::Context;
use data_encoding::BASE32_NOPAD;
use rand::RngCore;
use sqlx::Row;

crate::platform::service! {
    /// Two-factor sign-in: `platform.two_factor()`.
    TwoFactor, two_factor
}

/// Code checks per account in `ATTEMPT_WINDOW`, wrong ones counted.
pub const CODE_ATTEMPTS: i64 = 5;

pub const RECOVERY_CODE_COUNT: usize = 10;

/// What the sealed secret is bound to: it opens for this account only.
fn seal_context(account_id: i64) -> String {
    format!("two-factor secret of account {account_id}")
}

struct Stored {
    secret: Vec<u8>,
    enabled: bool,
    last_step: i64,
}

async fn replace_recovery_codes(
    tx: &mut crate::platform::Transaction,
    account_id: i64,
    codes: &[String],
    now: i64,
) -> Result<(), DomainError> {
    sqlx::query("delete from recovery_codes where account_id = $1")
        .bind(account_id)
        .execute(&mut **tx)
        .await
        .context("remove old recovery codes")?;
    for code in codes {
        sqlx::query(
            "insert into recovery_codes (account_id, digest, used_at, created_at) values ($1, $2, null, $3)",
        )
        .bind(account_id)
        .bind(digest(&code.replace('-', "")))
        .bind(now)
        .execute(&mut **tx)
        .await
        .context("store a recovery code")?;
    }
    Ok(())
}

impl TwoFactor<'_> {
    pub async fn status(&self, account_id: i64) -> Result<TwoFactorStatus, DomainError> {
        let enabled_at: Option<Option<i64>> =
            sqlx::query_scalar("select enabled_at from two_factor where account_id = $1")
                .bind(account_id)
                .fetch_optional(&self.db)
                .await
                .context("read two-factor state")?;
        let left: i64 = sqlx::query_scalar(
            "select count(*) from recovery_codes where account_id = $1 and used_at is null",
        )
        .bind(account_id)
        .fetch_one(&self.db)
        .await
        .context("count recovery codes")?;
        let enabled_at = enabled_at.flatten().map(from_unix);
        Ok(TwoFactorStatus {
            recovery_codes_left: if enabled_at.is_some() { left } else { 0 },
            enabled_at,
        })
    }

    async fn stored(&self, account_id: i64) -> Result<Option<Stored>, DomainError> {
        let Some(row) = sqlx::query(
            "select secret, enabled_at, last_step from two_factor where account_id = $1",
        )
        .bind(account_id)
        .fetch_optional(&self.db)
        .await
        .context("read two-factor secret")?
        else {
            return Ok(None);
        };
        let sealed: String = row.get("secret");
        let secret = self
            .settings
            .secret_key
            .open(&sealed, &seal_context(account_id))
            .with_context(|| format!("open the two-factor secret of account {account_id}"))?;
        Ok(Some(Stored {
            secret,
            enabled: row.get::<Option<i64>, _>("enabled_at").is_some(),
            last_step: row.get("last_step"),
        }))
    }

    /// Starts enrolment after the password: a new secret, kept sealed until a first
    /// correct code turns two-factor on. Starting again replaces a secret never
    /// confirmed; while two-factor is on it must be turned off first.
    pub async fn begin(&self, caller: &Caller, password: &str) -> Result<Enrolment, DomainError> {
        let account_id = caller.account.id;
        self.passwords()
            .confirm(account_id, password, &caller.origin)
            .await?;
        let mut secret = [0u8; SECRET_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let sealed = self
            .settings
            .secret_key
            .seal(&secret, &seal_context(account_id));
        let now = self.now().timestamp();
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        let written = sqlx::query(
            "insert into two_factor (account_id, secret, enabled_at, last_step, created_at, updated_at)
             values ($1, $2, null, 0, $3, $3)
             on conflict (account_id) do update set secret = excluded.secret, last_step = 0,
                 created_at = excluded.created_at, updated_at = excluded.updated_at
             where two_factor.enabled_at is null",
        )
        .bind(account_id)
        .bind(&sealed)
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("store a new two-factor secret")?;
        if written.rows_affected() == 0 {
            return Err(DomainError::param(
                "twoFactor",
                "is already on; turn it off before setting it up again",
            ));
        }
        tx.commit().await.context("commit")?;
        let text = BASE32_NOPAD.encode(&secret);
        Ok(Enrolment {
            uri: otpauth_uri(&caller.account.email, &text),
            secret: grouped(&text),
        })
    }

    /// Turns two-factor on with the first code from the app, and hands out the recovery
    /// codes (shown once; only their digests are kept).
    pub async fn enable(&self, caller: &Caller, code: &str) -> Result<RecoveryCodes, DomainError> {
        let account_id = caller.account.id;
        let code = Code::parse(code)?;
        let Some(stored) = self.stored(account_id).await? else {
            return Err(DomainError::param("code", "set up two-factor first"));
        };
        if stored.enabled {
            return Err(DomainError::param("twoFactor", "is already on"));
        }
        let Code::Totp(digits) = code else {
            return Err(DomainError::param(
                "code",
                "must be the 6 digits the app shows",
            ));
        };
        self.check_code_reserved(account_id, &stored, &Code::Totp(digits), &caller.origin)
            .await?;
        let codes: Vec<String> = (0..RECOVERY_CODE_COUNT)
            .map(|_| new_recovery_code())
            .collect();
        let now = self.now().timestamp();
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        let done = sqlx::query(
            "update two_factor set enabled_at = $1, updated_at = $1 where account_id = $2 and enabled_at is null",
        )
        .bind(now)
        .bind(account_id)
        .execute(&mut *tx)
        .await
        .context("turn two-factor on")?;
        if done.rows_affected() == 0 {
            return Err(DomainError::param("twoFactor", "is already on"));
        }
        replace_recovery_codes(&mut tx, account_id, &codes, now).await?;
        tx.commit().await.context("commit")?;
        self.audit_change(caller, "twofactor.enable").await?;
        Ok(RecoveryCodes(codes))
    }

    /// New recovery codes after the password and a code; the old ones stop working.
    pub async fn new_recovery_codes(
        &self,
        caller: &Caller,
        password: &str,
        code: &str,
    ) -> Result<RecoveryCodes, DomainError> {
        let account_id = caller.account.id;
        self.confirm_both(caller, password, code).await?;
        let codes: Vec<String> = (0..RECOVERY_CODE_COUNT)
            .map(|_| new_recovery_code())
            .collect();
        let now = self.now().timestamp();
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        replace_recovery_codes(&mut tx, account_id, &codes, now).await?;
        tx.commit().await.context("commit")?;
        self.audit_change(caller, "twofactor.recovery_codes")
            .await?;
        Ok(RecoveryCodes(codes))
    }

    /// Turns two-factor off after the password and a code (a recovery code will do: the
    /// phone may be gone).
    pub async fn disable(
        &self,
        caller: &Caller,
        password: &str,
        code: &str,
    ) -> Result<(), DomainError> {
        let account_id = caller.account.id;
        self.confirm_both(caller, password, code).await?;
        self.remove(account_id).await?;
        self.outbox()
            .notify(
                account_id,
                crate::mail::MailKind::TwoFactorOff,
                super::context_of(self.now(), &caller.origin),
            )
            .await?;
        self.audit_change(caller, "twofactor.disable").await
    }

    /// What changing an enabled second factor asks for: the password, then a code.
    async fn confirm_both(
        &self,
        caller: &Caller,
        password: &str,
        code: &str,
    ) -> Result<(), DomainError> {
        let account_id = caller.account.id;
        let code = Code::parse(code)?;
        self.passwords()
            .confirm(account_id, password, &caller.origin)
            .await?;
        self.check_enabled_code(account_id, &code, &caller.origin)
            .await
    }

    /// A change the owner made, in their Security Log.
    async fn audit_change(&self, caller: &Caller, action: &str) -> Result<(), DomainError> {
        self.audit()
            .record(
                Some(caller.account.id),
                action,
                Outcome::Ok,
                None,
                &caller.actor,
                &caller.origin,
            )
            .await
    }

    async fn remove(&self, account_id: i64) -> Result<bool, DomainError> {
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        let removed = sqlx::query("delete from two_factor where account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .context("remove the two-factor secret")?;
        sqlx::query("delete from recovery_codes where account_id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .context("remove recovery codes")?;
        tx.commit().await.context("commit")?;
        Ok(removed.rows_affected() > 0)
    }

    /// The operator's way back in for someone who lost both the phone and the recovery
    /// codes (one account), or for everyone when the key file is lost (`None`): two-factor
    /// off, noted in each account's Security Log. Returns how many accounts had it.
    pub async fn reset(&self, email: Option<&super::Email>) -> Result<u64, DomainError> {
        let ids: Vec<i64> = match email {
            Some(email) => {
                let id: i64 = sqlx::query_scalar("select id from accounts where email = $1")
                    .bind(email.as_str())
                    .fetch_optional(&self.db)
                    .await
                    .context("look up account")?
                    .ok_or_else(|| {
                        DomainError::NotFound(format!("no account {}", email.as_str()))
                    })?;
                vec![id]
            }
            None => sqlx::query_scalar("select account_id from two_factor")
                .fetch_all(&self.db)
                .await
                .context("list two-factor accounts")?,
        };
        let mut reset = 0;
        for id in ids {
            if self.remove(id).await? {
                reset += 1;
                self.outbox()
                    .notify(
                        id,
                        crate::mail::MailKind::TwoFactorOff,
                        super::context_of(self.now(), &Origin::default()),
                    )
                    .await?;
                self.audit()
                    .record(
                        Some(id),
                        "twofactor.reset",
                        Outcome::Ok,
                        None,
                        &Actor::Operator,
                        &Origin::default(),
                    )
                    .await?;
            }
        }
        Ok(reset)
    }

    /// The second step of a sign-in, once the password was right: nothing to do without
    /// two-factor; otherwise the code must be given, right and new.
    pub(crate) async fn second_factor(
        &self,
        account_id: i64,
        code: Option<&str>,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        // One read: the secret, if the account has two-factor on.
        let Some(stored) = self.stored(account_id).await?.filter(|s| s.enabled) else {
            return Ok(());
        };
        let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
            return Err(DomainError::TwoFactorCode(
                "this account signs in with two-factor: pass the app's 6-digit code (or a recovery code) in `code`".into(),
            ));
        };
        let code = Code::parse(code)?;
        self.check_code_reserved(account_id, &stored, &code, origin)
            .await
    }

    async fn check_enabled_code(
        &self,
        account_id: i64,
        code: &Code,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        match self.stored(account_id).await? {
            Some(stored) if stored.enabled => {
                self.check_code_reserved(account_id, &stored, code, origin)
                    .await
            }
            _ => Err(DomainError::param("twoFactor", "is off for this account")),
        }
    }

    /// Checks one code with an attempt reserved first; a wrong one is counted, logged
    /// and refused with 704.
    async fn check_code_reserved(
        &self,
        account_id: i64,
        stored: &Stored,
        code: &Code,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let attempt = Attempt::Code { account_id };
        let reserved = self.attempts().reserve(&attempt).await?;
        let accepted = match code {
            Code::Totp(digits) => self.accept_totp(account_id, stored, digits).await?,
            Code::Recovery(text) => self.accept_recovery_code(account_id, text).await?,
        };
        if !accepted {
            self.attempts().failed(reserved).await?;
            self.stats.count(&self.stats.code_failures);
            self.audit()
                .record(
                    Some(account_id),
                    "twofactor.code",
                    Outcome::Failed,
                    None,
                    &Actor::Anonymous,
                    origin,
                )
                .await?;
            return Err(DomainError::TwoFactorCode(
                "the two-factor code is wrong or was already used".into(),
            ));
        }
        self.attempts().succeeded(reserved, &attempt).await?;
        if matches!(code, Code::Recovery(_)) {
            let left = self.status(account_id).await?.recovery_codes_left;
            self.audit()
                .record(
                    Some(account_id),
                    "twofactor.recovery_used",
                    Outcome::Ok,
                    Some(&left.to_string()),
                    &Actor::Anonymous,
                    origin,
                )
                .await?;
        }
        Ok(())
    }

    /// A code of the current step or one either side, newer than the last one taken:
    /// recorded in the same statement that checks it, so two requests with one code
    /// cannot both get in, on one server or many.
    async fn accept_totp(
        &self,
        account_id: i64,
        stored: &Stored,
        digits: &str,
    ) -> Result<bool, DomainError> {
        let now = self.now().timestamp();
        let current = i64::try_from(step_of(now)).unwrap_or(0);
        let matching = (current - DRIFT..=current + DRIFT).find(|step| {
            u64::try_from(*step)
                .map(|s| format!("{:06}", hotp(&stored.secret, s, 6)) == digits)
                .unwrap_or(false)
        });
        let Some(step) = matching.filter(|s| *s > stored.last_step) else {
            return Ok(false);
        };
        let taken = sqlx::query(
            "update two_factor set last_step = $1, updated_at = $2 where account_id = $3 and last_step < $1",
        )
        .bind(step)
        .bind(now)
        .bind(account_id)
        .execute(&self.db)
        .await
        .context("record the code's step")?;
        Ok(taken.rows_affected() == 1)
    }

    async fn accept_recovery_code(&self, account_id: i64, text: &str) -> Result<bool, DomainError> {
        let used = sqlx::query(
            "update recovery_codes set used_at = $1 where account_id = $2 and digest = $3 and used_at is null",
        )
        .bind(self.now().timestamp())
        .bind(account_id)
        .bind(digest(text))
        .execute(&self.db)
        .await
        .context("use a recovery code")?;
        Ok(used.rows_affected() == 1)
    }

    /// Refuses to start with a key file other than the one the stored secrets were
    /// sealed with: every two-factor sign-in would fail without saying why.
    pub async fn check_secret_key(&self) -> anyhow::Result<()> {
        let sealed: Option<String> = sqlx::query_scalar("select secret from two_factor limit 1")
            .fetch_optional(&self.db)
            .await
            .context("read a two-factor secret")?;
        let key = &self.settings.secret_key;
        match sealed
            .as_deref()
            .and_then(crate::secrets::SecretKey::sealed_with)
        {
            Some(id) if id != key.id() => anyhow::bail!(
                "the key file is not the one this database's two-factor secrets were sealed with \
                 (they name key {id}, the file holds key {}): start with the right --key-file; \
                 if that key is lost, `patio user reset-two-factor --all` turns two-factor off for \
                 every account (they sign in with their passwords and set it up again)",
                key.id()
            ),
            _ => Ok(()),
        }
    }
}
