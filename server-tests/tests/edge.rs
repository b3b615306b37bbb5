//! The edge against a stranger on the open internet: connections that send half a
//! request line and stop, idle keep-alive connections, a head trickled a byte at a time,
//! and a handler stuck behind a locked database. Each is bounded by its own limit, and
//! `/healthz` keeps answering throughout.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use domain::Clock;
use server::{Settings, Spawned};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

mod support;
use support::PASSWORD;

async fn spawn(configure: impl FnOnce(&mut Settings)) -> (Spawned, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::in_dir(dir.path());
    configure(&mut settings);
    let app = server::spawn(settings, Clock::default())
        .await
        .expect("start server");
    (app, dir)
}

/// `/healthz` from the loopback address `from`, with the time it took.
async fn healthz_from(app: &Spawned, from: Ipv4Addr) -> (u16, Duration) {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::V4(from))
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    let started = Instant::now();
    let status = client
        .get(app.url("/healthz"))
        .send()
        .await
        .map_or(0, |r| r.status().as_u16());
    (status, started.elapsed())
}

/// Whether the server has closed `stream` (a read gives end-of-file or a reset) within
/// `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> bool {
    let mut byte = [0u8; 512];
    loop {
        match tokio::time::timeout(within, stream.read(&mut byte)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // An answer (a 408 or 400 some servers send) before the close.
            Ok(Ok(_)) => continue,
        }
    }
}

async fn wait_until(what: &str, within: Duration, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < within,
            "{what} did not happen within {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn two_thousand_stalled_connections_are_bounded_and_healthz_keeps_answering() {
    let (app, _dir) = spawn(|s| s.header_timeout = 2).await;
    let started = Instant::now();
    let mut stalled = Vec::with_capacity(2_000);
    for _ in 0..2_000 {
        let mut stream = TcpStream::connect(app.addr).await.expect("connect");
        stream.write_all(b"GET /healthz HT").await.expect("write");
        stalled.push(stream);
    }
    let per_ip = 512;
    wait_until(
        "the accept loop took every connection",
        Duration::from_secs(5),
        || {
            app.edge.open.load(Ordering::Relaxed) == per_ip
                && app.edge.refused_per_ip.load(Ordering::Relaxed) == 2_000 - per_ip as u64
        },
    )
    .await;
    eprintln!(
        "2,000 stalled connections from one address in {:?}: {} held, {} closed at once",
        started.elapsed(),
        app.edge.open.load(Ordering::Relaxed),
        app.edge.refused_per_ip.load(Ordering::Relaxed)
    );
    // Another client is served at once while they are held.
    let (status, took) = healthz_from(&app, Ipv4Addr::new(127, 0, 0, 2)).await;
    assert_eq!(status, 200);
    assert!(took < Duration::from_secs(1), "/healthz took {took:?}");
    // Within the header timeout (2 s, and a margin) every stalled one is closed.
    let deadline = Duration::from_secs(4);
    let mut closed = 0;
    for stream in &mut stalled {
        if closed_within(stream, deadline).await {
            closed += 1;
        }
    }
    assert_eq!(closed, 2_000, "stalled connections still open");
    assert!(app.edge.timed_out.load(Ordering::Relaxed) >= per_ip as u64);
    wait_until("every connection ended", Duration::from_secs(2), || {
        app.edge.open.load(Ordering::Relaxed) == 0
    })
    .await;
    eprintln!(
        "all 2,000 closed {:?} after the first was opened",
        started.elapsed()
    );
    // The flooding address is served again once its connections are gone.
    let (status, _) = healthz_from(&app, Ipv4Addr::LOCALHOST).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn the_connection_cap_closes_what_is_over_it_and_frees_its_places() {
    let (app, _dir) = spawn(|s| {
        s.max_connections = 50;
        s.header_timeout = 1;
    })
    .await;
    let mut held = Vec::new();
    for i in 0..100u8 {
        // From many addresses, so the per-address cap is not what stops them.
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::from(([127, 0, 1, i + 1], 0)))
            .expect("bind");
        let mut stream = socket.connect(app.addr).await.expect("connect");
        stream
            .write_all(b"GET / HTTP/1.1\r\n")
            .await
            .expect("write");
        held.push(stream);
    }
    wait_until(
        "the accept loop took every connection",
        Duration::from_secs(5),
        || {
            app.edge.open.load(Ordering::Relaxed) == 50
                && app.edge.refused_full.load(Ordering::Relaxed) == 50
        },
    )
    .await;
    let mut closed_at_once = 0;
    for stream in held.iter_mut().skip(50) {
        if closed_within(stream, Duration::from_millis(500)).await {
            closed_at_once += 1;
        }
    }
    assert_eq!(
        closed_at_once, 50,
        "connections over the cap are closed as they arrive"
    );
    for stream in held.iter_mut().take(50) {
        assert!(closed_within(stream, Duration::from_secs(3)).await);
    }
    wait_until("the places were freed", Duration::from_secs(2), || {
        app.edge.open.load(Ordering::Relaxed) == 0
    })
    .await;
    let (status, _) = healthz_from(&app, Ipv4Addr::LOCALHOST).await;
    assert_eq!(status, 200);
}

