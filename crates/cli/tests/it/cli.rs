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

#[tokio::test]
async fn user_add_reads_the_password_from_stdin_and_refuses_bad_input() {
    let db = FreshDatabase::create(Backend::Sqlite).await.unwrap();
    let url = db.url.as_str();
    let (code, out, err) = run(&["migrate", "--database-url", url], "").await;
    assert_eq!(code, 0, "{out}{err}");

    let add = |user: &'static str, role: &'static str| {
        [
            "user",
            "add",
            "--database-url",
            url,
            "--username",
            user,
            "--role",
            role,
            "--password-stdin",
        ]
    };
    let (code, out, err) = run(&add("pc.jones", "dispatcher"), "a long enough password\n").await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("added user pc.jones with role dispatcher"),
        "{out}"
    );
    let store = open_store(url).await;
    let user = store
        .user(&Username::parse("pc.jones").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(
        user.password_hash.starts_with("$argon2id$"),
        "only a hash is stored"
    );
    store.close().await;

    let (code, _, err) = run(&add("pc.jones", "dispatcher"), "a long enough password\n").await;
    assert_eq!(code, 2, "the same user twice: {err}");
    assert!(err.contains("already exists"), "{err}");
    let (code, _, err) = run(
        &add("pc.smith", "chief_constable"),
        "a long enough password\n",
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("not a role"), "{err}");
    let (code, _, err) = run(&add("pc.smith", "dispatcher"), "short\n").await;
    assert_eq!(code, 2);
    assert!(err.contains("at least 10 characters"), "{err}");
    let (code, _, err) = run(&["migrate", "--database-url", "mysql://somewhere"], "").await;
    assert_eq!(code, 2);
    assert!(err.contains("sqlite://"), "{err}");
}

#[tokio::test]
async fn demo_generate_fills_the_store_and_the_index_and_reindex_rebuilds_it() {
    let db = FreshDatabase::create(Backend::Sqlite).await.unwrap();
    let search = tempfile::tempdir().unwrap();
    let search_dir = search.path().display().to_string();
    let (code, out, err) = run(
        &[
            "demo",
            "generate",
            "--database-url",
            &db.url,
            "--search-dir",
            &search_dir,
            "--people",
            "30",
            "--vehicles",
            "5",
            "--incidents",
            "12",
            "--seed",
            "7",
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("generated 30 people, 5 vehicles, 12 incidents and 4 links"),
        "{out}"
    );
    let (code, out, err) = run(
        &[
            "reindex",
            "--database-url",
            &db.url,
            "--search-dir",
            &search_dir,
        ],
        "",
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("search index rebuilt: 51 records"), "{out}");
    let (code, out, err) = run(&["audit", "verify", "--database-url", &db.url], "").await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("12 incidents agree"), "{out}");
}
