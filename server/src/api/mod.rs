//! The platform REST API: `/1.0/<group>/<service>/rest/<method>`, GET or POST, the
//! credential in `session` or `Authorization: Bearer`. The `ApiCall` extractor
//! (`extract.rs`) reads the call, finds the method in the catalogue and has
//! `platform.access()` decide who calls; `call` hands it to the group's module, which
//! decodes the method's typed input (`wire::decode`), calls the domain and answers a
//! typed value; every answer is JSON with `result`.

mod environment;
mod extract;
mod marketplace;
mod params;
mod storage;
mod users;
pub mod views;

use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::accounts::Origin;
use domain::catalogue::Method;
use domain::environments::UploadSlot;
use domain::{Caller, DomainError, Platform};
use serde_json::{json, Map, Value};

pub(crate) use extract::FORM_LIMIT;
use extract::{ApiCall, Target};
pub use wire::Params;

use crate::metrics::ApiOutcome;
use crate::AppState;

/// What a method answers beside `result: 0`.
pub type Reply = Result<Map<String, Value>, DomainError>;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/1.0/{group}/{service}/rest/{method}", get(call).post(call))
        // GoJelastic joins its base URL and the path by hand: a base given with a
        // trailing slash makes `//` after the version.
        .route(
            "/1.0//{group}/{service}/rest/{method}",
            get(call).post(call),
        )
        .route("/1.0/openapi.json", get(crate::openapi::document))
}

async fn call(State(platform): State<Platform>, call: ApiCall) -> Response {
    let ApiCall {
        method,
        caller,
        params,
        origin,
        file,
        env,
    } = call;
    let outcome = dispatch(&platform, method, caller, &params, &origin, file, env).await;
    respond(Some(method), outcome)
}

/// The answer to a call, refused or not: the envelope, the outcome for the metrics, and
/// `no-store` on an answer that reveals a credential.
pub(crate) fn respond(method: Option<&Method>, outcome: Reply) -> Response {
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

async fn dispatch(
    platform: &Platform,
    method: &Method,
    caller: Option<Caller>,
    params: &Params,
    origin: &Origin,
    file: Option<(String, UploadSlot)>,
    env: Target,
) -> Reply {
    match (method.group(), caller) {
        ("users", caller) => users::call(platform, method, caller, params, origin).await,
        (_, None) => Err(DomainError::NotAuthenticated),
        ("environment", Some(caller)) => {
            environment::call(platform, method, &caller, params, env).await
        }
        ("storage", Some(caller)) => storage::call(platform, method, &caller, params, file).await,
        ("marketplace", Some(caller)) => {
            marketplace::call(platform, method, &caller, params, env).await
        }
        _ => Err(DomainError::NotFound(format!("no method {}", method.id))),
    }
}

/// A method's typed answer as the fields beside `result`.
pub fn reply<T: serde::Serialize>(answer: T) -> Reply {
    match serde_json::to_value(answer) {
        Ok(Value::Object(fields)) => Ok(fields),
        Ok(_) => Ok(Map::new()),
        Err(e) => Err(DomainError::from(anyhow::Error::from(e))),
    }
}
