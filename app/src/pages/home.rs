//! `/`: the account's environments with their status and actions.

use std::time::Duration;

use domain::environments::{Action, Environment, Status};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    list_environments, token_alerts, ChangeEnvironment, CreateEnvironment, DeleteEnvironment,
};
use crate::components::action::follow;
use crate::components::dialog::Dialog;
use crate::components::post_form::PostForm;
use crate::components::topbar::{ErrorNote, TopBar};
use crate::format;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;

#[component]
pub fn HomePage() -> impl IntoView {
    let create = ServerAction::<CreateEnvironment>::new();
    let change = ServerAction::<ChangeEnvironment>::new();
    let delete = ServerAction::<DeleteEnvironment>::new();
    let tick = RwSignal::new(0u32);
    let i18n = use_i18n();
    let envs = loaded(
        move || {
            (
                create.version().get(),
                change.version().get(),
                delete.version().get(),
                tick.get(),
            )
        },
        |_| list_environments(),
    );
    // Changes made through the API show up without a reload.
    Effect::new(move |_| {
        let handle =
            set_interval_with_handle(move || tick.update(|t| *t += 1), Duration::from_secs(5));
        on_cleanup(move || {
            if let Ok(h) = handle {
                h.clear();
            }
        });
    });
    let alerts = loaded(|| (), |_| token_alerts());
    let deleting = RwSignal::new(None::<String>);
    let delete_open = RwSignal::new(false);
    let delete_error = RwSignal::new(None);
    follow(delete, delete_error, move |()| delete_open.set(false));
    let create_error = move || create.value().get().and_then(|r| r.err());
    let change_error = move || change.value().get().and_then(|r| r.err());
    view! {
        <Title text=tr!(i18n, home.title)/>
        <TopBar/>
        <main class="page">
            <Suspense fallback=|| ()>
                {move || alerts.get().and_then(Result::ok).and_then(|(soon, expired)| {
                    let sentence = move || {
                        let mut parts = Vec::new();
                        match soon {
                            0 => {}
                            1 => parts.push(td_string!(i18n.get(), home.soon_one).to_string()),
                            n => parts.push(td_string!(i18n.get(), home.soon_many, n).to_string()),
                        }
                        match expired {
                            0 => {}
                            1 => parts.push(td_string!(i18n.get(), home.expired_one).to_string()),
                            n => parts.push(td_string!(i18n.get(), home.expired_many, n).to_string()),
                        }
                        format!("{}.", parts.join("; "))
                    };
                    (soon + expired > 0).then(|| view! {
                        <div class="banner" role="status">
                            <span>{sentence}</span>
                            <a href="/settings/access-tokens">{tr!(i18n, home.review)}</a>
                        </div>
                    })
                })}
            </Suspense>
            <div class="page-head">
                <h1>{tr!(i18n, home.title)}</h1>
            </div>
            <section class="panel">
                <PostForm action=create attr:class="row-form" read=|f| CreateEnvironment { name: f.text("name"), node_type: f.text("node_type") }>
                    <label>
                        <span>{tr!(i18n, home.name)}</span>
                        <input name="name" placeholder="my-project" required pattern="[a-zA-Z][a-zA-Z0-9\\-]{1,39}"/>
                    </label>
                    <label>
                        <span>{tr!(i18n, home.stack)}</span>
                        <select name="node_type">
                            <option value="nginx">"NGINX"</option>
                            <option value="tomcat">"Apache Tomcat"</option>
                            <option value="nodejs">"Node.js"</option>
                            <option value="postgresql">"PostgreSQL"</option>
                        </select>
                    </label>
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        {tr!(i18n, home.create)}
                    </button>
                </PostForm>
                <ErrorNote error=Signal::derive(create_error)/>
            </section>
            <ErrorNote error=Signal::derive(change_error)/>
            <Transition fallback=move || view! { <p class="muted">{tr!(i18n, home.loading)}</p> }>
                {move || Suspend::new(async move {
                    match envs.await {
                        Err(e) => view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <div class="empty">
                                <p>{tr!(i18n, home.empty)}</p>
                                <p class="muted">{tr!(i18n, home.empty_hint)}</p>
                            </div>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="table" aria-label=tr!(i18n, home.title)>
                                    <thead>
                                        <tr><th>{tr!(i18n, home.col_name)}</th><th>{tr!(i18n, home.col_status)}</th><th>{tr!(i18n, home.col_nodes)}</th><th>{tr!(i18n, home.col_created)}</th><th class="actions">{tr!(i18n, home.col_actions)}</th></tr>
                                    </thead>
                                    <tbody>
                                        {list.into_iter().map(|env| env_row(i18n, env, change, deleting, delete_open)).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
            <Dialog open=delete_open title=Signal::derive(move || td_string!(i18n.get(), home.delete_title, name = deleting.get().unwrap_or_default()).to_string())>
                <PostForm action=delete attr:class="stack" read=|f| DeleteEnvironment { name: f.text("name"), password: f.text("password") }>
                    <p>{tr!(i18n, home.delete_text)}</p>
                    <input type="hidden" name="name" value=move || deleting.get().unwrap_or_default()/>
                    <label>
                        <span>{tr!(i18n, common.password)}</span>
                        <input type="password" name="password" autocomplete="current-password" required autofocus/>
                    </label>
                    <ErrorNote error=delete_error/>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| delete_open.set(false)>{tr!(i18n, common.cancel)}</button>
                        <button type="submit" class="button danger" disabled=move || delete.pending().get()>{tr!(i18n, common.delete)}</button>
                    </div>
                </PostForm>
            </Dialog>
        </main>
    }
}

fn env_row(
    i18n: crate::locale::I18n,
    env: Environment,
    change: ServerAction<ChangeEnvironment>,
    deleting: RwSignal<Option<String>>,
    delete_open: RwSignal<bool>,
) -> impl IntoView {
    let name = env.name.clone();
    let act = move |action: Action| {
        let name = name.clone();
        move |_| {
            change.dispatch(ChangeEnvironment {
                name: name.clone(),
                action,
            });
        }
    };
    let status = env.status;
    let nodes = env
        .nodes
        .iter()
        .map(|n| format!("{} × {}", n.count, n.node_type))
        .collect::<Vec<_>>()
        .join(", ");
    let name_for_delete = env.name.clone();
    view! {
        <tr>
            <td class="strong">{env.name.clone()}</td>
            <td>
                <span class=format!("badge {}", status.name())>{move || crate::text::status(i18n, status)}</span>
            </td>
            <td class="muted">{nodes}</td>
            <td class="muted">{format::date(env.created_at)}</td>
            <td class="actions">
                {(status != Status::Running).then(|| view! { <button class="button small" on:click=act(Action::Start)>{tr!(i18n, home.start)}</button> })}
                {(status != Status::Stopped).then(|| view! { <button class="button small" on:click=act(Action::Stop)>{tr!(i18n, home.stop)}</button> })}
                {(status == Status::Running).then(|| view! { <button class="button small" on:click=act(Action::Sleep)>{tr!(i18n, home.sleep)}</button> })}
                <button class="button small danger-text" on:click=move |_| {
                    deleting.set(Some(name_for_delete.clone()));
                    delete_open.set(true);
                }>{tr!(i18n, common.delete)}</button>
            </td>
        </tr>
    }
}
