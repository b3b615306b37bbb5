//! Settings → Access Tokens: the token table with its toolbar (Generate, Edit, Copy,
//! Remove, Refresh), the token form, the password step and the one-time reveal.

use chrono::Utc;
use domain::tokens::TokenSummary;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::{
    list_tokens, DeleteTokens, RegenerateToken, RevokeAllTokens, SaveToken, TightenToken, TokenForm,
};
use crate::components::action::{follow, Notice, StatusNote};
use crate::components::dialog::Dialog;
use crate::components::password::PasswordDialog;
use crate::components::reveal::RevealDialog;
use crate::components::settings_tabs::SettingsTabs;
use crate::components::token_form::{FormMode, FormValues, TokenFormDialog};
use crate::components::token_usage::{TightenDialog, UsagePanel};
use crate::components::topbar::{ErrorNote, TopBar};
use crate::format;
use crate::i18n::td_string;
use crate::locale::use_i18n;

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
    /// Every token of the account; the count shown.
    RevokeAll(usize),
}

impl Pending {
    fn title(&self, i18n: crate::locale::I18n) -> String {
        match self {
            Self::Save(v) if v.id.is_some() => td_string!(i18n.get(), tokens.confirm_changes),
            Self::Save(_) => td_string!(i18n.get(), tokens.confirm_new),
            Self::Regenerate { .. } => td_string!(i18n.get(), tokens.confirm_regenerate),
            Self::Remove(_) => td_string!(i18n.get(), tokens.confirm_removal),
            Self::Tighten { .. } => td_string!(i18n.get(), tokens.confirm_tighten),
            Self::RevokeAll(_) => td_string!(i18n.get(), tokens.confirm_revoke_all),
        }
        .to_owned()
    }

