//! `controlroom bench`: contacts created per second, and their latency, over real HTTP on
//! loopback against a fresh database with durable commits. Bounded in time and concurrency.

use anyhow::{Context, bail};
use clap::Args;
use controlroom_app::{Actor, App, Settings, SystemClock, users};
use hdrhistogram::Histogram;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(clap::ValueEnum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// Contacts created per second, and their latency.
    Contacts,
    /// Time from a committed change to its arrival in many consoles' live lists (SSE), and
    /// the call-card page weight.
    Live,
    /// Intelligence checks against a generated force-sized population: index build time,
    /// memory, and check latency.
    Intelligence,
    /// Unit recommendation among many units, in process.
    Dispatch,
    /// A busy shift over HTTP: contacts, grading, recommendations, assignments and unit
    /// position reports at a steady rate; the server's latency under that load.
    Shift,
    /// The gazetteer: import rate, address index size, and address search latency on a
    /// synthetic force of `--addresses`.
    Addresses,
    /// Search freshness across servers: a person recorded on the first server, searched for
    /// on the last until found (`--checks` times); how long that takes.
    Freshness,
    /// A command on an incident with a long history (`--events` log entries) against the
    /// same on a new incident, `--checks` times each.
    History,
    /// A server started on a database `controlroom demo generate` wrote (`--database-url`,
    /// `--search-dir`): start-up to ready, then `--checks` intelligence checks over HTTP
    /// through incidents while contacts arrive at `--intake` a second.
    Force,
}

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// What to measure.
    #[arg(long, value_enum, default_value = "contacts")]
    scenario: Scenario,
    /// Live scenario: consoles connected to the live feed (1 to 500).
    #[arg(long, default_value_t = 50)]
    consoles: usize,
    /// Live scenario: changes to make, 20 a second (1 to 5000).
    #[arg(long, default_value_t = 200)]
    changes: usize,
    /// Intelligence scenario: people to generate.
    #[arg(long, default_value_t = 1_000_000)]
    people: usize,
    /// Intelligence scenario: vehicles to generate.
    #[arg(long, default_value_t = 300_000)]
    vehicles: usize,
    /// Intelligence scenario: incidents (and their links) to generate.
    #[arg(long, default_value_t = 3_000_000)]
    incidents: usize,
    /// Addresses scenario: synthetic addresses to import and search.
    #[arg(long, default_value_t = 2_000_000)]
    addresses: usize,
    /// Intelligence scenario: checks to time.
    #[arg(long, default_value_t = 2_000)]
    checks: usize,
    /// Dispatch and shift scenarios: units.
    #[arg(long, default_value_t = 5_000)]
    units: usize,
    /// History scenario: log entries the long incident is given first.
    #[arg(long, default_value_t = 3_000)]
    events: usize,
    /// Force scenario: the search index folder `demo generate` built beside the database.
    #[arg(long)]
    search_dir: Option<std::path::PathBuf>,
    /// Force scenario: contacts a second arriving while the checks are timed.
    #[arg(long, default_value_t = 20)]
    intake: u32,
    /// Shift scenario: incidents an hour.
    #[arg(long, default_value_t = 300)]
    incidents_per_hour: u32,
    /// Database for the benchmark server. Default: a fresh SQLite file in a temporary folder.
    /// A PostgreSQL URL must name an empty database.
    #[arg(long)]
    database_url: Option<String>,
    /// How long to measure, after the warm-up (1 to 300).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Warm-up before measuring (0 to 60).
    #[arg(long, default_value_t = 2)]
    warmup_seconds: u64,
    /// Clients posting contacts at once (1 to 256).
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Servers on the one database (1 to 3), each with its own pool, indexes and follower, as
    /// separate processes behind a balancer would be: contacts go to each in turn; the live
    /// and freshness scenarios write on the first and read on the last.
    #[arg(long, default_value_t = 1)]
    servers: usize,
}

/// One benchmark server: where it listens, how to stop it, and its store.
struct Running {
    base: String,
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    store: Arc<dyn controlroom_store::Store>,
}

