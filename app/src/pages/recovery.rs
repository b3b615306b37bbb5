//! The pages a person reaches without signing in, to get back into an account or to
//! finish making one: `/forgot` (a link to set a new password, answered alike for
//! every email), `/reset/<secret>` (the new password), `/verify/<secret>` (a sign-up's
//! account made) and `/confirm-email/<secret>` (a new email made the account's). A
//! link's page says whether it works before anything is typed; only its button uses it.

use domain::accounts::LinkPurpose;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{link_works, mail_on, ConfirmEmail, ForgotPassword, ResetPassword, VerifySignUp};
use crate::components::post_form::PostForm;
use crate::i18n::{td_string, tr};
use crate::loaded::{loaded, Loaded};
use crate::locale::{use_i18n, LanguageSwitcher};

/// The card every page here sits in.
#[component]
fn Card(title: Signal<String>, children: Children) -> impl IntoView {
    view! {
        <Title text=title/>
        <main class="auth">
            <div class="card">
                <div class="brand-large">"Patio"</div>
                <h1>{title}</h1>
                {children()}
                <LanguageSwitcher/>
            </div>
        </main>
    }
}

#[component]
pub fn ForgotPage() -> impl IntoView {
    let i18n = use_i18n();
    let action = ServerAction::<ForgotPassword>::new();
    let mail = loaded(|| (), |_| mail_on());
    let email = RwSignal::new(String::new());
    let error = move || action.value().get().and_then(|r| r.err());
    let sent = move || action.value().get().is_some_and(|r| r.is_ok());
    view! {
        <Card title=Signal::derive(move || td_string!(i18n.get(), forgot.title).to_string())>
            <Suspense fallback=move || view! { <p class="muted">{tr!(i18n, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    if mail.await == Ok(false) {
                        return view! { <p class="note">{tr!(i18n, forgot.no_mail)}</p> }.into_any();
                    }
                    view! {
                        {move || if sent() {
                            view! {
                                <p class="notice" role="status">
                                    {move || td_string!(i18n.get(), forgot.sent, email = email.get()).to_string()}
                                </p>
                            }.into_any()
                        } else {
                            view! {
                                <p class="muted">{tr!(i18n, forgot.intro)}</p>
                                <PostForm action=action attr:class="stack" read=|f| ForgotPassword { email: f.text("email") }>
                                    <label>
                                        <span>{tr!(i18n, common.email)}</span>
                                        <input type="email" name="email" autocomplete="username" required autofocus
                                            bind:value=email/>
                                    </label>
                                    {move || error().map(|e| view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> })}
                                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                                        {tr!(i18n, forgot.submit)}
                                    </button>
                                </PostForm>
                            }.into_any()
                        }}
                    }.into_any()
                })}
            </Suspense>
            <p class="muted"><a href="/signin">{tr!(i18n, forgot.back)}</a></p>
        </Card>
    }
}

/// The secret in the page's path.
fn secret() -> Memo<String> {
    let params = use_params_map();
    Memo::new(move |_| params.with(|p| p.get("secret").unwrap_or_default()))
}

/// Whether the page's link works, asked once when the page opens.
fn link_state(purpose: LinkPurpose, secret: Memo<String>) -> Loaded<bool> {
    loaded(
        move || secret.get(),
        move |secret| async move { link_works(purpose, secret).await.unwrap_or(false) },
    )
}

/// What a link that does not work shows, with where to ask again.
fn gone(i18n: crate::locale::I18n, again: &'static str) -> AnyView {
    view! {
        <p class="error" role="alert">{tr!(i18n, link.gone)}</p>
        <p><a class="button" href=again>{tr!(i18n, link.ask_again)}</a></p>
    }
    .into_any()
}

