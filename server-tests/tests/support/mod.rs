//! What the integration test binaries share: the test password, a fresh PostgreSQL
//! database when `PATIO_TEST_POSTGRES` names a server, calling an API method by its id,
//! the `patio` binary, and a log writer that keeps everything logged.

// Each test binary uses the part it needs.
#![allow(dead_code)]

pub mod mail;

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery";

/// The `patio` binary the tests run: `PATIO_BIN` if set, else the one cargo built beside
/// them, in the same profile (`cargo build -p server [--release]`, which `scripts/test`
/// runs first). Refused when it is older than the server library these tests were built
/// with, so that a test never runs yesterday's binary.
pub fn patio_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("PATIO_BIN") {
        return bin.into();
    }
    let deps = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .to_owned();
    let bin = deps.parent().unwrap().join("patio");
    let built = |path: &std::path::Path| path.metadata().and_then(|m| m.modified()).ok();
    let library = std::fs::read_dir(&deps)
        .unwrap()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("libserver-") && name.ends_with(".rlib")
        })
        .filter_map(|path| built(&path))
        .max();
    let profile = deps
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    let flag = if profile == "release" {
        " --release"
    } else {
        ""
    };
    match (built(&bin), library) {
        (Some(bin_built), Some(library)) if bin_built >= library => bin,
        (None, _) => panic!(
            "no {}: run `cargo build -p server{flag}` first",
            bin.display()
        ),
        _ => panic!(
            "{} is older than the server library: run `cargo build -p server{flag}` first",
            bin.display()
        ),
    }
}

/// A new, empty database on the test PostgreSQL, or `None` when `PATIO_TEST_POSTGRES`
/// is not set.
pub async fn fresh_postgres() -> Option<String> {
    use sqlx::Connection;
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let admin = std::env::var("PATIO_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())?;
    let name = format!(
        "patio_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to PATIO_TEST_POSTGRES");
    sqlx::query(&format!("create database {name}"))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    let (server, _) = admin
        .rsplit_once('/')
        .expect("PATIO_TEST_POSTGRES ends in a database name");
    Some(format!("{server}/{name}"))
}

/// `environment.control.StopEnv` → `/1.0/environment/control/rest/stopenv`.
pub fn path_of(method: &str) -> String {
    domain::catalogue::method(method)
        .unwrap_or_else(|| panic!("{method} is not in the catalogue"))
        .path()
}

/// Calls `method` on the server at `base` (`http://host:port`) with a form body.
pub async fn call(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    params: &[(&str, &str)],
) -> Value {
    client
        .post(format!("{base}{}", path_of(method)))
        .form(params)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

/// Everything logged, kept in memory for a test to search.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
