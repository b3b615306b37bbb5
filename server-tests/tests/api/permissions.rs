//! Every method × every kind of credential: the exact answer a caller gets.

use domain::catalogue::{self, Access, ApiSet};

use crate::helpers::{code, spawn_app, PASSWORD};

#[derive(Debug)]
enum Expect {
    /// The method ran (and answered about its parameters, not the credential).
    Runs,
    Denied,
    NotAuthenticated,
}

#[tokio::test]
async fn every_method_answers_every_credential_as_the_contract_says() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let mut tokens = Vec::new();
    for set in ApiSet::PREDEFINED {
        let (_, key) = app
            .create_token(&ann, &[("tokenTemplate", set.key())])
            .await;
        tokens.push((
            format!("{} token", set.name()),
            key,
            Some((set, Vec::<String>::new())),
        ));
    }
    let custom = vec![
        "environment.control.StopEnv".to_string(),
        "storage.uploader.Upload".to_string(),
    ];
    let (_, key) = app
        .create_token(&ann, &[("apiList", &custom.join(","))])
        .await;
    tokens.push(("Custom token".into(), key, Some((ApiSet::Custom, custom))));

    let tomorrow = (app.clock.now() + chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let (_, expired) = app
        .create_token(
            &ann,
            &[
                ("tokenTemplate", "extended-access"),
                ("expiresAt", &tomorrow),
            ],
        )
        .await;
    let (removed_id, removed) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    let (regen_id, regenerated_away) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.DeleteTokens",
            &[("password", PASSWORD), ("ids", &removed_id.to_string())],
        )
        .await;
    assert_eq!(code(&r), 0);
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.RegenerateToken",
            &[("password", PASSWORD), ("id", &regen_id.to_string())],
        )
        .await;
    assert_eq!(code(&r), 0);
    let bob = app.sign_up("bob@example.com").await;
    let (_, bobs) = app
        .create_token(&bob, &[("tokenTemplate", "extended-access")])
        .await;
    app.clock.advance(chrono::Duration::days(2));
    for (label, key) in [
        ("expired token", expired),
        ("removed token", removed),
        ("regenerated-away token", regenerated_away),
    ] {
        tokens.push((label.into(), key, None));
    }
    tokens.push((
        "another account's token".into(),
        bobs,
        Some((ApiSet::ExtendedAccess, Vec::new())),
    ));

    let mut checked = 0;
    for method in catalogue::methods() {
        // No credential.
        let expect = if method.access == Access::Public {
            Expect::Runs
        } else {
            Expect::NotAuthenticated
        };
        assert_answer(
            &app.call(method.id, &[]).await,
            &expect,
            method.id,
            "no credential",
        );
        checked += 1;
        // A fresh session each time, since some methods end the one they are given.
        let session = app
            .call(
                "users.authentication.Signin",
                &[("login", "ann@example.com"), ("password", PASSWORD)],
            )
            .await;
        let session = session["session"].as_str().unwrap().to_owned();
        assert_answer(
            &app.call_as(&session, method.id, &[]).await,
            &Expect::Runs,
            method.id,
            "session",
        );
        checked += 1;
        for (label, key, grant) in &tokens {
            let expect = match grant {
                _ if method.access == Access::Public => Expect::Runs,
                None => Expect::NotAuthenticated,
                Some(_) if method.access == Access::Own => Expect::Runs,
                Some((set, custom)) if set.allows(custom, method) => Expect::Runs,
                Some(_) => Expect::Denied,
            };
            assert_answer(
                &app.call_as(key, method.id, &[]).await,
                &expect,
                method.id,
                label,
            );
            checked += 1;
        }
    }
    assert_eq!(checked, catalogue::methods().len() * (2 + tokens.len()));
    println!(
        "authorisation matrix: {} methods × {} credential kinds = {checked} calls",
        catalogue::methods().len(),
        2 + tokens.len()
    );
}

fn assert_answer(reply: &serde_json::Value, expect: &Expect, method: &str, who: &str) {
    let got = code(reply);
    match expect {
        Expect::Runs => assert!(![701, 8202].contains(&got), "{method} with {who}: {reply}"),
        Expect::Denied => {
            assert_eq!(got, 8202, "{method} with {who}: {reply}");
            assert_eq!(
                reply["error"],
                format!("Permission denied, required permissions: {method}")
            );
        }
        Expect::NotAuthenticated => assert_eq!(got, 701, "{method} with {who}: {reply}"),
    }
}
