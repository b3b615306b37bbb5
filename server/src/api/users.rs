//! `users.authentication` and `users.account`.

use domain::catalogue::{self, ApiSet, Method};
use domain::scope::ScopeRequest;
use domain::tokens::{
    self, parse_expiry, Allowlist, Description, Grant, RevealedToken, TokenDraft, TokenEdit,
};
use domain::{Caller, DomainError, Platform};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use wire::{decode, Id, Password, Required};

use super::views::{self, Empty, TokenView};
use super::{reply, reply_secret, Params, Reply};

#[derive(Deserialize)]
struct Signin {
    login: Required,
    password: Password,
    code: Option<String>,
}

/// What `Signin` answers. `status` is the account's, as the platform reports it (1:
/// active); the platform's Ruby client reads it with `fetch`, which raises without it.
#[derive(Serialize)]
struct SignedIn {
    session: String,
    uid: i64,
    email: String,
    status: i64,
}

/// An account that may sign in, as the platform numbers it.
const ACCOUNT_ACTIVE: i64 = 1;

#[derive(Deserialize)]
struct Ids {
    ids: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateToken {
    password: Password,
    description: Required,
    token_template: Option<String>,
    api_list: Option<Vec<String>>,
    allowed_ips: Option<String>,
    expires_at: Option<String>,
    env_names: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct EditToken {
    password: Password,
    id: Id,
    description: Option<String>,
    token_template: Option<String>,
    api_list: Option<Vec<String>>,
    allowed_ips: Option<String>,
    expires_at: Option<String>,
    env_names: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RegenerateToken {
    password: Password,
    id: Option<String>,
    ids: Option<Vec<String>>,
    expires_at: Option<String>,
}

#[derive(Deserialize)]
struct DeleteTokens {
    password: Password,
    ids: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct Search {
    search: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ChangePassword {
    old_password: Password,
    new_password: Password,
}

#[derive(Serialize)]
struct Count {
    count: u64,
}

/// A token as its one revealing answer shows it: with its value.
#[derive(Serialize)]
struct Revealed<'a> {
    token: RevealedView<'a>,
}

#[derive(Serialize)]
struct RevealedView<'a> {
    #[serde(flatten)]
    token: TokenView<'a>,
    key: &'a str,
}

#[derive(Serialize)]
struct OneToken<'a> {
    token: TokenView<'a>,
}

#[derive(Serialize)]
struct Verified<'a> {
    credential: &'static str,
    uid: i64,
    email: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<TokenView<'a>>,
}

#[derive(Serialize)]
struct Account<'a> {
    uid: i64,
    email: &'a str,
    #[serde(rename = "createdAt", skip_serializing_if = "Option::is_none")]
    created_at: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SessionView {
    id: i64,
    created_at: String,
    last_used: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_agent: Option<String>,
    current: bool,
}

#[derive(Serialize)]
struct Sessions {
    sessions: Vec<SessionView>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Permission {
    method: &'static str,
    service: &'static str,
    summary: &'static str,
    docs_url: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Permissions {
    token_permissions: Vec<Permission>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Template {
    id: &'static str,
    name: &'static str,
    api_list: Vec<&'static str>,
}

#[derive(Serialize)]
struct Templates {
    templates: Vec<Template>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TokenList<'a> {
    api_tokens: Vec<TokenView<'a>>,
}

pub async fn call(
    platform: &Platform,
    method: &Method,
    caller: Option<Caller>,
    params: &Params,
    origin: &domain::accounts::Origin,
) -> Reply {
    if method.id == "users.authentication.Signin" {
        let input: Signin = decode(method, params)?;
        let session = platform
            .sessions()
            .sign_in(
                &input.login.0,
                input.password.expose(),
                input.code.as_deref(),
                origin,
            )
            .await?;
        return reply_secret(SignedIn {
            session: session.value.expose_secret().to_owned(),
            uid: session.account.id,
            email: session.account.email,
            status: ACCOUNT_ACTIVE,
        });
    }
    let caller = caller.ok_or(DomainError::NotAuthenticated)?;
    let account = caller.account.id;
    match method.name() {
        "Signout" => {
            if let Some(id) = caller.session_id {
                platform.sessions().sign_out(id).await?;
            }
            reply(Empty {})
        }
        "VerifyToken" => {
            let token = match caller.token_id {
                Some(id) => platform
                    .tokens()
                    .list(account, Some(&[id]))
                    .await?
                    .into_iter()
                    .next()
                    .map(Some)
                    .ok_or(DomainError::NotAuthenticated)?,
                None => None,
            };
            reply(Verified {
                credential: if caller.token_id.is_some() {
                    "token"
                } else {
                    "session"
                },
                uid: account,
                email: &caller.account.email,
                token: token.as_ref().map(TokenView::of),
            })
        }
        "CheckSign" => reply(Account {
            uid: account,
            email: &caller.account.email,
            created_at: None,
        }),
        "GetSessions" => {
            let sessions = platform.sessions().list(account).await?;
            reply(Sessions {
                sessions: sessions
                    .into_iter()
                    .map(|s| SessionView {
                        id: s.id,
                        created_at: views::time(s.created_at),
                        last_used: views::time(s.last_used_at),
                        ip: s.ip,
                        user_agent: s.user_agent,
                        current: Some(s.id) == caller.session_id,
                    })
                    .collect(),
            })
        }
        "SignoutSessions" => {
            let Ids { ids } = decode(method, params)?;
            let ids = tokens::ids("ids", ids.unwrap_or_default())?;
            let count = platform.sessions().sign_out_these(account, &ids).await?;
            reply(Count { count })
        }
        "CreateToken" => {
            let input: CreateToken = decode(method, params)?;
            let draft = TokenDraft {
                description: Description::parse(&input.description.0)?,
                grant: Grant::from_list(input.token_template.as_deref(), input.api_list)?,
                allowlist: Allowlist::parse(input.allowed_ips.as_deref().unwrap_or_default())?,
                expires_at: parse_expiry(
                    input.expires_at.as_deref().unwrap_or_default(),
                    platform.now(),
                )?,
                scope: input
                    .env_names
                    .map(ScopeRequest::parse)
                    .transpose()?
                    .unwrap_or(ScopeRequest::All),
            };
            let revealed = platform
                .tokens()
                .create(&caller, input.password.expose(), draft)
                .await?;
            reveal(&revealed)
        }
        "EditToken" => {
            let input: EditToken = decode(method, params)?;
            let edit = TokenEdit {
                description: input
                    .description
                    .as_deref()
                    .map(Description::parse)
                    .transpose()?,
                grant: if input.token_template.is_some() || input.api_list.is_some() {
                    Some(Grant::from_list(
                        input.token_template.as_deref(),
                        input.api_list,
                    )?)
                } else {
                    None
                },
                expires_at: input
                    .expires_at
                    .as_deref()
                    .map(|e| parse_expiry(e, platform.now()))
                    .transpose()?,
                allowlist: input
                    .allowed_ips
                    .as_deref()
                    .map(Allowlist::parse)
                    .transpose()?,
                scope: input.env_names.map(ScopeRequest::parse).transpose()?,
                narrow_only: false,
            };
            let token = platform
                .tokens()
                .edit(&caller, input.password.expose(), input.id.0, edit)
                .await?;
            reply(OneToken {
                token: TokenView::of(&token),
            })
        }
        "RegenerateToken" => {
            let input: RegenerateToken = decode(method, params)?;
            let id = one_id(input.id.as_deref(), input.ids)?;
            let expires_at = input
                .expires_at
                .as_deref()
                .map(|e| parse_expiry(e, platform.now()))
                .transpose()?;
            let revealed = platform
                .tokens()
                .regenerate(&caller, input.password.expose(), id, expires_at)
                .await?;
            reveal(&revealed)
        }
        "DeleteTokens" => {
            let input: DeleteTokens = decode(method, params)?;
            let ids = tokens::ids("ids", input.ids.unwrap_or_default())?;
            let count = platform
                .tokens()
                .delete(&caller, input.password.expose(), &ids)
                .await?;
            reply(Count { count })
        }
        "GetTokens" => {
            // No ids, or `*` as the platform writes it, lists every token.
            let Ids { ids } = decode(method, params)?;
            let ids = match ids.unwrap_or_default() {
                items if items.is_empty() || items == ["*"] => None,
                items => Some(tokens::ids("ids", items)?),
            };
            let tokens = platform.tokens().list(account, ids.as_deref()).await?;
            reply(TokenList {
                api_tokens: tokens.iter().map(TokenView::of).collect(),
            })
        }
        "GetTokenApiList" => {
            let Search { search } = decode(method, params)?;
            let needle = search.unwrap_or_default().trim().to_lowercase();
            reply(Permissions {
                token_permissions: catalogue::grantable()
                    .filter(|m| m.matches(&needle))
                    .map(|m| Permission {
                        method: m.id,
                        service: m.service_id(),
                        summary: m.summary,
                        docs_url: m.docs_path(),
                    })
                    .collect(),
            })
        }
        "GetTokenTemplates" => reply(Templates {
            templates: ApiSet::PREDEFINED
                .iter()
                .map(|s| Template {
                    id: s.key(),
                    name: s.name(),
                    api_list: s.methods(),
                })
                .collect(),
        }),
        "GetUserInfo" => {
            let (info, created) = platform.accounts().get(account).await?;
            reply(Account {
                uid: info.id,
                email: &info.email,
                created_at: Some(views::time(created)),
            })
        }
        "ChangePassword" => {
            let input: ChangePassword = decode(method, params)?;
            platform
                .lifecycle()
                .change_password(
                    &caller,
                    input.old_password.expose(),
                    input.new_password.expose().to_owned(),
                )
                .await?;
            reply(Empty {})
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}

/// The one answer that carries a token's value: CreateToken's and RegenerateToken's.
fn reveal(revealed: &RevealedToken) -> Reply {
    reply_secret(Revealed {
        token: RevealedView {
            token: TokenView::of(&revealed.token),
            key: revealed.key.expose(),
        },
    })
}

/// RegenerateToken's `id`; py-jelastic sends it as `ids`, which then names one token.
fn one_id(id: Option<&str>, ids: Option<Vec<String>>) -> Result<i64, DomainError> {
    match (id, ids) {
        (None, Some(items)) => match tokens::ids("ids", items)?.as_slice() {
            [id] => Ok(*id),
            _ => Err(DomainError::param("ids", "must name one token")),
        },
        (id, _) => id
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .ok_or_else(|| DomainError::param("id", "is required"))?
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| DomainError::param("id", "is not an id")),
    }
}
