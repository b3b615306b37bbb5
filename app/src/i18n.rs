//! The dashboard's texts in English and Bahasa Indonesia: `build.rs` compiles
//! `locales/*.json` into `keys` (one function per key, returning the text in a language),
//! and `td_string!(locale, section.key)` reads one, with `{{ variables }}` filled in when
//! given (`td_string!(locale, tokens.in_days, n)`, `…, name = value`).

use std::fmt;
use std::str::FromStr;

/// The languages the dashboard speaks; English is the default.
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    #[default]
    en,
    id,
}

impl Locale {
    const ALL: [Locale; 2] = [Self::en, Self::id];

    pub fn get_all() -> &'static [Locale] {
        &Self::ALL
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::en => "en",
            Self::id => "id",
        }
    }

    /// The first of the language tags (best first) this dashboard speaks, by its primary
    /// language (`id-ID` is Indonesian), else English.
    pub fn find_locale<T: AsRef<str>>(tags: &[T]) -> Self {
        tags.iter()
            .find_map(|tag| tag.as_ref().split(['-', '_']).next()?.parse().ok())
            .unwrap_or_default()
    }
}

impl FromStr for Locale {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        match text.to_ascii_lowercase().as_str() {
            "en" => Ok(Self::en),
            // `in` is Indonesian's code before ISO 639 changed it.
            "id" | "in" => Ok(Self::id),
            _ => Err(()),
        }
    }
}

include!(concat!(env!("OUT_DIR"), "/texts.rs"));

/// A text with `{{ name }}` placeholders, filled in as it is displayed.
pub struct Filled {
    text: &'static str,
    values: Vec<(&'static str, String)>,
}

impl Filled {
    pub fn new(text: &'static str) -> Self {
        Self {
            text,
            values: Vec::new(),
        }
    }

    pub fn with(mut self, name: &'static str, value: impl fmt::Display) -> Self {
        self.values.push((name, value.to_string()));
        self
    }
}

impl fmt::Display for Filled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.text;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start..].find("}}") else {
                break;
            };
            f.write_str(&rest[..start])?;
            let name = rest[start + 2..start + len].trim();
            match self.values.iter().find(|(n, _)| *n == name) {
                Some((_, value)) => f.write_str(value)?,
                None => f.write_str(&rest[start..start + len + 2])?,
            }
            rest = &rest[start + len + 2..];
        }
        f.write_str(rest)
    }
}

/// `td_string!(locale, section.key)` → the text; with variables, a `Filled` text.
macro_rules! td_string {
    (@value $name:ident) => {
        &$name
    };
    (@value $name:ident = $value:expr) => {
        &($value)
    };
    ($locale:expr, $($key:ident).+) => {
        $crate::i18n::keys::$($key)::+($locale)
    };
    ($locale:expr, $($key:ident).+, $($name:ident $(= $value:expr)?),+ $(,)?) => {
        $crate::i18n::Filled::new($crate::i18n::keys::$($key)::+($locale))
            $(.with(stringify!($name), $crate::i18n::td_string!(@value $name $(= $value)?)))+
    };
}
pub(crate) use td_string;

/// The text `key` in the page's language, for a view or an attribute: it follows a change
/// of language. Every text shares this one closure type, so the browser's wasm carries the
/// code that renders and updates a text once rather than once per text.
pub fn text(
    i18n: crate::locale::I18n,
    key: fn(Locale) -> &'static str,
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || key(i18n.get())
}

/// `tr!(i18n, section.key)`: [`text`] for a key of the texts.
macro_rules! tr {
    ($i18n:expr, $($key:ident).+) => {
        $crate::i18n::text($i18n, $crate::i18n::keys::$($key)::+)
    };
}
pub(crate) use tr;