#[component]
pub fn ResetPage() -> impl IntoView {
    let i18n = use_i18n();
    let secret = secret();
    let works = link_state(LinkPurpose::Reset, secret);
    let action = ServerAction::<ResetPassword>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let done = move || action.value().get().is_some_and(|r| r.is_ok());
    view! {
        <Card title=Signal::derive(move || td_string!(i18n.get(), reset.title).to_string())>
            <Suspense fallback=move || view! { <p class="muted">{tr!(i18n, link.checking)}</p> }>
                {move || Suspend::new(async move {
                    let works = works.await;
                    view! {
                        {move || if done() {
                            view! {
                                <p class="notice" role="status"><strong>{tr!(i18n, reset.done_title)}</strong></p>
                                <p>{tr!(i18n, reset.done)}</p>
                                <p><a href="/settings/access-tokens">{tr!(i18n, reset.revoke)}</a></p>
                                <p><a class="button primary" href="/signin">{tr!(i18n, reset.sign_in)}</a></p>
                            }.into_any()
                        } else if !works {
                            gone(i18n, "/forgot")
                        } else {
                            view! {
                                <PostForm action=action attr:class="stack" read=|f| ResetPassword { secret: f.text("secret"), password: f.text("password") }>
                                    <input type="hidden" name="secret" value=move || secret.get()/>
                                    <label>
                                        <span>{tr!(i18n, reset.new_password)}</span>
                                        <input type="password" name="password" autocomplete="new-password" required
                                            minlength="8" maxlength="128" autofocus/>
                                        <small class="muted">{tr!(i18n, reset.hint)}</small>
                                    </label>
                                    {move || error().map(|e| view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> })}
                                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                                        {tr!(i18n, reset.submit)}
                                    </button>
                                </PostForm>
                            }.into_any()
                        }}
                    }.into_any()
                })}
            </Suspense>
        </Card>
    }
}

#[component]
pub fn VerifyPage() -> impl IntoView {
    let i18n = use_i18n();
    let secret = secret();
    let works = link_state(LinkPurpose::SignUp, secret);
    let action = ServerAction::<VerifySignUp>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    view! {
        <Card title=Signal::derive(move || td_string!(i18n.get(), verify.title).to_string())>
            <Suspense fallback=move || view! { <p class="muted">{tr!(i18n, link.checking)}</p> }>
                {move || Suspend::new(async move {
                    if !works.await {
                        return gone(i18n, "/signup");
                    }
                    view! {
                        <p class="muted">{tr!(i18n, verify.intro)}</p>
                        <PostForm action=action attr:class="stack" read=|f| VerifySignUp { secret: f.text("secret") }>
                            <input type="hidden" name="secret" value=move || secret.get()/>
                            {move || error().map(|e| view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> })}
                            <button type="submit" class="button primary" disabled=move || action.pending().get()>
                                {tr!(i18n, verify.submit)}
                            </button>
                        </PostForm>
                    }.into_any()
                })}
            </Suspense>
        </Card>
    }
}

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let i18n = use_i18n();
    let secret = secret();
    let works = link_state(LinkPurpose::EmailChange, secret);
    let action = ServerAction::<ConfirmEmail>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    let done = move || action.value().get().and_then(|r| r.ok());
    view! {
        <Card title=Signal::derive(move || td_string!(i18n.get(), confirm_email.title).to_string())>
            <Suspense fallback=move || view! { <p class="muted">{tr!(i18n, link.checking)}</p> }>
                {move || Suspend::new(async move {
                    let works = works.await;
                    view! {
                        {move || match done() {
                            Some(email) => view! {
                                <p class="notice" role="status">{move || td_string!(i18n.get(), confirm_email.done, email = email.clone()).to_string()}</p>
                                <p><a class="button primary" href="/settings/account">{tr!(i18n, settings.account)}</a></p>
                            }.into_any(),
                            None if !works => gone(i18n, "/settings/account"),
                            None => view! {
                                <p class="muted">{tr!(i18n, confirm_email.intro)}</p>
                                <PostForm action=action attr:class="stack" read=|f| ConfirmEmail { secret: f.text("secret") }>
                                    <input type="hidden" name="secret" value=move || secret.get()/>
                                    {move || error().map(|e| view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> })}
                                    <button type="submit" class="button primary" disabled=move || action.pending().get()>
                                        {tr!(i18n, confirm_email.submit)}
                                    </button>
                                </PostForm>
                            }.into_any(),
                        }}
                    }.into_any()
                })}
            </Suspense>
        </Card>
    }
}
