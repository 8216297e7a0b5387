//! The `controlroom` command as an operator uses it.

use controlroom_domain::user::Username;
use controlroom_testkit::{Backend, FreshDatabase, open_store};
use std::process::Stdio;
use tokio::io::AsyncWriteExt;

pub fn controlroom() -> tokio::process::Command {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_controlroom"));
    command
        .env_remove("CONTROLROOM_DATABASE_URL")
        .env("CONTROLROOM_LOG", "warn")
        .kill_on_drop(true);
    command
}

/// Run `controlroom ARGS` with `stdin` as standard input; exit code, stdout, stderr.
pub async fn run(args: &[&str], stdin: &str) -> (i32, String, String) {
    let mut child = controlroom()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let output = child.wait_with_output().await.unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Run `controlroom COMMAND --database-url URL OPTIONS` with `stdin` as standard input: every
/// command but `hocr` works on a database. Exit code, stdout, stderr.
pub async fn run_on(
    command: &[&str],
    url: &str,
    options: &[&str],
    stdin: &str,
) -> (i32, String, String) {
    let mut args = command.to_vec();
    args.extend(["--database-url", url]);
    args.extend_from_slice(options);
    run(&args, stdin).await
}

/// The arguments of a `controlroom serve` of the database at `url` on a free loopback port,
/// with `options` after.
pub fn serve_args<'a>(url: &'a str, options: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["serve", "--listen", "127.0.0.1:0", "--database-url", url];
    args.extend_from_slice(options);
    args
}

/// A `controlroom serve` a test started, listening.
pub struct Served {
    pub child: tokio::process::Child,
    /// Where it listens, `http://127.0.0.1:PORT`.
    pub base: String,
    /// What it printed before it listened.
    pub printed: String,
}

/// Start `controlroom ARGS` (a `serve`) with `env` added, and wait for its "listening" line.
/// Its later output is drained so that it never blocks on a full pipe.
pub async fn serve(args: &[&str], env: &[(&str, &str)]) -> Served {
    use tokio::io::AsyncBufReadExt;
    let mut child = controlroom()
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        if let Some(rest) = line.strip_prefix("Control Room listening on ") {
            let base = rest.split_whitespace().next().unwrap().to_owned();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return Served {
                child,
                base,
                printed,
            };
        }
        printed.push_str(&line);
        printed.push('\n');
    }
    panic!("the server exited before listening: {printed}");
}

/// `controlroom user add` on the database at `url`, with `options` (roles, a key file) and
/// `password` on standard input; exit code, stdout, stderr.
pub async fn user_add(
    url: &str,
    username: &str,
    options: &[&str],
    password: &str,
) -> (i32, String, String) {
    let mut args = vec!["--username", username];
    args.extend_from_slice(options);
    args.push("--password-stdin");
    run_on(&["user", "add"], url, &args, password).await
}

/// `controlroom user add` of `username` with `role` on the database at `url`, which must
/// succeed.
pub async fn user_added(url: &str, username: &str, role: &str, password: &str) {
    let (code, _, err) = user_add(url, username, &["--role", role], password).await;
    assert_eq!(code, 0, "{err}");
}

/// The user `username` as the store at `url` holds it.
async fn stored_user(url: &str, username: &str) -> controlroom_store::UserRow {
    let store = open_store(url).await;
    let user = store
        .user(&Username::parse(username).unwrap())
        .await
        .unwrap()
        .unwrap();
    store.close().await;
    user
}

