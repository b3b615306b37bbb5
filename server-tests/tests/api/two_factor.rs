//! Two-factor sign-in over the API: `Signin` answers 704 without a right, new code;
//! recovery codes work once each; codes are limited like passwords; tokens need no
//! code; the secret is sealed with the key file.

use chrono::Duration;
use domain::accounts::{totp, Origin, RecoveryCodes};
use domain::audit::Actor;
use domain::Caller;
use sqlx::Row;

use crate::helpers::{code, spawn_app, Account, TestApp, PASSWORD};

const SIGNIN: &str = "users.authentication.Signin";

/// The account's session as a dashboard caller.
async fn caller(app: &TestApp, account: &Account) -> Caller {
    let (info, id) = app
        .server
        .platform
        .sessions()
        .resolve(&account.session)
        .await
        .expect("session");
    Caller {
        account: info,
        actor: Actor::Session,
        session_id: Some(id),
        token_id: None,
        scope: None,
        origin: Origin::default(),
    }
}

/// Turns two-factor on as the Two-factor tab does: the secret shown, the app's first
/// code typed. Returns the secret (as shown) and the recovery codes.
async fn enrol(app: &TestApp, account: &Account) -> (String, RecoveryCodes) {
    let caller = caller(app, account).await;
    let platform = &app.server.platform;
    let enrolment = platform
        .two_factor()
        .begin(&caller, PASSWORD)
        .await
        .expect("begin");
    assert!(enrolment.uri.starts_with("otpauth://totp/Patio:"));
    let first = totp(&enrolment.secret, platform.now().timestamp()).expect("code");
    let codes = platform
        .two_factor()
        .enable(&caller, &first)
        .await
        .expect("enable");
    assert_eq!(codes.0.len(), 10);
    // The first code was taken by the enrolment: the next one comes 30 s later.
    app.clock.advance(Duration::seconds(30));
    (enrolment.secret, codes)
}

fn code_now(app: &TestApp, secret: &str) -> String {
    totp(secret, app.server.platform.now().timestamp()).expect("code")
}

/// A code the app will show ten minutes from now: wrong now.
fn code_later(app: &TestApp, secret: &str) -> String {
    totp(secret, app.server.platform.now().timestamp() + 600).expect("code")
}

async fn sign_in(app: &TestApp, code: Option<&str>) -> serde_json::Value {
    let mut params = vec![("login", "ann@example.com"), ("password", PASSWORD)];
    if let Some(code) = code {
        params.push(("code", code));
    }
    app.call(SIGNIN, &params).await
}

async fn actions(app: &TestApp) -> Vec<(String, String)> {
    app.server
        .platform
        .upkeep()
        .flush_pending()
        .await
        .expect("flush");
    sqlx::query("select action, outcome from audit_events order by id")
        .fetch_all(&app.server.platform.db)
        .await
        .expect("audit")
        .iter()
        .map(|r| (r.get("action"), r.get("outcome")))
        .collect()
}

#[tokio::test]
async fn signin_asks_for_a_code_and_takes_each_code_once() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (secret, _) = enrol(&app, &ann).await;

    let reply = sign_in(&app, None).await;
    assert_eq!(code(&reply), 704, "{reply}");
    assert!(reply.get("session").is_none(), "{reply}");
    assert!(reply["error"].as_str().unwrap().contains("code"), "{reply}");

    let reply = sign_in(&app, Some(&code_later(&app, &secret))).await;
    assert_eq!(code(&reply), 704, "a wrong code: {reply}");
    assert!(
        reply["error"].as_str().unwrap().contains("wrong"),
        "{reply}"
    );

    let right = code_now(&app, &secret);
    let reply = sign_in(&app, Some(&right)).await;
    assert_eq!(code(&reply), 0, "{reply}");
    let session = reply["session"].as_str().expect("session");
    let check = app
        .call_as(session, "users.authentication.CheckSign", &[])
        .await;
    assert_eq!(code(&check), 0, "{check}");

    let replayed = sign_in(&app, Some(&right)).await;
    assert_eq!(code(&replayed), 704, "the same code twice: {replayed}");

    // The code of the previous step is still taken; the next one works.
    app.clock.advance(Duration::seconds(30));
    let reply = sign_in(&app, Some(&code_now(&app, &secret))).await;
    assert_eq!(code(&reply), 0, "{reply}");

    // The password is checked first, and a right code does not make up for it.
    app.clock.advance(Duration::seconds(30));
    let reply = app
        .call(
            SIGNIN,
            &[
                ("login", "ann@example.com"),
                ("password", "not the password"),
                ("code", &code_now(&app, &secret)),
            ],
        )
        .await;
    assert_eq!(code(&reply), 702, "{reply}");

    let log = actions(&app).await;
    assert!(
        log.contains(&("twofactor.enable".into(), "ok".into())),
        "{log:?}"
    );
    assert!(
        log.contains(&("twofactor.code".into(), "failed".into())),
        "{log:?}"
    );
}

