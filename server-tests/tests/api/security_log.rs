//! The Security Log pages and filters in SQL: an entry older than thousands of newer
//! ones is one Older click after another away, each filter picks exactly what the old
//! in-memory filter picked, and the CSV export holds every entry the filter picks.

use domain::audit::{AuditEvent, AuditFilter, PageStart, PAGE_SIZE};
use sqlx::Row;

use crate::helpers::{code, spawn_app, TestApp};

const NEEDLE: &str = "needle-older-than-5000";

/// The filter as the page applied it in memory before it moved into SQL: the
/// reference the SQL filter must agree with.
fn old_filter_matches(filter: AuditFilter, e: &AuditEvent) -> bool {
    match filter {
        AuditFilter::All => true,
        AuditFilter::TokenChanges => e.action.starts_with("token."),
        AuditFilter::Denied => e.outcome == "denied",
        AuditFilter::SignIns => {
            e.action == "signin"
                || e.action == "password.confirm"
                || e.action.starts_with("twofactor.")
                || e.action.starts_with("session.")
                || e.action.starts_with("account.")
        }
    }
}

/// Actions and outcomes the seeded entries cycle through, odd ones included.
const KINDS: &[(&str, &str)] = &[
    ("api.call", "denied"),
    ("signin", "ok"),
    ("signin", "failed"),
    ("env.start", "ok"),
    ("token.edit", "ok"),
    ("password.confirm", "failed"),
    ("twofactor.code", "failed"),
    ("session.signout_others", "ok"),
    ("account.disable", "ok"),
    ("api.address", "denied"),
    ("token.delete", "ok"),
    ("env.deploy", "ok"),
    ("tokens.lookalike", "ok"),
    ("signin.other", "ok"),
    ("token.revoke_all", "denied"),
];

