//! A retried request with the same Idempotency-Key gets the first answer and records
//! nothing twice.

use controlroom_testkit::{Backend, TestApp, both_backends, contact_body, read, text};
use reqwest::StatusCode;
use serde_json::json;

both_backends!(a_retried_request_returns_the_first_result_and_records_nothing_twice);

async fn a_retried_request_returns_the_first_result_and_records_nothing_twice(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let send = |key: &str, summary: &str| {
        app.client
            .post(app.url("/api/v1/contacts"))
            .bearer_auth(&token)
            .header("Idempotency-Key", key.to_owned())
            .json(&contact_body(summary))
            .send()
    };

    let first = send("call-0001", "Burglary in progress").await.unwrap();
    assert_eq!(first.status(), StatusCode::CREATED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (_, first) = read(first).await;
    let head = app.chain_head().await;

    let retry = send("call-0001", "Burglary in progress").await.unwrap();
    assert_eq!(retry.status(), StatusCode::CREATED);
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let (_, retry) = read(retry).await;
    assert_eq!(
        retry, first,
        "the retry gets the first answer, byte for byte"
    );
    assert_eq!(app.chain_head().await, head, "nothing recorded twice");

    // The same key for a different request is refused, not answered with the wrong result.
    let (status, problem) = read(send("call-0001", "Something else entirely").await.unwrap()).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(text(&problem["detail"]).contains("different request"));

    // Keys work for incident changes too, and the retry answers with the state as it was.
    let id = first["incident"]["id"].as_str().unwrap();
    let grade = |key: &str| {
        app.client
            .post(app.url(&format!("/api/v1/incidents/{id}/grade")))
            .bearer_auth(&token)
            .header("Idempotency-Key", key.to_owned())
            .json(&json!({"grade": "emergency", "rationale": "Intruders in the house"}))
            .send()
    };
    let (status, graded) = read(grade("grade-1").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    app.post(
        &format!("/api/v1/incidents/{id}/log"),
        Some(&token),
        &json!({"text": "Units en route"}),
    )
    .await;
    let (status, again) = read(grade("grade-1").await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        again, graded,
        "replayed as first answered, not as the incident is now"
    );
    let (_, now) = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&token))
        .await;
    assert_eq!(now["grades"].as_array().unwrap().len(), 1, "graded once");

    // Keys belong to the user who sent them.
    let other = app.signed_in("other", "contact_handler").await;
    let response = app
        .client
        .post(app.url("/api/v1/contacts"))
        .bearer_auth(&other)
        .header("Idempotency-Key", "call-0001")
        .json(&contact_body("Burglary in progress"))
        .send()
        .await
        .unwrap();
    assert!(response.headers().get("idempotent-replayed").is_none());
    let (status, theirs) = read(response).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_ne!(theirs["incident"]["id"], first["incident"]["id"]);
    app.finish().await;
}

both_backends!(recording_a_crime_twice_with_one_key_records_it_once);

async fn recording_a_crime_twice_with_one_key_records_it_once(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let recorder = app.signed_in("recorder", "crime_recorder").await;
    let taken = app.take_999(&handler, "Partner punched her").await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();
    let body = json!({
        "classification": "105A",
        "offence_from": "2026-01-01T00:00:00Z",
    });
    let send = |path: String, key: &'static str, body: serde_json::Value| {
        app.client
            .post(app.url(&path))
            .bearer_auth(&recorder)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let path = format!("/api/v1/incidents/{incident}/crimes");
    let (status, first) = read(send(path.clone(), "crime-1", body.clone()).await.unwrap()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let head = app.chain_head().await;
    let retry = send(path.clone(), "crime-1", body.clone()).await.unwrap();
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let (_, retry) = read(retry).await;
    assert_eq!(retry["id"], first["id"]);
    assert_eq!(retry["reference"], first["reference"]);
    assert_eq!(app.chain_head().await, head, "nothing recorded twice");
    // The incident lists the crime once.
    let (_, seen) = app
        .get(&format!("/api/v1/incidents/{incident}"), Some(&recorder))
        .await;
    assert_eq!(
        seen["crime_recording"]["crimes"].as_array().unwrap().len(),
        1
    );
    // A new key is a new crime (a second victim, say), numbered on.
    let (_, second) = read(send(path, "crime-2", body).await.unwrap()).await;
    assert_ne!(second["id"], first["id"]);
    app.finish().await;
}

both_backends!(every_intelligence_write_that_creates_something_is_safe_to_send_twice);

/// Issue 20 item 3: a person, vehicle, location, property or marker sent twice with the same
/// Idempotency-Key is recorded once, and the retry gets the same record back.
async fn every_intelligence_write_that_creates_something_is_safe_to_send_twice(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let twice = |path: String, key: &'static str, body: serde_json::Value| {
        let (app, token) = (&app, &token);
        async move {
            let mut answers = Vec::new();
            for _ in 0..2 {
                let (status, answer) = read(
                    app.client
                        .post(app.url(&path))
                        .bearer_auth(token)
                        .header("Idempotency-Key", key)
                        .json(&body)
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                assert!(status.is_success(), "{path}: {status} {answer}");
                answers.push(answer);
            }
            assert_eq!(answers[0]["id"], answers[1]["id"], "{path}: one record");
            answers.pop().unwrap()
        }
    };
    let person = twice(
        "/api/v1/people".into(),
        "p-1",
        json!({"names": ["Kerry Ashworth"]}),
    )
    .await;
    twice("/api/v1/vehicles".into(), "v-1", json!({"vrm": "YX19 ABD"})).await;
    twice(
        "/api/v1/locations".into(),
        "l-1",
        json!({"address": "4 Gledhow Wood Road, Leeds", "postcode": "LS8 1NY"}),
    )
    .await;
    twice(
        "/api/v1/property".into(),
        "pr-1",
        json!({"description": "Black mountain bike", "serial": "WTU123456"}),
    )
    .await;
    let id = person["id"].as_str().unwrap();
    let marked = twice(
        format!("/api/v1/records/person/{id}/markers"),
        "m-1",
        json!({"kind": "violence", "reason": "assaulted a neighbour", "source": "INT-9", "review_by": "2030-01-01"}),
    )
    .await;
    assert_eq!(
        marked["markers"].as_array().unwrap().len(),
        1,
        "one marker, not two: {marked}"
    );
    let (_, people) = app
        .post(
            "/api/v1/search",
            Some(&token),
            &json!({"name": "Kerry Ashworth"}),
        )
        .await;
    assert_eq!(people["people"].as_array().unwrap().len(), 1, "{people}");
}
