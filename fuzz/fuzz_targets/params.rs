//! REST parameter decoding: any query string or form body decodes or is refused with
//! INVALID_PARAM, and the typed accessors never panic.
#![no_main]

use wire::{Params, VALUE_MAX};
use domain::ResultCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match Params::from_urlencoded(text) {
        Err(e) => assert_eq!(e.code(), ResultCode::InvalidParam),
        Ok(params) => {
            for name in ["session", "envName", "ids", "id", "password", "apiList", ""] {
                if let Ok(Some(value)) = params.single(name) {
                    assert!(value.len() <= VALUE_MAX);
                }
                let _ = params.required(name);
                let _ = params.password(name);
                if let Ok(id) = params.id(name) {
                    assert!(id > 0);
                }
            }
        }
    }
});
