//! Health, readiness, metrics and the OpenAPI document.

use controlroom_testkit::{Backend, TestApp, both_backends};
use reqwest::StatusCode;

both_backends!(health_readiness_metrics_and_openapi_are_served);

async fn health_readiness_metrics_and_openapi_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let (status, health) = app.get("/healthz", None).await;
    assert_eq!(
        (status, health["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let (status, ready) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ready["database"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );

    let token = app.signed_in("handler", "contact_handler").await;
    app.take_999(&token, "Metrics test").await;
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/contacts\""), "{metrics}");

    let (status, doc) = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    for path in [
        "/api/v1/session",
        "/api/v1/contacts",
        "/api/v1/incidents",
        "/api/v1/incidents/{id}",
        "/api/v1/incidents/{id}/log",
        "/api/v1/incidents/{id}/grade",
        "/api/v1/incidents/{id}/close",
        "/api/v1/incidents/{id}/reopen",
        "/api/v1/incidents/{id}/crimes",
        "/api/v1/incidents/{id}/non-crime",
        "/api/v1/crimes",
        "/api/v1/crimes/{id}",
        "/api/v1/crimes/{id}/reclassify",
        "/api/v1/crimes/{id}/cancellation",
        "/api/v1/crimes/{id}/cancellation/approve",
        "/api/v1/crimes/{id}/cancellation/decline",
        "/api/v1/crime-recording/queue",
        "/api/v1/crime-recording/compliance",
        "/api/v1/crime-recording/integrity-check",
        "/api/v1/hocr/count",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is not documented");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());

    // Readiness follows the database.
    app.app.store.close().await;
    let (status, problem) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    app.database.drop_database().await;
}
