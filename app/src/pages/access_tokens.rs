//! Settings → Access Tokens: the token table with its toolbar (Generate, Edit, Copy,
//! Remove, Refresh), the token form, the password step and the one-time reveal.

use chrono::Utc;
use domain::tokens::TokenSummary;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{list_tokens, DeleteTokens, RegenerateToken, SaveToken, TightenToken, TokenForm};
use crate::components::dialog::Dialog;
use crate::components::password::PasswordDialog;
use crate::components::reveal::RevealDialog;
use crate::components::token_form::{FormMode, FormValues, TokenFormDialog};
use crate::components::token_usage::{TightenDialog, UsagePanel};
use crate::components::topbar::{ErrorNote, TopBar};
use crate::format;

/// The tabs of Settings.
#[component]
pub fn SettingsTabs(current: &'static str) -> impl IntoView {
    let tab = move |slug: &'static str, label: &'static str| {
        let active = slug == current;
        view! {
            <a class="tab" class:active=active href=format!("/settings/{slug}") aria-current=active.then_some("page")>{label}</a>
        }
    };
    view! {
        <nav class="tabs" aria-label="Settings">
            {tab("access-tokens", "Access Tokens")}
            {tab("security-log", "Security Log")}
        </nav>
    }
}

/// A change waiting for the password.
#[derive(Clone, Debug, PartialEq)]
enum Pending {
    Save(FormValues),
    Regenerate {
        id: i64,
        description: String,
        expires: Option<String>,
    },
    Remove(Vec<TokenSummary>),
    Tighten {
        id: i64,
        description: String,
        methods: Vec<String>,
    },
}

impl Pending {
    fn title(&self) -> String {
        match self {
            Self::Save(v) if v.id.is_some() => "Confirm the changes".into(),
            Self::Save(_) => "Confirm the new token".into(),
            Self::Regenerate { .. } => "Confirm regeneration".into(),
            Self::Remove(_) => "Confirm removal".into(),
            Self::Tighten { .. } => "Confirm tightening".into(),
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::Save(v) => format!("Enter your password to save \"{}\".", v.description.trim()),
            Self::Regenerate { description, .. } => format!(
                "Enter your password to give \"{description}\" a new value. The current value stops working at once."
            ),
            Self::Remove(tokens) => format!(
                "Enter your password to remove {}.",
                if tokens.len() == 1 { format!("\"{}\"", tokens[0].description) } else { format!("{} tokens", tokens.len()) }
            ),
            Self::Tighten { description, methods, .. } => format!(
                "Enter your password to limit \"{description}\" to the {} method{} it called.",
                methods.len(),
                if methods.len() == 1 { "" } else { "s" }
            ),
        }
    }
}

/// The new selection after a click on row `index`: plain click selects only it,
/// Ctrl/Cmd toggles it, Shift selects the range from the anchor.
pub fn select(
    ids: &[i64],
    current: &[i64],
    anchor: Option<usize>,
    index: usize,
    toggle: bool,
    range: bool,
) -> Vec<i64> {
    let Some(&id) = ids.get(index) else {
        return current.to_vec();
    };
    if range {
        let start = anchor.unwrap_or(index).min(ids.len().saturating_sub(1));
        let (a, b) = if start <= index {
            (start, index)
        } else {
            (index, start)
        };
        let mut out = if toggle { current.to_vec() } else { Vec::new() };
        for &i in &ids[a..=b] {
            if !out.contains(&i) {
                out.push(i);
            }
        }
        out
    } else if toggle {
        let mut out = current.to_vec();
        if let Some(pos) = out.iter().position(|&x| x == id) {
            out.remove(pos);
        } else {
            out.push(id);
        }
        out
    } else {
        vec![id]
    }
}

