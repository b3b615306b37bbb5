use crate::helpers::{code, spawn_app, PASSWORD};

#[tokio::test]
async fn signin_returns_a_session_usable_as_the_session_parameter() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let reply = app
        .call_as(&ann.session, "users.authentication.CheckSign", &[])
        .await;
    assert_eq!(code(&reply), 0, "{reply}");
    assert_eq!(reply["email"], "ann@example.com");
    let info = app
        .get("users.account.GetUserInfo", &[("session", &ann.session)])
        .await;
    assert_eq!(info["email"], "ann@example.com");
}

#[tokio::test]
async fn signin_with_a_wrong_password_returns_702() {
    let app = spawn_app().await;
    app.sign_up("ann@example.com").await;
    let reply = app
        .call(
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", "nope nope")],
        )
        .await;
    assert_eq!(code(&reply), 702);
    let reply = app
        .call(
            "users.authentication.Signin",
            &[("login", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        code(&reply),
        702,
        "unknown emails answer like wrong passwords"
    );
}

#[tokio::test]
async fn signin_is_rate_limited_per_account_with_703() {
    let app = spawn_app().await;
    app.sign_up("ann@example.com").await;
    for _ in 0..5 {
        let r = app
            .call(
                "users.authentication.Signin",
                &[("login", "ann@example.com"), ("password", "wrong-password")],
            )
            .await;
        assert_eq!(code(&r), 702);
    }
    let r = app
        .call(
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(code(&r), 703, "{r}");
    assert!(r["retryAfter"].as_i64().unwrap() > 0);
    app.clock.advance(chrono::Duration::minutes(16));
    let r = app
        .call(
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
}

#[tokio::test]
async fn signout_ends_the_session() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(
        code(
            &app.call_as(&ann.session, "users.authentication.Signout", &[])
                .await
        ),
        0
    );
    assert_eq!(
        code(
            &app.call_as(&ann.session, "users.authentication.CheckSign", &[])
                .await
        ),
        701
    );
}

#[tokio::test]
async fn no_or_unknown_credentials_return_701() {
    let app = spawn_app().await;
    assert_eq!(
        code(&app.call("environment.control.GetEnvs", &[]).await),
        701
    );
    assert_eq!(
        code(&app.call_as("x", "environment.control.GetEnvs", &[]).await),
        701
    );
    let unknown = "a".repeat(40);
    assert_eq!(
        code(
            &app.call_as(&unknown, "environment.control.GetEnvs", &[])
                .await
        ),
        701
    );
}

#[tokio::test]
async fn sessions_expire_when_idle() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    app.clock.advance(chrono::Duration::hours(25));
    assert_eq!(
        code(
            &app.call_as(&ann.session, "users.authentication.CheckSign", &[])
                .await
        ),
        701
    );
}

#[tokio::test]
async fn sessions_are_listed_and_can_be_signed_out_by_id() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let other = app
        .call(
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    let other = other["session"].as_str().unwrap();
    let list = app
        .call_as(&ann.session, "users.authentication.GetSessions", &[])
        .await;
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let not_current = sessions.iter().find(|s| s["current"] == false).unwrap()["id"].to_string();
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.SignoutSessions",
            &[("ids", &not_current)],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(
        code(
            &app.call_as(other, "users.authentication.CheckSign", &[])
                .await
        ),
        701
    );
    assert_eq!(
        code(
            &app.call_as(
                &ann.session,
                "users.authentication.SignoutSessions",
                &[("ids", "999")]
            )
            .await
        ),
        5
    );
}

#[tokio::test]
async fn changing_the_password_signs_out_the_other_sessions() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let other = app
        .call(
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    let other = other["session"].as_str().unwrap();
    let r = app
        .call_as(
            &ann.session,
            "users.account.ChangePassword",
            &[("oldPassword", PASSWORD), ("newPassword", "short")],
        )
        .await;
    assert_eq!(code(&r), 3);
    let r = app
        .call_as(
            &ann.session,
            "users.account.ChangePassword",
            &[
                ("oldPassword", PASSWORD),
                ("newPassword", "a new long password"),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(
        code(
            &app.call_as(other, "users.authentication.CheckSign", &[])
                .await
        ),
        701
    );
    assert_eq!(
        code(
            &app.call_as(&ann.session, "users.authentication.CheckSign", &[])
                .await
        ),
        0
    );
    let r = app
        .call(
            "users.authentication.Signin",
            &[
                ("login", "ann@example.com"),
                ("password", "a new long password"),
            ],
        )
        .await;
    assert_eq!(code(&r), 0);
}

#[tokio::test]
async fn unknown_methods_return_5_and_health_answers() {
    let app = spawn_app().await;
    let r: serde_json::Value = app
        .client
        .get(app.server.url("/1.0/environment/control/rest/explode"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&r), 5);
    let health = app
        .client
        .get(app.server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn dashboard_pages_send_strangers_to_sign_in() {
    let app = spawn_app().await;
    for page in ["/", "/settings/access-tokens"] {
        let r = app.client.get(app.server.url(page)).send().await.unwrap();
        assert_eq!(r.status(), 303, "{page}");
        assert_eq!(r.headers()["location"], "/signin");
    }
    let r = app
        .client
        .get(app.server.url("/signin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("Sign in"));
}

#[tokio::test]
async fn stored_passwords_are_argon2id_with_owasp_parameters() {
    let app = spawn_app().await;
    app.sign_up("ann@example.com").await;
    let hash: String = sqlx::query_scalar("select password_hash from accounts")
        .fetch_one(&app.server.platform.db)
        .await
        .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
}
