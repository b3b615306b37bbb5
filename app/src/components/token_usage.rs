//! A token's usage (last use, calls per day, methods called) and the Tighten proposal
//! built from it: a Custom set of only the methods the token actually called.

use domain::catalogue;
use domain::tokens::{DayCalls, Tightening, TokenSummary, TokenUsage, USAGE_DAYS};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;

use crate::api::{load_token_usage, propose_tightening};
use crate::components::dialog::Dialog;
use crate::components::share::SharePanel;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;

type I18n = crate::locale::I18n;

/// The detail panel of the one selected token.
#[component]
pub fn UsagePanel(
    token: Signal<Option<TokenSummary>>,
    /// Changes whenever the list is reloaded or a token changes.
    refresh: Signal<u64>,
    on_tighten: Callback<TokenSummary>,
) -> impl IntoView {
    let i18n = use_i18n();
    let usage = loaded(
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
            let name = t.description.clone();
            let heading = move || td_string!(i18n.get(), usage.heading, name = name.clone()).to_string();
            let for_tighten = t.clone();
            let scope = t.env_names.clone();
            view! {
                <section class="panel detail" aria-label=heading.clone()>
                    <div class="detail-head">
                        <h2>{heading.clone()}</h2>
                        <button type="button" class="button" on:click=move |_| on_tighten.run(for_tighten.clone())>
                            {tr!(i18n, usage.tighten)}
                        </button>
                    </div>
                    <dl class="facts scope-facts">
                        <dt>{tr!(i18n, usage.environments)}</dt>
                        <dd>{move || crate::text::scope_text(i18n, &scope)}</dd>
                    </dl>
                    <Transition fallback=move || view! { <p class="muted">{tr!(i18n, usage.loading)}</p> }>
                        {move || Suspend::new(async move {
                            match usage.await {
                                Err(e) => EitherOf3::A(view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }),
                                Ok(None) => EitherOf3::B(()),
                                Ok(Some(u)) => EitherOf3::C(usage_view(i18n, u)),
                            }
                        })}
                    </Transition>
                    <SharePanel token_id=t.id refresh=refresh/>
                </section>
            }
        })
    }
}

fn usage_view(i18n: I18n, u: TokenUsage) -> impl IntoView {
    let total = u.total();
    let last = u.last_used.clone();
    let facts = view! {
        <dl class="facts">
            <dt>{tr!(i18n, usage.last_used)}</dt>
            <dd>{match last.as_ref() {
                Some(l) => Either::Left(format::date_time(l.at)),
                None => Either::Right(tr!(i18n, tokens.never)),
            }}</dd>
            <dt>{tr!(i18n, usage.from)}</dt>
            <dd>{last.as_ref().and_then(|l| l.ip.clone()).unwrap_or_else(|| "—".into())}</dd>
            <dt>{tr!(i18n, usage.client)}</dt>
            <dd class="agent">{last.as_ref().and_then(|l| l.user_agent.clone()).unwrap_or_else(|| "—".into())}</dd>
            <dt>{move || td_string!(i18n.get(), usage.calls, n = USAGE_DAYS).to_string()}</dt>
            <dd>{total}</dd>
        </dl>
    };
    let methods = if u.methods.is_empty() {
        Either::Left(
            view! { <p class="muted">{move || td_string!(i18n.get(), usage.no_calls, n = USAGE_DAYS).to_string()}</p> },
        )
    } else {
        Either::Right(view! {
            <table class="table compact" aria-label=tr!(i18n, usage.methods_called)>
                <thead><tr><th>{tr!(i18n, usage.method)}</th><th class="num">{tr!(i18n, usage.count)}</th><th>{tr!(i18n, usage.last_day)}</th></tr></thead>
                <tbody>
                    {u.methods.into_iter().map(|m| {
                        let docs = catalogue::method(&m.method).map(|c| c.docs_path());
                        view! {
                            <tr>
                                <td>{match docs {
                                    Some(href) => Either::Left(view! { <a href=href><code>{m.method.clone()}</code></a> }),
                                    None => Either::Right(view! { <code>{m.method.clone()}</code> }),
                                }}</td>
                                <td class="num">{m.calls}</td>
                                <td class="day">{crate::format::date(m.last_day)}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        })
    };
    view! {
        <div class="usage">
            {facts}
            {chart(i18n, &u.days)}
        </div>
        {methods}
    }
}

/// Calls per day as bars, oldest on the left; each bar names its day and count.
fn chart(i18n: I18n, days: &[DayCalls]) -> impl IntoView {
    const WIDTH: f64 = 300.0;
    const HEIGHT: f64 = 80.0;
    let max = days.iter().map(|d| d.calls).max().unwrap_or(0);
    let slot = WIDTH / days.len().max(1) as f64;
    let total: u64 = days.iter().map(|d| d.calls).sum();
    let count = days.len();
    let label = move || td_string!(i18n.get(), usage.chart, days = count, total, max).to_string();
    let bars = days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let height = if d.calls == 0 {
                1.0
            } else {
                (d.calls as f64 / max as f64 * (HEIGHT - 2.0)).max(2.0)
            };
            let (day, n) = (crate::format::date(d.day), d.calls);
            let title =
                move || td_string!(i18n.get(), usage.day_calls, day = day.clone(), n).to_string();
            view! {
                <rect class:zero=d.calls == 0
                    x=format!("{:.1}", i as f64 * slot + 1.0) y=format!("{:.1}", HEIGHT - height)
                    width=format!("{:.1}", slot - 2.0) height=format!("{height:.1}")>
                    <title>{title}</title>
                </rect>
            }
        })
        .collect_view();
    let first = days.first().map(|d| crate::format::day_month(&d.day));
    view! {
        <figure class="chart">
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") preserveAspectRatio="none" role="img" aria-label=label>
                {bars}
            </svg>
            <figcaption class="muted small">
                <span>{first}</span>
                <span>{move || td_string!(i18n.get(), usage.max_per_day, n = max).to_string()}</span>
                <span>{tr!(i18n, usage.today)}</span>
            </figcaption>
        </figure>
    }
}

/// What Apply hands on: the token, the methods to keep and, when the proposal limits
/// them, the environments to keep.
pub type TightenChoice = (TokenSummary, Vec<String>, Option<Vec<String>>);

/// How far back a proposal looks, in days.
const WINDOWS: [i64; 3] = [7, 30, 90];

/// The Tighten proposal for `token`, as a diff against its set; Apply hands the methods
/// to keep to `on_apply`, which asks for the password.
#[component]
pub fn TightenDialog(
    open: RwSignal<bool>,
    token: RwSignal<Option<TokenSummary>>,
    on_apply: Callback<TightenChoice>,
) -> impl IntoView {
    let days = RwSignal::new(30i64);
    let i18n = use_i18n();
    let proposal = loaded(
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
                .map(|t| td_string!(i18n.get(), tighten.title, name = &t.description).to_string())
                .unwrap_or_default()
        })
    });
    view! {
        <Dialog open=open title=title>
            <div class="stack">
                <label class="inline-label" for="tighten-window">
                    <span>{tr!(i18n, tighten.window)}</span>
                    <select id="tighten-window"
                        on:change=move |ev| {
                            if let Ok(n) = event_target_value(&ev).parse() {
                                days.set(n);
                            }
                        }>
                        {WINDOWS.map(|n| view! {
                            <option value=n.to_string() selected=move || days.get() == n>{move || td_string!(i18n.get(), common.days_n, n).to_string()}</option>
                        })}
                    </select>
                </label>
                <Transition fallback=move || view! { <p class="muted">{tr!(i18n, tighten.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match proposal.await {
                            Err(e) => EitherOf3::A(view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }),
                            Ok(None) => EitherOf3::B(()),
                            Ok(Some(p)) => EitherOf3::C(proposal_view(i18n, p, token, on_apply, open)),
                        }
                    })}
                </Transition>
            </div>
        </Dialog>
    }
}

