//! Settings → Security Log: token changes, denied calls and sign-ins, filterable, in
//! pages (Newer / Older, by entry, so every entry is reachable), and exportable as CSV
//! (every entry the filter picks, streamed by the server).

use domain::audit::{AuditFilter, PageStart};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::security_log;
use crate::components::settings_tabs::SettingsTabs;
use crate::components::topbar::TopBar;
use crate::format;
use crate::i18n::tr;
use crate::loaded::loaded;
use crate::locale::use_i18n;
use crate::text;

const PATH: &str = "/settings/security-log";

/// The address of a page of the log: the filter and where the page starts live in the
/// URL, so a page can be reloaded, bookmarked and reached without scripts.
fn page_href(filter: AuditFilter, start: PageStart) -> String {
    let key = filter.key();
    match start {
        PageStart::Newest => format!("{PATH}?filter={key}"),
        PageStart::Before(id) => format!("{PATH}?filter={key}&before={id}"),
        PageStart::After(id) => format!("{PATH}?filter={key}&after={id}"),
    }
}

#[component]
pub fn SecurityLogPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query
            .read()
            .get("filter")
            .and_then(|f| AuditFilter::parse(&f))
            .unwrap_or(AuditFilter::All)
    });
    let start = Memo::new(move |_| {
        let query = query.read();
        let id = |key: &str| query.get(key).and_then(|v| v.parse::<i64>().ok());
        match (id("before"), id("after")) {
            (Some(id), _) => PageStart::Before(id),
            (None, Some(id)) => PageStart::After(id),
            (None, None) => PageStart::Newest,
        }
    });
    let page = loaded(
        move || (filter.get(), start.get()),
        |(filter, start)| {
            let (before, after) = match start {
                PageStart::Newest => (None, None),
                PageStart::Before(id) => (Some(id), None),
                PageStart::After(id) => (None, Some(id)),
            };
            security_log(filter.key().to_string(), before, after)
        },
    );
    let navigate = use_navigate();
    view! {
        <Title text=tr!(i18n, settings.security_log)/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{tr!(i18n, settings.title)}</h1>
            </div>
            <SettingsTabs current="security-log"/>
            <section class="panel">
                <p class="muted intro">{tr!(i18n, log.intro)}</p>
                <div class="toolbar">
                    <label class="inline-label">
                        <span>{tr!(i18n, log.show)}</span>
                        <select on:change=move |ev| {
                            if let Some(f) = AuditFilter::parse(&event_target_value(&ev)) {
                                navigate(&page_href(f, PageStart::Newest), Default::default());
                            }
                        }>
                            {AuditFilter::ALL.into_iter().map(|f| view! {
                                <option value=f.key() selected=move || filter.get() == f>{move || text::audit_filter(i18n, f)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <span class="spacer"></span>
                    // Every entry the filter picks, written by the server as it reads them.
                    <a
                        class="button"
                        href=move || format!("{PATH}/export.csv?filter={}", filter.get().key())
                        download="patio-security-log.csv"
                        rel="external"
                        title=tr!(i18n, log.export_title)
                    >
                        {tr!(i18n, log.export)}
                    </a>
                </div>
                <Transition fallback=move || view! { <p class="muted">{tr!(i18n, log.loading)}</p> }>
                    {move || Suspend::new(async move {
                        let current = filter.get_untracked();
                        match page.await {
                            Err(e) => view! { <p class="error" role="alert">{text::error(i18n, &e)}</p> }.into_any(),
                            Ok(page) => {
                                let pager = view! { <Pager filter=current newer=page.newer older=page.older/> };
                                if page.events.is_empty() {
                                    return view! {
                                        <div class="empty"><p>{tr!(i18n, log.empty)}</p></div>
                                        {pager}
                                    }.into_any();
                                }
                                view! {
                                    <div class="table-wrap">
                                        <table class="table" aria-label=tr!(i18n, log.table)>
                                            <thead>
                                                <tr><th>{tr!(i18n, log.col_time)}</th><th>{tr!(i18n, log.col_what)}</th><th>{tr!(i18n, log.col_outcome)}</th><th>{tr!(i18n, log.col_target)}</th><th class="wide">{tr!(i18n, log.col_by)}</th><th class="wide">{tr!(i18n, log.col_from)}</th></tr>
                                            </thead>
                                            <tbody>
                                                {page.events.into_iter().map(|e| {
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
                                    {pager}
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
        </main>
    }
}

/// Links to the newest, newer and older pages, where there are any.
#[component]
fn Pager(filter: AuditFilter, newer: Option<i64>, older: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    (newer.is_some() || older.is_some()).then(|| {
        view! {
            <nav class="pager" aria-label=tr!(i18n, log.pages)>
                {newer.map(|id| view! {
                    <a class="button" href=page_href(filter, PageStart::Newest)>{tr!(i18n, log.newest)}</a>
                    <a class="button" href=page_href(filter, PageStart::After(id))>{tr!(i18n, log.newer)}</a>
                })}
                <span class="spacer"></span>
                {older.map(|id| view! {
                    <a class="button" href=page_href(filter, PageStart::Before(id))>{tr!(i18n, log.older)}</a>
                })}
            </nav>
        }
    })
}
