//! Settings → Two-factor: set up an authenticator app (QR code drawn by the server, or
//! the key typed by hand), turned on by a first correct code; recovery codes shown once;
//! new codes and turning it off, each with the password and a code.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    two_factor, BeginTwoFactor, DisableTwoFactor, EnableTwoFactor, NewRecoveryCodes, TwoFactorSetup,
};
use crate::components::action::{follow, Notice, StatusNote};
use crate::components::password::PasswordDialog;
use crate::components::recovery_codes::RecoveryCodesDialog;
use crate::components::settings_tabs::SettingsTabs;
use crate::components::topbar::{ErrorNote, TopBar};
use crate::format;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;

/// Recovery codes left at which the page suggests making new ones.
const FEW_CODES: i64 = 3;

#[component]
pub fn TwoFactorPage() -> impl IntoView {
    let i18n = use_i18n();
    let begin = ServerAction::<BeginTwoFactor>::new();
    let enable = ServerAction::<EnableTwoFactor>::new();
    let renew = ServerAction::<NewRecoveryCodes>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let status = loaded(
        move || {
            (
                enable.version().get(),
                renew.version().get(),
                disable.version().get(),
            )
        },
        |_| two_factor(),
    );
    let setup = RwSignal::new(None::<TwoFactorSetup>);
    let codes = RwSignal::new(None);
    let notice = RwSignal::new(None::<Notice>);
    let setup_open = RwSignal::new(false);
    let renew_open = RwSignal::new(false);
    let disable_open = RwSignal::new(false);
    let begin_error = RwSignal::new(None);
    let enable_error = RwSignal::new(None);
    let renew_error = RwSignal::new(None);
    let disable_error = RwSignal::new(None);
    let first_code = RwSignal::new(String::new());
    let renew_code = RwSignal::new(String::new());
    let disable_code = RwSignal::new(String::new());

    follow(begin, begin_error, move |s| {
        setup_open.set(false);
        notice.set(None);
        setup.set(Some(s));
    });
    follow(enable, enable_error, move |c| {
        setup.set(None);
        first_code.set(String::new());
        notice.set(Some(Notice::new(|locale| {
            td_string!(locale, two_factor.turned_on).to_string()
        })));
        codes.set(Some(c));
    });
    follow(renew, renew_error, move |c| {
        renew_open.set(false);
        codes.set(Some(c));
    });
    follow(disable, disable_error, move |()| {
        disable_open.set(false);
        notice.set(Some(Notice::new(|locale| {
            td_string!(locale, two_factor.turned_off).to_string()
        })));
    });

    let setup_view = move |s: TwoFactorSetup| {
        view! {
            <div class="stack two-factor-setup">
                <p>{tr!(i18n, two_factor.step_scan)}</p>
                <img class="qr" src=s.qr width="220" height="220" alt=tr!(i18n, two_factor.qr)/>
                <p class="muted">{tr!(i18n, two_factor.manual)}</p>
                <p>
                    <code class="setup-key" aria-label=tr!(i18n, two_factor.key)>{s.secret}</code>
                    " " <a class="link" href=s.uri>{tr!(i18n, two_factor.open_app)}</a>
                </p>
                <form class="stack narrow" on:submit=move |ev| {
                    ev.prevent_default();
                    enable.dispatch(EnableTwoFactor { code: first_code.get_untracked() });
                }>
                    <label>
                        <span>{tr!(i18n, two_factor.step_code)}</span>
                        <input type="text" inputmode="numeric" autocomplete="one-time-code" autocapitalize="off"
                            spellcheck="false" maxlength="20" required bind:value=first_code/>
                    </label>
                    <ErrorNote error=enable_error/>
                    <div>
                        <button type="submit" class="button primary" disabled=move || enable.pending().get()>
                            {tr!(i18n, two_factor.turn_on)}
                        </button>
                    </div>
                </form>
            </div>
        }
    };

    view! {
        <Title text=tr!(i18n, settings.two_factor)/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{tr!(i18n, settings.title)}</h1>
            </div>
            <SettingsTabs current="two-factor"/>
            <section class="panel">
                <p class="muted intro">{tr!(i18n, two_factor.intro)}</p>
                <StatusNote notice=notice/>
                <Transition fallback=move || view! { <p class="muted">{tr!(i18n, common.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match status.await {
                            Err(e) => view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }.into_any(),
                            Ok(status) => match status.enabled_at {
                                Some(since) => {
                                    let left = status.recovery_codes_left;
                                    let date = format::date_time(since);
                                    view! {
                                        <p class="strong">{move || td_string!(i18n.get(), two_factor.on_since, date = date.clone()).to_string()}</p>
                                        <p>{move || td_string!(i18n.get(), two_factor.codes_left, n = left).to_string()}</p>
                                        {(left <= FEW_CODES).then(|| view! { <p class="warning" role="note">{tr!(i18n, two_factor.codes_low)}</p> })}
                                        <div class="toolbar">
                                            <button class="button" on:click=move |_| renew_open.set(true)>{tr!(i18n, two_factor.new_codes)}</button>
                                            <button class="button danger" on:click=move |_| disable_open.set(true)>{tr!(i18n, two_factor.turn_off)}</button>
                                        </div>
                                    }.into_any()
                                }
                                None => view! {
                                    {move || match setup.get() {
                                        Some(s) => setup_view(s).into_any(),
                                        None => view! {
                                            <p class="strong">{tr!(i18n, two_factor.off)}</p>
                                            <div class="toolbar">
                                                <button class="button primary" on:click=move |_| setup_open.set(true)>{tr!(i18n, two_factor.set_up)}</button>
                                            </div>
                                        }.into_any(),
                                    }}
                                }.into_any(),
                            },
                        }
                    })}
                </Transition>
            </section>
            <PasswordDialog
                open=setup_open
                title=Signal::derive(move || td_string!(i18n.get(), two_factor.setup_title).to_string())
                detail=Signal::derive(move || td_string!(i18n.get(), two_factor.setup_detail).to_string())
                pending=Signal::derive(move || begin.pending().get())
                error=begin_error
                on_confirm=Callback::new(move |password: String| {
                    begin.dispatch(BeginTwoFactor { password });
                })
            />
            <PasswordDialog
                open=renew_open
                title=Signal::derive(move || td_string!(i18n.get(), two_factor.new_codes_title).to_string())
                detail=Signal::derive(move || td_string!(i18n.get(), two_factor.new_codes_detail).to_string())
                pending=Signal::derive(move || renew.pending().get())
                error=renew_error
                code=Some(renew_code)
                on_confirm=Callback::new(move |password: String| {
                    renew.dispatch(NewRecoveryCodes { password, code: renew_code.get_untracked() });
                })
            />
            <PasswordDialog
                open=disable_open
                title=Signal::derive(move || td_string!(i18n.get(), two_factor.off_title).to_string())
                detail=Signal::derive(move || td_string!(i18n.get(), two_factor.off_detail).to_string())
                pending=Signal::derive(move || disable.pending().get())
                error=disable_error
                code=Some(disable_code)
                on_confirm=Callback::new(move |password: String| {
                    disable.dispatch(DisableTwoFactor { password, code: disable_code.get_untracked() });
                })
            />
            <RecoveryCodesDialog codes=codes/>
        </main>
    }
}
