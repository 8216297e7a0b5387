//! The history scenario (issue 21): does a command cost more on an incident with a long
//! history? One incident is given `--events` log entries; then, alternately, a log entry is
//! timed on it and on a newly opened incident, `--checks` times each, over HTTP as the
//! console sends them. The aim: the long incident's p50 within 1.5 times the new one's.

use anyhow::bail;
use hdrhistogram::Histogram;
use serde_json::json;
use std::time::Instant;

pub async fn run(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    events: usize,
    samples: usize,
) -> anyhow::Result<()> {
    if !(1..=20_000).contains(&events) || !(1..=5_000).contains(&samples) {
        bail!("--events must be 1-20000 and --checks 1-5000");
    }
    println!(
        "bench: one incident given {events} log entries, then {samples} log entries timed on it and on new incidents, alternately, at {base}"
    );
    let long = open(client, base, token).await?;
    let started = Instant::now();
    for n in 0..events {
        log_entry(client, base, token, &long, n).await?;
    }
    println!(
        "history written: {events} entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut on_long = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let mut on_new = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for n in 0..samples {
        on_long.record(log_entry(client, base, token, &long, events + n).await?)?;
        let new = open(client, base, token).await?;
        on_new.record(log_entry(client, base, token, &new, 0).await?)?;
    }
    let ms = |h: &Histogram<u64>, q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    for (what, h) in [("new incident", &on_new), ("long incident", &on_long)] {
        println!(
            "log entry on a {what}: p50 {:.2} ms  p99 {:.2} ms",
            ms(h, 0.5),
            ms(h, 0.99)
        );
    }
    println!(
        "long / new at p50: {:.2} (aim: 1.5 or less)",
        ms(&on_long, 0.5) / ms(&on_new, 0.5)
    );
    Ok(())
}

/// Open an incident (a 999 contact); its id.
async fn open(client: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<String> {
    let body = json!({
        "channel": "999",
        "caller": { "name": "History Bench", "phone": "07700 900998" },
        "location": { "text": "1 Park Row, Leeds LS1 5HN", "lat": 53.7975, "lon": -1.5470 },
        "summary": "Benchmark: a long-running incident",
    });
    super::open_incident(client, base, token, &body).await
}

/// Write log entry `n` on `incident`, reading the whole answer as a console does; how long
/// it took, in microseconds.
async fn log_entry(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    incident: &str,
    n: usize,
) -> anyhow::Result<u64> {
    let sent = Instant::now();
    let answer = client
        .post(format!("{base}/api/v1/incidents/{incident}/log"))
        .bearer_auth(token)
        .json(&json!({ "text": format!("Update {n}: still ongoing, units attending") }))
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let took = u64::try_from(sent.elapsed().as_micros())
        .unwrap_or(u64::MAX)
        .max(1);
    drop(answer);
    Ok(took)
}