const REQUEST: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: patio.test\r\n\r\n";

/// Reads one answer to `REQUEST` (`ok` has a known length) from a kept-alive connection.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.ends_with(b"\r\n\r\nok") {
        let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf))
            .await
            .expect("an answer in time")
            .expect("read");
        assert!(n > 0, "closed before answering");
        answer.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn keep_alive_silence_and_a_trickled_head_have_limits_of_their_own() {
    let (app, _dir) = spawn(|s| {
        s.header_timeout = 1;
        s.keep_alive_timeout = 3;
    })
    .await;
    // Between requests a connection may wait longer than the header timeout…
    let mut kept = TcpStream::connect(app.addr).await.expect("connect");
    kept.write_all(REQUEST).await.expect("write");
    assert!(read_answer(&mut kept).await.starts_with("HTTP/1.1 200"));
    tokio::time::sleep(Duration::from_millis(1_600)).await;
    kept.write_all(REQUEST).await.expect("write");
    assert!(read_answer(&mut kept).await.starts_with("HTTP/1.1 200"));
    // …but not past the keep-alive timeout.
    let idle = Instant::now();
    assert!(closed_within(&mut kept, Duration::from_secs(5)).await);
    let waited = idle.elapsed();
    assert!(
        waited >= Duration::from_millis(2_800) && waited < Duration::from_millis(4_000),
        "an idle connection was closed after {waited:?}, not 3 s"
    );

    // A head trickled a byte at a time is closed at the header timeout, however busy
    // the trickle keeps the connection.
    let mut slow = TcpStream::connect(app.addr).await.expect("connect");
    let started = Instant::now();
    let mut cut_off = None;
    for byte in REQUEST.iter().cycle().take(200) {
        if slow.write_all(&[*byte]).await.is_err() {
            cut_off = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut probe = [0u8; 64];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), slow.read(&mut probe)).await
        {
            cut_off = Some(started.elapsed());
            break;
        }
    }
    let cut_off = cut_off.expect("a trickled head was never cut off");
    assert!(
        cut_off < Duration::from_millis(2_000),
        "a trickled head lasted {cut_off:?}"
    );
}

#[tokio::test]
async fn a_request_stuck_past_its_deadline_is_answered_503_and_changes_nothing() {
    let (app, dir) = spawn(|s| s.request_timeout = 1).await;
    let platform = &app.platform;
    platform
        .accounts()
        .sign_up("ann@example.com", PASSWORD.into(), &Default::default())
        .await
        .expect("sign up");
    let client = reqwest::Client::new();
    let base = format!("http://{}", app.addr);
    let signin = support::call(
        &client,
        &base,
        "users.authentication.Signin",
        &[("login", "ann@example.com"), ("password", PASSWORD)],
    )
    .await;
    let session = signin["session"].as_str().expect("session").to_owned();
    // Another process holds the database's write lock (a backup, an operator's query).
    let mut blocker = {
        use sqlx::{ConnectOptions, Connection};
        let options: sqlx::sqlite::SqliteConnectOptions =
            format!("sqlite://{}", dir.path().join("patio.db").display())
                .parse()
                .expect("options");
        let mut conn = options.connect().await.expect("connect");
        sqlx::Executor::execute(&mut conn, "begin immediate")
            .await
            .expect("lock");
        let _ = Connection::ping(&mut conn).await;
        conn
    };
    let started = Instant::now();
    let response = client
        .post(format!(
            "{base}{}",
            support::path_of("users.authentication.CreateToken")
        ))
        .form(&[
            ("session", session.as_str()),
            ("password", PASSWORD),
            ("description", "stuck"),
            ("tokenTemplate", "extended-access"),
        ])
        .send()
        .await
        .expect("send");
    let took = started.elapsed();
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("x-request-id"));
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["result"], 1, "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("within 1 s"),
        "{body}"
    );
    assert!(took < Duration::from_secs(3), "answered after {took:?}");
    sqlx::Executor::execute(&mut blocker, "rollback")
        .await
        .expect("unlock");
    let tokens = support::call(
        &client,
        &base,
        "users.authentication.GetTokens",
        &[("session", session.as_str())],
    )
    .await;
    assert_eq!(
        tokens["apiTokens"],
        serde_json::json!([]),
        "nothing was made"
    );
    // The server serves on.
    let (status, _) = healthz_from(&app, Ipv4Addr::LOCALHOST).await;
    assert_eq!(status, 200);
}
