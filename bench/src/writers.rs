//! PostgreSQL writers: two server replicas on one database, `--writers` clients (16 by
//! default) creating tokens as fast as they are answered, spread over
//! `--writer-accounts` accounts (8), alternating between the replicas. Token creations
//! per second tell whether accounts wait for each other. The accounts' passwords are
//! hashed with argon2id at its smallest cost, so the password confirmation each creation
//! needs does not hide the database behind the hashing.
//!
//! The server makes the schema (it is started first) and the accounts are plain rows,
//! so the same run measures an older server binary (`--server`) for a before / after.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use sha2::{Digest, Sha256};

use super::{fresh_postgres, session, start, Options};

const PASSWORD: &str = "bench writers password";

fn cheap_hash() -> anyhow::Result<String> {
    let params = Params::new(8, 1, 1, None).map_err(|e| anyhow::anyhow!("{e}"))?;
    let salt = SaltString::encode_b64(b"bench-salt-16byt").map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(PASSWORD.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

pub async fn run(o: &Options, work: &Path) -> anyhow::Result<()> {
    let Some(admin) = &o.postgres else {
        bail!("the writers benchmark needs --postgres");
    };
    let url = fresh_postgres(admin, "writers").await?;
    let dir = work.join("writers");
    std::fs::create_dir_all(&dir)?;
    // One replica first: it brings the schema; then the second on the same database.
    let a = start(&o.server, &dir.join("a"), &url, 3450).await?;
    let b = start(&o.server, &dir.join("b"), &url, 3451).await?;
    let replicas = [a.base.clone(), b.base.clone()];

    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .connect(&url)
        .await
        .context("connect to the writers' database")?;
    let hash = cheap_hash()?;
    let now = 1_800_000_000_i64;
    for k in 1..=o.writer_accounts {
        let id: i64 = sqlx::query_scalar(
            "insert into accounts (email, password_hash, created_at, updated_at) values ($1, $2, $3, $3) returning id",
        )
        .bind(format!("writer{k}@bench.example"))
        .bind(&hash)
        .bind(now)
        .fetch_one(&pool)
        .await?;
        sqlx::query(
            "insert into sessions (account_id, digest, expires_at, last_used_at, created_at, updated_at) values ($1, $2, $3, $4, $5, $5)",
        )
        .bind(id)
        .bind(Sha256::digest(session(1000 + k).as_bytes()).to_vec())
        .bind(i64::MAX / 2)
        .bind(i64::MAX / 4)
        .bind(now)
        .execute(&pool)
        .await?;
    }
    pool.close().await;

    let created = Arc::new(AtomicU64::new(0));
    let refused: Arc<Mutex<Vec<String>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let client = reqwest::Client::new();
    let until = Instant::now() + Duration::from_secs(o.seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..o.writers {
        let account = 1000 + 1 + w % o.writer_accounts;
        let base = replicas[(w % 2) as usize].clone();
        let (client, created, refused, latencies) = (
            client.clone(),
            created.clone(),
            refused.clone(),
            latencies.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while Instant::now() < until {
                n += 1;
                let t = Instant::now();
                let description = format!("writer {w} token {n}");
                let reply = client
                    .post(format!("{base}/1.0/users/authentication/rest/createtoken"))
                    .form(&[
                        ("session", session(account).as_str()),
                        ("password", PASSWORD),
                        ("description", description.as_str()),
                        ("tokenTemplate", "marketplace"),
                    ])
                    .send()
                    .await;
                let text = match reply {
                    Ok(r) => r.text().await.unwrap_or_default(),
                    Err(e) => e.to_string(),
                };
                if text.starts_with("{\"result\":0") || text.contains("\"result\":0,") {
                    created.fetch_add(1, Ordering::Relaxed);
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    latencies.lock().unwrap_or_else(|e| e.into_inner()).push(ms);
                } else {
                    refused
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(text.chars().take(120).collect());
                }
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let created = created.load(Ordering::Relaxed);
    let mut latencies = std::mem::take(&mut *latencies.lock().unwrap_or_else(|e| e.into_inner()));
    latencies.sort_by(f64::total_cmp);
    let pick = |q: f64| {
        latencies
            .get(((latencies.len() as f64 * q) as usize).min(latencies.len().saturating_sub(1)))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let refused = refused.lock().unwrap_or_else(|e| e.into_inner()).clone();
    drop((a, b));
    println!();
    println!(
        "PostgreSQL writers: 2 replicas, {} writers over {} accounts, {} s, server {}",
        o.writers,
        o.writer_accounts,
        o.seconds,
        o.server.display()
    );
    println!("| what | per second | p50 ms | p99 ms | refused |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!(
        "| token creations | {:.1} | {:.1} | {:.1} | {} |",
        created as f64 / elapsed,
        pick(0.5),
        pick(0.99),
        refused.len()
    );
    if let Some(first) = refused.first() {
        println!("first refusal: {first}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
