//! A modal dialog on the native `<dialog>` element: the browser traps focus inside,
//! closes it on Escape and gives focus back to where it was.

use leptos::html;
use leptos::prelude::*;

use crate::components::built::Built;

/// The content exists only while the dialog is open, so the server, which renders every
/// dialog closed, never renders it: it is `Built`, with no code for hydrating it.
#[component]
pub fn Dialog<C>(
    open: RwSignal<bool>,
    #[prop(into)] title: Signal<String>,
    children: TypedChildrenFn<C>,
) -> impl IntoView
where
    C: IntoView + 'static,
{
    let children = children.into_inner();
    let node = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let want = open.get();
        if let Some(dialog) = node.get() {
            if want && !dialog.open() {
                // A dialog loaded on first use may open before its part of the page is in
                // the document, where it cannot be shown: then it opens on the next frame.
                if dialog.is_connected() {
                    let _ = dialog.show_modal();
                } else {
                    request_animation_frame(move || {
                        if open.get_untracked() && !dialog.open() {
                            let _ = dialog.show_modal();
                        }
                    });
                }
            } else if !want && dialog.open() {
                dialog.close();
            }
        }
    });
    let heading = move || title.get();
    let i18n = crate::locale::use_i18n();
    view! {
        <dialog node_ref=node class="dialog" aria-label=heading on:close=move |_| open.set(false)>
            <div class="dialog-head">
                <h2>{heading}</h2>
                <button type="button" class="icon" aria-label=move || crate::i18n::td_string!(i18n.get(), common.close) on:click=move |_| open.set(false)>"×"</button>
            </div>
            // Nothing of the content stays in the page while the dialog is closed.
            {move || open.get().then(|| {
                let content = children.clone();
                Built::new(move || content())
            })}
        </dialog>
    }
}
