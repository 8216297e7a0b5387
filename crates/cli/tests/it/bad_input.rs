//! Bad input gets a 4xx problem+json that says what to fix, and changes nothing.

use controlroom_testkit::{Backend, TestApp, both_backends, contact_body, read};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(bad_input_is_refused_with_a_problem_and_changes_nothing);

async fn bad_input_is_refused_with_a_problem_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let open = app.take_999(&token, "Fight in the street").await;
    let id = open["incident"]["id"].as_str().unwrap().to_owned();
    let (status, closed_one) = app
        .post(
            "/api/v1/contacts",
            Some(&token),
            &contact_body("Closed already"),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let closed_id = closed_one["incident"]["id"].as_str().unwrap().to_owned();
    app.assess(&token, &closed_id).await;
    app.grade(&token, &closed_id, "scheduled", "r").await;
    let close = json!({"closing_code": "ADMIN_NO_TRACE", "final_incident_type": "ADMIN_ABANDONED_CALL", "resolution": "done"});
    let close_path = format!("/api/v1/incidents/{closed_id}/close");
    app.post_status(&token, &close_path, close, StatusCode::OK)
        .await;

    let head_before = app.chain_head().await;
    let listed = || async {
        app.app
            .store
            .list_incidents(&controlroom_store::IncidentFilter {
                limit: 100,
                ..Default::default()
            })
            .await
            .unwrap()
    };
    let listed_before = listed().await;

    let raw = |path: &str, body: Vec<u8>, content_type: &str| {
        app.client
            .post(app.url(path))
            .bearer_auth(&token)
            .header("content-type", content_type.to_owned())
            .body(body)
    };
    let json_to = |path: &str, body: Vec<u8>| raw(path, body, "application/json");
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut body = contact_body("Something happened");
        edit(&mut body);
        serde_json::to_vec(&body).unwrap()
    };
    let without = |field: &str| {
        with(&|b| {
            b.as_object_mut().unwrap().remove(field);
        })
    };
    let contact = |body: Vec<u8>| json_to("/api/v1/contacts", body);
    let unknown = uuid::Uuid::new_v4();
    let cases: Vec<(&str, reqwest::RequestBuilder, StatusCode, Option<&str>)> = vec![
        (
            "malformed JSON",
            contact(b"{\"channel\": \"999\",".to_vec()),
            StatusCode::BAD_REQUEST,
            None,
        ),
        (
            "not JSON at all",
            raw(
                "/api/v1/contacts",
                b"channel=999".to_vec(),
                "application/x-www-form-urlencoded",
            ),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
        ),
        (
            "missing summary",
            contact(without("summary")),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            "missing caller",
            contact(without("caller")),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            "wrong type",
            contact(with(&|b| b["caller"]["is_victim"] = json!("yes"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            "number for text",
            contact(with(&|b| b["summary"] = json!(42))),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            "unknown channel",
            contact(with(&|b| b["channel"] = json!("carrier_pigeon"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("channel"),
        ),
        (
            "unknown field",
            contact(with(&|b| b["callback_number"] = json!("1"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            "blank caller name",
            contact(with(&|b| b["caller"]["name"] = json!("   "))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("caller.name"),
        ),
        (
            "bad phone",
            contact(with(&|b| b["caller"]["phone"] = json!("ring me"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("caller.phone"),
        ),
        (
            "latitude out of range",
            contact(with(&|b| b["location"]["lat"] = json!(123.0))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("location.lat"),
        ),
        (
            "bad time",
            contact(with(&|b| b["received_at"] = json!("last Tuesday"))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("received_at"),
        ),
        (
            "join unknown incident",
            contact(with(&|b| b["incident_id"] = json!(unknown))),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("incident_id"),
        ),
        (
            "join a closed incident",
            contact(with(&|b| b["incident_id"] = json!(closed_id))),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "10 MB body",
            contact(vec![b' '; 10 * 1024 * 1024]),
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
        ),
        (
            "unknown grade",
            json_to(
                &format!("/api/v1/incidents/{id}/grade"),
                br#"{"grade":"urgent","rationale":"r"}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("grade"),
        ),
        (
            "a 60,000-character name in a search",
            json_to(
                "/api/v1/search",
                format!(r#"{{"name":"{}"}}"#, "a".repeat(60_000)).into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("name"),
        ),
        (
            "grade below emergency before any assessment",
            json_to(
                &format!("/api/v1/incidents/{id}/grade"),
                br#"{"grade":"scheduled","rationale":"sounds minor"}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("grade"),
        ),
        (
            "an answer to a question that is not a fact",
            json_to(
                &format!("/api/v1/incidents/{id}/answers"),
                br#"{"answers":{"BANANA":"yes"}}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("answers[0]"),
        ),
        (
            "an answer guessed from a letter",
            json_to(
                &format!("/api/v1/incidents/{id}/answers"),
                br#"{"answers":{"INJURY":"n"}}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("answers[0]"),
        ),
        (
            "a DASH checklist with questions not asked",
            json_to(
                &format!("/api/v1/incidents/{id}/dash"),
                format!(r#"{{"answers":[{}"not_asked"]}}"#, r#""no","#.repeat(26)).into_bytes(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("answers"),
        ),
        (
            "a supervisor's approval asked of a handler",
            json_to(
                &format!("/api/v1/incidents/{id}/unattended-closure-approval"),
                br#"{"reason":"all safe"}"#.to_vec(),
            ),
            StatusCode::FORBIDDEN,
            None,
        ),
        (
            "grade without rationale",
            json_to(
                &format!("/api/v1/incidents/{id}/grade"),
                br#"{"grade":"priority","rationale":""}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("rationale"),
        ),
        (
            "close without a closing code",
            json_to(
                &format!("/api/v1/incidents/{id}/close"),
                br#"{"resolution":"done"}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Some("closing_code"),
        ),
        (
            "close before grading",
            json_to(
                &format!("/api/v1/incidents/{id}/close"),
                br#"{"closing_code":"NFA","resolution":"done"}"#.to_vec(),
            ),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "reopen an open incident",
            json_to(
                &format!("/api/v1/incidents/{id}/reopen"),
                br#"{"reason":"why not"}"#.to_vec(),
            ),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "grade a closed incident",
            json_to(
                &format!("/api/v1/incidents/{closed_id}/grade"),
                br#"{"grade":"emergency","rationale":"r"}"#.to_vec(),
            ),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "write to a closed log",
            json_to(
                &format!("/api/v1/incidents/{closed_id}/log"),
                br#"{"text":"more"}"#.to_vec(),
            ),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "correct a missing entry",
            json_to(
                &format!("/api/v1/incidents/{id}/log"),
                br#"{"text":"fix","corrects":9}"#.to_vec(),
            ),
            StatusCode::CONFLICT,
            None,
        ),
        (
            "negative correction",
            json_to(
                &format!("/api/v1/incidents/{id}/log"),
                br#"{"text":"fix","corrects":-1}"#.to_vec(),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
        ),
        (
            "unknown incident",
            json_to(
                &format!("/api/v1/incidents/{unknown}/log"),
                br#"{"text":"hello"}"#.to_vec(),
            ),
            StatusCode::NOT_FOUND,
            None,
        ),
        (
            "not an incident id",
            json_to(
                "/api/v1/incidents/42/grade",
                br#"{"grade":"priority","rationale":"r"}"#.to_vec(),
            ),
            StatusCode::BAD_REQUEST,
            None,
        ),
    ];
    for (what, request, expected, field) in cases {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, problem) = read(response).await;
        assert_eq!(status, expected, "{what}: {problem}");
        assert_eq!(
            content_type.as_deref(),
            Some("application/problem+json"),
            "{what}"
        );
        assert_eq!(problem["status"], expected.as_u16(), "{what}");
        assert!(
            !problem["detail"].as_str().unwrap_or_default().is_empty(),
            "{what}: {problem}"
        );
        if let Some(field) = field {
            assert_eq!(problem["field"], field, "{what}: {problem}");
        }
    }

    // Reads that fail: unknown or malformed ids, unknown filters.
    for (path, expected) in [
        (
            format!("/api/v1/incidents/{unknown}"),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/v1/incidents/not-a-uuid".to_owned(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/v1/incidents?status=sleeping".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/incidents?limit=100000".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/api/v1/incidents?limit=ten".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("/api/v1/no-such-thing".to_owned(), StatusCode::NOT_FOUND),
    ] {
        let (status, problem) = app.get(&path, Some(&token)).await;
        assert_eq!(status, expected, "{path}: {problem}");
        assert!(problem["detail"].is_string(), "{path}");
    }

    // Nothing was recorded and nothing changed.
    assert_eq!(
        app.chain_head().await,
        head_before,
        "no event or audit record was written"
    );
    let listed_after = listed().await;
    assert_eq!(listed_after, listed_before);
    app.finish().await;
}
