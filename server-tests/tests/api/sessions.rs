//! Sessions are answered from memory like tokens: every way a session ends (sign-out,
//! SignoutSessions, sign-out-others, password change, the operator disabling the account,
//! idle and absolute expiry) is seen on the very next request, cache or not.

use domain::accounts::Origin;
use serde_json::Value;

use crate::helpers::{code, spawn_app, TestApp, PASSWORD};

const CHECK: &str = "users.authentication.CheckSign";

impl TestApp {
    /// A new session of an existing account, as the session value.
    async fn new_session(&self, email: &str) -> String {
        self.sign_in(email).await.session
    }

    /// CheckSign's result code with this session.
    async fn check(&self, session: &str) -> i64 {
        code(&self.call_as(session, CHECK, &[]).await)
    }

    /// The session's id, as the domain knows it.
    async fn session_id(&self, session: &str) -> i64 {
        self.server
            .platform
            .sessions()
            .resolve(session)
            .await
            .expect("open")
            .1
    }

    async fn uid(&self, session: &str) -> i64 {
        let r: Value = self
            .call_as(session, "users.account.GetUserInfo", &[])
            .await;
        r["uid"].as_i64().expect("uid")
    }
}

#[tokio::test]
async fn a_cached_session_ends_at_once_whichever_way_it_is_ended() {
    let app = spawn_app().await;
    app.create_account("ann@example.com").await;
    app.create_account("bob@example.com").await;
    let mut ann = Vec::new();
    for _ in 0..5 {
        ann.push(app.new_session("ann@example.com").await);
    }
    let bob = app.new_session("bob@example.com").await;
    for session in ann.iter().chain([&bob]) {
        for _ in 0..2 {
            assert_eq!(app.check(session).await, 0);
        }
    }
    assert_eq!(
        app.server.platform.cached_sessions(),
        6,
        "the checks above are answered from memory"
    );

    // Signout with the session itself.
    let r = app
        .call_as(&ann[0], "users.authentication.Signout", &[])
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(app.check(&ann[0]).await, 701, "signed out, yet still taken");

    // SignoutSessions by id, from another session.
    let id = app.session_id(&ann[1]).await.to_string();
    let r = app
        .call_as(
            &ann[2],
            "users.authentication.SignoutSessions",
            &[("ids", &id)],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(app.check(&ann[1]).await, 701);
    assert_eq!(app.check(&ann[2]).await, 0);

    // Sign out everywhere else (the Sessions tab).
    let uid = app.uid(&ann[2]).await;
    let keep = app.session_id(&ann[2]).await;
    let ended = app
        .server
        .platform
        .sessions()
        .sign_out_others(uid, Some(keep), PASSWORD, &Origin::default())
        .await
        .expect("sign out the others");
    assert_eq!(ended, 2);
    assert_eq!(app.check(&ann[3]).await, 701);
    assert_eq!(app.check(&ann[4]).await, 701);
    assert_eq!(app.check(&ann[2]).await, 0);

    // A password change ends every other session of the account, and only its.
    let other = app.new_session("ann@example.com").await;
    assert_eq!(app.check(&other).await, 0);
    let r = app
        .call_as(
            &ann[2],
            "users.account.ChangePassword",
            &[
                ("oldPassword", PASSWORD),
                ("newPassword", "a new long password"),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(app.check(&other).await, 701);
    assert_eq!(app.check(&ann[2]).await, 0);
    assert_eq!(app.check(&bob).await, 0, "another account's session stays");

    // The operator disables the account.
    let email = domain::accounts::Email::parse("ann@example.com").unwrap();
    app.server
        .platform
        .accounts()
        .set_disabled(&email, true)
        .await
        .expect("disable");
    assert_eq!(app.check(&ann[2]).await, 701);
    assert_eq!(app.check(&bob).await, 0);
}

#[tokio::test]
async fn cached_sessions_still_expire_when_idle_and_after_fourteen_days() {
    let app = spawn_app().await;
    app.create_account("ann@example.com").await;
    let idle = app.new_session("ann@example.com").await;
    assert_eq!(app.check(&idle).await, 0);
    // Each use slides the idle expiry, whether or not it was written yet.
    app.clock.advance(chrono::Duration::hours(23));
    assert_eq!(app.check(&idle).await, 0);
    app.clock.advance(chrono::Duration::hours(23));
    assert_eq!(app.check(&idle).await, 0);
    // The uses reach the database: GetSessions shows the latest (its own, made in the
    // second the call began or the next).
    let before = app.server.platform.now();
    let listed = app
        .call_as(&idle, "users.authentication.GetSessions", &[])
        .await;
    let after = app.server.platform.now();
    let last_used = listed["sessions"][0]["lastUsed"].as_str().unwrap();
    let shown = |at: chrono::DateTime<chrono::Utc>| at.format("%Y-%m-%d %H:%M:%S").to_string();
    assert!(
        [shown(before), shown(after)].contains(&last_used.to_owned()),
        "{last_used} is not between {before} and {after}"
    );
    app.clock
        .advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    assert_eq!(app.check(&idle).await, 701, "idle for a day, yet taken");

    let busy = app.new_session("ann@example.com").await;
    // Used every 20 hours: alive until 14 days after sign-in, however busy.
    for _ in 0..16 {
        app.clock.advance(chrono::Duration::hours(20));
        assert_eq!(app.check(&busy).await, 0);
    }
    app.clock.advance(chrono::Duration::hours(20));
    assert_eq!(app.check(&busy).await, 701, "older than 14 days, yet taken");
}
