use crate::helpers::{code, spawn_app, PASSWORD};

#[tokio::test]
async fn pages_carry_a_policy_that_admits_only_their_own_script() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.server.url("/signin"))
        .send()
        .await
        .unwrap();
    let headers = page.headers().clone();
    let policy = headers["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let html = page.text().await.unwrap();
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a nonce in the policy");
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the policy's nonce"
    );
    assert!(policy.contains("frame-ancestors 'none'"));
    assert!(policy.contains("'wasm-unsafe-eval'"));
    assert!(!policy.contains("unsafe-inline"));
    // A page's address goes back to this server only (a plain form post returns to it).
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(
        headers.get("strict-transport-security").is_none(),
        "no HSTS over plain http"
    );

    let again = app
        .client
        .get(app.server.url("/signin"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        again.headers()["content-security-policy"],
        policy.as_str(),
        "a fresh nonce per response"
    );

    let api = app
        .client
        .get(app.server.url("/1.0/environment/control/rest/getenvs"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.headers()["content-security-policy"],
        "default-src 'none'; frame-ancestors 'none'"
    );
    assert_eq!(api.headers()["referrer-policy"], "no-referrer");
}

#[tokio::test]
async fn the_reveal_and_the_session_are_never_cached() {
    let app = spawn_app().await;
    app.create_account("ann@example.com").await;
    let signin = app
        .client
        .post(app.server.url("/1.0/users/authentication/rest/signin"))
        .form(&[("login", "ann@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(signin.headers()["cache-control"], "no-store");
    let session: serde_json::Value = signin.json().await.unwrap();
    let created = app
        .client
        .post(app.server.url("/1.0/users/authentication/rest/createtoken"))
        .form(&[
            ("session", session["session"].as_str().unwrap()),
            ("password", PASSWORD),
            ("description", "ci"),
            ("tokenTemplate", "marketplace"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(created.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn cross_site_posts_to_the_dashboard_are_refused() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let cookie = format!("patio_session={}", ann.session);
    let post = |site: Option<&'static str>, origin: Option<String>| {
        let mut request = app
            .client
            .post(app.server.url("/api/create_environment"))
            .header("cookie", &cookie)
            .form(&[("name", "forged"), ("node_type", "nginx")]);
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        request.send()
    };
    assert_eq!(post(Some("cross-site"), None).await.unwrap().status(), 403);
    assert_eq!(post(Some("same-site"), None).await.unwrap().status(), 403);
    assert_eq!(
        post(None, Some("http://evil.example".into()))
            .await
            .unwrap()
            .status(),
        403
    );
    let envs = app
        .call_as(&ann.session, "environment.control.GetEnvs", &[])
        .await;
    assert_eq!(
        envs["infos"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );

    let own = format!("http://{}", app.server.addr);
    assert_eq!(
        post(Some("same-origin"), Some(own)).await.unwrap().status(),
        200
    );
    assert_eq!(app.env_status(&ann.session, "forged").await, 1);
}

#[tokio::test]
async fn the_dashboard_cookie_alone_never_authenticates_the_api() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let r: serde_json::Value = app
        .client
        .get(app.server.url("/1.0/environment/control/rest/getenvs"))
        .header("cookie", format!("patio_session={}", ann.session))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&r), 701);
}

#[tokio::test]
async fn a_token_never_opens_a_dashboard_page() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    let page = app
        .client
        .get(app.server.url("/settings/access-tokens"))
        .header("cookie", format!("patio_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
    let page = app
        .client
        .get(app.server.url("/"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 303);
}

#[tokio::test]
async fn behind_https_cookies_are_secure_and_hsts_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = server::Settings::in_dir(dir.path());
    settings.public_url = Some("https://patio.example".into());
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
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = client.get(server.url("/signin")).send().await.unwrap();
    assert_eq!(
        page.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let signed_in = client
        .post(server.url("/api/sign_in"))
        .header("sec-fetch-site", "same-origin")
        .form(&[("email", "ann@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("patio_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn dashboard_refusals_are_client_errors_and_plain_forms_go_back() {
    let app = spawn_app().await;
    app.sign_up("ann@example.com").await;
    let sign_in = |accept: &'static str, referer: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.server.url("/api/sign_in"))
            .header("sec-fetch-site", "same-origin")
            .header("accept", accept)
            .form(&[
                ("email", "ann@example.com"),
                ("password", "not the password"),
            ]);
        if let Some(referer) = referer {
            request = request.header("referer", referer);
        }
        request.send()
    };
    // The dashboard's own calls: the status says what kind of refusal it is.
    let r = sign_in("application/json", None).await.unwrap();
    assert_eq!(r.status(), 403);
    // A form posted without scripts goes back to its page, as Leptos answers it.
    let r = sign_in("text/html", Some("http://127.0.0.1/signin"))
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("http://127.0.0.1/signin?"),
        "{location}"
    );
    // Without a page to go back to, it is still a client error, not a server one.
    let r = sign_in("text/html", None).await.unwrap();
    assert_eq!(r.status(), 403);
}
