use serde_json::Value;

use crate::helpers::{code, spawn_app, PASSWORD};

#[tokio::test]
async fn a_token_with_stopenv_stops_the_environment_and_nothing_more() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(code(&app.create_env(&ann.session, "my-project").await), 0);
    let (_, token) = app
        .create_token(
            &ann,
            &[(
                "apiList",
                "environment.control.StopEnv,environment.control.GetEnvInfo",
            )],
        )
        .await;

    let stop = app
        .get(
            "environment.control.StopEnv",
            &[("envName", "my-project"), ("session", &token)],
        )
        .await;
    assert_eq!(stop, serde_json::json!({ "result": 0 }));
    assert_eq!(
        app.env_status(&ann.session, "my-project").await,
        2,
        "stopped"
    );

    let start = app
        .get(
            "environment.control.StartEnv",
            &[("envName", "my-project"), ("session", &token)],
        )
        .await;
    assert_eq!(code(&start), 8202);
    assert_eq!(
        start["error"],
        "Permission denied, required permissions: environment.control.StartEnv"
    );
}

#[tokio::test]
async fn the_value_has_the_contract_format_and_is_shown_only_once() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let reply = app
        .call_as(
            &ann.session,
            "users.authentication.CreateToken",
            &[
                ("password", PASSWORD),
                ("description", "ci"),
                ("tokenTemplate", "ide-plugins"),
            ],
        )
        .await;
    assert_eq!(code(&reply), 0, "{reply}");
    let key = reply["token"]["key"].as_str().unwrap();
    assert_eq!(key.len(), 44);
    assert!(key.starts_with("patio_"));
    assert!(key[6..].bytes().all(|b| b.is_ascii_alphanumeric()));
    assert_eq!(reply["token"]["hint"], key[..10]);
    assert_eq!(reply["token"]["tokenTemplate"]["name"], "IDE Plugins");

    let list = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    let text = list.to_string();
    assert!(!text.contains(key), "GetTokens must never show the value");
    assert_eq!(list["apiTokens"][0]["description"], "ci");
    assert!(list["apiTokens"][0].get("key").is_none());
}

#[tokio::test]
async fn bearer_header_works_and_two_different_credentials_are_refused() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    let r = app
        .call_bearer("environment.control.GetEnvs", &token, &[])
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let r = app
        .call_bearer(
            "environment.control.GetEnvs",
            &token,
            &[("session", &ann.session)],
        )
        .await;
    assert_eq!(code(&r), 3, "{r}");
    let r = app
        .call(
            "environment.control.GetEnvs",
            &[("session", &token), ("session", &token)],
        )
        .await;
    assert_eq!(code(&r), 3, "{r}");
}

#[tokio::test]
async fn malformed_tokens_return_701() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    let mut flipped = token.clone().into_bytes();
    flipped[20] = if flipped[20] == b'a' { b'b' } else { b'a' };
    let flipped = String::from_utf8(flipped).unwrap();
    for bad in [
        "patio_",
        "patio_short",
        &token[..43],
        &format!("{token}x"),
        &flipped,
    ] {
        let r = app.call_as(bad, "environment.control.GetEnvs", &[]).await;
        assert_eq!(code(&r), 701, "{bad}");
    }
}

