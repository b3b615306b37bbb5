//! Settings → Access Tokens: the token table with its toolbar (Generate, Edit, Copy,
//! Remove, Refresh), the token form, the password step and the one-time reveal.
//!
//! `state` holds what the parts share (the list, the selection, the change waiting for
//! the password and the answers to the changes sent), provided once here and read by each
//! part from context; `sending` sends the changes, from the password step; the dialogs
//! one part opens and another shows are passed as props.
//!
//! Loaded from its address, the page below its title is an island that a wasm of its own
//! hydrates (`island`, `frontend-tokens`); reached from another page, the dashboard's
//! wasm shows it, its tools a part fetched when first wanted (`tools`).

mod dialogs;
mod pending;
pub mod selection;
mod sending;
mod state;
mod table;
mod toolbar;
mod tools;

use chrono::Utc;
use domain::tokens::TokenSummary;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::action::StatusNote;
use crate::components::later::Later;
use crate::components::settings_tabs::SettingsTabs;
use crate::components::token_form::{FormValues, TokenFormDialog};
use crate::components::token_usage::TightenChoice;
use crate::components::topbar::{ErrorNote, TopBar};
use crate::i18n::tr;
use crate::loaded::loaded;
use crate::locale::use_i18n;
use pending::Pending;
use state::provide_tokens_page;
use table::TokenTable;
use toolbar::Toolbar;

#[component]
pub fn AccessTokensPage() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Title text=tr!(i18n, settings.access_tokens)/>
        {island()}
    }
}

/// The `data-component` of the page's island.
pub const ISLAND: &str = "patio-tokens";

/// The page below its title, as an island: the server renders it inside a
/// `<leptos-island>` element with its data numbered apart from the rest of the page, and
/// a first visit hydrates it alone, with a wasm of its own (`frontend-tokens`) that holds
/// nothing of the other pages or the router. Reached from another page, the dashboard's
/// wasm shows it like any page.
#[cfg(any(feature = "ssr", feature = "tokens-page"))]
fn island() -> impl IntoView {
    use leptos::reactive::owner::Owner;
    use leptos::tachys::html::islands::Island;
    use leptos::tachys::reactive_graph::OwnedView;
    Island::new(
        ISLAND,
        Owner::new().with(|| {
            Owner::with_hydration(|| {
                #[cfg(feature = "tokens-page")]
                crate::locale::provide_alone();
                OwnedView::new(view! { <TokensPanel/> })
            })
        }),
    )
}

#[cfg(not(any(feature = "ssr", feature = "tokens-page")))]
fn island() -> impl IntoView {
    view! { <TokensPanel/> }
}

/// Hydrates the page's island, the `<leptos-island>` element `el` (`frontend-tokens`).
#[cfg(feature = "tokens-page")]
pub fn hydrate(el: &web_sys::HtmlElement) {
    use leptos::tachys::view::{Position, RenderHtml};
    let state = island().hydrate_from_position::<true>(el, Position::Current);
    // The page lives as long as the document.
    std::mem::forget(state);
}

#[component]
fn TokensPanel() -> impl IntoView {
    let i18n = use_i18n();
    let page = provide_tokens_page();
    let remove_open = RwSignal::new(false);
    let revoke_open = RwSignal::new(false);
    let renew_open = RwSignal::new(false);
    let renewing = RwSignal::new(None::<TokenSummary>);
    let tighten_open = RwSignal::new(false);
    let tightening = RwSignal::new(None::<TokenSummary>);

    let on_submit = Callback::new(move |values: FormValues| {
        page.form.set(None);
        page.ask_password(Pending::Save(values));
    });
    // An expired token needs a new date to be of any use: ask for one first.
    let on_regenerate = Callback::new(move |t: TokenSummary| {
        page.form.set(None);
        if t.is_expired(Utc::now()) {
            renewing.set(Some(t));
            renew_open.set(true);
        } else {
            page.ask_password(Pending::Regenerate {
                id: t.id,
                description: t.description,
                expires: None,
            });
        }
    });
    let on_tighten = Callback::new(move |t: TokenSummary| {
        tightening.set(Some(t));
        tighten_open.set(true);
    });
    let on_apply = Callback::new(move |(t, methods, environments): TightenChoice| {
        page.ask_password(Pending::Tighten {
            id: t.id,
            description: t.description,
            methods,
            environments,
        });
    });

    view! {
        <TopBar/>
        <main class="page">
            <div class="page-head">
                <h1>{tr!(i18n, settings.title)}</h1>
            </div>
            <SettingsTabs current="access-tokens"/>
            // A pointer or the focus on the table and its toolbar starts fetching the dialogs.
            <section class="panel" on:pointerenter=|_| tools::prefetch() on:focusin=|_| tools::prefetch()>
                <p class="muted intro">
                    {tr!(i18n, tokens.intro)}
                </p>
                <TwoFactorNote/>
                <Toolbar remove_open revoke_open/>
                <StatusNote notice=page.notice/>
                <TokenTable on_regenerate/>
            </section>
            <TokenFormDialog mode=page.form on_submit on_regenerate/>
            // The panel and the other dialogs load with the first of them to open (`tools`).
            <Later when=Signal::derive(move || page.one().is_some())
                part=move || tools::usage_panel(Signal::derive(move || page.one()), page.changes, on_tighten)/>
            <Later when=tighten_open part=move || tools::tighten(tighten_open, tightening, on_apply)/>
            <Later when=remove_open part=move || tools::remove(remove_open)/>
            <Later when=revoke_open part=move || tools::revoke_all(revoke_open)/>
            <Later when=page.password_open part=tools::password_step/>
            <Later when=Signal::derive(move || page.revealed.with(Option::is_some))
                part=move || tools::reveal(page.revealed, Callback::new(move |_| page.reload()))/>
            <Later when=renew_open part=move || tools::renew(renew_open, renewing)/>
            <ErrorNote error=Signal::derive(move || (!page.password_open.get()).then(|| page.error.get()).flatten())/>
        </main>
    }
}

/// Tokens need no second factor: said here on accounts that have one.
#[component]
fn TwoFactorNote() -> impl IntoView {
    let i18n = use_i18n();
    let two_factor = loaded(|| (), |_| crate::api::two_factor());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                two_factor.await.ok().and_then(|s| s.enabled_at).map(|_| view! {
                    <p class="notice" role="note">{tr!(i18n, two_factor.tokens_note)}</p>
                })
            })}
        </Transition>
    }
}
