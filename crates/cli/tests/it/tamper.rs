//! Changes made directly in the database, behind the system's back, are found by
//! `controlroom audit verify`, which names the first bad event.

use super::cli::{run, run_on, user_add};
use controlroom_domain::audit::{AuditRecord, ChainHash};
use controlroom_testkit::{Backend, TestApp, both_backends};
use serde_json::{Value, json};
use sqlx::{AssertSqlSafe, Row};

both_backends!(altering_deleting_inserting_or_swapping_an_event_is_detected);

/// Direct access to the database, as an intruder with the file or a superuser would have.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn open(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            Raw::Sqlite(sqlx::SqlitePool::connect(url).await.unwrap())
        } else {
            Raw::Postgres(sqlx::PgPool::connect(url).await.unwrap())
        }
    }

    async fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Raw::Sqlite(pool) => sqlx::query(AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .map(drop),
            Raw::Postgres(pool) => sqlx::query(AssertSqlSafe(sql.to_owned()))
                .execute(pool)
                .await
                .map(drop),
        }
    }

    /// Remove the append-only guard first, as a determined intruder would.
    async fn disable_guard(&self) {
        match self {
            Raw::Sqlite(_) => {
                self.exec("DROP TRIGGER audit_log_no_update").await.unwrap();
                self.exec("DROP TRIGGER audit_log_no_delete").await.unwrap();
            }
            Raw::Postgres(_) => self
                .exec("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_change")
                .await
                .unwrap(),
        }
    }

    /// `(category, stream, kind, actor, at_micros, payload, prev_hash, hash)` of a row.
    async fn row(&self, seq: i64) -> (String, String, String, String, i64, String, String, String) {
        let sql = "SELECT category, stream, kind, actor, at_micros, payload, prev_hash, hash FROM audit_log WHERE seq = $1";
        macro_rules! fetch {
            ($pool:expr) => {{
                let r = sqlx::query(sql).bind(seq).fetch_one($pool).await.unwrap();
                (
                    r.get("category"),
                    r.get("stream"),
                    r.get("kind"),
                    r.get("actor"),
                    r.get("at_micros"),
                    r.get("payload"),
                    r.get("prev_hash"),
                    r.get("hash"),
                )
            }};
        }
        match self {
            Raw::Sqlite(pool) => fetch!(pool),
            Raw::Postgres(pool) => fetch!(pool),
        }
    }

    /// The role a row was recorded under (NULL before roles were recorded).
    async fn role(&self, seq: i64) -> Option<String> {
        let sql = "SELECT role FROM audit_log WHERE seq = $1";
        match self {
            Raw::Sqlite(pool) => sqlx::query_scalar(sql).bind(seq).fetch_one(pool).await,
            Raw::Postgres(pool) => sqlx::query_scalar(sql).bind(seq).fetch_one(pool).await,
        }
        .unwrap()
    }

    async fn close(self) {
        match self {
            Raw::Sqlite(pool) => pool.close().await,
            Raw::Postgres(pool) => pool.close().await,
        }
    }
}

fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Build a database with some history and return the app (stopped) and its head seq.
async fn history(backend: Backend) -> (TestApp, i64) {
    let mut app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    for summary in ["Fight outside pub", "Car alarm", "Lost dog"] {
        let taken = app.take_999(&token, summary).await;
        let id = taken["incident"]["id"].as_str().unwrap();
        app.post(
            &format!("/api/v1/incidents/{id}/log"),
            Some(&token),
            &json!({"text": "Caller still on the line"}),
        )
        .await;
    }
    let head = app.chain_head().await;
    assert!(head >= 11, "enough events to tamper with: {head}");
    app.stop().await;
    (app, head)
}

/// `controlroom audit verify` on the database at `url`, with `options`: exit code, stdout,
/// stderr.
async fn audit_verify(url: &str, options: &[&str]) -> (i32, String, String) {
    run_on(&["audit", "verify"], url, options, "").await
}

async fn verify(url: &str) -> (i32, String) {
    let (code, out, err) = audit_verify(url, &[]).await;
    (code, format!("{out}{err}"))
}

