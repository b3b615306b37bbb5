//! Two server replicas on one PostgreSQL database, as behind a load balancer: a token
//! changed through one is refused by the other on the very next request, and sessions,
//! rate limits and last uses are the same whichever replica answers. These tests need
//! `PATIO_TEST_POSTGRES` (`scripts/test` starts a server and sets it); without it they
//! say so and pass, since there is no second replica on SQLite.

use std::time::{Duration, Instant};

use domain::Clock;
use serde_json::Value;
use server::{Settings, Spawned};

use crate::helpers::{code, fresh_postgres, path, Account, TestApp, PASSWORD};

/// Replica A (with the test's helpers) and replica B, on one fresh database.
async fn two_replicas() -> Option<(TestApp, Spawned)> {
    let Some(url) = fresh_postgres().await else {
        eprintln!("skipped: PATIO_TEST_POSTGRES is not set, so there is no shared database");
        return None;
    };
    let clock = Clock::default();
    let dir = tempfile::tempdir().expect("temp dir");
    let start = |sub: &str| {
        let mut settings = Settings::in_dir(&dir.path().join(sub));
        settings.database_url = url.clone();
        server::spawn(settings, clock.clone())
    };
    let a = start("a").await.expect("start replica A");
    let b = start("b").await.expect("start replica B");
    // Until B hears about changes it does not use its cache at all; wait for it to listen,
    // so the test shows the cache working, not the cache switched off.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !b.platform.follows_token_changes() {
        assert!(
            Instant::now() < deadline,
            "replica B never started listening"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    Some((
        TestApp {
            server: a,
            clock,
            client,
            dir,
        },
        b,
    ))
}

impl TestApp {
    /// A call to replica `to` with `session` set to `credential`.
    async fn call_on(
        &self,
        to: &Spawned,
        credential: &str,
        method: &str,
        params: &[(&str, &str)],
    ) -> Value {
        let mut all = vec![("session", credential)];
        all.extend_from_slice(params);
        crate::support::call(&self.client, &to.url(""), method, &all).await
    }
}

const INFO: &str = "environment.control.GetEnvInfo";

#[tokio::test]
async fn a_token_changed_through_one_replica_is_refused_by_the_other_at_once() {
    let Some((app, b)) = two_replicas().await else {
        return;
    };
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(code(&app.create_env(&ann.session, "shop").await), 0);
    let env = [("envName", "shop")];
    let (id, mut value) = app.create_token(&ann, &[("apiList", INFO)]).await;
    let id = id.to_string();

    const ROUNDS: usize = 30;
    for round in 0..ROUNDS {
        // B verifies the value once from the database, then serves it from memory.
        for _ in 0..3 {
            let r = app.call_on(&b, &value, INFO, &env).await;
            assert_eq!(code(&r), 0, "round {round}: {r}");
        }
        assert_eq!(b.platform.cached_tokens(), 1, "round {round}: B caches it");

        let r = app
            .confirmed(&ann, "users.authentication.RegenerateToken", &[("id", &id)])
            .await;
        assert_eq!(code(&r), 0, "round {round}: {r}");
        let fresh = r["token"]["key"].as_str().unwrap().to_owned();
        // The very next request to B, with the value A just replaced.
        let old = app.call_on(&b, &value, INFO, &env).await;
        assert_eq!(code(&old), 701, "round {round}: B still took the old value");
        value = fresh;
    }

    assert_eq!(code(&app.call_on(&b, &value, INFO, &env).await), 0);
    assert_eq!(b.platform.cached_tokens(), 1);
    let r = app
        .confirmed(&ann, "users.authentication.DeleteTokens", &[("ids", &id)])
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let gone = app.call_on(&b, &value, INFO, &env).await;
    assert_eq!(code(&gone), 701, "B still took a removed token");
    eprintln!(
        "{ROUNDS} regenerations and 1 removal through A: every next request to B refused the old value"
    );
    b.stop().await.unwrap();
}

#[tokio::test]
async fn an_edit_through_one_replica_narrows_the_token_on_the_other() {
    let Some((app, b)) = two_replicas().await else {
        return;
    };
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(code(&app.create_env(&ann.session, "shop").await), 0);
    let (id, value) = app
        .create_token(&ann, &[("tokenTemplate", "ide-plugins")])
        .await;
    let stop = [("envName", "shop")];
    let r = app.call_on(&b, &value, INFO, &stop).await;
    assert_eq!(code(&r), 0, "{r}");
    let r = app
        .confirmed(
            &ann,
            "users.authentication.EditToken",
            &[
                ("id", &id.to_string()),
                ("apiList", "environment.control.GetEnvs"),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let r = app.call_on(&b, &value, INFO, &stop).await;
    assert_eq!(code(&r), 8202, "B must apply A's edit at once: {r}");
    b.stop().await.unwrap();
}

#[tokio::test]
async fn a_scope_narrowed_through_one_replica_holds_on_the_other_at_once() {
    let Some((app, b)) = two_replicas().await else {
        return;
    };
    let ann = app.sign_up("ann@example.com").await;
    for name in ["shop", "blog"] {
        assert_eq!(code(&app.create_env(&ann.session, name).await), 0);
    }
    let (id, value) = app
        .create_token(&ann, &[("tokenTemplate", "ide-plugins")])
        .await;
    let id = id.to_string();
    for round in 0..10 {
        // B caches the token reaching both, then A limits it to one of them.
        for env in ["shop", "blog"] {
            let r = app.call_on(&b, &value, INFO, &[("envName", env)]).await;
            assert_eq!(code(&r), 0, "round {round}, {env}: {r}");
        }
        assert_eq!(b.platform.cached_tokens(), 1, "round {round}: B caches it");
        let r = app
            .confirmed(
                &ann,
                "users.authentication.EditToken",
                &[("id", &id), ("envNames", "shop")],
            )
            .await;
        assert_eq!(code(&r), 0, "round {round}: {r}");
        let refused = app.call_on(&b, &value, INFO, &[("envName", "blog")]).await;
        assert_eq!(
            code(&refused),
            8202,
            "round {round}: B still reached blog: {refused}"
        );
        let r = app
            .confirmed(
                &ann,
                "users.authentication.EditToken",
                &[("id", &id), ("envNames", "*")],
            )
            .await;
        assert_eq!(code(&r), 0, "round {round}: {r}");
    }
    // An environment deleted through A and made again under its name is not in the
    // scope on B either.
    let r = app
        .confirmed(
            &ann,
            "users.authentication.EditToken",
            &[("id", &id), ("envNames", "shop")],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(
        code(&app.call_on(&b, &value, INFO, &[("envName", "shop")]).await),
        0
    );
    let r = app
        .confirmed(
            &ann,
            "environment.control.DeleteEnv",
            &[("envName", "shop")],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(code(&app.create_env(&ann.session, "shop").await), 0);
    let r = app.call_on(&b, &value, INFO, &[("envName", "shop")]).await;
    assert_eq!(
        code(&r),
        8202,
        "B let the token reach a new environment by an old name: {r}"
    );
    b.stop().await.unwrap();
}

#[tokio::test]
async fn an_account_deleted_through_one_replica_is_refused_by_the_other_at_once() {
    let Some((app, b)) = two_replicas().await else {
        return;
    };
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(code(&app.create_env(&ann.session, "shop").await), 0);
    let (_, value) = app.create_token(&ann, &[("apiList", INFO)]).await;
    let env = [("envName", "shop")];
    // B has the token and the session in memory.
    assert_eq!(code(&app.call_on(&b, &value, INFO, &env).await), 0);
    assert_eq!(code(&app.call_on(&b, &ann.session, INFO, &env).await), 0);
    let caller = app
        .server
        .platform
        .access()
        .authorize(
            Some(&ann.session.clone().into()),
            domain::access::Purpose::Dashboard,
            Default::default(),
        )
        .await
        .unwrap()
        .unwrap();
    app.server
        .platform
        .lifecycle()
        .delete(&caller, PASSWORD, None)
        .await
        .unwrap();
    // The very next requests to B.
    assert_eq!(code(&app.call_on(&b, &value, INFO, &env).await), 701);
    assert_eq!(code(&app.call_on(&b, &ann.session, INFO, &env).await), 701);
    b.stop().await.unwrap();
}

#[tokio::test]
async fn sessions_rate_limits_and_last_uses_are_shared_by_the_replicas() {
    let Some((app, b)) = two_replicas().await else {
        return;
    };
    let ann: Account = app.sign_up("ann@example.com").await;
    // A session opened on A works on B, and signing out on B ends it on A.
    let r = app
        .call_on(&b, &ann.session, "users.authentication.CheckSign", &[])
        .await;
    assert_eq!(code(&r), 0, "{r}");

    // Last use: a token used only through B shows on A, once B has written it (B writes
    // its uses every second by itself).
    assert_eq!(code(&app.create_env(&ann.session, "shop").await), 0);
    let (_, value) = app.create_token(&ann, &[("apiList", INFO)]).await;
    let r = app.call_on(&b, &value, INFO, &[("envName", "shop")]).await;
    assert_eq!(code(&r), 0, "{r}");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let tokens = app
            .call_as(&ann.session, "users.authentication.GetTokens", &[])
            .await;
        if !tokens["apiTokens"][0]["lastUsed"].is_null() {
            assert_eq!(tokens["apiTokens"][0]["lastUsedIp"], "127.0.0.1");
            break;
        }
        assert!(Instant::now() < deadline, "A never saw B's use: {tokens}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let r = app
        .call_on(&b, &ann.session, "users.authentication.Signout", &[])
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let r = app
        .call_as(&ann.session, "users.authentication.CheckSign", &[])
        .await;
    assert_eq!(code(&r), 701, "A still took a session ended on B: {r}");

    // Five wrong passwords, spread over both replicas, lock the account on both.
    let signin = |to: &'static str, password: &'static str| {
        let (app, b) = (&app, &b);
        async move {
            let url = match to {
                "a" => app.server.url(&path("users.authentication.Signin")),
                _ => b.url(&path("users.authentication.Signin")),
            };
            let reply: Value = app
                .client
                .post(url)
                .form(&[("login", "ann@example.com"), ("password", password)])
                .send()
                .await
                .expect("send")
                .json()
                .await
                .expect("json");
            code(&reply)
        }
    };
    for to in ["a", "b", "a", "b", "a"] {
        assert_eq!(signin(to, "wrong password").await, 702);
    }
    assert_eq!(
        signin("b", PASSWORD).await,
        703,
        "B must count A's failures"
    );
    assert_eq!(signin("a", PASSWORD).await, 703);
    b.stop().await.unwrap();
}

#[tokio::test]
async fn a_disabled_account_is_refused_by_every_replica_at_once() {
    let Some((app, b)) = two_replicas().await else {
        return;
    };
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(code(&app.create_env(&ann.session, "shop").await), 0);
    let env = [("envName", "shop")];
    let (_, token) = app.create_token(&ann, &[("apiList", INFO)]).await;
    for _ in 0..3 {
        assert_eq!(code(&app.call_on(&b, &token, INFO, &env).await), 0);
    }
    assert_eq!(b.platform.cached_tokens(), 1, "B answers from its cache");
    assert_eq!(code(&app.call_on(&b, &ann.session, INFO, &env).await), 0);

    // The operator disables the account through A (as `patio user disable` does).
    let email = domain::accounts::Email::parse("ann@example.com").unwrap();
    app.server
        .platform
        .accounts()
        .set_disabled(&email, true)
        .await
        .unwrap();
    let token_on_b = app.call_on(&b, &token, INFO, &env).await;
    assert_eq!(
        code(&token_on_b),
        701,
        "B still took the token: {token_on_b}"
    );
    assert_eq!(code(&app.call_on(&b, &ann.session, INFO, &env).await), 701);
    let signin = app
        .call(
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(code(&signin), 701);
    assert!(
        signin["error"].as_str().unwrap().contains("disabled"),
        "{signin}"
    );

    // Revoking every token through A, after enabling again, is just as immediate.
    app.server
        .platform
        .accounts()
        .set_disabled(&email, false)
        .await
        .unwrap();
    assert_eq!(code(&app.call_on(&b, &token, INFO, &env).await), 0);
    let revoked = app
        .server
        .platform
        .accounts()
        .revoke_tokens_of(&email)
        .await
        .unwrap();
    assert_eq!(revoked, 1);
    assert_eq!(code(&app.call_on(&b, &token, INFO, &env).await), 701);
    b.stop().await.unwrap();
}

#[tokio::test]
async fn a_session_ended_through_one_replica_is_refused_by_the_other_at_once() {
    let Some((app, b)) = two_replicas().await else {
        return;
    };
    const CHECK: &str = "users.authentication.CheckSign";
    app.create_account("ann@example.com").await;
    let keeper = app.sign_in("ann@example.com").await.session;

    const ROUNDS: usize = 10;
    for round in 0..ROUNDS {
        let session = app.sign_in("ann@example.com").await.session;
        // B reads the session once, then answers from memory.
        for _ in 0..3 {
            let r = app.call_on(&b, &session, CHECK, &[]).await;
            assert_eq!(code(&r), 0, "round {round}: {r}");
        }
        assert!(
            b.platform.cached_sessions() >= 1,
            "round {round}: B caches it"
        );
        // Ended through A, alternately by Signout and by SignoutSessions from another.
        let r = if round % 2 == 0 {
            app.call_as(&session, "users.authentication.Signout", &[])
                .await
        } else {
            let id = app
                .server
                .platform
                .sessions()
                .resolve(&session)
                .await
                .unwrap()
                .1;
            app.call_as(
                &keeper,
                "users.authentication.SignoutSessions",
                &[("ids", &id.to_string())],
            )
            .await
        };
        assert_eq!(code(&r), 0, "round {round}: {r}");
        let r = app.call_on(&b, &session, CHECK, &[]).await;
        assert_eq!(
            code(&r),
            701,
            "round {round}: B still took an ended session"
        );
    }

    // A password change through A ends the other sessions on B at once.
    let other = app.sign_in("ann@example.com").await.session;
    assert_eq!(code(&app.call_on(&b, &other, CHECK, &[]).await), 0);
    assert_eq!(code(&app.call_on(&b, &keeper, CHECK, &[]).await), 0);
    let r = app
        .call_as(
            &keeper,
            "users.account.ChangePassword",
            &[
                ("oldPassword", PASSWORD),
                ("newPassword", "a new long password"),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(code(&app.call_on(&b, &other, CHECK, &[]).await), 701);
    assert_eq!(code(&app.call_on(&b, &keeper, CHECK, &[]).await), 0);
    eprintln!("{ROUNDS} sign-outs and a password change through A: B refused each at once");
    b.stop().await.unwrap();
}

#[tokio::test]
async fn an_environment_changed_through_one_replica_shows_on_the_other_at_once() {
    let Some((app, b)) = two_replicas().await else {
        return;
    };
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(code(&app.create_env(&ann.session, "shop").await), 0);
    let env = [("envName", "shop")];
    let status_on_b = || async {
        let r = app.call_on(&b, &ann.session, INFO, &env).await;
        assert_eq!(code(&r), 0, "{r}");
        r["env"]["status"].as_i64().unwrap()
    };
    let running = status_on_b().await;
    for round in 0..6 {
        let (method, want_running) = if round % 2 == 0 {
            ("environment.control.StopEnv", false)
        } else {
            ("environment.control.StartEnv", true)
        };
        // B answers from memory, then A changes the environment.
        assert_eq!(status_on_b().await == running, !want_running);
        let r = app.call_as(&ann.session, method, &env).await;
        assert_eq!(code(&r), 0, "round {round}: {r}");
        assert_eq!(
            status_on_b().await == running,
            want_running,
            "round {round}: B showed the status from before {method}"
        );
    }
    let r = app
        .call_as(
            &ann.session,
            "environment.control.DeployApp",
            &[
                ("envName", "shop"),
                ("fileUrl", "https://example.com/app.war"),
                ("fileName", "app.war"),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let info = app.call_on(&b, &ann.session, INFO, &env).await;
    assert!(
        info.to_string().contains("app.war"),
        "B missed the deployment: {info}"
    );
    let r = app
        .confirmed(&ann, "environment.control.DeleteEnv", &env)
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(code(&app.call_on(&b, &ann.session, INFO, &env).await), 11);
    b.stop().await.unwrap();
}
