//! Test kit: start the real Control Room server on `127.0.0.1:0` against a fresh database,
//! with a clock the test moves by hand, and talk to it over HTTP.
//!
//! PostgreSQL runs when `CONTROLROOM_TEST_POSTGRES_URL` names a server (e.g.
//! `postgres://postgres@127.0.0.1:5432/test`); each test gets its own new database.
//! With `CONTROLROOM_REQUIRE_POSTGRES=1` (as `.ci/run` sets), a missing URL fails the test
//! instead of skipping it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use controlroom_app::{Actor, App, Settings, users};
use controlroom_domain::ManualClock;
use controlroom_store::Store;
use controlroom_store_postgres::PostgresStore;
use controlroom_store_sqlite::SqliteStore;
use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, PgPool};
use std::sync::Arc;
use tokio::sync::oneshot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server to test against, if any. Panics when PostgreSQL is required but not
/// configured, so CI cannot pass by skipping.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("CONTROLROOM_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CONTROLROOM_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") => {
            panic!("CONTROLROOM_REQUIRE_POSTGRES=1 but CONTROLROOM_TEST_POSTGRES_URL is not set")
        }
        _ => None,
    }
}

/// A fresh, empty database of the given kind. Dropped by [`FreshDatabase::drop_database`].
pub struct FreshDatabase {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    postgres: Option<(PgPool, String)>,
}

impl FreshDatabase {
    /// `None` when the backend is PostgreSQL and no server is configured.
    pub async fn create(backend: Backend) -> Option<Self> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!("sqlite://{}", dir.path().join("controlroom.db").display());
                Some(Self {
                    url,
                    _dir: Some(dir),
                    postgres: None,
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url()?;
                let admin = PgPool::connect(&admin_url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {admin_url}: {e}"));
                drop_stale_databases(&admin).await;
                let name = format!(
                    "controlroom_it_{}_{}",
                    Timestamp::now().as_second(),
                    uuid::Uuid::new_v4().simple()
                );
                execute(&admin, format!("CREATE DATABASE {name}")).await;
                let server = admin_url.rsplit_once('/').map_or(&*admin_url, |(s, _)| s);
                Some(Self {
                    url: format!("{server}/{name}"),
                    _dir: None,
                    postgres: Some((admin, name)),
                })
            }
        }
    }

    /// PostgreSQL only: end every connection to the database and refuse new ones, as an
    /// outage does; `false` lets them in again. Returns whether it could (SQLite cannot).
    pub async fn set_outage(&self, down: bool) -> bool {
        let Some((admin, name)) = &self.postgres else {
            return false;
        };
        execute(
            admin,
            format!("ALTER DATABASE {name} WITH ALLOW_CONNECTIONS {}", !down),
        )
        .await;
        if down {
            sqlx::query(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            )
            .bind(name)
            .execute(admin)
            .await
            .unwrap();
        }
        true
    }

    pub async fn drop_database(self) {
        if let Some((admin, name)) = &self.postgres {
            execute(
                admin,
                format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            )
            .await;
        }
    }
}

/// Run the administrative statement `sql` (one the test kit wrote) on the server.
async fn execute(admin: &PgPool, sql: String) {
    sqlx::query(AssertSqlSafe(sql))
        .execute(admin)
        .await
        .unwrap();
}

