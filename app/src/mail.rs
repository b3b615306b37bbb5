//! The emails Patio sends, written in the account's language from the same texts as the
//! dashboard (`locales/`, under `email`): expiry notices, mail about what happened to an
//! account (each naming what, when, from which address and client, with a link to the
//! tab to look at) and the mail that carries a one-time link. They name a token, never
//! its value or hint.

use domain::mail::{MailContext, MailKind, OutgoingMail};
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

/// A mail from the queue, written in its language. `public_url` is the server's
/// address as its users reach it.
pub fn account_mail(mail: &OutgoingMail, public_url: &str) -> Email {
    let locale = locale_of(mail.language);
    let server = public_url.trim_end_matches('/');
    let page = format!("{server}{}", mail.kind.page());
    let when = when_where(locale, &mail.context);
    let account_footer = td_string!(locale, email.footer_account, server).to_string();
    // (subject, what happened, what to do, where, footer)
    let (subject, what, action, link, footer): (String, String, Option<String>, String, String) =
        match &mail.kind {
            MailKind::Reset { link } => (
                td_string!(locale, email.subject_reset).into(),
                td_string!(locale, email.reset_body).into(),
                Some(td_string!(locale, email.reset_ignore).into()),
                link.clone(),
                account_footer,
            ),
            MailKind::Verify { link } => (
                td_string!(locale, email.subject_verify).into(),
                td_string!(locale, email.verify_body).into(),
                Some(td_string!(locale, email.verify_ignore).into()),
                link.clone(),
                td_string!(locale, email.footer_signup, server).to_string(),
            ),
            MailKind::ConfirmEmail { link, old } => (
                td_string!(locale, email.subject_confirm_email).into(),
                td_string!(locale, email.confirm_email_body, old).to_string(),
                Some(td_string!(locale, email.confirm_email_ignore).into()),
                link.clone(),
                account_footer,
            ),
            MailKind::SignupExists => (
                td_string!(locale, email.subject_signup_exists).into(),
                td_string!(locale, email.signup_exists_body).into(),
                Some(td_string!(locale, email.signup_exists_action).into()),
                page,
                account_footer,
            ),
            MailKind::EmailChangeAsked { new } => (
                td_string!(locale, email.subject_email_change_asked).into(),
                td_string!(locale, email.email_change_asked_body, new).to_string(),
                Some(td_string!(locale, email.if_not_you).into()),
                page,
                account_footer,
            ),
            MailKind::EmailChanged { old, new } => (
                td_string!(locale, email.subject_email_changed).into(),
                td_string!(locale, email.email_changed_body, old, new).to_string(),
                Some(td_string!(locale, email.if_not_you).into()),
                page,
                account_footer,
            ),
            MailKind::PasswordChanged { by_reset } => (
                td_string!(locale, email.subject_password_changed).into(),
                if *by_reset {
                    td_string!(locale, email.password_reset_body).into()
                } else {
                    td_string!(locale, email.password_changed_body).into()
                },
                Some(td_string!(locale, email.if_not_you).into()),
                page,
                account_footer,
            ),
            MailKind::TokenCreated {
                description,
                regenerated,
                api_set,
                environments,
            } => {
                let envs = match environments {
                    None => td_string!(locale, email.envs_all).to_owned(),
                    Some(list) if list.is_empty() => td_string!(locale, email.envs_none).to_owned(),
                    Some(list) => list.join(", "),
                };
                let name = description.as_str();
                let set = api_set.as_str();
                let (subject, what) = if *regenerated {
                    (
                        td_string!(locale, email.subject_token_regenerated, name).to_string(),
                        td_string!(
                            locale,
                            email.token_regenerated_body,
                            name,
                            set,
                            envs = &envs
                        )
                        .to_string(),
                    )
                } else {
                    (
                        td_string!(locale, email.subject_token_created, name).to_string(),
                        td_string!(locale, email.token_created_body, name, set, envs = &envs)
                            .to_string(),
                    )
                };
                (
                    subject,
                    what,
                    Some(td_string!(locale, email.if_not_you).into()),
                    page,
                    account_footer,
                )
            }
            MailKind::TokensRevoked { count } => (
                td_string!(locale, email.subject_tokens_revoked).into(),
                td_string!(locale, email.tokens_revoked_body, n = *count).to_string(),
                Some(td_string!(locale, email.see_tokens).into()),
                page,
                account_footer,
            ),
            MailKind::TwoFactorOff => (
                td_string!(locale, email.subject_two_factor_off).into(),
                td_string!(locale, email.two_factor_off_body).into(),
                Some(td_string!(locale, email.if_not_you).into()),
                page,
                account_footer,
            ),
            MailKind::NewSignin => (
                td_string!(locale, email.subject_new_signin).into(),
                td_string!(locale, email.new_signin_body).into(),
                Some(td_string!(locale, email.if_not_you).into()),
                page,
                format!(
                    "{}\n{}",
                    wrap(td_string!(locale, email.new_signin_off)),
                    account_footer
                ),
            ),
            MailKind::PasskeyAdded { name } => (
                td_string!(locale, email.subject_passkey_added).into(),
                td_string!(locale, email.passkey_added_body, name).to_string(),
                Some(td_string!(locale, email.if_not_you).into()),
                page,
                account_footer,
            ),
            MailKind::AccountDeleted { by_operator } => (
                td_string!(locale, email.subject_account_deleted).into(),
                if *by_operator {
                    td_string!(locale, email.account_deleted_operator_body).into()
                } else {
                    td_string!(locale, email.account_deleted_body).into()
                },
                Some(td_string!(locale, email.account_deleted_after).into()),
                page,
                account_footer,
            ),
        };
    let link_mail = matches!(
        mail.kind,
        MailKind::Reset { .. } | MailKind::Verify { .. } | MailKind::ConfirmEmail { .. }
    );
    let body = if link_mail {
        // The link first, then what to do if it was not asked for.
        format!(
            "{}\n\n{}\n{link}\n\n{}\n\n{when}\n\n-- \n{}\n",
            td_string!(locale, email.greeting),
            wrap(&what),
            wrap(action.as_deref().unwrap_or_default()),
            wrap(&footer),
        )
    } else {
        format!(
            "{}\n\n{}\n\n{when}\n\n{}\n{link}\n\n-- \n{}\n",
            td_string!(locale, email.greeting),
            wrap(&what),
            wrap(action.as_deref().unwrap_or_default()),
            wrap(&footer),
        )
    };
    Email {
        to: mail.to.clone(),
        subject,
        body,
    }
}

/// When it happened, from which address and client, one line each.
fn when_where(locale: crate::i18n::Locale, context: &MailContext) -> String {
    let unknown = td_string!(locale, email.unknown);
    let at = context
        .at
        .map_or_else(|| unknown.to_owned(), crate::format::date_time);
    let ip = context.ip.as_deref().unwrap_or(unknown);
    // A client's name is what it sent: kept to one line of printable text.
    let client: String = context
        .client
        .as_deref()
        .unwrap_or(unknown)
        .chars()
        .filter(|c| !c.is_control())
        .take(120)
        .collect();
    format!(
        "{}\n{}\n{}",
        td_string!(locale, email.when, at = &at),
        td_string!(locale, email.from_ip, ip),
        td_string!(locale, email.client, client = &client),
    )
}

/// Plain-text mail reads best in lines of at most 72 characters; a word longer than
/// that (a URL) keeps its own line.
pub fn wrap(text: &str) -> String {
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
