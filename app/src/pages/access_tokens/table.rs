//! The token table: one row a token, selectable with the mouse and the keyboard.

use chrono::{DateTime, Utc};
use domain::tokens::TokenSummary;
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
                    Err(e) => view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }.into_any(),
                    Ok(rows) if rows.is_empty() => view! {
                        <div class="empty">
                            <p>{tr!(i18n, tokens.empty)}</p>
                            <p class="muted">{tr!(i18n, tokens.empty_hint)}</p>
                        </div>
                    }.into_any(),
                    Ok(rows) => {
                        let now = Utc::now();
                        view! {
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
                        }.into_any()
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
) -> AnyView {
    match t.expires_at {
        None => view! { <span class="muted">{tr!(i18n, tokens.never)}</span> }.into_any(),
        Some(_) if t.is_expired(now) => {
            let token = t.clone();
            view! {
                <span class="badge expired">{tr!(i18n, tokens.expired)}</span>
                " "
                <button type="button" class="link small" on:click=move |ev| {
                    ev.stop_propagation();
                    on_regenerate.run(token.clone());
                }>{tr!(i18n, tokens.regenerate)}</button>
            }
            .into_any()
        }
        Some(at) => view! {
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
        }
        .into_any(),
    }
}

/// The environments the token reaches: All, or the names and patterns it is limited to.
fn environments(i18n: I18n, t: &TokenSummary) -> AnyView {
    let names = t.env_names.clone();
    match &t.env_names {
        None => view! { <span class="muted">{tr!(i18n, tokens.envs_all)}</span> }.into_any(),
        Some(list) if list.is_empty() => view! {
            <span class="badge expired" title=tr!(i18n, tokens.envs_none_hint)>{tr!(i18n, tokens.envs_none)}</span>
        }
        .into_any(),
        Some(_) => view! { <span class="scope">{move || crate::text::scope_text(i18n, &names)}</span> }.into_any(),
    }
}

/// When the token was last used, and from where.
fn last_used(i18n: I18n, t: &TokenSummary) -> AnyView {
    match &t.last_used {
        None => view! { <span class="muted">{tr!(i18n, tokens.never)}</span> }.into_any(),
        Some(u) => view! {
            <span>{format::date_time(u.at)}</span>
            <span class="muted small">{u.ip.clone().map(|ip| move || format!(" {}", td_string!(i18n.get(), tokens.from_ip, ip = ip.clone())))}</span>
        }
        .into_any(),
    }
}
