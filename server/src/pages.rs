//! Pages are compressed on their way out (brotli or gzip, as the browser accepts): a
//! page's HTML carries the list it shows and the links that preload its parts of the
//! wasm, and a phone on a slow network waits for every byte of it.
//!
//! Only pages: API and server-function answers stay as they are, since some carry a new
//! token's value next to text the caller chose (a description), and compressing a secret
//! beside chosen text lets an observer of sizes guess it (BREACH). Pages hold no secret:
//! a token's value is never in one. Files under `/pkg` come precompressed.

use axum::http::header::CONTENT_TYPE;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};

/// Whether a response is a page (`text/html`).
pub fn is_page(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}