/// Test databases left behind by a run that panicked, older than an hour.
async fn drop_stale_databases(admin: &PgPool) {
    let cutoff = Timestamp::now().as_second() - 3600;
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'controlroom_it_%'")
            .fetch_all(admin)
            .await
            .unwrap_or_default();
    for name in names {
        let stamp = name
            .trim_start_matches("controlroom_it_")
            .split('_')
            .next()
            .and_then(|s| s.parse::<i64>().ok());
        if stamp.is_some_and(|s| s < cutoff) {
            let _ = sqlx::query(AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(admin)
            .await;
        }
    }
}

pub async fn open_store(url: &str) -> Arc<dyn Store> {
    if url.starts_with("sqlite:") {
        Arc::new(SqliteStore::connect(url).await.unwrap())
    } else {
        Arc::new(PostgresStore::connect(url).await.unwrap())
    }
}

/// A running server and what a test needs to drive it.
pub struct TestApp {
    pub backend: Backend,
    pub base: String,
    pub client: reqwest::Client,
    pub app: App,
    pub clock: Arc<ManualClock>,
    pub database: FreshDatabase,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

pub const PASSWORD: &str = "test-password-123";

impl TestApp {
    /// Start the server; `None` if this backend is not configured here.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        Self::spawn_with(backend, Settings::default()).await
    }

    /// Start the server with these settings (e.g. trusted proxies, a public URL).
    pub async fn spawn_with(backend: Backend, settings: Settings) -> Option<Self> {
        let database = FreshDatabase::create(backend).await?;
        let clock = Arc::new(ManualClock::new(Timestamp::now()));
        Some(Self::start(backend, database, clock, settings).await)
    }

    /// Another server on this one's database and clock, as a second server behind a load
    /// balancer. Stop it before [`TestApp::finish`] on the first; its `finish` leaves the
    /// database in place.
    pub async fn spawn_beside(&self, settings: Settings) -> Self {
        let database = FreshDatabase {
            url: self.database.url.clone(),
            _dir: None,
            postgres: None,
        };
        Self::start(self.backend, database, self.clock.clone(), settings).await
    }

    async fn start(
        backend: Backend,
        database: FreshDatabase,
        clock: Arc<ManualClock>,
        settings: Settings,
    ) -> Self {
        let store = open_store(&database.url).await;
        // The server that ships, built the way `controlroom serve` builds it (indexes in
        // memory).
        let built = controlroom_web::server::Server::build(controlroom_web::server::ServerConfig {
            store,
            clock: clock.clone(),
            settings,
            search_dir: None,
            gazetteer_dir: None,
            demo: false,
        })
        .await
        .unwrap();
        let app = built.app.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(built.run(listener, async move {
            let _ = stopped.await;
        }));
        Self {
            backend,
            base,
            client: reqwest::Client::new(),
            app,
            clock,
            database,
            shutdown: Some(shutdown),
            server: Some(server),
        }
    }

    /// Stop the server and close the database, leaving its file or database in place.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        self.app.store.close().await;
    }

    /// Stop and remove the database.
    pub async fn finish(mut self) {
        self.stop().await;
        self.database.drop_database().await;
    }

    /// Create a user with `role` (through the use case, as an administrator would) and sign
    /// in as them; returns their bearer token.
    pub async fn signed_in(&self, username: &str, role: &str) -> String {
        self.add_user(username, role).await;
        self.sign_in(username, PASSWORD).await
    }

    /// Create a user with `role` and the test [`PASSWORD`] (through the use case, as an
    /// administrator would), without signing in.
    pub async fn add_user(&self, username: &str, role: &str) {
        users::add_user(&self.app, &Actor::system(), username, &[role], PASSWORD)
            .await
            .unwrap();
    }

    /// [`TestApp::signed_in`] for each `(username, role)`; their tokens, in the same order.
    pub async fn signed_in_as<const N: usize>(&self, users: [(&str, &str); N]) -> [String; N] {
        let mut tokens = Vec::with_capacity(N);
        for (username, role) in users {
            tokens.push(self.signed_in(username, role).await);
        }
        tokens.try_into().unwrap()
    }

    pub async fn sign_in(&self, username: &str, password: &str) -> String {
        let (status, body) = self
            .post(
                "/api/v1/session",
                None,
                &json!({ "username": username, "password": password }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["token"].as_str().unwrap().to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Send `request` as the holder of `token` (if any); the response as it came.
    pub async fn send(
        &self,
        request: reqwest::RequestBuilder,
        token: Option<&str>,
    ) -> reqwest::Response {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        request.send().await.unwrap()
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let request = self.client.post(self.url(path)).json(body);
        read(self.send(request, token).await).await
    }

    pub async fn put(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let request = self.client.put(self.url(path)).json(body);
        read(self.send(request, token).await).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        read(self.get_response(path, token).await).await
    }

    /// GET, for a test that looks at more than the JSON body.
    pub async fn get_response(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        self.send(self.client.get(self.url(path)), token).await
    }

    /// The server's `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.get_response("/metrics", None)
            .await
            .text()
            .await
            .unwrap()
    }

    /// Open a console's live feed as the holder of `token`, saying (as a browser does when
    /// it reconnects) the id of the last event it received.
    pub async fn live_feed(&self, token: &str, last_event_id: Option<i64>) -> LiveFeed {
        LiveFeed::open(&self.client, &self.base, token, last_event_id).await
    }

    /// DELETE with a bearer token; the response as it came.
    pub async fn delete_response(&self, path: &str, token: &str) -> reqwest::Response {
        self.send(self.client.delete(self.url(path)), Some(token))
            .await
    }

    /// Take the contact `body`; returns the id of the incident it opened (or joined).
    pub async fn open_incident(&self, token: &str, body: Value) -> String {
        let taken = self.ok(token, "/api/v1/contacts", body).await;
        taken["incident"]["id"].as_str().unwrap().to_owned()
    }

    /// Grade incident `id`, which must be accepted; returns the answer.
    pub async fn grade(&self, token: &str, id: &str, grade: &str, rationale: &str) -> Value {
        self.post_status(
            token,
            &format!("/api/v1/incidents/{id}/grade"),
            json!({ "grade": grade, "rationale": rationale }),
            StatusCode::OK,
        )
        .await
    }

    /// Link the record `kind`/`id` (a person, vehicle or location) to the incident `incident`
    /// as `role`; returns the answer.
    pub async fn link(
        &self,
        token: &str,
        kind: &str,
        id: &str,
        incident: &str,
        role: &str,
    ) -> Value {
        let link = json!({"to_kind": "incident", "to_id": incident, "role": role});
        self.ok(token, &format!("/api/v1/records/{kind}/{id}/links"), link)
            .await
    }

    /// Put the warning `marker` (see [`marker`]) on the record `kind`/`id`; returns the answer.
    pub async fn mark(&self, token: &str, kind: &str, id: &str, marker: Value) -> Value {
        self.ok(
            token,
            &format!("/api/v1/records/{kind}/{id}/markers"),
            marker,
        )
        .await
    }

    /// Take a 999 contact; returns the answer body (with `incident.id` and `incident.reference`).
    pub async fn take_999(&self, token: &str, summary: &str) -> Value {
        let (status, body) = self
            .post("/api/v1/contacts", Some(token), &contact_body(summary))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }

    /// The audit chain's head sequence number: moves with every record written.
    /// Establish the facts as a handler does before grading below emergency: give the incident
    /// a type if it has none (`CONCERN_FOR_SAFETY`), then answer every question for it "no".
    /// Returns the incident after the answers.
    pub async fn assess(&self, token: &str, id: &str) -> Value {
        let path = |what: &str| format!("/api/v1/incidents/{id}/{what}");
        let (status, incident) = self
            .get(&format!("/api/v1/incidents/{id}"), Some(token))
            .await;
        assert_eq!(status, StatusCode::OK, "{incident}");
        let mut incident = incident;
        if incident["incident_type"].is_null() {
            let (status, changed) = self
                .post(
                    &path("classify"),
                    Some(token),
                    &json!({"incident_type": "CONCERN_FOR_SAFETY", "qualifiers": []}),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{changed}");
            incident = changed["incident"].clone();
        }
        let answers: serde_json::Map<String, Value> = incident["questions"]
            .as_array()
            .map(|qs| {
                qs.iter()
                    .filter_map(|q| q["fact"].as_str())
                    .map(|f| (f.to_owned(), json!("no")))
                    .collect()
            })
            .unwrap_or_default();
        let (status, answered) = self
            .post(
                &path("answers"),
                Some(token),
                &json!({ "answers": answers }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answered}");
        assert_eq!(answered["incident"]["recommendation"]["assessed"], true);
        answered["incident"].clone()
    }

    /// Every audit record written so far, oldest first.
    pub async fn audit_records(&self) -> Vec<controlroom_domain::audit::StoredRecord> {
        self.app.store.audit_records(0, 100_000).await.unwrap()
    }

    /// The kinds of every audit record written so far, oldest first.
    pub async fn audit_kinds(&self) -> Vec<String> {
        self.audit_records()
            .await
            .into_iter()
            .map(|r| r.record.kind)
            .collect()
    }

    /// The payloads of the audit records of `kind`, oldest first.
    pub async fn audited(&self, kind: &str) -> Vec<Value> {
        self.audit_records()
            .await
            .into_iter()
            .filter(|r| r.record.kind == kind)
            .map(|r| serde_json::from_str(&r.record.payload).unwrap())
            .collect()
    }

    /// Verify the whole audit chain; fails the test if it does not verify.
    pub async fn verify_audit_trail(&self) -> controlroom_app::audit_trail::Verified {
        controlroom_app::audit_trail::verify(self.app.store.as_ref())
            .await
            .unwrap()
    }

    /// Fails unless every one of `kinds` has been audited at least once.
    pub async fn assert_audited(&self, kinds: &[&str]) {
        let written = self.audit_kinds().await;
        for kind in kinds {
            assert!(written.iter().any(|k| k == kind), "{kind} is audited");
        }
    }

    /// POST that must succeed (any 2xx); returns the answer.
    pub async fn ok(&self, token: &str, path: &str, body: Value) -> Value {
        let (status, answer) = self.post(path, Some(token), &body).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
        answer
    }

    /// GET that must answer 200; returns the answer.
    pub async fn get_ok(&self, token: &str, path: &str) -> Value {
        let (status, answer) = self.get(path, Some(token)).await;
        assert_eq!(status, StatusCode::OK, "{path}: {answer}");
        answer
    }

    /// POST that must be refused as invalid (422) naming `field`; returns the problem body.
    pub async fn invalid(&self, token: &str, path: &str, body: Value, field: &str) -> Value {
        let problem = self
            .post_status(token, path, body, StatusCode::UNPROCESSABLE_ENTITY)
            .await;
        assert_eq!(problem["field"], field, "{path}: {problem}");
        problem
    }

    /// POST that must answer `expected`; returns the answer.
    pub async fn post_status(
        &self,
        token: &str,
        path: &str,
        body: Value,
        expected: StatusCode,
    ) -> Value {
        let (status, problem) = self.post(path, Some(token), &body).await;
        assert_eq!(status, expected, "{path}: {problem}");
        problem
    }

    pub async fn chain_head(&self) -> i64 {
        self.app
            .store
            .chain_head()
            .await
            .unwrap()
            .map_or(0, |(seq, _)| seq)
    }
}

pub fn contact_body(summary: &str) -> Value {
    json!({
        "channel": "999",
        "caller": { "name": "Jane Doe", "phone": "07700 900123", "is_victim": true },
        "location": { "text": "12 High Street, Leeds LS1 1AA", "lat": 53.797, "lon": -1.547 },
        "summary": summary,
    })
}

/// A warning marker of `kind` for `reason`, from `source`, to be reviewed in 2030.
pub fn marker(kind: &str, reason: &str, source: &str) -> Value {
    json!({"kind": kind, "reason": reason, "source": source, "review_by": "2030-01-01"})
}

/// The value of the header `name` on `response`, as text; fails when it is missing.
pub fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    optional_header(response, name).unwrap_or_else(|| panic!("no {name} header"))
}

/// The value of the header `name` on `response`, as text, if it has one.
pub fn optional_header<'a>(response: &'a reqwest::Response, name: &str) -> Option<&'a str> {
    response.headers().get(name).map(|v| v.to_str().unwrap())
}

/// `value` as text; fails the test when it is not a string.
pub fn text(value: &Value) -> &str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("not a string: {value}"))
}

