//! The operator's side, against the real binary: `patio user disable`, `enable`, `list`
//! and `token revoke` take effect on a running server at once, and `/metrics` counts
//! what was called, parsed back from its text.

use std::process::Command;

mod support;
use domain::changes::LOOK_HOLDS;
use support::{call, PASSWORD};

fn patio(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let db = format!("sqlite://{}", dir.join("patio.db").display());
    let out = Command::new(support::patio_bin())
        .args([
            "--database-url",
            &db,
            "--data-dir",
            &dir.display().to_string(),
            "--log",
            "warn",
        ])
        .args(args)
        .output()
        .expect("run patio");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test]
async fn the_operators_commands_take_effect_on_a_running_server_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = server::Settings::in_dir(dir.path());
    settings.metrics_bind = Some("127.0.0.1:0".parse().unwrap());
    let server = server::spawn(settings, domain::Clock::default())
        .await
        .unwrap();
    server
        .platform
        .accounts()
        .sign_up(
            "ann@example.com",
            PASSWORD.into(),
            &domain::accounts::Origin::default(),
        )
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let base = server.url("");
    let session = call(
        &client,
        &base,
        "users.authentication.Signin",
        &[("login", "ann@example.com"), ("password", PASSWORD)],
    )
    .await["session"]
        .as_str()
        .unwrap()
        .to_owned();
    let created = call(
        &client,
        &base,
        "users.authentication.CreateToken",
        &[
            ("session", &session),
            ("password", PASSWORD),
            ("description", "ci"),
            ("tokenTemplate", "ide-plugins"),
        ],
    )
    .await;
    let token = created["token"]["key"].as_str().unwrap().to_owned();
    let envs = || async {
        call(
            &client,
            &base,
            "environment.control.GetEnvs",
            &[("session", token.as_str())],
        )
        .await
    };
    for _ in 0..3 {
        assert_eq!(envs().await["result"], 0);
    }
    assert_eq!(
        server.platform.cached_tokens(),
        1,
        "the server answers from its cache"
    );

    // The server holds the changes file open. One deleted and written anew, or replaced
    // by a rename, is the file it looks at from then on: the change it says is heard.
    // A look holds for a while (`LOOK_HOLDS`); patio's own writers wait that out twice
    // over, and so do these.
    let misses = || domain::platform::Stats::get(&server.platform.stats.cache_misses);
    let changes = dir.path().join("token-changes");
    let before = misses();
    assert_eq!(envs().await["result"], 0);
    assert_eq!(misses(), before, "answered from the cache");
    std::fs::remove_file(&changes).unwrap();
    std::fs::write(&changes, "written anew").unwrap();
    tokio::time::sleep(2 * LOOK_HOLDS).await;
    assert_eq!(envs().await["result"], 0);
    assert_eq!(misses(), before + 1, "a file written anew is heard");
    let replacement = dir.path().join("token-changes.new");
    std::fs::write(&replacement, "renamed over").unwrap();
    std::fs::rename(&replacement, &changes).unwrap();
    tokio::time::sleep(2 * LOOK_HOLDS).await;
    assert_eq!(envs().await["result"], 0);
    assert_eq!(misses(), before + 2, "a file renamed over it is heard");
    assert_eq!(envs().await["result"], 0);
    assert_eq!(misses(), before + 2, "and then the cache answers again");

    let (ok, out) = patio(dir.path(), &["user", "list"]);
    assert!(
        ok && out.contains("ann@example.com") && out.contains("enabled"),
        "{out}"
    );

    let (ok, out) = patio(
        dir.path(),
        &["user", "disable", "--email", "ann@example.com"],
    );
    assert!(ok, "{out}");
    assert_eq!(
        envs().await["result"],
        701,
        "the cached token is refused at once"
    );
    let by_session = call(
        &client,
        &base,
        "environment.control.GetEnvs",
        &[("session", &session)],
    )
    .await;
    assert_eq!(by_session["result"], 701);
    let (_, out) = patio(dir.path(), &["user", "list"]);
    assert!(out.contains("disabled"), "{out}");

    let (ok, out) = patio(
        dir.path(),
        &["user", "enable", "--email", "ann@example.com"],
    );
    assert!(ok, "{out}");
    assert_eq!(envs().await["result"], 0);
    let (ok, out) = patio(
        dir.path(),
        &["token", "revoke", "--email", "ann@example.com"],
    );
    assert!(
        ok && out.contains("revoked 1 token of ann@example.com"),
        "{out}"
    );
    assert_eq!(envs().await["result"], 701);
    let (ok, out) = patio(
        dir.path(),
        &["user", "disable", "--email", "nobody@example.com"],
    );
    assert!(!ok && out.contains("no account"), "{out}");

    // The log says who did it.
    let log = server.platform.audit().events(1, 50).await.unwrap();
    let operator: Vec<&str> = log
        .iter()
        .filter(|e| e.actor == "operator")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        operator,
        ["token.revoke_all", "account.enable", "account.disable"]
    );

    // Readiness, and the metrics count the calls made above.
    let ready = client.get(server.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    let metrics_url = format!("http://{}/metrics", server.metrics_addr.unwrap());
    let text = client
        .get(&metrics_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let value = |line: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(line).map(|v| v.trim().parse().unwrap()))
            .unwrap_or_else(|| panic!("no {line} in\n{text}"))
    };
    assert_eq!(
        value("patio_api_calls_total{method=\"environment.control.GetEnvs\",result=\"0\"}"),
        8.0
    );
    assert_eq!(
        value("patio_api_calls_total{method=\"environment.control.GetEnvs\",result=\"701\"}"),
        3.0
    );
    assert_eq!(value("patio_token_checks_total{outcome=\"accepted\"}"), 8.0);
    assert!(value("patio_token_cache_hits_total") >= 2.0);
    assert_eq!(value("patio_replica_listening"), 1.0);
    assert!(text.ends_with("# EOF\n"));
    for secret in [
        token.as_str(),
        session.as_str(),
        "ann@example.com",
        "127.0.0.1",
    ] {
        assert!(!text.contains(secret), "the metrics name {secret}");
    }
    server.stop().await.unwrap();
}
