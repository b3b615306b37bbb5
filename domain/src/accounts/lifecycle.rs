//! An account from beginning to end, as its owner keeps it: a sign-up that tells nobody
//! whether the email has an account (where mail is on, the account is made from a link
//! mailed to the address), a change of email that takes effect only from the new
//! address, the Account tab's settings, and deleting the account with everything it
//! holds, on every replica at once.

use anyhow::Context;
use sqlx::Row;

use super::recovery::{context_of, link_gone};
use super::LinkPurpose;
use super::{
    is_unique_violation, AccountInfo, AccountSettings, Attempt, Email, Language, NewPassword,
    NewSession, Origin, SignUpOutcome,
};
use crate::audit::{Actor, Outcome};
use crate::changes::Change;
use crate::error::DomainError;
use crate::mail::MailKind;
use crate::platform::WriteKey;
use crate::Caller;

crate::platform::service! {
    /// Sign-up, email change, the Account tab and deletion: `platform.lifecycle()`.
    Lifecycle, lifecycle
}

impl Lifecycle<'_> {
    /// Signs up from the sign-up page, only while sign-up is open and at most
    /// `signups_per_hour` from one address. Without mail the account is made now (and a
    /// taken email says so). With mail nothing is said about the email: the answer is to
    /// check the inbox, and after it a new email gets a link that makes the account
    /// (24 hours) and one with an account a mail that someone tried.
    pub async fn sign_up(
        &self,
        email: &str,
        password: String,
        language: Language,
        origin: &Origin,
    ) -> Result<SignUpOutcome, DomainError> {
        if !self.settings.open_signup {
            return Err(DomainError::InvalidParam(
                "sign-up is closed on this server; ask its operator for an account".into(),
            ));
        }
        let email = Email::parse(email)?;
        let password = NewPassword::parse(password, "password")?;
        self.attempts()
            .reserve(&Attempt::SignUp {
                ip: origin.ip.clone(),
                per_hour: self.settings.signups_per_hour,
            })
            .await?;
        if !self.settings.mail {
            self.accounts().create(&email, &password).await?;
            return Ok(SignUpOutcome::Created);
        }
        let platform = self.0.clone();
        let origin = origin.clone();
        tokio::spawn(async move {
            // Logged where it failed; the person signs up again.
            let _ = platform
                .lifecycle()
                .mail_sign_up(&email, &password, language, &origin)
                .await;
        });
        Ok(SignUpOutcome::CheckInbox)
    }

    /// After a sign-up's answer: the link that makes the account, or the notice that
    /// the email has one. The password is hashed either way.
    async fn mail_sign_up(
        &self,
        email: &Email,
        password: &NewPassword,
        language: Language,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let hash = self.passwords().hash(password.expose()).await?;
        let existing: Option<i64> = sqlx::query_scalar("select id from accounts where email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .context("look up the email")?;
        let mut tx = self.begin_write(&[]).await?;
        let context = context_of(self.now(), origin);
        match existing {
            Some(account_id) => {
                self.outbox()
                    .notify_on(&mut tx, account_id, MailKind::SignupExists, context)
                    .await?;
            }
            None => {
                let link = self
                    .links()
                    .create(
                        &mut tx,
                        LinkPurpose::SignUp,
                        None,
                        Some(email.as_str()),
                        Some(&hash),
                    )
                    .await?;
                self.outbox()
                    .queue_on(
                        &mut tx,
                        None,
                        email.as_str(),
                        language,
                        MailKind::Verify { link },
                        context,
                    )
                    .await?;
            }
        }
        tx.commit().await.context("commit a sign-up mail")?;
        Ok(())
    }

    /// Makes the account a sign-up's link was mailed for, and signs it in.
    pub async fn verify_sign_up(
        &self,
        secret: &str,
        language: Language,
        origin: &Origin,
    ) -> Result<NewSession, DomainError> {
        let attempt = Attempt::Link {
            ip: origin.ip.clone(),
        };
        let reserved = self.attempts().reserve(&attempt).await?;
        let mut tx = self.begin_write(&[]).await?;
        let Some(link) = self
            .links()
            .consume(&mut tx, LinkPurpose::SignUp, secret)
            .await?
        else {
            drop(tx);
            self.attempts().failed(reserved).await?;
            return Err(link_gone());
        };
        let email = link.email.context("a sign-up link without an email")?;
        let hash = link
            .password_hash
            .context("a sign-up link without a password")?;
        let now = self.now().timestamp();
        let inserted = sqlx::query(
            "insert into accounts (email, password_hash, language, created_at, updated_at) values ($1, $2, $3, $4, $4) returning id",
        )
        .bind(&email)
        .bind(&hash)
        .bind(language.code())
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let id: i64 = match inserted {
            Ok(row) => row.get("id"),
            Err(sqlx::Error::Database(e)) if is_unique_violation(e.as_ref(), "accounts.email") => {
                return Err(DomainError::InvalidParam(
                    "this email has an account already: sign in, or ask for a new password".into(),
                ))
            }
            Err(e) => return Err(anyhow::Error::new(e).context("insert account").into()),
        };
        tx.commit().await.context("commit the account")?;
        self.attempts().succeeded(reserved, &attempt).await?;
        self.audit()
            .record(
                Some(id),
                "account.create",
                Outcome::Ok,
                None,
                &Actor::Anonymous,
                origin,
            )
            .await?;
        self.sessions()
            .open(AccountInfo { id, email }, origin)
            .await
    }

    /// What the Account tab shows.
    pub async fn settings(&self, account_id: i64) -> Result<AccountSettings, DomainError> {
        let now = self.now().timestamp();
        let row = sqlx::query(
            "select a.email, a.created_at, a.notify_new_signin,
                    (select l.email from account_links l where l.account_id = a.id and l.purpose = 'email'
                       and l.used_at is null and l.expires_at > $2 order by l.id desc limit 1) as pending_email,
                    (select count(*) from two_factor f where f.account_id = a.id and f.enabled_at is not null) as two_factor
             from accounts a where a.id = $1",
        )
        .bind(account_id)
        .bind(now)
        .fetch_optional(&self.db)
        .await
        .context("read the account")?
        .ok_or(DomainError::NotAuthenticated)?;
        Ok(AccountSettings {
            email: row.get("email"),
            created_at: crate::platform::from_unix(row.get("created_at")),
            pending_email: row.get("pending_email"),
            notify_new_signin: row.get::<i64, _>("notify_new_signin") != 0,
            two_factor: row.get::<i64, _>("two_factor") > 0,
            mail: self.settings.mail,
        })
    }

    /// Turns the mail about sign-ins from new addresses on or off.
    pub async fn set_notify_new_signin(
        &self,
        caller: &Caller,
        on: bool,
    ) -> Result<(), DomainError> {
        sqlx::query("update accounts set notify_new_signin = $1, updated_at = $2 where id = $3")
            .bind(i64::from(on))
            .bind(self.now().timestamp())
            .bind(caller.account.id)
            .execute(&self.db)
            .await
            .context("set the sign-in notice")?;
        let action = if on {
            "account.signin_notices_on"
        } else {
            "account.signin_notices_off"
        };
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

    /// Changes the password from the Account tab: the current one first; every other
    /// session ends; the owner is mailed.
    pub async fn change_password(
        &self,
        caller: &Caller,
        current: &str,
        new: String,
    ) -> Result<(), DomainError> {
        self.accounts()
            .change_password(
                caller.account.id,
                caller.session_id,
                current,
                new,
                &caller.origin,
            )
            .await?;
        self.outbox()
            .notify(
                caller.account.id,
                MailKind::PasswordChanged { by_reset: false },
                context_of(self.now(), &caller.origin),
            )
            .await?;
        self.audit()
            .record(
                Some(caller.account.id),
                "password.change",
                Outcome::Ok,
                None,
                &caller.actor,
                &caller.origin,
            )
            .await
    }

    /// Asks to change the email (after the password): a link to the new address makes
    /// the change, the old address is told. Nothing changes until the link is used.
    pub async fn ask_email_change(
        &self,
        caller: &Caller,
        password: &str,
        new_email: &str,
    ) -> Result<(), DomainError> {
        if !self.settings.mail {
            return Err(DomainError::InvalidParam(
                "this server sends no mail, so a new email cannot be confirmed; ask its operator"
                    .into(),
            ));
        }
        let new_email = Email::parse(new_email)?;
        if new_email.as_str() == caller.account.email {
            return Err(DomainError::param(
                "email",
                "is the account's email already",
            ));
        }
        self.passwords()
            .confirm(caller.account.id, password, &caller.origin)
            .await?;
        let account_id = caller.account.id;
        let context = context_of(self.now(), &caller.origin);
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        let language: Option<String> =
            sqlx::query_scalar("select language from accounts where id = $1")
                .bind(account_id)
                .fetch_one(&mut *tx)
                .await
                .context("read the account's language")?;
        self.links()
            .end_for(&mut tx, LinkPurpose::EmailChange, account_id)
            .await?;
        let link = self
            .links()
            .create(
                &mut tx,
                LinkPurpose::EmailChange,
                Some(account_id),
                Some(new_email.as_str()),
                None,
            )
            .await?;
        self.outbox()
            .queue_on(
                &mut tx,
                Some(account_id),
                new_email.as_str(),
                Language::from_code(language.as_deref()),
                MailKind::ConfirmEmail {
                    link,
                    old: caller.account.email.clone(),
                },
                context.clone(),
            )
            .await?;
        self.outbox()
            .notify_on(
                &mut tx,
                account_id,
                MailKind::EmailChangeAsked {
                    new: new_email.as_str().to_owned(),
                },
                context,
            )
            .await?;
        tx.commit().await.context("commit an email change")?;
        self.audit()
            .record(
                Some(account_id),
                "account.email_change_asked",
                Outcome::Ok,
                Some(new_email.as_str()),
                &caller.actor,
                &caller.origin,
            )
            .await
    }

    /// Makes the email change a link was mailed for; both addresses are told.
    pub async fn confirm_email_change(
        &self,
        secret: &str,
        origin: &Origin,
    ) -> Result<String, DomainError> {
        let attempt = Attempt::Link {
            ip: origin.ip.clone(),
        };
        let reserved = self.attempts().reserve(&attempt).await?;
        let mut tx = self.begin_write(&[]).await?;
        let Some(link) = self
            .links()
            .consume(&mut tx, LinkPurpose::EmailChange, secret)
            .await?
        else {
            drop(tx);
            self.attempts().failed(reserved).await?;
            return Err(link_gone());
        };
        let account_id = link
            .account_id
            .context("an email link without an account")?;
        let new = link.email.context("an email link without an address")?;
        let old: String = sqlx::query_scalar("select email from accounts where id = $1")
            .bind(account_id)
            .fetch_one(&mut *tx)
            .await
            .context("read the old email")?;
        let changed = sqlx::query("update accounts set email = $1, updated_at = $2 where id = $3")
            .bind(&new)
            .bind(self.now().timestamp())
            .bind(account_id)
            .execute(&mut *tx)
            .await;
        match changed {
            Ok(_) => {}
            Err(sqlx::Error::Database(e)) if is_unique_violation(e.as_ref(), "accounts.email") => {
                return Err(DomainError::InvalidParam(
                    "another account has this email now, so it cannot be yours".into(),
                ))
            }
            Err(e) => return Err(anyhow::Error::new(e).context("change the email").into()),
        }
        let context = context_of(self.now(), origin);
        let kind = MailKind::EmailChanged {
            old: old.clone(),
            new: new.clone(),
        };
        let language: Option<String> =
            sqlx::query_scalar("select language from accounts where id = $1")
                .bind(account_id)
                .fetch_one(&mut *tx)
                .await
                .context("read the account's language")?;
        let language = Language::from_code(language.as_deref());
        for to in [&old, &new] {
            self.outbox()
                .queue_on(
                    &mut tx,
                    Some(account_id),
                    to,
                    language,
                    kind.clone(),
                    context.clone(),
                )
                .await?;
        }
        // Tokens and sessions carry the email: every replica reads them again.
        self.changes()
            .commit(tx, Change::Account(account_id), "commit the new email")
            .await?;
        self.attempts().succeeded(reserved, &attempt).await?;
        self.audit()
            .record(
                Some(account_id),
                "account.email_change",
                Outcome::Ok,
                Some(&format!("{old} → {new}")),
                &Actor::Anonymous,
                origin,
            )
            .await?;
        Ok(new)
    }

    /// Deletes the caller's account after the password (and a code where two-factor is
    /// on): its tokens, sessions, share links, uploads and environments go at once, on
    /// every replica; the email may sign up again.
    pub async fn delete(
        &self,
        caller: &Caller,
        password: &str,
        code: Option<&str>,
    ) -> Result<(), DomainError> {
        let account_id = caller.account.id;
        self.passwords()
            .confirm(account_id, password, &caller.origin)
            .await?;
        self.two_factor()
            .second_factor(account_id, code, &caller.origin)
            .await?;
        self.remove(account_id, Actor::Session, &caller.origin)
            .await
    }

    /// The operator deletes the account with `email`.
    pub async fn delete_by_operator(&self, email: &Email) -> Result<i64, DomainError> {
        let id: i64 = sqlx::query_scalar("select id from accounts where email = $1")
            .bind(email.as_str())
            .fetch_optional(&self.db)
            .await
            .context("look up the account")?
            .ok_or_else(|| DomainError::NotFound(format!("no account {}", email.as_str())))?;
        self.remove(id, Actor::Operator, &Origin::default()).await?;
        Ok(id)
    }

    /// Removes an account and everything it holds, tells the owner, and leaves one line
    /// (no email) in the log of the server.
    async fn remove(
        &self,
        account_id: i64,
        actor: Actor,
        origin: &Origin,
    ) -> Result<(), DomainError> {
        let mut tx = self.begin_write(&[WriteKey::Account(account_id)]).await?;
        let files: Vec<String> =
            sqlx::query_scalar("select public_id from uploads where account_id = $1")
                .bind(account_id)
                .fetch_all(&mut *tx)
                .await
                .context("list the account's uploads")?;
        self.outbox()
            .notify_on(
                &mut tx,
                account_id,
                MailKind::AccountDeleted {
                    by_operator: actor == Actor::Operator,
                },
                context_of(self.now(), origin),
            )
            .await?;
        let done = sqlx::query("delete from accounts where id = $1")
            .bind(account_id)
            .execute(&mut *tx)
            .await
            .context("delete the account")?;
        if done.rows_affected() == 0 {
            return Err(DomainError::NotAuthenticated);
        }
        self.changes()
            .commit(
                tx,
                Change::Account(account_id),
                "commit the account's deletion",
            )
            .await?;
        let dir = self.settings.data_dir.join("uploads");
        for public_id in files {
            if let Err(e) = tokio::fs::remove_file(dir.join(&public_id)).await {
                if e.kind() != std::io::ErrorKind::NotFound {
                    tracing::warn!(error = %e, "remove a deleted account's upload");
                }
            }
        }
        tracing::info!(account_id, by = actor.label(), "account deleted");
        self.audit()
            .record(
                None,
                "account.delete",
                Outcome::Ok,
                Some(&format!("account {account_id}")),
                &actor,
                origin,
            )
            .await
    }
}
