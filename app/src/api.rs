//! The dashboard's server functions. Each one parses its input, calls one domain
//! service with the signed-in caller, and maps the result; no rule lives here.

use domain::accounts::{
    AccountInfo, AccountSettings, LinkPurpose, RecoveryCodes, SignUpOutcome, TwoFactorStatus,
};
use domain::catalogue::ApiSet;
use domain::environments::{Action, Environment};
use domain::passkeys::{Ceremony, PasskeySummary, PasskeysView};
use domain::shares::{CreatedShare, ShareStatus, ShareView};
use domain::tokens::{RevealedToken, Tightening, TokenSummary, TokenUsage};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::auth::{caller, platform};
use crate::error::AppError;

/// The signed-in account, or `None` when signed out.
#[server(endpoint = "current_account")]
pub async fn current_account() -> Result<Option<AccountInfo>, AppError> {
    match caller().await {
        Ok(caller) => {
            // Emails are written in the language the owner last used here.
            if let Some(language) = crate::locale::request_language() {
                platform()?
                    .notices()
                    .remember_language(caller.account.id, language)
                    .await?;
            }
            Ok(Some(caller.account))
        }
        Err(e) if e.is_signed_out() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Signs in; `code` is the two-factor code, asked for (704) once the password was right.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    #[server(default)] code: Option<String>,
) -> Result<(), AppError> {
    crate::auth::enter_dashboard(&platform()?, &email, &password, code.as_deref()).await
}

/// Signs up. Without mail the account is made and signed in; with mail the answer is
/// the same for every email (`CheckInbox`) and the inbox has the rest.
#[server(endpoint = "sign_up")]
pub async fn sign_up(email: String, password: String) -> Result<SignUpOutcome, AppError> {
    let platform = platform()?;
    let language = crate::locale::request_language().unwrap_or_default();
    let outcome = platform
        .lifecycle()
        .sign_up(&email, password.clone(), language, &crate::auth::origin())
        .await?;
    if outcome == SignUpOutcome::Created {
        crate::auth::enter_dashboard(&platform, &email, &password, None).await?;
    }
    Ok(outcome)
}

/// Whether this server sends mail: the sign-up and forgotten-password pages say what
/// happens next by it.
#[server(endpoint = "mail_on")]
pub async fn mail_on() -> Result<bool, AppError> {
    Ok(platform()?.settings.mail)
}

/// Asks for a link to set a new password; answered alike for every email.
#[server(endpoint = "forgot_password")]
pub async fn forgot_password(email: String) -> Result<(), AppError> {
    Ok(platform()?
        .recovery()
        .forgot(&email, &crate::auth::origin())
        .await?)
}

/// Whether a one-time link works now (its page says so before anything is typed).
#[server(endpoint = "link_works")]
pub async fn link_works(purpose: LinkPurpose, secret: String) -> Result<bool, AppError> {
    Ok(platform()?.links().works(purpose, &secret).await?)
}

/// Sets a new password from a reset link.
#[server(endpoint = "reset_password")]
pub async fn reset_password(secret: String, password: String) -> Result<(), AppError> {
    Ok(platform()?
        .recovery()
        .reset(&secret, password, &crate::auth::origin())
        .await?)
}

/// Makes the account a sign-up's link was mailed for, and signs it in.
#[server(endpoint = "verify_sign_up")]
pub async fn verify_sign_up(secret: String) -> Result<(), AppError> {
    let platform = platform()?;
    let language = crate::locale::request_language().unwrap_or_default();
    let session = platform
        .lifecycle()
        .verify_sign_up(&secret, language, &crate::auth::origin())
        .await?;
    crate::auth::enter_with(&platform, &session);
    Ok(())
}

/// Makes the email change a link was mailed for; answers the new email.
#[server(endpoint = "confirm_email")]
pub async fn confirm_email(secret: String) -> Result<String, AppError> {
    Ok(platform()?
        .lifecycle()
        .confirm_email_change(&secret, &crate::auth::origin())
        .await?)
}

/// What the Account tab shows.
#[server(endpoint = "account_settings")]
pub async fn load_account_settings() -> Result<AccountSettings, AppError> {
    let caller = caller().await?;
    Ok(platform()?.lifecycle().settings(caller.account.id).await?)
}

#[server(endpoint = "change_password")]
pub async fn change_password(current: String, new: String) -> Result<(), AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .lifecycle()
        .change_password(&caller, &current, new)
        .await?)
}

