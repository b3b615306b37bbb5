//! The token form's Environments choice: every environment, or only those checked
//! (with a Search box over the account's environments) and those a name pattern
//! (`ci-*`) matches.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;

use crate::api::environment_names;
use crate::i18n::{td_string, tr};
use crate::locale::use_i18n;

/// What the choice holds while the form is open.
#[derive(Clone, Copy)]
pub struct EnvChoice {
    /// Only selected (else every environment).
    pub only: RwSignal<bool>,
    /// The environments checked, by name.
    pub checked: RwSignal<Vec<String>>,
    /// Name patterns, as typed (`ci-*, test-*`).
    pub patterns: RwSignal<String>,
}

impl EnvChoice {
    pub fn new() -> Self {
        Self {
            only: RwSignal::new(false),
            checked: RwSignal::new(Vec::new()),
            patterns: RwSignal::new(String::new()),
        }
    }

    /// Fills the choice from a token's scope (`None`: every environment): its names
    /// checked, its patterns in the pattern field.
    pub fn set(self, scope: Option<&[String]>) {
        self.only.set(scope.is_some());
        let (patterns, names): (Vec<&String>, Vec<&String>) = scope
            .unwrap_or_default()
            .iter()
            .partition(|e| e.ends_with('*'));
        self.checked.set(names.into_iter().cloned().collect());
        self.patterns
            .set(patterns.into_iter().cloned().collect::<Vec<_>>().join(", "));
    }

    /// What the token is to be limited to: `None` for every environment; else the
    /// checked names and the patterns typed (an empty list when there are neither).
    pub fn scope(self) -> Option<Vec<String>> {
        if !self.only.get_untracked() {
            return None;
        }
        let mut entries = self.checked.get_untracked();
        entries.extend(
            self.patterns
                .get_untracked()
                .split([',', ' '])
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned),
        );
        Some(entries)
    }
}

impl Default for EnvChoice {
    fn default() -> Self {
        Self::new()
    }
}

/// The choice, as the form shows it; the account's environments are loaded once the
/// form is open (`open`).
#[component]
pub fn EnvScopeField(choice: EnvChoice, open: Signal<bool>) -> impl IntoView {
    let i18n = use_i18n();
    let search = RwSignal::new(String::new());
    let names = LocalResource::new(move || {
        let open = open.get();
        async move {
            if open {
                environment_names().await.unwrap_or_default()
            } else {
                Vec::new()
            }
        }
    });
    // Names in the scope first (a token may hold one the list has not loaded yet), then
    // the account's others.
    let all_names = move || {
        let mut all = choice.checked.get();
        if let Some(loaded) = names.get() {
            all.extend(loaded.iter().cloned());
        }
        all.sort();
        all.dedup();
        all
    };
    let toggle = move |name: String, on: bool| {
        choice.checked.update(|c| {
            c.retain(|x| *x != name);
            if on {
                c.push(name);
                c.sort();
            }
        });
    };
    view! {
        <fieldset class="field env-scope">
            <legend>{tr!(i18n, form.environments)}</legend>
            <div class="choice" role="radiogroup" aria-label=tr!(i18n, form.environments)>
                <label class="check">
                    <input type="radio" name="env-scope" prop:checked=move || !choice.only.get()
                        on:change=move |_| choice.only.set(false)/>
                    <span>{tr!(i18n, form.env_all)}</span>
                </label>
                <label class="check">
                    <input type="radio" name="env-scope" prop:checked=move || choice.only.get()
                        on:change=move |_| choice.only.set(true)/>
                    <span>{tr!(i18n, form.env_only)}</span>
                </label>
            </div>
            {move || if !choice.only.get() {
                Either::Left(view! { <small class="muted">{tr!(i18n, form.env_all_hint)}</small> })
            } else {
                Either::Right(view! {
                    <div class="picker envs">
                        <div class="picker-tools">
                            <label class="search">
                                <span class="sr-only">{tr!(i18n, form.search)}</span>
                                <input type="search" placeholder=tr!(i18n, form.search) aria-label=tr!(i18n, form.search)
                                    prop:value=move || search.get()
                                    on:input=move |ev| search.set(event_target_value(&ev))/>
                            </label>
                            <span class="count" aria-live="polite">
                                {move || td_string!(i18n.get(), form.env_count, n = choice.checked.with(Vec::len), total = all_names().len()).to_string()}
                            </span>
                        </div>
                        <div class="picker-list">
                            {move || {
                                // Names are ASCII lower case (domain::environments).
                                let needle = search.with(|s| s.trim().to_ascii_lowercase());
                                let all = all_names();
                                let shown: Vec<String> = all.iter().filter(|n| n.contains(&needle)).cloned().collect();
                                if all.is_empty() {
                                    EitherOf3::A(view! { <p class="muted">{tr!(i18n, form.env_none)}</p> })
                                } else if shown.is_empty() {
                                    EitherOf3::B(view! { <p class="muted">{tr!(i18n, form.env_no_match)}</p> })
                                } else {
                                    EitherOf3::C(shown.into_iter().map(|name| {
                                        let for_check = name.clone();
                                        let for_toggle = name.clone();
                                        view! {
                                            <div class="method">
                                                <label class="check">
                                                    <input type="checkbox"
                                                        prop:checked=move || choice.checked.with(|c| c.contains(&for_check))
                                                        on:change=move |ev| toggle(for_toggle.clone(), event_target_checked(&ev))/>
                                                    <span>{name}</span>
                                                </label>
                                            </div>
                                        }
                                    }).collect_view())
                                }
                            }}
                        </div>
                        <div class="picker-foot">
                            <label>
                                <span>{tr!(i18n, form.env_pattern)}</span>
                                <input
                                    placeholder=tr!(i18n, form.env_pattern_placeholder)
                                    prop:value=move || choice.patterns.get()
                                    on:input=move |ev| choice.patterns.set(event_target_value(&ev))
                                />
                            </label>
                            <small class="muted">{tr!(i18n, form.env_pattern_hint)}</small>
                        </div>
                    </div>
                    <small class="muted">{tr!(i18n, form.env_only_hint)}</small>
                })
            }}
        </fieldset>
    }
}
