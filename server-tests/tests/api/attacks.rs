//! Each test is an attack as someone would run it: concurrent bursts against the
//! password limits, lockouts aimed at the owner, spoofed forwarding headers, floods of
//! denied calls, uploads from strangers and over quotas.

use std::collections::HashMap;

use futures::future::join_all;
use serde_json::Value;

use crate::helpers::{code, path, spawn_app, spawn_app_with, TestApp, PASSWORD};

fn tally(replies: &[Value]) -> HashMap<i64, usize> {
    let mut counts = HashMap::new();
    for r in replies {
        *counts.entry(code(r)).or_default() += 1;
    }
    counts
}

fn behind_a_proxy(settings: &mut server::Settings) {
    settings.trusted_proxies = server::client::TrustedProxies::parse("127.0.0.1/32").unwrap();
}

#[tokio::test]
async fn a_burst_of_wrong_signins_evaluates_at_most_the_limit() {
    let app = spawn_app().await;
    app.sign_up("ann@example.com").await;
    let burst = (0..100).map(|_| {
        app.call(
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", "a guess")],
        )
    });
    let replies = join_all(burst).await;
    let counts = tally(&replies);
    assert!(
        counts.get(&702).copied().unwrap_or(0) <= 5,
        "at most five passwords are checked: {counts:?}"
    );
    assert_eq!(
        counts.get(&702).copied().unwrap_or(0) + counts.get(&703).copied().unwrap_or(0),
        100,
        "{counts:?}"
    );
}

