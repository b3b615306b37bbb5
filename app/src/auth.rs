//! Server-side helpers for server functions: the platform handle, who is calling
//! (from the session cookie) and the session cookie itself.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRef, FromRequestParts};
use domain::access::Purpose;
use domain::accounts::Origin;
use domain::{Caller, DomainError, Platform};
use http::header::{COOKIE, SET_COOKIE, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use leptos::prelude::*;
use leptos_axum::ResponseOptions;
use secrecy::{ExposeSecret, SecretString};

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

/// Where a request comes from: the client's address as the server resolved it (the TCP
/// peer, or the client a trusted proxy names) and its user agent. REST calls and the
/// dashboard read it alike.
pub fn origin_of(parts: &http::request::Parts) -> Origin {
    let ip = parts.extensions.get::<ClientIp>().map(|c| c.0).or_else(|| {
        parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(a)| a.ip())
    });
    Origin {
        ip: ip.map(|ip| ip.to_string()),
        user_agent: parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    }
}

/// The caller of a server function's request.
pub fn origin() -> Origin {
    use_context::<http::request::Parts>()
        .as_ref()
        .map(origin_of)
        .unwrap_or_default()
}

/// The signed-in caller of a dashboard request, from its session cookie, or 701.
pub async fn signed_in(
    platform: &Platform,
    parts: &http::request::Parts,
) -> Result<Caller, DomainError> {
    let cookie = session_cookie(&parts.headers).map(SecretString::from);
    platform
        .access()
        .authorize(cookie.as_ref(), Purpose::Dashboard, origin_of(parts))
        .await?
        .ok_or(DomainError::NotAuthenticated)
}

/// The signed-in caller, for a server function, or 701.
pub async fn caller() -> Result<Caller, AppError> {
    let platform = platform()?;
    let parts = use_context::<http::request::Parts>().ok_or(DomainError::Internal)?;
    Ok(signed_in(&platform, &parts).await?)
}

/// An axum handler's signed-in caller (the dashboard's routes beside Leptos).
pub struct SignedIn(pub Caller);

impl<S> FromRequestParts<S> for SignedIn
where
    Platform: FromRef<S>,
    S: Send + Sync,
{
    /// A stranger goes to the sign-in page.
    type Rejection = axum::response::Response;

    async fn from_request_parts(
        parts: &mut http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        use axum::response::{IntoResponse, Redirect};
        match signed_in(&Platform::from_ref(state), parts).await {
            Ok(caller) => Ok(SignedIn(caller)),
            Err(DomainError::NotAuthenticated) => Err(Redirect::to("/signin").into_response()),
            Err(_) => Err(http::StatusCode::INTERNAL_SERVER_ERROR.into_response()),
        }
    }
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
        .sign_in(email, password, code, &origin())
        .await?;
    enter_with(platform, &session);
    Ok(())
}

/// Sets the cookie of a session just opened and sends the browser to the dashboard.
pub fn enter_with(platform: &Platform, session: &domain::accounts::NewSession) {
    set_cookie(
        session.value.expose_secret(),
        (session.expires_at - platform.now()).num_seconds(),
    );
    leptos_axum::redirect("/");
}

pub fn end_session() {
    set_cookie("", 0);
}
