//! Mail: with `--smtp-url`, each replica looks every `--notice-interval` seconds for
//! expiry notices due (7 days and 1 day before a token expires, and once it has) and for
//! mail queued by what happened to an account (`platform.outbox()`), claims each in the
//! database so that it goes out once across replicas and restarts, and sends it with
//! lettre. Every message carries `Message-ID`, `Date`, `MIME-Version` and one plain-text
//! part in UTF-8. A mail server that fails is retried later and logged; the loop runs on
//! its own task, so requests never wait on it. Without an SMTP URL nothing runs.

use std::time::Duration;

use anyhow::Context;
use domain::Platform;
use lettre::message::{Mailbox, SinglePart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// The configured mail server and sender.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The host Message-IDs are made under: the sender's domain.
    host: String,
    /// How long one conversation with the mail server may take (`--smtp-timeout`).
    /// lettre's own timeout only bounds the connect; a server that accepts and then says
    /// nothing is cut off here.
    timeout: Duration,
}

impl std::fmt::Debug for Mailer {
    // The transport holds the SMTP credentials: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// From `--smtp-url`, `--mail-from` and `--smtp-timeout`; a malformed URL or sender
    /// stops the start.
    pub fn new(
        url: &str,
        from: Option<&str>,
        public_url: &str,
        timeout: Duration,
    ) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow::anyhow!("--smtp-url is not a usable SMTP URL: {e}"))?
            .timeout(Some(timeout))
            .build();
        let from = match from {
            Some(from) => from
                .parse::<Mailbox>()
                .with_context(|| format!("--mail-from {from:?} is not an email address"))?,
            None => default_sender(public_url)?,
        };
        let host = from.email.domain().to_owned();
        Ok(Self {
            transport,
            from,
            host,
            timeout,
        })
    }

    /// Hands one message to the mail server.
    pub async fn send(&self, email: &app::mail::Email) -> anyhow::Result<()> {
        let to = email
            .to
            .parse::<Mailbox>()
            .with_context(|| "the account's email is not a mailbox")?;
        // A unique id under the sender's domain: large mail providers refuse mail
        // without one. `Date` is set by the builder, `MIME-Version` by the part.
        let id = format!(
            "<{:016x}.{}@{}>",
            rand::random::<u64>(),
            chrono::Utc::now().timestamp(),
            self.host
        );
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(id))
            .singlepart(SinglePart::plain(email.body.clone()))
            .context("build the message")?;
        tokio::time::timeout(self.timeout, self.transport.send(message))
            .await
            .map_err(|_| {
                anyhow::anyhow!(
                    "the mail server did not finish within {} s",
                    self.timeout.as_secs()
                )
            })?
            .context("send through the mail server")?;
        Ok(())
    }
}

/// `Patio <patio@HOST>` with the host of the public URL.
fn default_sender(public_url: &str) -> anyhow::Result<Mailbox> {
    let host = public_url
        .split_once("://")
        .map_or(public_url, |(_, rest)| rest)
        .split(['/', ':'])
        .next()
        .filter(|h| !h.is_empty())
        .unwrap_or("localhost");
    // An address is no mail domain: a server reached by IP sends as localhost (set
    // --mail-from for a sender the mail server accepts).
    let host = if host.parse::<std::net::IpAddr>().is_ok() || host.starts_with('[') {
        "localhost"
    } else {
        host
    };
    format!("Patio <patio@{host}>")
        .parse()
        .with_context(|| format!("no default sender from {public_url}; set --mail-from"))
}

/// One look: the expiry notices due, then the mail queued. Returns how many went out.
pub async fn pass(
    platform: &Platform,
    mailer: &Mailer,
    stopping: &tokio::sync::watch::Receiver<bool>,
) -> usize {
    expiry_pass(platform, mailer, stopping).await + outbox_pass(platform, mailer, stopping).await
}

