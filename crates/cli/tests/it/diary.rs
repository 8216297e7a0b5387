//! The diary: slots with a capacity, booking a scheduled call, moving, cancelling, missing;
//! and two handlers racing for the last place: exactly one has it.

use controlroom_testkit::{Backend, TestApp, both_backends, texts_at};
use reqwest::StatusCode;
use serde_json::json;

both_backends!(appointments_fill_slots_without_double_booking);

async fn scheduled(app: &TestApp, token: &str, summary: &str) -> String {
    let id = app
        .open_incident(token, controlroom_testkit::contact_body(summary))
        .await;
    app.assess(token, &id).await;
    app.grade(token, &id, "scheduled", "no risk; caller free tomorrow")
        .await;
    id
}

async fn appointments_fill_slots_without_double_booking(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let desk = app.signed_in("desk", "dispatcher").await;
    let h = handler.as_str();

    let (status, _) = app
        .post(
            "/api/v1/diary/slots",
            Some(h),
            &json!({"area": "LS8", "date": "2026-11-24", "times": ["10:00"], "capacity": 1}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the resource desk opens slots"
    );
    app.ok(
        &desk,
        "/api/v1/diary/slots",
        json!({"area": "LS8", "date": "2026-11-24", "times": ["10:00", "14:00"], "capacity": 1}),
    )
    .await;
    let (status, _) = app
        .post(
            "/api/v1/diary/slots",
            Some(&desk),
            &json!({"area": "LS8", "date": "2026-11-24", "times": ["10:00"], "capacity": 1}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a slot is opened once");

    // Only a scheduled response goes in the diary.
    let ungraded = app
        .open_incident(h, controlroom_testkit::contact_body("Shed broken into"))
        .await;
    let (status, problem) = app
        .post(
            &format!("/api/v1/incidents/{ungraded}/appointment"),
            Some(h),
            &json!({"area": "LS8", "date": "2026-11-24", "time": "10:00"}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "not_scheduled");

    // Two handlers race for the last place at 10:00: exactly one has it.
    let first = scheduled(&app, h, "Bike stolen from garden").await;
    let second = scheduled(&app, h, "Car keyed overnight").await;
    let book = |incident: String| {
        let (client, url, token) = (
            app.client.clone(),
            app.url(&format!("/api/v1/incidents/{incident}/appointment")),
            handler.clone(),
        );
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .json(&json!({"area": "ls8", "date": "2026-11-24", "time": "10:00"}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let (a, b) = tokio::join!(book(first.clone()), book(second.clone()));
    assert_eq!(
        [a, b].iter().filter(|s| s.is_success()).count(),
        1,
        "{a} {b}"
    );
    assert!(
        [a, b].contains(&StatusCode::CONFLICT),
        "a full slot is refused: {a} {b}"
    );
    let (winner, loser) = if a.is_success() {
        (first, second)
    } else {
        (second, first)
    };

    // The next free slot the same day; the loser books it; the incident shows it.
    let (_, next) = app
        .get("/api/v1/diary/next?area=LS8&date=2026-11-24", Some(h))
        .await;
    assert_eq!(next["time"], "14:00");
    let appointment = |id: &str| format!("/api/v1/incidents/{id}/appointment");
    let slot = |time: &str| json!({"area": "LS8", "date": "2026-11-24", "time": time});
    let booked = app.ok(h, &appointment(&loser), slot("14:00")).await;
    assert_eq!(booked["incident"]["appointment"], "LS8 2026-11-24 14:00");
    let (_, full) = app
        .get("/api/v1/diary/next?area=LS8&date=2026-11-24", Some(h))
        .await;
    assert!(
        full.is_null(),
        "no free place left that day or the week after: {full}"
    );

    // Cancelling frees the place; moving frees the old one; a missed appointment is recorded.
    let to_work = json!({"reason": "caller has to work"});
    let cancel = format!("{}/cancel", appointment(&winner));
    let cancelled = app.ok(h, &cancel, to_work).await;
    assert!(cancelled["incident"]["appointment"].is_null());
    let moved = app.ok(h, &appointment(&loser), slot("10:00")).await;
    assert_eq!(moved["incident"]["appointment"], "LS8 2026-11-24 10:00");
    let log = texts_at(&moved["incident"]["log"], "text");
    let move_entry = "Appointment moved from LS8 2026-11-24 14:00 to LS8 2026-11-24 10:00";
    assert!(log.contains(&move_entry), "{log:?}");
    let nobody_home = json!({"reason": "nobody home at 10:00"});
    let missed = app
        .ok(h, &format!("{}/missed", appointment(&loser)), nobody_home)
        .await;
    assert!(missed["incident"]["appointment"].is_null());

    let day = app
        .get_ok(&desk, "/api/v1/diary?area=LS8&date=2026-11-24")
        .await;
    assert_eq!(day[0]["time"], "10:00");
    assert_eq!(day[0]["free"], 1);
    assert_eq!(day[0]["missed"].as_array().unwrap().len(), 1);
    assert_eq!(day[1]["free"], 1, "the 14:00 place was freed by the move");
    app.verify_audit_trail().await;
    app.finish().await;
}
