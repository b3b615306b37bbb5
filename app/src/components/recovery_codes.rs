//! The one-time showing of recovery codes, with Download and Copy like a token.

use domain::accounts::RecoveryCodes;
use leptos::prelude::*;

use crate::components::dialog::Dialog;
use crate::components::reveal::copy_text;
use crate::format;
use crate::i18n::{td_string, tr};
use crate::locale::use_i18n;

#[component]
pub fn RecoveryCodesDialog(codes: RwSignal<Option<RecoveryCodes>>) -> impl IntoView {
    let open = RwSignal::new(false);
    let copied = RwSignal::new(false);
    let i18n = use_i18n();
    Effect::new(move |_| {
        let want = codes.with(Option::is_some);
        if open.get_untracked() != want {
            open.set(want);
        }
    });
    // Closing forgets the codes: nothing of them stays in the page.
    Effect::new(move |_| {
        if !open.get() && codes.with_untracked(Option::is_some) {
            codes.set(None);
            copied.set(false);
        }
    });
    let text = move || {
        codes.with(|c| {
            c.as_ref().map(|c| {
                c.0.iter()
                    .map(|code| format!("{code}\n"))
                    .collect::<String>()
            })
        })
    };
    view! {
        <Dialog open=open title=Signal::derive(move || td_string!(i18n.get(), two_factor.codes_title).to_string())>
            {move || text().map(|all| {
                let href = format::data_url("text/plain", &all);
                let list = codes.with_untracked(|c| c.as_ref().map(|c| c.0.clone()).unwrap_or_default());
                view! {
                    <div class="stack reveal">
                        <p class="warning" role="note">{tr!(i18n, two_factor.codes_warning)}</p>
                        <ul class="recovery-codes" aria-label=tr!(i18n, two_factor.codes_label)>
                            {list.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                        </ul>
                        <div class="dialog-actions">
                            <a class="button" href=href download="patio-recovery-codes.txt">{tr!(i18n, reveal.download)}</a>
                            <button type="button" class="button primary" on:click=move |_| copy_text(all.clone(), copied)>
                                {move || if copied.get() { td_string!(i18n.get(), reveal.copied) } else { td_string!(i18n.get(), reveal.copy) }}
                            </button>
                        </div>
                        <p class="muted" aria-live="polite">{move || copied.get().then(|| td_string!(i18n.get(), reveal.copied_note))}</p>
                        <div class="dialog-actions">
                            <button type="button" class="button" on:click=move |_| open.set(false)>{tr!(i18n, reveal.done)}</button>
                        </div>
                    </div>
                }
            })}
        </Dialog>
    }
}
