//! Server-side helpers for server functions: the platform handle, who is calling
//! (from the session cookie) and the session cookie itself.

use std::net::{IpAddr, SocketAddr};

use axum::extract::ConnectInfo;
use domain::accounts::Origin;
use domain::audit::Actor;
use domain::{Caller, DomainError, Platform};
use http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;

use crate::error::AppError;

pub const SESSION_COOKIE: &str = "patio_session";

pub fn platform() -> Result<Platform, AppError> {
    use_context::<Platform>().ok_or_else(|| DomainError::Internal.into())
}

/// The value of the session cookie in these headers.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The client's address as the server resolved it (the TCP peer, or the client a
/// trusted proxy names); set on every request before any handler runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientIp(pub IpAddr);

/// The caller's address and user agent.
pub async fn origin() -> Origin {
    let parts = use_context::<http::request::Parts>();
    let resolved = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<ClientIp>().map(|c| c.0));
    let ip = match resolved {
        Some(ip) => Some(ip),
        None => leptos_axum::extract::<ConnectInfo<SocketAddr>>()
            .await
            .ok()
            .map(|ConnectInfo(a)| a.ip()),
    };
    let headers = leptos_axum::extract::<HeaderMap>()
        .await
        .unwrap_or_default();
    Origin {
        ip: ip.map(|ip| ip.to_string()),
        user_agent: headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// The signed-in caller, or 701.
pub async fn caller() -> Result<Caller, AppError> {
    let platform = platform()?;
    let headers = leptos_axum::extract::<HeaderMap>()
        .await
        .map_err(AppError::Transport)?;
    let value = session_cookie(&headers).ok_or(DomainError::NotAuthenticated)?;
    let (account, session_id) = platform.sessions().resolve(&value).await?;
    Ok(Caller {
        account,
        actor: Actor::Session,
        session_id: Some(session_id),
        token_id: None,
        origin: origin().await,
    })
}

fn set_cookie(value: &str, max_age: i64) {
    let secure =
        use_context::<Platform>().is_some_and(|p| p.settings.public_url.starts_with("https://"));
    let cookie = format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    );
    if let (Some(response), Ok(header)) = (
        use_context::<ResponseOptions>(),
        HeaderValue::from_str(&cookie),
    ) {
        response.append_header(SET_COOKIE, header);
    }
}

/// Signs in, sets the session cookie and sends the browser to the dashboard.
pub async fn enter_dashboard(
    platform: &Platform,
    email: &str,
    password: &str,
    code: Option<&str>,
) -> Result<(), AppError> {
    let session = platform
        .sessions()
        .sign_in(email, password, code, &origin().await)
        .await?;
    set_cookie(
        &session.value,
        (session.expires_at - platform.now()).num_seconds(),
    );
    leptos_axum::redirect("/");
    Ok(())
}

pub fn end_session() {
    set_cookie("", 0);
}
