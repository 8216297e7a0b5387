//! The force scenario (issue 21): a server started on a force-sized database that
//! `controlroom demo generate` wrote (with its search index), measured as a control room uses
//! it. First, start-up to ready: opening the database, the search index catching up with the
//! log, the address index, and the unit registry, up to listening. Then the intelligence check
//! as the console sends it (HTTP, through an incident, so the check is written to that
//! incident's log) while contacts arrive at a steady rate on the same server.

use anyhow::bail;
use controlroom_app::generate::Generator;
use controlroom_app::{Actor, App, AppError, Settings, SystemClock, users};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::json;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Incidents the checks are run through, in turn, as several handlers would.
const INCIDENTS: usize = 20;

/// Who takes the calls arriving meanwhile: another handler, as in a real room (a search
/// waits for the searcher's own changes, not for everyone's; see `search_feed`).
const COLLEAGUE: &str = "bench-colleague";

pub async fn run(
    url: &str,
    search_dir: &Path,
    checks: usize,
    intake_per_second: u32,
) -> anyhow::Result<()> {
    if !(1..=20_000).contains(&checks) || !(1..=500).contains(&intake_per_second) {
        bail!("--checks must be 1-20000 and --intake 1-500");
    }
    if !search_dir.is_dir() {
        bail!(
            "{} is not a folder: give the --search-dir that `controlroom demo generate` built",
            search_dir.display()
        );
    }
    add_bench_users(url).await?;
    let gazetteer = tempfile::tempdir()?;
    let started = Instant::now();
    let store = crate::open_store(url).await?;
    let server = controlroom_web::server::Server::build(controlroom_web::server::ServerConfig {
        store: store.clone(),
        clock: Arc::new(SystemClock),
        settings: Settings::default(),
        search_dir: Some(search_dir.to_owned()),
        gazetteer_dir: Some(gazetteer.path().to_owned()),
        demo: false,
    })
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let ready = started.elapsed();
    let base = format!("http://{}", listener.local_addr()?);
    println!(
        "start-up to ready: {:.3} s (search index caught up {} streams{}, {} units loaded)",
        ready.as_secs_f64(),
        server.started.search_caught_up,
        if server.started.search_rebuilt {
            ", rebuilt from the database"
        } else {
            ""
        },
        server.started.units
    );
    let head = store.chain_head().await?.map_or(0, |(seq, _)| seq);
    println!("audit log: {head} records");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(listener, async move {
        let _ = stopped.await;
    }));
    let result = measure(&base, checks, intake_per_second).await;
    let _ = stop.send(());
    serving.await??;
    store.close().await;
    result
}

/// The users the benchmark signs in as, added unless an earlier run on this database did:
/// the handler who runs the checks, and a colleague taking the other calls.
async fn add_bench_users(url: &str) -> anyhow::Result<()> {
    let store = crate::open_store(url).await?;
    let app = App::new(store.clone(), Arc::new(SystemClock), Settings::default());
    for name in ["bench", COLLEAGUE] {
        let added = users::add_user(
            &app,
            &Actor::system(),
            name,
            &["supervisor"],
            super::BENCH_PASSWORD,
        )
        .await;
        if let Err(e) = added
            && !matches!(e, AppError::Conflict(_))
        {
            store.close().await;
            return Err(e.into());
        }
    }
    store.close().await;
    Ok(())
}

