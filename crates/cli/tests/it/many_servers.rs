//! Issue 13: several servers on one database behind a load balancer. Whatever one server
//! commits, every other server's consoles, unit board and searches see, because each server
//! follows the audit log; a console that reconnects says where it was and misses nothing.

use controlroom_app::Settings;
use controlroom_testkit::{Backend, LiveEvent, TestApp, both_backends, contact_body, items};
use reqwest::StatusCode;
use serde_json::json;

both_backends!(
    a_change_on_one_server_reaches_consoles_boards_and_searches_on_another,
    a_console_that_reconnects_is_sent_what_it_missed,
);

fn about_incident(id: &str) -> impl Fn(&LiveEvent) -> bool + '_ {
    move |e| e.name == "incident" && e.data["id"] == id
}

async fn a_change_on_one_server_reaches_consoles_boards_and_searches_on_another(backend: Backend) {
    let a = TestApp::spawn(backend).await.unwrap();
    let mut b = a.spawn_beside(Settings::default()).await;
    let [handler, dispatcher] = a
        .signed_in_as([("handler", "contact_handler"), ("dispatcher", "dispatcher")])
        .await;
    let mut on_b = b.live_feed(&dispatcher, None).await;

    // An incident opened on A is on B's console, its event id the audit seq of the change.
    let incident = a
        .open_incident(&handler, contact_body("Shed door forced"))
        .await;
    let seen = on_b.until(about_incident(&incident)).await;
    assert_eq!(seen.data["status"], "open");
    let head = a.chain_head().await;
    let id = seen.id.expect("every change carries its seq as its id");
    assert!(id > 0 && id <= head, "event id {id}, log head {head}");

    // A unit registered on A is on B's board and B's feed; B refuses its call sign again.
    let unit = a
        .ok(
            &dispatcher,
            "/api/v1/units",
            json!({"call_sign": "AL11", "unit_type": "response", "skills": [], "station": "Elland Road", "crew": ["PC 101"]}),
        )
        .await;
    let unit_id = unit["id"].as_str().unwrap();
    let arrived = on_b
        .until(|e| e.name == "unit" && e.data["id"] == unit_id)
        .await;
    assert_eq!(arrived.data["call_sign"], "AL11");
    assert!(arrived.id.unwrap() > id, "events arrive in log order");
    let board = b.get_ok(&dispatcher, "/api/v1/units").await;
    assert!(
        items(&board).iter().any(|u| u["id"] == unit_id),
        "B's board lists the unit: {board}"
    );
    let again = b
        .post_status(
            &dispatcher,
            "/api/v1/units",
            json!({"call_sign": "AL11", "unit_type": "response", "skills": [], "station": "Holbeck", "crew": []}),
            StatusCode::CONFLICT,
        )
        .await;
    assert!(
        again["detail"].as_str().unwrap().contains("AL11"),
        "{again}"
    );

    // B's dispatch of A's unit is seen by A: the unit is no longer offered as available.
    b.grade(
        &handler,
        &incident,
        "emergency",
        "Intruder still on the premises",
    )
    .await;
    b.ok(
        &dispatcher,
        &format!("/api/v1/incidents/{incident}/assign"),
        json!({"unit": unit_id}),
    )
    .await;
    let mut on_a = a.live_feed(&dispatcher, Some(id)).await;
    let assigned = on_a
        .until(|e| e.name == "unit" && e.data["id"] == unit_id && e.data["status"] == "assigned")
        .await;
    assert!(assigned.id.unwrap() > id);
    let board = a.get_ok(&dispatcher, "/api/v1/units").await;
    let on_board = items(&board).iter().find(|u| u["id"] == unit_id).unwrap();
    assert_eq!(on_board["status"], "assigned", "{board}");

    // A person recorded on A is found by a search on B.
    let person = a
        .ok(
            &handler,
            "/api/v1/people",
            json!({"names": ["Ada Lovelace"], "date_of_birth": "1985-12-10"}),
        )
        .await;
    let found = b
        .ok(&handler, "/api/v1/search", json!({"name": "Ada Lovelace"}))
        .await;
    assert_eq!(found["people"][0]["id"], person["id"], "{found}");

    drop((on_a, on_b));
    b.stop().await;
    a.finish().await;
}

async fn a_console_that_reconnects_is_sent_what_it_missed(backend: Backend) {
    let a = TestApp::spawn(backend).await.unwrap();
    let mut b = a.spawn_beside(Settings::default()).await;
    let [handler] = a.signed_in_as([("handler", "contact_handler")]).await;
    let mut feed = a.live_feed(&handler, None).await;
    let first = a.open_incident(&handler, contact_body("Bike stolen")).await;
    let last_seen = feed.until(about_incident(&first)).await.id.unwrap();
    drop(feed);

    // While the console is away, changes are made on both servers.
    let second = a
        .open_incident(&handler, contact_body("Car broken into"))
        .await;
    let third = b
        .open_incident(&handler, contact_body("Graffiti on the bridge"))
        .await;
    a.grade(&handler, &second, "emergency", "Suspect still inside")
        .await;

    // It comes back (to the other server, as a balancer may send it) and is sent the
    // incidents changed since, in log order (ids rising), never the one it had seen, until it
    // has each as it is now. (A change the other server has not read yet comes a moment
    // later, live: on SQLite a server notices another's writes by polling.)
    let mut back = b.live_feed(&handler, Some(last_seen)).await;
    let mut now = std::collections::HashMap::new();
    let mut previous = last_seen;
    while !(now.contains_key(&third)
        && now
            .get(&second)
            .is_some_and(|i: &serde_json::Value| i["grade"] == "emergency"))
    {
        let event = back.next().await;
        let id = event.id.unwrap();
        assert!(id > previous, "after {previous}: {event:?}");
        previous = id;
        let incident = event.data["id"].as_str().unwrap().to_owned();
        assert_ne!(incident, first, "already seen: {event:?}");
        now.insert(incident, event.data);
    }
    // And then the feed carries on live.
    let fourth = a
        .open_incident(&handler, contact_body("Noise from the flat above"))
        .await;
    back.until(about_incident(&fourth)).await;
    drop(back);

    // A Last-Event-ID that is not an event id is refused, saying why.
    let refused = a
        .client
        .get(a.url("/api/v1/events"))
        .bearer_auth(&handler)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "invalid_last_event_id", "{body}");

    b.stop().await;
    a.finish().await;
}