#[tokio::test]
async fn user_add_reads_the_password_from_stdin_and_refuses_bad_input() {
    let db = FreshDatabase::create(Backend::Sqlite).await.unwrap();
    let url = db.url.as_str();
    let (code, out, err) = run(&["migrate", "--database-url", url], "").await;
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, err) = user_add(
        url,
        "pc.jones",
        &["--role", "dispatcher"],
        "a long enough password\n",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("added user pc.jones with role dispatcher"),
        "{out}"
    );
    let user = stored_user(url, "pc.jones").await;
    assert!(
        user.password_hash.starts_with("$argon2id$"),
        "only a hash is stored"
    );

    // Refused with exit code 2, saying why: the same user twice, an unknown role, a short
    // password.
    for (username, role, password, why) in [
        (
            "pc.jones",
            "dispatcher",
            "a long enough password\n",
            "already exists",
        ),
        (
            "pc.smith",
            "chief_constable",
            "a long enough password\n",
            "not a role",
        ),
        (
            "pc.smith",
            "dispatcher",
            "short\n",
            "at least 10 characters",
        ),
    ] {
        let (code, _, err) = user_add(url, username, &["--role", role], password).await;
        assert_eq!(code, 2, "{username} as {role}: {err}");
        assert!(err.contains(why), "{err}");
    }

    // Several roles: `--role` more than once, or `--roles a,b`; the user holds each once.
    for (username, roles) in [
        (
            "operator1",
            ["--role", "contact_handler", "--role", "crime_recorder"],
        ),
        (
            "operator2",
            [
                "--roles",
                "crime_recorder,contact_handler",
                "--role",
                "crime_recorder",
            ],
        ),
    ] {
        let (code, out, err) = user_add(url, username, &roles, "a long enough password\n").await;
        assert_eq!(code, 0, "{err}");
        assert!(
            out.contains(&format!(
                "added user {username} with roles contact_handler, crime_recorder"
            )),
            "{out}"
        );
    }
    let user = stored_user(url, "operator2").await;
    assert_eq!(user.roles, ["contact_handler", "crime_recorder"]);
    let (code, _, err) = user_add(url, "nobody", &[], "a long enough password\n").await;
    assert_eq!(code, 2, "no role at all: {err}");
    assert!(err.contains("at least one role"), "{err}");
    let (code, _, err) = run(&["migrate", "--database-url", "mysql://somewhere"], "").await;
    assert_eq!(code, 2);
    assert!(err.contains("sqlite://"), "{err}");
}

