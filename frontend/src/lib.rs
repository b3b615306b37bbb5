//! The wasm entry point: hydrates the server-rendered dashboard.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    else {
        return;
    };
    // Pages are loaded on first use (lazy routes), so hydration waits for the page's
    // part of the wasm before it walks the page.
    wasm_bindgen_futures::spawn_local(async move {
        let app = leptos::mount::hydrate_from_async(body.clone(), app::App).await;
        app.forget();
        // Lets a person's tools (and the browser tests) tell the page is interactive.
        let _ = body.set_attribute("data-hydrated", "true");
    });
}