#[tokio::test]
async fn a_burst_of_wrong_confirmations_evaluates_at_most_the_limit() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (app_ref, session) = (&app, ann.session.as_str());
    let burst = (0..60).map(|i| {
        let description = format!("burst {i}");
        async move {
            let app = app_ref;
            app.call_as(
                session,
                "users.authentication.CreateToken",
                &[
                    ("password", "a guess"),
                    ("description", &description),
                    ("tokenTemplate", "marketplace"),
                ],
            )
            .await
        }
    });
    let replies = join_all(burst).await;
    let counts = tally(&replies);
    assert!(counts.get(&702).copied().unwrap_or(0) <= 5, "{counts:?}");
    assert_eq!(
        counts.get(&703).copied().unwrap_or(0) + counts.get(&702).copied().unwrap_or(0),
        60
    );
    let list = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    assert_eq!(list["apiTokens"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_locked_account_and_an_unknown_email_answer_alike() {
    let app = spawn_app().await;
    app.sign_up("ann@example.com").await;
    let mut last = Vec::new();
    for login in ["ann@example.com", "nobody@example.com"] {
        let mut codes = Vec::new();
        for _ in 0..6 {
            let r = app
                .call(
                    "users.authentication.Signin",
                    &[("login", login), ("password", "a guess")],
                )
                .await;
            codes.push(code(&r));
            if code(&r) == 703 {
                last.push(r);
            }
        }
        assert_eq!(codes, [702, 702, 702, 702, 702, 703], "{login}");
    }
    let keys = |r: &Value| {
        let mut k: Vec<String> = r.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&last[0]), keys(&last[1]));
    // The same wait, but for the seconds that passed between the two runs.
    let waits: Vec<i64> = last
        .iter()
        .map(|r| r["retryAfter"].as_i64().unwrap())
        .collect();
    assert!((waits[0] - waits[1]).abs() <= 2, "{waits:?}");
}

#[tokio::test]
async fn an_attacker_elsewhere_cannot_lock_the_owner_out() {
    let app = spawn_app_with(behind_a_proxy).await;
    app.create_account("ann@example.com").await;
    let home = || "198.51.100.10".to_string();
    let signin = |from: String, password: &'static str| signin_from(&app, from, password);
    let first = signin(home(), PASSWORD).await;
    assert_eq!(code(&first), 0, "{first}");
    let session = first["session"].as_str().unwrap().to_owned();

    // Twelve addresses try five passwords each: the account-wide slow-down kicks in.
    let mut refused = 0;
    for n in 0..12 {
        for _ in 0..5 {
            if code(&signin(format!("203.0.113.{n}"), "a guess").await) == 703 {
                refused += 1;
            }
        }
    }
    assert!(refused >= 50, "only {refused} of 60 guesses refused");
    // A new address of the attacker's is held back at once.
    assert_eq!(code(&signin("203.0.113.200".into(), PASSWORD).await), 703);

    // The owner, at home, signs in as ever, and the open session keeps working.
    let again = signin(home(), PASSWORD).await;
    assert_eq!(code(&again), 0, "{again}");
    let check = app
        .call_from(
            &home(),
            "users.authentication.CheckSign",
            &[("session", &session)],
        )
        .await;
    assert_eq!(code(&check), 0);
}

async fn signin_from(app: &TestApp, from: String, password: &str) -> Value {
    app.call_from(
        &from,
        "users.authentication.Signin",
        &[("login", "ann@example.com"), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn failures_against_accounts_count_against_the_address() {
    let app = spawn_app().await;
    for n in 0..6 {
        app.sign_up(&format!("user{n}@example.com")).await;
    }
    let mut codes = Vec::new();
    for n in 0..6 {
        let login = format!("user{n}@example.com");
        for _ in 0..4 {
            let r = app
                .call(
                    "users.authentication.Signin",
                    &[("login", &login), ("password", "a guess")],
                )
                .await;
            codes.push(code(&r));
        }
    }
    let checked = codes.iter().filter(|c| **c == 702).count();
    assert_eq!(checked, 20, "one address gets twenty guesses: {codes:?}");
    assert!(codes[20..].iter().all(|c| *c == 703), "{codes:?}");
}

#[tokio::test]
async fn forwarding_headers_count_only_from_trusted_proxies() {
    // Not behind a proxy: a client that writes X-Forwarded-For is still itself.
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    for n in 0..5 {
        let r = app
            .call_from(
                &format!("192.0.2.{n}"),
                "users.authentication.Signin",
                &[("login", "ann@example.com"), ("password", "a guess")],
            )
            .await;
        assert_eq!(code(&r), 702);
    }
    let r = app
        .call_from(
            "192.0.2.99",
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(code(&r), 703, "spoofed addresses do not escape the limit");

    let (_, token) = app
        .create_token(
            &ann,
            &[
                ("tokenTemplate", "ide-plugins"),
                ("allowedIps", "198.51.100.0/24"),
            ],
        )
        .await;
    let r = app
        .call_from(
            "198.51.100.7",
            "environment.control.GetEnvs",
            &[("session", &token)],
        )
        .await;
    assert_eq!(
        code(&r),
        701,
        "a header from an untrusted peer is not an address"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_every_address_rule_sees_the_client() {
    let app = spawn_app_with(behind_a_proxy).await;
    let ann = app.sign_up("ann@example.com").await;
    let (id, token) = app
        .create_token(
            &ann,
            &[
                ("tokenTemplate", "ide-plugins"),
                ("allowedIps", "198.51.100.0/24"),
            ],
        )
        .await;
    let inside = app
        .call_from(
            "6.6.6.6, 198.51.100.7",
            "environment.control.GetEnvs",
            &[("session", &token)],
        )
        .await;
    assert_eq!(code(&inside), 0, "the proxy's hop is the client: {inside}");
    let outside = app
        .call_from(
            "203.0.113.5",
            "environment.control.GetEnvs",
            &[("session", &token)],
        )
        .await;
    assert_eq!(code(&outside), 701);
    let denied = app
        .call_from(
            "198.51.100.8",
            "environment.control.DeleteEnv",
            &[
                ("session", &token),
                ("envName", "x"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(code(&denied), 8202);
    app.server.platform.upkeep().flush_pending().await.unwrap();

    let list = app
        .call_as(
            &ann.session,
            "users.authentication.GetTokens",
            &[("ids", &id.to_string())],
        )
        .await;
    assert_eq!(list["apiTokens"][0]["lastUsedIp"], "198.51.100.7", "{list}");
    let log = app.server.platform.audit().events(1, 100).await.unwrap();
    let ips: Vec<(String, Option<String>)> = log
        .iter()
        .map(|e| (e.action.clone(), e.ip.clone()))
        .collect();
    assert!(
        ips.contains(&("api.address".into(), Some("203.0.113.5".into()))),
        "{ips:?}"
    );
    assert!(
        ips.contains(&("api.call".into(), Some("198.51.100.8".into()))),
        "{ips:?}"
    );
    assert!(
        !ips.iter()
            .any(|(action, ip)| action.starts_with("api.") && ip.as_deref() == Some("127.0.0.1")),
        "{ips:?}"
    );
}

#[tokio::test]
async fn a_flood_of_denied_calls_is_a_row_a_minute() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    for chunk in 0..30 {
        let calls = (0..100)
            .map(|_| app.call_as(&token, "environment.control.StopEnv", &[("envName", "x")]));
        let replies = join_all(calls).await;
        assert!(replies.iter().all(|r| code(r) == 8202), "chunk {chunk}");
        if chunk % 10 == 0 {
            app.server.platform.upkeep().flush_pending().await.unwrap();
        }
    }
    app.server.platform.upkeep().flush_pending().await.unwrap();
    let db = &app.server.platform.db;
    let (rows, calls): (i64, Option<i64>) = sqlx::query_as(
        "select count(*), cast(sum(count) as bigint) from audit_events where action = 'api.call'",
    )
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!(calls, Some(3000));
    assert!(rows <= 3, "3,000 denied calls took {rows} rows");

    // Entries older than the retention period go.
    app.clock.advance(chrono::Duration::days(401));
    app.server.platform.upkeep().flush_pending().await.unwrap();
    let left: i64 = sqlx::query_scalar("select count(*) from audit_events")
        .fetch_one(db)
        .await
        .unwrap();
    assert_eq!(left, 0);
}

fn part(bytes: usize) -> reqwest::multipart::Part {
    reqwest::multipart::Part::bytes(vec![b'x'; bytes]).file_name("app.war")
}

async fn upload(app: &TestApp, credential: Option<&str>, bytes: usize) -> Value {
    let form = reqwest::multipart::Form::new().part("file", part(bytes));
    let mut request = app
        .client
        .post(app.server.url(&path("storage.uploader.Upload")))
        .multipart(form);
    if let Some(credential) = credential {
        request = request.bearer_auth(credential);
    }
    request.send().await.unwrap().json().await.unwrap()
}

/// A body as a browser's form sends it: the boundary in mixed case (it is matched as
/// given), the credential as a field before the file, and a file larger than the 2 MB
/// a body may have by default elsewhere in the server.
#[tokio::test]
async fn a_browser_shaped_upload_of_three_megabytes_is_received_whole() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "maven-plugin")])
        .await;
    let boundary = "----WebKitFormBoundaryQx7MA4YWxkTrZu0gW";
    let file = vec![b'x'; 3 * 1024 * 1024];
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"session\"\r\n\r\n{token}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"app.war\"\r\n\
         Content-Type: application/octet-stream\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let answer: Value = app
        .client
        .post(app.server.url(&path("storage.uploader.Upload")))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&answer), 0, "{answer}");
    assert_eq!(answer["size"], 3 * 1024 * 1024);
    assert_eq!(files_in(&app).len(), 1, "{:?}", files_in(&app));
}

fn files_in(app: &TestApp) -> Vec<String> {
    std::fs::read_dir(app.dir.path().join("uploads"))
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn uploads_are_for_callers_within_limit_and_quota_and_leave_nothing_behind() {
    let app = spawn_app_with(|s| {
        s.upload_limit = 1000;
        s.upload_quota = 1500;
    })
    .await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "maven-plugin")])
        .await;

    let stranger = upload(&app, None, 5 * 1024 * 1024).await;
    assert_eq!(code(&stranger), 701, "{stranger}");
    assert!(files_in(&app).is_empty(), "{:?}", files_in(&app));

    let over = upload(&app, Some(&token), 1001).await;
    assert_eq!(code(&over), 3, "{over}");
    assert!(
        files_in(&app).is_empty(),
        "a refused upload leaves nothing: {:?}",
        files_in(&app)
    );

    let first = upload(&app, Some(&token), 1000).await;
    assert_eq!(code(&first), 0, "{first}");
    let second = upload(&app, Some(&token), 600).await;
    assert_eq!(code(&second), 3, "over the quota: {second}");
    assert!(
        second["error"].as_str().unwrap().contains("quota"),
        "{second}"
    );
    assert_eq!(files_in(&app).len(), 1, "{:?}", files_in(&app));

    // The owner lists and deletes what is kept, and the space comes back.
    let list = app
        .call_as(&ann.session, "storage.uploader.GetUploads", &[])
        .await;
    assert_eq!(list["used"], 1000, "{list}");
    assert_eq!(list["quota"], 1500);
    let id = list["uploads"][0]["id"].as_i64().unwrap().to_string();
    let other = app.sign_up("bob@example.com").await;
    let theirs = app
        .call_as(
            &other.session,
            "storage.uploader.DeleteUploads",
            &[("ids", &id)],
        )
        .await;
    assert_eq!(code(&theirs), 5);
    let gone = app
        .call_as(
            &ann.session,
            "storage.uploader.DeleteUploads",
            &[("ids", &id)],
        )
        .await;
    assert_eq!(gone["count"], 1, "{gone}");
    assert!(files_in(&app).is_empty());
    assert_eq!(code(&upload(&app, Some(&token), 600).await), 0);
}

#[tokio::test]
async fn verify_token_answers_without_a_write() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (id, token) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    for _ in 0..50 {
        let r = app
            .call_as(&token, "users.authentication.VerifyToken", &[])
            .await;
        assert_eq!(code(&r), 0);
    }
    app.server.platform.upkeep().flush_pending().await.unwrap();
    let db = &app.server.platform.db;
    let (used, usage): (Option<i64>, i64) = sqlx::query_as(
        "select last_used_at, (select count(*) from token_usage where token_id = $1) from tokens where id = $1",
    )
    .bind(id)
    .fetch_one(db)
    .await
    .unwrap();
    assert_eq!((used, usage), (None, 0));
}

#[tokio::test]
async fn ids_are_never_handed_out_twice() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (first, _) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let r = app
        .confirmed(
            &ann,
            "users.authentication.DeleteTokens",
            &[("ids", &first.to_string())],
        )
        .await;
    assert_eq!(code(&r), 0);
    let (second, _) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    assert!(
        second > first,
        "token {first} was removed, yet {second} was handed out"
    );
}

#[tokio::test]
async fn signups_are_limited_per_address() {
    let app = spawn_app().await;
    let from = domain::accounts::Origin {
        ip: Some("198.51.100.20".into()),
        user_agent: None,
    };
    for n in 0..10 {
        app.server
            .platform
            .accounts()
            .sign_up(&format!("u{n}@example.com"), PASSWORD.into(), &from)
            .await
            .unwrap();
    }
    let refused = app
        .server
        .platform
        .accounts()
        .sign_up("one-more@example.com", PASSWORD.into(), &from)
        .await
        .unwrap_err();
    assert_eq!(refused.code().number(), 703);
    app.clock.advance(chrono::Duration::minutes(61));
    app.server
        .platform
        .accounts()
        .sign_up("one-more@example.com", PASSWORD.into(), &from)
        .await
        .unwrap();
}
