//! `/share/<id>#<key>`: what a co-worker opens, without an account. The page shows what
//! the token may do; Show token fetches the ciphertext (which the server deletes as it
//! hands it out) and opens it here with the key from the fragment, which never leaves
//! the browser. Opening the page uses nothing up, so link previews cannot burn it.

use domain::catalogue::ApiSet;
use domain::shares::{Sealed, ShareState, ShareView};
use domain::ResultCode;
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

use crate::api::{load_share_view, open_share};
use crate::crypto::{self, CryptoError};
use crate::error::AppError;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::{use_i18n, LanguageSwitcher};

type I18n = crate::locale::I18n;

/// Why the token could not be shown.
#[derive(Clone, Debug, PartialEq)]
enum Problem {
    Crypto(CryptoError),
    Server(AppError),
}

/// The fragment of the page's address: the key.
fn fragment() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().hash().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[component]
pub fn SharePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let reloads = RwSignal::new(0u32);
    let view = loaded(move || (id(), reloads.get()), |(id, _)| load_share_view(id));
    let value = RwSignal::new(None::<String>);
    let problem = RwSignal::new(None::<Problem>);
    let opening = RwSignal::new(false);
    let copied = RwSignal::new(false);
    // A damaged link says so before it can be used up for nothing.
    Effect::new(move |_| {
        if let Err(e) = crypto::key_from_fragment(&fragment()) {
            problem.set(Some(Problem::Crypto(e)));
        }
    });
    let show = Callback::new(move |_: ()| {
        let key = match crypto::key_from_fragment(&fragment()) {
            Ok(key) => key,
            Err(e) => {
                problem.set(Some(Problem::Crypto(e)));
                return;
            }
        };
        opening.set(true);
        problem.set(None);
        let id = id();
        leptos::task::spawn_local(async move {
            let outcome = async {
                let text = open_share(id).await.map_err(Problem::Server)?;
                let sealed =
                    Sealed::parse(&text).map_err(|_| Problem::Crypto(CryptoError::Failed))?;
                crypto::unseal(sealed.nonce(), sealed.ciphertext(), &key)
                    .await
                    .map_err(Problem::Crypto)
            }
            .await;
            opening.set(false);
            match outcome {
                Ok(v) => value.set(Some(v)),
                Err(p) => {
                    problem.set(Some(p));
                    // The link's state changed (used elsewhere, cancelled): show it.
                    reloads.update(|n| *n += 1);
                }
            }
        });
    });
    let copy = Callback::new(move |_: ()| {
        let Some(v) = value.get_untracked() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let clipboard = window().navigator().clipboard();
            if wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&v))
                .await
                .is_ok()
            {
                copied.set(true);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = v;
    });
    view! {
        <Title text=tr!(i18n, share.page_title)/>
        <Meta name="robots" content="noindex"/>
        <main class="auth">
            <div class="card share-card">
                <div class="brand-large">"Patio"</div>
                <Transition fallback=move || view! { <p class="muted">{tr!(i18n, common.loading)}</p> }>
                    {move || Suspend::new(async move {
                        match view.await {
                            Err(e) if e.code() == Some(ResultCode::NotFound) => {
                                not_found_status();
                                view! {
                                <h1>{tr!(i18n, share.missing_heading)}</h1>
                                <p>{tr!(i18n, share.missing)}</p>
                            }.into_any()
                            }
                            Err(e) => view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }.into_any(),
                            Ok(v) => shared(i18n, v, value, problem, opening, copied, show, copy).into_any(),
                        }
                    })}
                </Transition>
                <LanguageSwitcher/>
            </div>
        </main>
    }
}

