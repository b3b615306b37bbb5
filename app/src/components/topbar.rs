//! The bar at the top of every signed-in page, and small shared pieces.

use leptos::prelude::*;

use crate::api::{current_account, SignOut};
use crate::error::AppError;

#[component]
pub fn TopBar() -> impl IntoView {
    let account = Resource::new(|| (), |_| current_account());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Patio"</a>
            <nav class="topnav">
                <a href="/">"Environments"</a>
                <a href="/docs/api">"API Docs"</a>
            </nav>
            <div class="spacer"></div>
            <Suspense fallback=|| ()>
                {move || {
                    account
                        .get()
                        .and_then(|r| r.ok())
                        .flatten()
                        .map(|a| view! { <span class="who" title="Signed in as">{a.email}</span> })
                }}
            </Suspense>
            <a class="button" href="/settings/access-tokens">"Settings"</a>
            <ActionForm action=sign_out attr:class="inline">
                <button type="submit" class="button ghost">"Sign out"</button>
            </ActionForm>
        </header>
    }
}

/// An error shown where the person is looking, announced to screen readers.
#[component]
pub fn ErrorNote(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error
            .get()
            .map(|e| view! { <p class="error" role="alert">{e.message()}</p> })
    }
}
