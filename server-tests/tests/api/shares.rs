//! One-time share links through the dashboard's server functions, as the reveal dialog
//! and the `/share/<id>` page call them: the server stores only the ciphertext, hands it
//! out once and deletes it, and only the session that was just shown the value may make
//! a link of it.

use serde_json::Value;
use sqlx::Row;

use crate::helpers::{code, spawn_app, Account, TestApp};

/// What a browser would send: nonce and AES-GCM ciphertext of a token value, 72 bytes
/// in base64url. The server cannot tell it from random bytes, which is the point.
fn sealed(seed: u8) -> (Vec<u8>, String) {
    let bytes: Vec<u8> = (0..72u8)
        .map(|i| i.wrapping_mul(31).wrapping_add(seed))
        .collect();
    let text = domain::shares::encode(&bytes);
    (bytes, text)
}

/// The key a browser would keep in the fragment; it never travels.
const KEY_IN_FRAGMENT: &str = "q0v4QkqVZ7ZbRr8r3gT5mXjTq1YwzW2u5m8tVq3y9aE";

impl TestApp {
    /// A server function with the account's session cookie, from the page's origin.
    async fn share_fn(
        &self,
        account: Option<&Account>,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        let mut request = self
            .client
            .post(self.server.url(&format!("/api/{endpoint}")))
            .header("sec-fetch-site", "same-origin")
            .form(form);
        if let Some(account) = account {
            request = request.header("cookie", format!("patio_session={}", account.session));
        }
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }

    async fn make_share(&self, account: &Account, token_id: i64, lifetime: &str) -> (u16, Value) {
        let (_, text) = sealed(token_id as u8);
        self.share_fn(
            Some(account),
            "create_share",
            &[
                ("token_id", &token_id.to_string()),
                ("ciphertext", &text),
                ("lifetime", lifetime),
            ],
        )
        .await
    }

    async fn view_share(&self, id: &str) -> (u16, Value) {
        self.share_fn(None, "share_view", &[("id", id)]).await
    }

    async fn open_share(&self, id: &str) -> (u16, Value) {
        self.share_fn(None, "open_share", &[("id", id)]).await
    }

    async fn share_row(&self, id: &str) -> sqlx::any::AnyRow {
        sqlx::query(
            "select ciphertext, opened_at, opened_ip, cancelled_at from token_shares where public_id = $1",
        )
        .bind(id)
        .fetch_one(&self.server.platform.db)
        .await
        .expect("share row")
    }

    async fn log_actions(&self, account: &Account) -> Vec<Value> {
        let (status, log) = self
            .share_fn(Some(account), "security_log", &[("filter", "tokens")])
            .await;
        assert_eq!(status, 200, "{log}");
        log["events"].as_array().expect("events").clone()
    }
}

/// The app's error body: `{"Domain": {"code": n, "message": "…"}}`.
fn refusal(body: &Value) -> i64 {
    body["Domain"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("not a refusal: {body}"))
}