#[tokio::test]
async fn a_token_expires_at_the_end_of_its_day() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let today = app.clock.now().format("%Y-%m-%d").to_string();
    let (_, token) = app
        .create_token(
            &ann,
            &[("tokenTemplate", "extended-access"), ("expiresAt", &today)],
        )
        .await;
    assert_eq!(
        code(
            &app.call_as(&token, "environment.control.GetEnvs", &[])
                .await
        ),
        0
    );
    app.clock.advance(chrono::Duration::days(1));
    assert_eq!(
        code(
            &app.call_as(&token, "environment.control.GetEnvs", &[])
                .await
        ),
        701
    );
    let list = app
        .call_as(
            &app.sign_up("bob@example.com").await.session,
            "users.authentication.GetTokens",
            &[],
        )
        .await;
    assert_eq!(list["apiTokens"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn bad_token_input_is_refused_with_3_and_creates_nothing() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let long = "x".repeat(256);
    let cases: [&[(&str, &str)]; 8] = [
        &[("description", "ci")],
        &[("description", ""), ("tokenTemplate", "marketplace")],
        &[("description", &long), ("tokenTemplate", "marketplace")],
        &[("description", "ci"), ("tokenTemplate", "everything")],
        &[
            ("description", "ci"),
            ("apiList", "environment.control.Explode"),
        ],
        &[
            ("description", "ci"),
            ("apiList", "users.authentication.CreateToken"),
        ],
        &[
            ("description", "ci"),
            ("tokenTemplate", "marketplace"),
            ("expiresAt", "2001-01-01"),
        ],
        &[
            ("description", "ci"),
            ("tokenTemplate", "marketplace"),
            ("expiresAt", "31-12-2099"),
        ],
    ];
    for params in cases {
        let mut all = vec![("password", PASSWORD)];
        all.extend_from_slice(params);
        let r = app
            .call_as(&ann.session, "users.authentication.CreateToken", &all)
            .await;
        assert_eq!(code(&r), 3, "{params:?}: {r}");
        assert!(r["error"].as_str().is_some_and(|e| !e.is_empty()));
    }
    let list = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    assert_eq!(list["apiTokens"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_wrong_password_changes_nothing_and_repeated_failures_return_703() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    for _ in 0..5 {
        let r = app
            .call_as(
                &ann.session,
                "users.authentication.CreateToken",
                &[
                    ("password", "not my password"),
                    ("description", "ci"),
                    ("tokenTemplate", "marketplace"),
                ],
            )
            .await;
        assert_eq!(code(&r), 702);
    }
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.CreateToken",
            &[
                ("password", PASSWORD),
                ("description", "ci"),
                ("tokenTemplate", "marketplace"),
            ],
        )
        .await;
    assert_eq!(code(&r), 703, "{r}");
    assert!(r["error"].as_str().unwrap().contains("try again in"));
    let list = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    assert_eq!(list["apiTokens"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn regenerate_kills_the_old_value_and_keeps_everything_else() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (id, old) = app
        .create_token(&ann, &[("apiList", "environment.control.GetEnvs")])
        .await;
    let id_text = id.to_string();
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.RegenerateToken",
            &[("password", PASSWORD), ("id", &id_text)],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let new = r["token"]["key"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(r["token"]["id"], id);
    assert_eq!(
        r["token"]["apiListItems"],
        serde_json::json!(["environment.control.GetEnvs"])
    );
    assert_eq!(r["token"]["description"], "test token");
    assert_eq!(
        code(&app.call_as(&old, "environment.control.GetEnvs", &[]).await),
        701
    );
    assert_eq!(
        code(&app.call_as(new, "environment.control.GetEnvs", &[]).await),
        0
    );
}

#[tokio::test]
async fn delete_kills_the_tokens_and_is_all_or_nothing() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (a, a_key) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let (b, b_key) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let with_unknown = format!("{a},{b},999");
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.DeleteTokens",
            &[("password", PASSWORD), ("ids", &with_unknown)],
        )
        .await;
    assert_eq!(code(&r), 5);
    assert_eq!(
        code(
            &app.call_as(&a_key, "environment.control.GetEnvs", &[])
                .await
        ),
        0,
        "nothing was removed"
    );
    let both = format!("{a};{b}");
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.DeleteTokens",
            &[("password", PASSWORD), ("ids", &both)],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["count"], 2);
    for key in [&a_key, &b_key] {
        assert_eq!(
            code(&app.call_as(key, "environment.control.GetEnvs", &[]).await),
            701
        );
    }
}

#[tokio::test]
async fn edit_changes_the_grant_and_keeps_the_value() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (id, key) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    assert_eq!(
        code(
            &app.call_as(&key, "environment.control.StopEnv", &[("envName", "nope")])
                .await
        ),
        8202
    );
    let id = id.to_string();
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.EditToken",
            &[
                ("password", PASSWORD),
                ("id", &id),
                ("description", "renamed"),
                ("apiList", r#"["environment.control.StopEnv"]"#),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["token"]["description"], "renamed");
    assert_eq!(r["token"]["tokenTemplate"], Value::Null);
    assert_eq!(
        code(
            &app.call_as(&key, "environment.control.StopEnv", &[("envName", "nope")])
                .await
        ),
        11
    );
    assert_eq!(
        code(&app.call_as(&key, "environment.control.GetEnvs", &[]).await),
        8202
    );
}

#[tokio::test]
async fn last_use_is_recorded() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, key) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let before = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    assert_eq!(before["apiTokens"][0]["lastUsed"], Value::Null);
    app.call_as(&key, "marketplace.app.GetList", &[]).await;
    let after = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    assert!(after["apiTokens"][0]["lastUsed"].is_string(), "{after}");
    assert_eq!(after["apiTokens"][0]["lastUsedIp"], "127.0.0.1");
}

#[tokio::test]
async fn a_token_from_one_account_sees_nothing_of_another() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    assert_eq!(code(&app.create_env(&bob.session, "bobs-env").await), 0);
    let (bob_token_id, _) = app
        .create_token(&bob, &[("tokenTemplate", "marketplace")])
        .await;
    let (_, ann_key) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;

    assert_eq!(
        code(
            &app.call_as(
                &ann_key,
                "environment.control.GetEnvInfo",
                &[("envName", "bobs-env")]
            )
            .await
        ),
        11
    );
    assert_eq!(
        code(
            &app.call_as(
                &ann_key,
                "environment.control.StopEnv",
                &[("envName", "bobs-env")]
            )
            .await
        ),
        11
    );
    let envs = app
        .call_as(&ann_key, "environment.control.GetEnvs", &[])
        .await;
    assert_eq!(envs["infos"].as_array().unwrap().len(), 0);
    let id = bob_token_id.to_string();
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.DeleteTokens",
            &[("password", PASSWORD), ("ids", &id)],
        )
        .await;
    assert_eq!(code(&r), 5);
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.GetTokens",
            &[("ids", &id)],
        )
        .await;
    assert_eq!(r["apiTokens"].as_array().unwrap().len(), 0);
    assert_eq!(app.env_status(&bob.session, "bobs-env").await, 1);
}

