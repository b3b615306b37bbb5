//! The token form (Generate, Edit, Copy): Description, Expires At, API, and for a
//! Custom set the method picker with Search and Only Checked.

use chrono::{Duration, Utc};
use domain::catalogue::{self, ApiSet};
use domain::tokens::TokenSummary;
use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::format;

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
    let problem = RwSignal::new(None::<String>);

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
            }
            Some(FormMode::Edit(t)) | Some(FormMode::Copy(t)) => {
                description.set(t.description.clone());
                expires.set(t.expires_at.map(format::date).unwrap_or_default());
                api_set.set(t.grant.set);
                checked.set(t.grant.methods());
                allowed_ips.set(t.allowlist.entries().join(", "));
            }
        }
    });
    Effect::new(move |_| {
        if !open.get() && mode.with_untracked(Option::is_some) {
            mode.set(None);
        }
    });

    let title = Signal::derive(move || {
        match mode.get() {
            Some(FormMode::Edit(_)) => "Edit Access Token",
            Some(FormMode::Copy(_)) => "Copy Access Token",
            _ => "Generate Access Token",
        }
        .to_string()
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let set = api_set.get_untracked();
        if description.with_untracked(|d| d.trim().is_empty()) {
            problem.set(Some("Describe what the token is for.".into()));
            return;
        }
        if set == ApiSet::Custom && checked.with_untracked(Vec::is_empty) {
            problem.set(Some(
                "Check at least one API method for a Custom set.".into(),
            ));
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
        });
    };

    view! {
        <Dialog open=open title=title>
            <form class="stack token-form" on:submit=submit novalidate>
                <label>
                    <span>"Description"</span>
                    <input
                        required
                        maxlength="255"
                        autofocus
                        placeholder="e.g. CI deploys to my-project"
                        prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))
                    />
                </label>
                <div class="field">
                    <label>
                        <span>"Expires At"</span>
                        <input
                            placeholder="dd-mm-yyyy"
                            inputmode="numeric"
                            prop:value=move || expires.get()
                            on:input=move |ev| expires.set(event_target_value(&ev))
                        />
                    </label>
                    <div class="presets" role="group" aria-label="Expiry presets">
                        <input type="date" aria-label="Pick a date"
                            prop:value=move || format::form_date_to_iso(&expires.get())
                            on:change=move |ev| {
                                let iso = event_target_value(&ev);
                                let parts: Vec<&str> = iso.split('-').collect();
                                if let [y, m, d] = parts.as_slice() {
                                    expires.set(format!("{d}-{m}-{y}"));
                                }
                            }/>
                        <button type="button" class="chip" on:click=move |_| expires.set(preset(7))>"7 days"</button>
                        <button type="button" class="chip" on:click=move |_| expires.set(preset(30))>"30 days"</button>
                        <button type="button" class="chip" on:click=move |_| expires.set(preset(90))>"90 days"</button>
                        <button type="button" class="chip" on:click=move |_| expires.set(String::new())>"No expiry"</button>
                    </div>
                    <small class="muted">
                        {move || if expires.with(|e| e.trim().is_empty()) {
                            "The token never expires.".to_string()
                        } else {
                            "Valid through the end of that day, UTC.".to_string()
                        }}
                    </small>
                </div>
                <label>
                    <span>"Allowed IPs"</span>
                    <input
                        placeholder="Any address, or e.g. 203.0.113.0/24, 2001:db8::/32"
                        prop:value=move || allowed_ips.get()
                        on:input=move |ev| allowed_ips.set(event_target_value(&ev))
                    />
                    <small class="muted">"Calls from other addresses are refused and logged."</small>
                </label>
                <div class="field">
                    <label for="token-api">"API"</label>
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
                    ApiSet::Custom => view! { <MethodPicker checked=checked/> }.into_any(),
                    set => view! {
                        <div class="granted">
                            <p class="muted">{format!("{} grants {} methods:", set.name(), set.methods().len())}</p>
                            <ul>
                                {set.methods().into_iter().map(|id| view! {
                                    <li><code>{id}</code></li>
                                }).collect_view()}
                            </ul>
                        </div>
                    }.into_any(),
                }}
                {move || problem.get().map(|p| view! { <p class="error" role="alert">{p}</p> })}
                <div class="dialog-actions spread">
                    {move || match mode.get() {
                        Some(FormMode::Edit(t)) => Some(view! {
                            <button type="button" class="link" on:click=move |_| on_regenerate.run(t.clone())>
                                "Regenerate"
                            </button>
                        }),
                        _ => None,
                    }}
                    <span class="spacer"></span>
                    <button type="button" class="button" on:click=move |_| open.set(false)>"Cancel"</button>
                    <button type="submit" class="button primary">
                        {move || if matches!(mode.get(), Some(FormMode::Edit(_))) { "Save" } else { "Generate" }}
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
    let total = catalogue::grantable().count();
    let mut services: Vec<&'static str> = catalogue::grantable().map(|m| m.service_id()).collect();
    services.dedup();
    let visible = move |m: &catalogue::Method| {
        let needle = search.with(|s| s.trim().to_lowercase());
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
                    <span class="sr-only">"Search"</span>
                    <input type="search" placeholder="Search" aria-label="Search"
                        prop:value=move || search.get()
                        on:input=move |ev| search.set(event_target_value(&ev))/>
                </label>
                <label class="check">
                    <input type="checkbox" prop:checked=move || only_checked.get()
                        on:change=move |ev| only_checked.set(event_target_checked(&ev))/>
                    <span>"Only Checked"</span>
                </label>
                <span class="count" aria-live="polite">
                    {move || format!("{} of {total} checked", checked.with(Vec::len))}
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
                                    <input type="checkbox" aria-label=format!("All of {service}")
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
                                    <div class="method" class:hidden=move || !visible(m) title=m.summary>
                                        <label class="check">
                                            <input type="checkbox"
                                                prop:checked=move || checked.with(|c| c.iter().any(|x| x == id))
                                                on:change=move |ev| toggle(id, event_target_checked(&ev))/>
                                            <span>{id}</span>
                                        </label>
                                        <span class="summary">{m.summary}</span>
                                        <a class="docs-link" href=m.docs_path() target="_blank" rel="noopener">"API Docs"</a>
                                    </div>
                                }
                            }).collect_view()}
                        </fieldset>
                    }
                }).collect_view()}
                {move || (catalogue::grantable().filter(|m| visible(m)).count() == 0).then(|| view! {
                    <p class="muted">"No method matches."</p>
                })}
            </div>
        </div>
    }
}
