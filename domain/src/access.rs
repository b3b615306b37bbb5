//! Who is calling: the one entry that turns a credential, what it is presented for and
//! the client's address into a `Caller`, or the refusal. Every rule of it is here: a
//! token calls only within its API set (though it may always ask about itself) and
//! only from its allowed networks, a session may do what its account may, and the
//! dashboard takes sessions only. A refused token call is counted and noted for the
//! Security Log; an accepted one is noted as the token's last use.

use secrecy::{ExposeSecret, SecretString};

use crate::accounts::{AccountInfo, Origin};
use crate::audit::Actor;
use crate::catalogue::{Access, Method};
use crate::error::DomainError;
use crate::tokens::{looks_like_token, TokenGrant};
use crate::Caller;

/// What a credential is presented for.
#[derive(Clone, Copy, Debug)]
pub enum Purpose {
    /// A REST method: a token within its grant and allowlist, or a session.
    Method(&'static Method),
    /// The dashboard's pages and server functions: a session only.
    Dashboard,
}

crate::platform::service! {
    /// Deciding who is calling: `platform.access()`.
    Gate, access
}

impl Gate<'_> {
    /// The caller behind `credential`, or why not. `None` for a public method, which
    /// needs no credential (and does not read one).
    pub async fn authorize(
        &self,
        credential: Option<&SecretString>,
        purpose: Purpose,
        origin: Origin,
    ) -> Result<Option<Caller>, DomainError> {
        if let Purpose::Method(method) = purpose {
            if method.access == Access::Public {
                return Ok(None);
            }
        }
        let value = credential
            .map(ExposeSecret::expose_secret)
            .filter(|v| !v.is_empty())
            .ok_or(DomainError::NotAuthenticated)?;
        match purpose {
            Purpose::Method(method) if looks_like_token(value) => {
                self.token_call(value, method, origin).await.map(Some)
            }
            _ => self.session_call(value, origin).await.map(Some),
        }
    }

    async fn token_call(
        &self,
        value: &str,
        method: &'static Method,
        origin: Origin,
    ) -> Result<Caller, DomainError> {
        let grant = self.tokens().verify(value).await?;
        let caller = token_caller(&grant, origin);
        let address = caller.origin.ip.as_deref().and_then(|ip| ip.parse().ok());
        if !grant.allowlist.allows(address) {
            self.stats.count(&self.stats.tokens_outside_allowlist);
            self.audit().outside_allowlist(&caller, method.id);
            return Err(DomainError::NotAuthenticated);
        }
        // Every token may ask about itself; anything else needs its set to allow it.
        if method.access != Access::Own && !grant.grant.allows(method) {
            self.stats.count(&self.stats.tokens_denied);
            self.audit().denied(&caller, method.id);
            return Err(DomainError::PermissionDenied(method.id.to_owned()));
        }
        self.stats.count(&self.stats.tokens_accepted);
        // A token asking about itself is not a use of it, and costs no write.
        if method.access != Access::Own {
            self.uses().touch(grant.token_id, &caller.origin, method.id);
        }
        Ok(caller)
    }

    async fn session_call(&self, value: &str, origin: Origin) -> Result<Caller, DomainError> {
        let (account, session_id) = self.sessions().resolve(value).await?;
        Ok(Caller {
            account,
            actor: Actor::Session,
            session_id: Some(session_id),
            token_id: None,
            origin,
        })
    }
}

fn token_caller(grant: &TokenGrant, origin: Origin) -> Caller {
    Caller {
        account: AccountInfo {
            id: grant.account_id,
            email: grant.email.clone(),
        },
        actor: Actor::Token {
            hint: grant.hint.clone(),
        },
        session_id: None,
        token_id: Some(grant.token_id),
        origin,
    }
}