#[tokio::test]
async fn a_recovery_code_signs_in_once() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, codes) = enrol(&app, &ann).await;
    let first = &codes.0[0];
    // Typed as people copy them: upper-case, with or without the dash, spaces around.
    let reply = sign_in(&app, Some(&format!(" {} ", first.to_uppercase()))).await;
    assert_eq!(code(&reply), 0, "{reply}");
    let again = sign_in(&app, Some(&first.replace('-', ""))).await;
    assert_eq!(code(&again), 704, "a recovery code used twice: {again}");
    let reply = sign_in(&app, Some(&codes.0[1])).await;
    assert_eq!(code(&reply), 0, "{reply}");

    let status = app
        .server
        .platform
        .two_factor()
        .status(caller(&app, &ann).await.account.id)
        .await
        .unwrap();
    assert_eq!(status.recovery_codes_left, 8);
    let used = actions(&app)
        .await
        .into_iter()
        .filter(|(a, _)| a == "twofactor.recovery_used")
        .count();
    assert_eq!(used, 2);

    // Neither a code nor a recovery code: a parameter error, nothing counted.
    let reply = sign_in(&app, Some("hello")).await;
    assert_eq!(code(&reply), 3, "{reply}");
}

#[tokio::test]
async fn tokens_work_without_any_code_on_two_factor_accounts() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, before) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    assert_eq!(code(&app.create_env(&ann.session, "my-project").await), 0);
    enrol(&app, &ann).await;
    // Made after two-factor was on: token changes ask for the password only.
    let (_, after) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    for token in [&before, &after] {
        let reply = app
            .get(
                "environment.control.StopEnv",
                &[("envName", "my-project"), ("session", token)],
            )
            .await;
        assert_eq!(code(&reply), 0, "{reply}");
        let reply = app
            .call_as(
                token,
                "environment.control.StartEnv",
                &[("envName", "my-project")],
            )
            .await;
        assert_eq!(code(&reply), 0, "{reply}");
    }
    // The session opened before two-factor was turned on stays open.
    let reply = app
        .call_as(&ann.session, "users.authentication.CheckSign", &[])
        .await;
    assert_eq!(code(&reply), 0, "{reply}");
}

#[tokio::test]
async fn wrong_codes_are_limited_even_in_a_burst() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (secret, _) = enrol(&app, &ann).await;
    let wrong = code_later(&app, &secret);
    let burst: Vec<_> = (0..20).map(|_| sign_in(&app, Some(&wrong))).collect();
    let replies = futures::future::join_all(burst).await;
    let mut counts = std::collections::BTreeMap::new();
    for reply in &replies {
        *counts.entry(code(reply)).or_insert(0) += 1;
    }
    assert_eq!(counts.get(&704), Some(&5), "{counts:?}");
    assert_eq!(counts.get(&703), Some(&15), "{counts:?}");
    // Now even the right code waits.
    let reply = sign_in(&app, Some(&code_now(&app, &secret))).await;
    assert_eq!(code(&reply), 703, "{reply}");
    app.clock.advance(Duration::minutes(16));
    let reply = sign_in(&app, Some(&code_now(&app, &secret))).await;
    assert_eq!(code(&reply), 0, "{reply}");
}

#[tokio::test]
async fn new_codes_and_turning_off_need_the_password_and_a_code() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (secret, old) = enrol(&app, &ann).await;
    let platform = &app.server.platform;
    let me = caller(&app, &ann).await;

    let e = platform
        .two_factor()
        .new_recovery_codes(&me, "wrong password", &code_now(&app, &secret))
        .await
        .unwrap_err();
    assert_eq!(e.code().number(), 702);
    let e = platform
        .two_factor()
        .new_recovery_codes(&me, PASSWORD, &code_later(&app, &secret))
        .await
        .unwrap_err();
    assert_eq!(e.code().number(), 704);
    let new = platform
        .two_factor()
        .new_recovery_codes(&me, PASSWORD, &code_now(&app, &secret))
        .await
        .expect("new codes");
    assert_eq!(new.0.len(), 10);
    let reply = sign_in(&app, Some(&old.0[0])).await;
    assert_eq!(
        code(&reply),
        704,
        "old recovery codes stop working: {reply}"
    );

    // Setting up again while on is refused, and changes nothing.
    assert!(platform.two_factor().begin(&me, PASSWORD).await.is_err());
    // The phone is gone: a recovery code turns two-factor off.
    platform
        .two_factor()
        .disable(&me, PASSWORD, &new.0[3])
        .await
        .expect("turn off");
    let reply = sign_in(&app, None).await;
    assert_eq!(code(&reply), 0, "password only again: {reply}");
    let status = platform.two_factor().status(me.account.id).await.unwrap();
    assert_eq!(status.enabled_at, None);
    let log = actions(&app).await;
    for action in ["twofactor.recovery_codes", "twofactor.disable"] {
        assert!(
            log.contains(&(action.into(), "ok".into())),
            "{action}: {log:?}"
        );
    }
}

