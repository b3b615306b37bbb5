//! The page's usage panel and its dialogs but the token form: split off the dashboard's
//! wasm into one part, `token_tools`, fetched when the first of them opens (or a pointer
//! comes near) rather than with the page, with the actions the password step sends
//! changes by (`sending`). The page itself brings the table, the toolbar and the token
//! form, so Generate opens at once.
//!
//! The page's own wasm (`frontend-tokens`, the `tokens-page` feature) holds them whole:
//! one file compresses better than its parts, and it holds nothing else to leave out.

use domain::tokens::{RevealedToken, TokenSummary};
use leptos::prelude::*;
use leptos::wasm_split::SplitLoaderError;

use super::dialogs::{PasswordStep, RemoveDialog, RenewDialog, RevokeAllDialog};
use crate::components::built::Built;
use crate::components::reveal::RevealDialog;
use crate::components::token_usage::{TightenChoice, TightenDialog, UsagePanel};

/// A tool's view. In the dashboard's wasm a function of the `token_tools` part, whose
/// code arrives with its first call; in the page's own wasm a plain one.
macro_rules! tool {
    ($(preload = $preload:ident;)? pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        #[cfg(not(feature = "tokens-page"))]
        #[leptos::wasm_split::wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, $(preload($preload),)? fallible)]
        pub fn $name($($arg: $ty),*) -> Result<Built, SplitLoaderError> $body

        #[cfg(feature = "tokens-page")]
        pub async fn $name($($arg: $ty),*) -> Result<Built, SplitLoaderError> $body
    };
}

tool! {
    preload = fetch_token_tools;
    pub fn usage_panel(
        token: Signal<Option<TokenSummary>>,
        refresh: Signal<u64>,
        on_tighten: Callback<TokenSummary>,
    ) {
        Ok(Built::new(
            move || view! { <UsagePanel token refresh on_tighten/> },
        ))
    }
}

tool! {
    pub fn tighten(
        open: RwSignal<bool>,
        token: RwSignal<Option<TokenSummary>>,
        on_apply: Callback<TightenChoice>,
    ) {
        Ok(Built::new(
            move || view! { <TightenDialog open token on_apply/> },
        ))
    }
}

tool! {
    pub fn reveal(
        revealed: RwSignal<Option<RevealedToken>>,
        on_shared: Callback<()>,
    ) {
        Ok(Built::new(
            move || view! { <RevealDialog revealed on_shared/> },
        ))
    }
}

tool! {
    pub fn remove(open: RwSignal<bool>) {
        Ok(Built::new(move || view! { <RemoveDialog open/> }))
    }
}

tool! {
    pub fn revoke_all(open: RwSignal<bool>) {
        Ok(Built::new(move || view! { <RevokeAllDialog open/> }))
    }
}

tool! {
    pub fn renew(
        open: RwSignal<bool>,
        token: RwSignal<Option<TokenSummary>>,
    ) {
        Ok(Built::new(move || view! { <RenewDialog open token/> }))
    }
}

tool! {
    pub fn password_step() {
        Ok(Built::new(move || view! { <PasswordStep/> }))
    }
}

/// Starts fetching the part before it is needed (a pointer over the toolbar, say).
pub fn prefetch() {
    // A failure shows when a tool is opened, which fetches again.
    #[cfg(all(feature = "hydrate", not(feature = "tokens-page")))]
    leptos::task::spawn_local(async {
        let _ = fetch_token_tools().await;
    });
}
