//! `/signin`: email and password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::SignIn;
use crate::i18n::td_string;
use crate::locale::use_i18n;
use crate::locale::LanguageSwitcher;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let i18n = use_i18n();
    view! {
        <Title text=move || td_string!(i18n.get(), signin.title)/>
        <main class="auth">
            <div class="card">
                <div class="brand-large">"Patio"</div>
                <h1>{move || td_string!(i18n.get(), signin.title)}</h1>
                <ActionForm action=action attr:class="stack">
                    <label>
                        <span>{move || td_string!(i18n.get(), common.email)}</span>
                        <input type="email" name="email" autocomplete="username" required autofocus/>
                    </label>
                    <label>
                        <span>{move || td_string!(i18n.get(), common.password)}</span>
                        <input type="password" name="password" autocomplete="current-password" required/>
                    </label>
                    {move || error().map(|e| view! { <p class="error" role="alert">{crate::text::signin_error(i18n, &e)}</p> })}
                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                        {move || td_string!(i18n.get(), signin.submit)}
                    </button>
                </ActionForm>
                <p class="muted">{move || td_string!(i18n.get(), signin.new_here)} " " <a href="/signup">{move || td_string!(i18n.get(), signin.create_account)}</a></p>
                <LanguageSwitcher/>
            </div>
        </main>
    }
}