#[component]
pub fn AccessTokensPage() -> impl IntoView {
    let save = ServerAction::<SaveToken>::new();
    let regenerate = ServerAction::<RegenerateToken>::new();
    let remove = ServerAction::<DeleteTokens>::new();
    let tighten = ServerAction::<TightenToken>::new();
    let refreshes = RwSignal::new(0u32);
    let tokens = Resource::new(
        move || {
            (
                save.version().get(),
                regenerate.version().get(),
                remove.version().get(),
                tighten.version().get(),
                refreshes.get(),
            )
        },
        |_| list_tokens(),
    );
    let changes = Signal::derive(move || {
        (save.version().get()
            + regenerate.version().get()
            + remove.version().get()
            + tighten.version().get()) as u64
            + u64::from(refreshes.get())
    });

    let selected = RwSignal::new(Vec::<i64>::new());
    let anchor = RwSignal::new(None::<usize>);
    let cursor = RwSignal::new(None::<usize>);
    let form = RwSignal::new(None::<FormMode>);
    let pending = RwSignal::new(None::<Pending>);
    let password_open = RwSignal::new(false);
    let confirm_remove_open = RwSignal::new(false);
    let revealed = RwSignal::new(None);
    let notice = RwSignal::new(None::<String>);

    // The last list loaded, for the toolbar and the keyboard (outside the Transition).
    let list = RwSignal::new(Vec::<TokenSummary>::new());
    let loaded = move || list.get();
    let chosen = move || {
        let sel = selected.get();
        loaded()
            .into_iter()
            .filter(|t| sel.contains(&t.id))
            .collect::<Vec<_>>()
    };
    // Keep the selection to tokens that still exist.
    Effect::new(move |_| {
        if let Some(Ok(fresh)) = tokens.get() {
            selected.update(|s| s.retain(|id| fresh.iter().any(|t| t.id == *id)));
            list.set(fresh);
        }
    });

    let ask_password = move |p: Pending| {
        pending.set(Some(p));
        password_open.set(true);
    };
    let confirm = Callback::new(move |password: String| match pending.get_untracked() {
        Some(Pending::Save(v)) => {
            save.dispatch(SaveToken {
                form: TokenForm {
                    id: v.id,
                    description: v.description,
                    api_set: v.api_set,
                    methods: v.methods,
                    expires: v.expires,
                    allowed_ips: v.allowed_ips,
                    password,
                },
            });
        }
        Some(Pending::Regenerate { id, expires, .. }) => {
            regenerate.dispatch(RegenerateToken {
                id,
                password,
                expires,
            });
        }
        Some(Pending::Remove(list)) => {
            remove.dispatch(DeleteTokens {
                ids: list.iter().map(|t| t.id).collect(),
                password,
            });
        }
        Some(Pending::Tighten { id, methods, .. }) => {
            tighten.dispatch(TightenToken {
                id,
                methods,
                password,
            });
        }
        None => {}
    });
    let last_error = RwSignal::new(None);
    // Route each answer: success closes the password step; an error stays in view.
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(reveal) => {
                    password_open.set(false);
                    let edited = reveal.is_none();
                    revealed.set(reveal);
                    if edited {
                        notice.set(Some("Token saved.".into()));
                    }
                }
                Err(e) => last_error.set(Some(e)),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(result) = regenerate.value().get() {
            match result {
                Ok(r) => {
                    password_open.set(false);
                    revealed.set(Some(r));
                }
                Err(e) => last_error.set(Some(e)),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(result) = remove.value().get() {
            match result {
                Ok(n) => {
                    password_open.set(false);
                    selected.set(Vec::new());
                    notice.set(Some(if n == 1 {
                        "Token removed.".into()
                    } else {
                        format!("{n} tokens removed.")
                    }));
                }
                Err(e) => last_error.set(Some(e)),
            }
        }
    });
    Effect::new(move |_| {
        if let Some(result) = tighten.value().get() {
            match result {
                Ok(t) => {
                    password_open.set(false);
                    let n = t.grant.custom.len();
                    notice.set(Some(format!(
                        "\"{}\" now holds only the {n} method{} it called.",
                        t.description,
                        if n == 1 { "" } else { "s" }
                    )));
                }
                Err(e) => last_error.set(Some(e)),
            }
        }
    });
    Effect::new(move |_| {
        if password_open.get() {
            last_error.set(None);
        }
    });
    let busy = Signal::derive(move || {
        save.pending().get()
            || regenerate.pending().get()
            || remove.pending().get()
            || tighten.pending().get()
    });

    let on_submit = Callback::new(move |values: FormValues| {
        form.set(None);
        ask_password(Pending::Save(values));
    });
    // An expired token needs a new date to be of any use: ask for one first.
    let renewing = RwSignal::new(None::<TokenSummary>);
    let renew_open = RwSignal::new(false);
    let renew_date = RwSignal::new(String::new());
    let on_regenerate = Callback::new(move |t: TokenSummary| {
        form.set(None);
        if t.is_expired(Utc::now()) {
            renew_date.set(format::date(Utc::now() + chrono::Duration::days(30)));
            renewing.set(Some(t));
            renew_open.set(true);
        } else {
            ask_password(Pending::Regenerate {
                id: t.id,
                description: t.description,
                expires: None,
            });
        }
    });
    let renew = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(t) = renewing.get_untracked() {
            renew_open.set(false);
            ask_password(Pending::Regenerate {
                id: t.id,
                description: t.description,
                expires: Some(format::form_date_to_iso(&renew_date.get_untracked())),
            });
        }
    };

    let one = move || {
        let c = chosen();
        (c.len() == 1).then(|| c[0].clone())
    };
    let tightening = RwSignal::new(None::<TokenSummary>);
    let tighten_open = RwSignal::new(false);
    let on_tighten = Callback::new(move |t: TokenSummary| {
        tightening.set(Some(t));
        tighten_open.set(true);
    });
    let on_apply = Callback::new(move |(t, methods): (TokenSummary, Vec<String>)| {
        ask_password(Pending::Tighten {
            id: t.id,
            description: t.description,
            methods,
        });
    });
    let row_click = move |index: usize, toggle: bool, range: bool| {
        let ids: Vec<i64> = loaded().iter().map(|t| t.id).collect();
        selected.set(select(
            &ids,
            &selected.get_untracked(),
            anchor.get_untracked(),
            index,
            toggle,
            range,
        ));
        if !range {
            anchor.set(Some(index));
        }
        cursor.set(Some(index));
    };
    let keydown = move |ev: leptos::ev::KeyboardEvent| {
        let n = loaded().len();
        if n == 0 {
            return;
        }
        let at = cursor.get_untracked();
        let next = match ev.key().as_str() {
            "ArrowDown" => Some(at.map_or(0, |i| (i + 1).min(n - 1))),
            "ArrowUp" => Some(at.map_or(0, |i| i.saturating_sub(1))),
            "Home" => Some(0),
            "End" => Some(n - 1),
            " " => {
                ev.prevent_default();
                if let Some(i) = at {
                    row_click(i, true, false);
                }
                None
            }
            "Enter" => {
                ev.prevent_default();
                if let Some(t) = one() {
                    form.set(Some(FormMode::Edit(t)));
                }
                None
            }
            _ => None,
        };
        if let Some(i) = next {
            ev.prevent_default();
            if ev.shift_key() {
                let ids: Vec<i64> = loaded().iter().map(|t| t.id).collect();
                selected.set(select(
                    &ids,
                    &[],
                    anchor.get_untracked().or(at),
                    i,
                    false,
                    true,
                ));
                cursor.set(Some(i));
            } else {
                row_click(i, false, false);
            }
        }
    };

    view! {
        <Title text="Access Tokens"/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>"Settings"</h1>
            </div>
            <SettingsTabs current="access-tokens"/>
            <section class="panel">
                <p class="muted intro">
                    "Personal access tokens let scripts, plugins and co-workers call the API without your password. "
                    "Give each one only the methods it needs and an expiry date."
                </p>
                <div class="toolbar" role="toolbar" aria-label="Token actions">
                    <button class="button primary" on:click=move |_| form.set(Some(FormMode::Generate))>"Generate"</button>
                    <button class="button" disabled=move || one().is_none()
                        on:click=move |_| if let Some(t) = one() { form.set(Some(FormMode::Edit(t))) }>"Edit"</button>
                    <button class="button" disabled=move || one().is_none()
                        on:click=move |_| if let Some(t) = one() { form.set(Some(FormMode::Copy(t))) }>"Copy"</button>
                    <button class="button" disabled=move || chosen().is_empty()
                        on:click=move |_| confirm_remove_open.set(true)>"Remove"</button>
                    <button class="button" on:click=move |_| {
                        notice.set(None);
                        refreshes.update(|n| *n += 1);
                    }>"Refresh"</button>
                    <span class="spacer"></span>
                    <span class="muted" aria-live="polite">
                        {move || match selected.with(Vec::len) {
                            0 => String::new(),
                            1 => "1 selected".into(),
                            n => format!("{n} selected"),
                        }}
                    </span>
                </div>
                {move || notice.get().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                <Transition fallback=|| view! { <p class="muted">"Loading tokens…"</p> }>
                    {move || Suspend::new(async move {
                        match tokens.await {
                            Err(e) => view! { <p class="error" role="alert">{e.message()}</p> }.into_any(),
                            Ok(rows) if rows.is_empty() => view! {
                                <div class="empty">
                                    <p>"No access tokens yet."</p>
                                    <p class="muted">"Generate one to call the API from a script, an IDE plugin or CI."</p>
                                </div>
                            }.into_any(),
                            Ok(rows) => {
                                let now = Utc::now();
                                view! {
                                    <div class="table-wrap">
                                        <table class="table tokens" aria-label="Access tokens" aria-multiselectable="true"
                                            tabindex="0" on:keydown=keydown>
                                            <thead>
                                                <tr>
                                                    <th>"Description"</th><th>"API"</th><th>"Expires"</th>
                                                    <th class="wide">"Created"</th><th>"Last used"</th><th class="wide">"Hint"</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {rows.into_iter().enumerate().map(|(index, t)| token_row(index, t, now, selected, cursor, row_click, on_regenerate)).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                    <p class="muted hint-line">"Click selects a row; Ctrl-click adds or removes one; Shift-click selects a range. Arrow keys, Space and Enter work too."</p>
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
            <UsagePanel token=Signal::derive(one) refresh=changes on_tighten=on_tighten/>
            <TightenDialog open=tighten_open token=tightening on_apply=on_apply/>
            <TokenFormDialog mode=form on_submit=on_submit on_regenerate=on_regenerate/>
            <Dialog open=confirm_remove_open title="Remove access tokens">
                <div class="stack">
                    <p>"These tokens will stop working at once and cannot be restored:"</p>
                    <ul class="remove-list">
                        {move || chosen().into_iter().map(|t| view! {
                            <li><strong>{t.description.clone()}</strong> " " <code>{t.hint.clone()} "…"</code></li>
                        }).collect_view()}
                    </ul>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| confirm_remove_open.set(false)>"Cancel"</button>
                        <button type="button" class="button danger" on:click=move |_| {
                            confirm_remove_open.set(false);
                            ask_password(Pending::Remove(chosen()));
                        }>"Remove"</button>
                    </div>
                </div>
            </Dialog>
            <PasswordDialog
                open=password_open
                title=Signal::derive(move || pending.get().map(|p| p.title()).unwrap_or_default())
                detail=Signal::derive(move || pending.get().map(|p| p.detail()).unwrap_or_default())
                pending=busy
                error=Signal::derive(move || last_error.get())
                on_confirm=confirm
            />
            <RevealDialog revealed=revealed/>
            <Dialog open=renew_open title="Regenerate expired token">
                <form class="stack" on:submit=renew>
                    <p>
                        {move || renewing.get().map(|t| format!("\"{}\" has expired. It gets a new value valid until:", t.description))}
                    </p>
                    <label>
                        <span>"Expires At"</span>
                        <input placeholder="dd-mm-yyyy" required
                            prop:value=move || renew_date.get()
                            on:input=move |ev| renew_date.set(event_target_value(&ev))/>
                    </label>
                    <div class="presets">
                        <button type="button" class="chip" on:click=move |_| renew_date.set(format::date(Utc::now() + chrono::Duration::days(30)))>"30 days"</button>
                        <button type="button" class="chip" on:click=move |_| renew_date.set(format::date(Utc::now() + chrono::Duration::days(90)))>"90 days"</button>
                    </div>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| renew_open.set(false)>"Cancel"</button>
                        <button type="submit" class="button primary">"Continue"</button>
                    </div>
                </form>
            </Dialog>
            <ErrorNote error=Signal::derive(move || (!password_open.get()).then(|| last_error.get()).flatten())/>
        </main>
    }
}

fn token_row(
    index: usize,
    t: TokenSummary,
    now: chrono::DateTime<Utc>,
    selected: RwSignal<Vec<i64>>,
    cursor: RwSignal<Option<usize>>,
    row_click: impl Fn(usize, bool, bool) + Copy + 'static,
    on_regenerate: Callback<TokenSummary>,
) -> impl IntoView {
    let id = t.id;
    let expired = t.is_expired(now);
    let soon = t.expires_soon(now);
    let expires = match t.expires_at {
        None => view! { <span class="muted">"never"</span> }.into_any(),
        Some(_) if expired => {
            let token = t.clone();
            view! {
                <span class="badge expired">"expired"</span>
                " "
                <button type="button" class="link small" on:click=move |ev| {
                    ev.stop_propagation();
                    on_regenerate.run(token.clone());
                }>"Regenerate"</button>
            }
            .into_any()
        }
        Some(at) => view! {
            <span>{format::date(at)}</span>
            {soon.map(|days| view! {
                " "
                <span class="badge soon">
                    {match days {
                        0 => "expires today".to_string(),
                        1 => "in 1 day".to_string(),
                        n => format!("in {n} days"),
                    }}
                </span>
            })}
        }
        .into_any(),
    };
    let last_used = match &t.last_used {
        None => view! { <span class="muted">"never"</span> }.into_any(),
        Some(u) => view! {
            <span>{format::date_time(u.at)}</span>
            <span class="muted small">{u.ip.clone().map(|ip| format!(" from {ip}"))}</span>
        }
        .into_any(),
    };
    view! {
        <tr
            class:selected=move || selected.with(|s| s.contains(&id))
            class:cursor=move || cursor.get() == Some(index)
            class:expired=expired
            aria-selected=move || if selected.with(|s| s.contains(&id)) { "true" } else { "false" }
            on:click=move |ev| {
                ev.prevent_default();
                row_click(index, ev.ctrl_key() || ev.meta_key(), ev.shift_key());
            }
        >
            <td class="strong">
                {t.description.clone()}
                {(!t.allowlist.is_empty()).then(|| view! {
                    <span class="badge limited" title=t.allowlist.entries().join(", ")>"IP-limited"</span>
                })}
            </td>
            <td>{t.grant.set.name()}</td>
            <td>{expires}</td>
            <td class="wide">{format::date(t.created_at)}</td>
            <td>{last_used}</td>
            <td class="wide"><code>{t.hint.clone()} "…"</code></td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::select;

    const IDS: [i64; 5] = [10, 20, 30, 40, 50];

    #[test]
    fn click_selects_only_that_row() {
        assert_eq!(select(&IDS, &[10, 20], Some(0), 2, false, false), [30]);
    }

    #[test]
    fn ctrl_click_toggles() {
        assert_eq!(select(&IDS, &[10], Some(0), 2, true, false), [10, 30]);
        assert_eq!(select(&IDS, &[10, 30], Some(0), 2, true, false), [10]);
    }

    #[test]
    fn shift_click_selects_the_range_from_the_anchor() {
        assert_eq!(select(&IDS, &[20], Some(1), 3, false, true), [20, 30, 40]);
        assert_eq!(select(&IDS, &[40], Some(3), 1, false, true), [20, 30, 40]);
        assert_eq!(select(&IDS, &[50], Some(1), 2, true, true), [50, 20, 30]);
    }
}
