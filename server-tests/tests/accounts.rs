//! Accounts a person can keep, against a real SMTP server (aiosmtpd): a forgotten
//! password reset from the mail alone, a sign-up that tells nobody whether the email has
//! an account, a change of email made from the new address, deleting the account, the
//! security mail about each of these and about tokens, and the operator's commands. On
//! SQLite, and on PostgreSQL when `PATIO_TEST_POSTGRES` names a server. Every mail is
//! read back with its headers and links.

use std::time::Duration;

use chrono::Duration as Minutes;
use domain::accounts::{LinkPurpose, Origin, SignUpOutcome};
use domain::Clock;
use serde_json::Value;
use server::{Settings, Spawned};

mod support;
use support::mail::{free_port, Mail, MailServer};
use support::{fresh_postgres, PASSWORD};

const SERVER: &str = "https://patio.example.com";

struct World {
    server: Spawned,
    smtp: MailServer,
    clock: Clock,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let smtp = MailServer::start(port, &dir.path().join("mail"));
    let mut settings = Settings::in_dir(dir.path());
    if let Some(url) = fresh_postgres().await {
        settings.database_url = url;
    }
    settings.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
    settings.mail_from = Some("Patio <patio@example.com>".into());
    settings.notice_interval = 1;
    settings.public_url = Some(SERVER.into());
    let clock = Clock::default();
    let server = server::spawn(settings, clock.clone()).await.expect("start");
    World {
        server,
        smtp,
        clock,
        _dir: dir,
    }
}

fn from(ip: &str) -> Origin {
    Origin {
        ip: Some(ip.into()),
        user_agent: Some("Firefox/140.0 (test)".into()),
    }
}

impl World {
    async fn call(&self, method: &str, params: &[(&str, &str)]) -> Value {
        support::call(
            &reqwest::Client::new(),
            &self.server.url(""),
            method,
            params,
        )
        .await
    }

    async fn sign_in(&self, email: &str, password: &str) -> Value {
        self.call(
            "users.authentication.Signin",
            &[("login", email), ("password", password)],
        )
        .await
    }

    /// An account made the way the operator makes one (no mail), signed in once.
    async fn account(&self, email: &str) -> String {
        self.server
            .platform
            .accounts()
            .sign_up(email, PASSWORD.into(), &Origin::default())
            .await
            .unwrap();
        let reply = self.sign_in(email, PASSWORD).await;
        reply["session"].as_str().expect("session").to_owned()
    }

