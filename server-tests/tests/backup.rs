//! `patio backup`, `patio restore` and `patio check` run as an operator runs them, as
//! processes: a backup taken while eight clients create tokens holds every token that
//! was acknowledged before it started, restores into a fresh folder and passes its
//! checks; and each command refuses what it must refuse, changing nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use domain::accounts::Origin;
use domain::Clock;
use server::{Settings, Spawned};
use sqlx::{Connection, SqliteConnection};

mod support;
use support::{call, fresh_postgres, PASSWORD};

const EMAIL: &str = "ops@example.com";
const WRITERS: usize = 8;

/// Runs `patio` with these arguments and waits for it.
async fn patio(args: &[&str]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    tokio::task::spawn_blocking(move || {
        Command::new(support::patio_bin())
            .args(["--log", "error"])
            .args(&args)
            .env("RUST_BACKTRACE", "0")
            .output()
            .expect("run patio")
    })
    .await
    .expect("join patio")
}

fn text(output: &Output) -> String {
    format!(
        "status {:?}\nstdout: {}\nstderr: {}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn url(dir: &Path) -> String {
    Settings::in_dir(dir).database_url
}

async fn start(dir: &Path) -> Spawned {
    server::spawn(Settings::in_dir(dir), Clock::default())
        .await
        .expect("start server")
}

/// A server on a new folder with one account, and a session of it.
async fn start_with_account(dir: &Path) -> (Spawned, String) {
    let server = start(dir).await;
    server
        .platform
        .accounts()
        .sign_up(EMAIL, PASSWORD.into(), &Origin::default())
        .await
        .expect("sign up");
    let reply = call(
        &reqwest::Client::new(),
        &server.url(""),
        "users.authentication.Signin",
        &[("login", EMAIL), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(reply["result"], 0, "{reply}");
    let session = reply["session"].as_str().expect("session").to_owned();
    (server, session)
}

/// Creates tokens until told to stop, noting each one the server acknowledged.
async fn writer(
    worker: usize,
    base: String,
    session: String,
    acknowledged: Arc<Mutex<Vec<(i64, String)>>>,
    stop: Arc<AtomicBool>,
) {
    let client = reqwest::Client::new();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let description = format!("writer {worker} token {n}");
        let reply = call(
            &client,
            &base,
            "users.authentication.CreateToken",
            &[
                ("session", &session),
                ("password", PASSWORD),
                ("description", &description),
                ("tokenTemplate", "ide-plugins"),
            ],
        )
        .await;
        assert_eq!(reply["result"], 0, "{reply}");
        let id = reply["token"]["id"].as_i64().expect("id");
        let key = reply["token"]["key"].as_str().expect("key").to_owned();
        acknowledged.lock().unwrap().push((id, key));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_eight_writers_restores_every_token_acknowledged_before_it() {
    let live = tempfile::tempdir().expect("temp dir");
    let (server, session) = start_with_account(live.path()).await;
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            tokio::spawn(writer(
                w,
                server.url(""),
                session.clone(),
                acknowledged.clone(),
                stop.clone(),
            ))
        })
        .collect();
    // Enough rows that the copy takes a moment of its own.
    while acknowledged.lock().unwrap().len() < 100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let backups = tempfile::tempdir().expect("temp dir");
    let live_url = url(live.path());
    let mut last: Option<(PathBuf, Vec<(i64, String)>)> = None;
    let mut during = 0;
    for round in 1..=5 {
        let file = backups.path().join(format!("patio-{round}.db"));
        let before = acknowledged.lock().unwrap().clone();
        let output = patio(&[
            "--database-url",
            &live_url,
            "backup",
            file.to_str().expect("utf-8 path"),
        ])
        .await;
        assert!(output.status.success(), "{}", text(&output));
        let after = acknowledged.lock().unwrap().len();
        during += after - before.len();
        eprintln!(
            "backup {round}: {} acknowledged before it, {} while it ran; {}",
            before.len(),
            after - before.len(),
            String::from_utf8_lossy(&output.stdout).trim()
        );
        last = Some((file, before));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("writer");
    }
    let total = acknowledged.lock().unwrap().len();
    server.stop().await.expect("stop the server");
    assert!(
        during > 0,
        "no token was acknowledged while a backup ran: did it hold the writers up?"
    );

    let (file, before) = last.expect("a backup");
    let fresh = tempfile::tempdir().expect("temp dir");
    let fresh_url = url(fresh.path());
    let file = file.to_str().expect("utf-8 path");
    let restored = patio(&["--database-url", &fresh_url, "restore", file]).await;
    assert!(restored.status.success(), "{}", text(&restored));
    let checked = patio(&["--database-url", &fresh_url, "check"]).await;
    assert!(checked.status.success(), "{}", text(&checked));

    let server = start(fresh.path()).await;
    let client = reqwest::Client::new();
    let base = server.url("");
    for (id, key) in &before {
        let reply = call(
            &client,
            &base,
            "users.authentication.VerifyToken",
            &[("session", key)],
        )
        .await;
        assert_eq!(reply["result"], 0, "token {id} after the restore: {reply}");
        assert_eq!(reply["token"]["id"], *id, "{reply}");
        let reply = call(
            &client,
            &base,
            "users.account.GetUserInfo",
            &[("session", key)],
        )
        .await;
        assert_eq!(reply["result"], 0, "token {id} after the restore: {reply}");
    }
    let in_backup: i64 = sqlx::query_scalar("select count(*) from tokens")
        .fetch_one(&server.platform.db)
        .await
        .expect("count tokens");
    server.stop().await.expect("stop the restored server");

    let checked = patio(&["--database-url", &fresh_url, "check"]).await;
    assert!(checked.status.success(), "{}", text(&checked));
    let report = String::from_utf8_lossy(&checked.stdout);
    assert!(report.contains("integrity: ok"), "{report}");
    assert!(report.contains("foreign keys: ok"), "{report}");
    eprintln!(
        "backup under {WRITERS} writers: {n} tokens acknowledged before the last backup, all {n} \
         restored and working; the backup holds {in_backup}, {total} were acknowledged in all, \
         {during} while backups ran",
        n = before.len()
    );
    assert!(in_backup as usize >= before.len());
}

/// A stopped server's database with one account, and a backup of it.
async fn database_and_backup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, _) = start_with_account(dir.path()).await;
    server.stop().await.expect("stop the server");
    let file = dir.path().join("backup.db");
    let output = patio(&[
        "--database-url",
        &url(dir.path()),
        "backup",
        file.to_str().expect("utf-8 path"),
    ])
    .await;
    assert!(output.status.success(), "{}", text(&output));
    (dir, file)
}