#[tokio::test]
async fn a_share_link_hands_out_its_ciphertext_once_and_keeps_nothing_that_opens_it() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (token_id, value) = app
        .create_token(
            &ann,
            &[
                ("apiList", "environment.control.StopEnv"),
                ("allowedIps", "10.0.0.0/8"),
                ("expiresAt", "2099-12-31"),
            ],
        )
        .await;
    let (bytes, text) = sealed(token_id as u8);
    let (status, made) = app.make_share(&ann, token_id, "1d").await;
    assert_eq!(status, 200, "{made}");
    let id = made["id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 24);
    assert!(id.bytes().all(|b| b.is_ascii_alphanumeric()));

    // The stored row holds the ciphertext and nothing else of the token or the key.
    let row = app.share_row(&id).await;
    assert_eq!(
        row.get::<Option<Vec<u8>>, _>("ciphertext"),
        Some(bytes.clone())
    );
    let everything: Vec<String> =
        sqlx::query("select public_id, coalesce(opened_ip, '') as ip from token_shares")
            .fetch_all(&app.server.platform.db)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                format!(
                    "{}{}",
                    r.get::<String, _>("public_id"),
                    r.get::<String, _>("ip")
                )
            })
            .collect();
    for stored in &everything {
        assert!(!stored.contains(&value) && !stored.contains(KEY_IN_FRAGMENT));
    }
    assert!(!String::from_utf8_lossy(&bytes).contains(&value));

    // Anyone with the link sees the grant, as often as they like: nothing is used up.
    for _ in 0..2 {
        let (status, view) = app.view_share(&id).await;
        assert_eq!(status, 200, "{view}");
        assert_eq!(view["state"], "Waiting");
        assert_eq!(view["description"], "test token");
        assert_eq!(view["owner"], "ann@example.com");
        assert_eq!(view["grant"]["custom"][0], "environment.control.StopEnv");
        assert_eq!(view["allowlist"][0]["addr"], "10.0.0.0", "{view}");
        assert!(!view.to_string().contains(&value));
    }

    // Show token: the ciphertext, once, and deleted as it is handed out.
    let (status, opened) = app.open_share(&id).await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened, Value::String(text));
    let row = app.share_row(&id).await;
    assert_eq!(row.get::<Option<Vec<u8>>, _>("ciphertext"), None);
    assert_eq!(
        row.get::<Option<String>, _>("opened_ip").as_deref(),
        Some("127.0.0.1")
    );

    let (status, again) = app.open_share(&id).await;
    assert_eq!((status, refusal(&again)), (404, 5), "{again}");
    let (_, view) = app.view_share(&id).await;
    assert!(view["state"]["Opened"]["at"].is_string(), "{view}");
    assert!(
        view["state"]["Opened"]["ip"].is_null(),
        "the opener's address is the owner's to see"
    );

    // The owner sees it opened, from where; the Security Log has both entries.
    let (status, mine) = app
        .share_fn(
            Some(&ann),
            "share_status",
            &[("token_id", &token_id.to_string())],
        )
        .await;
    assert_eq!(status, 200, "{mine}");
    assert_eq!(mine["state"]["Opened"]["ip"], "127.0.0.1");
    let log = app.log_actions(&ann).await;
    let opened = log
        .iter()
        .find(|e| e["action"] == "share.open")
        .expect("share.open");
    assert_eq!(opened["actor"], "share link");
    assert_eq!(opened["ip"], "127.0.0.1");
    assert!(log.iter().any(|e| e["action"] == "share.create"));
}