/// The elements of the array `list`; fails the test when it is not an array.
pub fn items(list: &Value) -> &[Value] {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
}

/// The strings in the array `list`.
pub fn texts(list: &Value) -> Vec<&str> {
    items(list).iter().map(text).collect()
}

/// The string `key` of every element of the array `list` (the rule of every problem, the
/// text of every log entry).
pub fn texts_at<'a>(list: &'a Value, key: &str) -> Vec<&'a str> {
    items(list).iter().map(|item| text(&item[key])).collect()
}

/// Status and JSON body (or `Value::Null` when the body is not JSON).
pub async fn read(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Run an async test body once per backend: `both_backends!(name, body_fn)` defines
/// `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::Backend::Sqlite).await;
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::postgres_admin_url().is_none() {
                        eprintln!("skipped: set CONTROLROOM_TEST_POSTGRES_URL to run on PostgreSQL");
                        return;
                    }
                    super::$name($crate::Backend::Postgres).await;
                }
            }
        )*
    };
}

/// A console's live feed (Server-Sent Events), read one event at a time.
pub struct LiveFeed {
    response: reqwest::Response,
    buffer: String,
}

/// One event of a live feed.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub name: String,
    /// The event id: the audit seq of the change.
    pub id: Option<i64>,
    pub data: Value,
}