#[tokio::test]
async fn backup_refuses_an_existing_file_without_force() {
    let (dir, file) = database_and_backup().await;
    let taken = dir.path().join("taken.db");
    std::fs::write(&taken, "something precious").expect("write");
    let args = [
        "--database-url",
        &url(dir.path()),
        "backup",
        taken.to_str().expect("utf-8"),
    ];
    let refused = patio(&args).await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    assert_eq!(
        std::fs::read_to_string(&taken).expect("read"),
        "something precious"
    );

    let forced = patio(&[&args[..], &["--force"]].concat()).await;
    assert!(forced.status.success(), "{}", text(&forced));
    assert_eq!(
        std::fs::metadata(&taken).expect("size").len(),
        std::fs::metadata(&file).expect("size").len()
    );
    assert!(!dir.path().join("taken.db.part").exists());

    let live = dir.path().join("patio.db");
    let onto_itself = patio(&[
        "--database-url",
        &url(dir.path()),
        "backup",
        live.to_str().expect("utf-8"),
        "--force",
    ])
    .await;
    assert!(!onto_itself.status.success(), "{}", text(&onto_itself));
    assert!(
        text(&onto_itself).contains("the database itself"),
        "{}",
        text(&onto_itself)
    );
}

#[tokio::test]
async fn restore_refuses_to_replace_a_database_without_force() {
    let (dir, file) = database_and_backup().await;
    let db = dir.path().join("patio.db");
    let before = std::fs::read(&db).expect("read");
    let args = [
        "--database-url",
        &url(dir.path()),
        "restore",
        file.to_str().expect("utf-8"),
    ];
    let refused = patio(&args).await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    assert_eq!(std::fs::read(&db).expect("read"), before);

    let forced = patio(&[&args[..], &["--force"]].concat()).await;
    assert!(forced.status.success(), "{}", text(&forced));
    assert!(text(&forced).contains("replaced"), "{}", text(&forced));
}

#[tokio::test]
async fn restore_refuses_while_the_server_runs() {
    let (dir, file) = database_and_backup().await;
    let server = start(dir.path()).await;
    let refused = patio(&[
        "--database-url",
        &url(dir.path()),
        "restore",
        file.to_str().expect("utf-8"),
        "--force",
    ])
    .await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("server seems to be running"),
        "{}",
        text(&refused)
    );
    server.stop().await.expect("stop the server");
}

#[tokio::test]
async fn restore_refuses_a_file_that_is_not_sqlite() {
    let from = tempfile::tempdir().expect("temp dir");
    let junk = from.path().join("notes.txt");
    std::fs::write(
        &junk,
        "these are not the pages you are looking for\n".repeat(100),
    )
    .expect("write");
    let into = tempfile::tempdir().expect("temp dir");
    let refused = patio(&[
        "--database-url",
        &url(into.path()),
        "restore",
        junk.to_str().expect("utf-8"),
    ])
    .await;
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("not a SQLite database"),
        "{}",
        text(&refused)
    );
    assert!(!into.path().join("patio.db").exists());
}

