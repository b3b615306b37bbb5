//! The tabs across the top of every Settings page.

use leptos::prelude::*;

use crate::i18n::{td_string, tr};
use crate::locale::{use_i18n, I18n};

/// The tabs of Settings; `current` is the slug of the page showing them.
#[component]
pub fn SettingsTabs(current: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let tab = move |slug: &'static str, label: fn(I18n) -> &'static str| {
        let active = slug == current;
        view! {
            <a class="tab" class:active=active href=format!("/settings/{slug}") aria-current=active.then_some("page")>{move || label(i18n)}</a>
        }
    };
    view! {
        <nav class="tabs" aria-label=tr!(i18n, settings.tabs)>
            {tab("access-tokens", |i18n| td_string!(i18n.get(), settings.access_tokens))}
            {tab("security-log", |i18n| td_string!(i18n.get(), settings.security_log))}
            {tab("sessions", |i18n| td_string!(i18n.get(), settings.sessions))}
            {tab("two-factor", |i18n| td_string!(i18n.get(), settings.two_factor))}
            {tab("passkeys", |i18n| td_string!(i18n.get(), settings.passkeys))}
            {tab("account", |i18n| td_string!(i18n.get(), settings.account))}
        </nav>
    }
}
