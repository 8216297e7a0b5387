//! The live scenario: N consoles hold the live feed open while contacts are taken at a
//! steady 20 a second; each console notes how long after the change was stamped (just before
//! its commit) it reached it. With `--servers 2` or more the contacts are taken on the first
//! server and the consoles watch the last: the change crosses servers through the log.

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use jiff::Timestamp;
use std::time::Duration;
use tokio::sync::mpsc;

pub async fn run(
    client: &reqwest::Client,
    (base, watch): (&str, &str),
    token: &str,
    consoles: usize,
    changes: usize,
) -> anyhow::Result<()> {
    if !(1..=500).contains(&consoles) || !(1..=5000).contains(&changes) {
        bail!("--consoles must be 1-500 and --changes 1-5000");
    }
    let (latencies, mut received) = mpsc::unbounded_channel::<u64>();
    let mut feeds = Vec::new();
    for _ in 0..consoles {
        // The server subscribes before it answers, so once connected no change is missed.
        let response = client
            .get(format!("{watch}/api/v1/events"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?;
        let latencies = latencies.clone();
        feeds.push(tokio::spawn(read_feed(response, latencies, changes)));
    }
    drop(latencies);
    println!(
        "bench: {consoles} consoles on the live feed of {watch}; taking {changes} contacts at 20 a second on {base}"
    );

    let mut pace = tokio::time::interval(Duration::from_millis(50));
    for n in 0..changes {
        pace.tick().await;
        let body = serde_json::json!({
            "channel": "101",
            "caller": { "name": format!("Live Caller {n}") },
            "location": { "text": "Briggate, Leeds LS1 6HD" },
            "summary": "Live feed benchmark",
        });
        client
            .post(format!("{base}/api/v1/contacts"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await?
            .error_for_status()?;
    }

    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while histogram.len() < (consoles * changes) as u64 {
        match tokio::time::timeout_at(deadline, received.recv()).await {
            Ok(Some(micros)) => histogram.record(micros.max(1))?,
            Ok(None) | Err(_) => break,
        }
    }
    for feed in feeds {
        feed.abort();
    }
    let expected = (consoles * changes) as u64;
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "deliveries: {} of {expected} (every change to every console)",
        histogram.len()
    );
    println!(
        "commit to console ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        histogram.max() as f64 / 1000.0
    );

    let mut weight = 0usize;
    for path in [
        "/console",
        "/assets/console.css",
        "/assets/common.js",
        "/assets/console.js",
    ] {
        let bytes = client
            .get(format!("{base}{path}"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        weight += bytes.len();
    }
    println!("call-card page weight: {weight} bytes (HTML, CSS and JavaScript, uncompressed)");
    if histogram.len() < expected {
        bail!("{} deliveries missing", expected - histogram.len());
    }
    Ok(())
}

/// Read one console's feed, sending each incident event's commit-to-arrival time.
async fn read_feed(
    mut response: reqwest::Response,
    latencies: mpsc::UnboundedSender<u64>,
    changes: usize,
) -> anyhow::Result<()> {
    let mut buffer = String::new();
    let mut seen = 0;
    while seen < changes {
        let chunk = response.chunk().await?.context("the live feed closed")?;
        let arrived = Timestamp::now();
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) else {
                continue;
            };
            if !event.lines().any(|l| l.trim() == "event: incident") {
                continue;
            }
            let value: serde_json::Value = serde_json::from_str(data.trim())?;
            let committed: Timestamp = value["committed_at"]
                .as_str()
                .context("no committed_at")?
                .parse()?;
            let micros = arrived.duration_since(committed).as_micros().max(0);
            let _ = latencies.send(u64::try_from(micros).unwrap_or(u64::MAX));
            seen += 1;
        }
    }
    Ok(())
}

/// Search freshness across servers: `checks` times, record a person on `base` and search for
/// them on `watch` until they are found; how long after the write's answer that took.
pub async fn freshness(
    client: &reqwest::Client,
    (base, watch): (&str, &str),
    token: &str,
    checks: usize,
) -> anyhow::Result<()> {
    if !(1..=5000).contains(&checks) {
        bail!("--checks must be 1-5000 for the freshness scenario");
    }
    println!("bench: {checks} people recorded on {base}, each searched for on {watch} until found");
    let mut histogram = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for n in 0..checks {
        // A name made of letters only, different for every check.
        let tag: String = format!("{n:05}")
            .chars()
            .map(|d| char::from(b'a' + d.to_digit(10).unwrap_or(0) as u8))
            .collect();
        let name = format!("Fresh Bench{tag}");
        let person = super::post_json(
            client,
            format!("{base}/api/v1/people"),
            token,
            &serde_json::json!({ "names": [name] }),
        )
        .await?;
        let id = person["id"].as_str().context("no person id")?.to_owned();
        let written = std::time::Instant::now();
        loop {
            let found = super::post_json(
                client,
                format!("{watch}/api/v1/search"),
                token,
                &serde_json::json!({ "name": name }),
            )
            .await?;
            if found["people"]
                .as_array()
                .is_some_and(|people| people.iter().any(|p| p["id"] == id.as_str()))
            {
                break;
            }
            if written.elapsed() > Duration::from_secs(30) {
                bail!("{name} was not found on {watch} within 30 s");
            }
        }
        let micros = u64::try_from(written.elapsed().as_micros()).unwrap_or(u64::MAX);
        histogram.record(micros.max(1))?;
    }
    let ms = |q: f64| histogram.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "written on one server to found on another, ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        histogram.max() as f64 / 1000.0
    );
    Ok(())
}
