//! Storage of share links: the ciphertext a browser sealed, handed out once and deleted
//! as it is, cancelled or expired.

use super::{
    not_found, state_of, CreatedShare, Sealed, ShareId, ShareLifetime, ShareStatus, ShareView,
    KEPT_DAYS, OFFER_MINUTES, SHARE_ID_LEN,
};
use crate::accounts::Origin;
use crate::audit::{Actor, Outcome};
use crate::error::DomainError;
use crate::platform::{from_unix, random_base62, WriteKey};
use crate::scope::{describe_scope, SCOPE_COLUMNS};
use crate::tokens::{grant_of, stored_allowlist};
use crate::Caller;
use anyhow::Context;
use chrono::Duration;
use sqlx::Row;

crate::platform::service! {
    /// Share links: `platform.shares()`.
    Shares, shares
}

impl Shares<'_> {
    /// Lets the session that was just shown a token's value make one share link of it,
    /// for `OFFER_MINUTES`. Called inside the transaction that made the value.
    pub(crate) async fn offer(
        &self,
        conn: &mut sqlx::AnyConnection,
        caller: &Caller,
        token_id: i64,
    ) -> Result<(), DomainError> {
        let until = caller
            .session_id
            .map(|_| (self.now() + Duration::minutes(OFFER_MINUTES)).timestamp());
        sqlx::query("update tokens set share_session_id = $1, share_until = $2 where id = $3")
            .bind(caller.session_id)
            .bind(until)
            .bind(token_id)
            .execute(&mut *conn)
            .await
            .context("offer the value for sharing")?;
        // A waiting link holds the old value, which no longer works: it ends here.
        self.end_waiting(conn, token_id).await
    }

    async fn end_waiting(
        &self,
        conn: &mut sqlx::AnyConnection,
        token_id: i64,
    ) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        sqlx::query(
            "update token_shares set ciphertext = null, cancelled_at = $1, updated_at = $1
             where token_id = $2 and ciphertext is not null",
        )
        .bind(now)
        .bind(token_id)
        .execute(&mut *conn)
        .await
        .context("end waiting share links")?;
        Ok(())
    }

    /// Stores a link for a value the caller's session was shown in the last
    /// `OFFER_MINUTES`: the owner's session and the reveal it just saw are the
    /// authorisation, so no second password is asked. One offer makes one link; a new
    /// link ends the token's waiting one.
    pub async fn create(
        &self,
        caller: &Caller,
        token_id: i64,
        sealed: Sealed,
        lifetime: ShareLifetime,
    ) -> Result<CreatedShare, DomainError> {
        let session = caller.session_id.ok_or(DomainError::NotAuthenticated)?;
        let now = self.now();
        let mut tx = self
            .begin_write(&[WriteKey::Account(caller.account.id)])
            .await?;
        let row = sqlx::query(
            "select hint, share_session_id, share_until from tokens where id = $1 and account_id = $2",
        )
        .bind(token_id)
        .bind(caller.account.id)
        .fetch_optional(&mut *tx)
        .await
        .context("read token for sharing")?
        .ok_or_else(|| DomainError::NotFound(format!("no token {token_id} on this account")))?;
        let hint: String = row.get("hint");
        let offered_to: Option<i64> = row.get("share_session_id");
        let until: Option<i64> = row.get("share_until");
        if offered_to != Some(session) || until.is_none_or(|u| u < now.timestamp()) {
            return Err(DomainError::param(
                "token_id",
                format!(
                    "a share link is made from the dialog that shows a new value, within {OFFER_MINUTES} minutes; regenerate the token to share it"
                ),
            ));
        }
        sqlx::query("update tokens set share_session_id = null, share_until = null where id = $1")
            .bind(token_id)
            .execute(&mut *tx)
            .await
            .context("use the share offer")?;
        self.end_waiting(&mut tx, token_id).await?;
        let id = random_base62(SHARE_ID_LEN);
        let expires_at = now + lifetime.duration();
        sqlx::query(
            "insert into token_shares (public_id, token_id, account_id, ciphertext, expires_at, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&id)
        .bind(token_id)
        .bind(caller.account.id)
        .bind(sealed.bytes().to_vec())
        .bind(expires_at.timestamp())
        .bind(now.timestamp())
        .bind(now.timestamp())
        .execute(&mut *tx)
        .await
        .context("insert share link")?;
        tx.commit().await.context("commit share link")?;
        self.audit()
            .record(
                Some(caller.account.id),
                "share.create",
                Outcome::Ok,
                Some(&format!(
                    "token {token_id} ({hint}), link valid {}",
                    lifetime.key()
                )),
                &caller.actor,
                &caller.origin,
            )
            .await?;
        tracing::info!(token_id, lifetime = lifetime.key(), "share link created");
        Ok(CreatedShare { id, expires_at })
    }

    /// What a link grants, for anyone holding it; reading it changes nothing, so a chat
    /// program's link preview cannot use it up.
    pub async fn view(&self, id: &ShareId) -> Result<ShareView, DomainError> {
        let row = sqlx::query(&format!(
            "select a.email, t.description, t.api_set, t.expires_at as token_expires_at, t.allowed_ips,
                    (select string_agg(m.method_id, ',') from token_methods m where m.token_id = t.id) as methods,
                    case when s.ciphertext is null then 0 else 1 end as waiting, s.expires_at, s.opened_at, s.cancelled_at,
                    {SCOPE_COLUMNS}
             from token_shares s join tokens t on t.id = s.token_id join accounts a on a.id = s.account_id
             where s.public_id = $1 and a.disabled_at is null",
        ))
        .bind(id.as_str())
        .fetch_optional(&self.db)
        .await
        .context("read share link")?
        .ok_or_else(not_found)?;
        let expires_at = from_unix(row.get("expires_at"));
        let state = state_of(
            row.get::<i64, _>("waiting") != 0,
            expires_at,
            row.get::<Option<i64>, _>("opened_at")
                .map(|at| (from_unix(at), None)),
            row.get::<Option<i64>, _>("cancelled_at").map(from_unix),
            self.now(),
        );
        Ok(ShareView {
            owner: row.get("email"),
            description: row.get("description"),
            grant: grant_of(row.get("api_set"), row.get("methods"))?,
            token_expires_at: row.get::<Option<i64>, _>("token_expires_at").map(from_unix),
            allowlist: stored_allowlist(row.get("allowed_ips"))?,
            env_names: describe_scope(&row),
            link_expires_at: expires_at,
            state,
        })
    }

    /// Hands out a waiting link's ciphertext once and deletes it in the same
    /// transaction; the owner's Security Log records it with the opener's address.
    pub async fn open(&self, id: &ShareId, origin: &Origin) -> Result<Sealed, DomainError> {
        let now = self.now().timestamp();
        // Two openings of one link take turns: the second finds it used.
        let mut tx = self
            .begin_write(&[WriteKey::Share(id.as_str().to_owned())])
            .await?;
        let row = sqlx::query(
            "select s.id, s.account_id, s.token_id, s.ciphertext, s.expires_at, t.hint
             from token_shares s join tokens t on t.id = s.token_id join accounts a on a.id = s.account_id
             where s.public_id = $1 and a.disabled_at is null",
        )
        .bind(id.as_str())
        .fetch_optional(&mut *tx)
        .await
        .context("read share link")?
        .ok_or_else(not_found)?;
        let ciphertext: Option<Vec<u8>> = row.get("ciphertext");
        let sealed = ciphertext
            .filter(|_| row.get::<i64, _>("expires_at") > now)
            .and_then(Sealed::from_bytes)
            .ok_or_else(|| {
                DomainError::NotFound(
                    "this share link was already used, was cancelled or has expired".into(),
                )
            })?;
        let (row_id, account_id, token_id): (i64, i64, i64) =
            (row.get("id"), row.get("account_id"), row.get("token_id"));
        let hint: String = row.get("hint");
        sqlx::query(
            "update token_shares set ciphertext = null, opened_at = $1, opened_ip = $2, updated_at = $1 where id = $3",
        )
        .bind(now)
        .bind(origin.ip.as_deref())
        .bind(row_id)
        .execute(&mut *tx)
        .await
        .context("use share link")?;
        tx.commit().await.context("commit share link use")?;
        self.audit()
            .record(
                Some(account_id),
                "share.open",
                Outcome::Ok,
                Some(&format!("token {token_id} ({hint})")),
                &Actor::ShareLink,
                origin,
            )
            .await?;
        tracing::info!(token_id, "share link opened");
        Ok(sealed)
    }

    /// The token's latest link, as its owner sees it.
    pub async fn latest(
        &self,
        account_id: i64,
        token_id: i64,
    ) -> Result<Option<ShareStatus>, DomainError> {
        let row = sqlx::query(
            "select case when ciphertext is null then 0 else 1 end as waiting, expires_at, opened_at, opened_ip, cancelled_at, created_at
             from token_shares where token_id = $1 and account_id = $2 order by id desc limit 1",
        )
        .bind(token_id)
        .bind(account_id)
        .fetch_optional(&self.db)
        .await
        .context("read latest share link")?;
        Ok(row.map(|row| {
            let expires_at = from_unix(row.get("expires_at"));
            ShareStatus {
                created_at: from_unix(row.get("created_at")),
                expires_at,
                state: state_of(
                    row.get::<i64, _>("waiting") != 0,
                    expires_at,
                    row.get::<Option<i64>, _>("opened_at")
                        .map(|at| (from_unix(at), row.get("opened_ip"))),
                    row.get::<Option<i64>, _>("cancelled_at").map(from_unix),
                    self.now(),
                ),
            }
        }))
    }

    /// Ends the token's waiting link; its ciphertext is deleted.
    pub async fn cancel(&self, caller: &Caller, token_id: i64) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        let mut tx = self
            .begin_write(&[WriteKey::Account(caller.account.id)])
            .await?;
        let done = sqlx::query(
            "update token_shares set ciphertext = null, cancelled_at = $1, updated_at = $1
             where token_id = $2 and account_id = $3 and ciphertext is not null and expires_at > $1",
        )
        .bind(now)
        .bind(token_id)
        .bind(caller.account.id)
        .execute(&mut *tx)
        .await
        .context("cancel share link")?;
        tx.commit().await.context("commit share cancellation")?;
        if done.rows_affected() == 0 {
            return Err(DomainError::NotFound(format!(
                "no waiting share link for token {token_id} on this account"
            )));
        }
        self.audit()
            .record(
                Some(caller.account.id),
                "share.cancel",
                Outcome::Ok,
                Some(&format!("token {token_id}")),
                &caller.actor,
                &caller.origin,
            )
            .await
    }

    /// Deletes the ciphertext of links that expired unopened, and links gone for
    /// `KEPT_DAYS`. Looks first, so that a quiet minute costs no write.
    pub(crate) async fn prune(&self) -> Result<(), DomainError> {
        let now = self.now().timestamp();
        let kept = now - KEPT_DAYS * 86_400;
        let due: Option<i64> = sqlx::query_scalar(
            "select id from token_shares where (ciphertext is not null and expires_at <= $1) or expires_at < $2 limit 1",
        )
        .bind(now)
        .bind(kept)
        .fetch_optional(&self.db)
        .await
        .context("look for expired share links")?;
        if due.is_none() {
            return Ok(());
        }
        // Each statement stands alone: no read decides a write here.
        let mut tx = self.begin_write(&[]).await?;
        sqlx::query(
            "update token_shares set ciphertext = null, updated_at = $1 where ciphertext is not null and expires_at <= $1",
        )
        .bind(now)
        .execute(&mut *tx)
        .await
        .context("delete expired share ciphertexts")?;
        sqlx::query("delete from token_shares where expires_at < $1")
            .bind(kept)
            .execute(&mut *tx)
            .await
            .context("delete old share links")?;
        tx.commit().await.context("commit share pruning")?;
        Ok(())
    }
}