#[server(endpoint = "change_email")]
pub async fn change_email(password: String, email: String) -> Result<(), AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .lifecycle()
        .ask_email_change(&caller, &password, &email)
        .await?)
}

#[server(endpoint = "signin_notices")]
pub async fn signin_notices(on: bool) -> Result<(), AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .lifecycle()
        .set_notify_new_signin(&caller, on)
        .await?)
}

/// The Passkeys tab: the account's passkeys, and whether passkeys work here.
#[server(endpoint = "passkeys")]
pub async fn load_passkeys() -> Result<PasskeysView, AppError> {
    let caller = caller().await?;
    Ok(platform()?.passkeys().view(caller.account.id).await?)
}

/// Begins adding a passkey, after the password.
#[server(endpoint = "begin_passkey")]
pub async fn begin_passkey(password: String) -> Result<Ceremony, AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .passkeys()
        .begin_registration(&caller, &password)
        .await?)
}

/// Finishes adding a passkey with the browser's answer.
#[server(input = server_fn::codec::Json, endpoint = "finish_passkey")]
pub async fn finish_passkey(
    ceremony: String,
    credential: String,
    name: String,
) -> Result<PasskeySummary, AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .passkeys()
        .finish_registration(&caller, &ceremony, &credential, &name)
        .await?)
}

#[server(endpoint = "rename_passkey")]
pub async fn rename_passkey(id: i64, name: String) -> Result<(), AppError> {
    let caller = caller().await?;
    Ok(platform()?.passkeys().rename(&caller, id, &name).await?)
}

#[server(endpoint = "remove_passkey")]
pub async fn remove_passkey(id: i64, password: String) -> Result<(), AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .passkeys()
        .remove(&caller, &password, id)
        .await?)
}

/// Whether passkeys work on this server (its public URL names a host).
#[server(endpoint = "passkeys_on")]
pub async fn passkeys_on() -> Result<bool, AppError> {
    Ok(platform()?.passkeys().available())
}

/// Begins a sign-in with a passkey (no email typed).
#[server(endpoint = "begin_passkey_sign_in")]
pub async fn begin_passkey_sign_in() -> Result<Ceremony, AppError> {
    Ok(platform()?.passkeys().begin_sign_in().await?)
}

/// Finishes a sign-in with a passkey and enters the dashboard.
#[server(input = server_fn::codec::Json, endpoint = "finish_passkey_sign_in")]
pub async fn finish_passkey_sign_in(ceremony: String, credential: String) -> Result<(), AppError> {
    let platform = platform()?;
    let session = platform
        .passkeys()
        .finish_sign_in(&ceremony, &credential, &crate::auth::origin())
        .await?;
    crate::auth::enter_with(&platform, &session);
    Ok(())
}

/// Deletes the account (password, and the code where two-factor is on), then leaves.
#[server(endpoint = "delete_account")]
pub async fn delete_account(
    password: String,
    #[server(default)] code: Option<String>,
) -> Result<(), AppError> {
    let caller = caller().await?;
    platform()?
        .lifecycle()
        .delete(
            &caller,
            &password,
            code.as_deref().filter(|c| !c.trim().is_empty()),
        )
        .await?;
    crate::auth::end_session();
    leptos_axum::redirect("/signin");
    Ok(())
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    if let Ok(caller) = caller().await {
        if let Some(id) = caller.session_id {
            platform()?.sessions().sign_out(id).await?;
        }
    }
    crate::auth::end_session();
    leptos_axum::redirect("/signin");
    Ok(())
}

#[server(endpoint = "signup_open")]
pub async fn signup_open() -> Result<bool, AppError> {
    Ok(platform()?.settings.open_signup)
}

#[server(endpoint = "list_environments")]
pub async fn list_environments() -> Result<Vec<Environment>, AppError> {
    let caller = caller().await?;
    Ok(platform()?.environments().list(caller.account.id).await?)
}

/// The names of the account's environments, for the token form's Environments choice.
#[server(endpoint = "environment_names")]
pub async fn environment_names() -> Result<Vec<String>, AppError> {
    let caller = caller().await?;
    Ok(platform()?.environments().names(caller.account.id).await?)
}

