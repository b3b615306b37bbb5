//! Passkey ceremonies against a software authenticator (`authenticator::Passkey`, user
//! verification on): adding a passkey after the password, signing in with it alone (on
//! an account with two-factor too), a ceremony begun on one replica and finished on
//! another, each ceremony used once, the sign counter held, removal at once, the limit
//! on failed assertions, and the operator's commands. On SQLite, and on PostgreSQL when
//! `PATIO_TEST_POSTGRES` names a server.

use domain::accounts::Origin;
use domain::passkeys::Ceremony;
use domain::{Caller, Clock, Platform};
use server::{Settings, Spawned};
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};
use webauthn_rs_proto::{ResidentKeyRequirement, UserVerificationPolicy};

mod authenticator;
use authenticator::Passkey;
#[path = "../support/mod.rs"]
mod support;
use support::{fresh_postgres, PASSWORD};

const ORIGIN: &str = "https://patio.test";

async fn server() -> (Spawned, Settings, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::in_dir(dir.path());
    if let Some(url) = fresh_postgres().await {
        settings.database_url = url;
    }
    settings.public_url = Some(ORIGIN.into());
    let server = server::spawn(settings.clone(), Clock::default())
        .await
        .unwrap();
    (server, settings, dir)
}

fn from(ip: &str) -> Origin {
    Origin {
        ip: Some(ip.into()),
        user_agent: Some("Chromium (test)".into()),
    }
}

async fn account(platform: &Platform, email: &str) -> Caller {
    platform
        .accounts()
        .sign_up(email, PASSWORD.into(), &Origin::default())
        .await
        .unwrap();
    let session = platform
        .sessions()
        .sign_in(email, PASSWORD, None, &from("192.0.2.1"))
        .await
        .unwrap();
    platform
        .access()
        .authorize(
            Some(&session.value),
            domain::access::Purpose::Dashboard,
            from("192.0.2.1"),
        )
        .await
        .unwrap()
        .unwrap()
}

/// Adds a passkey through the ceremony; returns its stored id and the authenticator.
async fn add(platform: &Platform, caller: &Caller, name: &str) -> (i64, Passkey) {
    let ceremony = platform
        .passkeys()
        .begin_registration(caller, PASSWORD)
        .await
        .unwrap();
    asks_for_a_verified_discoverable_key(&ceremony);
    let (device, answer) = Passkey::register(ORIGIN, &ceremony.options);
    let added = platform
        .passkeys()
        .finish_registration(caller, &ceremony.id, &answer, name)
        .await
        .unwrap();
    assert_eq!(added.name, name);
    (added.id, device)
}

fn asks_for_a_verified_discoverable_key(ceremony: &Ceremony) {
    let options: CreationChallengeResponse = serde_json::from_str(&ceremony.options).unwrap();
    let selection = options.public_key.authenticator_selection.unwrap();
    assert_eq!(
        selection.resident_key,
        Some(ResidentKeyRequirement::Required)
    );
    assert!(matches!(
        selection.user_verification,
        UserVerificationPolicy::Required
    ));
}

/// A sign-in ceremony answered by the authenticator as a discoverable key answers it
/// (naming the credential and an account's handle itself): the account it was made for,
/// unless `handle` names another.
async fn assertion(
    platform: &Platform,
    device: &mut Passkey,
    handle: Option<&str>,
) -> (String, String) {
    let ceremony = platform.passkeys().begin_sign_in().await.unwrap();
    let options: RequestChallengeResponse = serde_json::from_str(&ceremony.options).unwrap();
    assert!(
        options.public_key.allow_credentials.is_empty(),
        "no email: no list of keys"
    );
    assert!(
        options.mediation.is_none(),
        "asked for at once, not by autofill"
    );
    let handle = handle.map_or_else(|| device.user_handle.clone(), handle_bytes);
    let answer = device.sign_in(ORIGIN, &ceremony.options, &handle);
    (ceremony.id, answer)
}

/// An account's passkey handle (a UUID) as a browser sends it: its 16 bytes, base64url.
fn handle_bytes(handle: &str) -> String {
    data_encoding::BASE64URL_NOPAD.encode(
        webauthn_rs::prelude::Uuid::parse_str(handle)
            .unwrap()
            .as_bytes(),
    )
}

