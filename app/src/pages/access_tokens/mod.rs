//! Settings → Access Tokens: the token table with its toolbar (Generate, Edit, Copy,
//! Remove, Refresh), the token form, the password step and the one-time reveal.
//!
//! `state` holds what the parts share (the list, the selection, the change waiting for
//! the password and the actions that make it), provided once here and read by each part
//! from context; the dialogs one part opens and another shows are passed as props.

mod dialogs;
mod pending;
mod selection;
mod state;
mod table;
mod toolbar;

use chrono::Utc;
use domain::tokens::TokenSummary;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::action::StatusNote;
use crate::components::reveal::RevealDialog;
use crate::components::settings_tabs::SettingsTabs;
use crate::components::token_form::{FormValues, TokenFormDialog};
use crate::components::token_usage::{TightenDialog, UsagePanel};
use crate::components::topbar::{ErrorNote, TopBar};
use crate::i18n::td_string;
use crate::locale::use_i18n;
use dialogs::{PasswordStep, RemoveDialog, RenewDialog, RevokeAllDialog};
use pending::Pending;
use state::provide_tokens_page;
use table::TokenTable;
use toolbar::Toolbar;

#[component]
pub fn AccessTokensPage() -> impl IntoView {
    let i18n = use_i18n();
    let page = provide_tokens_page();
    let remove_open = RwSignal::new(false);
    let revoke_open = RwSignal::new(false);
    let renew_open = RwSignal::new(false);
    let renewing = RwSignal::new(None::<TokenSummary>);
    let tighten_open = RwSignal::new(false);
    let tightening = RwSignal::new(None::<TokenSummary>);

    let on_submit = Callback::new(move |values: FormValues| {
        page.form.set(None);
        page.ask_password(Pending::Save(values));
    });
    // An expired token needs a new date to be of any use: ask for one first.
    let on_regenerate = Callback::new(move |t: TokenSummary| {
        page.form.set(None);
        if t.is_expired(Utc::now()) {
            renewing.set(Some(t));
            renew_open.set(true);
        } else {
            page.ask_password(Pending::Regenerate {
                id: t.id,
                description: t.description,
                expires: None,
            });
        }
    });
    let on_tighten = Callback::new(move |t: TokenSummary| {
        tightening.set(Some(t));
        tighten_open.set(true);
    });
    let on_apply = Callback::new(move |(t, methods): (TokenSummary, Vec<String>)| {
        page.ask_password(Pending::Tighten {
            id: t.id,
            description: t.description,
            methods,
        });
    });

    view! {
        <Title text=move || td_string!(i18n.get(), settings.access_tokens)/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{move || td_string!(i18n.get(), settings.title)}</h1>
            </div>
            <SettingsTabs current="access-tokens"/>
            <section class="panel">
                <p class="muted intro">
                    {move || td_string!(i18n.get(), tokens.intro)}
                </p>
                <TwoFactorNote/>
                <Toolbar remove_open revoke_open/>
                <StatusNote notice=page.notice/>
                <TokenTable on_regenerate/>
            </section>
            <UsagePanel token=Signal::derive(move || page.one()) refresh=page.changes on_tighten/>
            <TightenDialog open=tighten_open token=tightening on_apply/>
            <TokenFormDialog mode=page.form on_submit on_regenerate/>
            <RemoveDialog open=remove_open/>
            <RevokeAllDialog open=revoke_open/>
            <PasswordStep/>
            <RevealDialog revealed=page.revealed on_shared=Callback::new(move |_| page.reload())/>
            <RenewDialog open=renew_open token=renewing/>
            <ErrorNote error=Signal::derive(move || (!page.password_open.get()).then(|| page.error.get()).flatten())/>
        </main>
    }
}

/// Tokens need no second factor: said here on accounts that have one.
#[component]
fn TwoFactorNote() -> impl IntoView {
    let i18n = use_i18n();
    let two_factor = Resource::new(|| (), |_| crate::api::two_factor());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                two_factor.await.ok().and_then(|s| s.enabled_at).map(|_| view! {
                    <p class="notice" role="note">{move || td_string!(i18n.get(), two_factor.tokens_note)}</p>
                })
            })}
        </Transition>
    }
}
