//! What the database's own storage can do, measured in the same run as the intake compared
//! with it (issue 21): durable intake is worth judging only against the rate at which the
//! disk (or PostgreSQL) can make anything durable at all.

use anyhow::Context;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

/// How long each probe runs.
pub const PROBE: Duration = Duration::from_secs(2);

/// Appends of one 256-byte line, each flushed to disk (`fdatasync`) before the next, by one
/// writer in `dir` for [`PROBE`]: the disk's durable-append rate, per second.
pub fn fsync_appends(dir: &Path) -> anyhow::Result<f64> {
    let path = dir.join("controlroom-fsync-probe");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut line = [b'x'; 256];
    line[255] = b'\n';
    let started = Instant::now();
    let mut appends = 0u64;
    while started.elapsed() < PROBE {
        file.write_all(&line)?;
        file.sync_data()?;
        appends += 1;
    }
    let rate = appends as f64 / started.elapsed().as_secs_f64();
    drop(file);
    std::fs::remove_file(&path)?;
    Ok(rate)
}

/// One-row inserts, each its own committed transaction (`synchronous_commit` as the server
/// has it, on by default), from `clients` connections at once for [`PROBE`]: PostgreSQL's
/// own durable commit rate at that concurrency, per second. The probe table is dropped
/// afterwards.
pub async fn postgres_commits(url: &str, clients: usize) -> anyhow::Result<f64> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(u32::try_from(clients).unwrap_or(u32::MAX))
        .connect(url)
        .await?;
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS controlroom_commit_probe \
         (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now())",
    )
    .execute(&pool)
    .await?;
    let started = Instant::now();
    let mut probes = Vec::new();
    for _ in 0..clients {
        let pool = pool.clone();
        probes.push(tokio::spawn(async move {
            let mut commits = 0u64;
            while started.elapsed() < PROBE {
                sqlx::query("INSERT INTO controlroom_commit_probe DEFAULT VALUES")
                    .execute(&pool)
                    .await?;
                commits += 1;
            }
            anyhow::Ok(commits)
        }));
    }
    let mut commits = 0u64;
    for probe in probes {
        commits += probe.await??;
    }
    let rate = commits as f64 / started.elapsed().as_secs_f64();
    sqlx::query("DROP TABLE controlroom_commit_probe")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(rate)
}