async fn start_server(url: &str) -> anyhow::Result<Running> {
    let store = crate::open_store(url).await?;
    let app = App::new(store.clone(), Arc::new(SystemClock), Settings::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(controlroom_web::serve(listener, app, async move {
        let _ = stopped.await;
    }));
    Ok(Running {
        base,
        stop,
        server,
        store,
    })
}

async fn stop_all(servers: Vec<Running>) -> anyhow::Result<()> {
    for running in servers {
        let _ = running.stop.send(());
        running.server.await??;
        running.store.close().await;
    }
    Ok(())
}

mod addresses;
mod disk;
mod dispatch;
mod force;
mod history;
mod intelligence;
mod live;

const BENCH_PASSWORD: &str = "bench-password-1";

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    if args.scenario == Scenario::Dispatch {
        return tokio::task::spawn_blocking(move || {
            dispatch::recommendation(args.units, args.checks)
        })
        .await?;
    }
    if args.scenario == Scenario::Addresses {
        return addresses::run(args.addresses, args.checks, args.database_url.clone()).await;
    }
    if args.scenario == Scenario::Force {
        let (Some(url), Some(search_dir)) = (&args.database_url, &args.search_dir) else {
            bail!(
                "the force scenario runs on a database `controlroom demo generate` wrote: give its --database-url and --search-dir"
            );
        };
        return force::run(url, search_dir, args.checks, args.intake).await;
    }
    if args.scenario == Scenario::Intelligence {
        return intelligence::run(
            args.people,
            args.vehicles,
            args.incidents,
            args.checks,
            args.database_url.clone(),
        )
        .await;
    }
    if !(1..=300).contains(&args.seconds)
        || args.warmup_seconds > 60
        || !(1..=256).contains(&args.concurrency)
    {
        bail!("--seconds must be 1-300, --warmup-seconds 0-60 and --concurrency 1-256");
    }
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("bench.db").display()));
    if !(1..=3).contains(&args.servers) {
        bail!("--servers must be 1-3");
    }
    // What the storage itself can make durable, measured before the servers start so the
    // two do not compete: the intake is judged against it (issue 21).
    let durable = if args.scenario == Scenario::Contacts {
        Some(match &args.database_url {
            Some(url) if url.starts_with("postgres") => DurableRate {
                what: format!("PostgreSQL commits at {} clients", args.concurrency),
                per_second: disk::postgres_commits(url, args.concurrency).await?,
            },
            _ => DurableRate {
                what: "fsync'd appends on the database's disk".into(),
                per_second: tokio::task::spawn_blocking({
                    let dir = sqlite_folder(&url).unwrap_or_else(|| dir.path().to_owned());
                    move || disk::fsync_appends(&dir)
                })
                .await??,
            },
        })
    } else {
        None
    };
    let store = crate::open_store(&url).await?;
    let app = App::new(store.clone(), Arc::new(SystemClock), Settings::default());
    users::add_user(
        &app,
        &Actor::system(),
        "bench",
        // A supervisor may take contacts, grade, manage units and dispatch: every scenario.
        &["supervisor"],
        BENCH_PASSWORD,
    )
    .await?;
    store.close().await;
    let mut servers = Vec::new();
    for _ in 0..args.servers {
        servers.push(start_server(&url).await?);
    }
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let (first, last) = (bases[0].as_str(), bases[bases.len() - 1].as_str());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let token = sign_in(&client, first).await?;
    let result = match args.scenario {
        Scenario::Shift => {
            dispatch::shift(
                &client,
                first,
                args.units,
                args.incidents_per_hour,
                args.seconds,
            )
            .await
        }
        Scenario::Live => {
            live::run(&client, (first, last), &token, args.consoles, args.changes).await
        }
        Scenario::Freshness => live::freshness(&client, (first, last), &token, args.checks).await,
        Scenario::History => {
            history::run(&client, first, &token, args.events, args.checks.min(500)).await
        }
        _ => {
            contacts(
                &client,
                &bases,
                &token,
                servers[0].store.as_ref(),
                &args,
                durable.as_ref(),
            )
            .await
        }
    };
    stop_all(servers).await?;
    result
}

/// The line every latency measurement ends with: p50, p90, p99 and max, in milliseconds.
pub(super) fn print_latencies(latencies: &Histogram<u64>) {
    let ms = |q: f64| latencies.value_at_quantile(q) as f64 / 1000.0;
    println!(
        "latency ms: p50 {:.2}  p90 {:.2}  p99 {:.2}  max {:.2}",
        ms(0.50),
        ms(0.90),
        ms(0.99),
        latencies.max() as f64 / 1000.0
    );
}

/// A storage's own rate of making something durable (see `disk`).
struct DurableRate {
    what: String,
    per_second: f64,
}

/// The folder of a `sqlite://` database file, where its disk is probed.
fn sqlite_folder(url: &str) -> Option<std::path::PathBuf> {
    let path = url.strip_prefix("sqlite://")?;
    let path = path.split('?').next()?;
    std::path::Path::new(path)
        .parent()
        .map(std::path::Path::to_path_buf)
}

