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
    let mut older = sqlx::migrate!("../migrations/sqlite");
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
    assert_eq!(token.get::<String, _>(0), "kept");
    assert_eq!(token.get::<String, _>(1), "10.0.0.0/8");
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
