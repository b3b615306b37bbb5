//! Many clients editing and removing the same tokens at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::helpers::{code, spawn_app, PASSWORD};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_edits_and_removals_end_in_a_serial_outcome() {
    let app = Arc::new(spawn_app().await);
    let ann = app.sign_up("ann@example.com").await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(
            app.create_token(&ann, &[("tokenTemplate", "marketplace")])
                .await
                .0,
        );
    }
    // Per token: descriptions whose edit was acknowledged, and whether a removal was.
    let edits: Arc<Mutex<HashMap<i64, Vec<String>>>> = Arc::default();
    let removed: Arc<Mutex<Vec<i64>>> = Arc::default();
    let mut tasks = Vec::new();
    let clients = 24;
    let calls_each = 8;
    for c in 0..clients {
        let (app, session, ids, edits, removed) = (
            app.clone(),
            ann.session.clone(),
            ids.clone(),
            edits.clone(),
            removed.clone(),
        );
        tasks.push(tokio::spawn(async move {
            for k in 0..calls_each {
                let id = ids[(c * 5 + k * 3) % ids.len()];
                let id_text = id.to_string();
                if (c + k) % 11 == 10 {
                    let r = app
                        .call_as(
                            &session,
                            "users.authentication.DeleteTokens",
                            &[("password", PASSWORD), ("ids", &id_text)],
                        )
                        .await;
                    assert!([0, 5].contains(&code(&r)), "{r}");
                    if code(&r) == 0 {
                        removed.lock().unwrap().push(id);
                    }
                } else {
                    let description = format!("client {c} call {k}");
                    let r = app
                        .call_as(
                            &session,
                            "users.authentication.EditToken",
                            &[
                                ("password", PASSWORD),
                                ("id", &id_text),
                                ("description", &description),
                            ],
                        )
                        .await;
                    assert!([0, 5].contains(&code(&r)), "{r}");
                    if code(&r) == 0 {
                        assert_eq!(
                            r["token"]["description"],
                            description.as_str(),
                            "the answer shows this edit"
                        );
                        edits
                            .lock()
                            .unwrap()
                            .entry(id)
                            .or_default()
                            .push(description);
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let list = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    let now: HashMap<i64, String> = list["apiTokens"]
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
    let removed = removed.lock().unwrap();
    let edits = edits.lock().unwrap();
    for id in &ids {
        if removed.contains(id) {
            assert!(
                !now.contains_key(id),
                "token {id} was removed yet is listed"
            );
            continue;
        }
        let description = &now[id];
        let acknowledged = edits.get(id).cloned().unwrap_or_default();
        assert!(
            acknowledged.contains(description)
                || (acknowledged.is_empty() && description == "test token"),
            "token {id} ended as {description:?}, which no acknowledged edit wrote"
        );
    }
    println!(
        "concurrency: {clients} clients × {calls_each} calls on {} tokens",
        ids.len()
    );
}

/// PostgreSQL: a change locks its own account, not the database. While one account's
/// write transaction is held open, another account's token is created at once, and the
/// first account's own change waits for it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writers_of_different_accounts_do_not_wait_for_each_other() {
    use std::time::{Duration, Instant};

    use domain::platform::{Backend, WriteKey};

    use crate::helpers::Account;

    let app = Arc::new(spawn_app().await);
    if app.server.platform.backend != Backend::Postgres {
        eprintln!("skipped: SQLite has one writer at a time by design (PATIO_TEST_POSTGRES unset)");
        return;
    }
    let ann = app.sign_up("ann@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let ann_id = app
        .call_as(&ann.session, "users.account.GetUserInfo", &[])
        .await["uid"]
        .as_i64()
        .unwrap();

    let held = app
        .server
        .platform
        .begin_write(&[WriteKey::Account(ann_id)])
        .await
        .unwrap();
    let started = Instant::now();
    let created = tokio::time::timeout(
        Duration::from_secs(5),
        app.create_token(&bob, &[("tokenTemplate", "marketplace")]),
    )
    .await;
    assert!(
        created.is_ok(),
        "Bob's token creation waited for Ann's open transaction"
    );
    eprintln!(
        "Bob's token created in {:?} while Ann's transaction was open",
        started.elapsed()
    );

    let ann_creates = tokio::spawn({
        let app = app.clone();
        let ann = Account {
            session: ann.session.clone(),
        };
        async move {
            app.create_token(&ann, &[("tokenTemplate", "marketplace")])
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !ann_creates.is_finished(),
        "Ann's own change must wait for her open transaction"
    );
    held.rollback().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), ann_creates)
        .await
        .expect("Ann's change went through once her transaction ended")
        .unwrap();
}
