//! `/signup`: a new account. Without mail it is made and signed in straight away; with
//! mail every email gets the same answer (check the inbox), and the mail has the link
//! that makes the account, or says the email has one.

use leptos::prelude::*;
use leptos_meta::Title;

use domain::accounts::SignUpOutcome;

use crate::api::{signup_open, SignUp};
use crate::components::post_form::PostForm;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;
use crate::locale::LanguageSwitcher;

#[component]
pub fn SignUpPage() -> impl IntoView {
    let action = ServerAction::<SignUp>::new();
    let open = loaded(|| (), |_| signup_open());
    let error = move || action.value().get().and_then(|r| r.err());
    let check_inbox = move || {
        action
            .value()
            .get()
            .is_some_and(|r| r == Ok(SignUpOutcome::CheckInbox))
    };
    let email = RwSignal::new(String::new());
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
                                <Show when=check_inbox fallback=move || view! {
                                <PostForm action=action attr:class="stack" read=|f| SignUp { email: f.text("email"), password: f.text("password") }>
                                    <label>
                                        <span>{tr!(i18n, common.email)}</span>
                                        <input type="email" name="email" autocomplete="username" required autofocus
                                            bind:value=email/>
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
                                </PostForm>
                                }>
                                    <p class="notice" role="status"><strong>{tr!(i18n, signup.check_inbox_title)}</strong></p>
                                    <p>{move || td_string!(i18n.get(), signup.check_inbox, email = email.get()).to_string()}</p>
                                </Show>
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