impl LiveFeed {
    /// Open the live feed of the server at `base` (`http://127.0.0.1:PORT`) as the holder
    /// of `token`, saying (as a browser does when it reconnects) the last event it received.
    pub async fn open(
        client: &reqwest::Client,
        base: &str,
        token: &str,
        last_event_id: Option<i64>,
    ) -> Self {
        let mut request = client
            .get(format!("{base}/api/v1/events"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id.to_string());
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "the live feed opens");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event, or `None` if none comes within `patience` or the feed ends.
    pub async fn next_within(&mut self, patience: std::time::Duration) -> Option<LiveEvent> {
        tokio::time::timeout(patience, async {
            loop {
                if let Some(end) = self.buffer.find("\n\n") {
                    let block: String = self.buffer.drain(..end + 2).collect();
                    if let Some(event) = parse_event(&block) {
                        return Some(event);
                    }
                    continue;
                }
                // An error here is the connection cut (its server went away): the feed ended.
                let chunk = self.response.chunk().await.ok()??;
                self.buffer.push_str(&String::from_utf8_lossy(&chunk));
            }
        })
        .await
        .ok()
        .flatten()
    }

    /// How long a test waits for the event it expects before failing.
    pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

    /// The next event (keep-alive comments are passed over); fails after [`Self::PATIENCE`].
    pub async fn next(&mut self) -> LiveEvent {
        self.next_within(Self::PATIENCE)
            .await
            .expect("an event arrives on the open live feed")
    }

    /// Read on until an event that `wanted` accepts; returns it.
    pub async fn until(&mut self, wanted: impl Fn(&LiveEvent) -> bool) -> LiveEvent {
        loop {
            let event = self.next().await;
            if wanted(&event) {
                return event;
            }
        }
    }
}

fn parse_event(block: &str) -> Option<LiveEvent> {
    let mut name = None;
    let mut id = None;
    let mut data = String::new();
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            name = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().parse().expect("an event id is a seq"));
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.trim());
        }
    }
    Some(LiveEvent {
        name: name?,
        id,
        data: serde_json::from_str(&data).unwrap_or(Value::Null),
    })
}
