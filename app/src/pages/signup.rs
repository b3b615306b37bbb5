//! `/signup`: a new account, signed in straight away.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{signup_open, SignUp};
use crate::i18n::td_string;
use crate::locale::use_i18n;
use crate::locale::LanguageSwitcher;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let open = Resource::new(|| (), |_| signup_open());
    let error = move || action.value().get().and_then(|r| r.err());
    let i18n = use_i18n();
    view! {
        <Title text=move || td_string!(i18n.get(), signup.page_title)/>
        <main class="auth">
            <div class="card">
                <div class="brand-large">"Patio"</div>
                <h1>{move || td_string!(i18n.get(), signup.title)}</h1>
                <Suspense fallback=move || view! { <p class="muted">{move || td_string!(i18n.get(), common.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match open.await {
                            Ok(false) => view! {
                                <p class="note">{move || td_string!(i18n.get(), signup.closed)}</p>
                            }.into_any(),
                            _ => view! {
                                <ActionForm action=action attr:class="stack">
                                    <label>
                                        <span>{move || td_string!(i18n.get(), common.email)}</span>
                                        <input type="email" name="email" autocomplete="username" required autofocus/>
                                    </label>
                                    <label>
                                        <span>{move || td_string!(i18n.get(), common.password)}</span>
                                        <input type="password" name="password" autocomplete="new-password" required minlength="8" maxlength="128"/>
                                        <small class="muted">{move || td_string!(i18n.get(), signup.password_hint)}</small>
                                    </label>
                                    {move || error().map(|e| view! { <p class="error" role="alert">{crate::text::signup_error(i18n, &e)}</p> })}
                                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                                        {move || td_string!(i18n.get(), signup.submit)}
                                    </button>
                                </ActionForm>
                            }.into_any(),
                        }
                    })}
                </Suspense>
                <p class="muted">{move || td_string!(i18n.get(), signup.have_account)} " " <a href="/signin">{move || td_string!(i18n.get(), signup.sign_in)}</a></p>
                <LanguageSwitcher/>
            </div>
        </main>
    }
}
