//! `PostForm`: a form posted to a server function. Without scripts the browser posts it
//! as it is, and the server function answers with a redirect; with them, `read` takes
//! the function's arguments from the form's fields and the action is dispatched, the
//! page staying where it is.
//!
//! Leptos' `ActionForm` does the same by parsing the form as a query string into the
//! arguments, which puts a query-string parser and its maps into the wasm of every page
//! with a form, `/signin` first. Reading the few named fields each form has costs
//! nothing of the kind.

use leptos::ev::SubmitEvent;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos::wasm_bindgen::JsCast;

/// The fields of a submitted form, by name.
pub struct Fields(web_sys::FormData);

impl Fields {
    /// The field's value; empty when the form has no such field.
    pub fn text(&self, name: &str) -> String {
        self.optional(name).unwrap_or_default()
    }

    /// The field's value, or `None` when the form has no such field (a step of the form
    /// not shown).
    pub fn optional(&self, name: &str) -> Option<String> {
        self.0.get(name).as_string()
    }
}

#[component]
pub fn PostForm<S>(
    action: ServerAction<S>,
    /// The server function's arguments from the form's fields.
    read: fn(&Fields) -> S,
    children: Children,
) -> impl IntoView
where
    S: ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let on_submit = move |ev: SubmitEvent| {
        if ev.default_prevented() {
            return;
        }
        let Some(form) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlFormElement>().ok())
        else {
            return;
        };
        // A form the browser cannot read is left to post itself, as without scripts.
        if let Ok(data) = web_sys::FormData::new_with_form(&form) {
            ev.prevent_default();
            action.dispatch(read(&Fields(data)));
        }
    };
    view! {
        <form action=S::url() method="post" on:submit=on_submit>
            {children()}
        </form>
    }
}
