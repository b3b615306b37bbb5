//! The page's own dialogs: the warnings before Remove and Revoke all, the new date an
//! expired token needs before it is regenerated, and the password step that every
//! change ends in, which sends the change.

use chrono::{Duration, Utc};
use domain::tokens::TokenSummary;
use leptos::prelude::*;

use super::pending::Pending;
use super::sending::Sending;
use super::state::use_tokens_page;
use crate::components::dialog::Dialog;
use crate::components::password::PasswordDialog;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::locale::use_i18n;

/// Names the selected tokens before they are removed.
#[component]
pub fn RemoveDialog(open: RwSignal<bool>) -> impl IntoView {
    let page = use_tokens_page();
    let i18n = use_i18n();
    view! {
        <Dialog open=open title=Signal::derive(move || td_string!(i18n.get(), tokens.remove_title).to_string())>
            <div class="stack">
                <p>{tr!(i18n, tokens.remove_text)}</p>
                <ul class="remove-list">
                    {move || page.chosen().into_iter().map(|t| view! {
                        <li><strong>{t.description.clone()}</strong> " " <code>{t.hint.clone()} "…"</code></li>
                    }).collect_view()}
                </ul>
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>{tr!(i18n, common.cancel)}</button>
                    <button type="button" class="button danger" on:click=move |_| {
                        open.set(false);
                        page.ask_password(Pending::Remove(page.chosen()));
                    }>{tr!(i18n, tokens.remove)}</button>
                </div>
            </div>
        </Dialog>
    }
}

/// Warns that every token stops working at once.
#[component]
pub fn RevokeAllDialog(open: RwSignal<bool>) -> impl IntoView {
    let page = use_tokens_page();
    let i18n = use_i18n();
    view! {
        <Dialog open=open title=Signal::derive(move || td_string!(i18n.get(), tokens.revoke_all_title).to_string())>
            <div class="stack">
                <p>{tr!(i18n, tokens.revoke_all_text)}</p>
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>{tr!(i18n, common.cancel)}</button>
                    <button type="button" class="button danger" on:click=move |_| {
                        open.set(false);
                        page.ask_password(Pending::RevokeAll(page.list.with_untracked(Vec::len)));
                    }>{tr!(i18n, tokens.revoke_all_title)}</button>
                </div>
            </div>
        </Dialog>
    }
}

/// An expired token needs a new date to be of any use: asked for before the password.
#[component]
pub fn RenewDialog(open: RwSignal<bool>, token: RwSignal<Option<TokenSummary>>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Dialog open=open title=Signal::derive(move || td_string!(i18n.get(), tokens.renew_title).to_string())>
            <RenewForm open=open token=token/>
        </Dialog>
    }
}

/// The renewal's form, made anew (30 days out) each time the dialog opens.
#[component]
fn RenewForm(open: RwSignal<bool>, token: RwSignal<Option<TokenSummary>>) -> impl IntoView {
    let page = use_tokens_page();
    let i18n = use_i18n();
    let in_days = |days| format::date(Utc::now() + Duration::days(days));
    let date = RwSignal::new(in_days(30));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(t) = token.get_untracked() {
            let expires = Some(format::form_date_to_iso(&date.get_untracked()));
            open.set(false);
            page.ask_password(Pending::Regenerate {
                id: t.id,
                description: t.description,
                expires,
            });
        }
    };
    view! {
        <form class="stack" on:submit=submit>
            <p>
                {move || token.get().map(|t| td_string!(i18n.get(), tokens.renew_text, name = t.description).to_string())}
            </p>
            <label>
                <span>{tr!(i18n, form.expires_at)}</span>
                <input placeholder="dd-mm-yyyy" required
                    prop:value=move || date.get()
                    on:input=move |ev| date.set(event_target_value(&ev))/>
            </label>
            <div class="presets">
                <button type="button" class="chip" on:click=move |_| date.set(in_days(30))>{tr!(i18n, common.days_30)}</button>
                <button type="button" class="chip" on:click=move |_| date.set(in_days(90))>{tr!(i18n, common.days_90)}</button>
            </div>
            <div class="dialog-actions">
                <button type="button" class="button" on:click=move |_| open.set(false)>{tr!(i18n, common.cancel)}</button>
                <button type="submit" class="button primary">{tr!(i18n, common.proceed)}</button>
            </div>
        </form>
    }
}

/// The password step, named after the change waiting for it.
#[component]
pub fn PasswordStep() -> impl IntoView {
    let page = use_tokens_page();
    let sending = Sending::new(page);
    let i18n = use_i18n();
    view! {
        <PasswordDialog
            open=page.password_open
            title=Signal::derive(move || page.pending.get().map(|p| p.title(i18n)).unwrap_or_default())
            detail=Signal::derive(move || page.pending.get().map(|p| p.detail(i18n)).unwrap_or_default())
            pending=sending.busy()
            error=page.error
            on_confirm=Callback::new(move |password: String| sending.confirm(page, password))
        />
    }
}
