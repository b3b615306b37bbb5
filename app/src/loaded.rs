//! Resources as the pages make them: `loaded(source, fetcher)` in place of
//! `Resource::new`.
//!
//! A resource's first value travels inside the server's page as JSON text; every later one
//! comes as the answer of a server function, JSON bytes. Leptos' default codec reads the
//! text with `serde_json::from_str` and server functions read their answers with
//! `from_slice`, so the browser's wasm held two JSON readers for each type a page loads,
//! one for text and one for bytes. [`Json`] reads the text as bytes: one reader a type.

use std::future::Future;

use leptos::prelude::*;
use leptos::server::codee::string::JsonSerdeCodec;
use leptos::server::codee::{Decoder, Encoder};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// JSON, written by Leptos' default codec and read from the text's bytes.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        JsonSerdeCodec::encode(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(text: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(text.as_bytes())
    }
}

/// A resource whose value is carried with [`Json`].
pub type Loaded<T> = Resource<T, Json>;

/// A resource that loads `fetcher(source())` again whenever the source changes, as
/// `Resource::new` does, carried with [`Json`].
#[track_caller]
pub fn loaded<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Loaded<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
