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
    // Two Bearer headers are refused even when they agree: a proxy added one.
    let twice = [
        ("Authorization", bearer.as_str()),
        ("Authorization", bearer.as_str()),
    ];
    let r = app.post_with(envs, &twice, &[]).await;
    assert_eq!(code(&r), 3, "{r}");
    assert!(
        r["error"].as_str().is_some_and(|e| e.contains("twice")),
        "{r}"
    );
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

/// Every `null` anywhere in `value`, as a path.
fn nulls(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => found.push(at.to_owned()),
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| nulls(v, &format!("{at}.{k}"), found)),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| nulls(v, &format!("{at}[{i}]"), found)),
        _ => {}
    }
}

fn assert_no_nulls(value: &Value) {
    let mut found = Vec::new();
    nulls(value, "", &mut found);
    assert!(found.is_empty(), "nulls at {found:?} in {value}");
}

#[tokio::test]
async fn answers_leave_null_fields_out() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let s = ann.session.as_str();
    app.create_token(&ann, &[("apiList", "environment.control.GetEnvs")])
        .await;
    assert_no_nulls(&app.create_env(s, "shop").await);
    for method in [
        "environment.control.GetEnvs",
        "users.authentication.GetTokens",
        "users.authentication.GetSessions",
        "users.account.GetUserInfo",
    ] {
        let r = app.call_as(s, method, &[]).await;
        assert_eq!(code(&r), 0, "{method}: {r}");
        assert_no_nulls(&r);
    }
    let tokens = app.call_as(s, "users.authentication.GetTokens", &[]).await;
    let token = &tokens["apiTokens"][0];
    assert!(token.get("tokenTemplate").is_none() && token.get("expiresAt").is_none());
}

#[tokio::test]
async fn environments_answer_with_the_platform_fields() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let s = ann.session.as_str();
    // jelastic-client's body: nulls, the group inside docker, two nodes without groups.
    let created = app
        .call_as(
            s,
            "environment.control.CreateEnvironment",
            &[
                (
                    "env",
                    r#"{"displayName": null, "engine": null, "ishaenabled": false, "region": null, "shortdomain": "shop", "sslstate": false}"#,
                ),
                (
                    "nodes",
                    r#"[{"docker": {"image": "nginx:latest", "nodeGroup": null}, "count": 2, "displayName": null, "extip": false, "fixedCloudlets": 1, "flexibleCloudlets": 4, "nodeType": "docker"},
                        {"docker": null, "count": 1, "displayName": null, "extip": false, "fixedCloudlets": null, "flexibleCloudlets": null, "nodeType": "postgresql"}]"#,
                ),
            ],
        )
        .await;
    assert_eq!(code(&created), 0, "{created}");
    let response = &created["response"];
    assert_eq!(response["result"], 0);
    assert_eq!(response["env"], created["env"]);
    let env = &response["env"];
    assert_eq!(env["envName"], "shop");
    assert_eq!(env["shortdomain"], "shop");
    assert_eq!(env["displayName"], "shop");
    assert_eq!(env["domain"], "shop.127.0.0.1");
    assert_eq!(env["status"], 1);
    assert_eq!(env["sslstate"], false);
    assert_eq!(env["ishaenabled"], false);
    assert!(env["hardwareNodeGroup"].is_string());
    assert_eq!(env["extdomains"], serde_json::json!([]));
    assert!(env["appid"].is_string());
    let groups: Vec<_> = response["nodeGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["cp", "sqldb"]);

    let nodes = response["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 3, "one per container");
    for n in nodes {
        assert!(n["id"].is_i64(), "{n}");
        assert!(n["intIP"].as_str().unwrap().starts_with("10."), "{n}");
        assert!(n["url"].as_str().unwrap().contains("://"), "{n}");
        for key in ["fixedCloudlets", "flexibleCloudlets", "diskLimit", "status"] {
            assert!(n[key].is_i64(), "{key} in {n}");
        }
        for key in ["nodeGroup", "nodeType", "nodemission", "name", "type"] {
            assert!(n[key].is_string(), "{key} in {n}");
        }
    }
    assert_eq!(nodes[0]["ismaster"], true);
    assert_eq!(nodes[1]["ismaster"], false);
    assert_ne!(nodes[0]["id"], nodes[1]["id"]);
    assert_ne!(nodes[0]["intIP"], nodes[1]["intIP"]);
    assert_eq!(nodes[2]["nodeGroup"], "sqldb");

    // The same ids and addresses on every call, and in GetEnvs.
    let info = app
        .call_as(s, "environment.control.GetEnvInfo", &[("envName", "shop")])
        .await;
    assert_eq!(&info["nodes"], &response["nodes"]);
    let envs = app.call_as(s, "environment.control.GetEnvs", &[]).await;
    assert_eq!(envs["infos"][0]["nodes"], response["nodes"]);
    assert!(envs["infos"][0].get("result").is_none());
}

#[tokio::test]
async fn a_stopped_environment_says_so_for_every_node() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let s = ann.session.as_str();
    assert_eq!(code(&app.create_env(s, "shop").await), 0);
    let r = app
        .call_as(s, "environment.control.StopEnv", &[("envName", "shop")])
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let info = app
        .call_as(s, "environment.control.GetEnvInfo", &[("envName", "shop")])
        .await;
    assert_eq!(info["env"]["status"], 2);
    let nodes = info["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty());
    assert!(nodes.iter().all(|n| n["status"] == 2), "{info}");
}

#[tokio::test]
async fn py_jelastic_sends_one_node_group_as_an_object_in_the_query() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let query = format!(
        "appid=cluster&env={}&nodes={}&session={}",
        enc(r#"{"shortdomain": "pyj", "displayName": "by py-jelastic", "sslstate": false}"#),
        enc(r#"{"nodeType": "docker", "count": 1, "docker": {"image": "nginx:latest"}}"#),
        ann.session
    );
    let r = app
        .get_raw("environment.control.CreateEnvironment", &query)
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["response"]["env"]["displayName"], "by py-jelastic");
    assert_eq!(r["nodes"][0]["nodeGroup"], "cp");
}

#[tokio::test]
async fn every_error_carries_error() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let r = app
        .call_as(
            &ann.session,
            "environment.control.GetEnvInfo",
            &[("envName", "nope")],
        )
        .await;
    assert_eq!(code(&r), 11);
    assert!(r["error"].as_str().is_some_and(|e| !e.is_empty()), "{r}");
}

#[tokio::test]
async fn the_openapi_document_has_no_empty_required_lists() {
    // OpenAPI 3.0 forbids `required: []`; openapi-spec-validator refuses it.
    let app = spawn_app().await;
    let doc: Value = app
        .client
        .get(app.server.url("/1.0/openapi.json"))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let text = doc.to_string();
    assert!(!text.contains(r#""required":[]"#));
}
