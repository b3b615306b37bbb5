//! A site whose wasm is split into parts (scripts/build with tools/wasm-split): a page
//! names in preload links the parts of the wasm its route needs, by the hashed names the
//! manifest lists, and the loader that fetches them, so the browser fetches them with
//! the main wasm rather than after it; the Access Tokens page names its own wasm
//! instead. Its own process: Leptos reads the manifest once.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

const LOADER: &str = "__wasm_split.00112233445566778899aa.js";

/// A built site: the main files, the Access Tokens page's own wasm and bindings, a
/// manifest naming the parts of two groups of pages (`account`: sign-in and sign-up;
/// `other_pages`: the API reference among others) and `hash.txt` naming the loader and
/// the manifest.
fn site(dir: &Path) {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for name in [
        "patio.00112233445566778899.js",
        "patio.99887766554433221100.wasm",
        "patio.aabbccddeeff00112233.css",
        "patio_tokens.4444444444444444dddd.js",
        "patio_tokens.5555555555555555eeee.wasm",
        LOADER,
    ] {
        std::fs::write(pkg.join(name), "").unwrap();
    }
    std::fs::write(
        pkg.join("__wasm_split_manifest.0123456789abcdef0123.json"),
        r#"{
            "account": ["chunk_1.1111111111111111aaaa", "split_account.2222222222222222bbbb"],
            "other_pages": ["chunk_1.1111111111111111aaaa", "split_other_pages.3333333333333333cccc"]
        }"#,
    )
    .unwrap();
    std::fs::write(
        dir.join("hash.txt"),
        "js: 00112233445566778899\nsplit: 00112233445566778899aa\n\
         manifest: 0123456789abcdef0123\nwasm: 99887766554433221100\n\
         tokens-js: 4444444444444444dddd\ntokens-wasm: 5555555555555555eeee\ncss: aabbccddeeff00112233\n",
    )
    .unwrap();
}

fn preloads(html: &str) -> Vec<String> {
    html.split("<link")
        .filter(|tag| tag.contains(r#"rel="preload""#) && tag.contains(".wasm"))
        .filter_map(|tag| {
            let start = tag.find(r#"href=""#)? + 6;
            Some(tag[start..start + tag[start..].find('"')?].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn pages_preload_the_parts_of_the_wasm_they_need() {
    let dir = tempfile::tempdir().unwrap();
    site(dir.path());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _server = Server(
        Command::new(support::patio_bin())
            .args(["--bind", &format!("127.0.0.1:{port}")])
            .args([
                "--database-url",
                &format!("sqlite://{}/patio.db", dir.path().display()),
            ])
            .args(["--data-dir", &dir.path().display().to_string()])
            .args(["--site-root", &dir.path().display().to_string()])
            .args(["--log", "error"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start patio"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let started = Instant::now();
    while client.get(format!("{base}/healthz")).send().await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "patio did not start"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let page = |path: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let response = client.get(format!("{base}{path}")).send().await.unwrap();
            assert_eq!(response.status(), 200, "{path}");
            response.text().await.unwrap()
        }
    };

    let signin = page("/signin").await;
    assert_eq!(
        preloads(&signin),
        [
            "/pkg/patio.99887766554433221100.wasm",
            "/pkg/chunk_1.1111111111111111aaaa.wasm",
            "/pkg/split_account.2222222222222222bbbb.wasm",
        ],
        "{signin}"
    );
    assert!(
        signin.contains(&format!(r#"rel="modulepreload" href="/pkg/{LOADER}""#))
            || signin.contains(&format!(r#"href="/pkg/{LOADER}" rel="modulepreload""#)),
        "{signin}"
    );

    // A page of another part names that part, and not the sign-in page's.
    let docs = page("/docs/api").await;
    let docs_preloads = preloads(&docs);
    assert!(
        docs_preloads.contains(&"/pkg/split_other_pages.3333333333333333cccc.wasm".to_owned()),
        "{docs}"
    );
    assert!(!docs.contains("split_account"), "{docs}");

    // The Access Tokens page loads its own wasm, which holds its island alone, and names
    // nothing of the dashboard's: neither its main wasm nor a part nor the loader.
    let signed_up = client
        .post(format!("{base}/api/sign_up"))
        .form(&[
            ("email", "ann@example.com"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert!(signed_up.status().is_success(), "{}", signed_up.status());
    let tokens = page("/settings/access-tokens").await;
    assert_eq!(
        preloads(&tokens),
        ["/pkg/patio_tokens.5555555555555555eeee.wasm"],
        "{tokens}"
    );
    assert!(
        tokens.contains(r#"<leptos-island data-component="patio-tokens">"#),
        "{tokens}"
    );
    assert!(
        tokens.contains(
            r#"import init, { hydrate } from "/pkg/patio_tokens.4444444444444444dddd.js""#
        ),
        "{tokens}"
    );
    for dashboards in [
        "patio.99887766554433221100.wasm",
        "patio.00112233445566778899.js",
        LOADER,
        "split_",
    ] {
        assert!(!tokens.contains(dashboards), "{dashboards} in {tokens}");
    }
}

/// Stops the server however the test ends.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
