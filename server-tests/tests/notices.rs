//! Expiry notices against a real SMTP server (aiosmtpd, started here with the Python of
//! `scripts/python-venv`) and a clock the test moves: exactly one message per notice,
//! across two replicas and a restart, in the owner's language, naming the token and
//! never its value; a mail server that hangs holds up no request, and the notice goes
//! out once it answers.

use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use chrono::Duration as Days;
use domain::tokens::API_DATE_TIME;
use domain::Clock;
use serde_json::Value;
use server::{Settings, Spawned};

mod support;
use support::mail::{free_port, Mail, MailServer};
use support::{fresh_postgres, Captured, PASSWORD};

fn logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        tracing_subscriber::fmt()
            .with_env_filter("info")
            .with_writer(logs.clone())
            .with_ansi(false)
            .init();
        logs
    })
}

fn logged() -> String {
    logs().text()
}

/// With `PATIO_TEST_POSTGRES` naming a PostgreSQL database (`scripts/test` starts one), a
/// new empty database beside it for one test (the replicas then share it); otherwise
/// `None`, and they share a SQLite file.
/// Where one test's replicas keep their data: a folder, and a database in it or on the
/// test PostgreSQL.
struct Place {
    dir: tempfile::TempDir,
    database_url: Option<String>,
}

impl Place {
    async fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
            database_url: fresh_postgres().await,
        }
    }
}

/// A server on the place's database, sending through `smtp` when given.
async fn start(place: &Place, clock: &Clock, smtp: Option<u16>) -> Spawned {
    logs();
    let mut settings = Settings::in_dir(place.dir.path());
    if let Some(url) = &place.database_url {
        settings.database_url = url.clone();
    }
    settings.smtp_url = smtp.map(|port| format!("smtp://127.0.0.1:{port}"));
    settings.mail_from = Some("Patio <patio@example.com>".into());
    settings.notice_interval = 1;
    // A silent mail server is given up on after 5 s (20 by default), so the test of one
    // does not wait the default out.
    settings.smtp_timeout = 5;
    settings.public_url = Some("https://patio.example.com".into());
    server::spawn(settings, clock.clone()).await.expect("start")
}

async fn call(server: &Spawned, method: &str, params: &[(&str, &str)]) -> Value {
    support::call(&reqwest::Client::new(), &server.url(""), method, params).await
}

