//! Kill -9 under load: concurrent token creations, regenerations and removals against
//! the `patio` binary, the process killed at a random moment, restarted, and checked:
//! every change the API acknowledged is there, nothing half-exists, the database is
//! intact. `PATIO_BIN` picks another binary (support::patio_bin), `CRASH_ROUNDS` the
//! number of rounds.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

mod support;
use support::PASSWORD;
const EMAIL: &str = "crash@example.com";

fn args(dir: &Path, port: u16) -> Vec<String> {
    vec![
        "--bind".into(),
        format!("127.0.0.1:{port}"),
        "--database-url".into(),
        format!("sqlite://{}/patio.db", dir.display()),
        "--data-dir".into(),
        dir.display().to_string(),
        "--log".into(),
        "error".into(),
    ]
}

async fn start(dir: &Path, port: u16) -> Child {
    let child = Command::new(support::patio_bin())
        .args(args(dir, port))
        .stdout(Stdio::null())
        .spawn()
        .expect("start patio");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_err()
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "patio did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child
}

/// What the clients were told, by token id.
#[derive(Default)]
struct Ledger {
    /// Acknowledged live tokens: id → (description, value).
    live: HashMap<i64, (String, String)>,
    /// Values whose token is known to be removed or replaced.
    dead: Vec<String>,
    /// Ids with a regeneration or removal in flight when the server died.
    uncertain: HashMap<i64, Vec<String>>,
    acknowledged: u64,
}

impl Ledger {
    /// The current value of a live token, marked uncertain until its change is answered.
    fn start_change(&mut self, id: i64) -> Option<String> {
        let value = self.live.get(&id)?.1.clone();
        self.uncertain.entry(id).or_default().push(value.clone());
        Some(value)
    }
}

async fn post(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    params: &[(&str, &str)],
) -> Option<Value> {
    let response = client
        .post(format!("{base}/1.0/users/authentication/rest/{method}"))
        .form(params)
        .send()
        .await
        .ok()?;
    response.json().await.ok()
}

