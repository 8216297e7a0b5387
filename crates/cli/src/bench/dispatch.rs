//! Dispatch scenarios: recommendation among many units (in process), and a busy shift over
//! HTTP (contacts, grading, recommendations, assignments, unit status and position reports at
//! a steady rate) with the server's latency under that load.

use anyhow::bail;
use controlroom_app::dispatch::Units;
use controlroom_domain::resources::{
    Position, Requirement, Skill, StraightLine, Unit, UnitEvent, UnitId, UnitType, rank,
    requirement,
};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A point somewhere in Leeds.
fn somewhere(rng: &mut StdRng) -> (f64, f64) {
    (
        rng.random_range(53.70..53.90),
        rng.random_range(-1.75..-1.35),
    )
}

pub fn recommendation(units: usize, checks: usize) -> anyhow::Result<()> {
    if !(1..=1_000_000).contains(&units) || checks == 0 {
        bail!("--units must be 1 to 1,000,000 and --checks at least 1");
    }
    let mut rng = StdRng::seed_from_u64(6);
    let registry = Units::default();
    let now = jiff::Timestamp::now();
    for n in 0..units {
        let unit_type = match n % 20 {
            0 => UnitType::ArmedResponse,
            1 => UnitType::Dog,
            2 => UnitType::RoadsPolicing,
            _ => UnitType::Response,
        };
        let mut skills = vec![Skill::FirstAid];
        if rng.random_bool(0.4) {
            skills.push(Skill::Taser);
        }
        let id = UnitId(uuid::Uuid::from_u128(n as u128 + 1));
        let registered = UnitEvent::Registered {
            call_sign: controlroom_domain::resources::CallSign::parse(&format!("U{n}"))?,
            unit_type,
            skills,
            station: "HQ".into(),
            crew: vec![],
        };
        let Some(mut unit) = Unit::apply(None, id, &registered, now, "bench") else {
            continue;
        };
        let (lat, lon) = somewhere(&mut rng);
        unit.position = Some(Position { lat, lon, at: now });
        registry.put(unit);
    }
    let estimator = StraightLine::default();
    let needs = [
        Requirement::default(),
        requirement(None, &["KNIFE"]),
        requirement(Some("FIREARMS_INCIDENT"), &[]),
    ];
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    for n in 0..checks + 100 {
        let point = somewhere(&mut rng);
        let need = &needs[n % needs.len()];
        let started = Instant::now();
        let nearest = registry.nearest(point, 5, 200, need);
        let refs: Vec<&Unit> = nearest.iter().collect();
        let ranked = rank(&refs, point, need, &estimator);
        let took = started.elapsed();
        std::hint::black_box(&ranked);
        if n >= 100 {
            latencies.record(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX).max(1))?;
        }
    }
    let us = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "recommendation among {units} units (R*-tree nearest, then ranked by suitability and estimated time), {checks} incidents:"
    );
    println!(
        "latency µs: p50 {:.1}  p90 {:.1}  p99 {:.1}  max {:.1}",
        us(0.5),
        us(0.9),
        us(0.99),
        latencies.max() as f64 / 1000.0
    );
    Ok(())
}

/// Latency of every request.
struct Timings {
    all: Histogram<u64>,
    count: usize,
    errors: usize,
}

impl Timings {
    fn record(&mut self, took: Duration, ok: bool) {
        let _ = self
            .all
            .record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1));
        self.count += 1;
        if !ok {
            self.errors += 1;
        }
    }
}

async fn call(timings: &Mutex<Timings>, request: reqwest::RequestBuilder) -> Option<Value> {
    let started = Instant::now();
    let response = request.send().await;
    let took = started.elapsed();
    let (ok, body) = match response {
        Ok(r) if r.status().is_success() => (true, r.json::<Value>().await.ok()),
        _ => (false, None),
    };
    if let Ok(mut t) = timings.lock() {
        t.record(took, ok);
    }
    body
}

