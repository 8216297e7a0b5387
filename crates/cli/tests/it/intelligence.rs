//! Intelligence checks over the API: known answers for every spelling, phone and
//! registration form; role limits; merge and unmerge keeping every link and audit event;
//! changes findable at once; and the check written to the incident log.

use controlroom_testkit::{Backend, TestApp, both_backends, items, marker, text, texts_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(intelligence_checks_find_what_the_force_knows);
both_backends!(intelligence_duplicates_and_history_match_by_uprn_first);
both_backends!(intelligence_markers_on_an_address_show_whenever_a_call_is_placed_there);

/// A search that must succeed; returns what it found.
async fn search(app: &TestApp, token: &str, query: Value) -> Value {
    app.ok(token, "/api/v1/search", query).await
}

/// How many times the server's search index has committed (`/metrics`).
async fn search_commits(app: &TestApp) -> u64 {
    let metrics = app
        .get_response("/metrics", None)
        .await
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("controlroom_search_commits_total "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no search commits in {metrics}"))
}

async fn intelligence_checks_find_what_the_force_knows(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let t = token.as_str();

    let smith = app.ok(t, "/api/v1/people", json!({"names": ["John Smith", "Johnny Smith"], "date_of_birth": "1980-04-02", "phones": ["07700 900123"], "addresses": ["12 Briggate, Leeds"]})).await;
    let smith_id = smith["id"].as_str().unwrap().to_owned();
    assert_eq!(
        smith["details"]["phones"][0], "+447700900123",
        "stored in E.164"
    );
    let khan = app
        .ok(
            t,
            "/api/v1/people",
            json!({"names": ["Mohammed Khan"], "age_from": 30, "age_to": 40}),
        )
        .await;
    let khan_id = khan["id"].as_str().unwrap().to_owned();
    let car = app
        .ok(
            t,
            "/api/v1/vehicles",
            json!({"vrm": "ab12 cde", "make": "Ford", "model": "Focus", "colour": "silver"}),
        )
        .await;
    assert_eq!(car["details"]["vrm"], "AB12CDE");
    let flat = app.ok(t, "/api/v1/locations", json!({"address": "Flat 2, 19 Harehills Lane, Leeds", "postcode": "ls8 4ha", "lat": 53.8121, "lon": -1.5178})).await;
    let flat_id = flat["id"].as_str().unwrap().to_owned();
    assert_eq!(flat["details"]["postcode"], "LS8 4HA");

    // Markers: a current one and history kept.
    let markers = format!("/api/v1/records/person/{smith_id}/markers");
    let unexplained = marker("weapons", "", "INT-1");
    app.post_status(t, &markers, unexplained, StatusCode::UNPROCESSABLE_ENTITY)
        .await;
    let knife = marker("weapons", "carried a knife at last arrest", "INT-2026-0042");
    app.mark(t, "person", &smith_id, knife).await;

    // Each spelling variant finds its record.
    for (name, id) in [
        ("John Smith", &smith_id),
        ("Jon Smyth", &smith_id),
        ("Jhon Smith", &smith_id),
        ("JOHN SMITHE", &smith_id),
        ("johnny smith", &smith_id),
        ("Muhammad Khan", &khan_id),
        ("Mohamed Khan", &khan_id),
    ] {
        let found = search(&app, t, json!({"name": name})).await;
        assert_eq!(found["people"][0]["id"], id.as_str(), "{name}: {found}");
    }
    // What tells two people of one name apart comes with each: a date of birth, or an age.
    let found = search(&app, t, json!({"name": "John Smith"})).await;
    assert_eq!(found["people"][0]["born"], "1980-04-02", "{found}");
    // The consultation record names what the answer showed (DPA 2018 s.62), not only a count.
    let consulted = app
        .audit_records()
        .await
        .into_iter()
        .rev()
        .find(|r| r.record.kind == "intelligence_check")
        .unwrap();
    assert!(
        consulted
            .record
            .payload
            .contains(&format!("person/{smith_id}")),
        "{}",
        consulted.record.payload
    );
    assert!(
        consulted.record.payload.contains("John Smith"),
        "markers shown are named"
    );
    // Reads never write (issue 21): searching (each recorded as a consultation) commits
    // nothing to the index; the follower commits only when there is something to index.
    let commits = search_commits(&app).await;
    for name in ["John Smith", "Mohammed Khan", "Nobody Known"] {
        search(&app, t, json!({"name": name})).await;
    }
    assert_eq!(
        search_commits(&app).await,
        commits,
        "a search committed the index"
    );
    let found = search(&app, t, json!({"name": "Mohammed Khan"})).await;
    assert_eq!(found["people"][0]["born"], "age 30-40", "{found}");
    let by_age = search(
        &app,
        t,
        json!({"name": "Muhammad Khan", "age_from": 30, "age_to": 40}),
    )
    .await;
    assert_eq!(by_age["people"][0]["id"], khan_id.as_str());
    // Each phone format finds its record.
    for phone in [
        "07700 900123",
        "07700900123",
        "+44 7700 900123",
        "+44 (0)7700 900123",
        "0044 7700 900123",
    ] {
        let found = search(&app, t, json!({"phone": phone})).await;
        assert_eq!(found["phone"][0]["id"], smith_id.as_str(), "{phone}");
    }
    // Each registration format finds its vehicle.
    for vrm in ["AB12CDE", "ab12 cde", "AB12 CDE", " ab12cde "] {
        assert_eq!(
            search(&app, t, json!({"vrm": vrm})).await["vehicles"][0]["id"],
            car["id"],
            "{vrm}"
        );
    }
    // Property by serial number, however it is written.
    let phone = app
        .ok(
            t,
            "/api/v1/property",
            json!({"description": "Black iPhone 13", "serial": "35-209900-176148-1"}),
        )
        .await;
    for serial in [
        "352099001761481",
        "35 209900 176148 1",
        "35-209900-176148-1",
    ] {
        assert_eq!(
            search(&app, t, json!({"serial": serial})).await["property"][0]["id"],
            phone["id"],
            "{serial}"
        );
    }

    // Locations by postcode, partial postcode, words and distance.
    for location in ["LS8 4HA", "ls84ha", "LS8", "Harehills Lane"] {
        assert_eq!(
            search(&app, t, json!({"location": location})).await["locations"][0]["id"],
            flat_id.as_str(),
            "{location}"
        );
    }
    let near = search(
        &app,
        t,
        json!({"near_lat": 53.8125, "near_lon": -1.5180, "near_metres": 100}),
    )
    .await;
    assert_eq!(near["locations"][0]["id"], flat_id.as_str());
    // Markers come with what was found.
    let found = search(&app, t, json!({"name": "John Smith"})).await;
    assert_eq!(found["markers"][0]["kind"], "weapons");
    assert_eq!(found["markers"][0]["expired"], false);

    // An incident during a call: the check links history, finds repeats, and goes in the log.
    let mut first = controlroom_testkit::contact_body("Ex-partner at the door again");
    first["caller"]["phone"] = json!("07700 900123");
    first["location"] =
        json!({"text": "Flat 2, 19 Harehills Lane, Leeds", "lat": 53.8121, "lon": -1.5178});
    let earlier = app.ok(t, "/api/v1/contacts", first.clone()).await;
    let earlier_id = earlier["incident"]["id"].as_str().unwrap().to_owned();
    app.link(t, "person", &smith_id, &earlier_id, "suspect")
        .await;
    let now_id = app.open_incident(t, first).await;
    let check = app
        .ok(
            t,
            &format!("/api/v1/incidents/{now_id}/intelligence"),
            json!({"name": "Jon Smyth", "phone": "+44 7700 900123", "location": "LS8 4HA"}),
        )
        .await;
    assert_eq!(check["people"][0]["id"], smith_id.as_str());
    assert!(
        check["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == earlier_id.as_str()),
        "{check}"
    );
    assert!(
        !check["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["id"] == now_id.as_str()),
        "not its own incident"
    );
    assert_eq!(check["repeat_caller"], 1);
    assert_eq!(check["repeat_location"], 1);
    assert_eq!(
        check["possible_duplicates"][0]["id"],
        earlier_id.as_str(),
        "same place within the hour"
    );
    let (_, incident) = app
        .get(&format!("/api/v1/incidents/{now_id}"), Some(t))
        .await;
    let log = incident["log"][0]["text"].as_str().unwrap();
    assert!(
        log.starts_with("Intelligence check: searched name 'Jon Smyth', phone +447700900123"),
        "{log}"
    );

    // Same event: this call joins the earlier incident and closes as a duplicate.
    let joined = app
        .ok(
            t,
            &format!("/api/v1/incidents/{now_id}/duplicate"),
            json!({"of": earlier_id}),
        )
        .await;
    assert_eq!(joined["incident"]["status"], "closed");
    assert_eq!(
        joined["incident"]["closure"]["closing_code"],
        "ADMIN_DUPLICATE"
    );
    let (_, master) = app
        .get(&format!("/api/v1/incidents/{earlier_id}"), Some(t))
        .await;
    let joined_contacts = items(&master["contacts"]).len();
    assert_eq!(joined_contacts, 2, "the caller joined the first incident");
    let (status, _) = app
        .post(
            &format!("/api/v1/incidents/{now_id}/duplicate"),
            Some(t),
            &json!({"of": earlier_id}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "already closed");
    app.verify_audit_trail().await;

    // A change through the API is findable by its new values at once.
    let response = app
        .client
        .put(app.url(&format!("/api/v1/people/{khan_id}")))
        .bearer_auth(t)
        .json(&json!({"names": ["Mohammed Khan"], "phones": ["0113 496 0000"]}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        search(&app, t, json!({"phone": "0113 4960000"})).await["phone"][0]["id"],
        khan_id.as_str()
    );

    // Merge and unmerge: links stay, every step is audited.
    let dupe = app
        .ok(
            t,
            "/api/v1/people",
            json!({"names": ["J Smith"], "phones": ["07700 900555"]}),
        )
        .await;
    let dupe_id = dupe["id"].as_str().unwrap().to_owned();
    app.link(t, "person", &dupe_id, &now_id, "caller").await;
    // Merging two people joins their histories: a supervisor's decision, refused to a handler.
    let (status, _) = app
        .post(
            &format!("/api/v1/people/{dupe_id}/merge"),
            Some(t),
            &json!({"into": smith_id, "reason": "looks the same"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let sergeant = app.signed_in("sergeant", "supervisor").await;
    app.ok(
        &sergeant,
        &format!("/api/v1/people/{dupe_id}/merge"),
        json!({"into": smith_id, "reason": "same DOB and address confirmed by PNC"}),
    )
    .await;
    let merged = app
        .get_ok(t, &format!("/api/v1/records/person/{smith_id}"))
        .await;
    assert_eq!(merged["merged"][0], dupe_id.as_str());
    let links = merged["links"].as_array().unwrap();
    assert!(
        links
            .iter()
            .any(|l| l["role"] == "caller" && l["from"] == dupe_id.as_str()),
        "the merged record's links are read through: {merged}"
    );
    assert!(links.iter().any(|l| l["role"] == "suspect"));
    app.ok(
        &sergeant,
        &format!("/api/v1/people/{dupe_id}/unmerge"),
        json!({"reason": "PNC check was wrong: different people"}),
    )
    .await;
    let (_, after) = app
        .get(&format!("/api/v1/records/person/{smith_id}"), Some(t))
        .await;
    assert!(after["merged"].as_array().unwrap().is_empty());
    assert!(
        !after["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["from"] == dupe_id.as_str())
    );
    let (_, dupe_after) = app
        .get(&format!("/api/v1/records/person/{dupe_id}"), Some(t))
        .await;
    assert!(
        texts_at(&dupe_after["links"], "role").contains(&"caller"),
        "its own link is still there"
    );
    app.assert_audited(&[
        "person_recorded",
        "marker_added",
        "record_linked",
        "person_merged",
        "person_unmerged",
        "record_viewed",
        "intelligence_check",
    ])
    .await;

    // A search never returns records to a role that may not see them.
    let admin = app.signed_in("admin", "admin").await;
    app.post_status(
        &admin,
        "/api/v1/search",
        json!({"name": "John Smith"}),
        StatusCode::FORBIDDEN,
    )
    .await;
    let (status, _) = app
        .get(&format!("/api/v1/records/person/{smith_id}"), Some(&admin))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // The index is rebuilt from the store alone.
    let rebuilt = controlroom_app::intelligence::reindex(&app.app)
        .await
        .unwrap();
    assert!(rebuilt >= 8, "{rebuilt}");
    assert_eq!(
        search(&app, t, json!({"name": "Jon Smyth"})).await["people"][0]["id"],
        smith_id.as_str()
    );
    app.finish().await;
}

async fn call_at(app: &TestApp, t: &str, location: Value) -> String {
    let mut body = controlroom_testkit::contact_body("Shouting and banging next door");
    body["location"] = location;
    let taken = app.ok(t, "/api/v1/contacts", body).await;
    taken["incident"]["id"].as_str().unwrap().to_owned()
}

/// The intelligence check on an incident, with nothing but what the incident holds.
async fn check_at(app: &TestApp, t: &str, incident: &str) -> Value {
    app.ok(
        t,
        &format!("/api/v1/incidents/{incident}/intelligence"),
        json!({}),
    )
    .await
}

fn ids_of(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("a list: {list}"))
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The UPRN is the place; the text only describes it. A second call typed with a typo, and
/// a position far from the first, is still the same address.
async fn intelligence_duplicates_and_history_match_by_uprn_first(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let t = token.as_str();

    let first = call_at(&app, t, json!({"text": "14 Harehills Lane, Leeds", "lat": 53.8121, "lon": -1.5178, "uprn": "72001234"})).await;
    // Next door, 11 m away, a minute later.
    app.clock.advance(jiff::SignedDuration::from_mins(1));
    let next_door = call_at(&app, t, json!({"text": "16 Harehills Lane, Leeds", "lat": 53.8122, "lon": -1.5178, "uprn": "72001236"})).await;
    app.clock.advance(jiff::SignedDuration::from_mins(1));
    // Nearer next door than the first call by its rough position, but at the first's address.
    let again = call_at(
        &app,
        t,
        json!({"text": "14 Harehils Ln", "lat": 53.8125, "lon": -1.5178, "uprn": "72001234"}),
    )
    .await;
    let check = check_at(&app, t, &again).await;
    let duplicates = &check["possible_duplicates"];
    assert_eq!(
        ids_of(duplicates),
        [first.clone(), next_door.clone()],
        "the same address first, then by distance: {check}"
    );
    assert_eq!(duplicates[0]["reasons"][0], "same address (UPRN 72001234)");
    assert!(
        text(&duplicates[1]["reasons"][0]).ends_with("m away"),
        "{duplicates}"
    );
    assert_eq!(check["repeat_location"], 2, "{check}");

    // A call with the same UPRN and no position at all (or a wrong one): still offered.
    app.clock.advance(jiff::SignedDuration::from_mins(1));
    let typed = call_at(
        &app,
        t,
        json!({"text": "14 Harehils Ln", "uprn": "0072001234"}),
    )
    .await;
    let check = check_at(&app, t, &typed).await;
    assert_eq!(
        ids_of(&check["possible_duplicates"]),
        [again.clone(), first.clone()],
        "both calls at UPRN 72001234, newest first; next door is not: {check}"
    );
    assert_eq!(
        ids_of(&check["history"]),
        [again.clone(), first.clone()],
        "the address's history, by UPRN: {check}"
    );
    assert_eq!(
        check["history"][1]["reasons"][0],
        "same address (UPRN 72001234)"
    );
    let far = call_at(
        &app,
        t,
        json!({"text": "14 Harehils Ln", "lat": 53.8300, "lon": -1.5000, "uprn": "72001234"}),
    )
    .await;
    let check = check_at(&app, t, &far).await;
    assert!(
        ids_of(&check["possible_duplicates"]).contains(&first),
        "a wrong position does not hide the same address: {check}"
    );
    // Once the first is closed as a duplicate, it is no longer offered.
    app.ok(
        t,
        &format!("/api/v1/incidents/{again}/duplicate"),
        json!({"of": first}),
    )
    .await;
    let check = check_at(&app, t, &typed).await;
    assert!(
        !ids_of(&check["possible_duplicates"]).contains(&again),
        "closed: {check}"
    );
}

/// Warning markers on a location record reach the handler whenever a call is placed at the
/// address: by its UPRN however the address was typed, and by distance when the record has
/// no UPRN.
async fn intelligence_markers_on_an_address_show_whenever_a_call_is_placed_there(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let t = token.as_str();

    let problem = app
        .post_status(
            t,
            "/api/v1/locations",
            json!({"address": "14 Harehills Lane, Leeds", "uprn": "72-001"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(problem.to_string().contains("uprn"), "{problem}");

    let house = app
        .ok(
            t,
            "/api/v1/locations",
            json!({"address": "14 Harehills Lane, Leeds", "uprn": "0072001234"}),
        )
        .await;
    assert_eq!(house["details"]["uprn"], "72001234", "{house}");
    let house_id = house["id"].as_str().unwrap().to_owned();
    let dogs = marker("officer_safety", "dogs", "INT-2026-0099");
    app.mark(t, "location", &house_id, dogs).await;
    // A record with no UPRN, found by its position.
    let yard = app
        .ok(
            t,
            "/api/v1/locations",
            json!({"address": "Yard behind Roundhay Road", "lat": 53.8000, "lon": -1.5300}),
        )
        .await;
    let yard_id = yard["id"].as_str().unwrap().to_owned();
    let machete = marker("weapons", "machete kept in the shed", "INT-2026-0100");
    app.mark(t, "location", &yard_id, machete).await;

    // The call is typed differently and placed well away from anything: the UPRN decides.
    let call = call_at(
        &app,
        t,
        json!({"text": "14 Harehils Ln", "lat": 53.8400, "lon": -1.4800, "uprn": "72001234"}),
    )
    .await;
    let check = check_at(&app, t, &call).await;
    assert_eq!(check["locations"][0]["id"], house_id.as_str(), "{check}");
    let markers = check["markers"].as_array().unwrap();
    assert_eq!(markers.len(), 1, "{check}");
    assert_eq!(markers[0]["kind"], "officer_safety");
    assert_eq!(markers[0]["reason"], "dogs");
    assert_eq!(markers[0]["on"], "14 Harehills Lane, Leeds");
    assert_eq!(markers[0]["why"], "marker on this address (UPRN 72001234)");
    let (_, incident) = app.get(&format!("/api/v1/incidents/{call}"), Some(t)).await;
    let log = incident["log"][0]["text"].as_str().unwrap();
    assert!(
        log.contains("WARNING OFFICER SAFETY on 14 Harehills Lane, Leeds (marker on this address (UPRN 72001234)): dogs"),
        "{log}"
    );
    // The dispatch board sees it beside the incident too.
    let dispatcher = app.signed_in("dispatcher", "dispatcher").await;
    let warnings = app
        .get_ok(&dispatcher, &format!("/api/v1/warnings?incidents={call}"))
        .await;
    assert_eq!(warnings[0]["warnings"][0]["reason"], "dogs", "{warnings}");

    // A search by UPRN alone, outside any call.
    let found = search(&app, t, json!({"uprn": "72001234"})).await;
    assert_eq!(found["markers"][0]["reason"], "dogs", "{found}");
    let problem = app
        .post_status(
            t,
            "/api/v1/search",
            json!({"uprn": "0"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    assert!(problem.to_string().contains("uprn"), "{problem}");

    // No UPRN on the call: the record 20 m from its position is found by distance.
    let near = call_at(
        &app,
        t,
        json!({"text": "Roundhay Road, by the yard", "lat": 53.80018, "lon": -1.5300}),
    )
    .await;
    let check = check_at(&app, t, &near).await;
    let markers = check["markers"].as_array().unwrap();
    assert_eq!(markers.len(), 1, "{check}");
    assert_eq!(markers[0]["reason"], "machete kept in the shed");
    assert_eq!(markers[0]["why"], "marker 20 m away", "{check}");
}
