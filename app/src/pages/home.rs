//! `/`: the account's environments with their status and actions.

use std::time::Duration;

use domain::environments::{Action, Environment, Status};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    list_environments, token_alerts, ChangeEnvironment, CreateEnvironment, DeleteEnvironment,
};
use crate::components::dialog::Dialog;
use crate::components::topbar::{ErrorNote, TopBar};
use crate::format;

pub fn status_label(status: Status) -> &'static str {
    match status {
        Status::Running => "Running",
        Status::Stopped => "Stopped",
        Status::Sleeping => "Sleeping",
    }
}

#[component]
pub fn HomePage() -> impl IntoView {
    let create = ServerAction::<CreateEnvironment>::new();
    let change = ServerAction::<ChangeEnvironment>::new();
    let delete = ServerAction::<DeleteEnvironment>::new();
    let tick = RwSignal::new(0u32);
    let envs = Resource::new(
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
    let alerts = Resource::new(|| (), |_| token_alerts());
    let deleting = RwSignal::new(None::<String>);
    let delete_open = RwSignal::new(false);
    Effect::new(move |_| {
        if matches!(delete.value().get(), Some(Ok(()))) {
            delete_open.set(false);
        }
    });
    let create_error = move || create.value().get().and_then(|r| r.err());
    let change_error = move || change.value().get().and_then(|r| r.err());
    view! {
        <Title text="Environments"/>
        <TopBar/>
        <main class="page">
            <Suspense fallback=|| ()>
                {move || alerts.get().and_then(Result::ok).and_then(|(soon, expired)| {
                    let mut parts = Vec::new();
                    match soon {
                        0 => {}
                        1 => parts.push("1 access token expires within 7 days".to_string()),
                        n => parts.push(format!("{n} access tokens expire within 7 days")),
                    }
                    match expired {
                        0 => {}
                        1 => parts.push("1 has expired".to_string()),
                        n => parts.push(format!("{n} have expired")),
                    }
                    (!parts.is_empty()).then(|| view! {
                        <div class="banner" role="status">
                            <span>{format!("{}.", parts.join("; "))}</span>
                            <a href="/settings/access-tokens">"Review access tokens"</a>
                        </div>
                    })
                })}
            </Suspense>
            <div class="page-head">
                <h1>"Environments"</h1>
            </div>
            <section class="panel">
                <ActionForm action=create attr:class="row-form">
                    <label>
                        <span>"Name"</span>
                        <input name="name" placeholder="my-project" required pattern="[a-zA-Z][a-zA-Z0-9\\-]{1,39}"/>
                    </label>
                    <label>
                        <span>"Stack"</span>
                        <select name="node_type">
                            <option value="nginx">"NGINX"</option>
                            <option value="tomcat">"Apache Tomcat"</option>
                            <option value="nodejs">"Node.js"</option>
                            <option value="postgresql">"PostgreSQL"</option>
                        </select>
                    </label>
                    <button type="submit" class="button primary" disabled=move || create.pending().get()>
                        "Create environment"
                    </button>
                </ActionForm>
                <ErrorNote error=Signal::derive(create_error)/>
            </section>
            <ErrorNote error=Signal::derive(change_error)/>
            <Transition fallback=|| view! { <p class="muted">"Loading environments…"</p> }>
                {move || Suspend::new(async move {
                    match envs.await {
                        Err(e) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <div class="empty">
                                <p>"No environments yet."</p>
                                <p class="muted">"Create one above, or through the API with a token."</p>
                            </div>
                        }.into_any(),
                        Ok(list) => view! {
                            <table class="table" aria-label="Environments">
                                <thead>
                                    <tr><th>"Name"</th><th>"Status"</th><th>"Nodes"</th><th>"Created"</th><th class="actions">"Actions"</th></tr>
                                </thead>
                                <tbody>
                                    {list.into_iter().map(|env| env_row(env, change, deleting, delete_open)).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Transition>
            <Dialog open=delete_open title=Signal::derive(move || format!("Delete {}", deleting.get().unwrap_or_default()))>
                <ActionForm action=delete attr:class="stack">
                    <p>"The environment, its nodes and its deployments are deleted for good."</p>
                    <input type="hidden" name="name" value=move || deleting.get().unwrap_or_default()/>
                    <label>
                        <span>"Password"</span>
                        <input type="password" name="password" autocomplete="current-password" required autofocus/>
                    </label>
                    <ErrorNote error=Signal::derive(move || delete.value().get().and_then(|r| r.err()))/>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| delete_open.set(false)>"Cancel"</button>
                        <button type="submit" class="button danger" disabled=move || delete.pending().get()>"Delete"</button>
                    </div>
                </ActionForm>
            </Dialog>
        </main>
    }
}

fn env_row(
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
                <span class=format!("badge {}", status.name())>{status_label(status)}</span>
            </td>
            <td class="muted">{nodes}</td>
            <td class="muted">{format::date(env.created_at)}</td>
            <td class="actions">
                {(status != Status::Running).then(|| view! { <button class="button small" on:click=act(Action::Start)>"Start"</button> })}
                {(status != Status::Stopped).then(|| view! { <button class="button small" on:click=act(Action::Stop)>"Stop"</button> })}
                {(status == Status::Running).then(|| view! { <button class="button small" on:click=act(Action::Sleep)>"Sleep"</button> })}
                <button class="button small danger-text" on:click=move |_| {
                    deleting.set(Some(name_for_delete.clone()));
                    delete_open.set(true);
                }>"Delete"</button>
            </td>
        </tr>
    }
}
