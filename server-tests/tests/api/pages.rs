//! Pages rendered at the same time on a multi-threaded runtime, as the server runs them:
//! each page is built from its own request only.

use std::time::Duration;

use crate::helpers::spawn_app_with;

/// The `<html lang>` and `<title>` of a page.
fn language_and_title(page: &str) -> (String, String) {
    let between = |start: &str, end: &str| {
        let from = page
            .find(start)
            .map(|i| i + start.len())
            .unwrap_or_default();
        page[from..]
            .split(end)
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    (
        between("<html lang=\"", "\""),
        between("<title>", "</title>"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_rendered_at_once_each_answer_their_own_request() {
    // A site with a file the fallback serves from its root, as it does the favicon.
    let site = tempfile::tempdir().unwrap();
    let favicon = "<svg xmlns=\"http://www.w3.org/2000/svg\"/>";
    std::fs::write(site.path().join("favicon.svg"), favicon).unwrap();
    let app = spawn_app_with(|settings| settings.site_root = site.path().into()).await;
    let pages = [
        "/signin",
        "/signup",
        "/share/0123456789abcdef",
        "/no-such-page",
    ];
    let languages = ["en", "id"];
    // What each page says in each language when it is the only request.
    let mut alone = Vec::new();
    for page in pages {
        for lang in languages {
            let url = app.server.url(&format!("{page}?lang={lang}"));
            let r = app.client.get(&url).send().await.unwrap();
            let status = r.status();
            let (got_lang, title) = language_and_title(&r.text().await.unwrap());
            assert_eq!(got_lang, lang, "{url}");
            assert!(!title.is_empty(), "{url}");
            alone.push((url, status, title));
        }
    }
    assert_ne!(
        alone[0].2, alone[1].2,
        "the two languages give the sign-in page two titles"
    );

    // Eight clients at once, each going round the pages in both languages and the file.
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..8 {
        let http = app.client.clone();
        let alone = alone.clone();
        let file = app.server.url("/favicon.svg");
        clients.spawn(async move {
            for round in 0..30 {
                let r = http.get(&file).send().await.unwrap();
                assert_eq!(r.status(), 200, "{file}");
                assert_eq!(r.text().await.unwrap(), favicon, "{file}");
                let (url, status, title) = &alone[(client + round) % alone.len()];
                let page = tokio::time::timeout(Duration::from_secs(10), async {
                    let r = http.get(url).send().await?;
                    let got = r.status();
                    r.text().await.map(|body| (got, body))
                })
                .await;
                let (got, body) = match page {
                    Ok(Ok(page)) => page,
                    Ok(Err(e)) => panic!("{url}: {e}"),
                    Err(_) => panic!("{url}: no whole page within 10 s"),
                };
                assert_eq!(got, *status, "{url}");
                let lang = url.rsplit('=').next().unwrap();
                assert_eq!(
                    language_and_title(&body),
                    (lang.to_owned(), title.clone()),
                    "{url}"
                );
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.unwrap();
    }
}

/// The tests run many servers in one process, each on its own thread: one starting up
/// must not stall the pages another is rendering.
#[test]
fn a_server_starting_up_does_not_stall_pages_elsewhere_in_the_process() {
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            std::thread::spawn(move || {
                for round in 0..40 {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        // SQLite whatever the run: this is about Leptos, not the database.
                        let dir = tempfile::tempdir().unwrap();
                        let settings = server::Settings::in_dir(dir.path());
                        let server = server::spawn(settings, domain::Clock::default())
                            .await
                            .unwrap();
                        let url = server.url("/signin");
                        let page = tokio::time::timeout(Duration::from_secs(10), async {
                            reqwest::get(&url).await?.text().await
                        })
                        .await;
                        match page {
                            Ok(Ok(body)) => assert!(body.contains("</html>"), "{url}: {body}"),
                            Ok(Err(e)) => panic!("thread {thread}, round {round}: {e}"),
                            Err(_) => {
                                panic!("thread {thread}, round {round}: no whole page within 10 s")
                            }
                        }
                    });
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}
