//! Settings → Security Log: token changes, denied calls and sign-ins, filterable and
//! exportable as CSV.

use domain::audit::{to_csv, AuditFilter};
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::security_log;
use crate::components::topbar::TopBar;
use crate::format;
use crate::i18n::td_string;
use crate::locale::use_i18n;
use crate::text;

#[component]
pub fn SecurityLogPage() -> impl IntoView {
    let filter = RwSignal::new(AuditFilter::All);
    let i18n = use_i18n();
    let events = Resource::new(move || filter.get(), |f| security_log(f.key().to_string()));
    view! {
        <Title text=move || td_string!(i18n.get(), settings.security_log)/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{move || td_string!(i18n.get(), settings.title)}</h1>
            </div>
            <super::access_tokens::SettingsTabs current="security-log"/>
            <section class="panel">
                <p class="muted intro">{move || td_string!(i18n.get(), log.intro)}</p>
                <div class="toolbar">
                    <label class="inline-label">
                        <span>{move || td_string!(i18n.get(), log.show)}</span>
                        <select on:change=move |ev| {
                            if let Some(f) = AuditFilter::parse(&event_target_value(&ev)) {
                                filter.set(f);
                            }
                        }>
                            {AuditFilter::ALL.into_iter().map(|f| view! {
                                <option value=f.key() selected=move || filter.get() == f>{move || text::audit_filter(i18n, f)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <span class="spacer"></span>
                    <Transition fallback=|| ()>
                        {move || events.get().and_then(Result::ok).map(|list| view! {
                            <a class="button" href=format::data_url("text/csv", &to_csv(&list)) download="patio-security-log.csv">{move || td_string!(i18n.get(), log.export)}</a>
                        })}
                    </Transition>
                </div>
                <Transition fallback=move || view! { <p class="muted">{move || td_string!(i18n.get(), log.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match events.await {
                            Err(e) => view! { <p class="error" role="alert">{text::error(i18n, &e)}</p> }.into_any(),
                            Ok(list) if list.is_empty() => view! {
                                <div class="empty"><p>{move || td_string!(i18n.get(), log.empty)}</p></div>
                            }.into_any(),
                            Ok(list) => view! {
                                <div class="table-wrap">
                                    <table class="table" aria-label=move || td_string!(i18n.get(), log.table)>
                                        <thead>
                                            <tr><th>{move || td_string!(i18n.get(), log.col_time)}</th><th>{move || td_string!(i18n.get(), log.col_what)}</th><th>{move || td_string!(i18n.get(), log.col_outcome)}</th><th>{move || td_string!(i18n.get(), log.col_target)}</th><th class="wide">{move || td_string!(i18n.get(), log.col_by)}</th><th class="wide">{move || td_string!(i18n.get(), log.col_from)}</th></tr>
                                        </thead>
                                        <tbody>
                                            {list.into_iter().map(|e| {
                                                let (action, outcome, actor) = (e.action.clone(), e.outcome.clone(), e.actor.clone());
                                                view! {
                                                <tr>
                                                    <td class="muted">{format::date_time(e.at)}</td>
                                                    <td>{move || text::audit_action(i18n, &action)}</td>
                                                    <td><span class=format!("badge outcome-{}", e.outcome)>{move || text::audit_outcome(i18n, &outcome)}</span>{(e.count > 1).then(|| view! { <span class="muted">" × "{e.count}</span> })}</td>
                                                    <td><code>{e.target.clone().unwrap_or_default()}</code></td>
                                                    <td class="wide">{move || text::audit_actor(i18n, &actor)}</td>
                                                    <td class="wide muted">{e.ip.clone().unwrap_or_default()}</td>
                                                </tr>
                                            }}).collect_view()}
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
