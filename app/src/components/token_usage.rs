//! A token's usage (last use, calls per day, methods called) and the Tighten proposal
//! built from it: a Custom set of only the methods the token actually called.

use domain::catalogue;
use domain::tokens::{DayCalls, Tightening, TokenSummary, TokenUsage, USAGE_DAYS};
use leptos::prelude::*;

use crate::api::{load_token_usage, propose_tightening};
use crate::components::dialog::Dialog;
use crate::format;

/// The detail panel of the one selected token.
#[component]
pub fn UsagePanel(
    token: Signal<Option<TokenSummary>>,
    /// Changes whenever the list is reloaded or a token changes.
    refresh: Signal<u64>,
    on_tighten: Callback<TokenSummary>,
) -> impl IntoView {
    let usage = Resource::new(
        move || (token.with(|t| t.as_ref().map(|t| t.id)), refresh.get()),
        |(id, _)| async move {
            match id {
                Some(id) => load_token_usage(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    move || {
        token.get().map(|t| {
            let heading = format!("Usage of \"{}\"", t.description);
            let for_tighten = t.clone();
            view! {
                <section class="panel detail" aria-label=heading.clone()>
                    <div class="detail-head">
                        <h2>{heading.clone()}</h2>
                        <button type="button" class="button" on:click=move |_| on_tighten.run(for_tighten.clone())>
                            "Tighten…"
                        </button>
                    </div>
                    <Transition fallback=|| view! { <p class="muted">"Loading usage…"</p> }>
                        {move || Suspend::new(async move {
                            match usage.await {
                                Err(e) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                                Ok(None) => ().into_any(),
                                Ok(Some(u)) => usage_view(u).into_any(),
                            }
                        })}
                    </Transition>
                </section>
            }
        })
    }
}

fn usage_view(u: TokenUsage) -> impl IntoView {
    let total = u.total();
    let last = u.last_used.clone();
    let facts = view! {
        <dl class="facts">
            <dt>"Last used"</dt>
            <dd>{last.as_ref().map_or_else(|| "never".to_string(), |l| format::date_time(l.at))}</dd>
            <dt>"From"</dt>
            <dd>{last.as_ref().and_then(|l| l.ip.clone()).unwrap_or_else(|| "—".into())}</dd>
            <dt>"Client"</dt>
            <dd class="agent">{last.as_ref().and_then(|l| l.user_agent.clone()).unwrap_or_else(|| "—".into())}</dd>
            <dt>{format!("Calls, {USAGE_DAYS} days")}</dt>
            <dd>{total}</dd>
        </dl>
    };
    let methods = if u.methods.is_empty() {
        view! { <p class="muted">{format!("No calls in the last {USAGE_DAYS} days.")}</p> }
            .into_any()
    } else {
        view! {
            <table class="table compact" aria-label="Methods called">
                <thead><tr><th>"Method called"</th><th class="num">"Calls"</th><th>"Last day"</th></tr></thead>
                <tbody>
                    {u.methods.into_iter().map(|m| {
                        let docs = catalogue::method(&m.method).map(|c| c.docs_path());
                        view! {
                            <tr>
                                <td>{match docs {
                                    Some(href) => view! { <a href=href><code>{m.method.clone()}</code></a> }.into_any(),
                                    None => view! { <code>{m.method.clone()}</code> }.into_any(),
                                }}</td>
                                <td class="num">{m.calls}</td>
                                <td class="day">{m.last_day.format("%d-%m-%Y").to_string()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <div class="usage">
            {facts}
            {chart(&u.days)}
        </div>
        {methods}
    }
}

/// Calls per day as bars, oldest on the left; each bar names its day and count.
fn chart(days: &[DayCalls]) -> impl IntoView {
    const WIDTH: f64 = 300.0;
    const HEIGHT: f64 = 80.0;
    let max = days.iter().map(|d| d.calls).max().unwrap_or(0);
    let slot = WIDTH / days.len().max(1) as f64;
    let total: u64 = days.iter().map(|d| d.calls).sum();
    let label = format!(
        "Calls per day over the last {} days: {total} in all, at most {max} in a day",
        days.len()
    );
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let height = if d.calls == 0 {
                1.0
            } else {
                (d.calls as f64 / max as f64 * (HEIGHT - 2.0)).max(2.0)
            };
            let title = format!(
                "{}: {} call{}",
                d.day.format("%d-%m-%Y"),
                d.calls,
                if d.calls == 1 { "" } else { "s" }
            );
            view! {
                <rect class:zero=d.calls == 0
                    x=format!("{:.1}", i as f64 * slot + 1.0) y=format!("{:.1}", HEIGHT - height)
                    width=format!("{:.1}", slot - 2.0) height=format!("{height:.1}")>
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    let first = days.first().map(|d| d.day.format("%d-%m").to_string());
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=label>
                {bars}
            </svg>
            <figcaption class="muted small">
                <span>{first}</span>
                <span>{format!("max {max}/day")}</span>
                <span>"today"</span>
            </figcaption>
        </figure>
    }
}

/// How far back a proposal looks, in days.
const WINDOWS: [i64; 3] = [7, 30, 90];

/// The Tighten proposal for `token`, as a diff against its set; Apply hands the methods
/// to keep to `on_apply`, which asks for the password.
#[component]
pub fn TightenDialog(
    open: RwSignal<bool>,
    token: RwSignal<Option<TokenSummary>>,
    on_apply: Callback<(TokenSummary, Vec<String>)>,
) -> impl IntoView {
    let days = RwSignal::new(30i64);
    let proposal = Resource::new(
        move || {
            (
                open.get(),
                token.with(|t| t.as_ref().map(|t| t.id)),
                days.get(),
            )
        },
        |(open, id, days)| async move {
            match (open, id) {
                (true, Some(id)) => propose_tightening(id, days).await.map(Some),
                _ => Ok(None),
            }
        },
    );
    let title = Signal::derive(move || {
        token.with(|t| {
            t.as_ref()
                .map(|t| format!("Tighten \"{}\"", t.description))
                .unwrap_or_default()
        })
    });
    view! {
        <Dialog open=open title=title>
            <div class="stack">
                <label class="inline-label" for="tighten-window">
                    <span>"Keep the methods called in the last"</span>
                    <select id="tighten-window"
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse() {
                                days.set(n);
                            }
                        }>
                        {WINDOWS.map(|n| view! {
                            <option value=n.to_string() selected=move || days.get() == n>{format!("{n} days")}</option>
                        })}
                    </select>
                </label>
                <Transition fallback=|| view! { <p class="muted">"Working out the proposal…"</p> }>
                    {move || Suspend::new(async move {
                        match proposal.await {
                            Err(e) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                            Ok(None) => ().into_any(),
                            Ok(Some(p)) => proposal_view(p, token, on_apply, open).into_any(),
                        }
                    })}
                </Transition>
            </div>
        </Dialog>
    }
}

fn proposal_view(
    p: Tightening,
    token: RwSignal<Option<TokenSummary>>,
    on_apply: Callback<(TokenSummary, Vec<String>)>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let held = p.current.methods().len();
    let removed = p.removed();
    let changes = p.changes();
    let summary = if p.proposed.is_empty() {
        format!(
            "This token called nothing that needs a grant in the last {} days, so there is nothing to keep. If nobody uses it, remove it instead.",
            p.days
        )
    } else if !changes {
        "This token already holds only the methods it called: nothing to remove.".to_string()
    } else {
        format!(
            "{} ({held} method{}) becomes Custom with {} method{}; {} would be removed.",
            p.current.set.name(),
            plural(held),
            p.proposed.len(),
            plural(p.proposed.len()),
            removed.len()
        )
    };
    let keep = p.proposed.clone();
    let apply = move |_| {
        if let Some(t) = token.get_untracked() {
            open.set(false);
            on_apply.run((t, keep.clone()));
        }
    };
    view! {
        <p>{summary}</p>
        <ul class="diff" aria-label="Proposed changes">
            {p.proposed.iter().map(|m| view! {
                <li class="keep"><span class="sign" aria-hidden="true">"="</span><span class="verdict">"Keep"</span><code>{m.clone()}</code></li>
            }).collect_view()}
            {removed.into_iter().map(|m| view! {
                <li class="remove"><span class="sign" aria-hidden="true">"−"</span><span class="verdict">"Remove"</span><code>{m}</code></li>
            }).collect_view()}
        </ul>
        <div class="dialog-actions">
            <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
            <button type="button" class="button primary" disabled=!changes on:click=apply>"Apply"</button>
        </div>
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
