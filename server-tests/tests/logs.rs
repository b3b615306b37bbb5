//! Runs a round of token, session and password operations with every log level on,
//! then searches everything logged for the secrets that passed through.

use domain::Clock;
use serde_json::Value;
use server::Settings;

mod support;
use support::{Captured, PASSWORD};

#[tokio::test]
async fn no_secret_reaches_the_logs() {
    let logs = Captured::default();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(logs.clone())
        .with_ansi(false)
        .init();

    let dir = tempfile::tempdir().unwrap();
    let app = server::spawn(Settings::in_dir(dir.path()), Clock::default())
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let call = |path: &str, params: Vec<(&str, String)>, bearer: Option<String>| {
        let mut request = client.post(app.url(path)).form(&params);
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.unwrap().json::<Value>().await.unwrap() }
    };

    app.platform
        .accounts()
        .sign_up(
            "ann@example.com",
            PASSWORD.into(),
            &domain::accounts::Origin::default(),
        )
        .await
        .unwrap();
    let signin = call(
        "/1.0/users/authentication/rest/signin",
        vec![
            ("login", "ann@example.com".into()),
            ("password", PASSWORD.into()),
        ],
        None,
    )
    .await;
    let session = signin["session"].as_str().unwrap().to_owned();
    let created = call(
        "/1.0/users/authentication/rest/createtoken",
        vec![
            ("session", session.clone()),
            ("password", PASSWORD.into()),
            ("description", "ci".into()),
            ("tokenTemplate", "extended-access".into()),
        ],
        None,
    )
    .await;
    let token = created["token"]["key"].as_str().unwrap().to_owned();
    let id = created["token"]["id"].to_string();
    // A share link of it, made and opened as the pages do; the key (which a browser
    // keeps in the fragment) is written here only to prove it goes nowhere.
    let key = "q0v4QkqVZ7ZbRr8r3gT5mXjTq1YwzW2u5m8tVq3y9aE";
    let sealed = domain::shares::encode(&[42u8; domain::shares::SEALED_LEN]);
    let share = |endpoint: &str, form: Vec<(&str, String)>| {
        client
            .post(app.url(&format!("/api/{endpoint}")))
            .header("cookie", format!("patio_session={session}"))
            .header("sec-fetch-site", "same-origin")
            .form(&form)
            .send()
    };
    let made: Value = share(
        "create_share",
        vec![
            ("token_id", id.clone()),
            ("ciphertext", sealed.clone()),
            ("lifetime", "1h".into()),
        ],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let link = made["id"].as_str().expect("a share link").to_owned();
    let page = client
        .get(app.url(&format!("/share/{link}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    page.text().await.unwrap();
    let opened = share("open_share", vec![("id", link.clone())])
        .await
        .unwrap();
    assert_eq!(opened.status(), 200);
    // In the query string, in a header, wrong and right.
    let by_query = client
        .get(app.url(&format!(
            "/1.0/environment/control/rest/getenvs?session={token}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(by_query.status(), 200);
    call(
        "/1.0/environment/control/rest/getenvs",
        vec![],
        Some(token.clone()),
    )
    .await;
    let regenerated = call(
        "/1.0/users/authentication/rest/regeneratetoken",
        vec![
            ("session", session.clone()),
            ("password", PASSWORD.into()),
            ("id", id.clone()),
        ],
        None,
    )
    .await;
    let fresh = regenerated["token"]["key"].as_str().unwrap().to_owned();
    call(
        "/1.0/environment/control/rest/getenvs",
        vec![("session", token.clone())],
        None,
    )
    .await;
    call(
        "/1.0/users/authentication/rest/deletetokens",
        vec![
            ("session", session.clone()),
            ("password", "wrong password".into()),
            ("ids", id.clone()),
        ],
        None,
    )
    .await;
    let page = client
        .get(app.url("/settings/access-tokens"))
        .header("cookie", format!("patio_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    app.stop().await.unwrap();

    let text = logs.text();
    assert!(
        text.lines().count() > 20,
        "the capture saw the requests:\n{text}"
    );
    for (what, secret) in [
        ("share key", &key.to_string()),
        ("share ciphertext", &sealed),
        ("token", &token),
        ("regenerated token", &fresh),
        ("session", &session),
        ("password", &PASSWORD.to_string()),
    ] {
        assert!(!text.contains(secret.as_str()), "the {what} was logged");
    }
    assert!(
        !text.contains("wrong password"),
        "a failed password was logged"
    );
    println!(
        "log lines scanned: {}, bytes: {}",
        text.lines().count(),
        text.len()
    );
}
