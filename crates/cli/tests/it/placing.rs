//! Placing a call from what the caller says (issue 11): the handler picks a suggestion from
//! the address search and the server places the contact from the gazetteer, with its
//! precision; a handset location (AML) places a call nothing else places, and the addresses
//! inside its circle are offered; nothing ever needs a typed coordinate.

use controlroom_testkit::{Backend, TestApp, both_backends, contact_body};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(a_chosen_suggestion_places_the_call_with_its_precision);
both_backends!(a_handset_location_places_a_call_and_offers_the_addresses_inside_it);

async fn suggestions(app: &TestApp, token: &str, q: &str) -> Vec<Value> {
    let (status, body) = app
        .get(
            &format!("/api/v1/addresses?q={}", urlencode(q)),
            Some(token),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["suggestions"].as_array().unwrap().clone()
}

fn urlencode(q: &str) -> String {
    q.replace(' ', "%20")
}

/// Take a call at `location`; the first contact's location as the server recorded it.
async fn take(app: &TestApp, token: &str, location: Value) -> (StatusCode, Value) {
    let mut body = contact_body("Shouting and a woman screaming");
    body["location"] = location;
    let (status, answer) = app.post("/api/v1/contacts", Some(token), &body).await;
    if !status.is_success() {
        return (status, answer);
    }
    (
        status,
        answer["incident"]["contacts"][0]["location"].clone(),
    )
}

/// A server with the demo gazetteer loaded, and a contact handler's token.
async fn with_the_demo_gazetteer(backend: Backend) -> Option<(TestApp, String)> {
    let app = TestApp::spawn(backend).await?;
    controlroom_app::demo_gazetteer::seed(&app.app)
        .await
        .unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    Some((app, handler))
}

async fn a_chosen_suggestion_places_the_call_with_its_precision(backend: Backend) {
    let Some((app, handler)) = with_the_demo_gazetteer(backend).await else {
        return;
    };
    let h = handler.as_str();

    // A partial address, as typed: the best suggestion is an address with a UPRN.
    let found = suggestions(&app, h, "14 harehills la").await;
    let best = found
        .iter()
        .find(|s| s["kind"] == "address")
        .expect("an address is suggested");
    let (status, location) = take(
        &app,
        h,
        json!({"text": best["address"], "gazetteer": {"kind": "address", "key": best["key"]}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{location}");
    assert_eq!(location["uprn"], best["uprn"], "the UPRN is kept");
    assert_eq!(location["lat"], best["lat"], "placed by the server");
    assert_eq!(location["lon"], best["lon"]);
    assert_eq!(location["precision"]["kind"], "exact_address");
    assert_eq!(location["precision"]["label"], "exact address");

    // A street, a named place and a postcode are placed at their points, and say so.
    for (typed, kind, precision) in [
        ("harehills lane", "street", "street"),
        ("roundhay park", "place", "named_place"),
        ("LS8 3", "postcode", "postcode"),
    ] {
        let found = suggestions(&app, h, typed).await;
        let Some(pick) = found.iter().find(|s| s["kind"] == kind) else {
            panic!("{typed}: a {kind} is suggested: {found:?}");
        };
        let (status, location) = take(
            &app,
            h,
            json!({"text": pick["address"], "gazetteer": {"kind": kind, "key": pick["key"]}}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{typed}: {location}");
        assert_eq!(location["precision"]["kind"], precision, "{typed}");
        assert_eq!(location["lat"], pick["lat"], "{typed}");
        assert!(location["uprn"].is_null(), "{typed}: no UPRN for a {kind}");
    }

    // The handler drags the pin off the address (the back of the house): a map pin, UPRN kept.
    let lat = best["lat"].as_f64().unwrap() + 0.0004;
    let (_, location) = take(
        &app,
        h,
        json!({"text": best["address"], "gazetteer": {"kind": "address", "key": best["key"]},
               "lat": lat, "lon": best["lon"]}),
    )
    .await;
    assert_eq!(location["precision"]["kind"], "map_pin");
    assert!((location["lat"].as_f64().unwrap() - lat).abs() < 1e-9);
    assert_eq!(location["uprn"], best["uprn"]);

    // Words only: the call is taken, and says it is not placed.
    let (status, location) = take(&app, h, json!({"text": "behind the big Tesco"})).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(location["precision"]["kind"], "callers_words");
    assert_eq!(location["precision"]["label"], "caller's words only");
    assert!(location["lat"].is_null());

    // A suggestion the gazetteer no longer holds, a kind it does not have, a UPRN that is not
    // the chosen address's: refused, naming the field; nothing recorded.
    let head = app.chain_head().await;
    for (location, field, words) in [
        (
            json!({"text": "x", "gazetteer": {"kind": "address", "key": "999999999999"}}),
            "location.gazetteer",
            "not in the gazetteer",
        ),
        (
            json!({"text": "x", "gazetteer": {"kind": "county", "key": "West Yorkshire"}}),
            "location.gazetteer.kind",
            "not address, street, place or postcode",
        ),
        (
            json!({"text": "x", "uprn": "1", "gazetteer": {"kind": "address", "key": best["key"]}}),
            "location.uprn",
            "not the chosen address",
        ),
        (
            json!({"text": "x", "gazetteer": {"kind": "postcode", "key": "not a postcode"}}),
            "location.gazetteer",
            "",
        ),
    ] {
        let (status, problem) = take(&app, h, location.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{location}: {problem}"
        );
        assert_eq!(problem["field"], field, "{location}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains(words),
            "{problem}"
        );
    }
    assert_eq!(
        app.chain_head().await,
        head,
        "nothing recorded for refused calls"
    );
    app.finish().await;
}

async fn a_handset_location_places_a_call_and_offers_the_addresses_inside_it(backend: Backend) {
    let Some((app, handler)) = with_the_demo_gazetteer(backend).await else {
        return;
    };
    let h = handler.as_str();

    // Centre the handset on a known address, 60 m radius.
    let door = suggestions(&app, h, "14 harehills lane").await[0].clone();
    let (lat, lon) = (door["lat"].as_f64().unwrap(), door["lon"].as_f64().unwrap());
    let (status, location) = take(
        &app,
        h,
        json!({"text": "caller cannot say where she is",
               "handset": {"lat": lat, "lon": lon, "radius_metres": 60, "source": "AML"}}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{location}");
    assert_eq!(location["precision"]["kind"], "handset");
    assert_eq!(
        location["precision"]["label"],
        "handset location within 60 m"
    );
    assert_eq!(location["lat"].as_f64(), Some(lat), "placed at the handset");
    assert_eq!(location["handset"]["radius_metres"], 60);
    assert_eq!(location["handset"]["source"], "AML");

    // With an address as well, the address places the call and the handset is kept beside it.
    let (_, location) = take(
        &app,
        h,
        json!({"text": door["address"], "gazetteer": {"kind": "address", "key": door["key"]},
               "handset": {"lat": lat + 0.001, "lon": lon, "radius_metres": 200}}),
    )
    .await;
    assert_eq!(location["precision"]["kind"], "exact_address");
    assert_eq!(location["handset"]["radius_metres"], 200);

    // The addresses inside the circle, nearest first, the door among them.
    let body = app
        .get_ok(
            h,
            &format!("/api/v1/addresses/near?lat={lat}&lon={lon}&radius_metres=60"),
        )
        .await;
    let inside = body["addresses"].as_array().unwrap();
    assert!(!inside.is_empty());
    assert_eq!(inside[0]["key"], door["key"], "the door is nearest: {body}");
    let metres: Vec<f64> = inside
        .iter()
        .map(|a| a["metres"].as_f64().unwrap())
        .collect();
    assert!(metres.windows(2).all(|w| w[0] <= w[1]), "nearest first");
    assert!(metres.iter().all(|m| *m <= 60.0), "inside the circle");
    let (_, wider) = app
        .get(
            &format!("/api/v1/addresses/near?lat={lat}&lon={lon}&radius_metres=400"),
            Some(h),
        )
        .await;
    assert!(wider["addresses"].as_array().unwrap().len() >= inside.len());

    // Bad circles and bad handset locations are refused, naming the field.
    for (query, field) in [
        ("lat=53.8&lon=-1.5&radius_metres=0", "radius_metres"),
        ("lat=53.8&lon=-1.5&radius_metres=5000", "radius_metres"),
        ("lat=95&lon=-1.5&radius_metres=50", "lat"),
    ] {
        let (status, problem) = app
            .get(&format!("/api/v1/addresses/near?{query}"), Some(h))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {problem}"
        );
        assert_eq!(problem["field"], field, "{query}: {problem}");
    }
    for (handset, field) in [
        (
            json!({"lat": 53.8, "lon": -1.5, "radius_metres": 0}),
            "location.handset.radius_metres",
        ),
        (
            json!({"lat": 53.8, "lon": 200, "radius_metres": 10}),
            "location.handset",
        ),
        (
            json!({"lat": 53.8, "lon": -1.5, "radius_metres": 10, "located_at": "yesterday"}),
            "location.handset.located_at",
        ),
    ] {
        let (status, problem) = take(&app, h, json!({"text": "x", "handset": handset})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["field"], field, "{problem}");
    }
    app.finish().await;
}
