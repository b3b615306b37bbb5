//! `/signin`: email and password, then the two-factor code for accounts that have it; or
//! a passkey, no email typed (it counts as both factors), also offered at the code step.

use domain::ResultCode;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{begin_passkey_sign_in, passkeys_on, FinishPasskeySignIn, SignIn};
use crate::components::post_form::PostForm;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;
use crate::locale::LanguageSwitcher;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let i18n = use_i18n();
    let email = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    // The password was right and the account wants its code.
    let asks_code = move || {
        error().is_some_and(|e| {
            e.code() == Some(ResultCode::TwoFactorCode)
                || (e.code() == Some(ResultCode::InvalidParam) && e.message().starts_with("Code"))
        })
    };
    // With the email and password still in the page, only the code is asked for; a page
    // that lost them (no scripts yet) asks for all three.
    let code_only = move || asks_code() && !password.get().is_empty();
    let start_over = move |_| {
        action.value().set(None);
        password.set(String::new());
    };
    let passkeys = loaded(|| (), |_| passkeys_on());
    let passkey = ServerAction::<FinishPasskeySignIn>::new();
    let passkey_refused = RwSignal::new(false);
    let with_passkey = move |_| {
        passkey_refused.set(false);
        leptos::task::spawn_local(async move {
            let Ok(ceremony) = begin_passkey_sign_in().await else {
                passkey_refused.set(true);
                return;
            };
            match crate::webauthn::get(&ceremony.options).await {
                Ok(credential) => {
                    passkey.dispatch(FinishPasskeySignIn {
                        ceremony: ceremony.id,
                        credential,
                    });
                }
                Err(_) => passkey_refused.set(true),
            }
        });
    };
    let passkey_failed =
        move || passkey_refused.get() || passkey.value().get().is_some_and(|r| r.is_err());
    view! {
        <Title text=tr!(i18n, signin.title)/>
        <main class="auth">
            <div class="card">
                <div class="brand-large">"Patio"</div>
                <h1>{tr!(i18n, signin.title)}</h1>
                <PostForm action=action attr:class="stack" read=|f| SignIn {
                    email: f.text("email"),
                    password: f.text("password"),
                    code: f.optional("code"),
                }>
                    <label hidden=code_only>
                        <span>{tr!(i18n, common.email)}</span>
                        <input type="email" name="email" autocomplete="username" required autofocus
                            bind:value=email/>
                    </label>
                    <label hidden=code_only>
                        <span>{tr!(i18n, common.password)}</span>
                        <input type="password" name="password" autocomplete="current-password" required
                            bind:value=password/>
                    </label>
                    {move || asks_code().then(|| view! {
                        <p class="muted">{tr!(i18n, signin.code_prompt)}</p>
                        <label>
                            <span>{tr!(i18n, signin.code)}</span>
                            <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code"
                                autocapitalize="off" spellcheck="false" maxlength="20" required autofocus/>
                        </label>
                    })}
                    {move || error().and_then(|e| crate::text::signin_error(i18n, &e)).map(|e| view! { <p class="error" role="alert">{e}</p> })}
                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                        {move || if asks_code() { td_string!(i18n.get(), signin.verify) } else { td_string!(i18n.get(), signin.submit) }}
                    </button>
                    {move || code_only().then(|| view! {
                        <button type="button" class="link" on:click=start_over>{tr!(i18n, signin.other_account)}</button>
                    })}
                </PostForm>
                <Suspense>
                    {move || Suspend::new(async move {
                        (passkeys.await == Ok(true)).then(|| view! {
                            <div class="passkey-signin">
                                <noscript><p class="muted">{tr!(i18n, passkeys.needs_scripts)}</p></noscript>
                                <p class="or needs-js" aria-hidden="true"><span>{tr!(i18n, signin.or)}</span></p>
                                <button type="button" class="button needs-js" disabled=move || passkey.pending().get() on:click=with_passkey>
                                    {move || if asks_code() { td_string!(i18n.get(), signin.use_passkey) } else { td_string!(i18n.get(), signin.passkey) }}
                                </button>
                                {move || passkey_failed().then(|| view! { <p class="error" role="alert">{tr!(i18n, signin.passkey_refused)}</p> })}
                            </div>
                        })
                    })}
                </Suspense>
                <p class="muted"><a href="/forgot">{tr!(i18n, signin.forgot)}</a></p>
                <p class="muted">{tr!(i18n, signin.new_here)} " " <a href="/signup">{tr!(i18n, signin.create_account)}</a></p>
                <LanguageSwitcher/>
            </div>
        </main>
    }
}
