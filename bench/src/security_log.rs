//! The Security Log with `--events` entries (a million by default) in one account: how
//! long the first page takes to render (SSR of /settings/security-log, filtered and
//! not, and a page deep in the past), and the time and peak memory of a CSV export of
//! 100,000 rows (every tenth entry is a token change: `?filter=tokens`).

use std::path::Path;
use std::time::Instant;

use anyhow::{bail, Context};
use sha2::{Digest, Sha256};

use super::{fresh_postgres, session, start, status_mb, Options, PASSWORD_HASH};

/// Entries written per statement while seeding.
const ROWS_PER_INSERT: u64 = 500;

/// What entry `i` is: every tenth a token change, the rest denied calls, sign-ins and
/// environment changes.
fn kind(i: u64) -> (&'static str, &'static str) {
    match i % 10 {
        0 => ("token.edit", "ok"),
        1 | 4 | 7 => ("api.call", "denied"),
        2 | 5 => ("signin", "ok"),
        3 => ("password.confirm", "failed"),
        6 => ("env.start", "ok"),
        _ => ("env.stop", "ok"),
    }
}

/// One account with a session and `n` entries, oldest first, a minute apart at most.
async fn seed(url: &str, n: u64) -> anyhow::Result<()> {
    let db = domain::platform::connect(url).await?;
    let pool = db.pool;
    let now = 1_800_000_000_i64;
    sqlx::query("insert into accounts (id, email, password_hash, created_at, updated_at) values (1, 'log@bench.example', $1, $2, $2)")
        .bind(PASSWORD_HASH)
        .bind(now)
        .execute(&pool)
        .await?;
    sqlx::query(
        "insert into sessions (account_id, digest, expires_at, last_used_at, created_at, updated_at) values (1, $1, $2, $3, $4, $4)",
    )
    .bind(Sha256::digest(session(1).as_bytes()).to_vec())
    .bind(i64::MAX / 2)
    .bind(i64::MAX / 4)
    .bind(now)
    .execute(&pool)
    .await?;
    let mut tx = pool.begin().await?;
    let mut i = 0;
    while i < n {
        let rows = ROWS_PER_INSERT.min(n - i);
        let values: Vec<String> = (0..rows)
            .map(|k| {
                let e = i + k;
                let (action, outcome) = kind(e);
                let at = now - (n - e) as i64 * 2;
                format!(
                    "(1, '{action}', '{outcome}', 'target {e}', 'token patio_bench', '192.0.2.{}', {at}, {at}, 1, '{}')",
                    e % 250,
                    domain::audit::category(action)
                )
            })
            .collect();
        sqlx::query(&format!(
            "insert into audit_events (account_id, action, outcome, target, actor, ip, created_at, updated_at, count, category) values {}",
            values.join(",")
        ))
        .execute(&mut *tx)
        .await?;
        i += rows;
    }
    tx.commit().await?;
    let settle = match db.backend {
        domain::platform::Backend::Sqlite => "pragma wal_checkpoint(truncate)",
        domain::platform::Backend::Postgres => "analyze",
    };
    sqlx::query(settle).execute(&pool).await?;
    pool.close().await;
    Ok(())
}

/// Median wall time of `runs` GETs of `path` with the seeded session, body included.
async fn median_get(base: &str, path: &str, runs: usize) -> anyhow::Result<(f64, usize)> {
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let r = client
            .get(format!("{base}{path}"))
            .header("cookie", format!("patio_session={}", session(1)))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("{path} answered {}", r.status());
        }
        size = r.text().await?.len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], size))
}

pub async fn run(o: &Options, work: &Path) -> anyhow::Result<()> {
    let n = o.events;
    let dir = work.join("security-log");
    std::fs::create_dir_all(&dir)?;
    let url = match &o.postgres {
        Some(admin) => fresh_postgres(admin, "security_log").await?,
        None => format!("sqlite://{}/patio.db", dir.display()),
    };
    let t = Instant::now();
    seed(&url, n).await?;
    eprintln!(
        "seeded {n} audit entries in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let server = start(&o.server, &dir, &url, 3440).await?;
    let base = server.base.clone();
    let mut rows = Vec::new();
    for (what, path) in [
        (
            "first page, everything",
            "/settings/security-log".to_owned(),
        ),
        (
            "first page, token changes",
            "/settings/security-log?filter=tokens".to_owned(),
        ),
        (
            "first page, denied calls",
            "/settings/security-log?filter=denied".to_owned(),
        ),
        (
            "a page half-way back",
            format!("/settings/security-log?filter=all&before={}", n / 2),
        ),
    ] {
        let (ms, size) = median_get(&base, &path, 20).await?;
        rows.push(format!("| {n} | SSR {what} | {ms:.2} | | {size} bytes |"));
    }

    // The export: peak memory counted from a reset high-water mark.
    let pid = server.child.id();
    let before = status_mb(pid, "VmRSS:");
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5")
        .context("reset the server's peak RSS (/proc/<pid>/clear_refs)")?;
    let t = Instant::now();
    let mut r = reqwest::Client::new()
        .get(format!(
            "{base}/settings/security-log/export.csv?filter=tokens"
        ))
        .header("cookie", format!("patio_session={}", session(1)))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("the export answered {}", r.status());
    }
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = r.chunk().await? {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let took = t.elapsed().as_secs_f64();
    let peak = status_mb(pid, "VmHWM:");
    rows.push(format!(
        "| {n} | CSV export, token changes: {} rows, {:.1} MB | {:.0} | | peak RSS {peak:.1} MB (before {before:.1} MB) |",
        lines.saturating_sub(1),
        bytes as f64 / 1e6,
        took * 1000.0
    ));
    drop(server);
    println!();
    println!(
        "Security Log, {}: one account with {n} entries",
        if o.postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    println!("| entries | what | ms (median of 20) | | note |");
    println!("| ---: | --- | ---: | --- | --- |");
    for row in rows {
        println!("{row}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
