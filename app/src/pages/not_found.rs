use leptos::prelude::*;
use leptos_meta::Title;

use crate::i18n::td_string;
use crate::locale::use_i18n;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    let i18n = use_i18n();
    view! {
        <Title text=move || td_string!(i18n.get(), not_found.title)/>
        <main class="auth">
            <div class="card">
                <h1>{move || td_string!(i18n.get(), not_found.heading)}</h1>
                <p>{move || td_string!(i18n.get(), not_found.text)}</p>
                <a class="button primary" href="/">{move || td_string!(i18n.get(), not_found.home)}</a>
            </div>
        </main>
    }
}