fn proposal_view(
    i18n: I18n,
    p: Tightening,
    token: RwSignal<Option<TokenSummary>>,
    on_apply: Callback<TightenChoice>,
    open: RwSignal<bool>,
) -> impl IntoView {
    let held = p.current.methods().len();
    let removed = p.removed();
    let changes = p.changes();
    let (set, kept, days, gone) = (
        p.current.set.name(),
        p.proposed.len(),
        p.days,
        removed.len(),
    );
    let summary = move || {
        if kept == 0 {
            td_string!(i18n.get(), tighten.nothing_used, n = days).to_string()
        } else if !changes {
            td_string!(i18n.get(), tighten.already_minimal).to_string()
        } else {
            td_string!(i18n.get(), tighten.summary, set, held, kept, removed = gone).to_string()
        }
    };
    let keep = p.proposed.clone();
    let keep_envs = p.proposed_envs();
    let envs_removed = p.envs_removed();
    let env_lines = keep_envs.clone().map(|kept| {
        view! {
            <h3 class="diff-heading">{tr!(i18n, tighten.envs_heading)}</h3>
            <ul class="diff" aria-label=tr!(i18n, tighten.envs_heading)>
                {kept.into_iter().map(|e| view! {
                    <li class="keep"><span class="sign" aria-hidden="true">"="</span><span class="verdict">{tr!(i18n, tighten.keep)}</span><code>{e}</code></li>
                }).collect_view()}
                {envs_removed.into_iter().map(|e| view! {
                    <li class="remove"><span class="sign" aria-hidden="true">"−"</span><span class="verdict">{tr!(i18n, tighten.remove)}</span>
                        {if e == "*" {
                            Either::Left(view! { <span>{tr!(i18n, tighten.other_envs)}</span> })
                        } else {
                            Either::Right(view! { <code>{e}</code> })
                        }}
                    </li>
                }).collect_view()}
            </ul>
        }
    });
    let apply = move |_| {
        if let Some(t) = token.get_untracked() {
            open.set(false);
            on_apply.run((t, keep.clone(), keep_envs.clone()));
        }
    };
    view! {
        <p>{summary}</p>
        <h3 class="diff-heading">{tr!(i18n, tighten.methods_heading)}</h3>
        <ul class="diff" aria-label=tr!(i18n, tighten.changes)>
            {p.proposed.iter().map(|m| view! {
                <li class="keep"><span class="sign" aria-hidden="true">"="</span><span class="verdict">{tr!(i18n, tighten.keep)}</span><code>{m.clone()}</code></li>
            }).collect_view()}
            {removed.into_iter().map(|m| view! {
                <li class="remove"><span class="sign" aria-hidden="true">"−"</span><span class="verdict">{tr!(i18n, tighten.remove)}</span><code>{m}</code></li>
            }).collect_view()}
        </ul>
        {env_lines}
        <div class="dialog-actions">
            <button type="button" class="button" on:click=move |_| open.set(false)>{tr!(i18n, common.cancel)}</button>
            <button type="button" class="button primary" disabled=!changes on:click=apply>{tr!(i18n, common.apply)}</button>
        </div>
    }
}
