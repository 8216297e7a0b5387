//! Every read of personal data leaves a consultation (access) record naming who looked, what
//! was shown (by id) and when (DPA 2018 s.62): the unit board, a recommendation, the diary
//! (a day, and the next free slot), a POLE record, the staff list. One record per request, compact.

use controlroom_domain::Clock;
use controlroom_domain::audit::StoredRecord;
use controlroom_testkit::{Backend, TestApp, both_backends};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(every_read_of_personal_data_is_recorded_naming_what_was_shown);

/// The records appended since `after` (a sequence number).
async fn since(app: &TestApp, after: i64) -> Vec<StoredRecord> {
    app.app.store.audit_records(after, 10_000).await.unwrap()
}

/// The one access record of `kind` the request left, checked for who and when.
async fn the_record(app: &TestApp, after: i64, kind: &str, who: &str) -> (String, Value) {
    let found: Vec<_> = since(app, after)
        .await
        .into_iter()
        .filter(|r| r.record.kind == kind)
        .collect();
    assert_eq!(found.len(), 1, "one {kind} record per request: {found:?}");
    let r = &found[0].record;
    assert_eq!(r.category, "access", "{kind}");
    assert_eq!(r.actor, who, "{kind}: who looked");
    assert_eq!(
        r.at_micros,
        app.clock.now().as_microsecond(),
        "{kind}: when they looked"
    );
    assert!(r.payload.len() < 2_000, "{kind}: compact: {}", r.payload);
    (r.stream.clone(), serde_json::from_str(&r.payload).unwrap())
}

fn names(payload: &Value, key: &str) -> Vec<String> {
    payload[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {payload}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

async fn every_read_of_personal_data_is_recorded_naming_what_was_shown(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let desk = app.signed_in("desk", "dispatcher").await;
    let h = handler.as_str();
    let d = desk.as_str();

    // A unit with a crew near an incident with a place.
    let unit = app.ok(d, "/api/v1/units", json!({"call_sign": "AL11", "unit_type": "response", "station": "Elland Road", "crew": ["PC 101 Jones"]})).await;
    let unit_id = unit["id"].as_str().unwrap().to_owned();
    app.ok(
        d,
        &format!("/api/v1/units/{unit_id}/position"),
        json!({"lat": 53.7980, "lon": -1.5455}),
    )
    .await;
    let mut body = controlroom_testkit::contact_body("Man shouting at passers-by");
    body["location"] = json!({"text": "Briggate, Leeds", "lat": 53.7975, "lon": -1.5450});
    let taken = app.ok(h, "/api/v1/contacts", body).await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();

    // The unit board: its crews are people.
    let head = app.chain_head().await;
    let board = app.get_ok(d, "/api/v1/units").await;
    assert_eq!(board[0]["id"], unit_id.as_str());
    let (stream, payload) = the_record(&app, head, "units_listed", "desk").await;
    assert_eq!(stream, "units");
    assert_eq!(names(&payload, "units"), vec![unit_id.clone()]);

    // A recommendation: where the incident is and who could go.
    let head = app.chain_head().await;
    let ranked = app
        .get_ok(d, &format!("/api/v1/incidents/{incident}/recommendations"))
        .await;
    assert_eq!(ranked[0]["unit"], unit_id.as_str());
    let (stream, payload) = the_record(&app, head, "recommendation_viewed", "desk").await;
    assert_eq!(stream, format!("incident/{incident}"));
    assert_eq!(names(&payload, "units"), vec![unit_id.clone()]);
    assert_eq!(payload["reference"], taken["incident"]["reference"]);

    // The diary names the incidents booked in it, and so the callers waiting.
    app.assess(h, &incident).await;
    app.grade(h, &incident, "scheduled", "no risk; caller free tomorrow")
        .await;
    app.ok(
        d,
        "/api/v1/diary/slots",
        json!({"area": "LS8", "date": "2026-11-24", "times": ["10:00", "14:00"], "capacity": 1}),
    )
    .await;
    app.ok(
        h,
        &format!("/api/v1/incidents/{incident}/appointment"),
        json!({"area": "LS8", "date": "2026-11-24", "time": "10:00"}),
    )
    .await;
    let head = app.chain_head().await;
    let day = app
        .get_ok(h, "/api/v1/diary?area=LS8&date=2026-11-24")
        .await;
    assert_eq!(day[0]["bookings"][0]["incident"], incident.as_str());
    let (stream, payload) = the_record(&app, head, "diary_viewed", "handler").await;
    assert_eq!(stream, "diary/LS8/2026-11-24");
    assert_eq!(names(&payload, "incidents"), vec![incident.clone()]);
    assert_eq!(names(&payload, "slots").len(), 2);

    // The next free slot looks at up to a week of days, but is one consultation.
    let head = app.chain_head().await;
    let next = app
        .get_ok(h, "/api/v1/diary/next?area=LS8&date=2026-11-24")
        .await;
    assert_eq!(next["time"], "14:00");
    let (_, payload) = the_record(&app, head, "diary_next_viewed", "handler").await;
    assert_eq!(names(&payload, "slots"), vec!["diary/LS8/2026-11-24/14:00"]);
    let head = app.chain_head().await;
    let none = app
        .get_ok(h, "/api/v1/diary/next?area=LS9&date=2026-11-24")
        .await;
    assert!(none.is_null(), "{none}");
    let (_, payload) = the_record(&app, head, "diary_next_viewed", "handler").await;
    assert!(names(&payload, "slots").is_empty());

    // A POLE record: what the answer showed besides the record, by id.
    let person = app
        .ok(
            h,
            "/api/v1/people",
            json!({"names": ["Jane Doe"], "date_of_birth": "1990-01-01"}),
        )
        .await;
    let person_id = person["id"].as_str().unwrap().to_owned();
    app.link(h, "person", &person_id, &incident, "victim").await;
    let head = app.chain_head().await;
    app.get_ok(h, &format!("/api/v1/records/person/{person_id}"))
        .await;
    let (stream, payload) = the_record(&app, head, "record_viewed", "handler").await;
    assert_eq!(stream, format!("person/{person_id}"));
    assert!(
        names(&payload, "linked")
            .iter()
            .any(|l| l.contains(&incident)),
        "the linked incident is named: {payload}"
    );
    assert!(payload["history"].is_array(), "{payload}");

    // The staff list: who holds which account and roles.
    let admin = app.signed_in("chief", "admin").await;
    let head = app.chain_head().await;
    let staff = app.get_ok(admin.as_str(), "/api/v1/users").await;
    assert!(staff.as_array().unwrap().len() >= 3, "{staff}");
    let (stream, payload) = the_record(&app, head, "users_listed", "chief").await;
    assert_eq!(stream, "users");
    let shown = names(&payload, "users");
    for who in ["handler", "desk", "chief"] {
        assert!(shown.iter().any(|u| u == who), "{who} named: {payload}");
    }
    let head = app.chain_head().await;
    let (status, _) = app.get("/api/v1/users", Some(h)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        since(&app, head)
            .await
            .iter()
            .all(|r| r.record.kind != "users_listed"),
        "a refused read is not a consultation"
    );

    // A read refused leaves no consultation record.
    let auditor = app.signed_in("auditor", "auditor").await;
    let head = app.chain_head().await;
    let (status, _) = app.get("/api/v1/units", Some(&auditor)).await;
    if status != StatusCode::OK {
        assert!(
            since(&app, head)
                .await
                .iter()
                .all(|r| r.record.kind != "units_listed")
        );
    }
    app.finish().await;
}
