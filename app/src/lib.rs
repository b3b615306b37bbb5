//! Patio's dashboard: routes, pages and the server functions they call.

pub mod api;
pub mod components;
pub mod crypto;
pub mod error;
pub mod format;
pub mod locale;
pub mod pages;
pub mod text;

pub mod i18n;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod mail;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;
use leptos_router::SsrMode;

use pages::{
    access_tokens::AccessTokensPage,
    docs::{ApiDocsPage, MethodDocsPage},
    home::HomePage,
    not_found::NotFound,
    security_log::SecurityLogPage,
    sessions::SessionsPage,
    share::SharePage,
    signin::SignInPage,
    signup::SignUpPage,
    two_factor::TwoFactorPage,
};

/// The stylesheet's address: with hashed files (cargo-leptos' layout, `hash.txt` naming
/// each file's hash) `/pkg/patio.<hash>.css`, else `/pkg/patio.css`.
#[cfg(feature = "ssr")]
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let hash = options
        .hash_files
        .then(|| {
            // Where Leptos looks for it too: beside the binary, unless the path is absolute.
            let dir = std::env::current_exe()
                .ok()
                .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf))
                .unwrap_or_default();
            std::fs::read_to_string(dir.join(options.hash_file.as_ref())).ok()
        })
        .flatten()
        .and_then(|text| {
            text.lines().find_map(|line| {
                line.split_once(':')
                    .filter(|(kind, _)| kind.trim() == "css")
                    .map(|(_, hash)| format!(".{}", hash.trim()))
            })
        })
        .unwrap_or_default();
    format!(
        "/{}/{}{hash}.css",
        options.site_pkg_dir, options.output_name
    )
}

/// The HTML document around the app, rendered on the server.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos_meta::MetaTags;
    view! {
        <!DOCTYPE html>
        // `lang` comes from the page's language (the i18n provider sets it).
        <html>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <link rel="stylesheet" id="patio" href=stylesheet_href(&options)/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <locale::LanguageProvider>
        <Title formatter=|page: String| if page.is_empty() { "Patio".to_string() } else { format!("{page} · Patio") }/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view=HomePage/>
                <Route path=path!("/signin") view=SignInPage/>
                <Route path=path!("/signup") view=SignUpPage/>
                <Route path=path!("/settings") view=|| view! { <Redirect path="/settings/access-tokens"/> }/>
                <Route path=path!("/settings/access-tokens") view=AccessTokensPage/>
                <Route path=path!("/settings/security-log") view=SecurityLogPage/>
                <Route path=path!("/settings/sessions") view=SessionsPage/>
                <Route path=path!("/settings/two-factor") view=TwoFactorPage/>
                <Route path=path!("/share/:id") view=SharePage ssr=SsrMode::Async/>
                <Route path=path!("/docs/api") view=ApiDocsPage/>
                <Route path=path!("/docs/api/:id") view=MethodDocsPage/>
            </Routes>
        </Router>
        </locale::LanguageProvider>
    }
}