/// Sends the mail queued by what happened to accounts. Once `stopping` turns true it
/// sends no more and hands back what it claimed.
async fn outbox_pass(
    platform: &Platform,
    mailer: &Mailer,
    stopping: &tokio::sync::watch::Receiver<bool>,
) -> usize {
    let Ok(claimed) = platform.outbox().claim().await else {
        return 0;
    };
    let mut sent = 0;
    let mut claimed = claimed.into_iter();
    while let Some(mail) = claimed.next() {
        if *stopping.borrow() {
            let rest: Vec<_> = std::iter::once(mail).chain(claimed).collect();
            let _ = platform.outbox().release(&rest).await;
            break;
        }
        let email = app::mail::account_mail(&mail, &platform.settings.public_url);
        match mailer.send(&email).await {
            Ok(()) => {
                sent += 1;
                tracing::info!(mail_id = mail.id, kind = mail.kind.key(), "mail sent");
                let _ = platform.outbox().sent(mail.id).await;
            }
            Err(e) => {
                let error = format!("{e:#}");
                tracing::warn!(
                    mail_id = mail.id,
                    kind = mail.kind.key(),
                    attempt = mail.attempts,
                    error = %error,
                    "mail not sent; it will be retried"
                );
                let _ = platform.outbox().failed(&mail, &error).await;
            }
        }
    }
    sent
}

/// Claims the expiry notices due and sends them. Once
/// `stopping` turns true it sends no more, and hands back what it claimed and did not
/// send, for another replica (or the next start) to send at once.
async fn expiry_pass(
    platform: &Platform,
    mailer: &Mailer,
    stopping: &tokio::sync::watch::Receiver<bool>,
) -> usize {
    let claimed = match platform.notices().claim().await {
        Ok(claimed) => claimed,
        // Logged where it happened; the next pass tries again.
        Err(_) => return 0,
    };
    let mut sent = 0;
    let mut claimed = claimed.into_iter();
    while let Some(notice) = claimed.next() {
        if *stopping.borrow() {
            let rest: Vec<_> = std::iter::once(notice).chain(claimed).collect();
            let _ = platform.notices().release(&rest).await;
            break;
        }
        let email = app::mail::expiry_notice(&notice, &platform.settings.public_url);
        match mailer.send(&email).await {
            Ok(()) => {
                sent += 1;
                tracing::info!(
                    token_id = notice.token_id,
                    kind = notice.kind.key(),
                    language = notice.language.code(),
                    "expiry notice sent"
                );
                let _ = platform.notices().sent(notice.notice_id).await;
            }
            Err(e) => {
                let error = format!("{e:#}");
                tracing::warn!(
                    token_id = notice.token_id,
                    kind = notice.kind.key(),
                    attempt = notice.attempts,
                    retry_in_minutes = domain::notices::retry_after(notice.attempts).num_minutes(),
                    error = %error,
                    "expiry notice not sent; it will be retried"
                );
                let _ = platform.notices().failed(&notice, &error).await;
            }
        }
    }
    sent
}

/// Looks for due notices every `every`, until `stopping` turns true.
pub async fn run(
    platform: Platform,
    mailer: Mailer,
    every: Duration,
    mut stopping: tokio::sync::watch::Receiver<bool>,
) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            () = crate::edge::stopped(&mut stopping) => return,
        }
        pass(&platform, &mailer, &stopping).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sender_takes_the_public_host() {
        let s = default_sender("https://patio.example.com/").unwrap();
        assert_eq!(s.email.to_string(), "patio@patio.example.com");
        let s = default_sender("http://127.0.0.1:3000").unwrap();
        assert_eq!(s.email.to_string(), "patio@localhost");
        let s = default_sender("http://[::1]:3000").unwrap();
        assert_eq!(s.email.to_string(), "patio@localhost");
    }

    #[test]
    fn a_malformed_smtp_url_is_refused_at_start() {
        let timeout = Duration::from_secs(20);
        let mailer = |url, from, public_url| Mailer::new(url, from, public_url, timeout);
        assert!(mailer("mail.example.com", None, "http://x.example").is_err());
        assert!(mailer("ftp://mail.example.com", None, "http://x.example").is_err());
        assert!(mailer("smtp://127.0.0.1:2525", Some("not an address"), "http://x").is_err());
        assert!(mailer("smtp://127.0.0.1:2525", None, "http://x.example").is_ok());
        assert!(mailer("smtps://u:p@mail.example.com", None, "http://x.example").is_ok());
    }
}