/// Writes `n` entries for the account as the domain would (category included), the
/// first of them the needle, in one transaction.
async fn seed(app: &TestApp, account: i64, other: i64, n: usize) {
    let mut tx = app.server.platform.db.begin().await.unwrap();
    let now = app.server.platform.now().timestamp();
    for i in 0..n {
        let (action, outcome) = if i == 0 {
            ("token.create", "ok")
        } else {
            KINDS[i % KINDS.len()]
        };
        let target = if i == 0 {
            NEEDLE.to_owned()
        } else {
            format!("target {i}")
        };
        // Another account's entries sit between: never shown here.
        let owner = if i % 7 == 3 { other } else { account };
        sqlx::query(
            "insert into audit_events (account_id, action, outcome, target, actor, ip, created_at, updated_at, count, category)
             values ($1, $2, $3, $4, 'session', '192.0.2.1', $5, $5, 1, $6)",
        )
        .bind(owner)
        .bind(action)
        .bind(outcome)
        .bind(&target)
        .bind(now - (n - i) as i64)
        .bind(domain::audit::category(action))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Every entry of the account, newest first, straight from the table.
async fn all_events(app: &TestApp, account: i64) -> Vec<AuditEvent> {
    let rows = sqlx::query(
        "select id, created_at, action, outcome, target, actor, ip, count from audit_events
         where account_id = $1 order by id desc",
    )
    .bind(account)
    .fetch_all(&app.server.platform.db)
    .await
    .unwrap();
    rows.iter()
        .map(|r| AuditEvent {
            id: r.get("id"),
            at: chrono::DateTime::from_timestamp(r.get("created_at"), 0).unwrap(),
            action: r.get("action"),
            outcome: r.get("outcome"),
            target: r.get("target"),
            actor: r.get("actor"),
            ip: r.get("ip"),
            count: r.get("count"),
        })
        .collect()
}

/// Walks the log from the newest page by Older links, then back by Newer links from
/// the last page; returns the entries in the order seen going back in time, and the
/// number of pages. Both walks must reach the same entries.
async fn walk(app: &TestApp, account: i64, filter: AuditFilter) -> (Vec<AuditEvent>, usize) {
    let platform = &app.server.platform;
    let mut seen = Vec::new();
    let mut pages = 0;
    let mut start = PageStart::Newest;
    let (newer, last_page) = loop {
        let page = platform.audit().page(account, filter, start).await.unwrap();
        assert!(page.events.len() <= PAGE_SIZE);
        if start == PageStart::Newest {
            assert_eq!(page.newer, None, "nothing is newer than the newest page");
        } else {
            assert!(
                page.newer.is_some(),
                "{filter:?}: the way back from {start:?}"
            );
        }
        pages += 1;
        let ids: Vec<i64> = page.events.iter().map(|e| e.id).collect();
        seen.extend(page.events);
        match page.older {
            Some(id) => start = PageStart::Before(id),
            None => break (page.newer, ids),
        }
    };
    let mut back: Vec<i64> = last_page;
    let mut newer = newer;
    while let Some(id) = newer {
        let page = platform
            .audit()
            .page(account, filter, PageStart::After(id))
            .await
            .unwrap();
        assert!(!page.events.is_empty());
        back.extend(page.events.iter().map(|e| e.id));
        newer = page.newer;
    }
    let mut forward: Vec<i64> = seen.iter().map(|e| e.id).collect();
    forward.sort_unstable();
    back.sort_unstable();
    back.dedup();
    assert_eq!(
        forward, back,
        "{filter:?}: Newer links reach the same entries as Older links"
    );
    (seen, pages)
}

#[tokio::test]
async fn every_entry_is_reachable_and_filters_agree_with_the_old_ones() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let uid = |session: String| {
        let app = &app;
        async move {
            app.call_as(&session, "users.account.GetUserInfo", &[])
                .await["uid"]
                .as_i64()
                .unwrap()
        }
    };
    let (ann_id, bob_id) = (
        uid(ann.session.clone()).await,
        uid(bob.session.clone()).await,
    );
    seed(&app, ann_id, bob_id, 6_200).await;
    let everything = all_events(&app, ann_id).await;
    let needle = everything
        .iter()
        .find(|e| e.target.as_deref() == Some(NEEDLE))
        .expect("the needle")
        .clone();
    let newer_than_needle = everything.iter().filter(|e| e.id > needle.id).count();
    assert!(newer_than_needle > 5_000, "{newer_than_needle}");

    for filter in AuditFilter::ALL {
        let (seen, pages) = walk(&app, ann_id, filter).await;
        let expected: Vec<&AuditEvent> = everything
            .iter()
            .filter(|e| old_filter_matches(filter, e))
            .collect();
        assert_eq!(
            seen.iter().collect::<Vec<_>>(),
            expected,
            "{filter:?}: the pages, in order, are exactly what the old filter picked"
        );
        assert_eq!(pages, expected.len().div_ceil(PAGE_SIZE).max(1));
        let has_needle = seen.iter().any(|e| e.id == needle.id);
        assert_eq!(
            has_needle,
            old_filter_matches(filter, &needle),
            "{filter:?}"
        );
        eprintln!("{filter:?}: {} entries on {pages} pages", seen.len());
    }

    // The page itself, as a person reaches it: the newest page lacks the needle, the
    // Older link of the page before it shows it.
    let page = |query: String| {
        let app = &app;
        let session = ann.session.clone();
        async move {
            let r = app
                .client
                .get(app.server.url(&format!("/settings/security-log{query}")))
                .header("cookie", format!("patio_session={session}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            r.text().await.unwrap()
        }
    };
    assert!(!page(String::new()).await.contains(NEEDLE));
    let html = page(format!("?filter=tokens&before={}", needle.id + 1)).await;
    assert!(html.contains(NEEDLE), "the Older page shows the needle");
    let html = page(format!("?filter=all&before={}", needle.id + 1)).await;
    assert!(html.contains(NEEDLE));
    assert!(
        html.contains(&format!("after={}", needle.id)),
        "a Newer link leads back"
    );
}

#[tokio::test]
async fn the_csv_export_holds_every_entry_the_filter_picks() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann@example.com").await;
    let bob = app.sign_up("bob@example.com").await;
    let ann_id = app
        .call_as(&ann.session, "users.account.GetUserInfo", &[])
        .await["uid"]
        .as_i64()
        .unwrap();
    let bob_id = app
        .call_as(&bob.session, "users.account.GetUserInfo", &[])
        .await["uid"]
        .as_i64()
        .unwrap();
    seed(&app, ann_id, bob_id, 2_600).await;
    // A denied call only counted in memory so far is exported too.
    let (_, token) = app
        .create_token(&ann, &[("apiList", "environment.control.GetEnvs")])
        .await;
    let r = app
        .call_as(&token, "environment.control.StopEnv", &[("envName", "x")])
        .await;
    assert_eq!(code(&r), 8202);

    let export = |filter: &str| {
        let app = &app;
        let url = app.server.url(&format!(
            "/settings/security-log/export.csv?filter={filter}"
        ));
        let session = ann.session.clone();
        async move {
            let r = app
                .client
                .get(url)
                .header("cookie", format!("patio_session={session}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            assert_eq!(
                r.headers()["content-type"].to_str().unwrap(),
                "text/csv; charset=utf-8"
            );
            assert!(r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("patio-security-log.csv"));
            r.text().await.unwrap()
        }
    };
    // The export writes what was only counted in memory before it reads the log.
    let first = export("all").await;
    assert!(
        first.contains("api.call,denied,environment.control.StopEnv"),
        "{first}"
    );
    let everything = all_events(&app, ann_id).await;
    assert!(everything
        .iter()
        .any(|e| e.action == "api.call"
            && e.target.as_deref() == Some("environment.control.StopEnv")));
    for filter in AuditFilter::ALL {
        let csv = export(filter.key()).await;
        let picked: Vec<AuditEvent> = everything
            .iter()
            .filter(|e| old_filter_matches(filter, e))
            .cloned()
            .collect();
        assert_eq!(
            csv,
            domain::audit::to_csv(&picked).unwrap(),
            "{filter:?}: every picked entry, newest first"
        );
        eprintln!("{filter:?}: {} rows exported", picked.len());
    }

    // Strangers are sent to sign in; a filter that does not exist is refused.
    let r = app
        .client
        .get(app.server.url("/settings/security-log/export.csv"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection());
    assert_eq!(r.headers()["location"], "/signin");
    let r = app
        .client
        .get(
            app.server
                .url("/settings/security-log/export.csv?filter=nope"),
        )
        .header("cookie", format!("patio_session={}", ann.session))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}
