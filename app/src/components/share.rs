//! Share links on the owner's side: making one from the one-time reveal (the value is
//! sealed in this browser, only the ciphertext is sent) and the state of the token's
//! latest link on its detail panel, with Cancel.

use chrono::{DateTime, Utc};
use domain::shares::{self, ShareLifetime, ShareState, ShareStatus};
use leptos::either::EitherOf3;
use leptos::prelude::*;

use crate::api::{create_share, load_share_status, CancelShare};
use crate::components::topbar::ErrorNote;
use crate::crypto::{self, CryptoError};
use crate::error::AppError;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::loaded::loaded;
use crate::locale::use_i18n;

type I18n = crate::locale::I18n;

fn lifetime_label(i18n: I18n, lifetime: ShareLifetime) -> &'static str {
    match lifetime {
        ShareLifetime::Hour => td_string!(i18n.get(), reveal.lifetime_1h),
        ShareLifetime::Day => td_string!(i18n.get(), reveal.lifetime_1d),
        ShareLifetime::Week => td_string!(i18n.get(), reveal.lifetime_7d),
    }
}

/// Why a link was not made.
#[derive(Clone, Debug, PartialEq)]
enum Problem {
    Crypto(CryptoError),
    Server(AppError),
}

/// The part of the reveal that makes a share link of `value`, shown once `open`.
#[component]
pub fn ShareLinkMaker(
    token_id: i64,
    value: String,
    open: RwSignal<bool>,
    /// Told when a link was made, so the token's panel shows it.
    #[prop(optional)]
    on_shared: Option<Callback<()>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let value = StoredValue::new(value);
    let lifetime = RwSignal::new(ShareLifetime::Day);
    let working = RwSignal::new(false);
    let link = RwSignal::new(None::<(String, DateTime<Utc>)>);
    let problem = RwSignal::new(None::<Problem>);
    let copied = RwSignal::new(false);
    let create = move |_| {
        if working.get_untracked() {
            return;
        }
        working.set(true);
        problem.set(None);
        leptos::task::spawn_local(async move {
            let outcome = async {
                let (sealed, key) = crypto::seal(&value.get_value())
                    .await
                    .map_err(Problem::Crypto)?;
                let made = create_share(
                    token_id,
                    shares::encode(&sealed),
                    lifetime.get_untracked().key().to_owned(),
                )
                .await
                .map_err(Problem::Server)?;
                // The key goes only into the fragment, which the browser never sends.
                let origin = window().location().origin().unwrap_or_default();
                Ok::<_, Problem>((
                    format!(
                        "{origin}{}#{}",
                        shares::share_path(&made.id),
                        shares::encode(&key)
                    ),
                    made.expires_at,
                ))
            }
            .await;
            working.set(false);
            match outcome {
                Ok(made) => {
                    link.set(Some(made));
                    if let Some(told) = on_shared {
                        told.run(());
                    }
                }
                Err(p) => problem.set(Some(p)),
            }
        });
    };
    let copy = move |_| {
        let Some((url, _)) = link.get_untracked() else {
            return;
        };
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            let clipboard = window().navigator().clipboard();
            if wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&url))
                .await
                .is_ok()
            {
                copied.set(true);
            }
        });
        #[cfg(not(feature = "hydrate"))]
        let _ = url;
    };
    let problem_text = move || {
        problem.get().map(|p| match p {
            Problem::Crypto(CryptoError::Insecure) => {
                td_string!(i18n.get(), reveal.share_insecure).to_owned()
            }
            Problem::Crypto(_) => td_string!(i18n.get(), reveal.share_failed).to_owned(),
            Problem::Server(e) => crate::text::error(i18n, &e),
        })
    };
    move || {
        if let Some((url, until)) = link.get() {
            let date = format::date_time(until);
            EitherOf3::A(view! {
                <div class="stack share-box">
                    <label>
                        <span>{tr!(i18n, reveal.share_link)}</span>
                        <input class="token-value" readonly value=url/>
                    </label>
                    <div class="dialog-actions">
                        <button type="button" class="button primary" on:click=copy>
                            {move || if copied.get() { td_string!(i18n.get(), reveal.share_copied) } else { td_string!(i18n.get(), reveal.share_copy) }}
                        </button>
                    </div>
                    <p class="muted" role="status">{move || td_string!(i18n.get(), reveal.share_ready, date = date.clone()).to_string()}</p>
                </div>
            })
        } else if open.get() {
            EitherOf3::B(view! {
                <div class="stack share-box">
                    <p class="muted">{tr!(i18n, reveal.share_intro)}</p>
                    <div class="share-make">
                        <label class="inline-label" for="share-lifetime">
                            <span>{tr!(i18n, reveal.share_lifetime)}</span>
                            <select id="share-lifetime" on:change=move |ev| {
                                if let Ok(l) = ShareLifetime::parse(&event_target_value(&ev)) {
                                    lifetime.set(l);
                                }
                            }>
                                {ShareLifetime::ALL.map(|l| view! {
                                    <option value=l.key() selected=move || lifetime.get() == l>{move || lifetime_label(i18n, l)}</option>
                                })}
                            </select>
                        </label>
                        <button type="button" class="button primary" disabled=move || working.get() on:click=create>
                            {move || if working.get() { td_string!(i18n.get(), reveal.share_working) } else { td_string!(i18n.get(), reveal.share_create) }}
                        </button>
                    </div>
                    {move || problem_text().map(|t| view! { <p class="error" role="alert">{t}</p> })}
                </div>
            })
        } else {
            EitherOf3::C(())
        }
    }
}

