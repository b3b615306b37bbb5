//! Parts of a page whose code is split off the main wasm (scripts/build) and fetched the
//! first time they are wanted, not with the page; and what shows when a part cannot be
//! fetched (a phone losing its network), with a way to try again.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use leptos::either::Either;
use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use send_wrapper::SendWrapper;

use crate::components::built::Built;
use crate::i18n::tr;
use crate::locale::use_i18n;

/// Shows the view `part` makes once `when` first holds, and keeps it from then on, so a
/// dialog stays in the page closed like any other. `part` calls a split function: its code
/// arrives with the first call, and nothing is shown until it has. The view is `Built`:
/// the server never renders it, so the part holds no code for hydrating it. If it cannot be
/// fetched, a note says so, and Try again fetches it again.
#[component]
pub fn Later<F, Fut>(#[prop(into)] when: Signal<bool>, part: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Built, SplitLoaderError>> + 'static,
{
    let part: Part = Arc::new(move || SendWrapper::new(Box::pin(part()) as Fetching));
    later(when, part)
}

/// A part being fetched, its type erased.
type Fetching = Pin<Box<dyn Future<Output = Result<Built, SplitLoaderError>>>>;

/// Fetches a part, whatever split function it calls.
type Part = Arc<dyn Fn() -> SendWrapper<Fetching> + Send + Sync>;

/// What `Later` shows: not generic, so that a page with several parts to fetch (Access
/// Tokens has seven) holds one copy of the code that hydrates and updates it, not one each.
fn later(when: Signal<bool>, part: Part) -> impl IntoView {
    let wanted =
        Memo::new(move |before: Option<&bool>| before.copied().unwrap_or(false) || when.get());
    let attempt = RwSignal::new(0u32);
    move || {
        attempt.track();
        wanted.get().then(|| {
            // The browser runs one thread: the future never leaves it.
            let view = part();
            let shown = SendWrapper::new(async move {
                match view.await {
                    Ok(built) => Either::Left(built),
                    Err(_) => Either::Right(view! {
                        <PartFailed retry=Callback::new(move |_| attempt.update(|n| *n += 1))/>
                    }),
                }
            });
            view! { <Suspense fallback=|| ()>{Suspend::new(shown)}</Suspense> }
        })
    }
}

/// Says a part of the page (or with `whole_page` the page) could not be fetched; `retry`
/// tries again.
#[component]
pub fn PartFailed(retry: Callback<()>, #[prop(optional)] whole_page: bool) -> impl IntoView {
    let i18n = use_i18n();
    let text = if whole_page {
        tr!(i18n, common.page_failed)
    } else {
        tr!(i18n, common.part_failed)
    };
    view! {
        <p class="error" role="alert">
            {text} " "
            <button type="button" class="button" on:click=move |_| retry.run(())>{tr!(i18n, common.try_again)}</button>
        </p>
    }
}
