//! The wasm entry point of the Access Tokens page when it is loaded from its address: it
//! hydrates the page's island (`app::pages::access_tokens`), and holds nothing of the
//! other pages or the router. The server serves it in place of the dashboard's wasm
//! (`frontend`) on that page alone; from there on, every link loads a page anew.

use leptos::prelude::document;
use wasm_bindgen::JsCast;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // A server function that answers with a redirect (Sign out) loads that page; on the
    // other pages the router does this.
    let _ = leptos::server_fn::redirect::set_redirect_hook(|to: &str| {
        let _ = document().location().map(|location| location.set_href(to));
    });
    // The reactive system's root, as Leptos' islands mode makes it.
    leptos::mount::hydrate_islands();
    let island = format!(
        "leptos-island[data-component=\"{}\"]",
        app::pages::access_tokens::ISLAND
    );
    if let Some(island) = document()
        .query_selector(&island)
        .ok()
        .flatten()
        .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
    {
        app::pages::access_tokens::hydrate(&island);
    }
    // Interactive now, as the dashboard's pages say once hydrated (`frontend`).
    if let Some(body) = document().body() {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