/// The token's latest share link on its detail panel: waiting (with Cancel), opened
/// (when, from where), cancelled or expired.
#[component]
pub fn SharePanel(token_id: i64, refresh: Signal<u64>) -> impl IntoView {
    let i18n = use_i18n();
    let cancel = ServerAction::<CancelShare>::new();
    let status = loaded(
        move || (token_id, refresh.get(), cancel.version().get()),
        |(id, _, _)| load_share_status(id),
    );
    let error = Signal::derive(move || cancel.value().get().and_then(Result::err));
    view! {
        <div class="share-status">
            <h3>{tr!(i18n, shares.heading)}</h3>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match status.await {
                        Err(e) => EitherOf3::A(view! { <p class="error" role="alert">{crate::text::error(i18n, &e)}</p> }),
                        Ok(None) => EitherOf3::B(view! { <p class="muted">{tr!(i18n, shares.none)}</p> }),
                        Ok(Some(s)) => EitherOf3::C(status_view(i18n, token_id, s, cancel)),
                    }
                })}
            </Transition>
            <ErrorNote error=error/>
        </div>
    }
}

fn status_view(
    i18n: I18n,
    token_id: i64,
    s: ShareStatus,
    cancel: ServerAction<CancelShare>,
) -> impl IntoView {
    let waiting = s.state == ShareState::Waiting;
    let (badge, text): (&'static str, Box<dyn Fn() -> String + Send + Sync>) = match s.state {
        ShareState::Waiting => {
            let date = format::date_time(s.expires_at);
            (
                "soon",
                Box::new(move || {
                    td_string!(i18n.get(), shares.waiting, date = date.clone()).to_string()
                }),
            )
        }
        ShareState::Opened { at, ip } => {
            let date = format::date_time(at);
            (
                "opened",
                Box::new(move || match &ip {
                    Some(ip) => {
                        td_string!(i18n.get(), shares.opened, date = date.clone(), ip).to_string()
                    }
                    None => td_string!(i18n.get(), shares.opened_unknown, date = date.clone())
                        .to_string(),
                }),
            )
        }
        ShareState::Cancelled { at } => {
            let date = format::date_time(at);
            (
                "muted",
                Box::new(move || {
                    td_string!(i18n.get(), shares.cancelled, date = date.clone()).to_string()
                }),
            )
        }
        ShareState::Expired => {
            let date = format::date_time(s.expires_at);
            (
                "expired",
                Box::new(move || {
                    td_string!(i18n.get(), shares.expired, date = date.clone()).to_string()
                }),
            )
        }
    };
    view! {
        <p class="share-state">
            <span class=format!("dot {badge}") aria-hidden="true"></span>
            <span>{text}</span>
            {waiting.then(|| view! {
                " "
                <button type="button" class="button small" disabled=move || cancel.pending().get()
                    on:click=move |_| { cancel.dispatch(CancelShare { token_id }); }>
                    {tr!(i18n, shares.cancel)}
                </button>
            })}
        </p>
    }
}
