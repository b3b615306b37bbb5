//! The passkey ceremonies, with webauthn-rs: adding one (after the password) and signing
//! in with one (no email typed: the authenticator names the account by its handle). The
//! relying party is the public URL's host, so a passkey works only on this server's own
//! name. A ceremony's state is a row, used once (deleted as it is read) within five
//! minutes, so any replica finishes what another began; nothing but public keys, sign
//! counters and backup flags is stored.

use anyhow::Context;
use sqlx::any::AnyRow;
use sqlx::Row;
use webauthn_rs::prelude::{
    DiscoverableAuthentication, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};
use webauthn_rs_proto::ResidentKeyRequirement;

use super::{parse_name, Ceremony, PasskeySummary, PasskeysView};
use crate::accounts::{context_of, AccountInfo, Attempt, Email, NewSession, Origin};
use crate::audit::{Actor, Outcome};
use crate::error::DomainError;
use crate::mail::MailKind;
use crate::platform::{from_unix, random_base62, WriteKey};
use crate::Caller;

crate::platform::service! {
    /// Passkeys: `platform.passkeys()`.
    Passkeys, passkeys
}

/// How long a ceremony may take: WebAuthn's own recommended timeout.
const CEREMONY_SECONDS: i64 = 300;

const REGISTER: &str = "register";
const SIGN_IN: &str = "signin";

fn summary(row: &AnyRow) -> PasskeySummary {
    let credential: String = row.get("credential");
    // A synced passkey's key may live on the owner's other devices too.
    let synced = serde_json::from_str::<serde_json::Value>(&credential)
        .ok()
        .and_then(|v| v["cred"]["backup_eligible"].as_bool())
        .unwrap_or(false);
    PasskeySummary {
        id: row.get("id"),
        name: row.get("name"),
        created_at: from_unix(row.get("created_at")),
        last_used_at: row.get::<Option<i64>, _>("last_used_at").map(from_unix),
        synced,
    }
}

/// A WebAuthn answer the browser sent, or why it is none.
fn answer<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, DomainError> {
    serde_json::from_str(json)
        .map_err(|_| DomainError::param("credential", "is not the browser's WebAuthn answer"))
}

/// What a refused assertion answers, whatever went wrong: nothing about which part.
fn refused() -> DomainError {
    DomainError::WrongPassword
}

