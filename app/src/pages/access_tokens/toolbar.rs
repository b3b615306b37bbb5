//! The buttons above the token table and how many tokens are selected.

use domain::tokens::TokenSummary;
use leptos::prelude::*;

use super::state::use_tokens_page;
use crate::components::token_form::FormMode;
use crate::i18n::{td_string, tr};
use crate::locale::use_i18n;

/// Generate, Edit, Copy, Remove, Refresh and Revoke all; Remove and Revoke all open their
/// warnings (`remove_open`, `revoke_open`) first.
#[component]
pub fn Toolbar(remove_open: RwSignal<bool>, revoke_open: RwSignal<bool>) -> impl IntoView {
    let page = use_tokens_page();
    let i18n = use_i18n();
    let open_form = move |mode: fn(TokenSummary) -> FormMode| {
        move |_| {
            if let Some(t) = page.one() {
                page.form.set(Some(mode(t)));
            }
        }
    };
    view! {
        <div class="toolbar" role="toolbar" aria-label=tr!(i18n, tokens.actions)>
            <button class="button primary" on:click=move |_| page.form.set(Some(FormMode::Generate))>{tr!(i18n, tokens.generate)}</button>
            <button class="button" disabled=move || page.one().is_none()
                on:click=open_form(FormMode::Edit)>{tr!(i18n, tokens.edit)}</button>
            <button class="button" disabled=move || page.one().is_none()
                on:click=open_form(FormMode::Copy)>{tr!(i18n, tokens.copy)}</button>
            <button class="button" disabled=move || page.chosen().is_empty()
                on:click=move |_| remove_open.set(true)>{tr!(i18n, tokens.remove)}</button>
            <button class="button" on:click=move |_| {
                page.notice.set(None);
                page.reload();
            }>{tr!(i18n, tokens.refresh)}</button>
            <span class="spacer"></span>
            <button class="button danger" disabled=move || page.list.with(Vec::is_empty)
                on:click=move |_| revoke_open.set(true)>{tr!(i18n, tokens.revoke_all)}</button>
            <span class="muted" aria-live="polite">
                {move || match page.selected.with(Vec::len) {
                    0 => String::new(),
                    1 => td_string!(i18n.get(), tokens.selected_one).into(),
                    n => td_string!(i18n.get(), tokens.selected_many, n).to_string(),
                }}
            </span>
        </div>
    }
}
