//! The dashboard's language: English or Bahasa Indonesia. The server renders a page in
//! the language of the switcher's cookie, else `?lang=`, else the best of the browser's
//! `Accept-Language`, else English; the browser then keeps what the server chose (the
//! `<html lang>` attribute), so nothing flashes in another language.
//!
//! The translations are compiled from `locales/` (see `i18n`) and read with `td_string!`;
//! the current language is a signal provided here.

use leptos::prelude::*;
use leptos_meta::Html;

use crate::i18n::{tr, Locale};

/// The page's language, shared by every component.
#[derive(Clone, Copy)]
pub struct I18n(RwSignal<Locale>);

impl I18n {
    /// The current language; inside a view this re-renders the text when it changes.
    pub fn get(self) -> Locale {
        self.0.get()
    }

    pub fn set(self, locale: Locale) {
        self.0.set(locale);
    }
}

pub fn use_i18n() -> I18n {
    use_context::<I18n>().unwrap_or_else(|| I18n(RwSignal::new(Locale::default())))
}

/// Decides the page's language, provides it to `children` and puts it on `<html lang>`.
#[component]
pub fn LanguageProvider(children: Children) -> impl IntoView {
    let lang = RwSignal::new(initial());
    provide_context(I18n(lang));
    view! {
        <Html attr:lang=move || lang.get().as_str()/>
        {children()}
    }
}

/// The language for the Access Tokens page's own wasm, which hydrates the page's island
/// without the dashboard around it: as `LanguageProvider`, from `<html lang>`, and it
/// keeps `<html lang>` and the window's title in the language the switcher picks.
#[cfg(feature = "tokens-page")]
pub fn provide_alone() {
    let lang = RwSignal::new(initial());
    provide_context(I18n(lang));
    Effect::new(move |before: Option<Locale>| {
        let now = lang.get();
        if before.is_some_and(|before| before != now) {
            if let Some(html) = document().document_element() {
                let _ = html.set_attribute("lang", now.as_str());
            }
            document().set_title(&crate::title(crate::i18n::td_string!(
                now,
                settings.access_tokens
            )));
        }
        now
    });
}

/// On the server, from the request; in the browser, the language the server rendered.
fn initial() -> Locale {
    #[cfg(feature = "ssr")]
    {
        from_request().map_or_else(Locale::default, |tags| Locale::find_locale(&tags))
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        document()
            .document_element()
            .map(|html| html.get_attribute("lang").unwrap_or_default())
            .and_then(|lang| lang.parse().ok())
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Locale::default()
    }
}

/// Remembers the switcher's choice for a year.
pub const COOKIE: &str = "patio_lang";

/// The language tags to try, best first: the cookie, then `lang` from the query string,
/// then `Accept-Language` in order of its q-values (ties keep their order).
pub fn preferred(
    cookie_header: Option<&str>,
    query: Option<&str>,
    accept_language: Option<&str>,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(tag) = cookie_header
        .into_iter()
        .flat_map(|h| h.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == COOKIE).then(|| value.trim().to_owned())
        })
    {
        out.push(tag);
    }
    if let Some(tag) = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("lang="))
    {
        out.push(tag.to_owned());
    }
    let mut weighted: Vec<(f32, String)> = accept_language
        .unwrap_or_default()
        .split(',')
        .filter_map(|item| {
            let mut parts = item.split(';');
            let tag = parts.next()?.trim();
            let q = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .map_or(Some(1.0), |q| q.trim().parse::<f32>().ok())?;
            (!tag.is_empty() && tag != "*" && q > 0.0).then(|| (q, tag.to_owned()))
        })
        .collect();
    weighted.sort_by(|a, b| b.0.total_cmp(&a.0));
    out.extend(weighted.into_iter().map(|(_, tag)| tag));
    // Only plain tags: letters, digits and hyphens.
    out.retain(|t| {
        !t.is_empty() && t.len() <= 35 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    out
}

/// The language tags a request prefers, best first (server side only).
#[cfg(feature = "ssr")]
fn from_request() -> Option<Vec<String>> {
    use http::header::{ACCEPT_LANGUAGE, COOKIE as COOKIE_HEADER};
    let parts = use_context::<http::request::Parts>()?;
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &http::HeaderValue| v.to_str().ok())
    };
    let tags = preferred(
        header(COOKIE_HEADER),
        parts.uri.query(),
        header(ACCEPT_LANGUAGE),
    );
    Some(tags)
}

/// The language of the request being served, as the account's language (server side).
#[cfg(feature = "ssr")]
pub fn request_language() -> Option<domain::accounts::Language> {
    let locale = Locale::find_locale(&from_request()?);
    Some(language(locale))
}

/// The domain's name for a dashboard language.
pub fn language(locale: Locale) -> domain::accounts::Language {
    match locale {
        Locale::en => domain::accounts::Language::En,
        Locale::id => domain::accounts::Language::Id,
    }
}

/// The dashboard language an account's emails are written in.
pub fn locale_of(language: domain::accounts::Language) -> Locale {
    match language {
        domain::accounts::Language::En => Locale::en,
        domain::accounts::Language::Id => Locale::id,
    }
}

/// The languages the switcher offers, with their names in their own language.
pub fn name(locale: Locale) -> &'static str {
    match locale {
        Locale::en => "English",
        Locale::id => "Bahasa Indonesia",
    }
}

/// The language switcher: changes the page at once and remembers the choice.
#[component]
pub fn LanguageSwitcher() -> impl IntoView {
    let i18n = use_i18n();
    let change = move |ev: leptos::ev::Event| {
        let Ok(locale) = event_target_value(&ev).parse::<Locale>() else {
            return;
        };
        remember(locale);
        i18n.set(locale);
        // The account's emails follow the dashboard's language.
        leptos::task::spawn_local(async move {
            let _ = crate::api::remember_language(locale.as_str().to_owned()).await;
        });
    };
    view! {
        <label class="language">
            <span class="sr-only">{tr!(i18n, language.label)}</span>
            <select aria-label=tr!(i18n, language.label) on:change=change>
                {Locale::get_all().iter().map(|&l| view! {
                    <option value=l.as_str() selected=move || i18n.get() == l>{name(l)}</option>
                }).collect_view()}
            </select>
        </label>
    }
}

#[cfg(feature = "hydrate")]
fn remember(locale: Locale) {
    use wasm_bindgen::JsCast;
    if let Ok(doc) = document().dyn_into::<web_sys::HtmlDocument>() {
        let _ = doc.set_cookie(&format!(
            "{COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            locale.as_str()
        ));
    }
}

#[cfg(not(feature = "hydrate"))]
fn remember(_: Locale) {}
