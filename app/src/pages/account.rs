//! Settings → Account: change the password (the current one first; the other sessions
//! end), change the email (a link to the new address makes the change), the security
//! mail's one switch (sign-ins from new addresses), and deleting the account (the
//! password, and a code where two-factor is on).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    load_account_settings, ChangeEmail, ChangePassword, DeleteAccount, SigninNotices,
};
use crate::components::action::{follow, Notice, StatusNote};
use crate::components::password::PasswordDialog;
use crate::components::settings_tabs::SettingsTabs;
use crate::components::topbar::{ErrorNote, TopBar};
use crate::format;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;

#[component]
pub fn AccountPage() -> impl IntoView {
    let i18n = use_i18n();
    let change_password = ServerAction::<ChangePassword>::new();
    let change_email = ServerAction::<ChangeEmail>::new();
    let notices = ServerAction::<SigninNotices>::new();
    let delete = ServerAction::<DeleteAccount>::new();
    let settings = loaded(
        move || (change_email.version().get(), notices.version().get()),
        |_| load_account_settings(),
    );
    let password_notice = RwSignal::new(None::<Notice>);
    let email_notice = RwSignal::new(None::<Notice>);
    let notices_notice = RwSignal::new(None::<Notice>);
    let password_error = RwSignal::new(None);
    let email_error = RwSignal::new(None);
    let notices_error = RwSignal::new(None);
    let delete_error = RwSignal::new(None);
    let delete_open = RwSignal::new(false);
    let delete_code = RwSignal::new(String::new());
    let current = RwSignal::new(String::new());
    let new_password = RwSignal::new(String::new());
    let new_email = RwSignal::new(String::new());
    let email_password = RwSignal::new(String::new());

    follow(change_password, password_error, move |()| {
        current.set(String::new());
        new_password.set(String::new());
        password_notice.set(Some(Notice::new(|locale| {
            td_string!(locale, account.password_changed).into()
        })));
    });
    follow(change_email, email_error, move |()| {
        let to = new_email.get_untracked();
        new_email.set(String::new());
        email_password.set(String::new());
        email_notice.set(Some(Notice::new(move |locale| {
            td_string!(locale, account.email_asked, email = &to).to_string()
        })));
    });
    follow(notices, notices_error, move |()| {
        notices_notice.set(Some(Notice::new(|locale| {
            td_string!(locale, account.notices_saved).into()
        })));
    });
    // A deleted account's session is gone: the server sends the browser to sign in.
    follow(delete, delete_error, move |()| delete_open.set(false));

    view! {
        <Title text=tr!(i18n, settings.account)/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{tr!(i18n, settings.title)}</h1>
            </div>
            <SettingsTabs current="account"/>
            <Transition fallback=move || view! { <p class="muted">{tr!(i18n, common.loading)}</p> }>
                {move || Suspend::new(async move {
                    let s = match settings.await {
                        Ok(s) => s,
                        Err(e) => return view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }.into_any(),
                    };
                    let since = format::date(s.created_at);
                    let two_factor = s.two_factor;
                    let mail = s.mail;
                    let pending = s.pending_email.clone();
                    let notify = s.notify_new_signin;
                    view! {
                        <section class="panel account" aria-labelledby="account-email">
                            <p class="muted intro">{tr!(i18n, account.intro)}</p>
                            <dl class="facts">
                                <dt id="account-email">{tr!(i18n, account.email_label)}</dt>
                                <dd class="strong">{s.email.clone()}</dd>
                                <dt></dt>
                                <dd class="muted">{move || td_string!(i18n.get(), account.since, date = &since).to_string()}</dd>
                            </dl>
                        </section>

                        <section class="panel" aria-labelledby="change-password">
                            <h2 id="change-password">{tr!(i18n, account.change_password)}</h2>
                            <form class="stack narrow" on:submit=move |ev| {
                                ev.prevent_default();
                                change_password.dispatch(ChangePassword {
                                    current: current.get_untracked(),
                                    new: new_password.get_untracked(),
                                });
                            }>
                                <label>
                                    <span>{tr!(i18n, account.current_password)}</span>
                                    <input type="password" autocomplete="current-password" required bind:value=current/>
                                </label>
                                <label>
                                    <span>{tr!(i18n, account.new_password)}</span>
                                    <input type="password" autocomplete="new-password" required minlength="8" maxlength="128" bind:value=new_password/>
                                    <small class="muted">{tr!(i18n, account.password_hint)}</small>
                                </label>
                                <ErrorNote error=password_error/>
                                <StatusNote notice=password_notice/>
                                <div><button type="submit" class="button primary" disabled=move || change_password.pending().get()>{tr!(i18n, account.change_password)}</button></div>
                            </form>
                        </section>

                        <section class="panel" aria-labelledby="change-email">
                            <h2 id="change-email">{tr!(i18n, account.change_email)}</h2>
                            {if mail {
                                view! {
                                    <form class="stack narrow" on:submit=move |ev| {
                                        ev.prevent_default();
                                        change_email.dispatch(ChangeEmail {
                                            password: email_password.get_untracked(),
                                            email: new_email.get_untracked(),
                                        });
                                    }>
                                        {pending.clone().map(|to| view! {
                                            <p class="note">{move || td_string!(i18n.get(), account.pending, email = &to).to_string()}</p>
                                        })}
                                        <label>
                                            <span>{tr!(i18n, account.new_email)}</span>
                                            <input type="email" autocomplete="email" required bind:value=new_email/>
                                            <small class="muted">{tr!(i18n, account.email_hint)}</small>
                                        </label>
                                        <label>
                                            <span>{tr!(i18n, common.password)}</span>
                                            <input type="password" autocomplete="current-password" required bind:value=email_password/>
                                        </label>
                                        <ErrorNote error=email_error/>
                                        <StatusNote notice=email_notice/>
                                        <div><button type="submit" class="button primary" disabled=move || change_email.pending().get()>{tr!(i18n, account.send_link)}</button></div>
                                    </form>
                                }.into_any()
                            } else {
                                view! { <p class="note">{tr!(i18n, account.no_mail)}</p> }.into_any()
                            }}
                        </section>

                        <section class="panel" aria-labelledby="security-mail">
                            <h2 id="security-mail">{tr!(i18n, account.notices)}</h2>
                            <p class="muted">{move || if mail { td_string!(i18n.get(), account.notices_hint) } else { td_string!(i18n.get(), account.notices_no_mail) }}</p>
                            <label class="check">
                                <input type="checkbox" prop:checked=notify disabled=!mail
                                    on:change=move |ev| { notices.dispatch(SigninNotices { on: event_target_checked(&ev) }); }/>
                                <span>{tr!(i18n, account.notify_signin)}</span>
                            </label>
                            <ErrorNote error=notices_error/>
                            <StatusNote notice=notices_notice/>
                        </section>

                        <section class="panel danger-zone" aria-labelledby="delete-account">
                            <h2 id="delete-account">{tr!(i18n, account.delete)}</h2>
                            <p>{tr!(i18n, account.delete_text)}</p>
                            <button type="button" class="button danger" on:click=move |_| delete_open.set(true)>{tr!(i18n, account.delete_button)}</button>
                            <PasswordDialog
                                open=delete_open
                                title=Signal::derive(move || td_string!(i18n.get(), account.delete_title).to_string())
                                detail=Signal::derive(move || td_string!(i18n.get(), account.delete_detail).to_string())
                                pending=Signal::derive(move || delete.pending().get())
                                error=delete_error
                                code=two_factor.then_some(delete_code)
                                on_confirm=Callback::new(move |password: String| {
                                    let code = delete_code.get_untracked();
                                    delete.dispatch(DeleteAccount {
                                        password,
                                        code: (!code.trim().is_empty()).then_some(code),
                                    });
                                })
                            />
                        </section>
                    }.into_any()
                })}
            </Transition>
        </main>
    }
}