async fn client_loop(
    worker: u64,
    base: String,
    session: String,
    ledger: Arc<Mutex<Ledger>>,
    deadline: Instant,
) {
    let client = reqwest::Client::new();
    let mut n = 0u64;
    while Instant::now() < deadline {
        n += 1;
        let pick = ledger
            .lock()
            .unwrap()
            .live
            .keys()
            .copied()
            .nth(((worker * 7 + n) % 5) as usize);
        match (n % 4, pick) {
            (0, Some(id)) => {
                let Some(value) = ledger.lock().unwrap().start_change(id) else {
                    continue;
                };
                let ids = id.to_string();
                let reply = post(
                    &client,
                    &base,
                    "deletetokens",
                    &[("session", &session), ("password", PASSWORD), ("ids", &ids)],
                )
                .await;
                let Some(reply) = reply else { return };
                let mut l = ledger.lock().unwrap();
                l.uncertain.remove(&id);
                if reply["result"] == 0 {
                    l.acknowledged += 1;
                    l.live.remove(&id);
                    l.dead.push(value);
                }
            }
            (1, Some(id)) => {
                let Some(value) = ledger.lock().unwrap().start_change(id) else {
                    continue;
                };
                let ids = id.to_string();
                let reply = post(
                    &client,
                    &base,
                    "regeneratetoken",
                    &[("session", &session), ("password", PASSWORD), ("id", &ids)],
                )
                .await;
                let Some(reply) = reply else { return };
                let mut l = ledger.lock().unwrap();
                l.uncertain.remove(&id);
                if reply["result"] == 0 {
                    l.acknowledged += 1;
                    let fresh = reply["token"]["key"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    if let Some(entry) = l.live.get_mut(&id) {
                        entry.1 = fresh;
                    }
                    l.dead.push(value);
                }
            }
            _ => {
                let description = format!("w{worker}-{n}");
                let api_list = if n.is_multiple_of(2) {
                    "environment.control.GetEnvs,environment.control.StopEnv"
                } else {
                    ""
                };
                let mut params = vec![
                    ("session", session.as_str()),
                    ("password", PASSWORD),
                    ("description", description.as_str()),
                ];
                if api_list.is_empty() {
                    params.push(("tokenTemplate", "marketplace"));
                } else {
                    params.push(("apiList", api_list));
                }
                let Some(reply) = post(&client, &base, "createtoken", &params).await else {
                    return;
                };
                if reply["result"] == 0 {
                    let mut l = ledger.lock().unwrap();
                    l.acknowledged += 1;
                    let id = reply["token"]["id"].as_i64().unwrap_or_default();
                    let key = reply["token"]["key"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned();
                    l.live.insert(id, (description, key));
                }
            }
        }
    }
}

async fn works(client: &reqwest::Client, base: &str, value: &str) -> i64 {
    let reply: Value = client
        .get(format!("{base}/1.0/environment/control/rest/getenvs"))
        .bearer_auth(value)
        .send()
        .await
        .expect("server answers")
        .json()
        .await
        .expect("json");
    reply["result"].as_i64().unwrap_or(-1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_acknowledged_change_survives_kill_9() {
    let rounds: u64 = std::env::var("CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(4);
    let dir = tempfile::tempdir().unwrap();
    let port = 3900 + (std::process::id() % 500) as u16;
    let base = format!("http://127.0.0.1:{port}");
    let mut add = Command::new(support::patio_bin())
        .args(args(dir.path(), port))
        .args(["user", "add", "--email", EMAIL])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        add.stdin.as_mut().unwrap(),
        format!("{PASSWORD}\n").as_bytes(),
    )
    .unwrap();
    assert!(add.wait().unwrap().success());

    // One ledger per client, and each client works only on the tokens it created, so
    // every token has at most one operation in flight and its ledger is exact.
    let ledgers: Vec<Arc<Mutex<Ledger>>> = (0..8).map(|_| Arc::default()).collect();
    let client = reqwest::Client::new();
    let mut lost = 0;
    for round in 0..rounds {
        let mut server = start(dir.path(), port).await;
        let signin: Value = client
            .post(format!("{base}/1.0/users/authentication/rest/signin"))
            .form(&[("login", EMAIL), ("password", PASSWORD)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = signin["session"].as_str().unwrap().to_owned();
        // Kill at a moment between 0.3 and 1.5 s into the load.
        let kill_after = Duration::from_millis(300 + (round * 373 + u64::from(port)) % 1200);
        let deadline = Instant::now() + Duration::from_secs(5);
        let workers: Vec<_> = (0..8)
            .map(|w| {
                tokio::spawn(client_loop(
                    w,
                    base.clone(),
                    session.clone(),
                    ledgers[w as usize].clone(),
                    deadline,
                ))
            })
            .collect();
        tokio::time::sleep(kill_after).await;
        server.kill().unwrap();
        server.wait().unwrap();
        for w in workers {
            w.await.unwrap();
        }

        let mut server = start(dir.path(), port).await;
        let signin: Value = client
            .post(format!("{base}/1.0/users/authentication/rest/signin"))
            .form(&[("login", EMAIL), ("password", PASSWORD)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let session = signin["session"].as_str().unwrap().to_owned();
        let listed: Value = client
            .post(format!("{base}/1.0/users/authentication/rest/gettokens"))
            .form(&[("session", session.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let stored: HashMap<i64, String> = listed["apiTokens"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                (
                    t["id"].as_i64().unwrap(),
                    t["description"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        for ledger in &ledgers {
            let (uncertain, live, dead) = {
                let mut l = ledger.lock().unwrap();
                let live: Vec<(i64, String, String)> = l
                    .live
                    .iter()
                    .map(|(id, (d, k))| (*id, d.clone(), k.clone()))
                    .collect();
                (std::mem::take(&mut l.uncertain), live, l.dead.clone())
            };
            for (id, description, value) in &live {
                let in_flight = uncertain.get(id);
                match stored.get(id) {
                    Some(d) => {
                        assert_eq!(d, description);
                        let code = works(&client, &base, value).await;
                        // A regeneration in flight at the kill may have replaced the value.
                        if code != 0 && in_flight.is_none() {
                            lost += 1;
                            eprintln!("round {round}: token {id} no longer accepts its acknowledged value ({code})");
                        }
                    }
                    None if in_flight.is_some() => {}
                    None => {
                        lost += 1;
                        eprintln!("round {round}: acknowledged token {id} is missing");
                    }
                }
            }
            for value in &dead {
                assert_eq!(
                    works(&client, &base, value).await,
                    701,
                    "a removed or replaced value works again"
                );
            }
            // The ledger follows what the database says about the uncertain ones.
            {
                let mut l = ledger.lock().unwrap();
                l.live.retain(|id, _| stored.contains_key(id));
                for (id, _) in uncertain {
                    l.live.remove(&id);
                }
            }
        }
        server.kill().unwrap();
        server.wait().unwrap();
        check_database(&dir.path().join("patio.db")).await;
    }
    let acknowledged: u64 = ledgers.iter().map(|l| l.lock().unwrap().acknowledged).sum();
    println!("kill -9 rounds: {rounds}, operations acknowledged: {acknowledged}, lost: {lost}");
    assert!(acknowledged > rounds * 5, "the load did real work");
    assert_eq!(lost, 0);
}

/// Integrity, and no token without its methods or methods without their token.
async fn check_database(path: &Path) {
    let pool = domain::platform::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
        .pool;
    let integrity: String = sqlx::query_scalar("pragma integrity_check")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let orphans: i64 = sqlx::query_scalar(
        "select count(*) from token_methods where token_id not in (select id from tokens)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(orphans, 0, "methods without their token");
    let bare: i64 = sqlx::query_scalar(
        "select count(*) from tokens where api_set = 'custom' and id not in (select token_id from token_methods)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(bare, 0, "a Custom token without its methods");
    pool.close().await;
}
