//! `/signup`: a new account, signed in straight away.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{signup_open, SignUp};
use crate::i18n::tr;
use crate::locale::use_i18n;
use crate::locale::LanguageSwitcher;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let open = Resource::new(|| (), |_| signup_open());
    let error = move || action.value().get().and_then(|r| r.err());
    let i18n = use_i18n();
    view! {
        <Title text=tr!(i18n, signup.page_title)/>
        <main class="auth">
            <div class="card">
                <div class="brand-large">"Patio"</div>
                <h1>{tr!(i18n, signup.title)}</h1>
                <Suspense fallback=move || view! { <p class="muted">{tr!(i18n, common.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match open.await {
                            Ok(false) => view! {
                                <p class="note">{tr!(i18n, signup.closed)}</p>
                            }.into_any(),
                            _ => view! {
                                <ActionForm action=action attr:class="stack">
                                    <label>
                                        <span>{tr!(i18n, common.email)}</span>
                                        <input type="email" name="email" autocomplete="username" required autofocus/>
                                    </label>
                                    <label>
                                        <span>{tr!(i18n, common.password)}</span>
                                        <input type="password" name="password" autocomplete="new-password" required minlength="8" maxlength="128"/>
                                        <small class="muted">{tr!(i18n, signup.password_hint)}</small>
                                    </label>
                                    {move || error().map(|e| view! { <p class="error" role="alert">{crate::text::signup_error(i18n, &e)}</p> })}
                                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                                        {tr!(i18n, signup.submit)}
                                    </button>
                                </ActionForm>
                            }.into_any(),
                        }
                    })}
                </Suspense>
                <p class="muted">{tr!(i18n, signup.have_account)} " " <a href="/signin">{tr!(i18n, signup.sign_in)}</a></p>
                <LanguageSwitcher/>
            </div>
        </main>
    }
}
