//! Parts of a page whose code is split off the main wasm (scripts/build) and fetched the
//! first time they are wanted, not with the page; and what shows when a part cannot be
//! fetched (a phone losing its network), with a way to try again.

use std::future::Future;

use leptos::either::Either;
use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;
use send_wrapper::SendWrapper;

use crate::i18n::tr;
use crate::locale::use_i18n;

/// What a split function hands `Later`: how to build its view in the browser.
///
/// A part is only ever shown after the page has loaded, never rendered by the server, so
/// its view is only built, never hydrated. Returned as an `AnyView` it would also bring
/// both ways of hydrating every view in it, which were a third of the `token_tools`
/// part's code; built through this, the part holds only what building needs.
pub struct Built(SendWrapper<Box<dyn FnOnce() -> Box<dyn Mountable>>>);

impl Built {
    /// `view` runs when the part is put in the page, under the page's owner, as the view
    /// would in the page itself.
    pub fn new<V>(view: impl FnOnce() -> V + 'static) -> Self
    where
        V: IntoView + 'static,
        V::State: 'static,
    {
        Built(SendWrapper::new(Box::new(move || {
            Box::new(view().build()) as Box<dyn Mountable>
        })))
    }
}

/// Builds the part's view inside a box of its own (`display: contents`, so layout does
/// not see it) once the box is in the page, and keeps it for as long as the box lives.
fn host(built: Built) -> impl IntoView {
    let node = NodeRef::<leptos::html::Div>::new();
    let pending = StoredValue::new_local(Some(built));
    let shown = StoredValue::new_local(None::<Box<dyn Mountable>>);
    Effect::new(move |_| {
        let Some(el) = node.get() else { return };
        if let Some(Built(make)) = pending.try_update_value(Option::take).flatten() {
            let mut view = make.take()();
            view.mount(&el, None);
            shown.set_value(Some(view));
        }
    });
    view! { <div class="part" node_ref=node></div> }
}

/// Shows the view `part` makes once `when` first holds, and keeps it from then on, so a
/// dialog stays in the page closed like any other. `part` calls a split function: its code
/// arrives with the first call, and nothing is shown until it has. If it cannot be
/// fetched, a note says so, and Try again fetches it again.
#[component]
pub fn Later<F, Fut>(#[prop(into)] when: Signal<bool>, part: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Built, SplitLoaderError>> + 'static,
{
    let wanted =
        Memo::new(move |before: Option<&bool>| before.copied().unwrap_or(false) || when.get());
    let attempt = RwSignal::new(0u32);
    move || {
        attempt.track();
        wanted.get().then(|| {
            // The browser runs one thread: the future never leaves it.
            let view = SendWrapper::new(part());
            let shown = SendWrapper::new(async move {
                match view.await {
                    Ok(built) => Either::Left(host(built)),
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
