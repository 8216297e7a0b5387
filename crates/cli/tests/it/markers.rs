//! Warning markers withdrawn (never deleted), the markers that concern an incident (what its
//! checks found, what is linked to it) as the dispatch board reads them, and the people and
//! vehicles linked to an incident with their role.

use controlroom_testkit::{Backend, TestApp, both_backends, marker, text, texts_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(markers_are_withdrawn_with_a_reason_and_kept_on_the_record);
both_backends!(the_board_shows_the_markers_that_concern_each_incident);
both_backends!(people_and_vehicles_linked_to_an_incident_are_listed_with_their_role);

/// A person with two markers (weapons, then drugs); returns the person's id.
async fn marked_person(app: &TestApp, t: &str, name: &str) -> String {
    let person = app.ok(t, "/api/v1/people", json!({"names": [name]})).await;
    let id = person["id"].as_str().unwrap().to_owned();
    for (kind, reason) in [
        ("weapons", "carried a knife at last arrest"),
        ("drugs", "supplies from the address"),
    ] {
        app.mark(t, "person", &id, marker(kind, reason, "INT-2026-0042"))
            .await;
    }
    id
}

async fn log_texts(app: &TestApp, t: &str, incident: &str) -> Vec<String> {
    let body = app
        .get_ok(t, &format!("/api/v1/incidents/{incident}"))
        .await;
    texts_at(&body["log"], "text")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

async fn markers_are_withdrawn_with_a_reason_and_kept_on_the_record(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let t = token.as_str();
    let id = marked_person(&app, t, "Carl Benson").await;
    let record = format!("/api/v1/records/person/{id}");
    let withdraw = |n: &str| format!("{record}/markers/{n}/withdraw");

    let (_, shown) = app.get(&record, Some(t)).await;
    assert_eq!(shown["markers"][0]["number"], 1, "{shown}");
    assert_eq!(shown["markers"][1]["number"], 2);
    assert!(shown["markers"][1].get("withdrawn").is_none(), "{shown}");

    // A withdrawal needs its reason and a marker that exists, from a role that may write.
    app.invalid(t, &withdraw("2"), json!({"reason": "  "}), "reason")
        .await;
    let problem = app
        .invalid(t, &withdraw("3"), json!({"reason": "wrong man"}), "number")
        .await;
    assert!(
        text(&problem["detail"]).contains("Carl Benson has no warning marker number 3"),
        "{problem}"
    );
    app.post_status(
        t,
        &withdraw("two"),
        json!({"reason": "wrong man"}),
        StatusCode::NOT_FOUND,
    )
    .await;
    let auditor = app.signed_in("auditor", "auditor").await;
    app.post_status(
        &auditor,
        &withdraw("2"),
        json!({"reason": "x"}),
        StatusCode::FORBIDDEN,
    )
    .await;
    let (status, _) = app
        .post(
            &format!("{record}/markers"),
            Some(&auditor),
            &json!({"kind": "violence", "reason": "r", "source": "s", "review_by": "2030-01-01"}),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "the auditor reads, never writes"
    );

    // Before: the check warns of both, in words, in the incident log.
    let call = app
        .take_999(t, "Man with a knife shouting in the street")
        .await;
    let incident = call["incident"]["id"].as_str().unwrap().to_owned();
    let check = format!("/api/v1/incidents/{incident}/intelligence");
    let found = app.ok(t, &check, json!({"name": "Carl Benson"})).await;
    assert_eq!(found["markers"].as_array().unwrap().len(), 2, "{found}");
    let log = log_texts(&app, t, &incident).await.join("\n");
    assert!(log.contains("WARNING DRUGS on Carl Benson"), "{log}");

    let withdrawn = app
        .ok(
            t,
            &withdraw("2"),
            json!({"reason": "Intelligence report INT-2026-0042 was about his brother"}),
        )
        .await;
    assert_eq!(
        withdrawn["markers"].as_array().unwrap().len(),
        2,
        "never deleted"
    );
    assert_eq!(
        withdrawn["markers"][1]["withdrawn"]["reason"],
        "Intelligence report INT-2026-0042 was about his brother"
    );
    assert_eq!(withdrawn["markers"][1]["withdrawn"]["by"], "handler");
    let (status, problem) = app
        .post(&withdraw("2"), Some(t), &json!({"reason": "again"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        text(&problem["detail"]).contains("already withdrawn by handler"),
        "{problem}"
    );

    // After: the record still shows it, as withdrawn; the check no longer warns of it.
    let (_, shown) = app.get(&record, Some(t)).await;
    assert_eq!(shown["markers"][1]["kind"], "drugs");
    assert_eq!(shown["markers"][1]["withdrawn"]["by"], "handler", "{shown}");
    let found = app.ok(t, &check, json!({"name": "Carl Benson"})).await;
    let kinds = texts_at(&found["markers"], "kind");
    assert_eq!(kinds, ["weapons"], "{found}");
    let last = log_texts(&app, t, &incident).await.pop().unwrap();
    assert!(last.contains("WARNING WEAPONS on Carl Benson"), "{last}");
    assert!(!last.contains("DRUGS"), "{last}");

    // The withdrawal is an event on the person's stream, in the audit trail.
    let events = app.audited("marker_withdrawn").await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["number"], 2);
    assert_eq!(events[0]["kind"], "drugs");
    app.verify_audit_trail().await;
    // The index is rebuilt from the store: the withdrawal replays.
    controlroom_app::intelligence::reindex(&app.app)
        .await
        .unwrap();
    let found = app
        .ok(t, "/api/v1/search", json!({"name": "Carl Benson"}))
        .await;
    assert_eq!(found["markers"].as_array().unwrap().len(), 1, "{found}");
    app.finish().await;
}

async fn the_board_shows_the_markers_that_concern_each_incident(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let t = token.as_str();
    let dispatcher = app.signed_in("dispatcher", "dispatcher").await;
    let d = dispatcher.as_str();
    let person = marked_person(&app, t, "Carl Benson").await;
    let car = app
        .ok(t, "/api/v1/vehicles", json!({"vrm": "YX19 ABC"}))
        .await;
    let car = car["id"].as_str().unwrap().to_owned();
    let shotgun = marker("firearms_access", "shotgun seen in the boot", "ANPR-77");
    app.mark(t, "vehicle", &car, shotgun).await;

    let checked = app.take_999(t, "Man with a knife").await["incident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let linked = app.take_999(t, "Car driven at a pedestrian").await["incident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let quiet = app.take_999(t, "Noise complaint").await["incident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let check = format!("/api/v1/incidents/{checked}/intelligence");
    app.ok(t, &check, json!({"name": "Carl Benson"})).await;
    app.link(t, "vehicle", &car, &linked, "suspect").await;

    let board = |ids: &[&str]| format!("/api/v1/warnings?incidents={}", ids.join(","));
    let (status, answer) = app.get(&board(&[&checked, &linked, &quiet]), Some(d)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let of = |answer: &Value, i: usize| -> Vec<(String, String, String)> {
        answer[i]["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| {
                (
                    w["kind"].as_str().unwrap().to_owned(),
                    w["on"].as_str().unwrap().to_owned(),
                    w["why"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(answer[0]["incident"], checked.as_str());
    let found = "found by the intelligence check".to_owned();
    assert_eq!(
        of(&answer, 0),
        [
            ("weapons".into(), "Carl Benson".into(), found.clone()),
            ("drugs".into(), "Carl Benson".into(), found.clone())
        ]
    );
    assert_eq!(
        of(&answer, 1),
        [(
            "firearms_access".into(),
            "YX19ABC".into(),
            "linked as suspect".into()
        )]
    );
    assert!(
        of(&answer, 2).is_empty(),
        "nothing concerns the noise complaint"
    );
    assert_eq!(
        answer[1]["warnings"][0]["reason"],
        "shotgun seen in the boot"
    );

    // A marker withdrawn after the check no longer shows; the record linked later does too.
    let withdraw = format!("/api/v1/records/person/{person}/markers/1/withdraw");
    let toy = json!({"reason": "knife was a toy, confirmed by the officer in the case"});
    app.ok(t, &withdraw, toy).await;
    app.link(t, "person", &person, &checked, "suspect").await;
    let (_, answer) = app.get(&board(&[&checked]), Some(d)).await;
    assert_eq!(
        of(&answer, 0),
        [(
            "drugs".into(),
            "Carl Benson".into(),
            format!("{found}; linked as suspect")
        )],
        "{answer}"
    );

    // The look is audited, naming the incidents and the records shown.
    let looks = app.audited("warnings_viewed").await;
    let last = looks.last().unwrap();
    assert_eq!(last["references"].as_array().unwrap().len(), 1, "{last}");
    assert_eq!(last["records"][0], format!("person/{person}"));

    // Refusals a dispatcher can act on.
    let many: Vec<String> = (0..101).map(|_| quiet.clone()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (status, problem) = app.get(&board(&many), Some(d)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "incidents");
    let (status, problem) = app.get(&board(&["20261130-0001"]), Some(d)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = app
        .get(&board(&["0190f0f0-0000-7000-8000-000000000000"]), Some(d))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let admin = app.signed_in("admin", "admin").await;
    let (status, _) = app.get(&board(&[&checked]), Some(&admin)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, answer) = app.get("/api/v1/warnings", Some(d)).await;
    assert_eq!((status, answer), (StatusCode::OK, json!([])));
    app.finish().await;
}

async fn people_and_vehicles_linked_to_an_incident_are_listed_with_their_role(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let t = token.as_str();
    let incident = app.take_999(t, "Assault outside the pub").await["incident"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let links = format!("/api/v1/incidents/{incident}/links");
    let (status, none) = app.get(&links, Some(t)).await;
    assert_eq!((status, none), (StatusCode::OK, json!([])));

    let victim = app
        .ok(
            t,
            "/api/v1/people",
            json!({"names": ["Dana Price"], "date_of_birth": "1990-02-03"}),
        )
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let car = app
        .ok(t, "/api/v1/vehicles", json!({"vrm": "ab12cde"}))
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = |kind: &str, id: &str, role: &str| {
        (
            format!("/api/v1/records/{kind}/{id}/links"),
            json!({"to_kind": "incident", "to_id": incident, "role": role}),
        )
    };
    for (kind, id, role) in [
        ("person", victim.as_str(), "victim"),
        ("vehicle", car.as_str(), "suspect"),
    ] {
        let (path, body) = link(kind, id, role);
        app.ok(t, &path, body).await;
    }
    // The same link twice is refused, saying so; another role is another link.
    let (path, body) = link("person", &victim, "victim");
    let (status, problem) = app.post(&path, Some(t), &body).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(
        problem["detail"],
        "Dana Price is already linked to this incident as victim"
    );
    let (path, body) = link("person", &victim, "caller");
    app.ok(t, &path, body).await;
    // Links are kept on the record's stream: never written from the incident's side.
    app.post_status(
        t,
        &format!("/api/v1/records/incident/{incident}/links"),
        json!({"to_kind": "person", "to_id": victim, "role": "victim"}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    let listed = app.get_ok(t, &links).await;
    let rows: Vec<(&str, &str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["kind"].as_str().unwrap(),
                l["label"].as_str().unwrap(),
                l["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("person", "Dana Price", "caller"),
            ("person", "Dana Price", "victim"),
            ("vehicle", "AB12CDE", "suspect"),
        ],
        "by role, then name"
    );
    assert_eq!(listed[0]["born"], "1990-02-03");
    assert_eq!(listed[0]["id"], victim.as_str());

    // Audited, naming what was shown; refused to the administrator; 404 for no incident.
    let looks = app.audited("incident_links_viewed").await;
    assert_eq!(
        looks.last().unwrap()["records"][2],
        format!("vehicle/{car}")
    );
    let admin = app.signed_in("admin", "admin").await;
    let (status, _) = app.get(&links, Some(&admin)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, problem) = app
        .get(
            "/api/v1/incidents/0190f0f0-0000-7000-8000-000000000000/links",
            Some(t),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    app.verify_audit_trail().await;
    app.finish().await;
}
