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
        "{}\n\n{}\n\n{}\n{url}\n\n-- \n{}\n",
        td_string!(locale, email.greeting),
        wrap(&what),
        wrap(&action),
        wrap(&td_string!(locale, email.footer, server).to_string()),
    );
    Email {
        to: notice.email.clone(),
        subject,
        body,
    }
}

/// Plain-text mail reads best in lines of at most 72 characters; a word longer than
/// that (a URL) keeps its own line.
fn wrap(text: &str) -> String {
    const WIDTH: usize = 72;
    let mut out = String::new();
    let mut line = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        if line > 0 && line + 1 + n > WIDTH {
            out.push('\n');
            line = 0;
        } else if line > 0 {
            out.push(' ');
            line += 1;
        }
        out.push_str(word);
        line += n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use domain::accounts::Language;

    fn notice(kind: NoticeKind, language: Language) -> DueNotice {
        DueNotice {
            notice_id: 1,
            kind,
            token_id: 7,
            description: "CI deploy".into(),
            expires_at: chrono::Utc.with_ymd_and_hms(2026, 12, 2, 9, 30, 0).unwrap(),
            email: "ann@example.com".into(),
            language,
            attempts: 1,
        }
    }

    #[test]
    fn notices_name_the_token_and_link_to_the_tab_in_the_accounts_language() {
        let en = expiry_notice(
            &notice(NoticeKind::Week, Language::En),
            "https://patio.example.com/",
        );
        assert_eq!(
            en.subject,
            "Patio: access token \"CI deploy\" expires on 02-12-2026 09:30"
        );
        assert!(en
            .body
            .contains("https://patio.example.com/settings/access-tokens\n"));
        assert!(en.body.starts_with("Hello,"));
        let id = expiry_notice(
            &notice(NoticeKind::Expired, Language::Id),
            "https://patio.example.com",
        );
        assert!(id.subject.contains("sudah kedaluwarsa"), "{}", id.subject);
        assert!(id.body.starts_with("Halo,"));
        for email in [en, id] {
            assert!(
                email
                    .body
                    .lines()
                    .all(|l| l.chars().count() <= 72 || !l.contains(' ')),
                "{}",
                email.body
            );
            assert!(email.body.is_ascii());
        }
    }

    #[test]
    fn wrapping_keeps_every_word() {
        let text = "word ".repeat(40);
        let wrapped = wrap(&text);
        assert!(wrapped.lines().all(|l| l.len() <= 72));
        assert_eq!(wrapped.split_whitespace().count(), 40);
    }
}
