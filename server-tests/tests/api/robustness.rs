//! Hostile and oversized input, revocation under load, and shutdown with requests in
//! flight.

use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{code, path, spawn_app, PASSWORD};

#[tokio::test]
async fn oversized_and_malformed_input_is_refused_and_the_server_keeps_serving() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let url = app.server.url(&path("users.authentication.CreateToken"));

    // 10 MB of form body: refused before it is read.
    let big = format!(
        "session={}&description={}",
        ann.session,
        "x".repeat(10 * 1024 * 1024)
    );
    let r = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);

    // A huge description, bad UTF-8, bad encoding, thousands of ids.
    let long = "d".repeat(100_000);
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.CreateToken",
            &[
                ("password", PASSWORD),
                ("description", &long),
                ("tokenTemplate", "marketplace"),
            ],
        )
        .await;
    assert_eq!(code(&r), 3, "{r}");
    for query in ["envName=%FF%FE", "envName=%zz"] {
        let r: serde_json::Value = app
            .client
            .get(format!(
                "{}?session={}&{query}",
                app.server.url(&path("environment.control.GetEnvInfo")),
                ann.session
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(code(&r), 3, "{query}: {r}");
    }
    let ids: Vec<String> = (1..=5000).map(|i| i.to_string()).collect();
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.DeleteTokens",
            &[("password", PASSWORD), ("ids", &ids.join(","))],
        )
        .await;
    assert_eq!(code(&r), 3, "{r}");
    let r = app.client.put(&url).send().await.unwrap();
    assert_eq!(r.status(), 405, "a wrong verb is a transport fault");

    let list = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    assert_eq!(
        list["apiTokens"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );
    assert_eq!(
        app.client
            .get(app.server.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}

#[tokio::test]
async fn a_method_answers_at_every_spelling_of_its_path_and_only_there() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(code(&app.create_env(&ann.session, "my-project").await), 0);
    let get = |at: &str| {
        let url = format!(
            "{}?envName=my-project&session={}",
            app.server.url(at),
            ann.session
        );
        let client = app.client.clone();
        async move {
            let r = client.get(url).send().await.unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    // The catalogue's own spelling, any case of the method's name, and the doubled
    // slash a client makes of a base URL that ends in one: the same answer.
    let (status, expected) = get("/1.0/environment/control/rest/getenvinfo").await;
    assert_eq!(status, 200);
    assert!(expected.starts_with(r#"{"result":0,"env":"#), "{expected}");
    for at in [
        "/1.0/environment/control/rest/GetEnvInfo",
        "/1.0/environment/control/rest/GETENVINFO",
        "/1.0//environment/control/rest/getenvinfo",
        "/1.0//environment/control/rest/GetEnvInfo",
    ] {
        assert_eq!(get(at).await, (200, expected.clone()), "{at}");
    }
    // Groups and services are spelled one way; a name nobody has is no method.
    for at in [
        "/1.0/environment/Control/rest/getenvinfo",
        "/1.0/environment/control/rest/getenvinfos",
    ] {
        let (status, body) = get(at).await;
        let body: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!((status, code(&body)), (200, 5), "{at}: {body}");
        assert!(body["error"].as_str().unwrap().starts_with("no method"));
    }
    assert_eq!(get("/1.0/environment/control/rest/").await.0, 404);
    // A wrong verb and an oversized form are refused alike on both kinds of route.
    for at in [
        "/1.0/environment/control/rest/getenvinfo",
        "/1.0/environment/control/rest/GetEnvInfo",
        "/1.0/environment/control/rest/nosuchmethod",
    ] {
        let put = app.client.put(app.server.url(at)).send().await.unwrap();
        assert_eq!(put.status(), 405, "{at}");
        let big = app
            .client
            .post(app.server.url(at))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "envName=my-project&x={}",
                "y".repeat(2 * 1024 * 1024)
            ))
            .send()
            .await
            .unwrap();
        assert_eq!(big.status(), 413, "{at}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn once_removal_answers_no_later_request_with_the_value_succeeds() {
    let app = Arc::new(spawn_app().await);
    let ann = app.sign_up("ann@example.com").await;
    let (id, token) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut load = Vec::new();
    for _ in 0..16 {
        let (app, token, stop) = (app.clone(), token.clone(), stop.clone());
        load.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let started = Instant::now();
                let r = app
                    .call_as(&token, "environment.control.GetEnvs", &[])
                    .await;
                seen.push((started, code(&r)));
            }
            seen
        }));
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let removal = app
        .call_as(
            &ann.session,
            "users.authentication.DeleteTokens",
            &[("password", PASSWORD), ("ids", &id.to_string())],
        )
        .await;
    let answered = Instant::now();
    assert_eq!(code(&removal), 0);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut before, mut after) = (0, 0);
    for task in load {
        for (started, result) in task.await.unwrap() {
            if started > answered {
                assert_eq!(
                    result, 701,
                    "a request sent after the removal answered succeeded"
                );
                after += 1;
            } else {
                assert!([0, 701].contains(&result));
                before += 1;
            }
        }
    }
    assert!(
        before > 0 && after > 0,
        "load ran on both sides of the removal ({before}, {after})"
    );
}

#[tokio::test]
async fn shutdown_finishes_a_request_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let server = server::spawn(
        server::Settings::in_dir(dir.path()),
        domain::Clock::default(),
    )
    .await
    .unwrap();
    let addr = server.addr;
    let body = "login=nobody%40example.com&password=whatever-it-is";
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /1.0/users/authentication/rest/signin HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    socket.write_all(&body.as_bytes()[..10]).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;

    let stopping = tokio::spawn(server.stop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(
        !stopping.is_finished(),
        "shutdown waits for the request in flight"
    );
    socket.write_all(&body.as_bytes()[10..]).await.unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"result\":702"), "{answer}");
    stopping.await.unwrap().unwrap();
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "no new connections after shutdown"
    );
}
