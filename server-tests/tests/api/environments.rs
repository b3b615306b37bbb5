use crate::helpers::{code, spawn_app, PASSWORD};

#[tokio::test]
async fn environments_follow_their_status_rules() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let s = ann.session.as_str();
    let created = app.create_env(s, "my-project").await;
    assert_eq!(code(&created), 0, "{created}");
    assert_eq!(created["env"]["status"], 1);
    assert_eq!(code(&app.create_env(s, "my-project").await), 12);
    assert_eq!(code(&app.create_env(s, "9-bad-name").await), 3);

    let env = [("envName", "my-project")];
    assert_eq!(
        code(&app.call_as(s, "environment.control.StartEnv", &env).await),
        2212
    );
    assert_eq!(
        code(&app.call_as(s, "environment.control.SleepEnv", &env).await),
        0
    );
    assert_eq!(app.env_status(s, "my-project").await, 4);
    assert_eq!(
        code(
            &app.call_as(s, "environment.control.RestartNodes", &env)
                .await
        ),
        2212
    );
    assert_eq!(
        code(&app.call_as(s, "environment.control.StopEnv", &env).await),
        0
    );
    assert_eq!(
        code(&app.call_as(s, "environment.control.StopEnv", &env).await),
        2212
    );
    assert_eq!(
        code(&app.call_as(s, "environment.control.StartEnv", &env).await),
        0
    );
    let r = app
        .call_as(
            s,
            "environment.control.RestartNodes",
            &[("envName", "my-project"), ("nodeGroup", "cp")],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["restarted"], 1);
    let r = app
        .call_as(
            s,
            "environment.control.RestartNodes",
            &[("envName", "my-project"), ("nodeGroup", "sqldb")],
        )
        .await;
    assert_eq!(code(&r), 3);
    assert_eq!(
        code(
            &app.call_as(s, "environment.control.GetEnvInfo", &[("envName", "nope")])
                .await
        ),
        11
    );
    assert_eq!(
        code(&app.call_as(s, "environment.control.GetEnvInfo", &[]).await),
        3
    );

    let envs = app.call_as(s, "environment.control.GetEnvs", &[]).await;
    assert_eq!(envs["infos"][0]["env"]["envName"], "my-project");

    let r = app
        .call_as(
            s,
            "environment.control.DeleteEnv",
            &[("envName", "my-project"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(code(&r), 702);
    let r = app
        .call_as(
            s,
            "environment.control.DeleteEnv",
            &[("envName", "my-project"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(code(&r), 0);
    assert_eq!(
        code(&app.call_as(s, "environment.control.GetEnvInfo", &env).await),
        11
    );
}

#[tokio::test]
async fn bad_environment_input_is_refused() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let s = ann.session.as_str();
    for (env, nodes) in [
        ("not json", r#"[{"nodeType":"nginx"}]"#),
        (r#"{"displayName":"x"}"#, r#"[{"nodeType":"nginx"}]"#),
        (r#"{"shortdomain":"ok-name"}"#, "[]"),
        (
            r#"{"shortdomain":"ok-name"}"#,
            r#"[{"nodeType":"nginx","count":99}]"#,
        ),
        (r#"{"shortdomain":"ok-name"}"#, "{"),
    ] {
        let r = app
            .call_as(
                s,
                "environment.control.CreateEnvironment",
                &[("env", env), ("nodes", nodes)],
            )
            .await;
        assert_eq!(code(&r), 3, "{env} {nodes}: {r}");
    }
    let envs = app.call_as(s, "environment.control.GetEnvs", &[]).await;
    assert_eq!(envs["infos"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn an_uploaded_file_deploys_to_a_running_environment() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "maven-plugin")])
        .await;
    assert_eq!(code(&app.create_env(&ann.session, "my-project").await), 0);

    let form = reqwest::multipart::Form::new()
        .text("fid", "build-42")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"PK fake war".to_vec()).file_name("app.war"),
        );
    let upload: serde_json::Value = app
        .client
        .post(app.server.url("/1.0/storage/uploader/rest/upload"))
        .bearer_auth(&token)
        .multipart(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(code(&upload), 0, "{upload}");
    assert_eq!(upload["size"], 11);
    assert_eq!(upload["fid"], "build-42");
    let url = upload["file"].as_str().unwrap();

    let deploy = [
        ("envName", "my-project"),
        ("fileUrl", url),
        ("fileName", "app.war"),
        ("context", "ROOT"),
    ];
    let r = app
        .call_bearer("environment.control.DeployApp", &token, &deploy)
        .await;
    assert_eq!(code(&r), 0, "{r}");
    let info = app
        .call_as(
            &ann.session,
            "environment.control.GetEnvInfo",
            &[("envName", "my-project")],
        )
        .await;
    assert_eq!(info["deployments"][0]["fileName"], "app.war");

    let forged = format!("{}x", &url[..url.rfind("/files/").unwrap() + 7]);
    let r = app
        .call_bearer(
            "environment.control.DeployApp",
            &token,
            &[
                ("envName", "my-project"),
                ("fileUrl", &format!("{forged}/a.war")),
                ("fileName", "a.war"),
            ],
        )
        .await;
    assert_eq!(code(&r), 5, "{r}");
    assert_eq!(
        code(
            &app.call_as(
                &ann.session,
                "environment.control.StopEnv",
                &[("envName", "my-project")]
            )
            .await
        ),
        0
    );
    assert_eq!(
        code(
            &app.call_bearer("environment.control.DeployApp", &token, &deploy)
                .await
        ),
        2212
    );
}

#[tokio::test]
async fn marketplace_apps_install_into_new_environments() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let (_, token) = app
        .create_token(&ann, &[("tokenTemplate", "marketplace")])
        .await;
    let list = app
        .call_as(
            &token,
            "marketplace.app.GetList",
            &[("search", "wordpress")],
        )
        .await;
    assert_eq!(list["apps"][0]["id"], "wordpress");
    assert_eq!(
        code(
            &app.call_as(&token, "marketplace.app.GetAppInfo", &[("id", "nope")])
                .await
        ),
        5
    );
    let r = app
        .call_as(
            &token,
            "marketplace.app.Install",
            &[("id", "wordpress"), ("envName", "blog")],
        )
        .await;
    assert_eq!(code(&r), 0, "{r}");
    assert_eq!(r["nodes"].as_array().unwrap().len(), 2);
    assert_eq!(
        code(
            &app.call_as(
                &token,
                "marketplace.app.Install",
                &[("id", "wordpress"), ("envName", "blog")]
            )
            .await
        ),
        12
    );
    assert_eq!(app.env_status(&token, "blog").await, 1);
}

#[tokio::test]
async fn the_openapi_document_lists_every_method() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app
        .client
        .get(app.server.url("/1.0/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.0.3");
    for m in domain::catalogue::methods() {
        assert!(doc["paths"][m.path()]["post"].is_object(), "{}", m.id);
    }
}

#[tokio::test]
async fn docs_pages_document_each_method() {
    let app = spawn_app().await;
    let page = app
        .client
        .get(app.server.url("/docs/api/environment.control.StopEnv"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("/1.0/environment/control/rest/stopenv"));
    assert!(html.contains("envName"));
    let missing = app
        .client
        .get(app.server.url("/docs/api/nope.nope.Nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}
