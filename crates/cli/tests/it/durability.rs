//! An acknowledged contact survives the server being killed (SIGKILL) at a random moment,
//! nothing is half-written, and the audit trail still verifies.

use super::cli::{run, serve, serve_args, user_add};
use controlroom_testkit::{Backend, FreshDatabase, both_backends, contact_body, read};
use reqwest::StatusCode;
use serde_json::json;
use tokio::process::Child;
use tokio::sync::mpsc;

both_backends!(
    acknowledged_contacts_survive_sigkill,
    a_marker_written_just_before_sigkill_is_found_after_restart
);

const PASSWORD: &str = "durable-password-1";

/// Start `controlroom serve` on a free port and wait for its "listening" line.
async fn start(url: &str, search_dir: &str) -> (Child, String) {
    let served = serve(&serve_args(url, &["--search-dir", search_dir]), &[]).await;
    (served.child, served.base)
}

async fn sign_in(client: &reqwest::Client, base: &str) -> String {
    let (status, body) = read(
        client
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"username": "durable", "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["token"].as_str().unwrap().to_owned()
}

/// A fresh database with the contact handler `durable`, added by `controlroom user add`.
async fn with_a_handler(backend: Backend) -> FreshDatabase {
    let db = FreshDatabase::create(backend).await.unwrap();
    let (code, _, err) =
        user_add(&db.url, "durable", &["--role", "contact_handler"], PASSWORD).await;
    assert_eq!(code, 0, "{err}");
    db
}

async fn acknowledged_contacts_survive_sigkill(backend: Backend) {
    let db = with_a_handler(backend).await;

    let search = tempfile::tempdir().unwrap();
    let search_dir = search.path().display().to_string();
    let (mut server, base) = start(&db.url, &search_dir).await;
    let client = reqwest::Client::new();
    let token = sign_in(&client, &base).await;

    // Eight clients post contacts as fast as they can; every 201 is noted. The server is
    // killed once a random number of acknowledgements have arrived, mid-stream.
    let kill_after: usize = rand::random_range(20..120);
    let (acks, mut acked) = mpsc::unbounded_channel::<(String, String)>();
    let mut workers = Vec::new();
    for worker in 0..8 {
        let (client, base, token, acks) =
            (client.clone(), base.clone(), token.clone(), acks.clone());
        workers.push(tokio::spawn(async move {
            for n in 0..1_000 {
                let sent = client
                    .post(format!("{base}/api/v1/contacts"))
                    .bearer_auth(&token)
                    .json(&contact_body(&format!("Durability contact {worker}-{n}")))
                    .send()
                    .await;
                let Ok(response) = sent else { return };
                if response.status() != StatusCode::CREATED {
                    return;
                }
                let Ok(body) = response.json::<serde_json::Value>().await else {
                    return;
                };
                let ids = (
                    body["incident"]["id"].as_str().unwrap().to_owned(),
                    body["contact"]["id"].as_str().unwrap().to_owned(),
                );
                if acks.send(ids).is_err() {
                    return;
                }
            }
        }));
    }
    drop(acks);
    let mut confirmed = Vec::new();
    while let Some(ids) = acked.recv().await {
        confirmed.push(ids);
        if confirmed.len() == kill_after {
            server.start_kill().unwrap(); // SIGKILL: no shutdown, no flush.
            server.wait().await.unwrap();
        }
    }
    for worker in workers {
        worker.await.unwrap();
    }
    assert!(
        confirmed.len() >= kill_after,
        "the server was killed after {kill_after} acknowledgements"
    );

    // Restart on the same database: every acknowledged contact is there.
    let (mut server, base) = start(&db.url, &search_dir).await;
    let token = sign_in(&client, &base).await;
    for (incident, contact) in &confirmed {
        let (status, body) = read(
            client
                .get(format!("{base}/api/v1/incidents/{incident}"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "acknowledged incident {incident} is missing after the crash"
        );
        assert_eq!(body["contacts"][0]["id"], contact.as_str());
    }
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    // Nothing half-written: the chain verifies and every incident agrees with its events.
    let (code, out, err) = run(&["audit", "verify", "--database-url", &db.url], "").await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("audit trail intact"), "{out}");
    db.drop_database().await;
}

/// An officer-safety marker that a check does not show is the worst failure this system can
/// have. A person and a marker are recorded and the server is killed at once (no commit of the
/// search index, no shutdown); after a restart the search finds both, every time: the index
/// catches up with the audit log from the last sequence it holds before taking calls.
async fn a_marker_written_just_before_sigkill_is_found_after_restart(backend: Backend) {
    let db = with_a_handler(backend).await;
    let search = tempfile::tempdir().unwrap();
    let search_dir = search.path().display().to_string();
    let client = reqwest::Client::new();
    let post = |base: &str, token: &str, path: &str, body: serde_json::Value| {
        let request = client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body);
        async move { read(request.send().await.unwrap()).await }
    };
    for round in 0..3 {
        let (mut server, base) = start(&db.url, &search_dir).await;
        let token = sign_in(&client, &base).await;
        let name = format!("Darren Kilby{}", ["", "e", "ey"][round]);
        let (status, person) = post(
            &base,
            &token,
            "/api/v1/people",
            json!({"names": [name], "date_of_birth": format!("1979-03-1{round}")}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{person}");
        let id = person["id"].as_str().unwrap().to_owned();
        let (status, marker) = post(
            &base,
            &token,
            &format!("/api/v1/records/person/{id}/markers"),
            json!({"kind": "firearms_access", "reason": "holds a shotgun certificate", "source": "FEL-2026-1", "review_by": "2030-01-01"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{marker}");
        server.start_kill().unwrap(); // SIGKILL straight after the acknowledgement.
        server.wait().await.unwrap();

        let (mut server, base) = start(&db.url, &search_dir).await;
        let token = sign_in(&client, &base).await;
        let (status, found) = post(&base, &token, "/api/v1/search", json!({"name": name})).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(
            found["people"][0]["id"],
            id.as_str(),
            "round {round}: {found}"
        );
        let markers = found["markers"].to_string();
        assert!(
            markers.contains("firearms_access"),
            "round {round}: the marker is shown: {found}"
        );
        server.start_kill().unwrap();
        server.wait().await.unwrap();
    }
    db.drop_database().await;
}