async fn altering_deleting_inserting_or_swapping_an_event_is_detected(backend: Backend) {
    // Untouched: passes.
    let (app, head) = history(backend).await;
    let url = app.database.url.clone();
    let (code, said) = verify(&url).await;
    assert_eq!(code, 0, "{said}");
    assert!(said.contains(&format!("{head} events")), "{said}");

    // The guard refuses ordinary updates and deletes.
    let raw = Raw::open(&url).await;
    assert!(
        raw.exec("UPDATE audit_log SET actor = 'intruder' WHERE seq = 5")
            .await
            .is_err()
    );
    assert!(
        raw.exec("DELETE FROM audit_log WHERE seq = 5")
            .await
            .is_err()
    );
    raw.close().await;
    app.database.drop_database().await;

    let tampers: [(&str, i64); 6] = [
        ("alter", 5),
        ("claim another role", 8),
        ("delete", 6),
        ("insert in the middle", 7),
        ("append at the end", 0),
        ("swap", 4),
    ];
    for (how, target) in tampers {
        let (app, head) = history(backend).await;
        let url = app.database.url.clone();
        let raw = Raw::open(&url).await;
        raw.disable_guard().await;
        let expected = match how {
            "alter" => {
                raw.exec(&format!("UPDATE audit_log SET payload = replace(payload, 'Caller', 'Nobody') WHERE seq = {target}"))
                    .await
                    .unwrap();
                // Make sure the row really contained the text.
                let (.., payload, _, _) = raw.row(target).await;
                if !payload.contains("Nobody") {
                    raw.exec(&format!(
                        "UPDATE audit_log SET actor = 'intruder' WHERE seq = {target}"
                    ))
                    .await
                    .unwrap();
                }
                target
            }
            "claim another role" => {
                // The change was made as a contact handler; the row now says a supervisor.
                assert_eq!(raw.role(target).await.as_deref(), Some("contact_handler"));
                raw.exec(&format!(
                    "UPDATE audit_log SET role = 'supervisor' WHERE seq = {target}"
                ))
                .await
                .unwrap();
                target
            }
            "delete" => {
                raw.exec(&format!("DELETE FROM audit_log WHERE seq = {target}"))
                    .await
                    .unwrap();
                target
            }
            "insert in the middle" => {
                // Renumber the tail to make room, then insert a forged row copied from its neighbour.
                raw.exec(&format!(
                    "UPDATE audit_log SET seq = seq + 100000 WHERE seq >= {target}"
                ))
                .await
                .unwrap();
                raw.exec("UPDATE audit_log SET seq = seq - 100000 + 1 WHERE seq >= 100000")
                    .await
                    .unwrap();
                let (category, stream, kind, actor, at, payload, prev, hash) =
                    raw.row(target + 1).await;
                raw.exec(&format!(
                    "INSERT INTO audit_log (seq, category, stream, kind, actor, at_micros, payload, prev_hash, hash) VALUES ({target}, {}, {}, {}, {}, {at}, {}, {}, {})",
                    quote(&category), quote(&stream), quote(&kind), quote(&format!("{actor}-forged")), quote(&payload), quote(&prev), quote(&hash)
                ))
                .await
                .unwrap();
                target
            }
            "append at the end" => {
                // A forger who knows the algorithm links a perfect new row, but cannot move the head
                // without it showing (the head is updated only by the system's own appends).
                let (category, stream, kind, actor, at, payload, _, last_hash) =
                    raw.row(head).await;
                let record = AuditRecord {
                    seq: head + 1,
                    category,
                    stream,
                    kind,
                    actor,
                    at_micros: at + 1,
                    payload,
                    role: raw.role(head).await,
                };
                let hash = record.link(&ChainHash::from_hex(&last_hash).unwrap());
                raw.exec(&format!(
                    "INSERT INTO audit_log (seq, category, stream, kind, actor, at_micros, payload, prev_hash, hash, role) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                    record.seq, quote(&record.category), quote(&record.stream), quote(&record.kind), quote(&record.actor),
                    record.at_micros, quote(&record.payload), quote(&last_hash), quote(&hash.to_hex()),
                    record.role.as_deref().map_or_else(|| "NULL".to_owned(), quote)
                ))
                .await
                .unwrap();
                head + 1
            }
            _ => {
                // Swap the contents of two rows, keeping their positions.
                let other = target + 3;
                let a = raw.row(target).await;
                let b = raw.row(other).await;
                for (seq, row) in [(target, &b), (other, &a)] {
                    raw.exec(&format!(
                        "UPDATE audit_log SET category = {}, stream = {}, kind = {}, actor = {}, at_micros = {}, payload = {}, prev_hash = {}, hash = {} WHERE seq = {seq}",
                        quote(&row.0), quote(&row.1), quote(&row.2), quote(&row.3), row.4, quote(&row.5), quote(&row.6), quote(&row.7)
                    ))
                    .await
                    .unwrap();
                }
                target
            }
        };
        raw.close().await;
        let (code, said) = verify(&url).await;
        assert_eq!(code, 1, "{how}: verify must fail: {said}");
        assert!(
            said.contains(&format!("broken at event {expected}:")),
            "{how}: must name event {expected}: {said}"
        );
        app.database.drop_database().await;
    }
}

