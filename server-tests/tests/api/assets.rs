//! The site's files as a browser gets them: hashed names kept for a year, the brotli or
//! gzip copy when accepted, pages checked on every visit and naming the hashed files.

use crate::helpers::spawn_app_with;

const JS: &str = "patio.00112233445566778899.js";
const CSS: &str = "patio.aabbccddeeff00112233.css";
const WASM: &str = "patio.99887766554433221100.wasm";

/// A built site in `dir`: hashed files, their compressed copies (marked so the test can
/// tell which one came back) and `hash.txt`.
fn site(dir: &std::path::Path) {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    for name in [JS, CSS, WASM] {
        std::fs::write(pkg.join(name), format!("plain {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.br")), format!("brotli {name}")).unwrap();
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gzip {name}")).unwrap();
    }
    std::fs::write(pkg.join("other.css"), "not hashed").unwrap();
    std::fs::write(
        dir.join("hash.txt"),
        "js: 00112233445566778899\nwasm: 99887766554433221100\ncss: aabbccddeeff00112233\n",
    )
    .unwrap();
}

#[tokio::test]
async fn hashed_files_are_precompressed_and_kept_a_year() {
    let root = tempfile::tempdir().unwrap();
    site(root.path());
    let site_root = root.path().to_path_buf();
    let app = spawn_app_with(move |s| s.site_root = site_root).await;
    for (accept, body, encoding) in [
        ("br, gzip", format!("brotli {WASM}"), Some("br")),
        ("gzip", format!("gzip {WASM}"), Some("gzip")),
        ("identity", format!("plain {WASM}"), None),
    ] {
        let response = app
            .client
            .get(app.server.url(&format!("/pkg/{WASM}")))
            .header("accept-encoding", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let headers = response.headers().clone();
        assert_eq!(
            headers.get("content-encoding").map(|v| v.to_str().unwrap()),
            encoding,
            "{accept}"
        );
        assert_eq!(
            headers["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert_eq!(headers["vary"], "accept-encoding");
        assert_eq!(headers["content-type"], "application/wasm");
        assert_eq!(response.text().await.unwrap(), body);
    }
    let other = app
        .client
        .get(app.server.url("/pkg/other.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.headers()["cache-control"], "no-cache");

    let page = app
        .client
        .get(app.server.url("/signin"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let html = page.text().await.unwrap();
    for name in [JS, CSS, WASM] {
        assert!(html.contains(&format!("/pkg/{name}")), "{name} in {html}");
    }
}

/// Pages travel compressed when the browser accepts it; API and server-function answers,
/// which may hold a token's value beside text the caller chose, never do.
#[tokio::test]
async fn pages_are_compressed_and_answers_are_not() {
    use std::io::Read;

    let root = tempfile::tempdir().unwrap();
    site(root.path());
    let site_root = root.path().to_path_buf();
    let app = spawn_app_with(move |s| s.site_root = site_root).await;
    let get = |accept: &'static str| {
        app.client
            .get(app.server.url("/signin"))
            .header("accept-encoding", accept)
            .send()
    };

    let page = get("gzip").await.unwrap();
    assert_eq!(page.headers()["content-encoding"], "gzip");
    assert_eq!(page.headers()["vary"], "accept-encoding");
    let bytes = page.bytes().await.unwrap();
    let mut html = String::new();
    flate2::read::GzDecoder::new(&bytes[..])
        .read_to_string(&mut html)
        .expect("a gzip stream");
    assert!(html.contains(&format!("/pkg/{JS}")), "{html}");
    assert!(
        bytes.len() < html.len(),
        "{} bytes for {} of page",
        bytes.len(),
        html.len()
    );

    let brotli = get("br").await.unwrap();
    assert_eq!(brotli.headers()["content-encoding"], "br");
    let plain = get("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert!(plain.text().await.unwrap().contains(&format!("/pkg/{JS}")));

    // A REST answer and a server function's answer, both JSON.
    let rest = app
        .client
        .post(
            app.server
                .url(&crate::support::path_of("users.authentication.Signin")),
        )
        .header("accept-encoding", "br, gzip")
        .form(&[
            ("login", "nobody@example.com"),
            ("password", "wrong password"),
        ])
        .send()
        .await
        .unwrap();
    assert!(rest.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    assert!(rest.headers().get("content-encoding").is_none());
    let server_fn = app
        .client
        .post(app.server.url("/api/current_account"))
        .header("accept-encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert!(server_fn.headers().get("content-encoding").is_none());
    assert!(!server_fn.bytes().await.unwrap().is_empty());
}
