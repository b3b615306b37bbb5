//! `bench/run` drives this: seeds databases with N tokens, starts the release server on
//! each, loads it with `wrk` on 127.0.0.1 and prints one table of what it measured;
//! then the Security Log with a million entries (`security_log.rs`) and, on
//! PostgreSQL, token creations by concurrent writers on two replicas (`writers.rs`).

mod security_log;
mod writers;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use domain::platform::Backend;
use domain::tokens::TokenSecret;
use sha2::{Digest, Sha256};

/// Seeded accounts use sessions only: this is no password hash, so no sign-in succeeds.
const PASSWORD_HASH: &str = "!bench-account-without-password";
const ENV: &str = "bench-env";

struct Options {
    server: PathBuf,
    sizes: Vec<u64>,
    seconds: u64,
    connections: u64,
    /// Rounds of (a), (b) and (f) at every account size, each a short wrk run right after
    /// the other, for the targets that compare them. The machine's speed drifts by more
    /// than a target's margin over tens of seconds on a shared 2-core machine, so what is
    /// compared is taken close together (the servers of all sizes stay up until the
    /// rounds are done), in an order that turns round every round (a b f at 1,000 then at
    /// 1,000,000; then f b a at 1,000,000 and at 1,000; …) so that a steady drift falls on
    /// both sides alike, and the median round is judged.
    rounds: usize,
    round_seconds: u64,
    wasm: PathBuf,
    /// A PostgreSQL database to create the benchmark's databases beside; SQLite if unset.
    postgres: Option<String>,
    /// What to measure: `api` (token and session checks, pages), `security-log`,
    /// `writers` (PostgreSQL only), or `all` (writers only on PostgreSQL).
    suites: Vec<String>,
    /// Audit entries in the Security Log benchmark's one account.
    events: u64,
    /// Concurrent token creators in the writers benchmark, and the accounts they use.
    writers: u64,
    writer_accounts: u64,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        server: PathBuf::from("target/release/patio"),
        sizes: vec![1_000, 1_000_000],
        seconds: 10,
        connections: 64,
        rounds: 10,
        round_seconds: 2,
        wasm: PathBuf::from("target/site/pkg/patio_bg.wasm"),
        postgres: None,
        suites: vec!["all".into()],
        events: 1_000_000,
        writers: 16,
        writer_accounts: 8,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--server" => o.server = value.into(),
            "--tokens" => o.sizes = value.split(',').map(str::parse).collect::<Result<_, _>>()?,
            "--seconds" => o.seconds = value.parse()?,
            "--connections" => o.connections = value.parse()?,
            "--rounds" => o.rounds = value.parse::<usize>()?.max(1),
            "--round-seconds" => o.round_seconds = value.parse::<u64>()?.max(1),
            "--wasm" => o.wasm = value.into(),
            "--postgres" => o.postgres = Some(value),
            "--suite" => o.suites = value.split(',').map(str::to_owned).collect(),
            "--events" => o.events = value.parse()?,
            "--writers" => o.writers = value.parse()?,
            "--writer-accounts" => o.writer_accounts = value.parse()?,
            _ => bail!("unknown flag {flag}"),
        }
    }
    Ok(o)
}

/// The value of seeded token `i`: deterministic, so the load generator can present it.
fn token(i: u64) -> TokenSecret {
    const DIGITS: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = i;
    let mut tail = Vec::new();
    loop {
        tail.push(DIGITS[(n % 62) as usize]);
        n /= 62;
        if n == 0 {
            break;
        }
    }
    tail.reverse();
    let tail = String::from_utf8(tail).unwrap_or_default();
    let entropy = format!("bench{tail:0>27}");
    TokenSecret::from_entropy(&entropy).unwrap_or_else(|_| unreachable!("bench entropy is base62"))
}

/// The index of the seeded token limited to the benchmark's environment.
fn scoped_token(n: u64) -> u64 {
    n.max(1012)
}

fn session(i: u64) -> String {
    format!("benchsession{i:0>28}")
}