/// A link that does not exist answers 404 (the route renders whole before answering).
fn not_found_status() {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

#[allow(clippy::too_many_arguments)]
fn shared(
    i18n: I18n,
    v: ShareView,
    value: RwSignal<Option<String>>,
    problem: RwSignal<Option<Problem>>,
    opening: RwSignal<bool>,
    copied: RwSignal<bool>,
    show: Callback<()>,
    copy: Callback<()>,
) -> impl IntoView {
    let problem_text = move || {
        problem.get().map(|p| match p {
            Problem::Crypto(CryptoError::BadKey) => {
                td_string!(i18n.get(), share.bad_key).to_owned()
            }
            Problem::Crypto(CryptoError::WrongKey) => {
                td_string!(i18n.get(), share.wrong_key).to_owned()
            }
            Problem::Crypto(CryptoError::Insecure) => {
                td_string!(i18n.get(), share.insecure).to_owned()
            }
            Problem::Crypto(CryptoError::Failed) => td_string!(i18n.get(), share.failed).to_owned(),
            Problem::Server(e) => crate::text::error(i18n, &e),
        })
    };
    let problem_view =
        move || problem_text().map(|t| view! { <p class="error" role="alert">{t}</p> });
    let ended = match v.state.clone() {
        ShareState::Waiting => None,
        ShareState::Opened { at, .. } => Some((
            (|i18n: I18n| td_string!(i18n.get(), share.used_heading)) as fn(I18n) -> &'static str,
            format::date_time(at),
            (|i18n: I18n, date: String| td_string!(i18n.get(), share.used, date).to_string())
                as fn(I18n, String) -> String,
        )),
        ShareState::Cancelled { at } => Some((
            (|i18n: I18n| td_string!(i18n.get(), share.cancelled_heading))
                as fn(I18n) -> &'static str,
            format::date_time(at),
            (|i18n: I18n, date: String| td_string!(i18n.get(), share.cancelled, date).to_string())
                as fn(I18n, String) -> String,
        )),
        ShareState::Expired => Some((
            (|i18n: I18n| td_string!(i18n.get(), share.expired_heading))
                as fn(I18n) -> &'static str,
            format::date_time(v.link_expires_at),
            (|i18n: I18n, date: String| td_string!(i18n.get(), share.expired, date).to_string())
                as fn(I18n, String) -> String,
        )),
    };
    let owner = v.owner.clone();
    move || {
        if let Some(token) = value.get() {
            return view! {
                <h1>{tr!(i18n, share.heading)}</h1>
                <div class="stack reveal">
                    <label>
                        <span>{tr!(i18n, share.value)}</span>
                        <input class="token-value" readonly value=token/>
                    </label>
                    <div class="dialog-actions">
                        <button type="button" class="button primary" on:click=move |_| copy.run(())>
                            {move || if copied.get() { td_string!(i18n.get(), share.copied) } else { td_string!(i18n.get(), share.copy) }}
                        </button>
                    </div>
                    <p class="muted" role="status">{tr!(i18n, share.shown_note)}</p>
                </div>
            }
            .into_any();
        }
        match ended.clone() {
            Some((heading, date, text)) => view! {
                <h1>{move || heading(i18n)}</h1>
                <p>{move || text(i18n, date.clone())}</p>
                {problem_view}
            }
            .into_any(),
            None => {
                let owner = owner.clone();
                view! {
                    <h1>{tr!(i18n, share.heading)}</h1>
                    <p>{move || td_string!(i18n.get(), share.intro, owner = owner.clone()).to_string()}</p>
                    {facts(i18n, &v)}
                    <p class="muted">{tr!(i18n, share.show_note)}</p>
                    {problem_view}
                    <button type="button" class="button primary"
                        disabled=move || opening.get() || matches!(problem.get(), Some(Problem::Crypto(CryptoError::BadKey)))
                        on:click=move |_| show.run(())>
                        {move || if opening.get() { td_string!(i18n.get(), share.opening) } else { td_string!(i18n.get(), share.show) }}
                    </button>
                }
                .into_any()
            }
        }
    }
}

/// What the token may do: its set (and methods), expiry, networks, the link's end.
fn facts(i18n: I18n, v: &ShareView) -> AnyView {
    let methods = v.grant.methods();
    let n = methods.len();
    let set = v.grant.set;
    let list = view! {
        <ul class="method-list">
            {methods.into_iter().map(|m| view! { <li><code>{m}</code></li> }).collect_view()}
        </ul>
    };
    let api = if set == ApiSet::Custom {
        view! { <span>{set.name()}</span> {list} }.into_any()
    } else {
        view! {
            <details>
                <summary>{set.name()} " · " {move || td_string!(i18n.get(), share.methods_n, n).to_string()}</summary>
                {list}
            </details>
        }
        .into_any()
    };
    let expires = v.token_expires_at.map(format::date_time);
    let networks = v.allowlist.entries().join(", ");
    let scope = v.env_names.clone();
    let until = format::date_time(v.link_expires_at);
    view! {
        <dl class="facts share-facts">
            <dt>{tr!(i18n, share.description)}</dt>
            <dd class="strong">{v.description.clone()}</dd>
            <dt>{tr!(i18n, share.api)}</dt>
            <dd>{api}</dd>
            <dt>{tr!(i18n, share.environments)}</dt>
            <dd>{move || match &scope {
                None => td_string!(i18n.get(), share.every_environment).to_owned(),
                scope => crate::text::scope_text(i18n, scope),
            }}</dd>
            <dt>{tr!(i18n, share.token_expires)}</dt>
            <dd>{match expires {
                Some(e) => e.into_any(),
                None => (tr!(i18n, share.never)).into_any(),
            }}</dd>
            <dt>{tr!(i18n, share.networks)}</dt>
            <dd>{if networks.is_empty() {
                (tr!(i18n, share.anywhere)).into_any()
            } else {
                networks.into_any()
            }}</dd>
            <dt>{tr!(i18n, share.link_until)}</dt>
            <dd>{until}</dd>
        </dl>
    }
    .into_any()
}
