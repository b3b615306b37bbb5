//! The token form (Generate, Edit, Copy): Description, Expires At, Allowed IPs,
//! Environments, API, and for a Custom set the method picker with Search and Only
//! Checked.

use chrono::{Duration, Utc};
use domain::catalogue::{self, ApiSet};
use domain::tokens::TokenSummary;
use leptos::either::Either;
use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::env_scope::{EnvChoice, EnvScopeField};
use crate::format;
use crate::i18n::{td_string, tr};
use crate::locale::use_i18n;
use crate::text::method_summary;

/// What the form was opened for.
#[derive(Clone, Debug, PartialEq)]
pub enum FormMode {
    Generate,
    Edit(TokenSummary),
    Copy(TokenSummary),
}

/// The form's fields, ready for the password step.
#[derive(Clone, Debug, PartialEq)]
pub struct FormValues {
    pub id: Option<i64>,
    pub description: String,
    pub api_set: ApiSet,
    pub methods: Vec<String>,
    /// `yyyy-mm-dd` or empty.
    pub expires: String,
    /// Networks, as typed; empty for anywhere.
    pub allowed_ips: String,
    /// Environment names and patterns; `None` for every environment.
    pub environments: Option<Vec<String>>,
}

fn preset(days: i64) -> String {
    format::date(Utc::now() + Duration::days(days))
}