both_backends!(a_chain_rewritten_hashes_and_head_included_is_caught_by_a_checkpoint);

async fn a_chain_rewritten_hashes_and_head_included_is_caught_by_a_checkpoint(backend: Backend) {
    let (app, head) = history(backend).await;
    let url = app.database.url.clone();
    let (code, line, err) = run(&["audit", "checkpoint", "--database-url", &url], "").await;
    assert_eq!(code, 0, "{err}");
    let written: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert_eq!(written["seq"], head);
    let dir = tempfile::tempdir().unwrap();
    let kept = dir.path().join("checkpoints.jsonl");
    std::fs::write(&kept, &line).unwrap();
    let kept = kept.to_str().unwrap().to_owned();

    // An intruder with the whole database rewrites history from event 5 on, relinking every
    // hash after it and moving the recorded head: the chain is internally perfect.
    let raw = Raw::open(&url).await;
    raw.disable_guard().await;
    let (.., mut prev) = raw.row(4).await;
    for seq in 5..=head {
        let (category, stream, kind, actor, at, payload, _, _) = raw.row(seq).await;
        let actor = if seq == 5 {
            "intruder".to_owned()
        } else {
            actor
        };
        let record = AuditRecord {
            seq,
            category,
            stream,
            kind,
            actor,
            at_micros: at,
            payload,
            role: raw.role(seq).await,
        };
        let hash = record.link(&ChainHash::from_hex(&prev).unwrap()).to_hex();
        raw.exec(&format!(
            "UPDATE audit_log SET actor = {}, prev_hash = {}, hash = {} WHERE seq = {seq}",
            quote(&record.actor),
            quote(&prev),
            quote(&hash)
        ))
        .await
        .unwrap();
        prev = hash;
    }
    raw.exec(&format!(
        "UPDATE chain_head SET hash = {} WHERE id = 1",
        quote(&prev)
    ))
    .await
    .unwrap();
    raw.close().await;

    // The database alone cannot tell (the gap a checkpoint closes)...
    let (code, said) = verify(&url).await;
    assert_eq!(code, 0, "{said}");
    // ...the checkpoint kept elsewhere can.
    let (code, out, err) = audit_verify(&url, &["--checkpoints", &kept]).await;
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains(&format!("broken at event {head}")) && err.contains("checkpoint"),
        "{out}{err}"
    );

    // A file that is not a checkpoint is the user's mistake, named by line.
    std::fs::write(dir.path().join("bad.jsonl"), "\nnot json\n").unwrap();
    let bad = dir.path().join("bad.jsonl");
    let (code, _, err) = audit_verify(&url, &["--checkpoints", bad.to_str().unwrap()]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("line 2"), "{err}");
    // Two lines that disagree about one event: the file itself was altered.
    let mut other: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    other["hash"] = json!("0".repeat(64));
    std::fs::write(dir.path().join("two.jsonl"), format!("{line}{other}\n")).unwrap();
    let two = dir.path().join("two.jsonl");
    let (code, _, err) = audit_verify(&url, &["--checkpoints", two.to_str().unwrap()]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("two different hashes"), "{err}");
    // And no checkpoint vouches for a chain that is already broken.
    let raw = Raw::open(&url).await;
    raw.exec("UPDATE audit_log SET actor = 'again' WHERE seq = 3")
        .await
        .unwrap();
    raw.close().await;
    let (code, _, err) = run(&["audit", "checkpoint", "--database-url", &url], "").await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no checkpoint written"), "{err}");
    app.database.drop_database().await;
}

both_backends!(a_crime_list_changed_behind_the_system_is_found);

