//! What a page does once a server action it dispatched answers: `follow` routes each
//! answer (a success to the page's handler, a refusal to where it is shown), and a
//! `Notice` is the sentence a success may leave, shown by `StatusNote`.

use std::sync::Arc;

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

use crate::error::AppError;
use crate::i18n::Locale;
use crate::locale::use_i18n;

/// Follows `action`: each success clears `error` and goes to `ok`; a refusal goes into
/// `error`, for the dialog or page to show.
///
/// `ok` runs once per answer and untracked, so nothing it reads (the language, above
/// all) runs it again: a one-time value it shows would show again.
pub fn follow<S>(
    action: ServerAction<S>,
    error: RwSignal<Option<AppError>>,
    ok: impl Fn(S::Output) + 'static,
) where
    S: ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Effect::new(move |_| match action.value().get() {
        Some(Ok(value)) => untrack(|| {
            error.set(None);
            ok(value);
        }),
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
}

/// A sentence for the page, written in whatever language the page is in when shown.
#[derive(Clone)]
pub struct Notice(Arc<dyn Fn(Locale) -> String + Send + Sync>);

impl Notice {
    pub fn new(text: impl Fn(Locale) -> String + Send + Sync + 'static) -> Self {
        Self(Arc::new(text))
    }

    pub fn text(&self, locale: Locale) -> String {
        (self.0)(locale)
    }
}

/// The last notice, announced to screen readers.
#[component]
pub fn StatusNote(notice: RwSignal<Option<Notice>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        notice.get().map(|n| {
            view! { <p class="notice" role="status">{move || n.text(i18n.get())}</p> }
        })
    }
}