#[tokio::test]
async fn only_the_session_just_shown_the_value_may_share_it() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let laptop = app.sign_in("ann@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let (token_id, _) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;

    // Another session of the same account, another account: no.
    let (status, body) = app.make_share(&laptop, token_id, "1d").await;
    assert_eq!((status, refusal(&body)), (400, 3), "{body}");
    assert!(body.to_string().contains("regenerate"), "{body}");
    let (status, body) = app.make_share(&bob, token_id, "1d").await;
    assert_eq!((status, refusal(&body)), (404, 5), "{body}");

    // One reveal makes one link.
    let (status, first) = app.make_share(&ann, token_id, "7d").await;
    assert_eq!(status, 200, "{first}");
    let (status, body) = app.make_share(&ann, token_id, "7d").await;
    assert_eq!((status, refusal(&body)), (400, 3), "{body}");

    // A regeneration is a new reveal; the waiting link held the old value and ends.
    let reply = app
        .confirmed(
            &ann,
            "users.authentication.RegenerateToken",
            &[("id", &token_id.to_string())],
        )
        .await;
    assert_eq!(code(&reply), 0, "{reply}");
    let first = first["id"].as_str().unwrap();
    let (_, view) = app.view_share(first).await;
    assert!(view["state"]["Cancelled"].is_object(), "{view}");
    assert_eq!(
        app.share_row(first)
            .await
            .get::<Option<Vec<u8>>, _>("ciphertext"),
        None
    );

    // The offer lasts ten minutes.
    app.clock.advance(chrono::Duration::minutes(11));
    let (status, body) = app.make_share(&ann, token_id, "1h").await;
    assert_eq!((status, refusal(&body)), (400, 3), "{body}");
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_code_and_changes_nothing() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (token_id, _) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let id = token_id.to_string();
    let (_, good) = sealed(1);
    for (ciphertext, lifetime) in [
        (domain::shares::encode(&[1u8; 71]), "1d"),
        (domain::shares::encode(&[1u8; 73]), "1d"),
        ("not base64 at all!".to_owned(), "1d"),
        (String::new(), "1d"),
        (good.clone(), "30d"),
        (good.clone(), ""),
    ] {
        let (status, body) = app
            .share_fn(
                Some(&ann),
                "create_share",
                &[
                    ("token_id", &id),
                    ("ciphertext", &ciphertext),
                    ("lifetime", lifetime),
                ],
            )
            .await;
        assert_eq!(
            (status, refusal(&body)),
            (400, 3),
            "{ciphertext} {lifetime}: {body}"
        );
    }
    // Without a session: 701; the offer is still there afterwards.
    let (status, body) = app
        .share_fn(
            None,
            "create_share",
            &[("token_id", &id), ("ciphertext", &good), ("lifetime", "1d")],
        )
        .await;
    assert_eq!((status, refusal(&body)), (401, 701), "{body}");
    let count: i64 = sqlx::query_scalar("select count(*) from token_shares")
        .fetch_one(&app.server.platform.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
    for bad in [
        "",
        "short",
        "../../../../etc/passwd",
        &"a".repeat(25),
        "abcdefghijABCDEFGHIJ012!",
    ] {
        let (status, body) = app.view_share(bad).await;
        assert_eq!((status, refusal(&body)), (404, 5), "{bad}: {body}");
        let (status, body) = app.open_share(bad).await;
        assert_eq!((status, refusal(&body)), (404, 5), "{bad}: {body}");
    }
    // A well-formed id nobody made answers the same; its page says so with a 404.
    let (status, body) = app.open_share("abcdefghijABCDEFGHIJ0123").await;
    assert_eq!((status, refusal(&body)), (404, 5), "{body}");
    let page = |id: String| {
        let client = app.client.clone();
        let url = app.server.url(&format!("/share/{id}"));
        async move {
            let response = client.get(url).send().await.expect("page");
            let status = response.status().as_u16();
            (status, response.text().await.expect("html"))
        }
    };
    let (status, html) = page("abcdefghijABCDEFGHIJ0123".into()).await;
    assert_eq!(status, 404);
    assert!(html.contains("Link not found"), "{html}");
    let (status, made) = app.make_share(&ann, token_id, "1d").await;
    assert_eq!(status, 200, "{made}");
    let (status, html) = page(made["id"].as_str().unwrap().to_owned()).await;
    assert_eq!(status, 200);
    assert!(html.contains("A token was shared with you"), "{html}");
    assert!(html.contains(r#"<meta name="robots" content="noindex">"#));
}

#[tokio::test]
async fn expired_and_cancelled_links_lose_their_ciphertext() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (token_id, _) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let (_, made) = app.make_share(&ann, token_id, "1h").await;
    let expiring = made["id"].as_str().unwrap().to_owned();

    app.clock.advance(chrono::Duration::hours(2));
    let (_, view) = app.view_share(&expiring).await;
    assert_eq!(view["state"], "Expired", "{view}");
    let (status, body) = app.open_share(&expiring).await;
    assert_eq!((status, refusal(&body)), (404, 5), "{body}");
    app.server.platform.upkeep().flush_pending().await.unwrap();
    assert_eq!(
        app.share_row(&expiring)
            .await
            .get::<Option<Vec<u8>>, _>("ciphertext"),
        None,
        "the prune deleted the expired ciphertext"
    );

    // Cancel: only a waiting link, once.
    let reply = app
        .confirmed(
            &ann,
            "users.authentication.RegenerateToken",
            &[("id", &token_id.to_string())],
        )
        .await;
    assert_eq!(code(&reply), 0, "{reply}");
    let (_, made) = app.make_share(&ann, token_id, "7d").await;
    let cancelled = made["id"].as_str().unwrap().to_owned();
    let form = [("token_id", token_id.to_string())];
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, body) = app.share_fn(Some(&ann), "cancel_share", &form).await;
    assert_eq!(status, 200, "{body}");
    let (status, body) = app.share_fn(Some(&ann), "cancel_share", &form).await;
    assert_eq!((status, refusal(&body)), (404, 5), "{body}");
    let (_, view) = app.view_share(&cancelled).await;
    assert!(view["state"]["Cancelled"].is_object(), "{view}");
    let (status, _) = app.open_share(&cancelled).await;
    assert_eq!(status, 404);
    assert_eq!(
        app.share_row(&cancelled)
            .await
            .get::<Option<Vec<u8>>, _>("ciphertext"),
        None
    );
    assert!(app
        .log_actions(&ann)
        .await
        .iter()
        .any(|e| e["action"] == "share.cancel"));

    // Links gone for 30 days are removed.
    app.clock.advance(chrono::Duration::days(38));
    app.server.platform.upkeep().flush_pending().await.unwrap();
    let count: i64 = sqlx::query_scalar("select count(*) from token_shares")
        .fetch_one(&app.server.platform.db)
        .await
        .unwrap();
    assert_eq!(count, 0);
}
