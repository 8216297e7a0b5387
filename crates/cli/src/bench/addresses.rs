//! The address scenario: a synthetic gazetteer of `addresses` Leeds addresses written as an
//! OS AddressBase Plus CSV file, imported through the import use case (the code
//! `controlroom gazetteer import` runs: parse, validate, upsert in batches), the address index
//! built from the store as the server builds it, then address searches timed through
//! `gazetteer::search`, the function behind `GET /api/v1/addresses` (role check, catch-up
//! check, index search and ranking, and the audit record, committed durably).

use anyhow::{Context, bail};
use controlroom_app::demo_gazetteer;
use controlroom_app::{Actor, App, Settings, SystemClock, gazetteer};
use controlroom_domain::gazetteer::import::{ADDRESSBASE_PLUS_COLUMNS, Format};
use controlroom_domain::roles::Role;
use controlroom_domain::user::Username;
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

fn column(name: &str) -> usize {
    ADDRESSBASE_PLUS_COLUMNS
        .iter()
        .position(|c| *c == name)
        .unwrap_or(0)
}

/// One AddressBase Plus line for a synthetic address (the columns the import reads filled).
fn abp_line(a: &controlroom_domain::gazetteer::Address) -> String {
    let mut fields = vec![String::new(); ADDRESSBASE_PLUS_COLUMNS.len()];
    let mut set = |name: &str, value: String| fields[column(name)] = value;
    set("UPRN", a.uprn.to_string());
    set("CHANGE_TYPE", "\"I\"".into());
    set("STATE", "2".into());
    set("CLASS", "\"RD04\"".into());
    set("LATITUDE", format!("{:.7}", a.position.lat));
    set("LONGITUDE", format!("{:.7}", a.position.lon));
    let quoted = |v: &Option<String>| format!("\"{}\"", v.as_deref().unwrap_or(""));
    set("SUB_BUILDING_NAME", quoted(&a.building));
    set("BUILDING_NUMBER", a.number.clone().unwrap_or_default());
    set("USRN", a.usrn.map(|u| u.to_string()).unwrap_or_default());
    set("THOROUGHFARE", quoted(&a.street));
    set("DEPENDENT_LOCALITY", quoted(&a.locality));
    set("POST_TOWN", quoted(&a.town));
    set(
        "POSTCODE",
        quoted(&a.postcode.as_ref().map(ToString::to_string)),
    );
    fields.join(",")
}

pub async fn run(
    addresses: usize,
    checks: usize,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    if !(1..=40_000_000).contains(&addresses) || checks == 0 {
        bail!("give 1 to 40,000,000 addresses and at least one search");
    }
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = database_url
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let file = dir.path().join("addressbase-plus.csv");
    println!("bench: writing {addresses} synthetic addresses as AddressBase Plus CSV");
    let mut sample = Vec::new();
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&file)?);
        let mut rng = StdRng::seed_from_u64(11);
        for a in demo_gazetteer::addresses(2026, addresses) {
            writeln!(out, "{}\r", abp_line(&a))?;
            if sample.len() < 5_000 && rng.random_bool((20_000.0 / addresses as f64).min(1.0)) {
                sample.push(a);
            }
        }
        out.flush()?;
    }
    let file_mib = std::fs::metadata(&file)?.len() as f64 / 1_048_576.0;

    let store = crate::open_store(&url).await?;
    let index_dir = dir.path().join("gazetteer");
    let app = App::new(store.clone(), Arc::new(SystemClock), Settings::default())
        .with_gazetteer(Arc::new(gazetteer::open_index(Some(&index_dir))?));
    let started = Instant::now();
    let report = gazetteer::import(
        &app,
        &Actor::system(),
        Format::AddressBasePlus,
        std::slice::from_ref(&file),
        &mut |_| {},
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let import = started.elapsed();
    let read = report.total(|f| f.read);
    println!(
        "import: {read} rows ({file_mib:.0} MiB) in {:.1} s = {:.0} rows/s; {} refused; {} streets derived ({})",
        import.as_secs_f64(),
        read as f64 / import.as_secs_f64(),
        report.total(|f| f.refused),
        report.streets_derived,
        store.backend()
    );

    let started = Instant::now();
    let indexed = gazetteer::catch_up(&app).await?;
    let build = started.elapsed();
    println!(
        "index: {indexed} entries in {:.1} s = {:.0} entries/s; {:.0} MiB on disk",
        build.as_secs_f64(),
        indexed as f64 / build.as_secs_f64(),
        gazetteer::folder_bytes(&index_dir) as f64 / 1_048_576.0
    );

    let handler = Actor::with_role(Username::parse("bench")?, Role::ContactHandler);
    let mut rng = StdRng::seed_from_u64(5);
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut exact, mut exact_first) = (0usize, 0usize);
    for n in 0..checks + 50 {
        let a = &sample[rng.random_range(0..sample.len())];
        let street = a.street.clone().unwrap_or_default();
        let number = a.number.clone().unwrap_or_default();
        let postcode = a
            .postcode
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        let locality = a.locality.clone().unwrap_or_default();
        let (query, expect_first) = match n % 6 {
            // The whole first line, as a handler confirms it.
            // (A street's name recurs across districts, as in any city: the locality decides.)
            0 => (
                match &a.building {
                    Some(flat) => format!("{flat}, {number} {street}, {locality} "),
                    None => format!("{number} {street}, {locality} "),
                },
                true,
            ),
            // Typing: the street's name cut short.
            1 => (
                format!("{number} {}", &street[..street.len().min(7)]),
                false,
            ),
            // A typo in the street's name.
            2 => {
                let mut chars: Vec<char> = street.chars().collect();
                chars.swap(2, 3);
                (
                    format!("{number} {} ", chars.into_iter().collect::<String>()),
                    false,
                )
            }
            3 => (postcode.clone(), false),
            4 => (postcode[..postcode.len() - 2].to_owned(), false),
            _ => (format!("{street}, {locality}"), false),
        };
        let started = Instant::now();
        let found = gazetteer::search(&app, &handler, &query, 10).await?;
        let took = started.elapsed();
        if n >= 50 {
            latencies.record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1))?;
            if expect_first {
                exact += 1;
                if found.first().and_then(|s| s.uprn) == Some(a.uprn.get()) {
                    exact_first += 1;
                }
            }
        }
    }
    let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "search ({checks} searches through gazetteer::search, audited): p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; whole addresses found first {exact_first}/{exact}",
        ms(0.5),
        ms(0.95),
        ms(0.99),
        latencies.max() as f64 / 1000.0
    );
    if let Some(status) = std::fs::read_to_string("/proc/self/status").ok()
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:"))
    {
        println!("peak memory: {}", line.trim_start_matches("VmHWM:").trim());
    }
    store.close().await;
    Ok(())
}
