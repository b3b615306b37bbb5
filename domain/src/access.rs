//! Who is calling: the one entry that turns a credential, what it is presented for and
//! the client's address into a `Caller`, or the refusal. Every rule of it is here: a
//! token calls only within its API set (though it may always ask about itself), only
//! from its allowed networks and only on the environments of its scope; a session may
//! do what its account may, and the dashboard takes sessions only. A refused token call
//! is counted and noted for the Security Log; an accepted one is noted as the token's
//! last use.

use secrecy::{ExposeSecret, SecretString};

use crate::accounts::{AccountInfo, Origin};
use crate::audit::Actor;
use crate::catalogue::{Access, Method};
use crate::environments::EnvName;
use crate::error::DomainError;
use crate::scope::EnvScope;
use crate::tokens::{looks_like_token, TokenGrant};
use crate::Caller;

/// What a credential is presented for.
#[derive(Clone, Copy, Debug)]
pub enum Purpose<'a> {
    /// A REST method: a token within its grant, allowlist and scope, or a session. For
    /// a method that names or creates an environment (`Method::reach`), the name it
    /// gives, if it gave a well-formed one: the method then acts on exactly that name
    /// (one it cannot read answers 3 before touching anything).
    Method(&'static Method, Option<&'a EnvName>),
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
        purpose: Purpose<'_>,
        origin: Origin,
    ) -> Result<Option<Caller>, DomainError> {
        if let Purpose::Method(method, _) = purpose {
            if method.access == Access::Public {
                return Ok(None);
            }
        }
        let value = credential
            .map(ExposeSecret::expose_secret)
            .filter(|v| !v.is_empty())
            .ok_or(DomainError::NotAuthenticated)?;
        match purpose {
            Purpose::Method(method, env) if looks_like_token(value) => {
                self.token_call(value, method, env, origin).await.map(Some)
            }
            _ => self.session_call(value, origin).await.map(Some),
        }
    }

    async fn token_call(
        &self,
        value: &str,
        method: &'static Method,
        env: Option<&EnvName>,
        origin: Origin,
    ) -> Result<Caller, DomainError> {
        let grant = self.tokens().verify(value).await?;
        let caller = token_caller(&grant, origin);
        if !grant.allowlist.allows(caller.origin.ip.as_deref()) {
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
        if let (Some(scope), Some(name), true) = (&grant.scope, env, method.reach.names_one()) {
            if !within(scope, method, name) {
                self.stats.count(&self.stats.tokens_denied);
                self.audit()
                    .outside_scope(&caller, method.id, name.as_str());
                return Err(DomainError::OutsideScope(name.as_str().to_owned()));
            }
        }
        self.stats.count(&self.stats.tokens_accepted);
        // A token asking about itself is not a use of it, and costs no write.
        if method.access != Access::Own {
            let env = env.filter(|_| method.reach.names_one());
            self.uses()
                .touch(grant.token_id, &caller.origin, method.id, env);
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
            scope: None,
            origin,
        })
    }
}

/// Whether a limited token may act on the environment `name`: a name its patterns match
/// (which it may also create), or one its scope holds (the names it holds are its
/// environments' own: deleting one makes every replica read the token again). A name no
/// environment has is outside, whatever the method: the answer is the same as for
/// another's, so the token learns nothing beyond its scope.
fn within(scope: &EnvScope, method: &Method, name: &EnvName) -> bool {
    if method.reach == crate::catalogue::Reach::Creates {
        scope.matches_pattern(name.as_str())
    } else {
        scope.reaches_name(name.as_str())
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
        scope: grant.scope.clone(),
        origin,
    }
}
