//! Settings → Security Log: token changes, denied calls and sign-ins, filterable and
//! exportable as CSV.

use domain::audit::{action_label, to_csv, AuditFilter};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::security_log;
use crate::components::topbar::TopBar;
use crate::format;

#[component]
pub fn SecurityLogPage() -> impl IntoView {
    let filter = RwSignal::new(AuditFilter::All);
    let events = Resource::new(move || filter.get(), |f| security_log(f.key().to_string()));
    view! {
        <Title text="Security Log"/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <super::access_tokens::SettingsTabs current="security-log"/>
            <section class="panel">
                <p class="muted intro">"What happened to your tokens and your account: changes, denied calls and sign-ins, newest first."</p>
                <div class="toolbar">
                    <label class="inline-label">
                        <span>"Show"</span>
                        <select on:change=move |ev| {
                            if let Some(f) = AuditFilter::parse(&event_target_value(&ev)) {
                                filter.set(f);
                            }
                        }>
                            {AuditFilter::ALL.into_iter().map(|f| view! {
                                <option value=f.key() selected=move || filter.get() == f>{f.label()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <span class="spacer"></span>
                    <Transition fallback=|| ()>
                        {move || events.get().and_then(Result::ok).map(|list| view! {
                            <a class="button" href=format::data_url("text/csv", &to_csv(&list)) download="patio-security-log.csv">"Export CSV"</a>
                        })}
                    </Transition>
                </div>
                <Transition fallback=|| view! { <p class="muted">"Loading the log…"</p> }>
                    {move || Suspend::new(async move {
                        match events.await {
                            Err(e) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <div class="empty"><p>"Nothing logged for this filter yet."</p></div>
                            }.into_any(),
                            Ok(list) => view! {
                                <div class="table-wrap">
                                    <table class="table" aria-label="Security log">
                                        <thead>
                                            <tr><th>"Time (UTC)"</th><th>"What"</th><th>"Outcome"</th><th>"Target"</th><th class="wide">"By"</th><th class="wide">"From"</th></tr>
                                        </thead>
                                        <tbody>
                                            {list.into_iter().map(|e| view! {
                                                <tr>
                                                    <td class="muted">{format::date_time(e.at)}</td>
                                                    <td>{action_label(&e.action)}</td>
                                                    <td><span class=format!("badge outcome-{}", e.outcome)>{e.outcome.clone()}</span></td>
                                                    <td><code>{e.target.clone().unwrap_or_default()}</code></td>
                                                    <td class="wide">{e.actor.clone()}</td>
                                                    <td class="wide muted">{e.ip.clone().unwrap_or_default()}</td>
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
        </main>
    }
}