impl Passkeys<'_> {
    /// The relying party: the public URL's host and origin. Browsers refuse passkeys on
    /// an address, so a server reached by one has none.
    fn webauthn(&self) -> Result<Webauthn, DomainError> {
        let unavailable = || {
            DomainError::InvalidParam(
                "passkeys need this server's --public-url to name a host (https://patio.example.com, or http://localhost to try them): browsers refuse them on an address".into(),
            )
        };
        let origin = Url::parse(&self.settings.public_url).map_err(|_| unavailable())?;
        let host = origin.domain().ok_or_else(unavailable)?.to_owned();
        WebauthnBuilder::new(&host, &origin)
            .and_then(|b| b.rp_name("Patio").build())
            .map_err(|_| unavailable())
    }

    /// Whether passkeys work on this server.
    pub fn available(&self) -> bool {
        self.webauthn().is_ok()
    }

    /// The account's passkeys, and whether passkeys work on this server at all.
    pub async fn view(&self, account_id: i64) -> Result<PasskeysView, DomainError> {
        let unavailable = self.webauthn().err().map(|e| e.to_string());
        let rows = sqlx::query(
            "select id, name, credential, created_at, last_used_at from passkeys where account_id = $1 order by id",
        )
        .bind(account_id)
        .fetch_all(&self.db)
        .await
        .context("list passkeys")?;
        Ok(PasskeysView {
            unavailable,
            passkeys: rows.iter().map(summary).collect(),
        })
    }

    async fn store_ceremony(
        &self,
        kind: &str,
        account_id: Option<i64>,
        state: &impl serde::Serialize,
    ) -> Result<String, DomainError> {
        let id = random_base62(32);
        let now = self.now().timestamp();
        let state = serde_json::to_string(state).context("write a ceremony's state")?;
        sqlx::query(
            "insert into passkey_ceremonies (public_id, kind, account_id, state, expires_at, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(&id)
        .bind(kind)
        .bind(account_id)
        .bind(state)
        .bind(now + CEREMONY_SECONDS)
        .bind(now)
        .execute(&self.db)
        .await
        .context("store a ceremony")?;
        // Ceremonies nobody finished go with the next one begun.
        sqlx::query("delete from passkey_ceremonies where expires_at < $1")
            .bind(now)
            .execute(&self.db)
            .await
            .context("forget old ceremonies")?;
        Ok(id)
    }

    /// Takes a ceremony's state, once: it is deleted as it is read.
    async fn take_ceremony<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        id: &str,
        account_id: Option<i64>,
    ) -> Result<T, DomainError> {
        let gone = || {
            DomainError::param(
                "ceremony",
                "is unknown, used or older than five minutes: start again",
            )
        };
        let state: Option<String> = sqlx::query_scalar(
            "delete from passkey_ceremonies
             where public_id = $1 and kind = $2 and account_id is not distinct from $3 and expires_at >= $4
             returning state",
        )
        .bind(id)
        .bind(kind)
        .bind(account_id)
        .bind(self.now().timestamp())
        .fetch_optional(&self.db)
        .await
        .context("take a ceremony")?;
        let state = state.ok_or_else(gone)?;
        Ok(serde_json::from_str(&state).context("read a ceremony's state")?)
    }

    /// Begins adding a passkey, after the password: the options for the browser, which
    /// ask for a discoverable key with user verification, excluding the account's own.
    pub async fn begin_registration(
        &self,
        caller: &Caller,
        password: &str,
    ) -> Result<Ceremony, DomainError> {
        let webauthn = self.webauthn()?;
        let account_id = caller.account.id;
        self.passwords()
            .confirm(account_id, password, &caller.origin)
            .await?;
        let handle = self.handle_of(account_id).await?;
        let existing: Vec<Vec<u8>> =
            sqlx::query_scalar("select credential_id from passkeys where account_id = $1")
                .bind(account_id)
                .fetch_all(&self.db)
                .await
                .context("read the account's passkeys")?;
        let (mut options, state) = webauthn
            .start_passkey_registration(
                handle,
                &caller.account.email,
                &caller.account.email,
                Some(existing),
            )
            .context("start a passkey registration")?;
        // Signing in without an email needs the key to live on the authenticator.
        if let Some(selection) = options.public_key.authenticator_selection.as_mut() {
            selection.resident_key = Some(ResidentKeyRequirement::Required);
            selection.require_resident_key = true;
        }
        let id = self
            .store_ceremony(REGISTER, Some(account_id), &state)
            .await?;
        Ok(Ceremony {
            id,
            options: serde_json::to_string(&options).context("write the options")?,
        })
    }

    /// The account's passkey handle, made on its first passkey.
    async fn handle_of(&self, account_id: i64) -> Result<Uuid, DomainError> {
        let stored: Option<String> =
            sqlx::query_scalar("select passkey_handle from accounts where id = $1")
                .bind(account_id)
                .fetch_one(&self.db)
                .await
                .context("read the passkey handle")?;
        if let Some(handle) = stored.and_then(|h| Uuid::parse_str(&h).ok()) {
            return Ok(handle);
        }
        let handle = Uuid::new_v4();
        sqlx::query(
            "update accounts set passkey_handle = $1 where id = $2 and passkey_handle is null",
        )
        .bind(handle.to_string())
        .bind(account_id)
        .execute(&self.db)
        .await
        .context("store the passkey handle")?;
        // Another request may have set it first: that one stands.
        let stored: String =
            sqlx::query_scalar("select passkey_handle from accounts where id = $1")
                .bind(account_id)
                .fetch_one(&self.db)
                .await
                .context("read the passkey handle")?;
        Ok(Uuid::parse_str(&stored).context("a stored passkey handle")?)
    }

    /// Finishes adding a passkey with the browser's answer, under `name`.
    pub async fn finish_registration(
        &self,
        caller: &Caller,
        ceremony: &str,
        credential: &str,
        name: &str,
    ) -> Result<PasskeySummary, DomainError> {
        let webauthn = self.webauthn()?;
        let name = parse_name(name)?;
        let answer: RegisterPublicKeyCredential = answer(credential)?;
        let account_id = caller.account.id;
        let state: PasskeyRegistration = self
            .take_ceremony(REGISTER, ceremony, Some(account_id))
            .await?;
        let passkey = webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(|e| DomainError::param("credential", format!("was not accepted: {e}")))?;
        let stored = serde_json::to_string(&passkey).context("write a passkey")?;
        let now = self.now().timestamp();
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        let inserted = sqlx::query(
            "insert into passkeys (account_id, credential_id, credential, name, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $5) returning id, name, credential, created_at, last_used_at",
        )
        .bind(account_id)
        .bind(passkey.cred_id().to_vec())
        .bind(&stored)
        .bind(&name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let row = match inserted {
            Ok(row) => row,
            Err(sqlx::Error::Database(e))
                if crate::accounts::is_unique_violation(e.as_ref(), "passkeys.credential_id") =>
            {
                return Err(DomainError::param(
                    "credential",
                    "is a passkey this server knows already",
                ))
            }
            Err(e) => return Err(anyhow::Error::new(e).context("insert a passkey").into()),
        };
        self.outbox()
            .notify_on(
                &mut tx,
                account_id,
                MailKind::PasskeyAdded { name: name.clone() },
                context_of(self.now(), &caller.origin),
            )
            .await?;
        tx.commit().await.context("commit a passkey")?;
        self.audit()
            .record(
                Some(account_id),
                "passkey.add",
                Outcome::Ok,
                Some(&name),
                &caller.actor,
                &caller.origin,
            )
            .await?;
        Ok(summary(&row))
    }

    pub async fn rename(&self, caller: &Caller, id: i64, name: &str) -> Result<(), DomainError> {
        let name = parse_name(name)?;
        let done = sqlx::query(
            "update passkeys set name = $1, updated_at = $2 where id = $3 and account_id = $4",
        )
        .bind(&name)
        .bind(self.now().timestamp())
        .bind(id)
        .bind(caller.account.id)
        .execute(&self.db)
        .await
        .context("rename a passkey")?;
        if done.rows_affected() == 0 {
            return Err(DomainError::NotFound(format!(
                "no passkey {id} on this account"
            )));
        }
        self.audit()
            .record(
                Some(caller.account.id),
                "passkey.rename",
                Outcome::Ok,
                Some(&name),
                &caller.actor,
                &caller.origin,
            )
            .await
    }

    /// Removes a passkey, after the password: it is refused from the next sign-in on,
    /// on every replica (a sign-in reads the passkey from the database).
    pub async fn remove(
        &self,
        caller: &Caller,
        password: &str,
        id: i64,
    ) -> Result<(), DomainError> {
        self.passwords()
            .confirm(caller.account.id, password, &caller.origin)
            .await?;
        let name: Option<String> = sqlx::query_scalar(
            "delete from passkeys where id = $1 and account_id = $2 returning name",
        )
        .bind(id)
        .bind(caller.account.id)
        .fetch_optional(&self.db)
        .await
        .context("remove a passkey")?;
        let name =
            name.ok_or_else(|| DomainError::NotFound(format!("no passkey {id} on this account")))?;
        self.audit()
            .record(
                Some(caller.account.id),
                "passkey.remove",
                Outcome::Ok,
                Some(&name),
                &caller.actor,
                &caller.origin,
            )
            .await
    }

    /// The operator removes every passkey of an account (a lost device).
    pub async fn remove_all(&self, email: &Email) -> Result<u64, DomainError> {
        let id: i64 = sqlx::query_scalar("select id from accounts where email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .context("look up the account")?
            .ok_or_else(|| DomainError::NotFound(format!("no account {}", email.as_str())))?;
        let done = sqlx::query("delete from passkeys where account_id = $1")
            .bind(id)
            .execute(&self.db)
            .await
            .context("remove passkeys")?;
        self.audit()
            .record(
                Some(id),
                "passkey.remove_all",
                Outcome::Ok,
                Some(&format!("{} passkeys", done.rows_affected())),
                &Actor::Operator,
                &Origin::default(),
            )
            .await?;
        Ok(done.rows_affected())
    }

    /// Begins a sign-in with a passkey, no email typed: the authenticator offers the
    /// passkeys it holds for this server.
    pub async fn begin_sign_in(&self) -> Result<Ceremony, DomainError> {
        let webauthn = self.webauthn()?;
        let (mut options, state) = webauthn
            .start_discoverable_authentication()
            .context("start a passkey sign-in")?;
        // A button asks at once; autofill is not how the page offers it.
        options.mediation = None;
        let id = self.store_ceremony(SIGN_IN, None, &state).await?;
        Ok(Ceremony {
            id,
            options: serde_json::to_string(&options).context("write the options")?,
        })
    }

    /// Finishes a sign-in with the browser's answer and opens a session. A passkey
    /// verifies its user, so it counts as both factors where two-factor is on. Failed
    /// assertions are limited by address like wrong passwords.
    pub async fn finish_sign_in(
        &self,
        ceremony: &str,
        credential: &str,
        origin: &Origin,
    ) -> Result<NewSession, DomainError> {
        let webauthn = self.webauthn()?;
        let answer: PublicKeyCredential = answer(credential)?;
        let state: DiscoverableAuthentication = self.take_ceremony(SIGN_IN, ceremony, None).await?;
        let attempt = Attempt::Passkey {
            ip: origin.ip.clone(),
        };
        let reserved = self.attempts().reserve(&attempt).await?;
        match self.verify_assertion(&webauthn, &answer, state).await {
            Ok((account, passkey_id, name)) => {
                self.attempts().succeeded(reserved, &attempt).await?;
                self.signed_in(account, passkey_id, &name, origin).await
            }
            Err(e) => {
                self.attempts().failed(reserved).await?;
                self.stats.count(&self.stats.signin_failures);
                Err(e)
            }
        }
    }

    /// Checks an assertion against the passkey it names: (the account, its passkey id,
    /// its name). The sign counter and backup flags are checked by webauthn-rs and kept.
    async fn verify_assertion(
        &self,
        webauthn: &Webauthn,
        answer: &PublicKeyCredential,
        state: DiscoverableAuthentication,
    ) -> Result<(AccountInfo, i64, String), DomainError> {
        let (handle, credential_id) = webauthn
            .identify_discoverable_authentication(answer)
            .map_err(|_| refused())?;
        let row = sqlx::query(
            "select p.id, p.account_id, p.credential, p.name, a.email, a.disabled_at, a.passkey_handle
             from passkeys p join accounts a on a.id = p.account_id
             where p.credential_id = $1",
        )
        .bind(credential_id.to_vec())
        .fetch_optional(&self.db)
        .await
        .context("look up a passkey")?
        .ok_or_else(refused)?;
        // The authenticator's handle must be the account's the passkey belongs to.
        if row.get::<Option<String>, _>("passkey_handle") != Some(handle.to_string()) {
            return Err(refused());
        }
        let mut passkey: Passkey = serde_json::from_str(&row.get::<String, _>("credential"))
            .context("read a stored passkey")?;
        let result = webauthn
            .finish_discoverable_authentication_v2(answer, state, &passkey)
            .map_err(|_| refused())?;
        if !result.user_verified() {
            return Err(refused());
        }
        let id: i64 = row.get("id");
        let account_id: i64 = row.get("account_id");
        if row.get::<Option<i64>, _>("disabled_at").is_some() {
            return Err(DomainError::AccountDisabled);
        }
        let now = self.now().timestamp();
        // A new counter (a device key) or backup state is kept for the next check.
        if result.needs_update() && passkey.update_credential(&result) == Some(true) {
            let stored = serde_json::to_string(&passkey).context("write a passkey")?;
            sqlx::query("update passkeys set credential = $1, last_used_at = $2, updated_at = $2 where id = $3")
                .bind(stored)
                .bind(now)
                .bind(id)
                .execute(&self.db)
                .await
                .context("update a passkey")?;
        } else {
            sqlx::query("update passkeys set last_used_at = $1 where id = $2")
                .bind(now)
                .bind(id)
                .execute(&self.db)
                .await
                .context("note a passkey's use")?;
        }
        Ok((
            AccountInfo {
                id: account_id,
                email: row.get("email"),
            },
            id,
            row.get("name"),
        ))
    }

    async fn signed_in(
        &self,
        account: AccountInfo,
        _passkey_id: i64,
        name: &str,
        origin: &Origin,
    ) -> Result<NewSession, DomainError> {
        let familiar = self
            .attempts()
            .is_familiar(account.id, origin.ip.as_deref())
            .await?;
        let notify: i64 =
            sqlx::query_scalar("select notify_new_signin from accounts where id = $1")
                .bind(account.id)
                .fetch_one(&self.db)
                .await
                .context("read the sign-in notice setting")?;
        if !familiar && notify != 0 {
            self.sessions()
                .new_address_notice(account.id, origin)
                .await?;
        }
        let id = account.id;
        let session = self.sessions().open(account, origin).await?;
        self.audit()
            .record(
                Some(id),
                "signin",
                Outcome::Ok,
                Some(&format!("passkey {name}")),
                &Actor::Passkey,
                origin,
            )
            .await?;
        Ok(session)
    }
}
