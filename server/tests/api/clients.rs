//! What platform client libraries send and read: the request and answer shapes of
//! docs/clients.md.

use serde_json::Value;

use crate::helpers::{code, path, spawn_app, TestApp, PASSWORD};

impl TestApp {
    /// A GET with a raw query string, as py-jelastic builds it.
    async fn get_raw(&self, method: &str, query: &str) -> Value {
        let url = format!("{}?{query}", self.server.url(&path(method)));
        let response = self.client.get(url).send().await.expect("send");
        assert_eq!(response.status(), 200, "{method}");
        response.json().await.expect("json")
    }

    /// A POST with extra headers.
    async fn post_with(
        &self,
        method: &str,
        headers: &[(&str, &str)],
        params: &[(&str, &str)],
    ) -> Value {
        let mut request = self.client.post(self.server.url(&path(method)));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.form(params).send().await.expect("send");
        assert_eq!(response.status(), 200, "{method}");
        response.json().await.expect("json")
    }
}

/// Percent-encodes every byte but letters and digits.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn parameter_names_match_without_regard_to_case_and_extras_are_ignored() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    assert_eq!(code(&app.create_env(&ann.session, "shop").await), 0);
    let r = app
        .get_raw(
            "environment.control.GetEnvInfo",
            &format!(
                "appid=cluster&envname=shop&lazy=True&ruk=x&SESSION={}",
                ann.session
            ),
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["env"]["envName"], "shop");
    let r = app
        .call(
            "users.authentication.Signin",
            &[("LOGIN", "ann@example.com"), ("Password", PASSWORD)],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
}

#[tokio::test]
async fn lists_come_as_repeated_keys_json_comma_or_python_repr() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let stop = "environment.control.StopEnv";
    let info = "environment.control.GetEnvInfo";
    let methods = |reply: &Value| reply["token"]["apiListItems"].clone();
    for list in [
        format!("apiList={stop}&apiList={info}"),
        format!("apiList={}", enc(&format!(r#"["{stop}","{info}"]"#))),
        format!("apiList={}", enc(&format!("{stop},{info}"))),
        format!("apiList={}", enc(&format!("['{stop}', '{info}']"))),
    ] {
        let query = format!(
            "session={}&password={}&description=list&{list}",
            ann.session,
            enc(PASSWORD)
        );
        let r = app
            .get_raw("users.authentication.CreateToken", &query)
            .await;
        assert_eq!(code(&r), 0, "{list}: {r}");
        assert_eq!(methods(&r), serde_json::json!([info, stop]), "{list}");
    }
    let r = app
        .get_raw(
            "users.authentication.GetTokens",
            &format!("session={}&ids={}", ann.session, enc("[1, 2]")),
        )
        .await;
    assert_eq!(r["apiTokens"].as_array().unwrap().len(), 2, "{r}");
    let r = app
        .get_raw(
            "users.authentication.GetTokens",
            &format!("session={}&ids=1&ids=3", ann.session),
        )
        .await;
    assert_eq!(r["apiTokens"].as_array().unwrap().len(), 2, "{r}");
}

#[tokio::test]
async fn ids_star_lists_every_token() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    for _ in 0..3 {
        app.create_token(&ann, &[("tokenTemplate", "marketplace")])
            .await;
    }
    let r = app
        .call_as(
            &ann.session,
            "users.authentication.GetTokens",
            &[("ids", "*")],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["apiTokens"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn regenerate_takes_one_id_in_ids() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (id, old) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let (other, _) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let both = format!("{id},{other}");
    let r = app
        .confirmed(
            &ann,
            "users.authentication.RegenerateToken",
            &[("ids", &both)],
        )
        .await;
    assert_eq!(code(&r), 3, "{r}");
    let r = app
        .confirmed(
            &ann,
            "users.authentication.RegenerateToken",
            &[("ids", &format!("[{id}]"))],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["token"]["id"], id);
    assert_ne!(r["token"]["key"], old.as_str());
}

#[tokio::test]
async fn the_same_credential_twice_is_one_and_two_different_are_refused() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "extended-access")])
        .await;
    let bearer = format!("Bearer {token}");
    let envs = "environment.control.GetEnvs";
    let r = app
        .post_with(envs, &[("Authorization", &bearer)], &[("session", &token)])
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let lower = format!("bearer {token}");
    let r = app.post_with(envs, &[("Authorization", &lower)], &[]).await;
    assert_eq!(code(&r), 0, "{r}");
    let r = app
        .post_with(
            envs,
            &[("Authorization", &bearer)],
            &[("session", &ann.session)],
        )
        .await;
    assert_eq!(code(&r), 3, "{r}");
    assert!(r["error"].is_string());
}

#[tokio::test]
async fn an_authorization_header_that_is_not_bearer_is_ignored() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let basic = [("Authorization", "Basic cHJveHk6c2VjcmV0")];
    let r = app
        .post_with(
            "environment.control.GetEnvs",
            &basic,
            &[("session", &ann.session)],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let r = app
        .post_with(
            "users.authentication.Signin",
            &basic,
            &[
                ("login", "ann@example.com"),
                ("password", PASSWORD),
                ("session", "left-over"),
            ],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let r = app
        .post_with("environment.control.GetEnvs", &basic, &[])
        .await;
    assert_eq!(code(&r), 701, "{r}");
}