/// The contacts scenario: `--concurrency` clients posting 999 contacts, spread over the servers.
async fn contacts(
    client: &reqwest::Client,
    bases: &[String],
    token: &str,
    store: &dyn controlroom_store::Store,
    args: &BenchArgs,
    durable: Option<&DurableRate>,
) -> anyhow::Result<()> {
    let base = bases.join(", ");
    println!(
        "bench: {} clients posting 999 contacts to {base} on {} for {} s (after {} s warm-up)",
        args.concurrency,
        store.backend(),
        args.seconds,
        args.warmup_seconds
    );

    let started = Instant::now();
    let measure_from = started + Duration::from_secs(args.warmup_seconds);
    let deadline = measure_from + Duration::from_secs(args.seconds);
    let mut workers = Vec::new();
    for worker in 0..args.concurrency {
        let base = bases[worker % bases.len()].clone();
        let (client, token) = (client.clone(), token.to_owned());
        workers.push(tokio::spawn(async move {
            post_until(client, base, token, worker, measure_from, deadline).await
        }));
    }
    let mut latencies = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3)?;
    let (mut created, mut errors) = (0u64, 0u64);
    for worker in workers {
        let result = worker.await??;
        latencies.add(&result.latencies)?;
        created += result.created;
        errors += result.errors;
    }
    let per_second = created as f64 / args.seconds as f64;
    println!(
        "contacts created: {created} in {} s = {per_second:.0} contacts/s",
        args.seconds,
    );
    if let Some(durable) = durable {
        println!(
            "storage: {:.0} {}/s (same run); durable intake / that = {:.2}",
            durable.per_second,
            durable.what,
            per_second / durable.per_second
        );
    }
    let stats = store.write_stats();
    if stats.commits > 0 {
        println!(
            "group commit: {} writes in {} commits ({:.1} a commit) on the first server",
            stats.requests,
            stats.commits,
            stats.requests as f64 / stats.commits as f64
        );
    }
    print_latencies(&latencies);
    println!("errors: {errors}");
    let verified = controlroom_app::audit_trail::verify(store).await?;
    println!("audit trail verified: {} events", verified.chain.records);
    if errors > 0 {
        bail!("{errors} requests failed");
    }
    Ok(())
}

/// POST `body` to `url` as the holder of `token`; the JSON answer, or an error for any
/// status but success.
pub(super) async fn post_json(
    client: &reqwest::Client,
    url: String,
    token: &str,
    body: &serde_json::Value,
) -> anyhow::Result<serde_json::Value> {
    Ok(client
        .post(url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?)
}

/// Take the contact `body` as the holder of `token`; the id of the incident it opened.
pub(super) async fn open_incident(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    body: &serde_json::Value,
) -> anyhow::Result<String> {
    let answer = post_json(client, format!("{base}/api/v1/contacts"), token, body).await?;
    answer["incident"]["id"]
        .as_str()
        .map(str::to_owned)
        .context("no incident id in the answer")
}

pub(super) async fn sign_in(client: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    sign_in_as(client, base, "bench").await
}

/// Sign in as `username` (a bench user, with the bench password); the session token.
pub(super) async fn sign_in_as(
    client: &reqwest::Client,
    base: &str,
    username: &str,
) -> anyhow::Result<String> {
    let response = client
        .post(format!("{base}/api/v1/session"))
        .json(&json!({ "username": username, "password": BENCH_PASSWORD }))
        .send()
        .await?
        .error_for_status()?;
    let body: serde_json::Value = response.json().await?;
    body["token"]
        .as_str()
        .map(str::to_owned)
        .context("no token in the sign-in answer")
}

struct WorkerResult {
    latencies: Histogram<u64>,
    created: u64,
    errors: u64,
}

async fn post_until(
    client: reqwest::Client,
    base: String,
    token: String,
    worker: usize,
    measure_from: Instant,
    deadline: Instant,
) -> anyhow::Result<WorkerResult> {
    let mut result = WorkerResult {
        latencies: Histogram::new_with_bounds(1, 60_000_000, 3)?,
        created: 0,
        errors: 0,
    };
    let mut n = 0u64;
    loop {
        let sent = Instant::now();
        if sent >= deadline {
            return Ok(result);
        }
        n += 1;
        let body = json!({
            "channel": "999",
            "caller": { "name": format!("Bench Caller {worker}-{n}"), "phone": "07700 900999" },
            "location": { "text": "1 Park Row, Leeds LS1 5HN", "lat": 53.7975, "lon": -1.5470 },
            "summary": "Benchmark contact: man shouting outside",
        });
        let status = client
            .post(format!("{base}/api/v1/contacts"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .map(|r| r.status());
        let took = sent.elapsed();
        if sent < measure_from {
            continue;
        }
        match status {
            Ok(s) if s == reqwest::StatusCode::CREATED => {
                result.created += 1;
                result
                    .latencies
                    .record(u64::try_from(took.as_micros()).unwrap_or(u64::MAX).max(1))?;
            }
            _ => result.errors += 1,
        }
    }
}
