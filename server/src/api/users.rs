//! `users.authentication` and `users.account`.

use domain::catalogue::{self, ApiSet, Method};
use domain::tokens::{self, parse_expiry, Allowlist, Description, Grant, TokenDraft, TokenEdit};
use domain::{Caller, DomainError, Platform};
use serde_json::json;

use super::{fields, views, Params, Reply};

pub async fn call(
    platform: &Platform,
    method: &Method,
    caller: Option<Caller>,
    params: &Params,
    origin: &domain::accounts::Origin,
) -> Reply {
    if method.id == "users.authentication.Signin" {
        let login = params.required("login")?;
        let password = params.password("password")?;
        let code = params.optional("code")?;
        let session = platform
            .sessions()
            .sign_in(login, password, code, origin)
            .await?;
        return Ok(fields(json!({
            "session": session.value,
            "uid": session.account.id,
            "email": session.account.email,
        })));
    }
    let caller = caller.ok_or(DomainError::NotAuthenticated)?;
    let account = caller.account.id;
    match method.name() {
        "Signout" => {
            if let Some(id) = caller.session_id {
                platform.sessions().sign_out(id).await?;
            }
            Ok(fields(json!({})))
        }
        "VerifyToken" => {
            let mut answer = json!({
                "credential": if caller.token_id.is_some() { "token" } else { "session" },
                "uid": account,
                "email": caller.account.email,
            });
            if let Some(id) = caller.token_id {
                let token = platform
                    .tokens()
                    .list(account, Some(&[id]))
                    .await?
                    .into_iter()
                    .next()
                    .ok_or(DomainError::NotAuthenticated)?;
                answer["token"] = views::token(&token);
            }
            Ok(fields(answer))
        }
        "CheckSign" => Ok(fields(
            json!({ "uid": account, "email": caller.account.email }),
        )),
        "GetSessions" => {
            let sessions = platform.sessions().list(account).await?;
            Ok(fields(json!({
                "sessions": sessions.iter().map(|s| json!({
                    "id": s.id,
                    "createdAt": views::time(s.created_at),
                    "lastUsed": views::time(s.last_used_at),
                    "ip": s.ip,
                    "userAgent": s.user_agent,
                    "current": Some(s.id) == caller.session_id,
                })).collect::<Vec<_>>()
            })))
        }
        "SignoutSessions" => {
            let ids = required_ids(params)?;
            let count = platform.sessions().sign_out_these(account, &ids).await?;
            Ok(fields(json!({ "count": count })))
        }
        "CreateToken" => {
            let password = params.password("password")?;
            let draft = TokenDraft {
                description: Description::parse(params.required("description")?)?,
                grant: Grant::from_list(
                    params.optional("tokenTemplate")?,
                    params.list("apiList")?,
                )?,
                allowlist: Allowlist::parse(params.optional("allowedIps")?.unwrap_or_default())?,
                expires_at: parse_expiry(
                    params.optional("expiresAt")?.unwrap_or_default(),
                    platform.now(),
                )?,
            };
            let revealed = platform.tokens().create(&caller, password, draft).await?;
            let mut token = views::token(&revealed.token);
            token["key"] = json!(revealed.key);
            Ok(fields(json!({ "token": token })))
        }
        "EditToken" => {
            let password = params.password("password")?;
            let id = params.id("id")?;
            let template = params.optional("tokenTemplate")?;
            let api_list = params.list("apiList")?;
            let edit = TokenEdit {
                description: params
                    .optional("description")?
                    .map(Description::parse)
                    .transpose()?,
                grant: if template.is_some() || api_list.is_some() {
                    Some(Grant::from_list(template, api_list)?)
                } else {
                    None
                },
                expires_at: params
                    .optional("expiresAt")?
                    .map(|e| parse_expiry(e, platform.now()))
                    .transpose()?,
                allowlist: params
                    .optional("allowedIps")?
                    .map(Allowlist::parse)
                    .transpose()?,
                narrow_only: false,
            };
            let token = platform.tokens().edit(&caller, password, id, edit).await?;
            Ok(fields(json!({ "token": views::token(&token) })))
        }
        "RegenerateToken" => {
            let password = params.password("password")?;
            let id = one_id(params)?;
            let expires_at = params
                .optional("expiresAt")?
                .map(|e| parse_expiry(e, platform.now()))
                .transpose()?;
            let revealed = platform
                .tokens()
                .regenerate(&caller, password, id, expires_at)
                .await?;
            let mut token = views::token(&revealed.token);
            token["key"] = json!(revealed.key);
            Ok(fields(json!({ "token": token })))
        }
        "DeleteTokens" => {
            let password = params.password("password")?;
            let ids = required_ids(params)?;
            let count = platform.tokens().delete(&caller, password, &ids).await?;
            Ok(fields(json!({ "count": count })))
        }
        "GetTokens" => {
            // No ids, or `*` as the platform writes it, lists every token.
            let ids = match params.list("ids")?.unwrap_or_default() {
                items if items.is_empty() || items == ["*"] => None,
                items => Some(tokens::ids("ids", items)?),
            };
            let tokens = platform.tokens().list(account, ids.as_deref()).await?;
            Ok(fields(
                json!({ "apiTokens": tokens.iter().map(views::token).collect::<Vec<_>>() }),
            ))
        }
        "GetTokenApiList" => {
            let needle = params
                .optional("search")?
                .unwrap_or_default()
                .trim()
                .to_lowercase();
            let list: Vec<_> = catalogue::grantable()
                .filter(|m| m.matches(&needle))
                .map(|m| json!({ "method": m.id, "service": m.service_id(), "summary": m.summary, "docsUrl": m.docs_path() }))
                .collect();
            Ok(fields(json!({ "tokenPermissions": list })))
        }
        "GetTokenTemplates" => Ok(fields(json!({
            "templates": ApiSet::PREDEFINED.iter().map(|s| json!({ "id": s.key(), "name": s.name(), "apiList": s.methods() })).collect::<Vec<_>>()
        }))),
        "GetUserInfo" => {
            let (info, created) = platform.accounts().get(account).await?;
            Ok(fields(
                json!({ "uid": info.id, "email": info.email, "createdAt": views::time(created) }),
            ))
        }
        "ChangePassword" => {
            let old = params.password("oldPassword")?;
            let new = params.password("newPassword")?.to_owned();
            platform
                .accounts()
                .change_password(account, caller.session_id, old, new, &caller.origin)
                .await?;
            Ok(fields(json!({})))
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}

fn required_ids(params: &Params) -> Result<Vec<i64>, DomainError> {
    tokens::ids("ids", params.list("ids")?.unwrap_or_default())
}

/// RegenerateToken's `id`; py-jelastic sends it as `ids`, which then names one token.
fn one_id(params: &Params) -> Result<i64, DomainError> {
    match (params.single("id")?, params.list("ids")?) {
        (None, Some(items)) => match tokens::ids("ids", items)?.as_slice() {
            [id] => Ok(*id),
            _ => Err(DomainError::param("ids", "must name one token")),
        },
        _ => params.id("id"),
    }
}
