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

use axum::extract::{FromRef, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use domain::accounts::Origin;
use domain::catalogue::{self, Method};
use domain::environments::UploadSlot;
use domain::{Caller, DomainError, Platform};
use serde_json::{json, Value};

pub(crate) use extract::FORM_LIMIT;
use extract::{ApiCall, Target};
pub use wire::Params;

use crate::metrics::ApiOutcome;
use crate::AppState;

/// What a method answers beside `result: 0`.
pub type Reply = Result<Answer, DomainError>;

/// A method's answer, written: the whole JSON object, `result: 0` first, and whether it
/// holds a credential (a new token's value, a session).
pub struct Answer {
    json: Vec<u8>,
    secret: bool,
}

/// How every answer that is not a refusal starts.
const RESULT_0: &[u8] = br#"{"result":0"#;

pub fn router() -> Router<AppState> {
    let mut router = Router::new();
    // Each method at its own path, as the catalogue spells it: the router finds it
    // without reading the path into parameters, which cost nine allocations a call.
    for method in catalogue::methods() {
        let at = move |State(state): State<AppState>, request: Request| async move {
            match ApiCall::of(method, request, &state).await {
                Ok(call) => answer(&Platform::from_ref(&state), call).await,
                Err(refused) => refused,
            }
        };
        router = router.route(&method.path(), get(at).post(at));
    }
    router
        // Any other spelling of a method's name.
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
    answer(&platform, call).await
}

async fn answer(platform: &Platform, call: ApiCall) -> Response {
    let ApiCall {
        method,
        caller,
        params,
        origin,
        file,
        env,
    } = call;
    let outcome = dispatch(platform, method, caller, &params, &origin, file, env).await;
    respond(Some(method), outcome)
}

/// The answer to a call, refused or not: the envelope, the outcome for the metrics, and
/// `no-store` on an answer that reveals a credential.
pub(crate) fn respond(method: Option<&Method>, outcome: Reply) -> Response {
    let reveals = outcome.as_ref().is_ok_and(|a| a.secret);
    let result = outcome.as_ref().map_or_else(|e| e.code().number(), |_| 0);
    let mut response = match outcome {
        Ok(answer) => (
            [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            answer.json,
        )
            .into_response(),
        Err(e) => Json(refusal(e)).into_response(),
    };
    ApiOutcome {
        method: method.map_or("unknown", |m| m.id),
        result: i64::from(result),
    }
    .note();
    if reveals {
        response
            .headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// `{"result": code, "error": "…"}` (and when to retry, for a limit).
fn refusal(e: DomainError) -> Value {
    let mut body = json!({ "result": e.code().number(), "error": e.to_string() });
    if let DomainError::TooManyAttempts { retry_after_secs } = e {
        body["retryAfter"] = json!(retry_after_secs);
    }
    body
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

/// A method's typed answer as the fields beside `result`, written once. Null fields are
/// left out (clients read an absent field as unset; some fail on a null): an answer that
/// has one goes through `views::without_nulls` first.
pub fn reply<T: serde::Serialize>(answer: T) -> Reply {
    written(answer, false)
}

/// `reply` for the one answer that reveals a credential: never cached.
pub fn reply_secret<T: serde::Serialize>(answer: T) -> Reply {
    written(answer, true)
}

/// Writes `{"result":0` and the answer's object after it in one buffer, the object's
/// opening brace then turned into the comma between them: one allocation for most
/// answers, where writing the object and then copying it behind `result` took several.
fn written<T: serde::Serialize>(answer: T, secret: bool) -> Reply {
    let failed = |e: serde_json::Error| DomainError::from(anyhow::Error::from(e));
    let mut json = Vec::with_capacity(1024);
    json.extend_from_slice(RESULT_0);
    serde_json::to_writer(&mut json, &answer).map_err(failed)?;
    // `:null` may also sit inside a string: then the answer only takes the longer way.
    if memchr::memmem::find(&json[RESULT_0.len()..], b":null").is_some() {
        let object = serde_json::from_slice(&json[RESULT_0.len()..]).map_err(failed)?;
        json.truncate(RESULT_0.len());
        serde_json::to_writer(&mut json, &views::without_nulls(object)).map_err(failed)?;
    }
    let object = &json[RESULT_0.len()..];
    if object.first() != Some(&b'{') || object == b"{}" {
        json.truncate(RESULT_0.len());
        json.push(b'}');
    } else {
        json[RESULT_0.len()] = b',';
    }
    Ok(Answer { json, secret })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(reply: Reply) -> Value {
        serde_json::from_slice(&reply.unwrap().json).unwrap()
    }

    #[test]
    fn answers_carry_result_first_and_no_nulls() {
        assert_eq!(reply(json!({})).unwrap().json, br#"{"result":0}"#);
        assert_eq!(reply(views::Empty {}).unwrap().json, br#"{"result":0}"#);
        assert_eq!(
            reply(json!({ "a": 1 })).unwrap().json,
            br#"{"result":0,"a":1}"#
        );
        assert_eq!(
            reply(json!({ "a": null, "b": [] })).unwrap().json,
            br#"{"result":0,"b":[]}"#
        );
        // Only an object can stand beside `result`.
        assert_eq!(reply(json!([1, 2])).unwrap().json, br#"{"result":0}"#);
        #[derive(serde::Serialize)]
        struct Fields {
            kept: &'static str,
            gone: Option<i64>,
            inner: Vec<Option<i64>>,
        }
        let answer = body(reply(Fields {
            kept: "a :null inside text stays",
            gone: None,
            inner: vec![Some(1)],
        }));
        assert_eq!(
            answer,
            json!({ "result": 0, "kept": "a :null inside text stays", "inner": [1] })
        );
        let nested = body(reply(json!({ "outer": { "x": null, "y": 2 } })));
        assert_eq!(nested, json!({ "result": 0, "outer": { "y": 2 } }));
        assert!(reply_secret(json!({ "session": "s" })).unwrap().secret);
        assert!(!reply(json!({})).unwrap().secret);
    }
}