async fn handle_of(platform: &Platform, account_id: i64) -> String {
    sqlx::query_scalar("select passkey_handle from accounts where id = $1")
        .bind(account_id)
        .fetch_one(&platform.db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_passkey_is_added_after_the_password_and_signs_in_alone() {
    let (server, _settings, _dir) = server().await;
    let platform = &server.platform;
    let ann = account(platform, "ann@example.com").await;
    let wrong = platform
        .passkeys()
        .begin_registration(&ann, "not the password")
        .await
        .unwrap_err();
    assert_eq!(wrong.code().number(), 702);
    let (id, mut device) = add(platform, &ann, "Work laptop").await;
    // The creation options named the account by its handle, which the key keeps and
    // sends back at sign-in.
    let handle = handle_of(platform, ann.account.id).await;
    assert_eq!(device.user_handle, handle_bytes(&handle));

    // Public keys only: the stored credential holds the key's public coordinates.
    let stored: String = sqlx::query_scalar("select credential from passkeys where id = $1")
        .bind(id)
        .fetch_one(&platform.db)
        .await
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&stored).unwrap();
    let key = &value["cred"]["cred"]["key"]["EC_EC2"];
    assert!(key["x"].is_string() && key["y"].is_string(), "{stored}");
    assert!(
        key.get("d").is_none() && !stored.contains("private"),
        "{stored}"
    );

    let (ceremony, answer) = assertion(platform, &mut device, None).await;
    let session = platform
        .passkeys()
        .finish_sign_in(&ceremony, &answer, &from("192.0.2.1"))
        .await
        .unwrap();
    let (account, _) = platform
        .sessions()
        .resolve(secrecy::ExposeSecret::expose_secret(&session.value))
        .await
        .unwrap();
    assert_eq!(account.email, "ann@example.com");
    // A ceremony works once.
    let replay = platform
        .passkeys()
        .finish_sign_in(&ceremony, &answer, &from("192.0.2.1"))
        .await
        .unwrap_err();
    assert_eq!(replay.code().number(), 3, "{replay}");
    let view = platform.passkeys().view(ann.account.id).await.unwrap();
    assert!(view.unavailable.is_none());
    assert!(view.passkeys[0].last_used_at.is_some());
    let log: Vec<(String, String)> = sqlx::query_as(
        "select action, actor from audit_events where account_id = $1 and action in ('passkey.add', 'signin') order by id",
    )
    .bind(ann.account.id)
    .fetch_all(&platform.db)
    .await
    .unwrap();
    assert_eq!(
        log.last().unwrap(),
        &("signin".to_owned(), "passkey".to_owned())
    );
    assert!(log.iter().any(|(a, _)| a == "passkey.add"));

    // Rename, then remove: the next sign-in with it is refused.
    platform
        .passkeys()
        .rename(&ann, id, "Old laptop")
        .await
        .unwrap();
    assert_eq!(
        platform
            .passkeys()
            .view(ann.account.id)
            .await
            .unwrap()
            .passkeys[0]
            .name,
        "Old laptop"
    );
    platform
        .passkeys()
        .remove(&ann, PASSWORD, id)
        .await
        .unwrap();
    let (ceremony, answer) = assertion(platform, &mut device, None).await;
    let refused = platform
        .passkeys()
        .finish_sign_in(&ceremony, &answer, &from("192.0.2.1"))
        .await
        .unwrap_err();
    assert_eq!(refused.code().number(), 702);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_passkey_counts_as_both_factors_and_its_counter_is_held() {
    let (server, _settings, _dir) = server().await;
    let platform = &server.platform;
    let ann = account(platform, "ann@example.com").await;
    // Two-factor on: the password alone no longer signs in.
    let enrolment = platform.two_factor().begin(&ann, PASSWORD).await.unwrap();
    let code = domain::accounts::totp(&enrolment.secret, platform.now().timestamp()).unwrap();
    platform.two_factor().enable(&ann, &code).await.unwrap();
    let without_code = platform
        .sessions()
        .sign_in("ann@example.com", PASSWORD, None, &from("192.0.2.1"))
        .await
        .unwrap_err();
    assert_eq!(without_code.code().number(), 704);
    let (id, mut device) = add(platform, &ann, "Phone").await;
    let (ceremony, answer) = assertion(platform, &mut device, None).await;
    platform
        .passkeys()
        .finish_sign_in(&ceremony, &answer, &from("192.0.2.1"))
        .await
        .expect("a verified passkey is both factors");

    // A device key's counter only goes up: a stored counter ahead of the device's (a
    // cloned key answering) is refused.
    let stored: String = sqlx::query_scalar("select credential from passkeys where id = $1")
        .bind(id)
        .fetch_one(&platform.db)
        .await
        .unwrap();
    let mut value: serde_json::Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(
        value["cred"]["counter"], 1,
        "the first use's counter is kept"
    );
    value["cred"]["counter"] = 100.into();
    sqlx::query("update passkeys set credential = $1 where id = $2")
        .bind(value.to_string())
        .bind(id)
        .execute(&platform.db)
        .await
        .unwrap();
    let (ceremony, answer) = assertion(platform, &mut device, None).await;
    let cloned = platform
        .passkeys()
        .finish_sign_in(&ceremony, &answer, &from("192.0.2.1"))
        .await
        .unwrap_err();
    assert_eq!(cloned.code().number(), 702);

    // The operator's reset of two-factor leaves passkeys alone; remove-passkeys removes them.
    platform
        .two_factor()
        .reset(Some(
            &domain::accounts::Email::parse("ann@example.com").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(
        platform
            .passkeys()
            .view(ann.account.id)
            .await
            .unwrap()
            .passkeys
            .len(),
        1
    );
    let removed = platform
        .passkeys()
        .remove_all(&domain::accounts::Email::parse("ann@example.com").unwrap())
        .await
        .unwrap();
    assert_eq!(removed, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_ceremony_begun_on_one_replica_is_finished_on_another() {
    let (server, settings, _dir) = server().await;
    let a = &server.platform;
    // A second replica on the same database (its own process memory, nothing shared
    // but the database).
    let b = server::platform(&settings, Clock::default(), server.addr)
        .await
        .unwrap();
    let ann = account(a, "ann@example.com").await;
    let ceremony = a
        .passkeys()
        .begin_registration(&ann, PASSWORD)
        .await
        .unwrap();
    let (mut device, answer) = Passkey::register(ORIGIN, &ceremony.options);
    b.passkeys()
        .finish_registration(&ann, &ceremony.id, &answer, "Laptop")
        .await
        .unwrap();
    let (ceremony, answer) = assertion(&b, &mut device, None).await;
    a.passkeys()
        .finish_sign_in(&ceremony, &answer, &from("192.0.2.1"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn failed_assertions_are_limited_by_address_and_nothing_is_told() {
    let (server, _settings, _dir) = server().await;
    let platform = &server.platform;
    let ann = account(platform, "ann@example.com").await;
    let (_, mut device) = add(platform, &ann, "Laptop").await;
    // An answer naming another account's handle: refused like any bad assertion.
    let (ceremony, answer) = assertion(
        platform,
        &mut device,
        Some("00000000-0000-4000-8000-000000000000"),
    )
    .await;
    let wrong_account = platform
        .passkeys()
        .finish_sign_in(&ceremony, &answer, &from("203.0.113.9"))
        .await
        .unwrap_err();
    assert_eq!(wrong_account.code().number(), 702);
    let mut codes = Vec::new();
    for _ in 0..21 {
        let ceremony = platform.passkeys().begin_sign_in().await.unwrap();
        let answer = platform
            .passkeys()
            .finish_sign_in(&ceremony.id, &answer, &from("203.0.113.9"))
            .await
            .unwrap_err();
        codes.push(answer.code().number());
    }
    assert!(codes[..19].iter().all(|c| *c == 702), "{codes:?}");
    assert_eq!(codes[19..], [703, 703], "{codes:?}");
    // Another address is not held back.
    let (ceremony, answer) = assertion(platform, &mut device, None).await;
    platform
        .passkeys()
        .finish_sign_in(&ceremony, &answer, &from("198.51.100.1"))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_reached_by_an_address_says_why_it_has_no_passkeys() {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::in_dir(dir.path());
    let server = server::spawn(settings, Clock::default()).await.unwrap();
    let ann = account(&server.platform, "ann@example.com").await;
    let view = server
        .platform
        .passkeys()
        .view(ann.account.id)
        .await
        .unwrap();
    assert!(view.unavailable.unwrap().contains("--public-url"));
    assert!(!server.platform.passkeys().available());
    let refused = server
        .platform
        .passkeys()
        .begin_sign_in()
        .await
        .unwrap_err();
    assert_eq!(refused.code().number(), 3);
}
