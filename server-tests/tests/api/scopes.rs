//! Tokens limited to environments (API.md, "Environment scope"): a token reaches only
//! the environments it was made for, every method that names or creates one is held to
//! that, and a name outside the scope answers exactly like a name that does not exist.

use domain::audit::{AuditFilter, PageStart};
use domain::catalogue::{self, Reach};
use serde_json::Value;

use crate::helpers::{code, spawn_app, Account, TestApp, PASSWORD};

const STOP: &str = "environment.control.StopEnv";
const INFO: &str = "environment.control.GetEnvInfo";
const ENVS: &str = "environment.control.GetEnvs";

fn outside(name: &str) -> String {
    format!("Permission denied, environment outside this token's scope: {name}")
}

/// The names `GetEnvs` lists for `credential`.
async fn listed(app: &TestApp, credential: &str) -> Vec<String> {
    let reply = app.call_as(credential, ENVS, &[]).await;
    assert_eq!(code(&reply), 0, "{reply}");
    let mut names: Vec<String> = reply["infos"]
        .as_array()
        .expect("infos")
        .iter()
        .map(|i| i["env"]["envName"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

async fn token_fields(app: &TestApp, owner: &Account, id: i64) -> Value {
    let reply = app
        .call_as(
            &owner.session,
            "users.authentication.GetTokens",
            &[("ids", &id.to_string())],
        )
        .await;
    assert_eq!(code(&reply), 0, "{reply}");
    reply["apiTokens"][0].clone()
}

/// The dashboard's caller for an account's session.
async fn session_caller(app: &TestApp, account: &Account) -> domain::Caller {
    app.server
        .platform
        .access()
        .authorize(
            Some(&account.session.clone().into()),
            domain::access::Purpose::Dashboard,
            Default::default(),
        )
        .await
        .expect("authorize")
        .expect("caller")
}

/// An account with environments `my-project`, `other` and `prod`.
async fn account_with_envs(app: &TestApp) -> Account {
    let ann = app.sign_up("ann@example.com").await;
    for name in ["my-project", "other", "prod"] {
        assert_eq!(code(&app.create_env(&ann.session, name).await), 0);
    }
    ann
}

#[tokio::test]
async fn a_token_limited_to_one_environment_stops_it_and_nothing_else() {
    let app = spawn_app().await;
    let ann = account_with_envs(&app).await;
    let (id, token) = app
        .create_token(
            &ann,
            &[("tokenTemplate", "ide-plugins"), ("envNames", "my-project")],
        )
        .await;

    let stopped = app
        .call_as(&token, STOP, &[("envName", "my-project")])
        .await;
    assert_eq!(code(&stopped), 0, "{stopped}");
    assert_eq!(app.env_status(&ann.session, "my-project").await, 2);

    // Another environment of the account, and one that exists nowhere: the same answer.
    for name in ["other", "no-such-env"] {
        let refused = app.call_as(&token, STOP, &[("envName", name)]).await;
        assert_eq!(code(&refused), 8202, "{refused}");
        assert_eq!(refused["error"], outside(name));
        let info = app.call_as(&token, INFO, &[("envName", name)]).await;
        assert_eq!(info, refused, "GetEnvInfo answers as StopEnv does");
    }
    assert_eq!(app.env_status(&ann.session, "other").await, 1, "untouched");
    assert_eq!(listed(&app, &token).await, ["my-project"]);
    assert_eq!(listed(&app, &ann.session).await.len(), 3);

    // The owner sees the scope; the token sees it about itself.
    let fields = token_fields(&app, &ann, id).await;
    assert_eq!(fields["envNames"], serde_json::json!(["my-project"]));
    let verified = app
        .call_as(&token, "users.authentication.VerifyToken", &[])
        .await;
    assert_eq!(
        verified["token"]["envNames"],
        serde_json::json!(["my-project"])
    );
}

#[tokio::test]
async fn every_method_that_names_an_environment_is_held_to_the_scope() {
    let app = spawn_app().await;
    let ann = account_with_envs(&app).await;
    let (_, token) = app
        .create_token(
            &ann,
            &[
                ("tokenTemplate", "extended-access"),
                ("envNames", "my-project"),
            ],
        )
        .await;
    let upload = upload(&app, &ann.session).await;
    let named: Vec<_> = catalogue::methods()
        .iter()
        .filter(|m| m.reach == Reach::Named)
        .collect();
    assert!(named.len() >= 7, "the catalogue names its environments");
    for method in named {
        for name in ["other", "no-such-env"] {
            let params = params_for(method.id, name, &upload);
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let refused = app.call_as(&token, method.id, &params).await;
            assert_eq!(code(&refused), 8202, "{} {name}: {refused}", method.id);
            assert_eq!(refused["error"], outside(name), "{}", method.id);
        }
        // In scope, the method runs (its own answer, whatever the status allows).
        if method.id != "environment.control.DeleteEnv" {
            let params = params_for(method.id, "my-project", &upload);
            let params: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let ran = app.call_as(&token, method.id, &params).await;
            assert!(
                [0, 2212].contains(&code(&ran)),
                "{} in scope: {ran}",
                method.id
            );
        }
    }
    // Creating: only names a pattern matches, and this scope has none.
    let created = app.create_env(&token, "fresh-env").await;
    assert_eq!(code(&created), 8202, "{created}");
    assert_eq!(created["error"], outside("fresh-env"));
    let installed = app
        .call_as(
            &token,
            "marketplace.app.Install",
            &[("id", "wordpress"), ("envName", "blog")],
        )
        .await;
    assert_eq!(code(&installed), 8202, "{installed}");
    assert_eq!(installed["error"], outside("blog"));
    // Methods that name no environment follow the API set alone.
    for method in [
        "users.account.GetUserInfo",
        "marketplace.app.GetList",
        "storage.uploader.GetUploads",
        "users.authentication.VerifyToken",
    ] {
        let reply = app.call_as(&token, method, &[]).await;
        assert_eq!(code(&reply), 0, "{method}: {reply}");
    }
    // The owner's session is not limited.
    assert_eq!(
        listed(&app, &ann.session).await,
        ["my-project", "other", "prod"]
    );
    assert_eq!(app.env_status(&ann.session, "other").await, 1);
    assert_eq!(app.env_status(&ann.session, "prod").await, 1);
}

/// The parameters a method that names an environment needs to run.
fn params_for(method: &str, env: &str, upload: &str) -> Vec<(&'static str, String)> {
    let mut params = vec![("envName", env.to_owned())];
    match method {
        "environment.control.DeployApp" => {
            params.push(("fileUrl", upload.to_owned()));
            params.push(("fileName", "app.war".into()));
        }
        "environment.control.DeleteEnv" => params.push(("password", PASSWORD.into())),
        _ => {}
    }
    params
}

/// A file uploaded by `credential`, by its URL.
async fn upload(app: &TestApp, credential: &str) -> String {
    let form = reqwest::multipart::Form::new()
        .text("session", credential.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"PK\x03\x04war".to_vec()).file_name("app.war"),
        );
    let reply: Value = app
        .client
        .post(
            app.server
                .url(&crate::helpers::path("storage.uploader.Upload")),
        )
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    assert_eq!(code(&reply), 0, "{reply}");
    reply["file"].as_str().expect("file").to_owned()
}

#[tokio::test]
async fn a_ci_token_with_a_pattern_makes_deploys_and_deletes_its_own_environments() {
    let app = spawn_app().await;
    let ann = account_with_envs(&app).await;
    let (_, ci) = app
        .create_token(
            &ann,
            &[("tokenTemplate", "extended-access"), ("envNames", "ci-*")],
        )
        .await;
    let file = upload(&app, &ci).await;
    assert_eq!(code(&app.create_env(&ci, "ci-build-7").await), 0);
    let deployed = app
        .call_as(
            &ci,
            "environment.control.DeployApp",
            &[
                ("envName", "ci-build-7"),
                ("fileUrl", &file),
                ("fileName", "app.war"),
            ],
        )
        .await;
    assert_eq!(code(&deployed), 0, "{deployed}");
    assert_eq!(listed(&app, &ci).await, ["ci-build-7"]);
    // A name the pattern matches that does not exist yet: the method's own answer.
    let missing = app.call_as(&ci, INFO, &[("envName", "ci-none")]).await;
    assert_eq!(code(&missing), 11, "{missing}");
    let deleted = app
        .call_as(
            &ci,
            "environment.control.DeleteEnv",
            &[("envName", "ci-build-7"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(code(&deleted), 0, "{deleted}");
    // Production is out of its reach, whatever it tries.
    for (method, params) in [
        (STOP, vec![("envName", "prod")]),
        (
            "environment.control.DeleteEnv",
            vec![("envName", "prod"), ("password", PASSWORD)],
        ),
    ] {
        let refused = app.call_as(&ci, method, &params).await;
        assert_eq!(code(&refused), 8202, "{method}: {refused}");
    }
    assert_eq!(code(&app.create_env(&ci, "prod-2").await), 8202);
    assert_eq!(app.env_status(&ann.session, "prod").await, 1);
}

#[tokio::test]
async fn a_deleted_environment_leaves_the_scope_and_its_name_does_not_bring_it_back() {
    let app = spawn_app().await;
    let ann = account_with_envs(&app).await;
    let methods = format!("{INFO},{ENVS}");
    let (id, token) = app
        .create_token(&ann, &[("apiList", &methods), ("envNames", "other")])
        .await;
    assert_eq!(
        code(&app.call_as(&token, INFO, &[("envName", "other")]).await),
        0
    );
    let deleted = app
        .confirmed(
            &ann,
            "environment.control.DeleteEnv",
            &[("envName", "other")],
        )
        .await;
    assert_eq!(code(&deleted), 0, "{deleted}");
    assert_eq!(
        token_fields(&app, &ann, id).await["envNames"],
        serde_json::json!([])
    );
    assert_eq!(code(&app.create_env(&ann.session, "other").await), 0);
    let refused = app.call_as(&token, INFO, &[("envName", "other")]).await;
    assert_eq!(
        code(&refused),
        8202,
        "a new environment under the old name: {refused}"
    );
    assert!(listed(&app, &token).await.is_empty());
}

#[tokio::test]
async fn bad_scopes_are_refused_naming_them_and_nothing_is_written() {
    let app = spawn_app().await;
    let ann = account_with_envs(&app).await;
    let before = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    for bad in [
        "",
        " , ",
        "ghost",
        "my-project, ghost",
        "*, prod",
        "-x*",
        "ci**",
    ] {
        let reply = app
            .confirmed(
                &ann,
                "users.authentication.CreateToken",
                &[
                    ("description", "bad"),
                    ("tokenTemplate", "ide-plugins"),
                    ("envNames", bad),
                ],
            )
            .await;
        assert_eq!(code(&reply), 3, "{bad:?}: {reply}");
        assert!(
            reply["error"].as_str().unwrap().starts_with("envNames: "),
            "{reply}"
        );
    }
    let unknown = app
        .confirmed(
            &ann,
            "users.authentication.CreateToken",
            &[
                ("description", "bad"),
                ("tokenTemplate", "ide-plugins"),
                ("envNames", r#"["my-project", "ghost"]"#),
            ],
        )
        .await;
    assert_eq!(
        unknown["error"],
        "envNames: no environment \"ghost\" on this account"
    );
    let after = app
        .call_as(&ann.session, "users.authentication.GetTokens", &[])
        .await;
    assert_eq!(before, after, "no token was made");

    // An edit with a bad scope changes nothing, not even the fields beside it.
    let (id, token) = app
        .create_token(&ann, &[("apiList", INFO), ("envNames", "prod")])
        .await;
    let reply = app
        .confirmed(
            &ann,
            "users.authentication.EditToken",
            &[
                ("id", &id.to_string()),
                ("description", "renamed"),
                ("envNames", "prod, ghost"),
            ],
        )
        .await;
    assert_eq!(code(&reply), 3, "{reply}");
    let fields = token_fields(&app, &ann, id).await;
    assert_eq!(fields["description"], "test token");
    assert_eq!(fields["envNames"], serde_json::json!(["prod"]));
    assert_eq!(
        code(&app.call_as(&token, INFO, &[("envName", "prod")]).await),
        0
    );
}

#[tokio::test]
async fn editing_the_scope_holds_at_the_next_call_and_star_reaches_everything_again() {
    let app = spawn_app().await;
    let ann = account_with_envs(&app).await;
    let (id, token) = app.create_token(&ann, &[("apiList", INFO)]).await;
    assert!(token_fields(&app, &ann, id).await.get("envNames").is_none());
    // Cached by this call, then narrowed.
    assert_eq!(
        code(&app.call_as(&token, INFO, &[("envName", "prod")]).await),
        0
    );
    let id_text = id.to_string();
    let edited = app
        .confirmed(
            &ann,
            "users.authentication.EditToken",
            &[("id", &id_text), ("envNames", "other, ci-*")],
        )
        .await;
    assert_eq!(code(&edited), 0, "{edited}");
    assert_eq!(
        edited["token"]["envNames"],
        serde_json::json!(["other", "ci-*"])
    );
    assert_eq!(
        code(&app.call_as(&token, INFO, &[("envName", "prod")]).await),
        8202
    );
    assert_eq!(
        code(&app.call_as(&token, INFO, &[("envName", "other")]).await),
        0
    );
    // Leaving envNames out of an edit keeps the scope.
    let renamed = app
        .confirmed(
            &ann,
            "users.authentication.EditToken",
            &[("id", &id_text), ("description", "renamed")],
        )
        .await;
    assert_eq!(
        renamed["token"]["envNames"],
        serde_json::json!(["other", "ci-*"])
    );
    let widened = app
        .confirmed(
            &ann,
            "users.authentication.EditToken",
            &[("id", &id_text), ("envNames", "*")],
        )
        .await;
    assert!(widened["token"].get("envNames").is_none(), "{widened}");
    assert_eq!(
        code(&app.call_as(&token, INFO, &[("envName", "prod")]).await),
        0
    );
}

#[tokio::test]
async fn a_call_refused_by_scope_is_logged_naming_the_environment_once_a_minute() {
    let app = spawn_app().await;
    let ann = account_with_envs(&app).await;
    let (_, token) = app
        .create_token(
            &ann,
            &[("tokenTemplate", "ide-plugins"), ("envNames", "my-project")],
        )
        .await;
    for _ in 0..3 {
        assert_eq!(
            code(&app.call_as(&token, STOP, &[("envName", "prod")]).await),
            8202
        );
    }
    let account = session_caller(&app, &ann).await.account;
    let page = app
        .server
        .platform
        .audit()
        .page(account.id, AuditFilter::Denied, PageStart::Newest)
        .await
        .expect("page");
    let scope: Vec<_> = page
        .events
        .iter()
        .filter(|e| e.action == "api.scope")
        .collect();
    assert_eq!(scope.len(), 1, "{:?}", page.events);
    assert_eq!(scope[0].count, 3);
    assert_eq!(
        scope[0].target.as_deref(),
        Some("environment.control.StopEnv prod")
    );
    assert_eq!(scope[0].outcome, "denied");
}

#[tokio::test]
async fn tighten_proposes_the_environments_a_token_named_and_applies_them() {
    let app = spawn_app().await;
    let ann = account_with_envs(&app).await;
    let (id, token) = app
        .create_token(&ann, &[("tokenTemplate", "ide-plugins")])
        .await;
    for env in ["my-project", "other", "my-project"] {
        assert_eq!(
            code(&app.call_as(&token, INFO, &[("envName", env)]).await),
            0
        );
    }
    let platform = &app.server.platform;
    let caller = session_caller(&app, &ann).await;
    let account = &caller.account;
    let proposal = platform
        .usage()
        .propose_tightening(account.id, id, 30)
        .await
        .expect("proposal");
    assert_eq!(proposal.used_envs, ["my-project", "other"]);
    assert_eq!(
        proposal.proposed_envs(),
        Some(vec!["my-project".to_owned(), "other".to_owned()])
    );
    assert!(proposal.changes());
    // Applying more than the token holds now is refused.
    let widening = platform
        .usage()
        .tighten(
            &caller,
            PASSWORD,
            id,
            proposal.proposed.clone(),
            Some(vec!["ci-*".into()]),
        )
        .await;
    assert!(widening.is_ok(), "an unlimited token holds any scope");
    let wider = platform
        .usage()
        .tighten(
            &caller,
            PASSWORD,
            id,
            proposal.proposed.clone(),
            Some(vec!["prod".into()]),
        )
        .await
        .unwrap_err();
    assert_eq!(wider.code().number(), 3, "{wider}");
    let narrowed = platform
        .usage()
        .tighten(
            &caller,
            PASSWORD,
            id,
            proposal.proposed.clone(),
            Some(vec!["ci-a-*".into()]),
        )
        .await
        .expect("narrowed");
    assert_eq!(narrowed.env_names, Some(vec!["ci-a-*".to_owned()]));
    assert_eq!(
        code(
            &app.call_as(&token, INFO, &[("envName", "my-project")])
                .await
        ),
        8202
    );
}
