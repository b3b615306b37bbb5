//! The password confirmation every token change goes through.

use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::topbar::ErrorNote;
use crate::error::AppError;
use crate::i18n::tr;
use crate::locale::use_i18n;

/// Asks for the password (and, given `code`, a two-factor code into it), then calls
/// `on_confirm` with the password. The dialog stays open with `error` shown until the
/// change succeeds or the person cancels, and opens again without it.
#[component]
pub fn PasswordDialog(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    #[prop(into)] detail: Signal<String>,
    #[prop(into)] pending: Signal<bool>,
    error: RwSignal<Option<AppError>>,
    on_confirm: Callback<String>,
    #[prop(default = None)] code: Option<RwSignal<String>>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let i18n = use_i18n();
    // It opens without the last refusal; the password and code never outlive it.
    Effect::new(move |_| {
        if open.get() {
            error.set(None);
        } else {
            password.set(String::new());
            if let Some(code) = code {
                code.set(String::new());
            }
        }
    });
    view! {
        <Dialog open=open title=title>
            <form class="stack" on:submit=move |ev| {
                ev.prevent_default();
                on_confirm.run(password.get_untracked());
            }>
                <p>{move || detail.get()}</p>
                <label>
                    <span>{tr!(i18n, common.password)}</span>
                    <input
                        type="password"
                        autocomplete="current-password"
                        required
                        autofocus
                        prop:value=move || password.get()
                        on:input=move |ev| password.set(event_target_value(&ev))
                    />
                </label>
                {code.map(|code| view! {
                    <label>
                        <span>{tr!(i18n, signin.code)}</span>
                        <input type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="off"
                            spellcheck="false" maxlength="20" required bind:value=code/>
                    </label>
                })}
                <ErrorNote error=error/>
                <div class="dialog-actions">
                    <button type="button" class="button" on:click=move |_| open.set(false)>{tr!(i18n, common.cancel)}</button>
                    <button type="submit" class="button primary" disabled=move || pending.get()>{tr!(i18n, common.confirm)}</button>
                </div>
            </form>
        </Dialog>
    }
}
