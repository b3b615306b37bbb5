//! The page's usage panel and its dialogs but the token form: split off the main wasm
//! into one part, `token_tools`, fetched when the first of them opens (or a pointer comes
//! near) rather than with the page, with the actions the password step sends changes by
//! (`sending`). The page itself brings the table, the toolbar and the token form, so
//! Generate opens at once.

use domain::tokens::{RevealedToken, TokenSummary};
use leptos::prelude::*;
use leptos::wasm_split::{wasm_split, SplitLoaderError};

use super::dialogs::{PasswordStep, RemoveDialog, RenewDialog, RevokeAllDialog};
use crate::components::built::Built;
use crate::components::reveal::RevealDialog;
use crate::components::token_usage::{TightenChoice, TightenDialog, UsagePanel};

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, preload(fetch_token_tools), fallible)]
pub fn usage_panel(
    token: Signal<Option<TokenSummary>>,
    refresh: Signal<u64>,
    on_tighten: Callback<TokenSummary>,
) -> Result<Built, SplitLoaderError> {
    Ok(Built::new(
        move || view! { <UsagePanel token refresh on_tighten/> },
    ))
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn tighten(
    open: RwSignal<bool>,
    token: RwSignal<Option<TokenSummary>>,
    on_apply: Callback<TightenChoice>,
) -> Result<Built, SplitLoaderError> {
    Ok(Built::new(
        move || view! { <TightenDialog open token on_apply/> },
    ))
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn reveal(
    revealed: RwSignal<Option<RevealedToken>>,
    on_shared: Callback<()>,
) -> Result<Built, SplitLoaderError> {
    Ok(Built::new(
        move || view! { <RevealDialog revealed on_shared/> },
    ))
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn remove(open: RwSignal<bool>) -> Result<Built, SplitLoaderError> {
    Ok(Built::new(move || view! { <RemoveDialog open/> }))
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn revoke_all(open: RwSignal<bool>) -> Result<Built, SplitLoaderError> {
    Ok(Built::new(move || view! { <RevokeAllDialog open/> }))
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn renew(
    open: RwSignal<bool>,
    token: RwSignal<Option<TokenSummary>>,
) -> Result<Built, SplitLoaderError> {
    Ok(Built::new(move || view! { <RenewDialog open token/> }))
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, fallible)]
pub fn password_step() -> Result<Built, SplitLoaderError> {
    Ok(Built::new(move || view! { <PasswordStep/> }))
}

/// Starts fetching the part before it is needed (a pointer over the toolbar, say).
pub fn prefetch() {
    // A failure shows when a tool is opened, which fetches again.
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async {
        let _ = fetch_token_tools().await;
    });
}
