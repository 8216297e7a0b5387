//! The live scenario: N consoles hold the live feed open while contacts are taken at a
//! steady 20 a second; each console notes how long after the commit each change reached it.

use anyhow::{Context, bail};
use hdrhistogram::Histogram;
use jiff::Timestamp;
use std::time::Duration;
use tokio::sync::mpsc;

pub async fn run(
    client: &reqwest::Client,
    base: &str,
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
            .get(format!("{base}/api/v1/events"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?;
        let latencies = latencies.clone();
        feeds.push(tokio::spawn(read_feed(response, latencies, changes)));
    }
    drop(latencies);
    println!(
        "bench: {consoles} consoles on the live feed; taking {changes} contacts at 20 a second"
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