async fn a_crime_list_changed_behind_the_system_is_found(backend: Backend) {
    let mut app = TestApp::spawn(backend).await.unwrap();
    let recorder = app.signed_in("recorder", "crime_recorder").await;
    let (status, crime) = app
        .post(
            "/api/v1/crimes",
            Some(&recorder),
            &json!({
                "classification": "44",
                "reported_at": "2026-01-02T09:00:00Z",
                "offence_from": "2026-01-01T20:00:00Z",
                "location": "Outside 9 Park Row, Leeds LS1 5HD"
            }),
        )
        .await;
    assert!(status.is_success(), "{crime}");
    app.stop().await;
    let url = app.database.url.clone();
    let (code, said) = verify(&url).await;
    assert_eq!(code, 0, "{said}");

    // Someone quietly marks the crime removed in the list, leaving its events alone.
    let raw = Raw::open(&url).await;
    raw.exec("UPDATE crimes SET status = 'removed'")
        .await
        .unwrap();
    raw.close().await;
    let (code, said) = verify(&url).await;
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("crime list does not match")
            && said.contains(crime["reference"].as_str().unwrap()),
        "{said}"
    );
    app.database.drop_database().await;
}

/// The server keeps checkpoints in a file outside the database: carrying on from the last
/// one, it verifies what came since and pins it at start-up, and only new ones after. `audit verify --checkpoints` then holds the database to them.
#[tokio::test]
async fn the_server_writes_checkpoints_outside_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("cp.db").display());
    let kept = dir.path().join("elsewhere").join("checkpoints.jsonl");
    std::fs::create_dir_all(kept.parent().unwrap()).unwrap();
    // The server holds the force's audit key too: it seals what it writes and signs the
    // checkpoints.
    let key = dir.path().join("elsewhere").join("audit.key");
    let key_arg = key.to_str().unwrap();
    let (code, _, err) = run(&["audit", "new-key", key_arg], "").await;
    assert_eq!(code, 0, "{err}");
    let search = dir.path().join("search");
    let start = || async {
        let files = [
            "--search-dir",
            search.to_str().unwrap(),
            "--checkpoint-file",
            kept.to_str().unwrap(),
            "--audit-key-file",
            key_arg,
        ];
        let options = [&["--demo"][..], &files].concat();
        super::cli::serve(&super::cli::serve_args(&db, &options), &[])
            .await
            .child
    };
    // The first checkpoint, of the new empty database, written on demand.
    let (code, _, err) = run(&["migrate", "--database-url", &db], "").await;
    assert_eq!(code, 0, "{err}");
    let line = signed_checkpoint(&db, key_arg).await;
    std::fs::write(&kept, &line).unwrap();

    // Carrying on from it, the server verifies and pins the demo shift before taking calls.
    let mut server = start().await;
    server.kill().await.unwrap();
    let written = std::fs::read_to_string(&kept).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}");
    let pinned: serde_json::Value = serde_json::from_str(written.lines().last().unwrap()).unwrap();
    assert!(
        pinned["seq"].as_i64().unwrap() > 10,
        "the demo shift is pinned: {pinned}"
    );

    // A restart with nothing new written adds nothing; the database verifies against them.
    let mut server = start().await;
    server.kill().await.unwrap();
    let written = std::fs::read_to_string(&kept).unwrap();
    assert_eq!(written.lines().count(), 2, "{written}");
    let (code, out, err) = audit_verify(
        &db,
        &[
            "--checkpoints",
            kept.to_str().unwrap(),
            "--audit-key-file",
            key_arg,
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("every seal checked"), "{out}");
    let pinned: serde_json::Value = serde_json::from_str(written.lines().last().unwrap()).unwrap();
    assert!(
        pinned["signature"].is_string(),
        "the server signs: {pinned}"
    );
}

