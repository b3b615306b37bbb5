//! The token table: one row a token, selectable with the mouse and the keyboard.

use chrono::{DateTime, Utc};
use domain::tokens::TokenSummary;
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;

use super::selection::Selection;
use super::state::use_tokens_page;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::locale::{use_i18n, I18n};

/// The list as last loaded (or why it could not be), and a hint on selecting.
#[component]
pub fn TokenTable(on_regenerate: Callback<TokenSummary>) -> impl IntoView {
    let page = use_tokens_page();
    let i18n = use_i18n();
    let selection = Selection::new(page);
    view! {
        <Transition fallback=move || view! { <p class="muted">{tr!(i18n, tokens.loading)}</p> }>
            {move || Suspend::new(async move {
                match page.tokens.await {
                    Err(e) => EitherOf3::A(view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }),
                    Ok(rows) if rows.is_empty() => EitherOf3::B(view! {
                        <div class="empty">
                            <p>{tr!(i18n, tokens.empty)}</p>
                            <p class="muted">{tr!(i18n, tokens.empty_hint)}</p>
                        </div>
                    }),
                    Ok(rows) => {
                        let now = Utc::now();
                        EitherOf3::C(view! {
                            <div class="table-wrap">
                                <table class="table tokens" aria-label=tr!(i18n, tokens.table) aria-multiselectable="true"
                                    tabindex="0" on:keydown=move |ev| selection.key(&ev)>
                                    <thead>
                                        <tr>
                                            <th>{tr!(i18n, tokens.col_description)}</th><th>{tr!(i18n, tokens.col_api)}</th><th>{tr!(i18n, tokens.col_envs)}</th><th>{tr!(i18n, tokens.col_expires)}</th>
                                            <th class="wide">{tr!(i18n, tokens.col_created)}</th><th>{tr!(i18n, tokens.col_last_used)}</th><th class="wide">{tr!(i18n, tokens.col_hint)}</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {rows.into_iter().enumerate().map(|(index, token)| view! {
                                            <TokenRow index token now selection on_regenerate/>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <p class="muted hint-line">{tr!(i18n, tokens.selection_help)}</p>
                        })
                    }
                }
            })}
        </Transition>
    }
}

/// One token; a click selects it (with Ctrl/Cmd or Shift, more than one).
#[component]
fn TokenRow(
    index: usize,
    token: TokenSummary,
    now: DateTime<Utc>,
    selection: Selection,
    on_regenerate: Callback<TokenSummary>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = token.id;
    let expired = token.is_expired(now);
    view! {
        <tr
            class:selected=move || selection.contains(id)
            class:cursor=move || selection.cursor.get() == Some(index)
            class:expired=expired
            aria-selected=move || if selection.contains(id) { "true" } else { "false" }
            on:click=move |ev| {
                ev.prevent_default();
                selection.click(index, ev.ctrl_key() || ev.meta_key(), ev.shift_key());
            }
        >
            <td class="strong">
                {token.description.clone()}
                {(!token.allowlist.is_empty()).then(|| view! {
                    <span class="badge limited" title=token.allowlist.entries().join(", ")>{tr!(i18n, tokens.ip_limited)}</span>
                })}
            </td>
            <td>{token.grant.set.name()}</td>
            <td class="envs">{environments(i18n, &token)}</td>
            <td>{expires(i18n, &token, now, on_regenerate)}</td>
            <td class="wide">{format::date(token.created_at)}</td>
            <td>{last_used(i18n, &token)}</td>
            <td class="wide"><code>{token.hint.clone()} "…"</code></td>
        </tr>
    }
}

/// The expiry: never, a date (flagged when near), or expired with a way to regenerate.
fn expires(
    i18n: I18n,
    t: &TokenSummary,
    now: DateTime<Utc>,
    on_regenerate: Callback<TokenSummary>,
) -> impl IntoView {
    match t.expires_at {
        None => EitherOf3::A(view! { <span class="muted">{tr!(i18n, tokens.never)}</span> }),
        Some(_) if t.is_expired(now) => {
            let token = t.clone();
            EitherOf3::B(view! {
                <span class="badge expired">{tr!(i18n, tokens.expired)}</span>
                " "
                <button type="button" class="link small" on:click=move |ev| {
                    ev.stop_propagation();
                    on_regenerate.run(token.clone());
                }>{tr!(i18n, tokens.regenerate)}</button>
            })
        }
        Some(at) => EitherOf3::C(view! {
            <span>{format::date(at)}</span>
            {t.expires_soon(now).map(|days| view! {
                " "
                <span class="badge soon">
                    {move || match days {
                        0 => td_string!(i18n.get(), tokens.expires_today).to_string(),
                        1 => td_string!(i18n.get(), tokens.in_one_day).to_string(),
                        n => td_string!(i18n.get(), tokens.in_days, n).to_string(),
                    }}
                </span>
            })}
        }),
    }
}

/// The environments the token reaches: All, or the names and patterns it is limited to.
fn environments(i18n: I18n, t: &TokenSummary) -> impl IntoView {
    let names = t.env_names.clone();
    match &t.env_names {
        None => EitherOf3::A(view! { <span class="muted">{tr!(i18n, tokens.envs_all)}</span> }),
        Some(list) if list.is_empty() => EitherOf3::B(view! {
            <span class="badge expired" title=tr!(i18n, tokens.envs_none_hint)>{tr!(i18n, tokens.envs_none)}</span>
        }),
        Some(_) => EitherOf3::C(
            view! { <span class="scope">{move || crate::text::scope_text(i18n, &names)}</span> },
        ),
    }
}

/// When the token was last used, and from where.
fn last_used(i18n: I18n, t: &TokenSummary) -> impl IntoView {
    match &t.last_used {
        None => Either::Left(view! { <span class="muted">{tr!(i18n, tokens.never)}</span> }),
        Some(u) => Either::Right(view! {
            <span>{format::date_time(u.at)}</span>
            <span class="muted small">{u.ip.clone().map(|ip| move || format!(" {}", td_string!(i18n.get(), tokens.from_ip, ip = ip.clone())))}</span>
        }),
    }
}
