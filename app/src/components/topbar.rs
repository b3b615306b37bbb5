//! The bar at the top of every signed-in page, and small shared pieces.

use leptos::prelude::*;

use crate::api::{current_account, SignOut};
use crate::components::post_form::PostForm;
use crate::error::AppError;
use crate::i18n::tr;
use crate::loaded::loaded;
use crate::locale::use_i18n;
use crate::locale::LanguageSwitcher;

#[component]
pub fn TopBar() -> impl IntoView {
    let account = loaded(|| (), |_| current_account());
    let sign_out = ServerAction::<SignOut>::new();
    let i18n = use_i18n();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Patio"</a>
            <nav class="topnav">
                <a href="/">{tr!(i18n, nav.environments)}</a>
                <a href="/docs/api">{tr!(i18n, nav.api_docs)}</a>
            </nav>
            <div class="spacer"></div>
            <Suspense fallback=|| ()>
                {move || {
                    account
                        .get()
                        .and_then(|r| r.ok())
                        .flatten()
                        .map(|a| view! { <span class="who" title=tr!(i18n, nav.signed_in_as)>{a.email}</span> })
                }}
            </Suspense>
            <LanguageSwitcher/>
            <a class="button" href="/settings/access-tokens">{tr!(i18n, nav.settings)}</a>
            <PostForm action=sign_out read=|_| SignOut {} attr:class="inline">
                <button type="submit" class="button ghost">{tr!(i18n, nav.sign_out)}</button>
            </PostForm>
        </header>
    }
}

/// An error shown where the person is looking, announced to screen readers.
#[component]
pub fn ErrorNote(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        error
            .get()
            .map(|e| view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> })
    }
}
