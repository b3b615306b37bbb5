//! SIGTERM under load: token calls, allowed and refused, from many clients at once
//! against the `patio` binary, the signal sent in the middle. The server stops taking
//! connections, finishes what it took, exits 0, and every call it acknowledged is in
//! the database: each allowed one in the token's last use and calls per day, each
//! refused one in the Security Log's denial counts. `PATIO_BIN` picks another binary.

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::PASSWORD;

fn common(dir: &Path) -> Vec<String> {
    vec![
        "--database-url".into(),
        format!("sqlite://{}/patio.db", dir.display()),
        "--data-dir".into(),
        dir.display().to_string(),
        "--log".into(),
        "warn".into(),
    ]
}

#[derive(Default)]
struct Tally {
    allowed: AtomicU64,
    denied: AtomicU64,
    /// Calls that got no answer (the connection refused or cut): not acknowledged.
    unanswered: AtomicU64,
    /// The newest second an allowed call was acknowledged in.
    last_allowed_at: AtomicU64,
}

async fn caller(
    base: String,
    allowed: String,
    denied: String,
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
) {
    let client = reqwest::Client::new();
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let token = if n.is_multiple_of(3) {
            &denied
        } else {
            &allowed
        };
        let answer = client
            .get(format!(
                "{base}/1.0/environment/control/rest/getenvinfo?envName=busy-env&session={token}"
            ))
            .send()
            .await;
        let Ok(answer) = answer else {
            tally.unanswered.fetch_add(1, Ordering::Relaxed);
            // Refused: the server has stopped listening.
            tokio::time::sleep(Duration::from_millis(5)).await;
            continue;
        };
        let Ok(body) = answer.json::<Value>().await else {
            tally.unanswered.fetch_add(1, Ordering::Relaxed);
            continue;
        };
        match body["result"].as_i64() {
            Some(0) => {
                tally.allowed.fetch_add(1, Ordering::Relaxed);
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_secs();
                tally.last_allowed_at.fetch_max(now, Ordering::Relaxed);
            }
            Some(8202) => {
                tally.denied.fetch_add(1, Ordering::Relaxed);
            }
            other => panic!("unexpected answer {other:?}: {body}"),
        }
    }
}

#[tokio::test]
async fn a_sigterm_under_load_loses_no_acknowledged_use_or_denial() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut add = Command::new(support::patio_bin())
        .args(common(dir.path()))
        .args(["user", "add", "--email", "busy@example.com"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("patio user add");
    {
        use std::io::Write;
        writeln!(add.stdin.take().expect("stdin"), "{PASSWORD}").expect("password");
    }
    assert!(add.wait().expect("user add").success());

    let port = 3161;
    let base = format!("http://127.0.0.1:{port}");
    let mut server = Command::new(support::patio_bin())
        .args(common(dir.path()))
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .spawn()
        .expect("start patio");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "patio did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signin = support::call(
        &client,
        &base,
        "users.authentication.Signin",
        &[("login", "busy@example.com"), ("password", PASSWORD)],
    )
    .await;
    let session = signin["session"].as_str().expect("session").to_owned();
    let created = support::call(
        &client,
        &base,
        "environment.control.CreateEnvironment",
        &[
            ("session", &session),
            ("env", r#"{"shortdomain":"busy-env"}"#),
            ("nodes", r#"[{"nodeType":"nginx"}]"#),
        ],
    )
    .await;
    assert_eq!(created["result"], 0, "{created}");
    let mut tokens = Vec::new();
    for methods in [
        "environment.control.GetEnvInfo",
        "environment.control.GetEnvs",
    ] {
        let made = support::call(
            &client,
            &base,
            "users.authentication.CreateToken",
            &[
                ("session", &session),
                ("password", PASSWORD),
                ("description", methods),
                ("apiList", methods),
            ],
        )
        .await;
        tokens.push(made["token"]["key"].as_str().expect("key").to_owned());
    }

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..32)
        .map(|_| {
            tokio::spawn(caller(
                base.clone(),
                tokens[0].clone(),
                tokens[1].clone(),
                tally.clone(),
                stop.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let before = tally.allowed.load(Ordering::Relaxed);
    assert!(before > 100, "the load is running ({before} calls)");
    let signalled = Instant::now();
    // SAFETY: kill sends a signal to a child this test started.
    assert_eq!(unsafe { libc::kill(server.id() as i32, libc::SIGTERM) }, 0);
    let status = loop {
        if let Some(status) = server.try_wait().expect("wait") {
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(25),
            "patio did not stop"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let stopped_in = signalled.elapsed();
    stop.store(true, Ordering::Relaxed);
    for c in callers {
        c.await.expect("caller");
    }
    assert!(status.success(), "patio exited with {status}");

    let allowed = tally.allowed.load(Ordering::Relaxed);
    let denied = tally.denied.load(Ordering::Relaxed);
    eprintln!(
        "SIGTERM after {before} allowed calls; stopped in {stopped_in:?}, exit 0; acknowledged {allowed} allowed and {denied} refused, {} unanswered",
        tally.unanswered.load(Ordering::Relaxed)
    );

    use sqlx::{ConnectOptions, Row};
    let options: sqlx::sqlite::SqliteConnectOptions =
        format!("sqlite://{}/patio.db", dir.path().display())
            .parse()
            .expect("options");
    let mut db = options.connect().await.expect("open the database");
    let counted: i64 = sqlx::query_scalar(
        "select coalesce(sum(u.calls), 0) from token_usage u join tokens t on t.id = u.token_id
         where t.description = 'environment.control.GetEnvInfo' and u.method_id = 'environment.control.GetEnvInfo'",
    )
    .fetch_one(&mut db)
    .await
    .expect("calls");
    let last_used: Option<i64> = sqlx::query(
        "select last_used_at from tokens where description = 'environment.control.GetEnvInfo'",
    )
    .fetch_one(&mut db)
    .await
    .expect("last use")
    .get("last_used_at");
    let denials: i64 = sqlx::query_scalar(
        "select coalesce(sum(count), 0) from audit_events where action = 'api.call' and outcome = 'denied'",
    )
    .fetch_one(&mut db)
    .await
    .expect("denials");
    assert!(
        counted as u64 >= allowed,
        "{allowed} allowed calls were acknowledged, {counted} counted"
    );
    assert!(
        denials as u64 >= denied,
        "{denied} refused calls were acknowledged, {denials} in the Security Log"
    );
    let last_allowed_at = tally.last_allowed_at.load(Ordering::Relaxed) as i64;
    assert!(
        last_used.is_some_and(|at| at + 1 >= last_allowed_at),
        "the last use {last_used:?} is older than the last acknowledged call at {last_allowed_at}"
    );
    // Nothing the server counted went unacknowledged but the calls it was cut off from.
    let unanswered = tally.unanswered.load(Ordering::Relaxed);
    assert!(counted as u64 <= allowed + unanswered);
    assert!(denials as u64 <= denied + unanswered);
}
