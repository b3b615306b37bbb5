use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::tr;
use crate::locale::use_i18n;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <Title text=tr!(i18n, not_found.title)/>
        <main class="auth">
            <div class="card">
                <h1>{tr!(i18n, not_found.heading)}</h1>
                <p>{tr!(i18n, not_found.text)}</p>
                <a class="button primary" href="/">{tr!(i18n, not_found.home)}</a>
            </div>
        </main>
    }
}
