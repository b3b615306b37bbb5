//! A REST call as its handler receives it (`ApiCall`, an axum extractor): the method
//! the path names, its parameters from the query string and the body (url-encoded or
//! multipart), and the caller its credential stands for, as `platform.access()`
//! decides. A multipart body's file part is read only once the caller is known.

use axum::extract::{FromRef, FromRequest, FromRequestParts, RawPathParams, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_LENGTH};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::access::Purpose;
use domain::accounts::Origin;
use domain::catalogue::{self, Method};
use domain::environments::{EnvName, UploadSlot};
use domain::{Caller, DomainError, Platform};
use secrecy::{ExposeSecret, SecretString};

use super::params::read_multipart;
use crate::requests::{content_type, is_type};
use crate::AppState;
use wire::Params;

/// One call, read and authorised.
pub struct ApiCall {
    pub method: &'static Method,
    /// `None` for a public method (signing in).
    pub caller: Option<Caller>,
    pub params: Params,
    pub origin: Origin,
    /// A multipart body's file part: its name and where it was received.
    pub file: Option<(String, UploadSlot)>,
    /// The environment the method names or creates, as authorised (`wire::env_target`):
    /// the method acts on this name, or answers its error.
    pub env: Target,
}

/// The environment a call names: `None` for a method that names none.
pub type Target = Result<Option<EnvName>, DomainError>;

/// The largest url-encoded body; files go as multipart, up to the upload limit.
pub(crate) const FORM_LIMIT: usize = 1024 * 1024;

impl FromRequest<AppState> for ApiCall {
    type Rejection = Response;

    /// A call at a path the router read as parameters: any spelling of a method's name.
    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        // The route's segments, decoded, as the router found them (no copies).
        let Ok(segments) = RawPathParams::from_request_parts(&mut parts, state).await else {
            return Err(StatusCode::NOT_FOUND.into_response());
        };
        let (mut group, mut service, mut name) = ("", "", "");
        for (key, value) in &segments {
            match key {
                "group" => group = value,
                "service" => service = value,
                "method" => name = value,
                _ => {}
            }
        }
        let Some(method) = catalogue::method_at(group, service, name) else {
            if too_large(&parts.headers) {
                return Err(payload_too_large());
            }
            let error = DomainError::NotFound(format!("no method {group}.{service}.{name}"));
            return Err(super::respond(None, Err(error)));
        };
        Self::of(method, Request::from_parts(parts, body), state).await
    }
}

impl ApiCall {
    /// A call to `method`, read from its request and authorised.
    pub async fn of(
        method: &'static Method,
        request: Request,
        state: &AppState,
    ) -> Result<Self, Response> {
        if too_large(request.headers()) {
            return Err(payload_too_large());
        }
        let platform = Platform::from_ref(state);
        let (parts, body) = request.into_parts();
        let origin = app::auth::origin_of(&parts);
        read(&platform, Request::from_parts(parts, body), method, origin)
            .await
            .map_err(|error| super::respond(Some(method), Err(error)))
    }
}