/// `controlroom audit checkpoint` of the database at `url`, signed with the key in the file
/// `key`: the checkpoint's line.
async fn signed_checkpoint(url: &str, key: &str) -> String {
    let (code, line, err) = run_on(
        &["audit", "checkpoint"],
        url,
        &["--audit-key-file", key],
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    line
}

/// PUT `body` to `path` as the holder of `token`; fails unless it answers `expected`.
async fn put_answers(app: &TestApp, token: &str, path: &str, body: Value, expected: u16) -> Value {
    let (status, answer) = app.put(path, Some(token), &body).await;
    assert_eq!(status, expected, "{path}: {answer}");
    answer
}

/// Who may do what lives in the users, user_roles and sessions tables; the chain records
/// every change to them, and `audit verify` holds the tables to it.
async fn accounts_history(backend: Backend) -> (TestApp, String) {
    let mut app = TestApp::spawn(backend).await.unwrap();
    let admin = app.signed_in("admin", "admin").await;
    let handler = app.signed_in("handler", "contact_handler").await;
    let roles = json!({"roles": ["contact_handler", "dispatcher"]});
    let body = put_answers(&app, &admin, "/api/v1/users/handler/roles", roles, 200).await;
    assert_eq!(body["roles"], json!(["contact_handler", "dispatcher"]));
    // Your own password needs the current one; then every session of yours ends.
    let own = "/api/v1/users/handler/password";
    let new_password = json!({"password": "a brand new passphrase"});
    put_answers(&app, &handler, own, new_password.clone(), 422).await;
    let mut with_current = new_password;
    with_current["current_password"] = json!(controlroom_testkit::PASSWORD);
    put_answers(&app, &handler, own, with_current, 204).await;
    let (status, _) = app.get("/api/v1/session", Some(&handler)).await;
    assert_eq!(status, 401, "the old session ended with the old password");
    // Nobody else's password, unless an administrator.
    let dispatcher = app.signed_in("dispatcher", "dispatcher").await;
    let theirs = json!({"password": "i am the admin now"});
    put_answers(
        &app,
        &dispatcher,
        "/api/v1/users/admin/password",
        theirs,
        403,
    )
    .await;
    let handler = app.sign_in("handler", "a brand new passphrase").await;
    app.stop().await;
    (app, handler)
}

both_backends!(who_may_do_what_changed_behind_the_system_is_found);

// Issue 20, defect 4: `UPDATE users SET role='admin'`, a swapped password hash and a forged
// session row all passed `audit verify`.
async fn who_may_do_what_changed_behind_the_system_is_found(backend: Backend) {
    let (app, _) = accounts_history(backend).await;
    let url = app.database.url.clone();
    let (code, said) = verify(&url).await;
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("3 accounts and 3 open sessions agree"),
        "{said}"
    );
    app.database.drop_database().await;

    let forged_token = "ab".repeat(32);
    let forged_hash = controlroom_app::auth::token_hash(&forged_token);
    let tampers = [
        (
            "make the handler an administrator",
            "UPDATE user_roles SET role = 'admin' WHERE username = 'handler' AND position = 0"
                .to_owned(),
            "handler: it holds the roles admin, dispatcher",
        ),
        (
            "give the handler the administrator's password",
            "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE username = 'admin') WHERE username = 'handler'"
                .to_owned(),
            "handler: its password hash is not the one last set",
        ),
        (
            "forge a session for the administrator",
            format!(
                "INSERT INTO sessions (token_hash, username, created_at_micros, last_seen_at_micros) VALUES ('{forged_hash}', 'admin', 1, 1)"
            ),
            "holds a session for admin that the audit trail never opened",
        ),
        (
            "add an account",
            "INSERT INTO users (username, role, password_hash, created_at_micros) SELECT 'mallory', 'admin', password_hash, 1 FROM users WHERE username = 'admin'"
                .to_owned(),
            "mallory: the account was never added through the system",
        ),
    ];
    for (how, sql, expected) in tampers {
        let (app, _) = accounts_history(backend).await;
        let url = app.database.url.clone();
        let raw = Raw::open(&url).await;
        raw.exec(&sql).await.unwrap();
        if how == "add an account" {
            raw.exec(
                "INSERT INTO user_roles (username, role, position) VALUES ('mallory', 'admin', 0)",
            )
            .await
            .unwrap();
        }
        raw.close().await;
        let (code, said) = verify(&url).await;
        assert_eq!(code, 1, "{how}: verify must fail: {said}");
        assert!(said.contains(expected), "{how}: {said}");
        app.database.drop_database().await;
    }
}

both_backends!(a_record_written_outside_the_server_is_caught_with_the_audit_key);

