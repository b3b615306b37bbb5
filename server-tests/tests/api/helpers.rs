//! `spawn_app()` and one helper per call the tests make.

use domain::Clock;
use serde_json::Value;
use server::{Settings, Spawned};

pub use crate::support::{fresh_postgres, PASSWORD};

pub struct TestApp {
    pub server: Spawned,
    pub clock: Clock,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
}

/// An account signed in through the API.
pub struct Account {
    pub session: String,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// A server with some settings changed.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Clock::default();
    let mut settings = Settings::in_dir(dir.path());
    if let Some(url) = fresh_postgres().await {
        settings.database_url = url;
    }
    configure(&mut settings);
    let server = server::spawn(settings, clock.clone())
        .await
        .expect("start server");
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    TestApp {
        server,
        clock,
        client,
        dir,
    }
}

/// With `PATIO_TEST_POSTGRES` naming a PostgreSQL database (`scripts/test` starts one),
/// a new empty database beside it for one test; otherwise `None` (SQLite).
pub use crate::support::path_of as path;

impl TestApp {
    /// POSTs a form to a method and returns the JSON answer.
    pub async fn call(&self, method: &str, params: &[(&str, &str)]) -> Value {
        let response = self
            .client
            .post(self.server.url(&path(method)))
            .form(params)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{method}");
        response.json().await.expect("json")
    }

    /// The same call as a GET with a query string.
    pub async fn get(&self, method: &str, params: &[(&str, &str)]) -> Value {
        let response = self
            .client
            .get(self.server.url(&path(method)))
            .query(params)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{method}");
        response.json().await.expect("json")
    }

    /// A form POST that a proxy forwarded for `client` (`X-Forwarded-For`).
    pub async fn call_from(&self, client: &str, method: &str, params: &[(&str, &str)]) -> Value {
        let response = self
            .client
            .post(self.server.url(&path(method)))
            .header("x-forwarded-for", client)
            .form(params)
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), 200, "{method}");
        response.json().await.expect("json")
    }

    /// A call with the credential in `Authorization: Bearer`.
    pub async fn call_bearer(&self, method: &str, token: &str, params: &[(&str, &str)]) -> Value {
        let response = self
            .client
            .post(self.server.url(&path(method)))
            .bearer_auth(token)
            .form(params)
            .send()
            .await
            .expect("send");
        response.json().await.expect("json")
    }

    /// A call with `session` set to `credential`.
    pub async fn call_as(&self, credential: &str, method: &str, params: &[(&str, &str)]) -> Value {
        let mut all = vec![("session", credential)];
        all.extend_from_slice(params);
        self.call(method, &all).await
    }

    /// A change confirmed with the account's password, as the token methods want it.
    pub async fn confirmed(
        &self,
        account: &Account,
        method: &str,
        params: &[(&str, &str)],
    ) -> Value {
        let mut all = vec![("password", PASSWORD)];
        all.extend_from_slice(params);
        self.call_as(&account.session, method, &all).await
    }

    /// An account with `PASSWORD`, not yet signed in anywhere.
    pub async fn create_account(&self, email: &str) {
        self.server
            .platform
            .accounts()
            .sign_up(email, PASSWORD.into(), &domain::accounts::Origin::default())
            .await
            .expect("sign up");
    }

    pub async fn sign_up(&self, email: &str) -> Account {
        self.create_account(email).await;
        self.sign_in(email).await
    }

    /// A new session for an existing account.
    pub async fn sign_in(&self, email: &str) -> Account {
        let reply = self
            .call(
                "users.authentication.Signin",
                &[("login", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(reply["result"], 0, "{reply}");
        Account {
            session: reply["session"].as_str().expect("session").into(),
        }
    }

    /// Creates a token and returns (id, value).
    pub async fn create_token(&self, account: &Account, params: &[(&str, &str)]) -> (i64, String) {
        let mut all = vec![("password", PASSWORD), ("description", "test token")];
        all.extend_from_slice(params);
        let reply = self
            .call_as(&account.session, "users.authentication.CreateToken", &all)
            .await;
        assert_eq!(reply["result"], 0, "{reply}");
        let token = &reply["token"];
        (
            token["id"].as_i64().expect("id"),
            token["key"].as_str().expect("key").to_owned(),
        )
    }

    pub async fn create_env(&self, credential: &str, name: &str) -> Value {
        let env = format!(r#"{{"shortdomain":"{name}"}}"#);
        self.call_as(
            credential,
            "environment.control.CreateEnvironment",
            &[
                ("env", &env),
                ("nodes", r#"[{"nodeType":"nginx","count":1}]"#),
            ],
        )
        .await
    }

    pub async fn env_status(&self, credential: &str, name: &str) -> i64 {
        let reply = self
            .call_as(
                credential,
                "environment.control.GetEnvInfo",
                &[("envName", name)],
            )
            .await;
        assert_eq!(reply["result"], 0, "{reply}");
        reply["env"]["status"].as_i64().expect("status")
    }
}

pub fn code(reply: &Value) -> i64 {
    reply["result"]
        .as_i64()
        .unwrap_or_else(|| panic!("no result in {reply}"))
}