#[tokio::test]
async fn an_unfinished_set_up_asks_for_nothing_until_its_code() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let me = caller(&app, &ann).await;
    let platform = &app.server.platform;
    let first = platform.two_factor().begin(&me, PASSWORD).await.unwrap();
    assert_eq!(code(&sign_in(&app, None).await), 0);
    // Starting again replaces the secret: the first one's codes no longer turn it on.
    let second = platform.two_factor().begin(&me, PASSWORD).await.unwrap();
    assert_ne!(first.secret, second.secret);
    let stale = code_now(&app, &first.secret);
    assert!(platform.two_factor().enable(&me, &stale).await.is_err());
    platform
        .two_factor()
        .enable(&me, &code_now(&app, &second.secret))
        .await
        .expect("enable");
    assert_eq!(code(&sign_in(&app, None).await), 704);
    // A wrong password never shows a secret.
    let e = platform
        .two_factor()
        .begin(&me, "nope nope")
        .await
        .unwrap_err();
    assert_eq!(e.code().number(), 702);
}

#[tokio::test]
async fn the_secret_is_sealed_with_the_key_file() {
    let app = spawn_app().await;
    if app.server.platform.backend != domain::platform::Backend::Sqlite {
        return; // the key file check below starts a second server on the same file
    }
    let ann = app.sign_up("ann@example.com").await;
    let (secret, codes) = enrol(&app, &ann).await;
    let raw = secret.replace(' ', "");
    let stored: String = sqlx::query_scalar("select secret from two_factor")
        .fetch_one(&app.server.platform.db)
        .await
        .unwrap();
    assert!(stored.starts_with("v1."), "{stored}");
    assert!(!stored.contains(&raw) && !stored.to_uppercase().contains(&raw));
    let digests: Vec<Vec<u8>> = sqlx::query_scalar("select digest from recovery_codes")
        .fetch_all(&app.server.platform.db)
        .await
        .unwrap();
    assert_eq!(digests.len(), 10);
    for code in &codes.0 {
        assert!(!digests.iter().any(|d| d == code.as_bytes()));
    }
    let key = std::fs::read_to_string(app.dir.path().join("patio.key")).unwrap();
    assert!(!stored.contains(key.trim()));

    // Another key file: the server refuses to start and says why.
    let mut settings = server::Settings::in_dir(app.dir.path());
    settings.key_file = Some(app.dir.path().join("other.key"));
    let refused = server::spawn(settings, domain::Clock::default())
        .await
        .err()
        .expect("refused");
    assert!(format!("{refused:#}").contains("key file"), "{refused:#}");
}

#[tokio::test]
async fn the_operator_turns_two_factor_off_for_one_account_or_all() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    enrol(&app, &ann).await;
    enrol(&app, &bob).await;
    let platform = &app.server.platform;
    let ann_email = domain::accounts::Email::parse("ann@example.com").unwrap();
    assert_eq!(
        platform.two_factor().reset(Some(&ann_email)).await.unwrap(),
        1
    );
    assert_eq!(
        code(&sign_in(&app, None).await),
        0,
        "ann signs in with her password"
    );
    assert_eq!(
        platform.two_factor().reset(Some(&ann_email)).await.unwrap(),
        0
    );
    let ghost = domain::accounts::Email::parse("ghost@example.com").unwrap();
    assert!(platform.two_factor().reset(Some(&ghost)).await.is_err());
    assert_eq!(platform.two_factor().reset(None).await.unwrap(), 1, "bob's");
    let reply = app
        .call(
            SIGNIN,
            &[("login", "bob@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(code(&reply), 0, "{reply}");
    let log = actions(&app).await;
    let resets = log.iter().filter(|(a, _)| a == "twofactor.reset").count();
    assert_eq!(resets, 2, "{log:?}");
}