async fn measure(base: &str, checks: usize, intake_per_second: u32) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let token = super::sign_in(&client, base).await?;
    let mut incidents = Vec::with_capacity(INCIDENTS);
    for n in 0..INCIDENTS {
        incidents.push(contact(&client, base, &token, n).await?);
    }
    let colleague = super::sign_in_as(&client, base, COLLEAGUE).await?;
    let running = Arc::new(AtomicBool::new(true));
    let taken = Arc::new(AtomicU64::new(0));
    let intake = tokio::spawn(intake(
        client.clone(),
        base.to_owned(),
        colleague,
        intake_per_second,
        running.clone(),
        taken.clone(),
    ));
    println!(
        "bench: {checks} intelligence checks through {INCIDENTS} incidents at {base}, \
         one after another, while a colleague takes contacts at {intake_per_second} a second"
    );
    let now = jiff::Timestamp::now().as_microsecond();
    let mut queries = Generator::new(99, now);
    let mut rng = StdRng::seed_from_u64(5);
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut people_found, mut errors) = (0usize, 0usize);
    let measuring = Instant::now();
    for n in 0..checks + 50 {
        let name = if rng.random_bool(0.3) {
            super::intelligence::typo(&queries.name(), &mut rng)
        } else {
            queries.name()
        };
        let phone = controlroom_app::generate::synthetic_phone(rng.random_range(0..1_000_000));
        let (_, _, (lat, lon)) = queries.place();
        let body = json!({
            "name": name,
            "phone": phone,
            "near_lat": lat,
            "near_lon": lon,
            "near_metres": 100,
        });
        let incident = &incidents[n % INCIDENTS];
        let sent = Instant::now();
        let answer = super::post_json(
            &client,
            format!("{base}/api/v1/incidents/{incident}/intelligence"),
            &token,
            &body,
        )
        .await;
        let took = sent.elapsed();
        if n < 50 {
            // The first 50 warm the caches, as the first calls of a shift do.
            continue;
        }
        match answer {
            Ok(answer) => {
                latencies.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1))?;
                people_found += usize::from(
                    answer["people"]
                        .as_array()
                        .is_some_and(|people| !people.is_empty()),
                );
            }
            Err(e) => {
                errors += 1;
                if errors == 1 {
                    eprintln!("first failed check: {e:#}");
                }
            }
        }
    }
    let elapsed = measuring.elapsed();
    running.store(false, Ordering::SeqCst);
    let intake_errors = intake.await??;
    println!("served intelligence check (HTTP, written to the incident's log), {checks} checks:");
    super::print_latencies(&latencies);
    println!("checks finding a person: {people_found} of {checks}; failed: {errors}");
    println!(
        "intake meanwhile: {} contacts in {:.1} s ({:.1} a second), {intake_errors} failed",
        taken.load(Ordering::SeqCst),
        elapsed.as_secs_f64(),
        taken.load(Ordering::SeqCst) as f64 / elapsed.as_secs_f64()
    );
    if errors > 0 || intake_errors > 0 {
        bail!("{errors} checks and {intake_errors} contacts failed");
    }
    Ok(())
}

/// A 999 contact, the `n`th: a caller, a phone and a place drawn as the population's were
/// (so a check's repeat-caller and same-place look-ups meet what a force's would, not
/// thousands of bench calls from one spot); the incident it opened.
async fn contact(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    n: usize,
) -> anyhow::Result<String> {
    let mut g = Generator::new(7_000 + n as u64, 0);
    let (place, _, (lat, lon)) = g.place();
    let phone = controlroom_app::generate::synthetic_phone(
        StdRng::seed_from_u64(n as u64).random_range(0..1_000_000),
    );
    let body = json!({
        "channel": "999",
        "caller": { "name": g.name(), "phone": phone },
        "location": { "text": place, "lat": lat, "lon": lon },
        "summary": "Benchmark: a caller reporting a disturbance",
    });
    super::open_incident(client, base, token, &body).await
}

/// Contacts at `per_second`, on a steady tick, until `running` is cleared; how many failed.
async fn intake(
    client: reqwest::Client,
    base: String,
    token: String,
    per_second: u32,
    running: Arc<AtomicBool>,
    taken: Arc<AtomicU64>,
) -> anyhow::Result<u64> {
    let mut tick = tokio::time::interval(Duration::from_secs(1) / per_second);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent = Vec::new();
    let mut n = INCIDENTS;
    while running.load(Ordering::SeqCst) {
        tick.tick().await;
        n += 1;
        let (client, base, token, taken) =
            (client.clone(), base.clone(), token.clone(), taken.clone());
        // Each on its own task: a slow answer does not hold up the next caller.
        sent.push(tokio::spawn(async move {
            let done = contact(&client, &base, &token, n).await;
            if done.is_ok() {
                taken.fetch_add(1, Ordering::SeqCst);
            }
            done.is_err()
        }));
    }
    let mut failed = 0;
    for task in sent {
        failed += u64::from(task.await?);
    }
    Ok(failed)
}
