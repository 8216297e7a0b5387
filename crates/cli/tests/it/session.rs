//! Sessions: cookie and bearer token, sign-out, and the end of an idle session.

use controlroom_testkit::{Backend, PASSWORD, TestApp, both_backends, read};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::json;

both_backends!(sessions_end_on_sign_out_and_after_idle_time);

async fn sessions_end_on_sign_out_and_after_idle_time(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;

    // The browser gets an HttpOnly, SameSite=Strict cookie that works like the token.
    let response = app
        .client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "handler", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = response
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap().to_owned();
    let (status, me) = read(
        app.client
            .get(app.url("/api/v1/session"))
            .header("cookie", pair.clone())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["username"], "handler");
    assert_eq!(me["role"], "contact_handler");

    // Activity keeps a session alive; 15 idle minutes end it.
    app.clock.advance(SignedDuration::from_mins(14));
    let (status, _) = app.get("/api/v1/session", Some(&token)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "14 minutes idle is still within the limit"
    );
    app.clock.advance(SignedDuration::from_mins(14));
    let (status, _) = app.get("/api/v1/session", Some(&token)).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the previous request counted as activity"
    );
    app.clock.advance(SignedDuration::from_mins(16));
    let (status, problem) = app.get("/api/v1/session", Some(&token)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("without activity"),
        "{problem}"
    );

    // Signing out ends a session at once.
    let fresh = app.sign_in("handler", PASSWORD).await;
    let response = app
        .client
        .delete(app.url("/api/v1/session"))
        .bearer_auth(&fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get("/api/v1/session", Some(&fresh)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let kinds: Vec<String> = app
        .app
        .store
        .audit_records(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.record.kind)
        .collect();
    assert!(kinds.contains(&"signed_in".to_owned()) && kinds.contains(&"signed_out".to_owned()));
    app.finish().await;
}
