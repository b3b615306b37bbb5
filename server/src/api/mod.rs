//! The platform REST API: `/1.0/<group>/<service>/rest/<method>`, GET or POST, the
//! credential in `session` or `Authorization: Bearer`. One handler reads the call,
//! finds the method in the catalogue, checks the credential against it, and hands
//! the parameters to the group's module; every answer is JSON with `result`.

mod environment;
mod marketplace;
mod params;
mod storage;
mod users;
pub mod views;

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::accounts::Origin;
use domain::audit::Actor;
use domain::catalogue::{self, Access, Method};
use domain::environments::UploadSlot;
use domain::tokens::looks_like_token;
use domain::{Caller, DomainError, Platform};
use serde_json::{json, Map, Value};

pub use domain::params::Params;

use crate::client::ClientIp;
use crate::metrics::ApiOutcome;
use crate::AppState;

/// What a method answers beside `result: 0`.
pub type Reply = Result<Map<String, Value>, DomainError>;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/1.0/{group}/{service}/rest/{method}", get(call).post(call))
        .route("/1.0/openapi.json", get(crate::openapi::document))
}

async fn call(
    State(platform): State<Platform>,
    Path((group, service, name)): Path<(String, String, String)>,
    request: Request,
) -> Response {
    if too_large(&request) {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    }
    let headers = request.headers().clone();
    let origin = Origin {
        ip: request
            .extensions()
            .get::<ClientIp>()
            .map(|ClientIp(ip)| ip.to_string()),
        user_agent: headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let method = catalogue::method_at(&group, &service, &name);
    let outcome = async {
        let method = method
            .ok_or_else(|| DomainError::NotFound(format!("no method {group}.{service}.{name}")))?;
        let (params, received) = read_params(&platform, request, method, &headers, &origin).await?;
        let caller = match received.caller {
            Some(caller) => Some(caller),
            None => {
                let credential = credential(&params, &headers)?;
                authenticate(&platform, method, credential, origin.clone()).await?
            }
        };
        dispatch(&platform, method, caller, &params, &origin, received.file).await
    }
    .await;
    let reveals = outcome
        .as_ref()
        .is_ok_and(|m| m.get("token").is_some_and(|t| t.get("key").is_some()))
        || outcome.as_ref().is_ok_and(|m| m.contains_key("session"));
    let result = outcome.as_ref().map_or_else(|e| e.code().number(), |_| 0);
    let mut response = Json(envelope(outcome)).into_response();
    response.extensions_mut().insert(ApiOutcome {
        method: method.map_or("unknown", |m| m.id),
        result: i64::from(result),
    });
    if reveals {
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `{"result": 0, …}` (without null fields) or `{"result": code, "error": "…"}`.
pub fn envelope(outcome: Reply) -> Value {
    match outcome {
        Ok(mut fields) => {
            fields.insert("result".into(), json!(0));
            views::without_nulls(Value::Object(fields))
        }
        Err(e) => {
            let mut body = json!({ "result": e.code().number(), "error": e.to_string() });
            if let DomainError::TooManyAttempts { retry_after_secs } = e {
                body["retryAfter"] = json!(retry_after_secs);
            }
            body
        }
    }
}

/// The largest url-encoded body; files go as multipart, up to the upload limit.
pub(crate) const FORM_LIMIT: usize = 1024 * 1024;

/// A url-encoded body that says it is over the limit is refused before it is read.
fn too_large(request: &Request) -> bool {
    let form = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| !t.to_ascii_lowercase().starts_with("multipart/"));
    let length = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    form && length.is_some_and(|n| n > FORM_LIMIT)
}

/// Gathers the parameters from the query string and the body. A multipart body is
/// read field by field; its file part only after the caller is authenticated, who then
/// comes back with the received file.
async fn read_params(
    platform: &Platform,
    request: Request,
    method: &'static Method,
    headers: &HeaderMap,
    origin: &Origin,
) -> Result<(Params, Received), DomainError> {
    let query = request.uri().query().unwrap_or_default().to_owned();
    let mut params = Params::from_urlencoded(&query)?;
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let mut received = Received::default();
    if content_type.starts_with("multipart/form-data") {
        let multipart = Multipart::from_request(request, &())
            .await
            .map_err(|_| DomainError::InvalidParam("the multipart body is malformed".into()))?;
        let file = params::read_multipart(&mut params, multipart, method, |before| {
            let credential = credential(before, headers);
            let origin = origin.clone();
            async move {
                let found = authenticate(platform, method, credential?, origin).await?;
                let found = found.ok_or(DomainError::NotAuthenticated)?;
                let slot = platform.uploads().start(&found).await?;
                Ok((found, slot))
            }
        })
        .await?;
        if let Some((caller, name, slot)) = file {
            received.caller = Some(caller);
            received.file = Some((name, slot));
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let body = axum::body::to_bytes(request.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| {
                DomainError::InvalidParam(format!(
                    "the request body could not be read or is over {FORM_LIMIT} bytes"
                ))
            })?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| DomainError::InvalidParam("the body is not UTF-8".into()))?;
        params.extend(Params::from_urlencoded(text)?);
    }
    Ok((params, received))
}

/// What a multipart body brought besides parameters: the caller, when a file part made
/// the call authenticate before reading it, and the file.
#[derive(Default)]
struct Received {
    caller: Option<Caller>,
    file: Option<(String, UploadSlot)>,
}

/// The credential from `session` or `Authorization: Bearer`; both may carry it if they
/// agree. Any other `Authorization` (a proxy's `Basic …`) is not a credential.
fn credential(params: &Params, headers: &HeaderMap) -> Result<Option<String>, DomainError> {
    let from_param = params.single("session")?.filter(|s| !s.is_empty());
    let mut bearer = headers.get_all(AUTHORIZATION).iter().filter_map(|value| {
        let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned())
    });
    let from_header = match (bearer.next(), bearer.next()) {
        (Some(_), Some(_)) => {
            return Err(DomainError::InvalidParam(
                "Authorization: Bearer is given twice".into(),
            ))
        }
        (first, _) => first,
    };
    match (from_param, from_header) {
        (Some(p), Some(h)) if p != h => Err(DomainError::InvalidParam(
            "session and the Authorization header carry different credentials".into(),
        )),
        (Some(p), _) => Ok(Some(p.to_owned())),
        (None, h) => Ok(h),
    }
}

async fn authenticate(
    platform: &Platform,
    method: &Method,
    credential: Option<String>,
    origin: Origin,
) -> Result<Option<Caller>, DomainError> {
    if method.access == Access::Public {
        return Ok(None);
    }
    let value = credential
        .filter(|c| !c.is_empty())
        .ok_or(DomainError::NotAuthenticated)?;
    if looks_like_token(&value) {
        let grant = platform.tokens().verify(&value).await?;
        let caller = Caller::token(&grant, origin);
        let address = caller.origin.ip.as_deref().and_then(|ip| ip.parse().ok());
        if !grant.allowlist.allows(address) {
            platform
                .stats
                .count(&platform.stats.tokens_outside_allowlist);
            platform.audit().outside_allowlist(&caller, method.id);
            return Err(DomainError::NotAuthenticated);
        }
        // Every token may ask about itself; anything else needs its set to allow it.
        if method.access != Access::Own && !grant.grant.allows(method) {
            platform.stats.count(&platform.stats.tokens_denied);
            platform.audit().denied(&caller, method.id);
            return Err(DomainError::PermissionDenied(method.id.to_owned()));
        }
        platform.stats.count(&platform.stats.tokens_accepted);
        // A token asking about itself is not a use of it, and costs no write.
        if method.access != Access::Own {
            platform
                .uses()
                .touch(grant.token_id, &caller.origin, method.id);
        }
        Ok(Some(caller))
    } else {
        let (account, session_id) = platform.sessions().resolve(&value).await?;
        Ok(Some(Caller {
            account,
            actor: Actor::Session,
            session_id: Some(session_id),
            token_id: None,
            origin,
        }))
    }
}

async fn dispatch(
    platform: &Platform,
    method: &Method,
    caller: Option<Caller>,
    params: &Params,
    origin: &Origin,
    file: Option<(String, UploadSlot)>,
) -> Reply {
    match (method.group(), caller) {
        ("users", caller) => users::call(platform, method, caller, params, origin).await,
        (_, None) => Err(DomainError::NotAuthenticated),
        ("environment", Some(caller)) => environment::call(platform, method, &caller, params).await,
        ("storage", Some(caller)) => storage::call(platform, method, &caller, params, file).await,
        ("marketplace", Some(caller)) => marketplace::call(platform, method, &caller, params).await,
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}

/// Turns a `serde_json::json!` object into the fields of a reply.
pub fn fields(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