    fn detail(&self, i18n: crate::locale::I18n) -> String {
        match self {
            Self::Save(v) => {
                td_string!(i18n.get(), tokens.save_detail, name = v.description.trim()).to_string()
            }
            Self::Regenerate { description, .. } => {
                td_string!(i18n.get(), tokens.regenerate_detail, name = description).to_string()
            }
            Self::Remove(tokens) if tokens.len() == 1 => td_string!(
                i18n.get(),
                tokens.remove_one_detail,
                name = &tokens[0].description
            )
            .to_string(),
            Self::Remove(tokens) => {
                td_string!(i18n.get(), tokens.remove_many_detail, n = tokens.len()).to_string()
            }
            Self::Tighten {
                description,
                methods,
                ..
            } => td_string!(
                i18n.get(),
                tokens.tighten_detail,
                name = description,
                n = methods.len()
            )
            .to_string(),
            Self::RevokeAll(n) => {
                td_string!(i18n.get(), tokens.revoke_all_detail, n = *n).to_string()
            }
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
    let revoke_all = ServerAction::<RevokeAllTokens>::new();
    let i18n = use_i18n();
    let refreshes = RwSignal::new(0u32);
    let tokens = Resource::new(
        move || {
            (
                save.version().get(),
                regenerate.version().get(),
                remove.version().get(),
                tighten.version().get(),
                revoke_all.version().get(),
                refreshes.get(),
            )
        },
        |_| list_tokens(),
    );
    let changes = Signal::derive(move || {
        (save.version().get()
            + regenerate.version().get()
            + remove.version().get()
            + tighten.version().get()
            + revoke_all.version().get()) as u64
            + u64::from(refreshes.get())
    });

    let selected = RwSignal::new(Vec::<i64>::new());
    let anchor = RwSignal::new(None::<usize>);
    let cursor = RwSignal::new(None::<usize>);
    let form = RwSignal::new(None::<FormMode>);
    let pending = RwSignal::new(None::<Pending>);
    let password_open = RwSignal::new(false);
    let confirm_remove_open = RwSignal::new(false);
    let confirm_revoke_open = RwSignal::new(false);
    let revealed = RwSignal::new(None);
    let notice = RwSignal::new(None::<Notice>);

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
        Some(Pending::RevokeAll(_)) => {
            revoke_all.dispatch(RevokeAllTokens { password });
        }
        None => {}
    });
    let last_error = RwSignal::new(None);
    // Each success closes the password step; a refusal stays in view.
    follow(save, last_error, move |reveal| {
        password_open.set(false);
        let edited = reveal.is_none();
        revealed.set(reveal);
        if edited {
            notice.set(Some(Notice::new(|locale| {
                td_string!(locale, tokens.saved).into()
            })));
        }
    });
    follow(regenerate, last_error, move |r| {
        password_open.set(false);
        revealed.set(Some(r));
    });
    follow(remove, last_error, move |n| {
        password_open.set(false);
        selected.set(Vec::new());
        notice.set(Some(Notice::new(move |locale| {
            if n == 1 {
                td_string!(locale, tokens.removed_one).into()
            } else {
                td_string!(locale, tokens.removed_many, n).to_string()
            }
        })));
    });
    follow(tighten, last_error, move |t| {
        password_open.set(false);
        let n = t.grant.custom.len();
        notice.set(Some(Notice::new(move |locale| {
            td_string!(locale, tokens.tightened, name = &t.description, n).to_string()
        })));
    });
    follow(revoke_all, last_error, move |n| {
        password_open.set(false);
        selected.set(Vec::new());
        notice.set(Some(Notice::new(move |locale| {
            td_string!(locale, tokens.revoked_all, n).to_string()
        })));
    });
    let busy = Signal::derive(move || {
        save.pending().get()
            || regenerate.pending().get()
            || remove.pending().get()
            || tighten.pending().get()
            || revoke_all.pending().get()
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

    // Tokens need no second factor: said here on accounts that have one.
    let two_factor = Resource::new(|| (), |_| crate::api::two_factor());

    view! {
        <Title text=move || td_string!(i18n.get(), settings.access_tokens)/>
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{move || td_string!(i18n.get(), settings.title)}</h1>
            </div>
            <SettingsTabs current="access-tokens"/>
            <section class="panel">
                <p class="muted intro">
                    {move || td_string!(i18n.get(), tokens.intro)}
                </p>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        two_factor.await.ok().and_then(|s| s.enabled_at).map(|_| view! {
                            <p class="notice" role="note">{move || td_string!(i18n.get(), two_factor.tokens_note)}</p>
                        })
                    })}
                </Transition>
                <div class="toolbar" role="toolbar" aria-label=move || td_string!(i18n.get(), tokens.actions)>
                    <button class="button primary" on:click=move |_| form.set(Some(FormMode::Generate))>{move || td_string!(i18n.get(), tokens.generate)}</button>
                    <button class="button" disabled=move || one().is_none()
                        on:click=move |_| if let Some(t) = one() { form.set(Some(FormMode::Edit(t))) }>{move || td_string!(i18n.get(), tokens.edit)}</button>
                    <button class="button" disabled=move || one().is_none()
                        on:click=move |_| if let Some(t) = one() { form.set(Some(FormMode::Copy(t))) }>{move || td_string!(i18n.get(), tokens.copy)}</button>
                    <button class="button" disabled=move || chosen().is_empty()
                        on:click=move |_| confirm_remove_open.set(true)>{move || td_string!(i18n.get(), tokens.remove)}</button>
                    <button class="button" on:click=move |_| {
                        notice.set(None);
                        refreshes.update(|n| *n += 1);
                    }>{move || td_string!(i18n.get(), tokens.refresh)}</button>
                    <span class="spacer"></span>
                    <button class="button danger" disabled=move || list.with(Vec::is_empty)
                        on:click=move |_| confirm_revoke_open.set(true)>{move || td_string!(i18n.get(), tokens.revoke_all)}</button>
                    <span class="muted" aria-live="polite">
                        {move || match selected.with(Vec::len) {
                            0 => String::new(),
                            1 => td_string!(i18n.get(), tokens.selected_one).into(),
                            n => td_string!(i18n.get(), tokens.selected_many, n).to_string(),
                        }}
                    </span>
                </div>
                <StatusNote notice=notice/>
                <Transition fallback=move || view! { <p class="muted">{move || td_string!(i18n.get(), tokens.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match tokens.await {
                            Err(e) => view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }.into_any(),
                            Ok(rows) if rows.is_empty() => view! {
                                <div class="empty">
                                    <p>{move || td_string!(i18n.get(), tokens.empty)}</p>
                                    <p class="muted">{move || td_string!(i18n.get(), tokens.empty_hint)}</p>
                                </div>
                            }.into_any(),
                            Ok(rows) => {
                                let now = Utc::now();
                                view! {
                                    <div class="table-wrap">
                                        <table class="table tokens" aria-label=move || td_string!(i18n.get(), tokens.table) aria-multiselectable="true"
                                            tabindex="0" on:keydown=keydown>
                                            <thead>
                                                <tr>
                                                    <th>{move || td_string!(i18n.get(), tokens.col_description)}</th><th>{move || td_string!(i18n.get(), tokens.col_api)}</th><th>{move || td_string!(i18n.get(), tokens.col_expires)}</th>
                                                    <th class="wide">{move || td_string!(i18n.get(), tokens.col_created)}</th><th>{move || td_string!(i18n.get(), tokens.col_last_used)}</th><th class="wide">{move || td_string!(i18n.get(), tokens.col_hint)}</th>
                                                </tr>
                                            </thead>
                                            <tbody>
                                                {rows.into_iter().enumerate().map(|(index, t)| token_row(i18n, index, t, now, selected, cursor, row_click, on_regenerate)).collect_view()}
                                            </tbody>
                                        </table>
                                    </div>
                                    <p class="muted hint-line">{move || td_string!(i18n.get(), tokens.selection_help)}</p>
                                }.into_any()
                            }
                        }
                    })}
                </Transition>
            </section>
            <UsagePanel token=Signal::derive(one) refresh=changes on_tighten=on_tighten/>
            <TightenDialog open=tighten_open token=tightening on_apply=on_apply/>
            <TokenFormDialog mode=form on_submit=on_submit on_regenerate=on_regenerate/>
            <Dialog open=confirm_remove_open title=Signal::derive(move || td_string!(i18n.get(), tokens.remove_title).to_string())>
                <div class="stack">
                    <p>{move || td_string!(i18n.get(), tokens.remove_text)}</p>
                    <ul class="remove-list">
                        {move || chosen().into_iter().map(|t| view! {
                            <li><strong>{t.description.clone()}</strong> " " <code>{t.hint.clone()} "…"</code></li>
                        }).collect_view()}
                    </ul>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| confirm_remove_open.set(false)>{move || td_string!(i18n.get(), common.cancel)}</button>
                        <button type="button" class="button danger" on:click=move |_| {
                            confirm_remove_open.set(false);
                            ask_password(Pending::Remove(chosen()));
                        }>{move || td_string!(i18n.get(), tokens.remove)}</button>
                    </div>
                </div>
            </Dialog>
            <Dialog open=confirm_revoke_open title=Signal::derive(move || td_string!(i18n.get(), tokens.revoke_all_title).to_string())>
                <div class="stack">
                    <p>{move || td_string!(i18n.get(), tokens.revoke_all_text)}</p>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| confirm_revoke_open.set(false)>{move || td_string!(i18n.get(), common.cancel)}</button>
                        <button type="button" class="button danger" on:click=move |_| {
                            confirm_revoke_open.set(false);
                            ask_password(Pending::RevokeAll(list.with_untracked(Vec::len)));
                        }>{move || td_string!(i18n.get(), tokens.revoke_all_title)}</button>
                    </div>
                </div>
            </Dialog>
            <PasswordDialog
                open=password_open
                title=Signal::derive(move || pending.get().map(|p| p.title(i18n)).unwrap_or_default())
                detail=Signal::derive(move || pending.get().map(|p| p.detail(i18n)).unwrap_or_default())
                pending=busy
                error=last_error
                on_confirm=confirm
            />
            <RevealDialog revealed=revealed on_shared=Callback::new(move |_| refreshes.update(|n| *n += 1))/>
            <Dialog open=renew_open title=Signal::derive(move || td_string!(i18n.get(), tokens.renew_title).to_string())>
                <form class="stack" on:submit=renew>
                    <p>
                        {move || renewing.get().map(|t| td_string!(i18n.get(), tokens.renew_text, name = t.description).to_string())}
                    </p>
                    <label>
                        <span>{move || td_string!(i18n.get(), form.expires_at)}</span>
                        <input placeholder="dd-mm-yyyy" required
                            prop:value=move || renew_date.get()
                            on:input=move |ev| renew_date.set(event_target_value(&ev))/>
                    </label>
                    <div class="presets">
                        <button type="button" class="chip" on:click=move |_| renew_date.set(format::date(Utc::now() + chrono::Duration::days(30)))>{move || td_string!(i18n.get(), common.days_30)}</button>
                        <button type="button" class="chip" on:click=move |_| renew_date.set(format::date(Utc::now() + chrono::Duration::days(90)))>{move || td_string!(i18n.get(), common.days_90)}</button>
                    </div>
                    <div class="dialog-actions">
                        <button type="button" class="button" on:click=move |_| renew_open.set(false)>{move || td_string!(i18n.get(), common.cancel)}</button>
                        <button type="submit" class="button primary">{move || td_string!(i18n.get(), common.proceed)}</button>
                    </div>
                </form>
            </Dialog>
            <ErrorNote error=Signal::derive(move || (!password_open.get()).then(|| last_error.get()).flatten())/>
        </main>
    }
}

