//! The one-time reveal of a new token value, with Download, Copy and Share link.

use domain::tokens::RevealedToken;
use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::share::ShareLinkMaker;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::locale::use_i18n;

/// A file name from the token's description: letters, digits and dashes.
pub fn download_name(description: &str) -> String {
    let mut name: String = description
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let name = name.trim_matches('-');
    if name.is_empty() {
        "patio-token.txt".into()
    } else {
        format!("{}.txt", name.chars().take(60).collect::<String>())
    }
}

/// Puts `text` on the clipboard and sets `copied` once it is there.
pub fn copy_text(text: String, copied: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let clipboard = window().navigator().clipboard();
        if wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text))
            .await
            .is_ok()
        {
            copied.set(true);
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, copied);
}

#[component]
pub fn RevealDialog(
    revealed: RwSignal<Option<RevealedToken>>,
    /// Told when a share link of the value was made.
    #[prop(optional)]
    on_shared: Option<Callback<()>>,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let sharing = RwSignal::new(false);
    let i18n = use_i18n();
    Effect::new(move |_| {
        let want = revealed.with(Option::is_some);
        if open.get_untracked() != want {
            open.set(want);
        }
    });
    // Closing forgets the value: nothing of it stays in the page.
    Effect::new(move |_| {
        if !open.get() && revealed.with_untracked(Option::is_some) {
            revealed.set(None);
            copied.set(false);
            sharing.set(false);
        }
    });
    let copy = move |_| {
        if let Some(key) =
            revealed.with_untracked(|r| r.as_ref().map(|r| r.key.expose().to_owned()))
        {
            copy_text(key, copied);
        }
    };
    view! {
        <Dialog open=open title=Signal::derive(move || td_string!(i18n.get(), reveal.title).to_string())>
            {move || revealed.get().map(|r| {
                let file = download_name(&r.token.description);
                let href = format::data_url("text/plain", r.key.expose());
                view! {
                    <div class="stack reveal">
                        <p class="warning" role="note">
                            {tr!(i18n, reveal.warning)}
                        </p>
                        <p class="muted">{r.token.description.clone()}</p>
                        {
                            let scope = r.token.env_names.clone();
                            view! { <p class="muted scope-line">{move || td_string!(i18n.get(), reveal.environments, scope = crate::text::scope_text(i18n, &scope)).to_string()}</p> }
                        }
                        <input class="token-value" readonly aria-label=tr!(i18n, reveal.value) value=r.key.expose().to_owned()
                            on:focus=move |ev| {
                                #[cfg(feature = "hydrate")]
                                {
                                    use wasm_bindgen::JsCast;
                                    if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                                        input.select();
                                    }
                                }
                                #[cfg(not(feature = "hydrate"))]
                                let _ = ev;
                            }/>
                        <div class="dialog-actions">
                            <a class="button" href=href download=file>{tr!(i18n, reveal.download)}</a>
                            <button type="button" class="button primary" on:click=copy>
                                {move || if copied.get() { td_string!(i18n.get(), reveal.copied) } else { td_string!(i18n.get(), reveal.copy) }}
                            </button>
                            <button type="button" class="button" aria-expanded=move || if sharing.get() { "true" } else { "false" }
                                on:click=move |_| sharing.update(|s| *s = !*s)>
                                {tr!(i18n, reveal.share)}
                            </button>
                        </div>
                        <p class="muted" aria-live="polite">{move || copied.get().then(|| td_string!(i18n.get(), reveal.copied_note))}</p>
                        <ShareLinkMaker token_id=r.token.id value=r.key.expose().to_owned() open=sharing on_shared=on_shared.unwrap_or_else(|| Callback::new(|_| ()))/>
                        <div class="dialog-actions">
                            <button type="button" class="button" on:click=move |_| open.set(false)>{tr!(i18n, reveal.done)}</button>
                        </div>
                    </div>
                }
            })}
        </Dialog>
    }
}