#[server(endpoint = "create_environment")]
pub async fn create_environment(name: String, node_type: String) -> Result<(), AppError> {
    use domain::environments::{EnvName, NodeGroup, NodeSpec};
    let caller = caller().await?;
    let name = EnvName::parse(&name)?;
    let nodes = NodeGroup::from_specs(vec![NodeSpec {
        node_type: Some(node_type),
        ..NodeSpec::default()
    }])?;
    platform()?
        .environments()
        .create(&caller, &name, None, &nodes, None)
        .await?;
    Ok(())
}

#[server(endpoint = "change_environment")]
pub async fn change_environment(name: String, action: Action) -> Result<(), AppError> {
    let caller = caller().await?;
    let name = domain::environments::EnvName::parse(&name)?;
    platform()?
        .environments()
        .change_status(&caller, &name, action)
        .await?;
    Ok(())
}

#[server(endpoint = "delete_environment")]
pub async fn delete_environment(name: String, password: String) -> Result<(), AppError> {
    let caller = caller().await?;
    let name = domain::environments::EnvName::parse(&name)?;
    platform()?
        .environments()
        .delete(&caller, &password, &name)
        .await?;
    Ok(())
}

/// How many of the account's tokens expire within the warning window, and how many
/// have expired.
#[server(endpoint = "token_alerts")]
pub async fn token_alerts() -> Result<(usize, usize), AppError> {
    let caller = caller().await?;
    let platform = platform()?;
    let now = platform.now();
    let tokens = platform.tokens().list(caller.account.id, None).await?;
    let soon = tokens
        .iter()
        .filter(|t| t.expires_soon(now).is_some())
        .count();
    let expired = tokens.iter().filter(|t| t.is_expired(now)).count();
    Ok((soon, expired))
}

/// One page of the account's security log, newest first, as the filter picks it:
/// the newest entries, or those before (older than) or after (newer than) an entry.
#[server(endpoint = "security_log")]
pub async fn security_log(
    filter: String,
    #[server(default)] before: Option<i64>,
    #[server(default)] after: Option<i64>,
) -> Result<domain::audit::AuditPage, AppError> {
    use domain::audit::PageStart;
    let caller = caller().await?;
    let filter = domain::audit::AuditFilter::parse(&filter)
        .ok_or_else(|| domain::DomainError::param("filter", "is not a log filter"))?;
    let start = match (before, after) {
        (Some(id), _) => PageStart::Before(id),
        (None, Some(id)) => PageStart::After(id),
        (None, None) => PageStart::Newest,
    };
    Ok(platform()?
        .audit()
        .page(caller.account.id, filter, start)
        .await?)
}

#[server(endpoint = "list_tokens")]
pub async fn list_tokens() -> Result<Vec<TokenSummary>, AppError> {
    let caller = caller().await?;
    Ok(platform()?.tokens().list(caller.account.id, None).await?)
}

/// What the token form sends: a new token (`id` absent) or an edit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenForm {
    pub id: Option<i64>,
    pub description: String,
    pub api_set: ApiSet,
    pub methods: Vec<String>,
    /// `yyyy-mm-dd`, or empty for no expiry.
    pub expires: String,
    /// Networks the token may be used from; empty for anywhere.
    pub allowed_ips: String,
    /// The environments it may touch, names and patterns (`ci-*`); `None` for every one.
    pub environments: Option<Vec<String>>,
    pub password: String,
}

/// Keeps the revealed value out of every cache.
#[cfg(feature = "ssr")]
fn no_store() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
}

/// Creates a token (answering with its value, once) or edits one (answering `None`).
#[server(input = server_fn::codec::Json, endpoint = "save_token")]
pub async fn save_token(form: TokenForm) -> Result<Option<RevealedToken>, AppError> {
    use domain::scope::ScopeRequest;
    use domain::tokens::{parse_expiry, Description, Grant, TokenDraft, TokenEdit};
    let caller = caller().await?;
    let platform = platform()?;
    let description = Description::parse(&form.description)?;
    let grant = match form.api_set {
        ApiSet::Custom => Grant::custom(form.methods)?,
        set => Grant::predefined(set),
    };
    let expires_at = parse_expiry(&form.expires, platform.now())?;
    let allowlist = domain::tokens::Allowlist::parse(&form.allowed_ips)?;
    let scope = match form.environments {
        None => ScopeRequest::All,
        Some(list) => ScopeRequest::parse(list)?,
    };
    match form.id {
        None => {
            let draft = TokenDraft {
                description,
                grant,
                expires_at,
                allowlist,
                scope,
            };
            let revealed = platform
                .tokens()
                .create(&caller, &form.password, draft)
                .await?;
            no_store();
            Ok(Some(revealed))
        }
        Some(id) => {
            let edit = TokenEdit {
                description: Some(description),
                grant: Some(grant),
                expires_at: Some(expires_at),
                allowlist: Some(allowlist),
                scope: Some(scope),
                narrow_only: false,
            };
            platform
                .tokens()
                .edit(&caller, &form.password, id, edit)
                .await?;
            Ok(None)
        }
    }
}