// Issue 20, defect 4: "a record appended after the last checkpoint is also not caught". With
// the force's audit key every record is sealed, and the forger has no key.
async fn a_record_written_outside_the_server_is_caught_with_the_audit_key(backend: Backend) {
    let Some(database) = controlroom_testkit::FreshDatabase::create(backend).await else {
        return;
    };
    let url = database.url.clone();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("audit.key");
    let key_arg = key.to_str().unwrap();
    let (code, out, err) = run(&["audit", "new-key", key_arg], "").await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, err) = run(&["audit", "new-key", key_arg], "").await;
    assert_eq!(code, 2, "an existing key is never overwritten: {err}");
    for (name, role) in [("handler", "contact_handler"), ("admin", "admin")] {
        let (code, out, err) = user_add(
            &url,
            name,
            &["--audit-key-file", key_arg, "--role", role],
            "correct horse battery\n",
        )
        .await;
        assert_eq!(code, 0, "{out}{err}");
    }
    let roles = [
        "--username",
        "handler",
        "--roles",
        "contact_handler,dispatcher",
    ];
    let options = [&["--audit-key-file", key_arg][..], &roles].concat();
    let (code, out, err) = run_on(&["user", "set-roles"], &url, &options, "").await;
    assert_eq!(code, 0, "{out}{err}");
    let verify_with_key = |checkpoints: Option<String>| {
        let (url, key_arg) = (url.clone(), key_arg.to_owned());
        async move {
            let mut options = vec!["--audit-key-file", key_arg.as_str()];
            if let Some(file) = &checkpoints {
                options.extend(["--checkpoints", file.as_str()]);
            }
            let (code, out, err) = audit_verify(&url, &options).await;
            (code, format!("{out}{err}"))
        }
    };
    let (code, said) = verify_with_key(None).await;
    assert_eq!(code, 0, "{said}");
    assert!(said.contains("every seal checked"), "{said}");

    // A signed checkpoint, kept outside the database.
    let line = signed_checkpoint(&url, key_arg).await;
    let checkpoint: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert!(checkpoint["signature"].is_string(), "{line}");
    let kept = dir.path().join("checkpoints.jsonl");
    std::fs::write(&kept, &line).unwrap();
    let (code, said) = verify_with_key(Some(kept.to_str().unwrap().to_owned())).await;
    assert_eq!(code, 0, "{said}");

    // After the checkpoint, a forger who knows the algorithm appends a perfect record that
    // makes a third account an administrator, and moves the head to it.
    let raw = Raw::open(&url).await;
    let head: i64 = match &raw {
        Raw::Sqlite(pool) => sqlx::query_scalar("SELECT seq FROM chain_head")
            .fetch_one(pool)
            .await
            .unwrap(),
        Raw::Postgres(pool) => sqlx::query_scalar("SELECT seq FROM chain_head")
            .fetch_one(pool)
            .await
            .unwrap(),
    };
    let (_, _, _, _, at, _, _, last_hash) = raw.row(head).await;
    let record = AuditRecord {
        seq: head + 1,
        category: "change".into(),
        stream: "user/handler".into(),
        kind: "user_roles_changed".into(),
        actor: "system".into(),
        at_micros: at + 1,
        payload: r#"{"type":"roles_changed","username":"handler","roles":["admin"]}"#.into(),
        role: Some("admin".into()),
    };
    let hash = record.link(&ChainHash::from_hex(&last_hash).unwrap());
    raw.exec(&format!(
        "INSERT INTO audit_log (seq, category, stream, kind, actor, at_micros, payload, prev_hash, hash, role) VALUES ({}, 'change', 'user/handler', {}, 'system', {}, {}, {}, {}, 'admin')",
        record.seq, quote(&record.kind), record.at_micros, quote(&record.payload), quote(&last_hash), quote(&hash.to_hex())
    ))
    .await
    .unwrap();
    raw.exec(&format!(
        "UPDATE chain_head SET seq = {}, hash = '{}'",
        record.seq,
        hash.to_hex()
    ))
    .await
    .unwrap();
    raw.exec("UPDATE user_roles SET role = 'admin' WHERE username = 'handler' AND position = 0")
        .await
        .unwrap();
    raw.exec("DELETE FROM user_roles WHERE username = 'handler' AND position = 1")
        .await
        .unwrap();
    raw.close().await;

    // Without the key (as before) the forgery passes, checkpoints and all...
    let (code, out, err) = audit_verify(&url, &["--checkpoints", kept.to_str().unwrap()]).await;
    assert_eq!(code, 0, "{out}{err}");
    // ...with it, the record is named.
    let (code, said) = verify_with_key(Some(kept.to_str().unwrap().to_owned())).await;
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains(&format!("broken at event {}: it carries no seal", head + 1)),
        "{said}"
    );

    // And the checkpoint file cannot be edited to match: its signature no longer fits.
    let mut edited = checkpoint.clone();
    edited["hash"] = json!(hash.to_hex());
    edited["seq"] = json!(head + 1);
    std::fs::write(&kept, edited.to_string()).unwrap();
    let (code, said) = verify_with_key(Some(kept.to_str().unwrap().to_owned())).await;
    assert_eq!(code, 1, "{said}");
    assert!(said.contains("is not signed with audit key"), "{said}");
    database.drop_database().await;
}