#[tokio::test]
async fn restore_and_check_refuse_a_database_of_another_schema() {
    let from = tempfile::tempdir().expect("temp dir");
    let foreign = from.path().join("foreign.db");
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", foreign.display()))
        .await
        .expect("create a database");
    sqlx::query("create table notes (id integer primary key, body text)")
        .execute(&mut conn)
        .await
        .expect("create a table");
    conn.close().await.expect("close");
    // Migrations, but not Patio's.
    let other = from.path().join("other.db");
    let mut conn = SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", other.display()))
        .await
        .expect("create a database");
    sqlx::query(
        "create table _sqlx_migrations (version bigint primary key, description text not null, \
         installed_on timestamp not null default current_timestamp, success boolean not null, \
         checksum blob not null, execution_time bigint not null)",
    )
    .execute(&mut conn)
    .await
    .expect("create the migrations table");
    sqlx::query(
        "insert into _sqlx_migrations (version, description, success, checksum, execution_time) \
         values (1, 'someone else''s', true, x'00', 0)",
    )
    .execute(&mut conn)
    .await
    .expect("note a migration");
    conn.close().await.expect("close");

    let into = tempfile::tempdir().expect("temp dir");
    for file in [&foreign, &other] {
        let refused = patio(&[
            "--database-url",
            &url(into.path()),
            "restore",
            file.to_str().expect("utf-8"),
        ])
        .await;
        assert!(!refused.status.success(), "{}", text(&refused));
        assert!(
            text(&refused).contains("does not hold Patio's schema"),
            "{}",
            text(&refused)
        );
        assert!(!into.path().join("patio.db").exists());

        let checked = patio(&[
            "--database-url",
            &format!("sqlite://{}", file.display()),
            "check",
        ])
        .await;
        assert_eq!(checked.status.code(), Some(1), "{}", text(&checked));
        assert!(text(&checked).contains("schema:"), "{}", text(&checked));
    }
}

#[tokio::test]
async fn check_names_a_row_whose_parent_is_missing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (server, _) = start_with_account(dir.path()).await;
    server.stop().await.expect("stop the server");
    let mut conn = SqliteConnection::connect(&url(dir.path()))
        .await
        .expect("open the database");
    // SQLite enforces foreign keys only on connections that ask it to.
    for sql in [
        "pragma foreign_keys = off",
        "insert into token_methods (token_id, method_id, created_at, updated_at)
         values (999, 'environment.control.StopEnv', 1, 1)",
    ] {
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
    }
    conn.close().await.expect("close");

    let checked = patio(&["--database-url", &url(dir.path()), "check"]).await;
    assert_eq!(checked.status.code(), Some(1), "{}", text(&checked));
    assert!(
        text(&checked)
            .contains("foreign keys: 1 rows point at missing rows, first: token_methods row "),
        "{}",
        text(&checked)
    );
    assert!(text(&checked).contains(" → tokens"), "{}", text(&checked));
}

#[tokio::test]
async fn backup_and_restore_on_postgres_refuse_before_connecting_and_name_pg_dump() {
    // Nothing listens on port 1: a connection attempt would fail differently.
    let postgres = "postgres://patio:secret@127.0.0.1:1/patio";
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("patio.dump");
    for command in ["backup", "restore"] {
        if command == "restore" {
            std::fs::write(&file, "a dump").expect("write");
        }
        let refused = patio(&[
            "--database-url",
            postgres,
            command,
            file.to_str().expect("utf-8"),
        ])
        .await;
        assert!(!refused.status.success(), "{}", text(&refused));
        let said = text(&refused);
        assert!(said.contains("pg_dump --format=custom"), "{said}");
        assert!(said.contains("pg_restore"), "{said}");
        assert!(
            !said.to_lowercase().contains("connection refused"),
            "{said}"
        );
        if command == "backup" {
            assert!(!file.exists(), "backup wrote {}", file.display());
        }
    }
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "a dump");
}

/// With `PATIO_TEST_POSTGRES` naming a database (`scripts/postgres start`), a new one
/// beside it; otherwise `None` and the test says it was skipped.
#[tokio::test]
async fn check_on_postgres_compares_the_migrations_and_leaves_integrity_to_amcheck() {
    let Some(postgres) = fresh_postgres().await else {
        return;
    };
    let empty = patio(&["--database-url", &postgres, "check"]).await;
    assert_eq!(empty.status.code(), Some(1), "{}", text(&empty));
    assert!(
        text(&empty).contains("no _sqlx_migrations table"),
        "{}",
        text(&empty)
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let mut settings = Settings::in_dir(dir.path());
    settings.database_url = postgres.clone();
    let server = server::spawn(settings, Clock::default())
        .await
        .expect("start server");
    server.stop().await.expect("stop the server");
    let checked = patio(&["--database-url", &postgres, "check"]).await;
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).contains("amcheck"), "{}", text(&checked));
}