/// A new value for a token; `expires` (`yyyy-mm-dd`) replaces its expiry when given.
#[server(input = server_fn::codec::Json, endpoint = "regenerate_token")]
pub async fn regenerate_token(
    id: i64,
    password: String,
    expires: Option<String>,
) -> Result<RevealedToken, AppError> {
    let caller = caller().await?;
    let platform = platform()?;
    let expires_at = expires
        .map(|e| domain::tokens::parse_expiry(&e, platform.now()))
        .transpose()?;
    let revealed = platform
        .tokens()
        .regenerate(&caller, &password, id, expires_at)
        .await?;
    no_store();
    Ok(revealed)
}

#[server(input = server_fn::codec::Json, endpoint = "delete_tokens")]
pub async fn delete_tokens(ids: Vec<i64>, password: String) -> Result<u64, AppError> {
    let caller = caller().await?;
    let ids = domain::tokens::unique_ids("ids", ids)?;
    Ok(platform()?
        .tokens()
        .delete(&caller, &password, &ids)
        .await?)
}

/// A token's last use, its calls per day for 30 days and the methods it called.
#[server(endpoint = "token_usage")]
pub async fn load_token_usage(id: i64) -> Result<TokenUsage, AppError> {
    let caller = caller().await?;
    Ok(platform()?.usage().report(caller.account.id, id).await?)
}

/// The Custom set of only the methods the token called in the last `days` days.
#[server(endpoint = "propose_tightening")]
pub async fn propose_tightening(id: i64, days: i64) -> Result<Tightening, AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .usage()
        .propose_tightening(caller.account.id, id, days)
        .await?)
}

/// Applies a proposal: the token keeps only `methods` and, when given, `environments`,
/// all of which it holds now.
#[server(input = server_fn::codec::Json, endpoint = "tighten_token")]
pub async fn tighten_token(
    id: i64,
    methods: Vec<String>,
    environments: Option<Vec<String>>,
    password: String,
) -> Result<TokenSummary, AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .usage()
        .tighten(&caller, &password, id, methods, environments)
        .await?)
}

/// Removes every token of the account, after the password.
#[server(endpoint = "revoke_all_tokens")]
pub async fn revoke_all_tokens(password: String) -> Result<u64, AppError> {
    let caller = caller().await?;
    Ok(platform()?.tokens().revoke_all(&caller, &password).await?)
}

/// One open session as the Sessions tab lists it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionRow {
    pub id: i64,
    #[serde(deserialize_with = "domain::times::utc")]
    pub created_at: chrono::DateTime<chrono::Utc>,
    #[serde(deserialize_with = "domain::times::utc")]
    pub last_used_at: chrono::DateTime<chrono::Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The session this page is seen through.
    pub current: bool,
}

#[server(endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<SessionRow>, AppError> {
    let caller = caller().await?;
    let sessions = platform()?.sessions().list(caller.account.id).await?;
    Ok(sessions
        .into_iter()
        .map(|s| SessionRow {
            current: Some(s.id) == caller.session_id,
            id: s.id,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            ip: s.ip,
            user_agent: s.user_agent,
        })
        .collect())
}

/// Ends every session of the account but this one, after the password.
#[server(endpoint = "sign_out_others")]
pub async fn sign_out_others(password: String) -> Result<u64, AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .sessions()
        .sign_out_others(
            caller.account.id,
            caller.session_id,
            &password,
            &caller.origin,
        )
        .await?)
}

/// Whether the account signs in with a second factor.
#[server(endpoint = "two_factor")]
pub async fn two_factor() -> Result<TwoFactorStatus, AppError> {
    let caller = caller().await?;
    Ok(platform()?.two_factor().status(caller.account.id).await?)
}

