//! Logs for machines, from the real binary with its output in a pipe (as under systemd
//! or a log shipper): `--log-format json` writes one object a line with no colour
//! codes, every answered request carries its id (the one in the answer's
//! `X-Request-Id`), the method id, result code, duration and client address, and no
//! line holds a credential. Text logs in a pipe have no colour codes either.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::PASSWORD;

fn start(dir: &Path, port: u16, format: &str) -> Child {
    Command::new(support::patio_bin())
        .args([
            "--database-url",
            &format!("sqlite://{}/patio.db", dir.display()),
            "--data-dir",
            &dir.display().to_string(),
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--log",
            "info",
            "--log-format",
            format,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start patio")
}

async fn wait_for(base: &str) {
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "patio did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Stops the server and returns every line it wrote.
fn lines(mut child: Child) -> Vec<String> {
    // SAFETY: kill sends a signal to a child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let stdout = child.stdout.take().expect("stdout");
    let lines: Vec<String> = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .collect();
    assert!(child.wait().expect("wait").success());
    lines
}

#[tokio::test]
async fn json_logs_carry_the_request_id_and_outcome_and_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let port = 3163;
    let base = format!("http://127.0.0.1:{port}");
    let mut add = Command::new(support::patio_bin())
        .args([
            "--database-url",
            &format!("sqlite://{}/patio.db", dir.path().display()),
            "user",
            "add",
            "--email",
            "logs@example.com",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("patio user add");
    {
        use std::io::Write;
        writeln!(add.stdin.take().expect("stdin"), "{PASSWORD}").expect("password");
    }
    assert!(add.wait().expect("user add").success());
    let child = start(dir.path(), port, "json");
    wait_for(&base).await;
    let client = reqwest::Client::new();
    let signin = support::call(
        &client,
        &base,
        "users.authentication.Signin",
        &[("login", "logs@example.com"), ("password", PASSWORD)],
    )
    .await;
    let session = signin["session"].as_str().expect("session").to_owned();
    let made = support::call(
        &client,
        &base,
        "users.authentication.CreateToken",
        &[
            ("session", &session),
            ("password", PASSWORD),
            ("description", "logs"),
            ("apiList", "environment.control.GetEnvs"),
        ],
    )
    .await;
    let token = made["token"]["key"].as_str().expect("key").to_owned();
    let refused = client
        .get(format!(
            "{base}/1.0/environment/control/rest/getenvinfo?envName=x&session={token}"
        ))
        .send()
        .await
        .expect("call");
    let id = refused.headers()["x-request-id"]
        .to_str()
        .expect("id")
        .to_owned();
    assert_eq!(refused.json::<Value>().await.unwrap()["result"], 8202);

    let lines = lines(child);
    let mut answered = None;
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "a colour code in {line}");
        for secret in [token.as_str(), session.as_str(), PASSWORD] {
            assert!(!line.contains(secret), "a secret in {line}");
        }
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        if entry["message"] == "answered" && entry["request_id"] == id.as_str() {
            answered = Some(entry);
        }
    }
    let entry = answered.unwrap_or_else(|| panic!("no line for request {id} in {lines:#?}"));
    assert_eq!(entry["api_method"], "environment.control.GetEnvInfo");
    assert_eq!(entry["result"], 8202);
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["client"], "127.0.0.1");
    assert_eq!(entry["path"], "/1.0/environment/control/rest/getenvinfo");
    assert!(
        entry["duration_ms"].as_f64().is_some_and(|d| d >= 0.0),
        "{entry}"
    );
    assert_eq!(entry["target"], "patio::access");
}

#[tokio::test]
async fn text_logs_in_a_pipe_have_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let port = 3164;
    let base = format!("http://127.0.0.1:{port}");
    let child = start(dir.path(), port, "text");
    wait_for(&base).await;
    reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    let lines = lines(child);
    assert!(lines.iter().any(|l| l.contains("answered")), "{lines:#?}");
    for line in &lines {
        assert!(!line.contains('\u{1b}'), "a colour code in {line:?}");
    }
}
