//! The intelligence scenario: write a force-sized population into a fresh database as the
//! events the use cases record, build the search index from it with `reindex` (the path a
//! real force's index is rebuilt by), then time the check a handler runs during a call: a
//! fuzzy person search, a phone look-up with its call history, and the history of the
//! location (incidents within 100 m in the last year), against that index.

use anyhow::{Context, bail};
use controlroom_app::generate::{Generator, synthetic_phone};
use controlroom_app::{App, Settings, SystemClock};
use controlroom_search::SearchIndex;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::Instant;

fn peak_memory_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// Swap two neighbouring letters of the surname, as a hurried handler types.
pub(super) fn typo(name: &str, rng: &mut StdRng) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    let start = name.find(' ').map_or(1, |i| i + 2);
    if chars.len() > start + 2 {
        let i = rng.random_range(start..chars.len() - 1);
        chars.swap(i, i + 1);
    }
    chars.into_iter().collect()
}

pub async fn run(
    people: usize,
    vehicles: usize,
    incidents: usize,
    checks: usize,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    if people == 0 || checks == 0 || people + vehicles + incidents > 20_000_000 {
        bail!("give at least one person and one check, and at most 20,000,000 records");
    }
    let dir = tempfile::tempdir()?;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = crate::open_store(&url).await?;
    let index_dir = dir.path().join("index");
    let index = Arc::new(SearchIndex::open(Some(&index_dir))?);
    let app = App::new(store.clone(), Arc::new(SystemClock), Settings::default())
        .with_search(index.clone());
    let now = jiff::Timestamp::now().as_microsecond();
    println!(
        "bench: writing {people} people, {vehicles} vehicles, {incidents} incidents (a third of them links) into {}",
        url.split('@').next_back().unwrap_or(&url)
    );
    let started = Instant::now();
    let size = controlroom_app::generate::Population {
        seed: 2026,
        people,
        vehicles,
        // As before links were counted apart: a third of `--incidents` are links.
        incidents: incidents - incidents / 3,
        links: incidents / 3,
        phones: controlroom_app::generate::Phones::Benchmark,
    };
    let done = controlroom_app::generate::bulk_into_store(&app, size, |_, n| {
        if n % 500_000 == 0 {
            eprintln!("  {n} records");
        }
    })
    .await
    .context("writing the population")?;
    let written = started.elapsed();
    println!(
        "written: {} people, {} vehicles, {} incidents, {} links in {:.1} s",
        done.people,
        done.vehicles,
        done.incidents,
        done.links,
        written.as_secs_f64()
    );
    let started = Instant::now();
    let count = controlroom_app::intelligence::reindex(&app)
        .await
        .context("reindex")?;
    let build = started.elapsed();
    store.close().await;
    println!(
        "index built by reindex: {count} records in {:.1} s ({:.0} records/s); {:.0} MiB on disk",
        build.as_secs_f64(),
        count as f64 / build.as_secs_f64(),
        controlroom_app::gazetteer::folder_bytes(&index_dir) as f64 / 1_048_576.0
    );
    let index = index.clone();
    tokio::task::spawn_blocking(move || time_checks(&index, checks, now)).await?
}

fn time_checks(index: &SearchIndex, checks: usize, now: i64) -> anyhow::Result<()> {
    let mut queries = Generator::new(99, now);
    let mut rng = StdRng::seed_from_u64(5);
    let year_ago = now - 365 * 24 * 3_600_000_000;
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut people_found, mut history_found) = (0usize, 0usize);
    for n in 0..checks + 50 {
        let name = if rng.random_bool(0.3) {
            typo(&queries.name(), &mut rng)
        } else {
            queries.name()
        };
        let phone = synthetic_phone(rng.random_range(0..1_000_000));
        let (_, _, (lat, lon)) = queries.place();
        let started = Instant::now();
        let found = index.people(&name, None, None, 10)?;
        let by_phone = index.phone(&phone, 20)?;
        let calls = index.incidents_by_phone(std::slice::from_ref(&phone), Some(year_ago), 200)?;
        let nearby = index.near("incident", lat, lon, 100.0, Some(year_ago), 200)?;
        let took = started.elapsed();
        if n >= 50 {
            // The first 50 warm the caches, as the first calls of a shift do.
            latencies.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1))?;
            people_found += usize::from(!found.is_empty());
            history_found +=
                usize::from(!by_phone.is_empty() || !calls.is_empty() || !nearby.is_empty());
        }
    }
    println!(
        "intelligence check (person fuzzy search + phone + call history + location history within 100 m, last 12 months), {checks} checks:"
    );
    super::print_latencies(&latencies);
    println!(
        "checks finding a person: {people_found} of {checks}; finding history: {history_found} of {checks}"
    );
    if let Some(mib) = peak_memory_mib() {
        println!("peak memory (VmHWM): {mib:.0} MiB");
    }
    Ok(())
}