fn payload_too_large() -> Response {
    (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response()
}

/// Gathers the parameters from the query string and the body, then authorises the
/// credential among them. A multipart body is read field by field; its file part only
/// after the caller is authorised.
async fn read(
    platform: &Platform,
    request: Request,
    method: &'static Method,
    origin: Origin,
) -> Result<ApiCall, DomainError> {
    // What the headers say is read before the body takes the request.
    let bearer = Bearer::of(request.headers());
    let mut params = Params::from_urlencoded(request.uri().query().unwrap_or_default())?;
    let content_type = content_type(request.headers()).unwrap_or_default();
    if is_type(content_type, "multipart/form-data") {
        // Read by multer itself, not axum's `Multipart`: that one limits the body by a
        // layer on the route, a level every request would clone its way through. The
        // text fields and the file have their own limits (`read_multipart`, the upload).
        // The boundary as given: it is case-sensitive.
        let boundary = multer::parse_boundary(content_type)
            .map_err(|_| DomainError::InvalidParam("the multipart body is malformed".into()))?;
        let multipart = multer::Multipart::new(request.into_body().into_data_stream(), boundary);
        let file = read_multipart(&mut params, multipart, method, |before| {
            let credential = credential(before, &bearer);
            let origin = origin.clone();
            async move {
                // Only uploads take a file, and they name no environment.
                let caller = authorize(platform, credential?, method, None, origin).await?;
                let caller = caller.ok_or(DomainError::NotAuthenticated)?;
                let slot = platform.uploads().start(&caller).await?;
                Ok((caller, slot))
            }
        })
        .await?;
        if let Some((caller, name, slot)) = file {
            return Ok(ApiCall {
                method,
                caller: Some(caller),
                params,
                origin,
                file: Some((name, slot)),
                env: Ok(None),
            });
        }
    } else if is_type(content_type, "application/x-www-form-urlencoded") {
        let body = axum::body::to_bytes(request.into_body(), FORM_LIMIT)
            .await
            .map_err(|_| {
                DomainError::InvalidParam(format!(
                    "the request body could not be read or is over {FORM_LIMIT} bytes"
                ))
            })?;
        let text = std::str::from_utf8(&body)
            .map_err(|_| DomainError::InvalidParam("the body is not UTF-8".into()))?;
        params.add_urlencoded(text)?;
    }
    let env = wire::env_target(method, &params);
    let caller = authorize(
        platform,
        credential(&params, &bearer)?,
        method,
        env.as_ref().ok().and_then(Option::as_ref),
        origin.clone(),
    )
    .await?;
    Ok(ApiCall {
        method,
        caller,
        params,
        origin,
        file: None,
        env,
    })
}

async fn authorize(
    platform: &Platform,
    credential: Option<SecretString>,
    method: &'static Method,
    env: Option<&EnvName>,
    origin: Origin,
) -> Result<Option<Caller>, DomainError> {
    platform
        .access()
        .authorize(credential.as_ref(), Purpose::Method(method, env), origin)
        .await
}

/// A url-encoded body that says it is over the limit is refused before it is read.
fn too_large(headers: &HeaderMap) -> bool {
    let form = content_type(headers).is_some_and(|t| !is_type(t, "multipart/"));
    let length = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    form && length.is_some_and(|n| n > FORM_LIMIT)
}

/// What `Authorization: Bearer` headers carry. Any other `Authorization` (a proxy's
/// `Basic …`) is not a credential.
enum Bearer {
    None,
    One(SecretString),
    Twice,
}

impl Bearer {
    fn of(headers: &HeaderMap) -> Self {
        let mut given = headers.get_all(AUTHORIZATION).iter().filter_map(|value| {
            let (scheme, token) = value.to_str().ok()?.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        match (given.next(), given.next()) {
            (None, _) => Self::None,
            (Some(token), None) => Self::One(SecretString::from(token)),
            (Some(_), Some(_)) => Self::Twice,
        }
    }
}

/// The credential from `session` or `Authorization: Bearer`; both may carry it if they
/// agree.
fn credential(params: &Params, bearer: &Bearer) -> Result<Option<SecretString>, DomainError> {
    let from_param = params.single("session")?.filter(|s| !s.is_empty());
    let from_header = match bearer {
        Bearer::Twice => {
            return Err(DomainError::InvalidParam(
                "Authorization: Bearer is given twice".into(),
            ))
        }
        Bearer::One(token) => Some(token.expose_secret()),
        Bearer::None => None,
    };
    match (from_param, from_header) {
        (Some(p), Some(h)) if p != h => Err(DomainError::InvalidParam(
            "session and the Authorization header carry different credentials".into(),
        )),
        (Some(value), _) | (None, Some(value)) => Ok(Some(SecretString::from(value))),
        (None, None) => Ok(None),
    }
}
