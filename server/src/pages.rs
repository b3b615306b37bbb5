//! Pages: each rendered with its own request's reactive owner (`own_owner`), and
//! compressed on their way out.
//!
//! Compressed with brotli or gzip, as the browser accepts: a page's HTML carries the
//! list it shows and the links that preload its parts of the wasm, and a phone on a
//! slow network waits for every byte of it.
//!
//! Only pages: API and server-function answers stay as they are, since some carry a new
//! token's value next to text the caller chose (a description), and compressing a secret
//! beside chosen text lets an observer of sizes guess it (BREACH). Pages hold no secret:
//! a token's value is never in one. Files under `/pkg` come precompressed.

use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, StatusCode, Version};
use axum::middleware::Next;
use axum::response::Response;
use leptos::prelude::{use_context, Owner};
use leptos::reactive::owner::WeakOwner;

/// Whether a response is a page (`text/html`).
pub fn is_page(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"))
}

/// Where a page's handler finds the reactive owner its render made (`own_owner`).
#[derive(Clone, Default)]
struct PageOwner(Arc<Mutex<Option<WeakOwner>>>);

impl PageOwner {
    fn owner(&self) -> Option<Owner> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .and_then(WeakOwner::upgrade)
    }
}

/// Called by Leptos inside the owner it makes for a page (the routes' context): notes
/// that owner for `own_owner`. Only a root owner, and only the first: a file served by
/// the fallback calls this too, in an owner that Leptos makes a child of whatever owner
/// the thread holds, and that may be another page's.
pub fn note_owner() {
    let Some(owner) = Owner::current().filter(|owner| owner.parent().is_none()) else {
        return;
    };
    let Some(slot) =
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<PageOwner>().cloned())
    else {
        return;
    };
    slot.0
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(|| owner.downgrade());
}

/// Polls a page's handler with the page's own reactive owner current.
///
/// Leptos makes an owner (and the arena its signals live in) for each page and sets it
/// on the thread; after the render's first part it reads the title and `<html lang>`
/// through that thread's current owner. Between two polls another page may set its own
/// on the thread, or the task may move to another worker: the page then reads another
/// request's signals, or none and panics, and the client gets a broken page or none.
/// Setting the page's own owner before every poll keeps each page to its request, and
/// taking it off the thread after every poll keeps other requests from finding it there.
pub async fn own_owner(mut request: Request, next: Next) -> Response {
    let slot = PageOwner::default();
    request.extensions_mut().insert(slot.clone());
    let mut page = std::pin::pin!(next.run(request));
    std::future::poll_fn(|cx| match slot.owner() {
        Some(owner) => owner.with(|| page.as_mut().poll(cx)),
        None => {
            // The first poll: Leptos makes the page's owner and leaves it on the thread.
            let polled = page.as_mut().poll(cx);
            if let Some(owner) = slot.owner() {
                owner.unset();
            }
            polled
        }
    })
    .await
}
