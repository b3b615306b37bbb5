//! A database made by an older Patio keeps its data through the migrations that rebuild
//! tables (SQLite), and its cascades keep working.

use std::borrow::Cow;

use sqlx::{Connection, Row};

#[tokio::test]
async fn rebuilding_the_sqlite_tables_keeps_every_row_and_cascade() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    // The schema as the three migrations before the rebuild left it.
    let mut older = domain::platform::migrations(domain::platform::Backend::Sqlite);
    older.migrations = Cow::Owned(older.migrations[..3].to_vec());
    older.run(&mut conn).await.unwrap();
    for sql in [
        "insert into accounts (id, email, password_hash, created_at, updated_at) values (1, 'old@example.com', 'x', 1, 1)",
        "insert into tokens (id, account_id, description, digest, hint, api_set, created_at, updated_at, allowed_ips)
         values (7, 1, 'kept', x'00', 'patio_abcd', 'marketplace', 1, 1, '10.0.0.0/8')",
        "insert into token_methods values (7, 'environment.control.StopEnv', 1, 1)",
        "insert into token_usage values (7, 100, 'environment.control.GetEnvs', 3)",
        "insert into audit_events (account_id, action, outcome, actor, created_at, updated_at) values (1, 'signin', 'ok', 'password', 1, 1)",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();

    let db = domain::platform::connect(&url).await.unwrap();
    let pool = db.pool;
    let token = sqlx::query("select description, allowed_ips from tokens where id = 7")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(token.get::<String, _>("description"), "kept");
    assert_eq!(token.get::<String, _>("allowed_ips"), "10.0.0.0/8");
    let counts: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from token_methods), (select count(*) from token_usage),
                (select count from audit_events)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(counts, (1, 1, 1));

    // Removing the token still cascades, and its id is never handed out again.
    sqlx::query("delete from tokens where id = 7")
        .execute(&pool)
        .await
        .unwrap();
    let left: (i64, i64) = sqlx::query_as(
        "select (select count(*) from token_methods), (select count(*) from token_usage)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, (0, 0));
    let next: i64 = sqlx::query_scalar(
        "insert into tokens (account_id, description, digest, hint, api_set, created_at, updated_at)
         values (1, 'new', x'01', 'patio_efgh', 'marketplace', 2, 2) returning id",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(next, 8);
}

/// The entries logged before the Security Log filtered in SQL get the same category the
/// domain gives new ones, on both backends (PostgreSQL when `PATIO_TEST_POSTGRES` is set).
#[tokio::test]
async fn entries_logged_before_the_audit_categories_get_the_domains_category() {
    const ACTIONS: &[&str] = &[
        "token.create",
        "token.revoke_all",
        "tokens.lookalike",
        "signin",
        "signin.other",
        "password.confirm",
        "password.confirmed",
        "twofactor.code",
        "session.signout_others",
        "account.disable",
        "api.call",
        "api.address",
        "env.start",
        "Token.create",
        "",
    ];
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}?mode=rwc", dir.path().join("old.db").display());
    sqlx::any::install_default_drivers();
    let mut urls = vec![sqlite];
    urls.extend(crate::helpers::fresh_postgres().await);
    for url in urls {
        let backend = domain::platform::Backend::of(&url).unwrap();
        let mut older = domain::platform::migrations(backend);
        let before = older
            .migrations
            .iter()
            .position(|m| m.description.contains("audit paging"))
            .expect("the audit paging migration");
        older.migrations = Cow::Owned(older.migrations[..before].to_vec());
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        older.run(&pool).await.unwrap();
        sqlx::query("insert into accounts (email, password_hash, created_at, updated_at) values ('old@example.com', 'x', 1, 1)")
            .execute(&pool)
            .await
            .unwrap();
        for action in ACTIONS {
            sqlx::query(
                "insert into audit_events (account_id, action, outcome, actor, created_at, updated_at)
                 select id, $1, 'ok', 'password', 1, 1 from accounts",
            )
            .bind(*action)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;

        let db = domain::platform::connect(&url).await.unwrap();
        let rows = sqlx::query("select action, category from audit_events order by id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
        assert_eq!(rows.len(), ACTIONS.len());
        for row in rows {
            let action: String = row.get("action");
            let category: String = row.get("category");
            assert_eq!(
                category,
                domain::audit::category(&action),
                "{backend:?}: {action:?}"
            );
        }
    }
}