#[tokio::test]
async fn the_database_file_holds_no_token_value() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let mut keys = Vec::new();
    for set in [
        "extended-access",
        "ide-plugins",
        "marketplace",
        "maven-plugin",
    ] {
        keys.push(app.create_token(&ann, &[("tokenTemplate", set)]).await.1);
    }
    let (id, _) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let id = id.to_string();
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.RegenerateToken",
            &[("password", PASSWORD), ("id", &id)],
        )
        .await;
    keys.push(r["token"]["key"].as_str().unwrap().to_owned());
    if app.server.platform.backend == domain::platform::Backend::Postgres {
        return postgres_files_hold_none_of(&app, &keys).await;
    }
    sqlx::query("pragma wal_checkpoint(full)")
        .execute(&app.server.platform.db)
        .await
        .unwrap();

    let mut scanned = 0;
    for entry in std::fs::read_dir(app.dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if !path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("patio.db")
        {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        scanned += bytes.len();
        for key in &keys {
            // The whole value, and its secret part alone.
            for needle in [key.as_str(), &key[10..]] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{} holds a token value",
                    path.display()
                );
            }
        }
        assert!(
            !bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "password in {}",
            path.display()
        );
    }
    assert!(scanned > 0);
}

/// The same check on PostgreSQL: every file of the server's data folder (tables, WAL),
/// after a checkpoint, searched with grep.
async fn postgres_files_hold_none_of(app: &crate::helpers::TestApp, keys: &[String]) {
    let db = &app.server.platform.db;
    sqlx::query("checkpoint").execute(db).await.unwrap();
    let data: String =
        sqlx::query_scalar("select setting from pg_settings where name = 'data_directory'")
            .fetch_one(db)
            .await
            .unwrap();
    // This test's database and everything the cluster shares (its WAL, global tables,
    // transaction status): the other tests' databases cannot hold these values, and
    // grepping them too made this the slowest test by far.
    let oid: String =
        sqlx::query_scalar("select oid::text from pg_database where datname = current_database()")
            .fetch_one(db)
            .await
            .unwrap();
    let data = std::path::Path::new(&data);
    let mut grep = std::process::Command::new("grep");
    grep.args(["-rlaF", "-e", PASSWORD]);
    for key in keys {
        grep.args(["-e", key, "-e", &key[10..]]);
    }
    grep.arg(data.join("base").join(&oid));
    for entry in std::fs::read_dir(data).expect("read the data directory") {
        let path = entry.expect("an entry of the data directory").path();
        if path.file_name().is_some_and(|name| name != "base") {
            grep.arg(path);
        }
    }
    let found = grep.output().expect("run grep");
    assert_eq!(
        found.status.code(),
        Some(1),
        "grep found a secret in {}: {}",
        data.display(),
        String::from_utf8_lossy(&found.stdout)
    );
}

