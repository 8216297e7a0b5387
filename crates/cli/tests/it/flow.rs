//! The whole life of an incident over HTTP, and who may do what.

use controlroom_testkit::{Backend, TestApp, both_backends, text};
use reqwest::StatusCode;
use serde_json::json;

both_backends!(a_contact_handler_takes_an_incident_from_first_call_to_close);
both_backends!(roles_are_enforced_on_every_endpoint);

async fn a_contact_handler_takes_an_incident_from_first_call_to_close(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;

    // First caller: opens an incident with today's next reference.
    let first = app
        .take_999(&handler, "Man with a knife outside the shop")
        .await;
    let id = first["incident"]["id"].as_str().unwrap().to_owned();
    let at = |what: &str| format!("/api/v1/incidents/{id}/{what}");
    let reference = first["incident"]["reference"].as_str().unwrap().to_owned();
    assert!(first["contact"]["id"].is_string());
    assert_eq!(reference.len(), "20261122-0001".len());
    assert!(reference.ends_with("-0001"), "{reference}");
    assert_eq!(first["incident"]["status"], "open");
    assert_eq!(first["incident"]["opened_by"], "handler");

    // Second caller about the same event joins it.
    let mut second = controlroom_testkit::contact_body("Same man, now running towards the park");
    second["incident_id"] = json!(id);
    second["channel"] = json!("101");
    let (status, joined) = app.post("/api/v1/contacts", Some(&handler), &second).await;
    assert_eq!(status, StatusCode::CREATED, "{joined}");
    assert_eq!(joined["incident"]["id"], id.as_str());
    assert_eq!(joined["incident"]["contacts"].as_array().unwrap().len(), 2);

    // Log entries, including a correction that leaves the original as written.
    let red = json!({"text": "Suspect in red jacket"});
    let log = app
        .post_status(&handler, &at("log"), red, StatusCode::CREATED)
        .await;
    assert_eq!(log["log_entry"], 1);
    let blue = json!({"text": "Correction: blue jacket", "corrects": 1});
    let log = app
        .post_status(&handler, &at("log"), blue, StatusCode::CREATED)
        .await;
    assert_eq!(log["incident"]["log"][0]["text"], "Suspect in red jacket");
    assert_eq!(log["incident"]["log"][1]["corrects"], 1);

    // Grade, close, reopen, grade again, close again.
    let graded = app
        .grade(&handler, &id, "emergency", "Weapon seen; risk to life")
        .await;
    assert_eq!(graded["incident"]["status"], "graded");
    assert_eq!(graded["incident"]["grade"], "emergency");
    let close = json!({
        "closing_code": "crime_arrest",
        "qualifiers": ["knife"],
        "final_incident_type": "CRIME_WEAPONS",
        "crime_reference": "CRN-2026-1",
        "resolution": "Suspect detained by officers",
    });
    // An emergency no unit attended, citing a crime number this incident never recorded: both
    // rules are named and nothing is recorded.
    let head = app.chain_head().await;
    let (status, refused) = app.post(&at("close"), Some(&handler), &close).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    let rules: Vec<&str> = refused["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["rule"].as_str())
        .collect();
    assert_eq!(
        rules,
        ["NCRS-CRIME-REFERENCE", "GRADED-RESPONSE-UNATTENDED"],
        "{refused}"
    );
    assert_eq!(app.chain_head().await, head);
    assert_eq!(
        app.get(&format!("/api/v1/incidents/{id}"), Some(&handler))
            .await
            .1["needs_unattended_approval"],
        true
    );
    // The handler cannot approve it; the supervisor can, with the reason.
    let approve = json!({"reason": "Neighbouring force's officers detained him at the scene"});
    let path = format!("/api/v1/incidents/{id}/unattended-closure-approval");
    let (status, _) = app.post(&path, Some(&handler), &approve).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let supervisor = app.signed_in("sergeant", "supervisor").await;
    let (status, approved) = app.post(&path, Some(&supervisor), &approve).await;
    assert_eq!(status, StatusCode::OK, "{approved}");
    assert_eq!(approved["incident"]["unattended_closure"]["by"], "sergeant");
    assert_eq!(approved["incident"]["needs_unattended_approval"], false);
    // Another force's crime number is its own: closed as transferred.
    let mut close = close;
    close["closing_code"] = json!("crime_transferred");
    let (status, closed) = app.post(&at("close"), Some(&handler), &close).await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["incident"]["status"], "closed");
    assert_eq!(
        closed["incident"]["closure"]["closing_code"],
        "CRIME_TRANSFERRED"
    );
    assert_eq!(
        closed["incident"]["closure"]["crime_reference"],
        "CRN-2026-1"
    );
    assert_eq!(
        closed["incident"]["incident_type"], "CRIME_WEAPONS",
        "the final type is recorded"
    );
    assert_eq!(
        closed["incident"]["closure"]["qualifiers"],
        json!(["KNIFE"])
    );
    let rang_back = json!({"reason": "Victim rang back: second suspect"});
    let reopened = app
        .post_status(&handler, &at("reopen"), rang_back, StatusCode::OK)
        .await;
    assert_eq!(reopened["incident"]["status"], "open");
    assert!(reopened["incident"]["closure"].is_null());

    // Read it back: everything is there, with who and when.
    let incident = app
        .get_ok(&handler, &format!("/api/v1/incidents/{id}"))
        .await;
    let history: Vec<_> = incident["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["to"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(history, ["open", "graded", "closed", "open"]);
    assert_eq!(
        incident["history"][3]["reason"],
        "Victim rang back: second suspect"
    );
    assert_eq!(incident["contacts"][1]["channel"], "101");
    assert_eq!(incident["contacts"][0]["caller"]["phone"], "07700 900123");
    assert_eq!(incident["log"].as_array().unwrap().len(), 2);

    // A second incident, then the list and its filters.
    let other = app.take_999(&handler, "Noise complaint").await;
    let other_ref = other["incident"]["reference"].as_str().unwrap();
    assert!(other_ref.ends_with("-0002"), "{other_ref}");
    let list = app.get_ok(&handler, "/api/v1/incidents?status=open").await;
    assert_eq!(list["count"], 2);
    assert_eq!(list["incidents"][0]["reference"], other_ref, "newest first");
    let (_, graded_list) = app
        .get("/api/v1/incidents?status=graded,closed", Some(&handler))
        .await;
    assert_eq!(graded_list["count"], 0);
    let (_, emergencies) = app
        .get("/api/v1/incidents?grade=emergency", Some(&handler))
        .await;
    assert_eq!(emergencies["count"], 1);
    assert_eq!(emergencies["incidents"][0]["contact_count"], 2);
    let future = (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(1)).to_string();
    let (_, none) = app
        .get(
            &format!("/api/v1/incidents?opened_from={future}"),
            Some(&handler),
        )
        .await;
    assert_eq!(none["count"], 0);
    let (_, one) = app.get("/api/v1/incidents?limit=1", Some(&handler)).await;
    assert_eq!(one["count"], 1);

    // Every read of personal data is in the audit trail, after the chain still verifies.
    let consulted = app.audit_records().await;
    assert!(consulted.iter().any(|r| r.record.kind == "incident_viewed"
        && r.record.stream == format!("incident/{id}")
        && r.record.actor == "handler"));
    assert!(
        consulted
            .iter()
            .any(|r| r.record.kind == "incidents_listed")
    );
    let verified = app.verify_audit_trail().await;
    assert_eq!(verified.incidents, 2);
    app.finish().await;
}

async fn roles_are_enforced_on_every_endpoint(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let admin = app.signed_in("admin", "admin").await;
    let auditor = app.signed_in("auditor", "auditor").await;
    let recorder = app.signed_in("recorder", "crime_recorder").await;

    // A contact handler cannot use an administrator's endpoint.
    let new_user =
        json!({"username": "newbie", "role": "dispatcher", "password": "long enough password"});
    let (status, problem) = app.post("/api/v1/users", Some(&handler), &new_user).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "forbidden");
    assert!(text(&problem["detail"]).contains("contact handler"));
    let (status, _) = app.get("/api/v1/users", Some(&handler)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = app.get("/api/v1/audit/verify", Some(&handler)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The administrator can, but has no business reading incidents.
    let (status, created) = app.post("/api/v1/users", Some(&admin), &new_user).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, _) = app.post("/api/v1/users", Some(&admin), &new_user).await;
    assert_eq!(status, StatusCode::CONFLICT, "the same username twice");
    let users = app.get_ok(&admin, "/api/v1/users").await;
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "newbie" && u["role"] == "dispatcher")
    );
    let (status, _) = app.get("/api/v1/incidents", Some(&admin)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let contact = controlroom_testkit::contact_body("x");
    let (status, _) = app.post("/api/v1/contacts", Some(&admin), &contact).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The auditor reads and verifies, but changes nothing.
    let taken = app.take_999(&handler, "Shed broken into").await;
    let id = taken["incident"]["id"].as_str().unwrap();
    let at = |what: &str| format!("/api/v1/incidents/{id}/{what}");
    let (status, _) = app
        .get(&format!("/api/v1/incidents/{id}"), Some(&auditor))
        .await;
    assert_eq!(status, StatusCode::OK);
    let grade = json!({"grade": "priority", "rationale": "x"});
    app.post_status(&auditor, &at("grade"), grade, StatusCode::FORBIDDEN)
        .await;
    let verified = app.get_ok(&auditor, "/api/v1/audit/verify").await;
    assert_eq!(verified["ok"], true);

    // A crime recorder writes to the log but does not grade or close.
    let entry = json!({"text": "Crime number to follow"});
    app.post_status(&recorder, &at("log"), entry, StatusCode::CREATED)
        .await;
    let close = json!({"closing_code": "x", "resolution": "y"});
    app.post_status(&recorder, &at("close"), close, StatusCode::FORBIDDEN)
        .await;

    // No token, or a made-up one: 401 with a way forward.
    let (status, problem) = app.get("/api/v1/incidents", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(problem["detail"].as_str().unwrap().contains("sign in"));
    let (status, _) = app.get("/api/v1/incidents", Some(&"0".repeat(64))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, problem) = app
        .post(
            "/api/v1/session",
            None,
            &json!({"username": "handler", "password": "wrong password"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(problem["detail"], "the username or password is wrong");
    app.finish().await;
}