pub async fn shift(
    client: &reqwest::Client,
    base: &str,
    units: usize,
    per_hour: u32,
    seconds: u64,
) -> anyhow::Result<()> {
    if !(1..=2000).contains(&units) || per_hour == 0 {
        bail!("--units must be 1 to 2,000 and --incidents-per-hour at least 1");
    }
    let token = super::sign_in(client, base).await?;
    let timings = Arc::new(Mutex::new(Timings {
        all: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        count: 0,
        errors: 0,
    }));
    let mut rng = StdRng::seed_from_u64(9);
    let mut unit_ids = Vec::new();
    for n in 0..units {
        let body = json!({"call_sign": format!("S{n}"), "unit_type": if n % 15 == 0 { "armed_response" } else { "response" }, "skills": ["first_aid", "taser"], "station": "Elland Road"});
        let created =
            super::post_json(client, format!("{base}/api/v1/units"), &token, &body).await?;
        let id = created["id"].as_str().unwrap_or_default().to_owned();
        let (lat, lon) = somewhere(&mut rng);
        client
            .post(format!("{base}/api/v1/units/{id}/position"))
            .bearer_auth(&token)
            .json(&json!({"lat": lat, "lon": lon}))
            .send()
            .await?
            .error_for_status()?;
        unit_ids.push(id);
    }
    println!(
        "bench: busy shift for {seconds} s: {units} units reporting every 10 s, {per_hour} incidents an hour (each graded, dispatched, attended, cleared)"
    );
    let deadline = Instant::now() + Duration::from_secs(seconds);

    // Positions: every unit every 10 seconds, spread evenly.
    let reporter = {
        let (client, base, token, timings, ids) = (
            client.clone(),
            base.to_owned(),
            token.clone(),
            timings.clone(),
            unit_ids.clone(),
        );
        tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(10);
            let gap = Duration::from_secs_f64(10.0 / ids.len() as f64);
            let mut tick = tokio::time::interval(gap);
            let mut n = 0usize;
            while Instant::now() < deadline {
                tick.tick().await;
                let id = &ids[n % ids.len()];
                n += 1;
                let (lat, lon) = somewhere(&mut rng);
                let request = client
                    .post(format!("{base}/api/v1/units/{id}/position"))
                    .bearer_auth(&token)
                    .json(&json!({"lat": lat, "lon": lon}));
                call(&timings, request).await;
            }
        })
    };

    // Incidents: each one's whole life, started at the hourly rate.
    let mut lives = Vec::new();
    let gap = Duration::from_secs_f64(3600.0 / f64::from(per_hour));
    let mut tick = tokio::time::interval(gap);
    let mut n = 0u32;
    while Instant::now() < deadline {
        tick.tick().await;
        n += 1;
        let (client, base, token, timings) = (
            client.clone(),
            base.to_owned(),
            token.clone(),
            timings.clone(),
        );
        let (lat, lon) = somewhere(&mut rng);
        lives.push(tokio::spawn(async move {
            let body = json!({"channel": "999", "caller": {"name": format!("Shift Caller {n}"), "phone": "07700 900999"},
                "location": {"text": "Somewhere in Leeds", "lat": lat, "lon": lon}, "summary": "Fight in the street", "incident_type": "CRIME_VIOLENCE"});
            let Some(taken) = call(&timings, client.post(format!("{base}/api/v1/contacts")).bearer_auth(&token).json(&body)).await else { return };
            let id = taken["incident"]["id"].as_str().unwrap_or_default().to_owned();
            call(&timings, client.post(format!("{base}/api/v1/incidents/{id}/grade")).bearer_auth(&token).json(&json!({"grade": "emergency", "rationale": "violence in progress"}))).await;
            let Some(ranked) = call(&timings, client.get(format!("{base}/api/v1/incidents/{id}/recommendations")).bearer_auth(&token)).await else { return };
            // Try the best few: another incident may have taken one meanwhile.
            for candidate in ranked.as_array().into_iter().flatten().take(3) {
                let unit = candidate["unit"].as_str().unwrap_or_default().to_owned();
                if call(&timings, client.post(format!("{base}/api/v1/incidents/{id}/assign")).bearer_auth(&token).json(&json!({"unit": unit}))).await.is_some() {
                    for status in ["en_route", "at_scene", "available"] {
                        call(&timings, client.post(format!("{base}/api/v1/units/{unit}/status")).bearer_auth(&token).json(&json!({"status": status, "reason": "bench"}))).await;
                    }
                    break;
                }
            }
        }));
    }
    for life in lives {
        let _ = life.await;
    }
    let _ = reporter.await;
    let t = timings
        .lock()
        .map_err(|_| anyhow::anyhow!("timings lock poisoned"))?;
    if t.count == 0 {
        bail!("no requests were made");
    }
    let h = &t.all;
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "requests: {} ({} refused or failed: assignments lost to another incident count here)",
        t.count, t.errors
    );
    println!(
        "API latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        h.max() as f64 / 1000.0
    );
    Ok(())
}