    /// Waits for mail to `to` with `subject` in it, and returns the newest.
    async fn mail_to(&self, to: &str, subject: &str) -> Mail {
        let started = std::time::Instant::now();
        loop {
            if let Some(mail) = self
                .smtp
                .messages()
                .into_iter()
                .rev()
                .find(|m| m.to.contains(to) && m.subject.contains(subject))
            {
                return mail;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no mail to {to} about {subject:?}: {:#?}",
                self.smtp.messages()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The dashboard's caller for `session`, as a request from `ip` makes it.
    async fn caller(&self, session: &str, ip: &str) -> domain::Caller {
        self.server
            .platform
            .access()
            .authorize(
                Some(&session.to_owned().into()),
                domain::access::Purpose::Dashboard,
                from(ip),
            )
            .await
            .unwrap()
            .unwrap()
    }

    /// Turns two-factor on for `caller` with the app's first code; the recovery codes.
    async fn two_factor_on(&self, caller: &domain::Caller, password: &str) -> Vec<String> {
        let two_factor = self.server.platform.two_factor();
        let enrolment = two_factor.begin(caller, password).await.unwrap();
        let now = self.server.platform.now().timestamp();
        let code = domain::accounts::totp(&enrolment.secret, now).unwrap();
        two_factor.enable(caller, &code).await.unwrap().0
    }

    fn count_to(&self, to: &str) -> usize {
        self.smtp
            .messages()
            .iter()
            .filter(|m| m.to.contains(to))
            .count()
    }

    /// Gives the queue time to send anything it holds.
    async fn settle(&self) {
        tokio::time::sleep(Duration::from_millis(2_500)).await;
    }
}

/// Every mail Patio sends is a well-formed plain-text message.
fn well_formed(mail: &Mail) {
    let id = mail.header("Message-ID").expect("Message-ID");
    assert!(id.starts_with('<') && id.ends_with("@example.com>"), "{id}");
    assert!(mail.header("Date").is_some(), "Date");
    assert_eq!(mail.header("MIME-Version").as_deref(), Some("1.0"));
    let content_type = mail
        .header("Content-Type")
        .expect("Content-Type")
        .to_lowercase();
    assert!(
        content_type.starts_with("text/plain") && content_type.contains("charset=utf-8"),
        "{content_type}"
    );
}

fn secret_of(link: &str, path: &str) -> String {
    link.strip_prefix(&format!("{SERVER}{path}"))
        .unwrap_or_else(|| panic!("{link} is not under {path}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forgotten_password_is_set_again_from_the_mail_alone() {
    let w = world().await;
    let platform = &w.server.platform;
    let session = w.account("ann@example.com").await;
    let made = w
        .call(
            "users.authentication.CreateToken",
            &[
                ("session", &session),
                ("password", PASSWORD),
                ("description", "deploys"),
                ("tokenTemplate", "ide-plugins"),
            ],
        )
        .await;
    let token = made["token"]["key"].as_str().unwrap().to_owned();

    // Any email gets the same answer; only the account's gets a mail.
    platform
        .recovery()
        .forgot("ann@example.com", &from("198.51.100.7"))
        .await
        .unwrap();
    platform
        .recovery()
        .forgot("nobody@example.com", &from("198.51.100.7"))
        .await
        .unwrap();
    let mail = w.mail_to("ann@example.com", "set a new password").await;
    well_formed(&mail);
    assert!(
        mail.body.contains("198.51.100.7") && mail.body.contains("Firefox/140.0"),
        "{}",
        mail.body
    );
    let link = mail
        .link(&format!("{SERVER}/reset/"))
        .expect("a reset link");
    let secret = secret_of(&link, "/reset/");
    assert!(platform
        .links()
        .works(LinkPurpose::Reset, &secret)
        .await
        .unwrap());
    w.settle().await;
    assert_eq!(w.count_to("nobody@example.com"), 0);
    // The database holds a digest, not the link's secret.
    let stored: i64 = sqlx::query_scalar("select count(*) from account_links")
        .fetch_one(&platform.db)
        .await
        .unwrap();
    assert_eq!(stored, 1);
    let dump: Vec<String> = sqlx::query_scalar("select coalesce(payload, '') from mail_outbox")
        .fetch_all(&platform.db)
        .await
        .unwrap();
    assert!(
        dump.iter().all(|p| !p.contains(&secret)),
        "a sent mail's text is not kept"
    );

    platform
        .recovery()
        .reset(
            &secret,
            "a brand new password".into(),
            &from("198.51.100.7"),
        )
        .await
        .unwrap();
    // Every session ended; the token keeps working; the old password is refused.
    let info = w
        .call("users.authentication.CheckSign", &[("session", &session)])
        .await;
    assert_eq!(info["result"], 701, "{info}");
    let uses = w
        .call("users.account.GetUserInfo", &[("session", &token)])
        .await;
    assert_eq!(uses["result"], 0, "{uses}");
    assert_eq!(w.sign_in("ann@example.com", PASSWORD).await["result"], 702);
    assert_eq!(
        w.sign_in("ann@example.com", "a brand new password").await["result"],
        0
    );
    let changed = w.mail_to("ann@example.com", "password was changed").await;
    well_formed(&changed);
    assert!(
        changed.body.contains("tokens keep working"),
        "{}",
        changed.body
    );
    assert!(changed
        .link(&format!("{SERVER}/settings/account"))
        .is_some());
    // The link works once.
    let again = platform
        .recovery()
        .reset(
            &secret,
            "yet another password".into(),
            &from("198.51.100.7"),
        )
        .await
        .unwrap_err();
    assert_eq!(again.code().number(), 5, "{again}");

    // A link an hour old no longer works.
    platform
        .recovery()
        .forgot("ann@example.com", &from("198.51.100.8"))
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let second = loop {
        let links: Vec<String> = w
            .smtp
            .messages()
            .iter()
            .filter(|m| m.subject.contains("set a new password"))
            .filter_map(|m| m.link(&format!("{SERVER}/reset/")))
            .collect();
        if links.len() == 2 {
            break links[1].clone();
        }
        assert!(started.elapsed() < Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    w.clock.advance(Minutes::minutes(61));
    let late = platform
        .recovery()
        .reset(
            &secret_of(&second, "/reset/"),
            "too late password".into(),
            &from("198.51.100.8"),
        )
        .await
        .unwrap_err();
    assert_eq!(late.code().number(), 5);
    let log: Vec<String> =
        sqlx::query_scalar("select action from audit_events where action like 'password.%'")
            .fetch_all(&platform.db)
            .await
            .unwrap();
    assert!(log.contains(&"password.reset".to_owned()), "{log:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn sign_up_with_mail_answers_every_email_alike_and_the_link_makes_the_account() {
    let w = world().await;
    let platform = &w.server.platform;
    w.account("ann@example.com").await;
    let lifecycle = platform.lifecycle();
    let taken = lifecycle
        .sign_up(
            "ann@example.com",
            "another password".into(),
            Default::default(),
            &from("203.0.113.5"),
        )
        .await
        .unwrap();
    let new = lifecycle
        .sign_up(
            "budi@example.com",
            "budi's password".into(),
            Default::default(),
            &from("203.0.113.5"),
        )
        .await
        .unwrap();
    assert_eq!(taken, SignUpOutcome::CheckInbox);
    assert_eq!(new, taken, "the answers are alike");
    let tried = w.mail_to("ann@example.com", "tried to sign up").await;
    well_formed(&tried);
    assert!(tried.link(&format!("{SERVER}/forgot")).is_some());
    let verify = w.mail_to("budi@example.com", "create your account").await;
    well_formed(&verify);
    // No account before the link is used.
    assert_eq!(
        w.sign_in("budi@example.com", "budi's password").await["result"],
        702
    );
    let secret = secret_of(
        &verify.link(&format!("{SERVER}/verify/")).unwrap(),
        "/verify/",
    );
    let session = lifecycle
        .verify_sign_up(&secret, Default::default(), &from("203.0.113.5"))
        .await
        .unwrap();
    let (account, _) = platform
        .sessions()
        .resolve(secrecy::ExposeSecret::expose_secret(&session.value))
        .await
        .unwrap();
    assert_eq!(account.email, "budi@example.com");
    assert_eq!(
        w.sign_in("budi@example.com", "budi's password").await["result"],
        0
    );
    assert!(lifecycle
        .verify_sign_up(&secret, Default::default(), &from("203.0.113.5"))
        .await
        .is_err());
    // The account that tried is untouched: its password is still its own.
    assert_eq!(w.sign_in("ann@example.com", PASSWORD).await["result"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_email_takes_effect_only_from_the_new_address_and_both_are_told() {
    let w = world().await;
    let platform = &w.server.platform;
    let session = w.account("ann@example.com").await;
    let caller = w.caller(&session, "192.0.2.1").await;
    let wrong = platform
        .lifecycle()
        .ask_email_change(&caller, "not the password", "ann@new.example")
        .await
        .unwrap_err();
    assert_eq!(wrong.code().number(), 702);
    platform
        .lifecycle()
        .ask_email_change(&caller, PASSWORD, "ann@new.example")
        .await
        .unwrap();
    let asked = w
        .mail_to("ann@example.com", "new email for your account")
        .await;
    assert!(asked.body.contains("ann@new.example"));
    let confirm = w.mail_to("ann@new.example", "confirm your new email").await;
    well_formed(&confirm);
    assert_eq!(
        platform
            .lifecycle()
            .settings(caller.account.id)
            .await
            .unwrap()
            .pending_email
            .as_deref(),
        Some("ann@new.example")
    );
    // Nothing changed yet.
    assert_eq!(w.sign_in("ann@example.com", PASSWORD).await["result"], 0);
    let secret = secret_of(
        &confirm.link(&format!("{SERVER}/confirm-email/")).unwrap(),
        "/confirm-email/",
    );
    let now = platform
        .lifecycle()
        .confirm_email_change(&secret, &from("192.0.2.1"))
        .await
        .unwrap();
    assert_eq!(now, "ann@new.example");
    assert_eq!(w.sign_in("ann@new.example", PASSWORD).await["result"], 0);
    assert_eq!(w.sign_in("ann@example.com", PASSWORD).await["result"], 702);
    for to in ["ann@example.com", "ann@new.example"] {
        let told = w.mail_to(to, "email was changed").await;
        assert!(told.body.contains("ann@example.com") && told.body.contains("ann@new.example"));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_the_account_removes_everything_and_the_email_may_sign_up_again() {
    let w = world().await;
    let platform = &w.server.platform;
    let session = w.account("ann@example.com").await;
    let made = w
        .call(
            "users.authentication.CreateToken",
            &[
                ("session", &session),
                ("password", PASSWORD),
                ("description", "goes with it"),
                ("tokenTemplate", "extended-access"),
            ],
        )
        .await;
    let token = made["token"]["key"].as_str().unwrap().to_owned();
    let env = w
        .call(
            "environment.control.CreateEnvironment",
            &[
                ("session", &token),
                ("env", r#"{"shortdomain":"ann-site"}"#),
                ("nodes", r#"[{"nodeType":"nginx"}]"#),
            ],
        )
        .await;
    assert_eq!(env["result"], 0, "{env}");
    let caller = w.caller(&session, "192.0.2.9").await;
    let wrong = platform
        .lifecycle()
        .delete(&caller, "wrong", None)
        .await
        .unwrap_err();
    assert_eq!(wrong.code().number(), 702);
    platform
        .lifecycle()
        .delete(&caller, PASSWORD, None)
        .await
        .unwrap();
    assert_eq!(
        w.call("users.account.GetUserInfo", &[("session", &token)])
            .await["result"],
        701
    );
    assert_eq!(
        w.call("users.authentication.CheckSign", &[("session", &session)])
            .await["result"],
        701
    );
    for table in [
        "tokens",
        "sessions",
        "environments",
        "token_shares",
        "uploads",
        "audit_events",
    ] {
        let left: i64 = sqlx::query_scalar(&format!(
            "select count(*) from {table} where account_id = $1"
        ))
        .bind(caller.account.id)
        .fetch_one(&platform.db)
        .await
        .unwrap();
        assert_eq!(left, 0, "{table}");
    }
    let gone = w.mail_to("ann@example.com", "account was deleted").await;
    well_formed(&gone);
    // The email is free again, and its name too.
    w.account("ann@example.com").await;
    let again = w.sign_in("ann@example.com", PASSWORD).await;
    assert_eq!(again["result"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_hears_of_every_token_made_and_every_change_that_matters() {
    let w = world().await;
    let platform = &w.server.platform;
    let session = w.account("ann@example.com").await;
    let made = w
        .call(
            "users.authentication.CreateToken",
            &[
                ("session", &session),
                ("password", PASSWORD),
                ("description", "CI deploys"),
                ("apiList", "environment.control.GetEnvs"),
                ("envNames", "ci-*"),
            ],
        )
        .await;
    let value = made["token"]["key"].as_str().unwrap().to_owned();
    let id = made["token"]["id"].as_i64().unwrap().to_string();
    let created = w
        .mail_to("ann@example.com", "\"CI deploys\" was generated")
        .await;
    well_formed(&created);
    for expected in [
        "CI deploys",
        "Custom",
        "ci-*",
        "127.0.0.1",
        "/settings/access-tokens",
    ] {
        assert!(
            created.text().contains(expected),
            "{expected} in {}",
            created.text()
        );
    }
    assert!(
        !created.raw.contains(&value) && !created.raw.contains(&value[..10]),
        "no value, no hint"
    );
    let regenerated = w
        .call(
            "users.authentication.RegenerateToken",
            &[("session", &session), ("password", PASSWORD), ("id", &id)],
        )
        .await;
    let fresh = regenerated["token"]["key"].as_str().unwrap().to_owned();
    let mail = w.mail_to("ann@example.com", "got a new value").await;
    assert!(!mail.raw.contains(&fresh));
    let revoked = w
        .call(
            "users.account.ChangePassword",
            &[
                ("session", &session),
                ("oldPassword", PASSWORD),
                ("newPassword", "second password"),
            ],
        )
        .await;
    assert_eq!(revoked["result"], 0, "{revoked}");
    let caller = w.caller(&session, "127.0.0.1").await;
    platform
        .tokens()
        .revoke_all(&caller, "second password")
        .await
        .unwrap();
    w.mail_to("ann@example.com", "every access token was revoked")
        .await;
    platform
        .lifecycle()
        .change_password(&caller, "second password", "third password".into())
        .await
        .unwrap();
    w.mail_to("ann@example.com", "password was changed").await;

    // The two password changes (over the API, then from the Account tab) were both told.
    w.settle().await;
    let passwords = w
        .smtp
        .messages()
        .iter()
        .filter(|m| m.subject.contains("password was changed"))
        .count();
    assert_eq!(passwords, 2);
    // A sign-in from an address the account has not used: mailed, unless turned off.
    let before = w.count_to("ann@example.com");
    platform
        .sessions()
        .sign_in(
            "ann@example.com",
            "third password",
            None,
            &from("203.0.113.77"),
        )
        .await
        .unwrap();
    let new_address = w
        .mail_to("ann@example.com", "sign-in from a new address")
        .await;
    assert!(new_address.body.contains("203.0.113.77"));
    assert!(new_address.body.contains("Account tab"));
    platform
        .lifecycle()
        .set_notify_new_signin(&caller, false)
        .await
        .unwrap();
    platform
        .sessions()
        .sign_in(
            "ann@example.com",
            "third password",
            None,
            &from("203.0.113.78"),
        )
        .await
        .unwrap();
    // The same address again is familiar: no mail either.
    platform
        .sessions()
        .sign_in(
            "ann@example.com",
            "third password",
            None,
            &from("203.0.113.77"),
        )
        .await
        .unwrap();
    w.settle().await;
    assert_eq!(
        w.count_to("ann@example.com"),
        before + 1,
        "only the first new address was mailed"
    );
    // Two-factor turned off (with a recovery code: the phone may be gone) is told too.
    let recovery = w.two_factor_on(&caller, "third password").await;
    platform
        .two_factor()
        .disable(&caller, "third password", &recovery[0])
        .await
        .unwrap();
    let off = w
        .mail_to("ann@example.com", "two-factor sign-in was turned off")
        .await;
    well_formed(&off);
    assert!(off.body.contains("/settings/two-factor"), "{}", off.body);
    assert!(!off.raw.contains(&recovery[0]), "no code in the mail");
    // Every mail of the account was sent once, and none is waiting: the queue marks the
    // last one sent just after the mail server took it.
    let started = std::time::Instant::now();
    while platform.outbox().waiting().await.unwrap() > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "mail still waiting in the queue"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_in_indonesian_for_an_owner_who_reads_it() {
    let w = world().await;
    let platform = &w.server.platform;
    let session = w.account("budi@example.com").await;
    let page = reqwest::Client::new()
        .get(w.server.url("/settings/access-tokens?lang=id"))
        .header("cookie", format!("patio_session={session}"))
        .send()
        .await
        .unwrap();
    page.text().await.unwrap();
    platform
        .recovery()
        .forgot("budi@example.com", &from("198.51.100.3"))
        .await
        .unwrap();
    let mail = w.mail_to("budi@example.com", "atur kata sandi baru").await;
    assert!(mail.body.starts_with("Halo,"), "{}", mail.body);
    well_formed(&mail);
}

fn patio(dir: &std::path::Path, database_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(support::patio_bin())
        .args([
            "--database-url",
            database_url,
            "--data-dir",
            &dir.display().to_string(),
        ])
        .args(["--public-url", SERVER, "--log", "warn"])
        .args(args)
        .output()
        .expect("run patio");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_operator_prints_a_reset_link_and_deletes_an_account() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::in_dir(dir.path());
    if let Some(url) = fresh_postgres().await {
        settings.database_url = url;
    }
    let url = settings.database_url.clone();
    let server = server::spawn(settings, Clock::default()).await.unwrap();
    let platform = &server.platform;
    platform
        .accounts()
        .sign_up("ann@example.com", PASSWORD.into(), &Origin::default())
        .await
        .unwrap();
    let (ok, link, _) = patio(
        dir.path(),
        &url,
        &["user", "reset-password", "--email", "ann@example.com"],
    );
    assert!(ok);
    let secret = secret_of(link.trim(), "/reset/");
    platform
        .recovery()
        .reset(
            &secret,
            "set by the operator's link".into(),
            &Origin::default(),
        )
        .await
        .unwrap();
    let reply = support::call(
        &reqwest::Client::new(),
        &server.url(""),
        "users.authentication.Signin",
        &[
            ("login", "ann@example.com"),
            ("password", "set by the operator's link"),
        ],
    )
    .await;
    assert_eq!(reply["result"], 0);
    let session = reply["session"].as_str().unwrap().to_owned();
    let operator: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'password.reset_link' and actor = 'operator'",
    )
    .fetch_one(&platform.db)
    .await
    .unwrap();
    assert_eq!(operator, 1);
    let (ok, out, _) = patio(
        dir.path(),
        &url,
        &["user", "delete", "--email", "ann@example.com"],
    );
    assert!(ok, "{out}");
    // The running server refuses the deleted account's session at once.
    let reply = support::call(
        &reqwest::Client::new(),
        &server.url(""),
        "users.authentication.CheckSign",
        &[("session", &session)],
    )
    .await;
    assert_eq!(reply["result"], 701);
    let (ok, _, err) = patio(
        dir.path(),
        &url,
        &["user", "delete", "--email", "ann@example.com"],
    );
    assert!(!ok && err.contains("no account"), "{err}");
    let deleted: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'account.delete' and actor = 'operator'",
    )
    .fetch_one(&platform.db)
    .await
    .unwrap();
    assert_eq!(deleted, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_password_from_the_mail_still_asks_for_the_second_factor() {
    let w = world().await;
    let platform = &w.server.platform;
    let session = w.account("ann@example.com").await;
    let caller = w.caller(&session, "127.0.0.1").await;
    w.two_factor_on(&caller, PASSWORD).await;

    platform
        .recovery()
        .forgot("ann@example.com", &from("198.51.100.7"))
        .await
        .unwrap();
    let mail = w.mail_to("ann@example.com", "set a new password").await;
    let secret = secret_of(&mail.link(&format!("{SERVER}/reset/")).unwrap(), "/reset/");
    platform
        .recovery()
        .reset(
            &secret,
            "a brand new password".into(),
            &from("198.51.100.7"),
        )
        .await
        .unwrap();
    // The mail gave the password back, not the phone: the code is still asked for.
    let without_code = w.sign_in("ann@example.com", "a brand new password").await;
    assert_eq!(without_code["result"], 704, "{without_code}");
    assert!(without_code.get("session").is_none(), "{without_code}");
    let status = platform
        .two_factor()
        .status(caller.account.id)
        .await
        .unwrap();
    assert!(status.enabled_at.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_account_with_two_factor_takes_a_code_too() {
    let w = world().await;
    let platform = &w.server.platform;
    let session = w.account("ann@example.com").await;
    let caller = w.caller(&session, "127.0.0.1").await;
    let recovery = w.two_factor_on(&caller, PASSWORD).await;
    // The password alone is not enough, and a wrong code neither: nothing is deleted.
    for code in [None, Some("000000")] {
        let refused = platform
            .lifecycle()
            .delete(&caller, PASSWORD, code)
            .await
            .unwrap_err();
        assert_eq!(refused.code().number(), 704, "{code:?}");
    }
    let still = w
        .call("users.authentication.CheckSign", &[("session", &session)])
        .await;
    assert_eq!(still["result"], 0, "{still}");
    // With the password and a code (a recovery code will do), the account goes.
    platform
        .lifecycle()
        .delete(&caller, PASSWORD, Some(&recovery[0]))
        .await
        .unwrap();
    let gone = w
        .call("users.authentication.CheckSign", &[("session", &session)])
        .await;
    assert_eq!(gone["result"], 701, "{gone}");
    w.mail_to("ann@example.com", "account was deleted").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_forgot_requests_is_limited_and_answers_every_email_alike() {
    let w = world().await;
    let platform = &w.server.platform;
    w.account("ann@example.com").await;
    // The same requests for an account and for an unknown email, from one address:
    // the answers (and where the limit falls) are the same.
    let mut answers = Vec::new();
    for email in ["ann@example.com", "ghost@example.com"] {
        let mut seq = Vec::new();
        for _ in 0..6 {
            let answer = platform
                .recovery()
                .forgot(email, &from("198.51.100.20"))
                .await;
            seq.push(answer.map_or_else(|e| e.code().number(), |()| 0));
        }
        answers.push(seq);
    }
    assert_eq!(
        answers[0], answers[1],
        "the account and the unknown email answer alike"
    );
    assert_eq!(answers[0], [0, 0, 0, 703, 703, 703]);
    // A flood from one address is held to the address's limit, whatever the emails.
    let flood = futures::future::join_all((0..40).map(|i| {
        let platform = platform.clone();
        async move {
            platform
                .recovery()
                .forgot(&format!("user{i}@example.com"), &from("198.51.100.21"))
                .await
        }
    }))
    .await;
    let accepted = flood.iter().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 10, "ten from one address in 15 minutes");
    w.settle().await;
    assert_eq!(
        w.count_to("ann@example.com"),
        3,
        "an inbox gets three links at most"
    );

    // Timing: the answer comes before anything is looked up, so an account's email and
    // an unknown one take the same time (each from its own address, under its limits).
    for i in 0..20 {
        w.account(&format!("known{i}@example.com")).await;
    }
    let mut known = Vec::new();
    let mut unknown = Vec::new();
    for i in 0..20 {
        for (list, email) in [
            (&mut known, format!("known{i}@example.com")),
            (&mut unknown, format!("unknown{i}@example.com")),
        ] {
            let started = std::time::Instant::now();
            platform
                .recovery()
                .forgot(&email, &from(&format!("198.51.101.{i}")))
                .await
                .unwrap();
            list.push(started.elapsed());
        }
    }
    known.sort();
    unknown.sort();
    let (k, u) = (known[10], unknown[10]);
    eprintln!("forgot, median of 20: an account's email {k:?}, an unknown email {u:?}");
    let (low, high) = if k < u { (k, u) } else { (u, k) };
    assert!(
        high <= low * 2 + Duration::from_millis(3),
        "the answer's time tells whether the email has an account: {k:?} against {u:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn reset_links_cannot_be_guessed_or_used_twice() {
    let w = world().await;
    let platform = &w.server.platform;
    w.account("ann@example.com").await;
    platform
        .recovery()
        .forgot("ann@example.com", &from("198.51.100.30"))
        .await
        .unwrap();
    let mail = w.mail_to("ann@example.com", "set a new password").await;
    let secret = secret_of(&mail.link(&format!("{SERVER}/reset/")).unwrap(), "/reset/");
    // Guesses from one address: each refused like a used link, then the address is held.
    let mut answers = Vec::new();
    for i in 0..12 {
        let guess = format!("{:0>32}", i);
        let answer = platform
            .recovery()
            .reset(
                &guess,
                "an attacker's password".into(),
                &from("203.0.113.66"),
            )
            .await
            .unwrap_err();
        answers.push(answer.code().number());
    }
    assert_eq!(&answers[..10], &[5; 10]);
    assert_eq!(&answers[10..], &[703, 703]);
    // The real link still works for its owner (another address), once.
    platform
        .recovery()
        .reset(
            &secret,
            "the owner's password".into(),
            &from("198.51.100.30"),
        )
        .await
        .unwrap();
    let replay = platform
        .recovery()
        .reset(
            &secret,
            "an attacker's password".into(),
            &from("198.51.100.31"),
        )
        .await
        .unwrap_err();
    assert_eq!(replay.code().number(), 5);
    assert_eq!(
        w.sign_in("ann@example.com", "the owner's password").await["result"],
        0
    );
}
