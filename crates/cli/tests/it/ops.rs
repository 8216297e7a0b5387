//! Health, readiness, metrics and the OpenAPI document.

use controlroom_testkit::{Backend, TestApp, both_backends};
use reqwest::StatusCode;

both_backends!(an_outage_is_said_at_once_with_503_and_retry_after);

/// A database outage answers 503 with Retry-After, quickly enough for a balancer's probe (the
/// client here gives up after 2 s; the server used to wait 30 s), never a 500; and the server
/// recovers by itself when the database is back. PostgreSQL only: an outage is made by
/// refusing connections to the test database.
async fn an_outage_is_said_at_once_with_503_and_retry_after(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    if !app.database.set_outage(true).await {
        return; // SQLite: a file cannot be taken away like a server.
    }
    let quick = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(2))
        .build()
        .unwrap();
    for _ in 0..2 {
        let ready = quick.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(ready.headers().contains_key("retry-after"));
    }
    let contact = controlroom_testkit::contact_body("During the outage");
    let (status, problem) = app.post("/api/v1/contacts", Some(&token), &contact).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    assert_eq!(problem["code"], "database_unavailable");
    app.database.set_outage(false).await;
    let (status, _) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK, "back by itself");
}

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
    let taken = app.take_999(&token, "Metrics test").await;
    // Personal data is never kept by a browser or proxy cache.
    let id = taken["incident"]["id"].as_str().unwrap();
    for path in [
        format!("/api/v1/incidents/{id}"),
        "/api/v1/incidents".to_owned(),
    ] {
        let answer = app.get_response(&path, Some(&token)).await;
        assert_eq!(answer.status(), StatusCode::OK);
        assert_eq!(answer.headers()["cache-control"], "no-store", "{path}");
    }
    let metrics = app.metrics().await;
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(metrics.contains("route=\"/api/v1/contacts\""), "{metrics}");
    // How far behind the log each follower is, for a dashboard and an alert (issue 13).
    for line in [
        "controlroom_log_head_seq ",
        "controlroom_log_lag_records{follower=\"live_feed\"}",
        "controlroom_log_lag_records{follower=\"search\"}",
        // Group commit (issue 21): requests written and the commits they shared.
        "controlroom_write_requests_total ",
        "controlroom_write_commits_total ",
        "controlroom_writes_waiting ",
    ] {
        assert!(metrics.contains(line), "{line}: {metrics}");
    }
    // Readiness names the log's head and how far behind it this server is.
    let (status, ready) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["behind"]["head"], app.chain_head().await, "{ready}");
    assert!(
        ready["behind"]["live_feed"].as_i64().unwrap() >= 0,
        "{ready}"
    );

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

    // Query strings are declared in the query, not as (required) path parameters.
    for (path, name) in [
        ("/api/v1/incidents", "status"),
        ("/api/v1/crimes", "status"),
        ("/api/v1/diary", "area"),
        ("/api/v1/diary/next", "after"),
    ] {
        let params = doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap_or_else(|| panic!("{path} has no parameters"));
        assert!(
            params.iter().all(|p| p["in"] == "query"),
            "{path}: {params:?}"
        );
        assert!(params.iter().any(|p| p["name"] == name), "{path}: {name}");
    }
    // Ids are UUIDs.
    let id = &doc["paths"]["/api/v1/incidents/{id}"]["get"]["parameters"][0];
    assert_eq!(
        (&id["name"], &id["in"], &id["schema"]["format"]),
        (&"id".into(), &"path".into(), &"uuid".into()),
        "{id}"
    );
    // Lengths the domain refuses beyond are in the schema.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["CallerInput"]["properties"]["name"]["maxLength"],
        200
    );
    assert_eq!(
        schemas["CreateContact"]["properties"]["summary"]["maxLength"],
        4000
    );
    // /hocr/count says what it reads.
    assert!(
        doc["paths"]["/api/v1/hocr/count"]["post"]["requestBody"]["content"]["application/json"]
            .is_object()
    );
    // Every operation documents its errors as problem+json, and only as problem+json.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "401", "422", "503"] {
                assert!(
                    responses[status]["content"]["application/problem+json"].is_object(),
                    "{method} {path}: {status} is not documented as problem+json"
                );
            }
            for (status, response) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    assert!(
                        response["content"].get("application/json").is_none(),
                        "{method} {path}: {status} is documented as application/json"
                    );
                }
            }
        }
    }
    // A query string that does not fit answers problem+json naming the parameter.
    let answer = app
        .get_response("/api/v1/diary?date=2026-01-01", Some(&token))
        .await;
    assert_eq!(answer.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(answer.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(problem["field"], "area", "{problem}");
    assert_eq!(problem["code"], "invalid_input", "{problem}");

    // Readiness follows the database.
    app.app.store.close().await;
    let (status, problem) = app.get("/readyz", None).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{problem}");
    app.database.drop_database().await;
}