/// An account signed in, its dashboard seen once in `lang` (which the account keeps).
async fn owner(server: &Spawned, email: &str, lang: &str) -> String {
    server
        .platform
        .accounts()
        .sign_up(email, PASSWORD.into(), &domain::accounts::Origin::default())
        .await
        .unwrap();
    let reply = call(
        server,
        "users.authentication.Signin",
        &[("login", email), ("password", PASSWORD)],
    )
    .await;
    let session = reply["session"].as_str().unwrap().to_owned();
    let page = reqwest::Client::new()
        .get(server.url(&format!("/settings/access-tokens?lang={lang}")))
        .header("cookie", format!("patio_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    // The page streams: its data (and the language it records) is loaded by the end.
    page.text().await.unwrap();
    session
}

/// A token expiring `days` from the clock's now; (id, value).
async fn token(server: &Spawned, session: &str, name: &str, days: Option<i64>) -> (i64, String) {
    let expires = days
        .map(|d| {
            (server.platform.now() + Days::days(d))
                .format(API_DATE_TIME)
                .to_string()
        })
        .unwrap_or_default();
    let reply = call(
        server,
        "users.authentication.CreateToken",
        &[
            ("session", session),
            ("password", PASSWORD),
            ("description", name),
            ("tokenTemplate", "ide-plugins"),
            ("expiresAt", &expires),
        ],
    )
    .await;
    assert_eq!(reply["result"], 0, "{reply}");
    (
        reply["token"]["id"].as_i64().unwrap(),
        reply["token"]["key"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn each_notice_goes_out_once_in_the_owners_language_and_never_names_the_value() {
    let place = Place::new().await;
    let clock = Clock::default();

    // Before email is configured: the tokens, and one that expires while nothing is sent.
    let quiet = start(&place, &clock, None).await;
    let ann = owner(&quiet, "ann@example.com", "en").await;
    let budi = owner(&quiet, "budi@example.com", "id").await;
    let language: String =
        sqlx::query_scalar("select language from accounts where email = 'budi@example.com'")
            .fetch_one(&quiet.platform.db)
            .await
            .unwrap();
    assert_eq!(language, "id", "the account keeps the dashboard's language");
    let mut values = Vec::new();
    values.push(token(&quiet, &ann, "ann deploy", Some(10)).await.1);
    values.push(token(&quiet, &budi, "budi backup", Some(10)).await.1);
    values.push(token(&quiet, &ann, "no expiry", None).await.1);
    values.push(token(&quiet, &ann, "far away", Some(100)).await.1);
    values.push(token(&quiet, &ann, "long gone", Some(2)).await.1);
    clock.advance(Days::days(4));
    quiet.stop().await.unwrap();

    // Email on, two replicas on one database: 7 days before, one message per token.
    let port = free_port();
    let smtp = MailServer::start(port, &place.dir.path().join("mail"));
    let one = start(&place, &clock, Some(port)).await;
    let two = start(&place, &clock, Some(port)).await;
    let week = smtp.expect(2).await;
    // Large mail providers refuse mail without these.
    for mail in &week {
        let id = mail.header("Message-ID").expect("Message-ID");
        assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
        assert!(mail.header("Date").is_some());
        assert_eq!(mail.header("MIME-Version").as_deref(), Some("1.0"));
        let kind = mail
            .header("Content-Type")
            .unwrap_or_default()
            .to_lowercase();
        assert!(
            kind.starts_with("text/plain") && kind.contains("charset=utf-8"),
            "{kind}"
        );
    }
    let to_ann = week.iter().find(|m| m.to.contains("ann@")).expect("ann's");
    let to_budi = week
        .iter()
        .find(|m| m.to.contains("budi@"))
        .expect("budi's");
    assert!(
        to_ann
            .subject
            .starts_with("Patio: access token \"ann deploy\" expires on"),
        "{}",
        to_ann.subject
    );
    assert!(to_ann.body.starts_with("Hello,"), "{}", to_ann.body);
    assert!(
        to_budi
            .subject
            .starts_with("Patio: access token \"budi backup\" berakhir pada"),
        "{}",
        to_budi.subject
    );
    assert!(to_budi.body.starts_with("Halo,"), "{}", to_budi.body);
    for m in &week {
        assert!(
            m.body
                .contains("https://patio.example.com/settings/access-tokens"),
            "{}",
            m.body
        );
    }

    // A restart sends nothing again.
    one.stop().await.unwrap();
    two.stop().await.unwrap();
    let one = start(&place, &clock, Some(port)).await;
    smtp.expect(2).await;

    // A day before, then after the expiry: one each, the most urgent only.
    clock.advance(Days::hours(132));
    let count = |all: &[Mail], subject: &str| all.iter().filter(|m| m.subject == subject).count();
    let day = smtp.expect(4).await;
    assert_eq!(
        count(
            &day,
            "Patio: access token \"ann deploy\" expires within a day"
        ),
        1
    );
    assert_eq!(
        count(
            &day,
            "Patio: access token \"budi backup\" berakhir dalam sehari"
        ),
        1
    );
    clock.advance(Days::hours(24));
    let all = smtp.expect(6).await;
    assert_eq!(
        count(&all, "Patio: access token \"ann deploy\" has expired"),
        1
    );
    assert_eq!(
        count(
            &all,
            "Patio: access token \"budi backup\" sudah kedaluwarsa"
        ),
        1
    );
    one.stop().await.unwrap();

    // Nothing about the token that expired before email was on, or those far off; no
    // message holds a token value (nor its hint).
    for m in &all {
        assert!(
            !m.text().contains("long gone")
                && !m.text().contains("far away")
                && !m.text().contains("no expiry")
        );
        for value in &values {
            assert!(!m.raw.contains(value.as_str()), "a value in {m:#?}");
            assert!(!m.raw.contains(&value[..10]), "a hint in {m:#?}");
        }
    }
    let log = logged();
    assert!(log.contains("expiry notice sent"), "{log}");
    for value in &values {
        assert!(!log.contains(value.as_str()), "a value was logged");
    }
    print_messages("captured", &all);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hanging_mail_server_holds_up_no_request_and_the_notice_goes_out_once_it_answers() {
    let place = Place::new().await;
    let clock = Clock::default();
    // A mail server that accepts connections and never says a word.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let server = start(&place, &clock, Some(port)).await;
    let ann = owner(&server, "ann@example.com", "en").await;
    let (id, value) = token(&server, &ann, "nightly backup", Some(10)).await;
    clock.advance(Days::days(4));
    // The session idled out in those days: a new one.
    let reply = call(
        &server,
        "users.authentication.Signin",
        &[("login", "ann@example.com"), ("password", PASSWORD)],
    )
    .await;
    let ann = reply["session"].as_str().unwrap().to_owned();

    // The notice pass waits on the silent server; requests are answered meanwhile.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let notices = server.platform.notices().of_token(id).await.unwrap();
    assert_eq!(notices.len(), 1, "claimed: {notices:?}");
    assert_eq!(notices[0].1, "sending");
    let mut slowest = Duration::ZERO;
    for _ in 0..20 {
        let started = Instant::now();
        let reply = call(
            &server,
            "users.authentication.GetTokens",
            &[("session", &ann)],
        )
        .await;
        assert_eq!(reply["result"], 0);
        slowest = slowest.max(started.elapsed());
    }
    assert!(
        slowest < Duration::from_secs(1),
        "a request took {slowest:?}"
    );

    // The attempt times out, is logged, and waits for its retry; so does the first attempt
    // of the mail queued when the token was generated, which a pass may make after the
    // notice's (the silent server must not be gone before it).
    let started = Instant::now();
    loop {
        let error: Option<String> =
            sqlx::query_scalar("select last_error from expiry_notices where token_id = $1")
                .bind(id)
                .fetch_one(&server.platform.db)
                .await
                .unwrap();
        let untried: i64 = sqlx::query_scalar(
            "select count(*) from mail_outbox where sent_at is null and last_error is null",
        )
        .fetch_one(&server.platform.db)
        .await
        .unwrap();
        if error.is_some() && untried == 0 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(40),
            "the attempt never ended"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(logged().contains("expiry notice not sent; it will be retried"));
    drop(silent);

    // The mail server comes up; after the retry delay the notice goes out, once.
    let smtp = MailServer::start(port, &place.dir.path().join("mail"));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(smtp.messages().is_empty(), "not before its retry time");
    clock.advance(Days::minutes(2));
    // The notice, and the mail that told the owner the token was generated (queued
    // while the server hung, retried the same way).
    let mail = smtp.expect(2).await;
    let notice = mail
        .iter()
        .find(|m| m.subject.contains("expires"))
        .expect("the expiry notice");
    assert!(notice.subject.contains("\"nightly backup\""));
    assert!(mail.iter().any(|m| m.subject.contains("was generated")));
    assert!(mail.iter().all(|m| !m.raw.contains(&value)));
    let notices = server.platform.notices().of_token(id).await.unwrap();
    assert_eq!((notices[0].1.as_str(), notices[0].2), ("sent", 2));
    server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn without_smtp_nothing_is_sent_or_claimed() {
    let place = Place::new().await;
    let clock = Clock::default();
    let server = start(&place, &clock, None).await;
    let ann = owner(&server, "ann@example.com", "en").await;
    let (id, _) = token(&server, &ann, "dashboard only", Some(3)).await;
    clock.advance(Days::days(2) + Days::hours(12));
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(server
        .platform
        .notices()
        .of_token(id)
        .await
        .unwrap()
        .is_empty());
    server.stop().await.unwrap();
}

/// Shows the messages with `--nocapture` (the closing note quotes them).
fn print_messages(what: &str, messages: &[Mail]) {
    for m in messages {
        println!("----- {what} message -----\n{}", m.raw);
    }
}
