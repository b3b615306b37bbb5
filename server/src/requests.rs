//! What happens around every request: its id (from a trusted proxy's `X-Request-Id`, or
//! made here) in the log span and in the answer's `X-Request-Id`; a deadline, past
//! which the request is stopped and answered 503; and one log line when it is answered,
//! with the id, the method and path (never the query, which may hold a credential),
//! the status, for an API call its method id and result code, the time taken and the
//! client's address.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use tracing::Instrument;

use crate::client::{ClientIp, TrustedProxies};
use crate::metrics::ApiOutcome;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// A request's id, in its extensions.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// An id a proxy may hand on: 1 to 64 letters, digits, `.`, `_` or `-`.
fn acceptable(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn new_id() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// The path as the log may show it: the one-time secrets some pages carry in their
/// path (a password reset, an email confirmation) are cut off.
pub fn loggable_path(path: &str) -> &str {
    for secret_bearing in ["/reset/", "/verify/", "/confirm-email/"] {
        if path.starts_with(secret_bearing) {
            return &secret_bearing[..secret_bearing.len() - 1];
        }
    }
    path
}

/// Gives the request its id and logs it once answered. Inside `client::resolve`, so the
/// client's address is known.
pub async fn log(
    State(proxies): State<TrustedProxies>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| a.ip());
    let handed_on = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|id| acceptable(id) && peer.is_some_and(|p| proxies.trusts(p)))
        .map(str::to_owned);
    let id = handed_on.unwrap_or_else(new_id);
    request.extensions_mut().insert(RequestId(id.clone()));
    // What the line says is gathered only when the line is written.
    let logged = tracing::enabled!(target: "patio::access", tracing::Level::INFO).then(|| {
        let client = request.extensions().get::<ClientIp>().map(|c| c.0);
        let path = loggable_path(request.uri().path()).to_owned();
        (request.method().clone(), path, client, Instant::now())
    });
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = next.run(request).instrument(span.clone()).await;
    if let Some((method, path, client, started)) = logged {
        let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
        let outcome = ApiOutcome::noted();
        let client = client.map(|c| c.to_string()).unwrap_or_default();
        span.in_scope(|| {
            tracing::info!(
                target: "patio::access",
                request_id = %id,
                http_method = %method,
                path = %path,
                status = response.status().as_u16(),
                api_method = outcome.map(|o| o.method),
                result = outcome.map(|o| o.result),
                duration_ms = (duration_ms * 1000.0).round() / 1000.0,
                client = %client,
                "answered"
            );
        });
    }
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID.clone(), value);
    }
    response
}

/// The request's `Content-Type`, if it is text.
pub(crate) fn content_type(headers: &axum::http::HeaderMap) -> Option<&str> {
    headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok())
}

/// Whether a media type starts with `kind` (lower case), in any case, without copying it.
pub(crate) fn is_type(media_type: &str, kind: &str) -> bool {
    media_type
        .get(..kind.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(kind))
}

/// How long a request may take: `--request-timeout`, twenty times that for an upload.
#[derive(Clone, Copy, Debug)]
pub struct Deadline(pub Duration);

/// Stops a request that runs past its deadline (its database work rolls back with it)
/// and answers 503: for the API, its JSON envelope with `result` 1.
pub async fn deadline(
    State(Deadline(limit)): State<Deadline>,
    request: Request,
    next: Next,
) -> Response {
    let upload = content_type(request.headers()).is_some_and(|t| is_type(t, "multipart/"));
    let limit = if upload { limit * 20 } else { limit };
    let api = request.uri().path().starts_with("/1.0/");
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let seconds = limit.as_secs();
            tracing::warn!(seconds, "a request ran past its deadline and was stopped");
            let error = format!("the server did not finish this request within {seconds} s and stopped it; try again");
            if api {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(serde_json::json!({ "result": 1, "error": error })),
                )
                    .into_response()
            } else {
                (StatusCode::SERVICE_UNAVAILABLE, error).into_response()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_match_in_any_case() {
        let kind = "multipart/form-data";
        assert!(is_type("Multipart/Form-Data; boundary=AbC", kind));
        assert!(is_type("multipart/form-data", kind));
        assert!(!is_type("multipart/mixed", kind));
        assert!(!is_type("multipart/", kind));
        // A cut inside a character is no match, not a panic.
        assert!(!is_type("multipart/form-dat\u{e9}", kind));
    }

    #[test]
    fn only_plain_ids_are_handed_on() {
        assert!(acceptable("3f2a9c1e-77b0-4c52-9d0e-5a1b2c3d4e5f"));
        assert!(acceptable("abc.DEF_123"));
        for bad in ["", "a b", "x\r\ny", "<script>", &"a".repeat(65)] {
            assert!(!acceptable(bad), "{bad:?}");
        }
        assert_eq!(new_id().len(), 16);
    }

    #[test]
    fn one_time_secrets_in_paths_are_not_logged() {
        assert_eq!(loggable_path("/reset/s3cretLinkId"), "/reset");
        assert_eq!(loggable_path("/confirm-email/abc"), "/confirm-email");
        assert_eq!(
            loggable_path("/settings/access-tokens"),
            "/settings/access-tokens"
        );
    }
}
