//! REST parameter decoding: any query string or form body decodes or is refused with
//! INVALID_PARAM, and decoding it into a method's typed input never panics and yields
//! only what the shared rules allow.
#![no_main]

use domain::ResultCode;
use libfuzzer_sys::fuzz_target;
use serde::Deserialize;
use domain::environments::EnvName;
use domain::scope::{ScopeEntry, ScopeRequest, SCOPE_MAX};
use wire::{decode, env_target, Id, Params, Password, Required, VALUE_MAX};

/// EditToken's parameters, each under a shared rule.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Edit {
    password: Option<Password>,
    id: Option<Id>,
    description: Option<Required>,
    api_list: Option<Vec<String>>,
    expires_at: Option<String>,
    env_names: Option<Vec<String>>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let params = match Params::from_urlencoded(text) {
        Err(e) => {
            assert_eq!(e.code(), ResultCode::InvalidParam);
            return;
        }
        Ok(params) => params,
    };
    for name in ["session", "envName", "ids", "id", "password", "apiList", ""] {
        if let Ok(Some(value)) = params.single(name) {
            assert!(value.len() <= VALUE_MAX);
        }
    }
    let method = domain::catalogue::method("users.authentication.EditToken").unwrap();
    match decode::<Edit>(method, &params) {
        Err(e) => assert_eq!(e.code(), ResultCode::InvalidParam),
        Ok(edit) => {
            assert!(edit.password.is_none_or(|p| !p.expose().is_empty()));
            assert!(edit.id.is_none_or(|id| id.0 > 0));
            assert!(edit.description.is_none_or(|d| !d.0.trim().is_empty()));
            assert!(edit
                .api_list
                .is_none_or(|items| items.iter().all(|i| !i.is_empty() && i.trim() == i)));
            assert!(edit.expires_at.is_none_or(|e| e.len() <= VALUE_MAX));
            // A scope parses or is refused naming envNames; a parsed one lists only
            // names and patterns a scope can hold, each once.
            if let Some(items) = edit.env_names {
                match ScopeRequest::parse(items) {
                    Err(e) => {
                        assert_eq!(e.code(), ResultCode::InvalidParam);
                        assert!(e.to_string().starts_with("envNames: "));
                    }
                    Ok(ScopeRequest::All) => {}
                    Ok(ScopeRequest::Only(entries)) => {
                        assert!(!entries.is_empty() && entries.len() <= SCOPE_MAX);
                        for entry in &entries {
                            assert_eq!(ScopeEntry::parse(&entry.text()).as_ref(), Ok(entry));
                        }
                    }
                }
            }
        }
    }
    // The environment a call names is read the same way the methods read it.
    let stop = domain::catalogue::method("environment.control.StopEnv").unwrap();
    if let Ok(Some(name)) = env_target(stop, &params) {
        assert_eq!(EnvName::parse(name.as_str()).as_ref(), Ok(&name));
    }
});