#[allow(clippy::too_many_arguments)]
fn token_row(
    i18n: crate::locale::I18n,
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
        None => view! { <span class="muted">{move || td_string!(i18n.get(), tokens.never)}</span> }
            .into_any(),
        Some(_) if expired => {
            let token = t.clone();
            view! {
                <span class="badge expired">{move || td_string!(i18n.get(), tokens.expired)}</span>
                " "
                <button type="button" class="link small" on:click=move |ev| {
                    ev.stop_propagation();
                    on_regenerate.run(token.clone());
                }>{move || td_string!(i18n.get(), tokens.regenerate)}</button>
            }
            .into_any()
        }
        Some(at) => view! {
            <span>{format::date(at)}</span>
            {soon.map(|days| view! {
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
    };
    let last_used = match &t.last_used {
        None => view! { <span class="muted">{move || td_string!(i18n.get(), tokens.never)}</span> }.into_any(),
        Some(u) => view! {
            <span>{format::date_time(u.at)}</span>
            <span class="muted small">{u.ip.clone().map(|ip| move || format!(" {}", td_string!(i18n.get(), tokens.from_ip, ip = ip.clone())))}</span>
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
                    <span class="badge limited" title=t.allowlist.entries().join(", ")>{move || td_string!(i18n.get(), tokens.ip_limited)}</span>
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
