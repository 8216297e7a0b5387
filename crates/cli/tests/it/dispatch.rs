//! Dispatch over the API: recommendation by suitability and distance, early dispatch, one
//! incident per unit (even when two dispatchers race), the unit status machine, and every
//! unit change in the incident log.

use controlroom_testkit::{Backend, TestApp, both_backends, text, texts_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(units_are_recommended_assigned_and_tracked);
both_backends!(the_last_unit_clears_and_the_incident_is_resolved);
both_backends!(an_incident_with_no_position_still_gets_units_and_is_dispatched);

async fn unit(
    app: &TestApp,
    token: &str,
    call_sign: &str,
    unit_type: &str,
    skills: &[&str],
    at: (f64, f64),
) -> String {
    let u = app.ok(token, "/api/v1/units", json!({"call_sign": call_sign, "unit_type": unit_type, "skills": skills, "station": "Elland Road", "crew": ["PC 101"]})).await;
    let id = u["id"].as_str().unwrap().to_owned();
    app.ok(
        token,
        &format!("/api/v1/units/{id}/position"),
        json!({"lat": at.0, "lon": at.1}),
    )
    .await;
    id
}

async fn incident(app: &TestApp, token: &str, incident_type: &str, qualifiers: &[&str]) -> String {
    let mut body = controlroom_testkit::contact_body("Man waving a knife outside the shop");
    body["incident_type"] = json!(incident_type);
    body["location"] = json!({"text": "Briggate, Leeds", "lat": 53.7975, "lon": -1.5450});
    let id = app.open_incident(token, body).await;
    if !qualifiers.is_empty() {
        app.ok(
            token,
            &format!("/api/v1/incidents/{id}/classify"),
            json!({"qualifiers": qualifiers}),
        )
        .await;
    }
    id
}

/// The dispatcher moves unit `unit` on, which must be accepted; returns the unit.
async fn set_status(app: &TestApp, dispatcher: &str, unit: &str, body: Value) -> Value {
    app.ok(dispatcher, &format!("/api/v1/units/{unit}/status"), body)
        .await
}

/// A server with a contact handler and a dispatcher signed in, and their tokens.
async fn control_room(backend: Backend) -> (TestApp, String, String) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let dispatcher = app.signed_in("dispatcher", "dispatcher").await;
    (app, handler, dispatcher)
}