#[tokio::test]
async fn templates_and_the_method_list_come_from_the_catalogue() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let t = app
        .call_as(&ann.session, "users.authentication.GetTokenTemplates", &[])
        .await;
    let names: Vec<&str> = t["templates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "Extended Access",
            "IDE Plugins",
            "Marketplace",
            "Maven Plugin"
        ]
    );
    let l = app
        .call_as(
            &ann.session,
            "users.authentication.GetTokenApiList",
            &[("search", "stopenv")],
        )
        .await;
    assert_eq!(l["tokenPermissions"].as_array().unwrap().len(), 1);
    assert_eq!(
        l["tokenPermissions"][0]["method"],
        "environment.control.StopEnv"
    );
    assert_eq!(
        l["tokenPermissions"][0]["docsUrl"],
        "/docs/api/environment.control.StopEnv"
    );
}

#[tokio::test]
async fn any_token_can_ask_about_itself() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (id, key) = app
        .create_token(
            &ann,
            &[
                ("apiList", "environment.control.StopEnv"),
                ("expiresAt", "2099-12-31"),
            ],
        )
        .await;
    let r = app
        .call_bearer("users.authentication.VerifyToken", &key, &[])
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["credential"], "token");
    assert_eq!(r["email"], "ann@example.com");
    assert_eq!(r["token"]["id"], id);
    assert_eq!(
        r["token"]["apiListItems"],
        serde_json::json!(["environment.control.StopEnv"])
    );
    assert_eq!(r["token"]["expiresAt"], "2099-12-31 23:59:59");
    assert!(r["token"].get("key").is_none() && !r.to_string().contains(&key));

    let r = app
        .call_as(&ann.session, "users.authentication.VerifyToken", &[])
        .await;
    assert_eq!(r["credential"], "session");
    let r = app
        .call_as("patio_not-a-token", "users.authentication.VerifyToken", &[])
        .await;
    assert_eq!(code(&r), 701);
}

#[tokio::test]
async fn a_token_works_only_from_its_allowed_networks() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.CreateToken",
            &[
                ("password", PASSWORD),
                ("description", "ci"),
                ("tokenTemplate", "marketplace"),
                ("allowedIps", "10.0.0.0/8"),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["token"]["allowedIps"], serde_json::json!(["10.0.0.0/8"]));
    let (id, key) = (
        r["token"]["id"].to_string(),
        r["token"]["key"].as_str().unwrap().to_owned(),
    );
    assert_eq!(
        code(&app.call_as(&key, "marketplace.app.GetList", &[]).await),
        701,
        "127.0.0.1 is outside 10/8"
    );
    app.server.platform.upkeep().flush_pending().await.unwrap();
    let logged: i64 = sqlx::query_scalar(
        "select count(*) from audit_events where action = 'api.address' and outcome = 'denied'",
    )
    .fetch_one(&app.server.platform.db)
    .await
    .unwrap();
    assert_eq!(logged, 1);

    let edit = |ips: &'static str| {
        let (app, session, id) = (&app, ann.session.clone(), id.clone());
        async move {
            app.call_as(
                &session,
                "users.authentication.EditToken",
                &[("password", PASSWORD), ("id", &id), ("allowedIps", ips)],
            )
            .await
        }
    };
    assert_eq!(code(&edit("127.0.0.0/8, 2001:db8::/32").await), 0);
    assert_eq!(
        code(&app.call_as(&key, "marketplace.app.GetList", &[]).await),
        0
    );
    assert_eq!(code(&edit("10.0.0.0/33").await), 3);
    assert_eq!(code(&edit("").await), 0, "empty means anywhere");
    assert_eq!(
        code(&app.call_as(&key, "marketplace.app.GetList", &[]).await),
        0
    );
}

#[tokio::test]
async fn an_expired_token_regenerates_with_a_new_date() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let today = app.clock.now().format("%Y-%m-%d").to_string();
    let (id, old) = app
        .create_token(
            &ann,
            &[("tokenTemplate", "marketplace"), ("expiresAt", &today)],
        )
        .await;
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(
        code(&app.call_as(&old, "marketplace.app.GetList", &[]).await),
        701
    );
    let until = (app.clock.now() + chrono::Duration::days(30))
        .format("%Y-%m-%d")
        .to_string();
    // Two idle days ended the session too: sign in again.
    let signin = app
        .call(
            "users.authentication.Signin",
            &[("login", "ann@example.com"), ("password", PASSWORD)],
        )
        .await;
    let session = signin["session"].as_str().unwrap();
    let r = app
        .call_as(
            session,
            "users.authentication.RegenerateToken",
            &[
                ("password", PASSWORD),
                ("id", &id.to_string()),
                ("expiresAt", &until),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["token"]["expiresAt"], format!("{until} 23:59:59"));
    let fresh = r["token"]["key"].as_str().unwrap();
    assert_eq!(
        code(&app.call_as(fresh, "marketplace.app.GetList", &[]).await),
        0
    );
}
