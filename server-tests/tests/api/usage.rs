//! Token usage (last client, calls per day and method) and Tighten, through the
//! dashboard's own server functions, as the Access Tokens page calls them.

use serde_json::{json, Value};

use crate::helpers::{code, spawn_app, Account, TestApp, PASSWORD};

impl TestApp {
    /// A dashboard server function, called the way the page calls it (same origin,
    /// the session cookie); the caller adds the body.
    fn dashboard_post(&self, account: &Account, endpoint: &str) -> reqwest::RequestBuilder {
        self.client
            .post(self.server.url(&format!("/api/{endpoint}")))
            .header("cookie", format!("patio_session={}", account.session))
            .header("sec-fetch-site", "same-origin")
    }

    /// The HTTP status and the JSON body of a server function's answer.
    async fn answer(request: reqwest::RequestBuilder) -> (u16, Value) {
        let response = request.send().await.expect("send");
        let status = response.status().as_u16();
        (status, response.json().await.expect("json"))
    }

    async fn dashboard(&self, account: &Account, endpoint: &str, body: Value) -> (u16, Value) {
        Self::answer(self.dashboard_post(account, endpoint).json(&body)).await
    }

    /// The plain (non-JSON) server functions take a form.
    async fn dashboard_form(
        &self,
        account: &Account,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (u16, Value) {
        Self::answer(self.dashboard_post(account, endpoint).form(form)).await
    }

    async fn usage(&self, account: &Account, id: i64) -> Value {
        let (status, body) = self
            .dashboard_form(account, "token_usage", &[("id", &id.to_string())])
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    async fn call_with_agent(&self, token: &str, agent: &str, method: &str, env: &str) -> i64 {
        let reply: Value = self
            .client
            .get(self.server.url(&crate::helpers::path(method)))
            .header("user-agent", agent)
            .query(&[("session", token), ("envName", env)])
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        code(&reply)
    }
}

const INFO: &str = "environment.control.GetEnvInfo";
const STOP: &str = "environment.control.StopEnv";
const START: &str = "environment.control.StartEnv";

fn calls_of(usage: &Value, method: &str) -> Option<i64> {
    usage["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|m| m["method"] == method)
        .map(|m| m["calls"].as_i64().expect("calls"))
}

fn per_day(usage: &Value) -> Vec<i64> {
    usage["days"]
        .as_array()
        .expect("days")
        .iter()
        .map(|d| d["calls"].as_i64().expect("calls"))
        .collect()
}

#[tokio::test]
async fn calls_are_counted_per_day_and_method_with_the_last_client() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    app.create_env(&ann.session, "shop").await;
    let (id, token) = app
        .create_token(&ann, &[("tokenTemplate", "ide-plugins")])
        .await;

    for _ in 0..3 {
        assert_eq!(
            app.call_with_agent(&token, "deploy-bot/1.2", INFO, "shop")
                .await,
            0
        );
    }
    assert_eq!(
        app.call_with_agent(&token, "deploy-bot/1.2", STOP, "shop")
            .await,
        0
    );
    // Refused calls are not usage: the token may not call it.
    let denied = app.call_as(&token, "marketplace.app.GetList", &[]).await;
    assert_eq!(code(&denied), 8202);
    app.clock.advance(chrono::Duration::days(2));
    assert_eq!(
        app.call_with_agent(&token, "ci-runner/7", INFO, "shop")
            .await,
        0
    );
    // The dashboard session idled out meanwhile.
    let ann = app.sign_in("ann@example.com").await;

    let usage = app.usage(&ann, id).await;
    let days = per_day(&usage);
    assert_eq!(days.len(), 30);
    assert_eq!(days[29], 1, "today: {days:?}");
    assert_eq!(days[27], 4, "two days ago: {days:?}");
    assert_eq!(days.iter().sum::<i64>(), 5);
    assert_eq!(calls_of(&usage, INFO), Some(4));
    assert_eq!(calls_of(&usage, STOP), Some(1));
    assert_eq!(calls_of(&usage, "marketplace.app.GetList"), None);
    assert_eq!(usage["last_used"]["user_agent"], "ci-runner/7");
    assert_eq!(usage["last_used"]["ip"], "127.0.0.1");

    // Another account sees nothing of it.
    let bob = app.sign_up("bob@example.com").await;
    let (status, body) = app
        .dashboard_form(&bob, "token_usage", &[("id", &id.to_string())])
        .await;
    assert_eq!(status, 404, "a refusal is not a server error");
    assert_eq!(body["Domain"]["code"], 5, "{body}");

    // Thirty days on, those calls have left the chart.
    app.clock.advance(chrono::Duration::days(30));
    let ann = app.sign_in("ann@example.com").await;
    let later = app.usage(&ann, id).await;
    assert_eq!(per_day(&later).iter().sum::<i64>(), 0);
    assert!(later["methods"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn counts_go_with_the_token_and_age_out() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    app.create_env(&ann.session, "shop").await;
    let (id, token) = app.create_token(&ann, &[("apiList", INFO)]).await;
    let (other, other_token) = app.create_token(&ann, &[("apiList", INFO)]).await;
    assert_eq!(app.call_with_agent(&token, "a", INFO, "shop").await, 0);
    assert_eq!(
        app.call_with_agent(&other_token, "a", INFO, "shop").await,
        0
    );
    app.server.platform.upkeep().flush_pending().await.unwrap();
    let rows = |token_id: i64| {
        let db = app.server.platform.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from token_usage where token_id = $1")
                .bind(token_id)
                .fetch_one(&db)
                .await
                .unwrap()
        }
    };
    assert_eq!(rows(id).await, 1);

    let removed = app
        .call_as(
            &ann.session,
            "users.authentication.DeleteTokens",
            &[("password", PASSWORD), ("ids", &id.to_string())],
        )
        .await;
    assert_eq!(code(&removed), 0, "{removed}");
    assert_eq!(rows(id).await, 0, "a removed token's counts go with it");

    // Past the retention window, old counts are dropped at the next write.
    app.clock.advance(chrono::Duration::days(91));
    assert_eq!(
        app.call_with_agent(&other_token, "a", INFO, "shop").await,
        0
    );
    app.server.platform.upkeep().flush_pending().await.unwrap();
    assert_eq!(rows(other).await, 1, "only today's row is left");
}

#[tokio::test]
async fn tighten_proposes_the_methods_used_and_applies_only_with_the_password() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    app.create_env(&ann.session, "shop").await;
    let (id, token) = app
        .create_token(&ann, &[("tokenTemplate", "ide-plugins")])
        .await;
    // Forty days ago it started environments; lately it only reads and stops them.
    assert_eq!(app.call_with_agent(&token, "a", STOP, "shop").await, 0);
    assert_eq!(app.call_with_agent(&token, "a", START, "shop").await, 0);
    app.clock.advance(chrono::Duration::days(40));
    assert_eq!(app.call_with_agent(&token, "a", INFO, "shop").await, 0);
    assert_eq!(app.call_with_agent(&token, "a", STOP, "shop").await, 0);
    // Asking about itself needs no grant, so it is never part of the proposal.
    let me = app
        .call_as(&token, "users.authentication.VerifyToken", &[])
        .await;
    assert_eq!(code(&me), 0, "{me}");
    let ann = app.sign_in("ann@example.com").await;

    let propose = |days: i64| {
        let form = [("id", id.to_string()), ("days", days.to_string())];
        let (app, ann) = (&app, &ann);
        async move {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.dashboard_form(ann, "propose_tightening", &form).await
        }
    };
    let (status, recent) = propose(30).await;
    assert_eq!(status, 200, "{recent}");
    assert_eq!(recent["proposed"], json!([INFO, STOP]));
    assert_eq!(recent["current"]["set"], "IdePlugins");
    let (_, wider) = propose(90).await;
    assert_eq!(wider["proposed"], json!([INFO, START, STOP]));
    for bad in [0, 91] {
        let (status, body) = propose(bad).await;
        assert_eq!(status, 400);
        assert_eq!(body["Domain"]["code"], 3, "days={bad}: {body}");
    }

    let tighten = |methods: Value, password: &str| {
        app.dashboard(
            &ann,
            "tighten_token",
            json!({ "id": id, "methods": methods, "password": password }),
        )
    };
    // A wrong password changes nothing.
    let (status, body) = tighten(recent["proposed"].clone(), "wrong password").await;
    assert_eq!(status, 403);
    assert_eq!(body["Domain"]["code"], 702, "{body}");
    assert_eq!(app.call_with_agent(&token, "a", START, "shop").await, 0);
    // Tightening never widens: a method the token does not hold is refused.
    let (status, body) = tighten(json!([INFO, "marketplace.app.GetList"]), PASSWORD).await;
    assert_eq!(status, 400);
    assert_eq!(body["Domain"]["code"], 3, "{body}");

    // A proposal made before another edit took a method away cannot put it back.
    let narrowed = app
        .confirmed(
            &ann,
            "users.authentication.EditToken",
            &[
                ("id", &id.to_string()),
                ("apiList", &format!("{INFO},{START}")),
            ],
        )
        .await;
    assert_eq!(code(&narrowed), 0, "{narrowed}");
    let (status, body) = tighten(recent["proposed"].clone(), PASSWORD).await;
    assert_eq!(status, 400, "StopEnv was taken away meanwhile: {body}");
    assert_eq!(app.call_with_agent(&token, "a", STOP, "shop").await, 8202);
    // Put back what it had, then apply the proposal for real.
    let restored = app
        .confirmed(
            &ann,
            "users.authentication.EditToken",
            &[("id", &id.to_string()), ("tokenTemplate", "ide-plugins")],
        )
        .await;
    assert_eq!(code(&restored), 0, "{restored}");
    let (status, body) = tighten(recent["proposed"].clone(), PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["grant"]["set"], "Custom");
    assert_eq!(body["grant"]["custom"], json!([INFO, STOP]));
    // The same value keeps working for what it used, and only for that.
    assert_eq!(app.call_with_agent(&token, "a", STOP, "shop").await, 0);
    assert_eq!(app.call_with_agent(&token, "a", START, "shop").await, 8202);
    let (_, again) = propose(30).await;
    assert_eq!(again["proposed"], json!([INFO, STOP]));
    assert_eq!(again["current"]["set"], "Custom");
}
