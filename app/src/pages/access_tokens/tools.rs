//! The page's usage panel and its dialogs but the token form: split off the main wasm
//! into one part, `token_tools`, fetched when the first of them opens (or a pointer comes
//! near) rather than with the page. The page itself brings the table, the toolbar and the
//! token form, so Generate opens at once.

use domain::tokens::{RevealedToken, TokenSummary};
use leptos::prelude::*;
use leptos::wasm_split::wasm_split;

use super::dialogs::{PasswordStep, RemoveDialog, RenewDialog, RevokeAllDialog};
use crate::components::reveal::RevealDialog;
use crate::components::token_usage::{TightenDialog, UsagePanel};

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split, preload(fetch_token_tools))]
pub fn usage_panel(
    token: Signal<Option<TokenSummary>>,
    refresh: Signal<u64>,
    on_tighten: Callback<TokenSummary>,
) -> AnyView {
    view! { <UsagePanel token refresh on_tighten/> }.into_any()
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split)]
pub fn tighten(
    open: RwSignal<bool>,
    token: RwSignal<Option<TokenSummary>>,
    on_apply: Callback<(TokenSummary, Vec<String>)>,
) -> AnyView {
    view! { <TightenDialog open token on_apply/> }.into_any()
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split)]
pub fn reveal(revealed: RwSignal<Option<RevealedToken>>, on_shared: Callback<()>) -> AnyView {
    view! { <RevealDialog revealed on_shared/> }.into_any()
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split)]
pub fn remove(open: RwSignal<bool>) -> AnyView {
    view! { <RemoveDialog open/> }.into_any()
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split)]
pub fn revoke_all(open: RwSignal<bool>) -> AnyView {
    view! { <RevokeAllDialog open/> }.into_any()
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split)]
pub fn renew(open: RwSignal<bool>, token: RwSignal<Option<TokenSummary>>) -> AnyView {
    view! { <RenewDialog open token/> }.into_any()
}

#[wasm_split(token_tools, wasm_split_path = ::leptos::wasm_split)]
pub fn password_step() -> AnyView {
    view! { <PasswordStep/> }.into_any()
}

/// Starts fetching the part before it is needed (a pointer over the toolbar, say).
pub fn prefetch() {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(fetch_token_tools());
}
