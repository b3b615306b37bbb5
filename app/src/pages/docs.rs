//! `/docs/api` and `/docs/api/<method id>`: the API catalogue as documentation.

use domain::catalogue::{self, Access, ApiSet, Method};
use domain::ResultCode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::pages::not_found::NotFound;

/// Catalogue text with `code` spans, as the docs pages show it.
fn rich(text: &'static str) -> impl IntoView {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                view! { <code>{part}</code> }.into_any()
            } else {
                part.into_any()
            }
        })
        .collect_view()
}

fn access_label(m: &Method) -> &'static str {
    match m.access {
        Access::Public => "No credential needed",
        Access::SessionOnly => "Session only (never a token)",
        Access::Grantable => "Session, or a token whose API set includes it",
        Access::Own => "Any valid token, about itself (whatever its API set), or a session",
    }
}

#[component]
pub fn ApiDocsPage() -> impl IntoView {
    let mut services: Vec<&'static str> = catalogue::methods()
        .iter()
        .map(|m| m.service_id())
        .collect();
    services.dedup();
    view! {
        <Title text="API Docs"/>
        <header class="topbar"><a class="brand" href="/">"Patio"</a><span class="muted">"API Docs"</span></header>
        <main class="page docs">
            <h1>"Platform API"</h1>
            <p>
                "Call a method at " <code>"/1.0/<group>/<service>/rest/<method>"</code>
                " with GET or POST, passing a session or a personal access token in the " <code>"session"</code>
                " parameter or an " <code>"Authorization: Bearer"</code> " header. Every answer is JSON with "
                <code>"result"</code> " (0 on success). The OpenAPI document is at "
                <a href="/1.0/openapi.json">"/1.0/openapi.json"</a> "."
            </p>
            <h2>"API sets"</h2>
            <ul class="sets">
                {ApiSet::PREDEFINED.into_iter().map(|set| view! {
                    <li><strong>{set.name()}</strong> ": " {set.methods().join(", ")}</li>
                }).collect_view()}
            </ul>
            {services.into_iter().map(|service| view! {
                <h2><code>{service}</code></h2>
                <ul class="method-list">
                    {catalogue::methods().iter().filter(|m| m.service_id() == service).map(|m| view! {
                        <li><a href=m.docs_path()><code>{m.id}</code></a> " — " {m.summary}</li>
                    }).collect_view()}
                </ul>
            }).collect_view()}
            <h2>"Result codes"</h2>
            <ResultCodes codes=ResultCode::ALL.to_vec()/>
        </main>
    }
}

#[component]
fn ResultCodes(codes: Vec<ResultCode>) -> impl IntoView {
    view! {
        <table class="table compact">
            <thead><tr><th>"Code"</th><th>"Name"</th><th>"Meaning"</th></tr></thead>
            <tbody>
                {codes.into_iter().map(|c| view! {
                    <tr><td>{c.number()}</td><td><code>{c.name()}</code></td><td>{rich(c.meaning())}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
pub fn MethodDocsPage() -> impl IntoView {
    let params = use_params_map();
    move || {
        let id = params.read().get("id").unwrap_or_default();
        match catalogue::method(&id) {
            None => view! { <NotFound/> }.into_any(),
            Some(m) => method_view(m).into_any(),
        }
    }
}

fn method_view(m: &'static Method) -> impl IntoView {
    let mut codes = vec![ResultCode::Ok];
    if m.access != Access::Public {
        codes.push(ResultCode::UserNotAuthenticated);
    }
    if m.access == Access::Grantable {
        codes.push(ResultCode::PermissionDenied);
    }
    codes.extend(m.errors.iter().copied());
    let example_params: String = m
        .params
        .iter()
        .filter(|p| p.required && p.kind != catalogue::ParamKind::File)
        .map(|p| format!("&{}=…", p.name))
        .collect();
    let example = if m.access == Access::Public {
        format!(
            "curl \"$PATIO{}?{}\"",
            m.path(),
            example_params.trim_start_matches('&')
        )
    } else {
        format!(
            "curl -H \"Authorization: Bearer $TOKEN\" \"$PATIO{}?{}\"",
            m.path(),
            example_params.trim_start_matches('&')
        )
    };
    view! {
        <Title text=m.id/>
        <header class="topbar"><a class="brand" href="/">"Patio"</a><a href="/docs/api">"API Docs"</a></header>
        <main class="page docs">
            <p class="muted"><a href="/docs/api">"API Docs"</a> " / " {m.service_id()}</p>
            <h1><code>{m.id}</code></h1>
            <p class="lead">{m.summary}</p>
            <p>{rich(m.docs)}</p>
            <dl class="facts">
                <dt>"Endpoint"</dt><dd><code>"GET | POST " {m.path()}</code></dd>
                <dt>"Who may call"</dt><dd>{access_label(m)}</dd>
                {m.scope_note().map(|note| view! { <dt>"Environments"</dt><dd>{rich(note)}</dd> })}
                <dt>"Returns"</dt><dd>{rich(m.returns)}</dd>
            </dl>
            <h2>"Parameters"</h2>
            {if m.params.is_empty() {
                view! { <p class="muted">"None beside the credential."</p> }.into_any()
            } else {
                view! {
                    <table class="table compact">
                        <thead><tr><th>"Name"</th><th>"Type"</th><th>"Required"</th><th>"Description"</th></tr></thead>
                        <tbody>
                            {m.params.iter().map(|p| view! {
                                <tr>
                                    <td><code>{p.name}</code></td>
                                    <td>{p.kind.label()}</td>
                                    <td>{if p.required { "yes" } else { "no" }}</td>
                                    <td>{rich(p.description)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h2>"Example"</h2>
            <p class="muted">"With " <code>"PATIO"</code> " set to this server's address and " <code>"TOKEN"</code> " to a token:"</p>
            <pre><code>{example}</code></pre>
            <h2>"Result codes"</h2>
            <ResultCodes codes=codes/>
        </main>
    }
}
