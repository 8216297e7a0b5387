//! Issue 13's deployment, tested as it runs: three `controlroom serve` processes on one
//! PostgreSQL database behind HAProxy (Debian's package), a console session whose requests
//! the balancer spreads across them, and one server killed mid-shift. Needs `haproxy` and
//! PostgreSQL, so it is ignored by `cargo test` and run by `.ci/run`
//! (`cargo test -p controlroom-cli --test it cluster -- --ignored`).

use super::cli::{run_on, serve, serve_args, user_added};
use controlroom_testkit::{Backend, FreshDatabase, LiveEvent, LiveFeed, contact_body};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

/// How long a change may take to reach every console (issue 13: within 1 s).
const DELIVERY: Duration = Duration::from_secs(1);

/// Calls taken before and after the server is killed.
const CALLS_EACH_HALF: usize = 15;

struct Cluster {
    _dir: tempfile::TempDir,
    servers: Vec<Option<tokio::process::Child>>,
    bases: Vec<String>,
    _balancer: tokio::process::Child,
    front: String,
}

/// A free loopback port (the balancer's): bound, read, let go.
async fn free_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn start(db: &str) -> Cluster {
    let dir = tempfile::tempdir().unwrap();
    let mut servers = Vec::new();
    let mut bases = Vec::new();
    for n in 1..=3 {
        let search = dir.path().join(format!("search-{n}"));
        let options = [
            "--search-dir",
            search.to_str().unwrap(),
            "--trusted-proxy",
            "127.0.0.1",
        ];
        let served = serve(&serve_args(db, &options), &[]).await;
        servers.push(Some(served.child));
        bases.push(served.base);
    }
    let port = free_port().await;
    let backends: String = bases
        .iter()
        .enumerate()
        .map(|(i, base)| {
            let address = base.trim_start_matches("http://");
            format!("  server s{} {address} check\n", i + 1)
        })
        .collect();
    // Health by /readyz every 200 ms; a connection refused by a dead server is retried on
    // another at once (redispatch); the live feed may stay open for the whole shift.
    let config = format!(
        "defaults\n  mode http\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 1h\n  retries 3\n  option redispatch\n\
         frontend consoles\n  bind 127.0.0.1:{port}\n  default_backend servers\n\
         backend servers\n  balance roundrobin\n  option httpchk GET /readyz\n  http-check expect status 200\n  default-server inter 200ms fall 1 rise 1\n\
         \x20 http-response set-header X-Served-By %s\n{backends}"
    );
    let file = dir.path().join("haproxy.cfg");
    std::fs::write(&file, config).unwrap();
    let balancer = tokio::process::Command::new("haproxy")
        .args(["-db", "-f", file.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("haproxy is installed (Debian's package; .ci/run installs it)");
    let front = format!("http://127.0.0.1:{port}");
    // The balancer is up when it answers, and ready when every server has passed a check.
    let client = reqwest::Client::new();
    let mut seen = BTreeSet::new();
    for _ in 0..200 {
        if let Ok(answer) = client.get(format!("{front}/readyz")).send().await
            && answer.status() == StatusCode::OK
            && let Some(by) = answer.headers().get("x-served-by")
        {
            seen.insert(by.to_str().unwrap().to_owned());
            if seen.len() == 3 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        seen.len(),
        3,
        "the balancer sends to all three servers: {seen:?}"
    );
    Cluster {
        _dir: dir,
        servers,
        bases,
        _balancer: balancer,
        front,
    }
}

/// What the shift has done so far, as the test checks it.
#[derive(Default)]
struct Shift {
    /// Which server answered, by the balancer's `X-Served-By`, and how often.
    served_by: HashMap<String, usize>,
    /// The incident of every call acknowledged (201).
    taken: Vec<String>,
    /// Each caller recorded: (name, person id).
    people: Vec<(String, String)>,
}

/// A console and the id of the last event it received.
struct Console {
    feed: LiveFeed,
    last_id: i64,
    /// For a console that reaches the servers through the balancer: where it reconnects when
    /// its server goes away (as a browser's EventSource does, sending `Last-Event-ID`).
    reconnect: Option<(reqwest::Client, String, String)>,
}

/// Each console's next events until every one of `incidents` has arrived on it, none taking
/// longer than [`DELIVERY`] after the one before.
async fn delivered(consoles: &mut [Option<Console>], incidents: &[String]) {
    for (n, slot) in consoles.iter_mut().enumerate() {
        let Some(console) = slot else {
            continue;
        };
        let mut waiting: BTreeSet<&str> = incidents.iter().map(String::as_str).collect();
        while !waiting.is_empty() {
            let event: LiveEvent = match console.feed.next_within(DELIVERY).await {
                Some(event) => event,
                None => {
                    let Some((client, front, token)) = &console.reconnect else {
                        panic!("console {n}: still waiting for {waiting:?} after {DELIVERY:?}");
                    };
                    console.feed =
                        LiveFeed::open(client, front, token, Some(console.last_id)).await;
                    continue;
                }
            };
            if let Some(id) = event.id {
                console.last_id = id;
            }
            if event.name == "incident"
                && let Some(id) = event.data["id"].as_str()
            {
                waiting.remove(id);
            }
        }
    }
}

async fn post(
    client: &reqwest::Client,
    url: String,
    token: Option<&str>,
    body: Value,
) -> reqwest::Response {
    let mut request = client.post(url).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Take calls `from..from + CALLS_EACH_HALF` through the balancer, each with its caller
/// recorded, and see each reach every console.
async fn take_calls(
    client: &reqwest::Client,
    front: &str,
    token: &str,
    consoles: &mut [Option<Console>],
    from: usize,
    shift: &mut Shift,
) -> Vec<String> {
    let mut incidents = Vec::new();
    for i in from..from + CALLS_EACH_HALF {
        let body = contact_body(&format!("Call {i} of the shift"));
        let answer = post(
            client,
            format!("{front}/api/v1/contacts"),
            Some(token),
            body,
        )
        .await;
        assert_eq!(answer.status(), StatusCode::CREATED, "call {i}");
        if let Some(by) = answer.headers().get("x-served-by") {
            *shift
                .served_by
                .entry(by.to_str().unwrap().to_owned())
                .or_default() += 1;
        }
        let body: Value = answer.json().await.unwrap();
        let incident = body["incident"]["id"].as_str().unwrap().to_owned();
        let name = format!("Caller Number{i} Testperson");
        let person = post(
            client,
            format!("{front}/api/v1/people"),
            Some(token),
            json!({"names": [name]}),
        )
        .await;
        assert_eq!(person.status(), StatusCode::CREATED, "person {i}");
        let person: Value = person.json().await.unwrap();
        shift
            .people
            .push((name, person["id"].as_str().unwrap().to_owned()));
        delivered(consoles, std::slice::from_ref(&incident)).await;
        shift.taken.push(incident.clone());
        incidents.push(incident);
    }
    incidents
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs HAProxy and PostgreSQL: run by .ci/run"]
async fn three_servers_behind_haproxy_lose_nothing_when_one_dies() {
    let db = FreshDatabase::create(Backend::Postgres)
        .await
        .expect("CONTROLROOM_TEST_POSTGRES_URL names the PostgreSQL server");
    let password = "a long shift passphrase";
    user_added(&db.url, "handler", "contact_handler", password).await;
    let mut cluster = start(&db.url).await;
    let client = reqwest::Client::new();
    let front = cluster.front.clone();
    let signed = post(
        &client,
        format!("{front}/api/v1/session"),
        None,
        json!({"username": "handler", "password": password}),
    )
    .await;
    assert_eq!(signed.status(), StatusCode::OK);
    let token = signed.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_owned();

    // A console on each server, and one through the balancer.
    let mut consoles = Vec::new();
    for base in &cluster.bases {
        let feed = LiveFeed::open(&client, base, &token, None).await;
        consoles.push(Some(Console {
            feed,
            last_id: 0,
            reconnect: None,
        }));
    }
    let feed = LiveFeed::open(&client, &front, &token, None).await;
    let reconnect = Some((client.clone(), front.clone(), token.clone()));
    consoles.push(Some(Console {
        feed,
        last_id: 0,
        reconnect,
    }));
    let mut shift = Shift::default();
    take_calls(&client, &front, &token, &mut consoles, 0, &mut shift).await;
    assert_eq!(
        shift.served_by.len(),
        3,
        "the session's requests go to every server: {:?}",
        shift.served_by
    );

    // Mid-shift, server 2 dies; its console is cut off while calls go on. (The console
    // through the balancer may have been on it too: it reconnects by itself.)
    let mut dead = cluster.servers[1].take().unwrap();
    dead.kill().await.unwrap();
    let cut_off = consoles[1].take().unwrap();
    let later = take_calls(
        &client,
        &front,
        &token,
        &mut consoles,
        CALLS_EACH_HALF,
        &mut shift,
    )
    .await;
    // It reconnects through the balancer, saying the last event it had, and is sent what it
    // missed: every call taken since.
    let feed = LiveFeed::open(&client, &front, &token, Some(cut_off.last_id)).await;
    let mut back = [Some(Console {
        feed,
        last_id: cut_off.last_id,
        reconnect: None,
    })];
    delivered(&mut back, &later).await;

    // No acknowledged call is lost: each is there, through the balancer.
    for id in &shift.taken {
        let answer = client
            .get(format!("{front}/api/v1/incidents/{id}"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "incident {id}");
    }
    // Every caller is found on every server still running.
    for (n, base) in cluster.bases.iter().enumerate() {
        if cluster.servers[n].is_none() {
            continue;
        }
        for (name, id) in &shift.people {
            let found: Value = post(
                &client,
                format!("{base}/api/v1/search"),
                Some(&token),
                json!({"name": name}),
            )
            .await
            .json()
            .await
            .unwrap();
            assert_eq!(
                found["people"][0]["id"],
                id.as_str(),
                "server {n}, {name}: {found}"
            );
        }
    }
    drop((consoles, back));
    for server in cluster.servers.iter_mut().flatten() {
        server.kill().await.unwrap();
    }
    let (code, out, err) = run_on(&["audit", "verify"], &db.url, &[], "").await;
    assert_eq!(code, 0, "the audit chain verifies: {out}{err}");
    db.drop_database().await;
}