async fn units_are_recommended_assigned_and_tracked(backend: Backend) {
    let (app, handler, dispatcher) = control_room(backend).await;
    let d = dispatcher.as_str();

    let (status, _) = app
        .post(
            "/api/v1/units",
            Some(&handler),
            &json!({"call_sign": "X1", "unit_type": "response", "station": "S"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a contact handler does not manage units"
    );
    let near = unit(&app, d, "AL11", "response", &[], (53.7980, -1.5455)).await;
    let taser = unit(
        &app,
        d,
        "AL12",
        "response",
        &["taser", "first_aid"],
        (53.8300, -1.5000),
    )
    .await;
    let armed = unit(
        &app,
        d,
        "TANGO1",
        "armed_response",
        &["firearms", "taser"],
        (53.8500, -1.6000),
    )
    .await;
    let (status, problem) = app
        .post(
            "/api/v1/units",
            Some(d),
            &json!({"call_sign": "al11", "unit_type": "response", "station": "S"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");

    // A knife: the Taser crew first, though the nearest unit is closer.
    let knife = incident(&app, &handler, "CRIME_VIOLENCE", &["KNIFE"]).await;
    let ranked = app
        .get_ok(d, &format!("/api/v1/incidents/{knife}/recommendations"))
        .await;
    let order = texts_at(&ranked, "call_sign");
    assert_eq!(order[0], "AL12", "{ranked}");
    assert_eq!(ranked[0]["suitable"], true);
    assert!(ranked[0]["eta_seconds"].as_i64().unwrap() > 0);
    assert_eq!(order.last(), Some(&"AL11"), "unsuitable units come last");

    // A firearm: the armed response unit.
    let gun = incident(&app, &handler, "FIREARMS_INCIDENT", &[]).await;
    let (_, ranked) = app
        .get(&format!("/api/v1/incidents/{gun}/recommendations"), Some(d))
        .await;
    assert_eq!(ranked[0]["call_sign"], "TANGO1");

    // Early dispatch: sent before grading, because it has a place and a type.
    let assigned = app
        .ok(
            d,
            &format!("/api/v1/incidents/{knife}/assign"),
            json!({"unit": taser}),
        )
        .await;
    assert_eq!(assigned["status"], "dispatched");

    // Two dispatchers race to send the armed unit to two incidents: exactly one wins.
    let other = incident(&app, &handler, "FIREARMS_INCIDENT", &[]).await;
    let send = |incident: String| {
        let client = app.client.clone();
        let url = app.url(&format!("/api/v1/incidents/{incident}/assign"));
        let body = json!({"unit": armed});
        let token = dispatcher.clone();
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let (a, b) = tokio::join!(send(gun.clone()), send(other.clone()));
    let wins = [a, b].iter().filter(|s| s.is_success()).count();
    assert_eq!(wins, 1, "one assignment wins: {a} {b}");
    assert!([a, b].contains(&StatusCode::CONFLICT));

    // The unit cannot be in two incidents at once.
    let assign = format!("/api/v1/incidents/{gun}/assign");
    let problem = app
        .post_status(d, &assign, json!({"unit": taser}), StatusCode::CONFLICT)
        .await;
    assert!(
        text(&problem["detail"]).contains("AL12 is assigned"),
        "{problem}"
    );

    // The status machine: only real moves; at scene is the incident's arrival; all in the log.
    app.post_status(
        d,
        &format!("/api/v1/units/{near}/status"),
        json!({"status": "at_scene"}),
        StatusCode::CONFLICT,
    )
    .await;
    set_status(&app, d, &taser, json!({"status": "en_route"})).await;
    set_status(&app, d, &taser, json!({"status": "at_scene"})).await;
    let (_, now) = app
        .get(&format!("/api/v1/incidents/{knife}"), Some(d))
        .await;
    assert_eq!(now["status"], "at_scene");
    let cleared = set_status(
        &app,
        d,
        &taser,
        json!({"status": "available", "reason": "suspect detained"}),
    )
    .await;
    assert_eq!(cleared["status"], "available");
    assert!(cleared["incident"].is_null());
    let (_, after) = app
        .get(&format!("/api/v1/incidents/{knife}"), Some(d))
        .await;
    let log = texts_at(&after["log"], "text");
    assert_eq!(
        log,
        [
            "AL12 en route",
            "AL12 at scene",
            "AL12 available: suspect detained"
        ],
        "{log:?}"
    );
    assert!(
        after["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["to"] == "dispatched" && h["reason"] == "AL12 assigned")
    );

    // A late arrival needs the reason the target was missed, and it goes in the log.
    app.grade(&handler, &gun, "emergency", "armed man").await;
    let winner = if a.is_success() {
        gun.clone()
    } else {
        other.clone()
    };
    if winner != gun {
        app.ok(
            d,
            &format!("/api/v1/incidents/{gun}/assign"),
            json!({"unit": near}),
        )
        .await;
    }
    let on_gun = if winner == gun {
        armed.clone()
    } else {
        near.clone()
    };
    app.clock.advance(jiff::SignedDuration::from_mins(11));
    let (_, soon) = app.get(&format!("/api/v1/incidents/{gun}"), Some(d)).await;
    assert_eq!(
        soon["clocks"]["attendance"]["due_soon"], true,
        "warned before the target is missed: {soon}"
    );
    assert_eq!(soon["clocks"]["attendance"]["overdue"], false);
    for _ in 0..2 {
        app.clock.advance(jiff::SignedDuration::from_mins(4));
        app.get("/api/v1/session", Some(d)).await;
        app.get("/api/v1/session", Some(&handler)).await;
    }
    let problem = app
        .post_status(
            d,
            &format!("/api/v1/units/{on_gun}/status"),
            json!({"status": "at_scene"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(problem["field"], "reason");
    assert!(
        text(&problem["detail"]).contains("15-minute attendance target was missed"),
        "{problem}"
    );
    set_status(
        &app,
        d,
        &on_gun,
        json!({"status": "at_scene", "reason": "held at a road closure"}),
    )
    .await;
    let (_, late) = app.get(&format!("/api/v1/incidents/{gun}"), Some(d)).await;
    assert!(
        texts_at(&late["log"], "text")
            .contains(&"Attendance target of 15 minutes missed: held at a road closure"),
        "{late}"
    );
    assert_eq!(late["clocks"]["attendance"]["met"], false);

    // Reassign: the unit on the knife call moves to a more urgent incident in one step.
    let urgent = incident(&app, &handler, "CRIME_VIOLENCE", &[]).await;
    app.ok(
        d,
        &format!("/api/v1/incidents/{knife}/assign"),
        json!({"unit": taser}),
    )
    .await;
    let moved = app
        .ok(
            d,
            &format!("/api/v1/units/{taser}/reassign"),
            json!({"incident": urgent, "reason": "life at risk on the other call"}),
        )
        .await;
    assert_eq!(moved["status"], "dispatched");
    let (_, old) = app
        .get(&format!("/api/v1/incidents/{knife}"), Some(d))
        .await;
    assert!(
        old["log"].as_array().unwrap().iter().any(|e| e["text"]
            .as_str()
            .unwrap()
            .starts_with("AL12 reassigned to")),
        "{old}"
    );
    let (_, units_now) = app.get("/api/v1/units", Some(d)).await;
    let al12 = units_now
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["call_sign"] == "AL12")
        .unwrap()
        .clone();
    assert_eq!(al12["incident"], urgent.as_str());
    assert_eq!(al12["status"], "assigned");

    let units = app.get_ok(d, "/api/v1/units").await;
    assert_eq!(units.as_array().unwrap().len(), 3);
    app.verify_audit_trail().await;
    app.finish().await;
}

/// The board's end of a job: each unit names the incident it is on by reference (also after a
/// restart), the incident cannot be resolved while a unit is still on it, and once the last
/// unit clears it is resolved with the result, by a role that may, once.
async fn the_last_unit_clears_and_the_incident_is_resolved(backend: Backend) {
    let (app, handler, dispatcher) = control_room(backend).await;
    let auditor = app.signed_in("auditor", "auditor").await;
    let d = dispatcher.as_str();
    let first = unit(&app, d, "AL31", "response", &[], (53.7980, -1.5455)).await;
    let second = unit(&app, d, "AL32", "response", &[], (53.8000, -1.5400)).await;
    let job = incident(&app, &handler, "CRIME_VIOLENCE", &[]).await;
    let elsewhere = incident(&app, &handler, "CRIME_VIOLENCE", &[]).await;
    app.assess(&handler, &job).await;
    app.grade(&handler, &job, "priority", "fight, no weapons")
        .await;
    let (_, seen) = app.get(&format!("/api/v1/incidents/{job}"), Some(d)).await;
    let reference = seen["reference"].as_str().unwrap().to_owned();
    for u in [&first, &second] {
        app.ok(
            d,
            &format!("/api/v1/incidents/{job}/assign"),
            json!({"unit": u}),
        )
        .await;
    }

    // Each unit names its incident by reference; a busy unit is refused by reference too.
    let (_, units) = app.get("/api/v1/units", Some(d)).await;
    for u in units.as_array().unwrap() {
        assert_eq!(u["incident_reference"], reference.as_str(), "{u}");
    }
    let assign = format!("/api/v1/incidents/{elsewhere}/assign");
    let problem = app
        .post_status(d, &assign, json!({"unit": first}), StatusCode::CONFLICT)
        .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(&reference), "{problem}");
    assert!(!detail.contains(&job), "no raw id: {problem}");
    // The registry rebuilt at start-up knows the references too.
    let restarted = controlroom_app::App::new(
        app.app.store.clone(),
        app.clock.clone(),
        controlroom_app::Settings::default(),
    );
    controlroom_app::dispatch::load(&restarted).await.unwrap();
    let job_id = controlroom_domain::incident::IncidentId(job.parse().unwrap());
    assert_eq!(
        restarted.units.incident_reference(job_id).as_deref(),
        Some(reference.as_str())
    );

    // Not while units are on it; not by a role that may not; not without a result.
    let resolve = format!("/api/v1/incidents/{job}/resolve");
    let result = json!({"resolution": "Suspect arrested; no injuries"});
    let (status, problem) = app.post(&resolve, Some(d), &result).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("AL31 (assigned)") && detail.contains("AL32 (assigned)"),
        "{problem}"
    );
    let (status, problem) = app.post(&resolve, Some(&auditor), &result).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    set_status(&app, d, &second, json!({"status": "available"})).await;
    let (status, problem) = app.post(&resolve, Some(d), &result).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "one unit is still on it: {problem}"
    );
    assert!(problem["detail"].as_str().unwrap().contains("AL31"));
    set_status(
        &app,
        d,
        &first,
        json!({"status": "available", "reason": "Suspect arrested; no injuries"}),
    )
    .await;
    assert_eq!(
        app.app.units.incident_reference(job_id),
        None,
        "no unit is on it any more: the registry forgets its reference"
    );
    let problem = app
        .post_status(
            d,
            &resolve,
            json!({"resolution": "  "}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert_eq!(problem["field"], "resolution");

    let head = app.chain_head().await;
    let resolved = app.ok(d, &resolve, result.clone()).await;
    assert_eq!(resolved["incident"]["status"], "resolved", "{resolved}");
    assert!(app.chain_head().await > head, "the resolution is recorded");
    let (_, units) = app.get("/api/v1/units", Some(d)).await;
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["incident_reference"].is_null())
    );
    let (status, problem) = app.post(&resolve, Some(d), &result).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(text(&problem["detail"]).contains("already resolved"));
    app.verify_audit_trail().await;
    app.finish().await;
}

/// A caller who cannot say where they are (or a place the gazetteer does not know) must not
/// hold up a dispatch: the units still come, unranked, with the time to attend unknown, the
/// answer saying why, and one can be sent.
async fn an_incident_with_no_position_still_gets_units_and_is_dispatched(backend: Backend) {
    let (app, handler, dispatcher) = control_room(backend).await;
    let d = dispatcher.as_str();
    let far = unit(&app, d, "ZULU9", "response", &["taser"], (53.90, -1.70)).await;
    let near = unit(&app, d, "BRAVO2", "response", &[], (53.7976, -1.5451)).await;
    // A unit that has not reported a position yet can still be sent somewhere unplaced.
    let blind = app.ok(d, "/api/v1/units", json!({"call_sign": "ALPHA1", "unit_type": "response", "skills": ["taser"], "station": "Elland Road"})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mut body = controlroom_testkit::contact_body("Man with a knife, caller cannot say where");
    body["incident_type"] = json!("CRIME_VIOLENCE");
    body["location"] = json!({"text": "somewhere near a canal, caller unsure"});
    let id = app.open_incident(&handler, body).await;
    app.ok(
        &handler,
        &format!("/api/v1/incidents/{id}/classify"),
        json!({"qualifiers": ["KNIFE"]}),
    )
    .await;

    let head = app.chain_head().await;
    let listed = app
        .get_ok(d, &format!("/api/v1/incidents/{id}/recommendations"))
        .await;
    let listed = listed.as_array().unwrap().clone();
    let order: Vec<&str> = listed
        .iter()
        .map(|c| c["call_sign"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        ["ALPHA1", "ZULU9", "BRAVO2"],
        "the Taser crews first, then by call sign, not by distance"
    );
    assert_eq!(listed[2]["suitable"], false);
    for c in &listed {
        assert!(c["eta_seconds"].is_null(), "time to attend unknown: {c}");
        assert!(c["distance_metres"].is_null(), "{c}");
        assert_eq!(
            c["reasons"][0],
            "no position for this incident yet: units are listed by call sign, not by distance; send the one you choose"
        );
    }
    // The look is a consultation naming the units shown (DPA 2018 s.62).
    let viewed: Vec<_> = app
        .app
        .store
        .audit_records(head, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.record.kind == "recommendation_viewed")
        .collect();
    assert_eq!(viewed.len(), 1);
    let payload: Value = serde_json::from_str(&viewed[0].record.payload).unwrap();
    assert_eq!(payload["units"], json!([blind, far, near]));

    // And one is sent, with no position ever given.
    let assigned = app
        .ok(
            d,
            &format!("/api/v1/incidents/{id}/assign"),
            json!({"unit": blind}),
        )
        .await;
    assert_eq!(assigned["status"], "dispatched", "{assigned}");
    let (_, units) = app.get("/api/v1/units", Some(d)).await;
    let sent = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == blind.as_str())
        .unwrap();
    assert_eq!(sent["status"], "assigned", "{sent}");
}