#[component]
pub fn TokenFormDialog(
    mode: RwSignal<Option<FormMode>>,
    on_submit: Callback<FormValues>,
    on_regenerate: Callback<TokenSummary>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let description = RwSignal::new(String::new());
    let expires = RwSignal::new(String::new());
    let api_set = RwSignal::new(ApiSet::ExtendedAccess);
    let checked = RwSignal::new(Vec::<String>::new());
    let allowed_ips = RwSignal::new(String::new());
    let envs = EnvChoice::new();
    let problem = RwSignal::new(None::<String>);
    let i18n = use_i18n();

    // Fill the fields whenever the form opens.
    Effect::new(move |_| {
        let m = mode.get();
        if open.get_untracked() != m.is_some() {
            open.set(m.is_some());
        }
        problem.set(None);
        match m {
            None => {}
            Some(FormMode::Generate) => {
                description.set(String::new());
                expires.set(preset(30));
                api_set.set(ApiSet::ExtendedAccess);
                checked.set(Vec::new());
                allowed_ips.set(String::new());
                envs.set(None);
            }
            Some(FormMode::Edit(t)) | Some(FormMode::Copy(t)) => {
                description.set(t.description.clone());
                expires.set(t.expires_at.map(format::date).unwrap_or_default());
                api_set.set(t.grant.set);
                checked.set(t.grant.methods());
                allowed_ips.set(t.allowlist.entries().join(", "));
                envs.set(t.env_names.as_deref());
            }
        }
    });
    // A choice of environments made after the form said one was missing clears the note.
    Effect::new(move |_| {
        envs.checked.track();
        envs.patterns.track();
        problem.set(None);
    });
    Effect::new(move |_| {
        if !open.get() && mode.with_untracked(Option::is_some) {
            mode.set(None);
        }
    });

    let title = Signal::derive(move || {
        match mode.get() {
            Some(FormMode::Edit(_)) => td_string!(i18n.get(), form.edit_title),
            Some(FormMode::Copy(_)) => td_string!(i18n.get(), form.copy_title),
            _ => td_string!(i18n.get(), form.generate_title),
        }
        .to_string()
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let set = api_set.get_untracked();
        if description.with_untracked(|d| d.trim().is_empty()) {
            problem.set(Some(td_string!(i18n.get(), form.need_description).into()));
            return;
        }
        if set == ApiSet::Custom && checked.with_untracked(Vec::is_empty) {
            problem.set(Some(td_string!(i18n.get(), form.need_method).into()));
            return;
        }
        let environments = envs.scope();
        if environments.as_ref().is_some_and(Vec::is_empty) {
            problem.set(Some(td_string!(i18n.get(), form.need_environment).into()));
            return;
        }
        problem.set(None);
        let id = match mode.get_untracked() {
            Some(FormMode::Edit(t)) => Some(t.id),
            _ => None,
        };
        on_submit.run(FormValues {
            id,
            description: description.get_untracked(),
            api_set: set,
            methods: if set == ApiSet::Custom {
                checked.get_untracked()
            } else {
                Vec::new()
            },
            expires: format::form_date_to_iso(&expires.get_untracked()),
            allowed_ips: allowed_ips.get_untracked(),
            environments,
        });
    };

    view! {
        <Dialog open=open title=title>
            <form class="stack token-form" on:submit=submit novalidate>
                <label>
                    <span>{tr!(i18n, form.description)}</span>
                    <input
                        required
                        maxlength="255"
                        autofocus
                        placeholder=tr!(i18n, form.description_placeholder)
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))
                    />
                </label>
                <div class="field">
                    <label>
                        <span>{tr!(i18n, form.expires_at)}</span>
                        <input
                            placeholder="dd-mm-yyyy"
                            inputmode="numeric"
                            prop:value=move || expires.get()
                            on:input=move |ev| expires.set(event_target_value(&ev))
                        />
                    </label>
                    <div class="presets" role="group" aria-label=tr!(i18n, form.presets)>
                        <input type="date" aria-label=tr!(i18n, form.pick_date)
                            prop:value=move || format::form_date_to_iso(&expires.get())
                            on:change=move |ev| {
                                let iso = event_target_value(&ev);
                                let parts: Vec<&str> = iso.split('-').collect();
                                if let [y, m, d] = parts.as_slice() {
                                    expires.set(format!("{d}-{m}-{y}"));
                                }
                            }/>
                        <button type="button" class="chip" on:click=move |_| expires.set(preset(7))>{tr!(i18n, common.days_7)}</button>
                        <button type="button" class="chip" on:click=move |_| expires.set(preset(30))>{tr!(i18n, common.days_30)}</button>
                        <button type="button" class="chip" on:click=move |_| expires.set(preset(90))>{tr!(i18n, common.days_90)}</button>
                        <button type="button" class="chip" on:click=move |_| expires.set(String::new())>{tr!(i18n, form.no_expiry)}</button>
                    </div>
                    <small class="muted">
                        {move || if expires.with(|e| e.trim().is_empty()) {
                            td_string!(i18n.get(), form.never_expires)
                        } else {
                            td_string!(i18n.get(), form.valid_through)
                        }}
                    </small>
                </div>
                <label>
                    <span>{tr!(i18n, form.allowed_ips)}</span>
                    <input
                        placeholder=tr!(i18n, form.allowed_placeholder)
                        prop:value=move || allowed_ips.get()
                        on:input=move |ev| allowed_ips.set(event_target_value(&ev))
                    />
                    <small class="muted">{tr!(i18n, form.allowed_hint)}</small>
                </label>
                <EnvScopeField choice=envs open=Signal::from(open)/>
                <div class="field">
                    <label for="token-api">{tr!(i18n, form.api)}</label>
                    <select id="token-api" on:change=move |ev| {
                        if let Some(set) = ApiSet::parse(&event_target_value(&ev)) {
                            api_set.set(set);
                        }
                    }>
                        {ApiSet::ALL.into_iter().map(|set| view! {
                            <option value=set.key() selected=move || api_set.get() == set>{set.name()}</option>
                        }).collect_view()}
                    </select>
                </div>
                {move || match api_set.get() {
                    ApiSet::Custom => Either::Left(view! { <MethodPicker checked=checked/> }),
                    set => Either::Right(view! {
                        <div class="granted">
                            <p class="muted">{move || td_string!(i18n.get(), form.grants, set = set.name(), n = set.methods().len()).to_string()}</p>
                            <ul>
                                {set.methods().into_iter().map(|id| view! {
                                    <li><code>{id}</code></li>
                                }).collect_view()}
                            </ul>
                        </div>
                    }),
                }}
                {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
                <div class="dialog-actions spread">
                    {move || match mode.get() {
                        Some(FormMode::Edit(t)) => Some(view! {
                            <button type="button" class="link" on:click=move |_| on_regenerate.run(t.clone())>
                                {tr!(i18n, form.regenerate)}
                            </button>
                        }),
                        _ => None,
                    }}
                    <span class="spacer"></span>
                    <button type="button" class="button" on:click=move |_| open.set(false)>{tr!(i18n, common.cancel)}</button>
                    <button type="submit" class="button primary">
                        {move || if matches!(mode.get(), Some(FormMode::Edit(_))) { td_string!(i18n.get(), form.save) } else { td_string!(i18n.get(), form.generate) }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

/// Every grantable method grouped by service, with Search, Only Checked, group-level
/// check-all and a count.
#[component]
pub fn MethodPicker(checked: RwSignal<Vec<String>>) -> impl IntoView {
    let search = RwSignal::new(String::new());
    let only_checked = RwSignal::new(false);
    let i18n = use_i18n();
    let total = catalogue::grantable().count();
    let mut services: Vec<&'static str> = catalogue::grantable().map(|m| m.service_id()).collect();
    services.dedup();
    let visible = move |m: &catalogue::Method| {
        let needle = search.with(|s| s.trim().to_ascii_lowercase());
        m.matches(&needle) && (!only_checked.get() || checked.with(|c| c.iter().any(|x| x == m.id)))
    };
    let toggle = move |id: &'static str, on: bool| {
        checked.update(|c| {
            c.retain(|x| x != id);
            if on {
                c.push(id.to_owned());
                c.sort();
            }
        });
    };
    view! {
        <div class="picker">
            <div class="picker-tools">
                <label class="search">
                    <span class="sr-only">{tr!(i18n, form.search)}</span>
                    <input type="search" placeholder=tr!(i18n, form.search) aria-label=tr!(i18n, form.search)
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))/>
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || only_checked.get()
                        on:change=move |ev| only_checked.set(event_target_checked(&ev))/>
                    <span>{tr!(i18n, form.only_checked)}</span>
                </label>
                <span class="count" aria-live="polite">
                    {move || td_string!(i18n.get(), form.checked_count, n = checked.with(Vec::len), total).to_string()}
                </span>
            </div>
            <div class="picker-list">
                {services.into_iter().map(|service| {
                    let in_group = move || catalogue::grantable().filter(|m| m.service_id() == service && visible(m)).map(|m| m.id).collect::<Vec<_>>();
                    let all_on = move || {
                        let ids = in_group();
                        !ids.is_empty() && checked.with(|c| ids.iter().all(|id| c.iter().any(|x| x == id)))
                    };
                    view! {
                        <fieldset class="group" class:hidden=move || in_group().is_empty()>
                            <legend>
                                <label class="check">
                                    <input type="checkbox" aria-label=move || td_string!(i18n.get(), form.all_of, service).to_string()
                                        prop:checked=all_on
                                        on:change=move |ev| {
                                            let on = event_target_checked(&ev);
                                            for id in in_group() {
                                                toggle(id, on);
                                            }
                                        }/>
                                    <code>{service}</code>
                                </label>
                            </legend>
                            {catalogue::grantable().filter(|m| m.service_id() == service).map(|m| {
                                let id = m.id;
                                view! {
                                    <div class="method" class:hidden=move || !visible(m) title=move || method_summary(i18n, id)>
                                        <label class="check">
                                            <input type="checkbox"
                                                prop:checked=move || checked.with(|c| c.iter().any(|x| x == id))
                                                on:change=move |ev| toggle(id, event_target_checked(&ev))/>
                                            <span>{id}</span>
                                        </label>
                                        <span class="summary">{move || method_summary(i18n, id)}</span>
                                        <a class="docs-link" href=m.docs_path() target="_blank" rel="noopener">{tr!(i18n, form.api_docs)}</a>
                                    </div>
                                }
                            }).collect_view()}
                        </fieldset>
                    }
                }).collect_view()}
                {move || (catalogue::grantable().filter(|m| visible(m)).count() == 0).then(|| view! {
                    <p class="muted">{tr!(i18n, form.no_match)}</p>
                })}
            </div>
        </div>
    }
}