/// Seeds `n` tokens over n/100 accounts (at least one). Account 1 owns token 0 (Custom:
/// GetEnvInfo), token 1 (Custom: GetEnvs only), the environment and a session; account 2
/// owns exactly 10 tokens and account 3 exactly 1,000, for the page timings.
async fn seed(db_url: &str, n: u64) -> anyhow::Result<()> {
    let db = domain::platform::connect(db_url).await?;
    let pool = db.pool;
    let now = 1_800_000_000_i64;
    let mut tx = pool.begin().await?;
    let accounts = (n / 100).max(3);
    for a in 1..=accounts {
        sqlx::query("insert into accounts (id, email, password_hash, created_at, updated_at) values ($1, $2, $3, $4, $5)")
            .bind(a as i64)
            .bind(format!("user{a}@bench.example"))
            .bind(PASSWORD_HASH)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    for a in 1..=3u64 {
        sqlx::query(
            "insert into sessions (account_id, digest, expires_at, last_used_at, created_at, updated_at) values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(a as i64)
        .bind(Sha256::digest(session(a).as_bytes()).to_vec())
        .bind(i64::MAX / 2)
        .bind(i64::MAX / 4)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("insert into environments (account_id, name, display_name, status, created_at, updated_at) values (1, $1, $2, 1, $3, $4)")
        .bind(ENV)
        .bind(ENV)
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    // Token i belongs to: 0,1 → account 1; 2..12 → account 2; 12..1012 → account 3;
    // the rest round-robin over the other accounts.
    let extra = accounts.saturating_sub(3).max(1);
    for i in 0..n.max(1012) {
        let owner = match i {
            0 | 1 => 1,
            2..=11 => 2,
            12..=1011 => 3,
            _ => 4 + (i % extra),
        };
        let owner = owner.min(accounts);
        let secret = token(i);
        sqlx::query(
            "insert into tokens (account_id, description, digest, hint, api_set, created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(owner as i64)
        .bind(format!("bench token {i}"))
        .bind(Sha256::digest(secret.expose().as_bytes()).to_vec())
        .bind(secret.hint())
        .bind(if i < 2 { "custom" } else { "extended-access" })
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    // One more for account 1, Custom with GetEnvInfo and limited to the environment.
    let scoped = scoped_token(n);
    let secret = token(scoped);
    let scoped_id: i64 = sqlx::query_scalar(
        "insert into tokens (account_id, description, digest, hint, api_set, env_scoped, created_at, updated_at)
         values (1, 'bench scoped token', $1, $2, 'custom', 1, $3, $4) returning id",
    )
    .bind(Sha256::digest(secret.expose().as_bytes()).to_vec())
    .bind(secret.hint())
    .bind(now)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("insert into token_scope (token_id, environment_id, created_at, updated_at) select $1, id, $2, $3 from environments where name = $4")
        .bind(scoped_id)
        .bind(now)
        .bind(now)
        .bind(ENV)
        .execute(&mut *tx)
        .await?;
    for (token_id, method) in [
        (1, "environment.control.GetEnvInfo"),
        (2, "environment.control.GetEnvs"),
        (scoped_id, "environment.control.GetEnvInfo"),
    ] {
        sqlx::query("insert into token_methods (token_id, method_id, created_at, updated_at) values ($1, $2, $3, $4)")
            .bind(token_id)
            .bind(method)
            .bind(now)
            .bind(now)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    let settle = match db.backend {
        Backend::Sqlite => "pragma wal_checkpoint(truncate)",
        Backend::Postgres => "analyze",
    };
    sqlx::query(settle).execute(&pool).await?;
    pool.close().await;
    Ok(())
}

struct Server {
    child: Child,
    base: String,
    cold_start: Duration,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A new, empty database named after `n` beside the `--postgres` one.
async fn fresh_postgres(admin: &str, n: impl std::fmt::Display) -> anyhow::Result<String> {
    use sqlx::Connection;
    let name = format!("patio_bench_{n}");
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .context("connect to --postgres")?;
    sqlx::query(&format!("drop database if exists {name}"))
        .execute(&mut conn)
        .await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut conn)
        .await?;
    let (server, _) = admin
        .rsplit_once('/')
        .context("--postgres must end in a database name")?;
    Ok(format!("{server}/{name}"))
}

async fn start(bin: &Path, dir: &Path, url: &str, port: u16) -> anyhow::Result<Server> {
    let started = Instant::now();
    let child = Command::new(bin)
        .args(["--bind", &format!("127.0.0.1:{port}")])
        .args(["--database-url", url])
        .args(["--data-dir", &dir.display().to_string()])
        .args(["--log", "warn"])
        // PATIO_BENCH_LOGS=<folder> keeps each server's log there (server-<port>.log).
        .stdout(match std::env::var_os("PATIO_BENCH_LOGS") {
            Some(folder) => Stdio::from(std::fs::File::create(
                Path::new(&folder).join(format!("server-{port}.log")),
            )?),
            None => Stdio::null(),
        })
        .spawn()
        .with_context(|| format!("start {}", bin.display()))?;
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    loop {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                break;
            }
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("the server did not answer within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(Server {
        child,
        base,
        cold_start: started.elapsed(),
    })
}

struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    result: String,
}

fn millis(text: &str) -> f64 {
    let (number, unit) = text.split_at(
        text.find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(text.len()),
    );
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => f64::NAN,
    }
}

/// Runs wrk against `url` and reads requests/s and the latency percentiles it prints.
async fn load(url: &str, header: Option<&str>, seconds: u64, o: &Options) -> anyhow::Result<Load> {
    let body = reqwest::get(url).await?.text().await?;
    let result = body
        .split("\"result\":")
        .nth(1)
        .map(|r| r.chars().take_while(char::is_ascii_digit).collect())
        .unwrap_or_else(|| body.trim().to_owned());
    let mut cmd = Command::new("wrk");
    cmd.args([
        "-t",
        "2",
        "-c",
        &o.connections.to_string(),
        "-d",
        &format!("{seconds}s"),
        "--latency",
    ]);
    if let Some(h) = header {
        cmd.args(["-H", h]);
    }
    let out = cmd
        .arg(url)
        .output()
        .context("run wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines().find_map(|l| {
            l.trim()
                .strip_prefix(prefix)
                .map(|rest| rest.trim().to_owned())
        })
    };
    let rps = field("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .context("wrk printed no Requests/sec")?;
    let p50 = field("50%").map(|v| millis(&v)).unwrap_or(f64::NAN);
    let p99 = field("99%").map(|v| millis(&v)).unwrap_or(f64::NAN);
    if text.contains("Non-2xx") {
        bail!("wrk saw non-2xx answers from {url}:\n{text}");
    }
    Ok(Load {
        rps,
        p50_ms: p50,
        p99_ms: p99,
        result,
    })
}

/// Median wall time of `runs` sequential GETs of a dashboard page, body included.
async fn page_time(base: &str, account: u64, runs: usize) -> anyhow::Result<(f64, usize)> {
    let client = reqwest::Client::new();
    let mut times = Vec::with_capacity(runs);
    let mut size = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let r = client
            .get(format!("{base}/settings/access-tokens"))
            .header("cookie", format!("patio_session={}", session(account)))
            .send()
            .await?;
        if !r.status().is_success() {
            bail!("page answered {}", r.status());
        }
        size = r.text().await?.len();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    Ok((times[times.len() / 2], size))
}

/// Requests/s of (a), (b) and (f) in one round, run one right after the other.
struct Round {
    a: f64,
    b: f64,
    f: f64,
}

/// The middle value; for an even count, the mean of the two in the middle.
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn rss_mb(pid: u32) -> f64 {
    status_mb(pid, "VmRSS:")
}

/// A memory figure of `/proc/<pid>/status` (`VmRSS:`, `VmHWM:`), in MB.
fn status_mb(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).map(str::to_owned))
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

impl Options {
    fn runs(&self, suite: &str) -> bool {
        self.suites.iter().any(|s| s == suite)
            || (self.suites.iter().any(|s| s == "all")
                && (suite != "writers" || self.postgres.is_some()))
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let work = std::env::temp_dir().join(format!("patio-bench-{}", std::process::id()));
    if o.runs("api") {
        api_suite(&o, &work).await?;
    }
    if o.runs("security-log") {
        security_log::run(&o, &work).await?;
    }
    if o.runs("writers") {
        writers::run(&o, &work).await?;
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

/// One account size's server, up until the rounds are done, and what it printed so far.
struct Sized {
    n: u64,
    server: Server,
    dir: PathBuf,
    rows: Vec<String>,
    /// The URLs of (a), (b) and (f).
    compared: [String; 3],
}

/// Token and session checks under load, pages, memory, start-up, wasm size.
async fn api_suite(o: &Options, work: &Path) -> anyhow::Result<()> {
    let mut sized: Vec<Sized> = Vec::new();
    for (k, &n) in o.sizes.iter().enumerate() {
        let dir = work.join(n.to_string());
        std::fs::create_dir_all(&dir)?;
        let t = Instant::now();
        let url = match &o.postgres {
            Some(admin) => fresh_postgres(admin, n).await?,
            None => format!("sqlite://{}/patio.db", dir.display()),
        };
        seed(&url, n).await?;
        eprintln!("seeded {n} tokens in {:.1} s", t.elapsed().as_secs_f64());
        let server = start(&o.server, &dir, &url, 3400 + k as u16).await?;
        let base = server.base.clone();
        let with_token = |i: u64| {
            format!(
                "{base}/1.0/environment/control/rest/getenvinfo?envName={ENV}&session={}",
                token(i).expose()
            )
        };
        let scenarios: Vec<(&str, String, Option<String>)> = vec![
            ("(a) /healthz, no auth", format!("{base}/healthz"), None),
            ("(b) GetEnvInfo, token", with_token(0), None),
            ("(c) GetEnvInfo, session", format!("{base}/1.0/environment/control/rest/getenvinfo?envName={ENV}&session={}", session(1)), None),
            ("(d) GetEnvInfo, token lacking it", with_token(1), None),
            ("(e) GetEnvInfo, malformed token", format!("{base}/1.0/environment/control/rest/getenvinfo?envName={ENV}&session=patio_notatoken"), None),
            ("(f) GetEnvInfo, token limited to the environment", with_token(scoped_token(n)), None),
        ];
        let mut rows = Vec::new();
        for (name, url, header) in &scenarios {
            let l = load(url, header.as_deref(), o.seconds, o).await?;
            rows.push(format!(
                "| {n} | {name} | {:.0} | {:.2} | {:.2} | {} |",
                l.rps, l.p50_ms, l.p99_ms, l.result
            ));
        }
        let (small, small_size) = page_time(&base, 2, 50).await?;
        let (large, large_size) = page_time(&base, 3, 50).await?;
        rows.push(format!("| {n} | SSR /settings/access-tokens, 10 tokens | | {small:.2} | | {small_size} bytes |"));
        rows.push(format!("| {n} | SSR /settings/access-tokens, 1,000 tokens | | {large:.2} | | {large_size} bytes |"));
        rows.push(format!(
            "| {n} | cold start to first answer | | {:.1} | | |",
            server.cold_start.as_secs_f64() * 1000.0
        ));
        let compared = [0, 1, 5].map(|i| scenarios[i].1.clone());
        sized.push(Sized {
            n,
            server,
            dir,
            rows,
            compared,
        });
    }
    // (a), (b) and (f) of every size again in short rounds, for the targets that compare
    // them, sizes and scenarios each in turn.
    let mut by_n: Vec<(u64, Vec<Round>)> = sized.iter().map(|s| (s.n, Vec::new())).collect();
    for r in 0..o.rounds {
        let forward = r % 2 == 0;
        let mut order: Vec<usize> = (0..sized.len()).collect();
        if !forward {
            order.reverse();
        }
        for i in order {
            let mut rps = [f64::NAN; 3];
            for j in if forward { [0, 1, 2] } else { [2, 1, 0] } {
                rps[j] = load(&sized[i].compared[j], None, o.round_seconds, o)
                    .await?
                    .rps;
            }
            let [a, b, f] = rps;
            by_n[i].1.push(Round { a, b, f });
        }
    }
    let mut rows: Vec<String> = Vec::new();
    for s in sized {
        rows.extend(s.rows);
        rows.push(format!(
            "| {} | server RSS after the run | | | | {:.1} MB |",
            s.n,
            rss_mb(s.server.child.id())
        ));
        drop(s.server);
        let _ = std::fs::remove_dir_all(&s.dir);
    }
    let db = if o.postgres.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    println!("database: {db}");
    println!("| tokens | what | requests/s | p50 ms | p99 ms | result / note |");
    println!("| ---: | --- | ---: | ---: | ---: | --- |");
    for row in rows {
        println!("{row}");
    }
    println!();
    // Targets (issue "Performance III"): (b)/(a) at least 0.8 on SQLite, 0.6 on PostgreSQL.
    let floor_target = if o.postgres.is_some() { 0.6 } else { 0.8 };
    for (n, rounds) in &by_n {
        let ratio = median(&rounds.iter().map(|r| r.b / r.a).collect::<Vec<_>>());
        let each: Vec<String> = rounds.iter().map(|r| format!("{:.2}", r.b / r.a)).collect();
        println!(
            "target: (b)/(a) on {db} at {n} tokens ≥ {floor_target}: {ratio:.2}, the median of {} rounds of {} s each ({}): {}",
            rounds.len(),
            o.round_seconds,
            each.join(", "),
            if ratio >= floor_target { "met" } else { "missed" }
        );
    }
    for (n, rounds) in &by_n {
        let changes: Vec<f64> = rounds.iter().map(|r| (r.f / r.b - 1.0) * 100.0).collect();
        let change = median(&changes);
        let each: Vec<String> = changes.iter().map(|c| format!("{c:+.1}%")).collect();
        println!(
            "target: (f) a token limited to the environment within 5% of (b) on {db} at {n} tokens: {change:+.1}%, the median of {} rounds of {} s each ({}): {}",
            rounds.len(),
            o.round_seconds,
            each.join(", "),
            if change >= -5.0 { "met" } else { "missed" }
        );
    }
    if let [(n1, small), .., (n2, large)] = by_n.as_slice() {
        // Round by round: the two sizes' (b) of one round were measured seconds apart.
        let changes: Vec<f64> = (small.iter().zip(large))
            .map(|(s, l)| (l.b / s.b - 1.0) * 100.0)
            .collect();
        let change = median(&changes);
        let each: Vec<String> = changes.iter().map(|c| format!("{c:+.1}%")).collect();
        println!(
            "target: (b) on {db} at {n2} tokens within 10% of {n1}: {change:+.1}%, the median of {} rounds ({}): {}",
            changes.len(),
            each.join(", "),
            if change >= -10.0 { "met" } else { "missed" }
        );
    }
    let raw = std::fs::metadata(&o.wasm).map(|m| m.len()).unwrap_or(0);
    let gz = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(&o.wasm)
        .output()
        .map(|out| out.stdout.len())
        .unwrap_or(0);
    println!(
        "release wasm, main module: {raw} bytes raw, {gz} bytes gzip ({:.0} KB)",
        gz as f64 / 1024.0
    );
    // The parts lazily loaded pages fetch (scripts/build splits the wasm), with the main
    // module: what every page together weighs.
    let (mut files, mut all_raw, mut all_brotli) = (0, 0, 0);
    if let Some(Ok(entries)) = o.wasm.parent().map(std::fs::read_dir) {
        for path in entries.flatten().map(|e| e.path()) {
            if path.extension().is_some_and(|e| e == "wasm") {
                files += 1;
                all_raw += std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let brotli = path.with_extension("wasm.br");
                all_brotli += std::fs::metadata(brotli).map(|m| m.len()).unwrap_or(0);
            }
        }
    }
    println!("release wasm, all {files} files: {all_raw} bytes raw, {all_brotli} bytes brotli");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::median;

    #[test]
    fn the_median_is_the_middle_value() {
        assert_eq!(median(&[0.9, 0.6, 0.7]), 0.7);
        assert_eq!(median(&[0.8, 0.6, 0.7, 0.9]), 0.75);
        assert!(median(&[]).is_nan());
    }
}
