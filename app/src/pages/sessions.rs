//! Settings → Sessions: where the account is signed in, and a way to end every session
//! but this one (a laptop was lost, a session may be in someone else's hands).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_sessions, SignOutOthers};
use crate::components::action::{follow, Notice, StatusNote};
use crate::components::password::PasswordDialog;
use crate::components::settings_tabs::SettingsTabs;
use crate::components::topbar::TopBar;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;

#[component]
pub fn SessionsPage() -> impl IntoView {
    let i18n = use_i18n();
    let sign_out = ServerAction::<SignOutOthers>::new();
    let sessions = loaded(move || sign_out.version().get(), |_| list_sessions());
    let password_open = RwSignal::new(false);
    let notice = RwSignal::new(None::<Notice>);
    let last_error = RwSignal::new(None);
    follow(sign_out, last_error, move |n| {
        password_open.set(false);
        notice.set(Some(Notice::new(move |locale| {
            td_string!(locale, sessions.signed_out, n).to_string()
        })));
    });
    // Whether there is anything to sign out, kept from the last list loaded (the
    // toolbar sits outside the Transition).
    let others = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(list)) = sessions.get() {
            others.set(list.iter().any(|s| !s.current));
        }
    });
    view! {
        <Title text=tr!(i18n, settings.sessions)/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{tr!(i18n, settings.title)}</h1>
            </div>
            <SettingsTabs current="sessions"/>
            <section class="panel">
                <p class="muted intro">{tr!(i18n, sessions.intro)}</p>
                <div class="toolbar">
                    <button class="button danger" disabled=move || !others.get()
                        on:click=move |_| password_open.set(true)>{tr!(i18n, sessions.sign_out_others)}</button>
                </div>
                <StatusNote notice=notice/>
                <Transition fallback=move || view! { <p class="muted">{tr!(i18n, common.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match sessions.await {
                            Err(e) => view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }.into_any(),
                            Ok(list) => view! {
                                <div class="table-wrap">
                                    <table class="table" aria-label=tr!(i18n, sessions.table)>
                                        <thead>
                                            <tr>
                                                <th>{tr!(i18n, sessions.col_client)}</th>
                                                <th>{tr!(i18n, sessions.col_from)}</th>
                                                <th class="wide">{tr!(i18n, sessions.col_started)}</th>
                                                <th>{tr!(i18n, sessions.col_active)}</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {list.into_iter().map(|s| view! {
                                                <tr>
                                                    <td class="strong">
                                                        {s.user_agent.clone().unwrap_or_default()}
                                                        {s.current.then(|| view! { " " <span class="badge soon">{tr!(i18n, sessions.this_session)}</span> })}
                                                    </td>
                                                    <td>{s.ip.clone().unwrap_or_default()}</td>
                                                    <td class="wide muted">{format::date_time(s.created_at)}</td>
                                                    <td>{format::date_time(s.last_used_at)}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <PasswordDialog
                open=password_open
                title=Signal::derive(move || td_string!(i18n.get(), sessions.confirm_title).to_string())
                detail=Signal::derive(move || td_string!(i18n.get(), sessions.confirm_detail).to_string())
                pending=Signal::derive(move || sign_out.pending().get())
                error=last_error
                on_confirm=Callback::new(move |password: String| {
                    sign_out.dispatch(SignOutOthers { password });
                })
            />
        </main>
    }
}
