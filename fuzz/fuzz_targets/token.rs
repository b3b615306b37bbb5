//! Any string given as a token: parsing never panics, and what it accepts has the
//! contract's shape and parses back to itself.
#![no_main]

use domain::tokens::{TokenSecret, HINT_LEN, PREFIX, TOKEN_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(secret) = TokenSecret::parse(text) {
        assert_eq!(secret.expose(), text);
        assert_eq!(text.len(), TOKEN_LEN);
        assert!(text.starts_with(PREFIX));
        assert_eq!(secret.hint().len(), HINT_LEN);
        assert!(!format!("{secret:?}").contains(&text[HINT_LEN..]));
    }
});