#[tokio::test]
async fn demo_generate_fills_the_store_and_the_index_and_reindex_rebuilds_it() {
    let db = FreshDatabase::create(Backend::Sqlite).await.unwrap();
    let search = tempfile::tempdir().unwrap();
    let search_dir = search.path().display().to_string();
    let sizes = [
        "--people",
        "30",
        "--vehicles",
        "5",
        "--incidents",
        "12",
        "--seed",
        "7",
    ];
    let options = [&["--search-dir", search_dir.as_str()][..], &sizes].concat();
    let (code, out, err) = run_on(&["demo", "generate"], &db.url, &options, "").await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("generated 30 people, 5 vehicles, 12 incidents and 4 links"),
        "{out}"
    );
    let (code, out, err) = run_on(&["reindex"], &db.url, &["--search-dir", &search_dir], "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("search index rebuilt: 51 records"), "{out}");
    let (code, out, err) = run(&["audit", "verify", "--database-url", &db.url], "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("12 incidents agree"), "{out}");
}

#[tokio::test]
async fn hocr_count_prints_the_crimes_with_their_rules_and_refuses_bad_cases() {
    let case = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../domain/tests/data/hocr/f-robbery-with-injury.json"
    );
    let (code, out, err) = run(&["hocr", "count", case], "").await;
    assert_eq!(code, 0, "{err}");
    let counted: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(counted["crimes"][0]["class"], "34B");
    assert_eq!(
        counted["crimes"][0]["offences"],
        serde_json::json!(["F1", "F2"])
    );
    assert!(
        counted["crimes"][0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().starts_with("Section F"))
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    let text = std::fs::read_to_string(case).unwrap().replace(r#""victim": "V1", "offenders": ["S1"], "at": "2026-05-10T22:30:00Z", "place": "P1", "report": "R1" },"#, r#""victim": "V7", "offenders": ["S1"], "at": "2026-05-10T22:30:00Z", "place": "P1", "report": "R1" },"#);
    std::fs::write(&bad, text).unwrap();
    let (code, _, err) = run(&["hocr", "count", bad.to_str().unwrap()], "").await;
    assert_eq!(code, 2);
    assert!(
        err.contains("names victim V7, who is not in the case"),
        "{err}"
    );
    std::fs::write(&bad, "{ not json").unwrap();
    let (code, _, err) = run(&["hocr", "count", bad.to_str().unwrap()], "").await;
    assert_eq!(code, 2);
    assert!(err.contains("not a case file"), "{err}");
}

/// Issue 16: the rules applied are those in force on the day of the recording decision, and
/// the answer names the edition. Stalking with an assault, reported in 2022: two crimes under
/// the 2022 rules (a course of conduct in addition), one under those from April 2023 (the
/// Principal Crime Rule reinstated for stalking).
#[tokio::test]
async fn hocr_count_applies_the_rules_of_the_decision_day_and_names_the_edition() {
    let case = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../domain/tests/data/hocr/rule-dates-stalking-and-assault-2022.json"
    );
    let (code, out, err) = run(&["hocr", "count", case], "").await;
    assert_eq!(code, 0, "{err}");
    let counted: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(counted["crimes"].as_array().unwrap().len(), 2, "{out}");
    assert_eq!(counted["edition"]["name"], "HOCR April 2022", "{out}");
    assert_eq!(counted["edition"]["dated_by"], "the latest report", "{out}");

    let (code, out, err) = run(
        &[
            "hocr",
            "count",
            case,
            "--decided-at",
            "2024-06-03T09:00:00Z",
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let counted: serde_json::Value = serde_json::from_str(&out).unwrap();
    let crimes = counted["crimes"].as_array().unwrap();
    assert_eq!(crimes.len(), 1, "{out}");
    assert_eq!(crimes[0]["class"], "8Q", "{out}");
    assert!(
        counted["edition"]["name"]
            .as_str()
            .unwrap()
            .starts_with("HOCR April 2023"),
        "{out}"
    );
    assert_eq!(counted["edition"]["rules_of"], "2024-06-03", "{out}");
    assert!(
        crimes[0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r.as_str().unwrap().contains("HOCR April 2023")),
        "every explanation names the edition: {out}"
    );

    // A decision before the report, or a date that is not one: exit 2 with what is wrong.
    let (code, _, err) = run(
        &[
            "hocr",
            "count",
            case,
            "--decided-at",
            "2022-09-01T09:00:00Z",
        ],
        "",
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("before the latest report"), "{err}");
    let (code, _, err) = run(&["hocr", "count", case, "--decided-at", "next week"], "").await;
    assert_eq!(code, 2);
    assert!(err.contains("--decided-at"), "{err}");
}

/// Run `serve --demo` until it listens; returns what it printed before listening. Stops it.
async fn serve_demo_once(url: &str, search_dir: &str) -> String {
    let mut served = serve(
        &serve_args(url, &["--demo", "--search-dir", search_dir]),
        &[],
    )
    .await;
    served.child.start_kill().unwrap();
    served.child.wait().await.unwrap();
    served.printed
}

// No published passwords on a real system: `serve --demo` runs only on a database the demo
// created (or an empty one, which it then marks), and refuses one with users or incidents of
// its own, with exit code 2 and what to do instead.
#[tokio::test]
async fn serve_demo_refuses_a_database_it_did_not_create() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let search = tempfile::tempdir().unwrap();
        let search_dir = search.path().display().to_string();

        // A new database: the demo creates its force, and may start on it again.
        let Some(demo) = FreshDatabase::create(backend).await else {
            continue;
        };
        let printed = serve_demo_once(&demo.url, &search_dir).await;
        assert!(
            printed.contains("Demo force ready (11 users and 24 incidents created)"),
            "{printed}"
        );
        assert!(
            printed.contains(
                "operator    password operator-demo    (contact_handler, crime_recorder)"
            ),
            "{printed}"
        );
        let printed = serve_demo_once(&demo.url, &search_dir).await;
        assert!(
            printed.contains("Demo force ready (0 users and 0 incidents created)"),
            "{printed}"
        );
        let store = open_store(&demo.url).await;
        assert!(store.setting("demo").await.unwrap().is_some());
        store.close().await;
        demo.drop_database().await;

        // A real database, with a user of its own: refused, and nothing added to it.
        let real = FreshDatabase::create(backend).await.unwrap();
        user_added(
            &real.url,
            "pc.jones",
            "dispatcher",
            "a long enough password\n",
        )
        .await;
        let demo = serve_args(&real.url, &["--demo", "--search-dir", &search_dir]);
        let (code, out, err) = run(&demo, "").await;
        assert_eq!(code, 2, "{backend:?}: {out}{err}");
        assert!(
            err.contains("this database was not created as a demo: it already has users")
                && err.contains("run without --demo, or point --database-url at a new file"),
            "{err}"
        );
        assert!(!out.contains("listening"), "{out}");
        let store = open_store(&real.url).await;
        assert_eq!(store.list_users().await.unwrap().len(), 1);
        assert_eq!(store.setting("demo").await.unwrap(), None);
        store.close().await;
        real.drop_database().await;
    }
}

controlroom_testkit::both_backends!(the_demo_force_has_units_a_diary_and_people_with_history);

/// The demo force (`serve --demo`) starts with something real on every screen: units on duty
/// with positions and skills, a week of diary slots, and people with warning markers and
/// history linked to the shift's incidents.
async fn the_demo_force_has_units_a_diary_and_people_with_history(backend: Backend) {
    use serde_json::{Value, json};
    let app = controlroom_testkit::TestApp::spawn(backend).await.unwrap();
    let summary = controlroom_app::demo::seed(&app.app).await.unwrap();
    assert!(summary.incidents_created >= 10, "{summary:?}");
    let dispatcher = app.sign_in("dispatcher", "dispatcher-demo").await;
    let handler = app.sign_in("handler", "handler-demo").await;
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();

    // Units on duty: each with a position and a crew; skills among them; some on jobs.
    let (status, units) = app.get("/api/v1/units", Some(&dispatcher)).await;
    assert!(status.is_success(), "{units}");
    let units = list(&units);
    assert!(units.len() >= 6, "{units:?}");
    for unit in &units {
        assert!(
            unit["lat"].is_f64() && unit["lon"].is_f64() && unit["position_at"].is_string(),
            "a position: {unit}"
        );
        assert!(!list(&unit["crew"]).is_empty(), "a crew: {unit}");
        assert_ne!(unit["status"], "off_duty", "{unit}");
    }
    let skills: Vec<&str> = units
        .iter()
        .flat_map(|u| u["skills"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    for skill in ["firearms", "taser", "first_aid", "dog_handler"] {
        assert!(skills.contains(&skill), "{skill} on duty: {skills:?}");
    }
    assert!(
        units.iter().any(|u| u["status"] == "available"),
        "some free"
    );
    assert!(
        units.iter().any(|u| u["incident_reference"].is_string()),
        "some committed to an incident"
    );

    // A week of diary slots, from today, with free places.
    let today = app
        .app
        .clock
        .now()
        .to_zoned(app.app.settings.time_zone.clone())
        .date();
    for day in 0..7 {
        let date = today.checked_add(jiff::Span::new().days(day)).unwrap();
        let (status, slots) = app
            .get(
                &format!("/api/v1/diary?area=LS6&date={date}"),
                Some(&dispatcher),
            )
            .await;
        assert!(status.is_success(), "{slots}");
        let slots = list(&slots);
        assert!(
            slots.len() >= 3 && slots.iter().all(|s| s["free"].as_u64() > Some(0)),
            "{date}: {slots:?}"
        );
    }

    // People with warning markers (reason, source, review date) and history linked to the
    // shift's incidents.
    for (name, role) in [("Lee Carter", "suspect"), ("Darren Webb", "suspect")] {
        let (status, found) = app
            .post("/api/v1/search", Some(&handler), &json!({"name": name}))
            .await;
        assert!(status.is_success(), "{found}");
        assert_eq!(found["people"][0]["label"], name, "{found}");
        let id = found["people"][0]["id"].as_str().unwrap();
        let (status, record) = app
            .get(&format!("/api/v1/records/person/{id}"), Some(&handler))
            .await;
        assert!(status.is_success(), "{record}");
        let markers = list(&record["markers"]);
        assert!(!markers.is_empty(), "{name}: {record}");
        for marker in &markers {
            for field in ["kind", "reason", "source", "review_by"] {
                assert!(
                    marker[field].as_str().is_some_and(|v| !v.is_empty()),
                    "{name}: marker {field}: {marker}"
                );
            }
            assert_eq!(marker["expired"], false, "{marker}");
        }
        let history = list(&record["history"]);
        assert!(
            history
                .iter()
                .any(|h| h["kind"] == "incident" && h["role"] == role),
            "{name}: linked to an incident as {role}: {record}"
        );
        for h in &history {
            let incident = h["id"].as_str().unwrap();
            let (status, shown) = app
                .get(&format!("/api/v1/incidents/{incident}"), Some(&handler))
                .await;
            assert!(status.is_success(), "the linked incident exists: {shown}");
        }
    }
    app.finish().await;
}
