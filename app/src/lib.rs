//! Patio's dashboard: routes, pages and the server functions they call.

// A page's view is one nested type; the hydrated ones with a dialog in them are deeper
// than the compiler's default limit of 128 when it lays out their futures.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod crypto;
pub mod error;
pub mod format;
pub mod loaded;
pub mod locale;
pub mod pages;
pub mod text;
pub mod webauthn;

pub mod i18n;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod mail;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::path;
use leptos_router::{Lazy, SsrMode};

use pages::{
    access_tokens::AccessTokensPage,
    account::AccountPage,
    docs::{ApiDocsPage, MethodDocsPage},
    home::HomePage,
    not_found::NotFound,
    passkeys::PasskeysPage,
    recovery::{ConfirmEmailPage, ForgotPage, ResetPage, VerifyPage},
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
    let hash = hash_file(options)
        .and_then(|text| hash_of(&text, "css").map(|hash| format!(".{hash}")))
        .unwrap_or_default();
    format!(
        "/{}/{}{hash}.css",
        options.site_pkg_dir, options.output_name
    )
}

/// The text of the site's `hash.txt`, when the site's files are named by their content.
#[cfg(feature = "ssr")]
fn hash_file(options: &LeptosOptions) -> Option<String> {
    if !options.hash_files {
        return None;
    }
    // Where Leptos looks for it too: beside the binary, unless the path is absolute.
    let dir = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(std::path::Path::to_path_buf))
        .unwrap_or_default();
    std::fs::read_to_string(dir.join(options.hash_file.as_ref())).ok()
}

/// The hash `hash.txt`'s text gives the file of `kind` (`css`, `tokens-js`…).
#[cfg(feature = "ssr")]
fn hash_of<'a>(text: &'a str, kind: &str) -> Option<&'a str> {
    text.lines().find_map(|line| {
        line.split_once(':')
            .filter(|(name, _)| name.trim() == kind)
            .map(|(_, hash)| hash.trim())
    })
}

/// The Access Tokens page, loaded from its address, hydrates with a wasm of its own
/// (`frontend-tokens`): the page's island (`pages::access_tokens`) and nothing of the
/// other pages, the router or the code splitting, so a first visit fetches less.
#[cfg(feature = "ssr")]
mod alone {
    use leptos::prelude::*;

    /// The page's address.
    const PATH: &str = "/settings/access-tokens";

    /// Whether the request being rendered is for the page: its path exactly, as the router
    /// matches it (with a trailing slash the router shows Not Found, which the dashboard's
    /// wasm hydrates).
    pub fn requested() -> bool {
        use_context::<http::request::Parts>().is_some_and(|parts| parts.uri.path() == PATH)
    }

    /// The page's scripts, in place of `HydrationScripts`: its wasm, fetched at once, then
    /// hydrating the island.
    #[component]
    pub fn Scripts(options: LeptosOptions) -> impl IntoView {
        // As in Leptos' islands mode: only the island's data is numbered for the browser,
        // so its resources find theirs in the order the island makes them.
        if let Some(context) = Owner::current_shared_context() {
            context.set_is_hydrating(false);
        }
        let name = "patio_tokens";
        let pkg = &options.site_pkg_dir;
        let hashes = super::hash_file(&options).unwrap_or_default();
        let (js, wasm) = match (
            super::hash_of(&hashes, "tokens-js"),
            super::hash_of(&hashes, "tokens-wasm"),
        ) {
            (Some(js), Some(wasm)) => (
                format!("/{pkg}/{name}.{js}.js"),
                format!("/{pkg}/{name}.{wasm}.wasm"),
            ),
            _ => (
                format!("/{pkg}/{name}.js"),
                format!("/{pkg}/{name}_bg.wasm"),
            ),
        };
        let start = format!(
            "import init, {{ hydrate }} from {js:?}; init({{ module_or_path: {wasm:?} }}).then(hydrate);"
        );
        view! {
            <link rel="modulepreload" href=js crossorigin="anonymous"/>
            <link rel="preload" href=wasm r#as="fetch" r#type="application/wasm" crossorigin="anonymous"/>
            <script type="module" nonce=leptos::nonce::use_nonce()>{start}</script>
        }
    }
}

