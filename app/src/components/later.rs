//! Parts of a page whose code is split off the main wasm (scripts/build) and fetched the
//! first time they are wanted, not with the page.

use std::future::Future;

use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// Shows the view `part` makes once `when` first holds, and keeps it from then on, so a
/// dialog stays in the page closed like any other. `part` calls a split function: its code
/// arrives with the first call, and nothing is shown until it has.
#[component]
pub fn Later<F, Fut>(#[prop(into)] when: Signal<bool>, part: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = AnyView> + 'static,
{
    let wanted =
        Memo::new(move |before: Option<&bool>| before.copied().unwrap_or(false) || when.get());
    move || {
        wanted.get().then(|| {
            // The browser runs one thread: the future never leaves it.
            let view = SendWrapper::new(part());
            view! { <Suspense fallback=|| ()>{Suspend::new(view)}</Suspense> }
        })
    }
}
