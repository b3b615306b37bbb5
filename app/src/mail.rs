//! The emails Patio sends, written in the account's language from the same texts as the
//! dashboard (`locales/`, under `email`). They name a token, never its value.

use domain::notices::{DueNotice, NoticeKind};

use crate::i18n::td_string;
use crate::locale::locale_of;

/// One plain-text message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The notice that a token expires soon or has expired, with a link to the tab where it
/// is renewed. `public_url` is the server's address as its users reach it.
pub fn expiry_notice(notice: &DueNotice, public_url: &str) -> Email {
    let locale = locale_of(notice.language);
    let name = notice.description.as_str();
    let date = crate::format::date_time(notice.expires_at);
    let server = public_url.trim_end_matches('/');
    let url = format!("{server}/settings/access-tokens");
    let subject = match notice.kind {
        NoticeKind::Week => td_string!(locale, email.subject_week, name, date = &date).to_string(),
        NoticeKind::Day => td_string!(locale, email.subject_day, name).to_string(),
        NoticeKind::Expired => td_string!(locale, email.subject_expired, name).to_string(),
    };
    let (what, action) = match notice.kind {
        NoticeKind::Week | NoticeKind::Day => (
            td_string!(locale, email.expires, name, date = &date).to_string(),
            td_string!(locale, email.action_soon).to_string(),
        ),
        NoticeKind::Expired => (
            td_string!(locale, email.expired, name, date = &date).to_string(),
            td_string!(locale, email.action_expired).to_string(),
        ),
    };
    let body = format!(
        "{}\n\n{what}\n\n{action}\n{url}\n\n-- \n{}\n",
        td_string!(locale, email.greeting),
        td_string!(locale, email.footer, server),
    );
    Email {
        to: notice.email.clone(),
        subject,
        body,
    }
}
