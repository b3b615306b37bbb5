//! Settings → Passkeys: add one (the password first, then the device's prompt), the list
//! with when each was added and last used, Rename, and Remove (the password).

use domain::passkeys::{Ceremony, PasskeySummary};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{load_passkeys, BeginPasskey, FinishPasskey, RemovePasskey, RenamePasskey};
use crate::components::action::{follow, Notice, StatusNote};
use crate::components::password::PasswordDialog;
use crate::components::settings_tabs::SettingsTabs;
use crate::components::topbar::{ErrorNote, TopBar};
use crate::error::AppError;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;

#[component]
pub fn PasskeysPage() -> impl IntoView {
    let i18n = use_i18n();
    let begin = ServerAction::<BeginPasskey>::new();
    let finish = ServerAction::<FinishPasskey>::new();
    let rename = ServerAction::<RenamePasskey>::new();
    let remove = ServerAction::<RemovePasskey>::new();
    let list = loaded(
        move || {
            (
                finish.version().get(),
                rename.version().get(),
                remove.version().get(),
            )
        },
        |_| load_passkeys(),
    );
    let name = RwSignal::new(String::new());
    let add_open = RwSignal::new(false);
    let remove_open = RwSignal::new(false);
    let removing = RwSignal::new(None::<PasskeySummary>);
    let editing = RwSignal::new(None::<i64>);
    let new_name = RwSignal::new(String::new());
    let waiting = RwSignal::new(false);
    let notice = RwSignal::new(None::<Notice>);
    let begin_error = RwSignal::new(None::<AppError>);
    let page_error = RwSignal::new(None::<AppError>);
    let remove_error = RwSignal::new(None::<AppError>);
    let refused = RwSignal::new(false);

    // The password was right: the device's prompt, then the answer to the server.
    follow(begin, begin_error, move |ceremony: Ceremony| {
        add_open.set(false);
        refused.set(false);
        waiting.set(true);
        let chosen = name.get_untracked();
        leptos::task::spawn_local(async move {
            let answer = crate::webauthn::create(&ceremony.options).await;
            waiting.set(false);
            match answer {
                Ok(credential) => {
                    finish.dispatch(FinishPasskey {
                        ceremony: ceremony.id,
                        credential,
                        name: chosen,
                    });
                }
                Err(_) => refused.set(true),
            }
        });
    });
    follow(finish, page_error, move |added: PasskeySummary| {
        name.set(String::new());
        notice.set(Some(Notice::new(move |locale| {
            td_string!(locale, passkeys.added, name = &added.name).to_string()
        })));
    });
    follow(rename, page_error, move |()| {
        editing.set(None);
        notice.set(Some(Notice::new(|locale| {
            td_string!(locale, passkeys.renamed).into()
        })));
    });
    follow(remove, remove_error, move |()| {
        remove_open.set(false);
        notice.set(Some(Notice::new(|locale| {
            td_string!(locale, passkeys.removed).into()
        })));
    });

    view! {
        <Title text=tr!(i18n, settings.passkeys)/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{tr!(i18n, settings.title)}</h1>
            </div>
            <SettingsTabs current="passkeys"/>
            <section class="panel">
                <p class="muted intro">{tr!(i18n, passkeys.intro)}</p>
                <noscript><p class="note">{tr!(i18n, passkeys.needs_scripts)}</p></noscript>
                <Transition fallback=move || view! { <p class="muted">{tr!(i18n, common.loading)}</p> }>
                    {move || Suspend::new(async move {
                        let view = match list.await {
                            Ok(view) => view,
                            Err(e) => return view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }.into_any(),
                        };
                        let unavailable = view.unavailable.clone();
                        let count = view.passkeys.len();
                        view! {
                            {unavailable.clone().map(|why| view! {
                                <p class="note">{move || td_string!(i18n.get(), passkeys.unavailable, why = &why).to_string()}</p>
                            })}
                            <form class="row-form needs-js" on:submit=move |ev| {
                                ev.prevent_default();
                                if name.with_untracked(|n| n.trim().is_empty()) {
                                    name.set(format!("{} {}", untrack(|| td_string!(i18n.get(), passkeys.default_name)), count + 1));
                                }
                                add_open.set(true);
                            }>
                                <label>
                                    <span>{tr!(i18n, passkeys.name)}</span>
                                    <input maxlength="64" bind:value=name placeholder=tr!(i18n, passkeys.name_hint)/>
                                </label>
                                <button type="submit" class="button primary" disabled=move || unavailable.is_some() || waiting.get()>
                                    {tr!(i18n, passkeys.add)}
                                </button>
                            </form>
                            {move || waiting.get().then(|| view! { <p class="muted" role="status">{tr!(i18n, passkeys.waiting)}</p> })}
                            {move || refused.get().then(|| view! { <p class="error" role="alert">{tr!(i18n, passkeys.browser_refused)}</p> })}
                            <StatusNote notice=notice/>
                            <ErrorNote error=page_error/>
                            {if view.passkeys.is_empty() {
                                view! { <p class="muted">{tr!(i18n, passkeys.none)}</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                        <table class="table" aria-label=tr!(i18n, settings.passkeys)>
                                            <thead><tr>
                                                <th>{tr!(i18n, passkeys.col_name)}</th>
                                                <th>{tr!(i18n, passkeys.col_added)}</th>
                                                <th>{tr!(i18n, passkeys.col_used)}</th>
                                                <th></th>
                                            </tr></thead>
                                            <tbody>
                                                {view.passkeys.into_iter().map(|p| {
                                                    let id = p.id;
                                                    let for_edit = p.name.clone();
                                                    let for_remove = p.clone();
                                                    view! {
                                                        <tr>
                                                            <td class="strong">
                                                                {move || if editing.get() == Some(id) {
                                                                    view! {
                                                                        <form class="inline-edit" on:submit=move |ev| {
                                                                            ev.prevent_default();
                                                                            rename.dispatch(RenamePasskey { id, name: new_name.get_untracked() });
                                                                        }>
                                                                            <input maxlength="64" aria-label=tr!(i18n, passkeys.name) bind:value=new_name autofocus/>
                                                                            <button type="submit" class="button small primary">{tr!(i18n, passkeys.save)}</button>
                                                                        </form>
                                                                    }.into_any()
                                                                } else {
                                                                    view! { <span>{p.name.clone()}</span> }.into_any()
                                                                }}
                                                                {p.synced.then(|| view! { " " <span class="badge soon" title=tr!(i18n, passkeys.synced_hint)>{tr!(i18n, passkeys.synced)}</span> })}
                                                            </td>
                                                            <td>{format::date_time(p.created_at)}</td>
                                                            <td>{match p.last_used_at {
                                                                Some(at) => format::date_time(at).into_any(),
                                                                None => view! { <span class="muted">{tr!(i18n, passkeys.never)}</span> }.into_any(),
                                                            }}</td>
                                                            <td class="actions">
                                                                <button type="button" class="button small" on:click=move |_| {
                                                                    new_name.set(for_edit.clone());
                                                                    editing.set(Some(id));
                                                                }>{tr!(i18n, passkeys.rename)}</button>
                                                                " "
                                                                <button type="button" class="button small danger" on:click=move |_| {
                                                                    removing.set(Some(for_remove.clone()));
                                                                    remove_open.set(true);
                                                                }>{tr!(i18n, passkeys.remove)}</button>
                                                            </td>
                                                        </tr>
                                                    }
                                                }).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                }.into_any()
                            }}
                        }.into_any()
                    })}
                </Transition>
            </section>
            <PasswordDialog
                open=add_open
                title=Signal::derive(move || td_string!(i18n.get(), passkeys.confirm_add_title).to_string())
                detail=Signal::derive(move || td_string!(i18n.get(), passkeys.confirm_add).to_string())
                pending=Signal::derive(move || begin.pending().get())
                error=begin_error
                on_confirm=Callback::new(move |password: String| {
                    begin.dispatch(BeginPasskey { password });
                })
            />
            <PasswordDialog
                open=remove_open
                title=Signal::derive(move || td_string!(i18n.get(), passkeys.confirm_remove_title).to_string())
                detail=Signal::derive(move || removing.with(|p| p.as_ref().map(|p| td_string!(i18n.get(), passkeys.confirm_remove, name = &p.name).to_string()).unwrap_or_default()))
                pending=Signal::derive(move || remove.pending().get())
                error=remove_error
                on_confirm=Callback::new(move |password: String| {
                    if let Some(p) = removing.get_untracked() {
                        remove.dispatch(RemovePasskey { id: p.id, password });
                    }
                })
            />
        </main>
    }
}