/// A new secret for the authenticator app, as text and as a QR code the server draws.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TwoFactorSetup {
    pub secret: String,
    /// `otpauth://…`: on a phone, a link the authenticator app opens.
    pub uri: String,
    /// An SVG image of the QR code, as a `data:` URL.
    pub qr: String,
}

impl std::fmt::Debug for TwoFactorSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TwoFactorSetup(***)")
    }
}

#[server(endpoint = "begin_two_factor")]
pub async fn begin_two_factor(password: String) -> Result<TwoFactorSetup, AppError> {
    let caller = caller().await?;
    let enrolment = platform()?.two_factor().begin(&caller, &password).await?;
    let qr = qr_svg(&enrolment.uri)?;
    Ok(TwoFactorSetup {
        secret: enrolment.secret,
        uri: enrolment.uri,
        qr: crate::format::data_url("image/svg+xml", &qr),
    })
}

#[cfg(feature = "ssr")]
fn qr_svg(text: &str) -> Result<String, AppError> {
    use qrcode::render::svg;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|_| domain::DomainError::Internal)?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build())
}

#[server(endpoint = "enable_two_factor")]
pub async fn enable_two_factor(code: String) -> Result<RecoveryCodes, AppError> {
    let caller = caller().await?;
    Ok(platform()?.two_factor().enable(&caller, &code).await?)
}

#[server(endpoint = "new_recovery_codes")]
pub async fn new_recovery_codes(password: String, code: String) -> Result<RecoveryCodes, AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .two_factor()
        .new_recovery_codes(&caller, &password, &code)
        .await?)
}

#[server(endpoint = "disable_two_factor")]
pub async fn disable_two_factor(password: String, code: String) -> Result<(), AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .two_factor()
        .disable(&caller, &password, &code)
        .await?)
}

/// Remembers the switcher's choice for the signed-in account (emails follow it);
/// signed out, there is nothing to remember it for.
#[server(endpoint = "remember_language")]
pub async fn remember_language(language: String) -> Result<(), AppError> {
    let language = domain::accounts::Language::parse(&language)
        .ok_or_else(|| domain::DomainError::param("language", "must be en or id"))?;
    match caller().await {
        Ok(caller) => Ok(platform()?
            .notices()
            .remember_language(caller.account.id, language)
            .await?),
        Err(e) if e.is_signed_out() => Ok(()),
        Err(e) => Err(e),
    }
}

/// Stores a share link for the value this session was just shown: only the nonce and
/// ciphertext the browser sealed (base64url), never the key.
#[server(endpoint = "create_share")]
pub async fn create_share(
    token_id: i64,
    ciphertext: String,
    lifetime: String,
) -> Result<CreatedShare, AppError> {
    use domain::shares::{Sealed, ShareLifetime};
    let caller = caller().await?;
    let sealed = Sealed::parse(&ciphertext)?;
    let lifetime = ShareLifetime::parse(&lifetime)?;
    Ok(platform()?
        .shares()
        .create(&caller, token_id, sealed, lifetime)
        .await?)
}

/// What a share link grants and what became of it; anyone with the link may ask, and
/// asking does not use it up.
#[server(endpoint = "share_view")]
pub async fn load_share_view(id: String) -> Result<ShareView, AppError> {
    let id = domain::shares::ShareId::parse(&id)?;
    no_store();
    Ok(platform()?.shares().view(&id).await?)
}

/// Hands out a waiting link's ciphertext (base64url) once, deleting it.
#[server(endpoint = "open_share")]
pub async fn open_share(id: String) -> Result<String, AppError> {
    let id = domain::shares::ShareId::parse(&id)?;
    let sealed = platform()?
        .shares()
        .open(&id, &crate::auth::origin())
        .await?;
    no_store();
    Ok(sealed.to_text())
}

/// The token's latest share link, for its detail panel.
#[server(endpoint = "share_status")]
pub async fn load_share_status(token_id: i64) -> Result<Option<ShareStatus>, AppError> {
    let caller = caller().await?;
    Ok(platform()?
        .shares()
        .latest(caller.account.id, token_id)
        .await?)
}

/// Cancels the token's waiting share link; its ciphertext is deleted.
#[server(endpoint = "cancel_share")]
pub async fn cancel_share(token_id: i64) -> Result<(), AppError> {
    let caller = caller().await?;
    Ok(platform()?.shares().cancel(&caller, token_id).await?)
}