/// The HTML document around the app, rendered on the server.
#[cfg(feature = "ssr")]
pub fn shell(options: LeptosOptions) -> impl IntoView {
    use leptos::either::Either;
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
                {if alone::requested() {
                    Either::Left(view! { <alone::Scripts options/> })
                } else {
                    Either::Right(view! { <HydrationScripts options/> })
                }}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// A route whose page is split off the browser's main wasm into `$part` and loaded on
/// first use (scripts/build splits the wasm at these points, tools/wasm-split). The server
/// names the part of a page it renders in preload links, so the browser fetches it
/// alongside the main wasm, and the router loads it before it hydrates the page.
macro_rules! lazy_page {
    ($route:ident, $page:ident, $view:ident, $part:ident) => {
        #[derive(Debug)]
        struct $route;

        mod $view {
            use super::*;

            #[cfg(not(feature = "tokens-page"))]
            #[leptos::wasm_split::wasm_split($part, wasm_split_path = ::leptos::wasm_split, preload(load), fallible)]
            pub fn $view() -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
                Ok(view! { <$page/> }.into_any())
            }

            // The Access Tokens page's own wasm holds no routes: nothing calls these.
            #[cfg(feature = "tokens-page")]
            pub async fn $view() -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
                Ok(view! { <$page/> }.into_any())
            }

            #[cfg(feature = "tokens-page")]
            pub async fn load() -> Result<(), leptos::wasm_split::SplitLoaderError> {
                Ok(())
            }
        }

        impl leptos_router::LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            async fn view(_this: Self) -> AnyView {
                #[cfg(feature = "ssr")]
                leptos::prefetch_lazy_fn_on_server(stringify!($part));
                // A part that cannot be fetched (the network dropped) leaves a note and a
                // way to try again, rather than stopping the whole dashboard.
                $view::$view().await.unwrap_or_else(|_| view! { <PageFailed/> }.into_any())
            }

            // The router loads the part before it hydrates or shows the page; a failure
            // shows when `view` tries again.
            async fn preload() {
                let _ = $view::load().await;
            }
        }
    };
}

// The parts: signing in and up; the dashboard; Access Tokens (its dialogs but the token
// form are a part of their own, `token_tools`); the pages a mailed link or a forgotten
// password leads to (`recovery`, rarely needed, kept off the sign-in page's weight); and
// the rest, which people reach from those. Fewer parts share code in fewer, larger
// files: fewer requests, better compression.
lazy_page!(SignInRoute, SignInPage, sign_in_view, account);
lazy_page!(SignUpRoute, SignUpPage, sign_up_view, account);
lazy_page!(ForgotRoute, ForgotPage, forgot_view, recovery);
lazy_page!(ResetRoute, ResetPage, reset_view, recovery);
lazy_page!(VerifyRoute, VerifyPage, verify_view, recovery);
lazy_page!(
    ConfirmEmailRoute,
    ConfirmEmailPage,
    confirm_email_view,
    recovery
);
lazy_page!(HomeRoute, HomePage, home_view, home);
lazy_page!(
    AccessTokensRoute,
    AccessTokensPage,
    access_tokens_view,
    tokens
);
lazy_page!(
    SecurityLogRoute,
    SecurityLogPage,
    security_log_view,
    other_pages
);
lazy_page!(SessionsRoute, SessionsPage, sessions_view, other_pages);
lazy_page!(AccountRoute, AccountPage, account_view, other_pages);
lazy_page!(PasskeysRoute, PasskeysPage, passkeys_view, other_pages);
lazy_page!(TwoFactorRoute, TwoFactorPage, two_factor_view, other_pages);
lazy_page!(ShareRoute, SharePage, share_view, other_pages);
lazy_page!(ApiDocsRoute, ApiDocsPage, api_docs_view, other_pages);
lazy_page!(
    MethodDocsRoute,
    MethodDocsPage,
    method_docs_view,
    other_pages
);

/// A page whose part of the wasm could not be fetched: Try again loads the page anew.
#[component]
fn PageFailed() -> impl IntoView {
    let retry = Callback::new(|_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.location().reload();
        }
    });
    view! {
        <main class="page">
            <components::later::PartFailed retry whole_page=true/>
        </main>
    }
}

/// The window's title for a page called `page`.
pub fn title(page: &str) -> String {
    if page.is_empty() {
        "Patio".to_string()
    } else {
        format!("{page} · Patio")
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <locale::LanguageProvider>
        <Title formatter=|page: String| title(&page)/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/") view={Lazy::<HomeRoute>::new()}/>
                <Route path=path!("/signin") view={Lazy::<SignInRoute>::new()}/>
                <Route path=path!("/signup") view={Lazy::<SignUpRoute>::new()}/>
                <Route path=path!("/forgot") view={Lazy::<ForgotRoute>::new()}/>
                <Route path=path!("/reset/:secret") view={Lazy::<ResetRoute>::new()}/>
                <Route path=path!("/verify/:secret") view={Lazy::<VerifyRoute>::new()}/>
                <Route path=path!("/confirm-email/:secret") view={Lazy::<ConfirmEmailRoute>::new()}/>
                <Route path=path!("/settings") view=|| view! { <Redirect path="/settings/access-tokens"/> }/>
                <Route path=path!("/settings/access-tokens") view={Lazy::<AccessTokensRoute>::new()}/>
                <Route path=path!("/settings/security-log") view={Lazy::<SecurityLogRoute>::new()}/>
                <Route path=path!("/settings/sessions") view={Lazy::<SessionsRoute>::new()}/>
                <Route path=path!("/settings/two-factor") view={Lazy::<TwoFactorRoute>::new()}/>
                <Route path=path!("/settings/passkeys") view={Lazy::<PasskeysRoute>::new()}/>
                <Route path=path!("/settings/account") view={Lazy::<AccountRoute>::new()}/>
                <Route path=path!("/share/:id") view={Lazy::<ShareRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/docs/api") view={Lazy::<ApiDocsRoute>::new()}/>
                <Route path=path!("/docs/api/:id") view={Lazy::<MethodDocsRoute>::new()}/>
            </Routes>
        </Router>
        </locale::LanguageProvider>
    }
}
