//! The wasm entry point of the Access Tokens page when it is loaded from its address: it
//! hydrates the page's island (`app::pages::access_tokens`), and holds nothing of the
//! other pages or the router. The server serves it in place of the dashboard's wasm
//! (`frontend`) on that page alone; from there on, every link loads a page anew.

use wasm_bindgen::JsCast;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    // A server function that answers with a redirect (Sign out) loads that page; on the
    // other pages the router does this.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        if let Some(window) = web_sys::window() {
            let _ = window.location().set_href(to);
        }
    });
    // The reactive system's root, as Leptos' islands mode makes it.
    leptos::mount::hydrate_islands();
    let selector = format!(
        "leptos-island[data-component=\"{}\"]",
        app::pages::access_tokens::ISLAND
    );
    if let Some(island) = body
        .query_selector(&selector)
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    {
        app::pages::access_tokens::hydrate(&island);
    }
    // Lets a person's tools (and the browser tests) tell the page is interactive.
    let _ = body.set_attribute("data-hydrated", "true");
}
