//! After the crime is recorded, over HTTP (issue 15): screened in with a rationale, a CSI
//! request booked and attended, an enquiry logged and completed, an arrest opening the
//! victim's update deadline (Victims' Code Right 6), the victim told, the flags answered,
//! the outcome proposed and approved by a supervisor. Refusals name the rule and the field,
//! and change nothing.

use controlroom_domain::clock::Clock;
use controlroom_testkit::{Backend, TestApp, both_backends, items};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

/// The flag codes every crime answers at finalisation, as the shipped reference lists them.
fn flag_codes() -> Vec<&'static str> {
    include_str!("../../../../reference/crime-flags.psv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .skip(1)
        .filter_map(|l| l.split('|').next())
        .collect()
}

both_backends!(a_crime_is_screened_investigated_and_finalised_with_the_victim_kept_informed);

async fn a_crime_is_screened_investigated_and_finalised_with_the_victim_kept_informed(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await.unwrap();
    let [handler, recorder, investigator, sergeant, csi] = app
        .signed_in_as([
            ("handler", "contact_handler"),
            ("recorder", "crime_recorder"),
            ("dc_smith", "investigator"),
            ("sergeant", "supervisor"),
            ("csi_jones", "csi"),
        ])
        .await;
    let (r, dc, sgt) = (recorder.as_str(), investigator.as_str(), sergeant.as_str());

    let taken = app
        .ok(
            &handler,
            "/api/v1/contacts",
            controlroom_testkit::contact_body("He punched me outside the shop, I know who he is"),
        )
        .await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();
    let victim = app
        .ok(&handler, "/api/v1/people", json!({"names": ["Amy Clark"]}))
        .await;
    let suspect = app
        .ok(&handler, "/api/v1/people", json!({"names": ["Dean Moss"]}))
        .await;
    let victim_id = victim["id"].as_str().unwrap().to_owned();
    let offence_from = app.clock.now() - SignedDuration::from_hours(1);
    let crime = app
        .ok(
            r,
            &format!("/api/v1/incidents/{incident}/crimes"),
            json!({
                "classification": "105A",
                "parties": [
                    {"person": victim["id"], "role": "victim"},
                    {"person": suspect["id"], "role": "suspect"}
                ],
                "offence_from": offence_from.to_string(),
                "modus_operandi": "Punched the victim once outside a shop"
            }),
        )
        .await;
    assert_eq!(crime["stage"], "unscreened", "{crime}");
    let id = crime["id"].as_str().unwrap().to_owned();
    let investigation = format!("/api/v1/crimes/{id}/investigation");
    let supervision = format!("/api/v1/crimes/{id}/supervision");
    let scenes = format!("/api/v1/crimes/{id}/scenes");
    let at = |minutes: i64| (app.clock.now() + SignedDuration::from_mins(minutes)).to_string();

    // The recorder's work list shows the crime to screen.
    let work = app.get_ok(r, "/api/v1/investigation/work").await;
    assert!(
        items(&work["to_screen"])
            .iter()
            .any(|w| w["crime"] == id.as_str()),
        "{work}"
    );
    // A contact handler does not investigate.
    let (status, _) = app
        .post(
            &investigation,
            Some(&handler),
            &json!({"action": "reopen", "new_information": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Screening without a rationale is refused, naming the field; nothing recorded.
    let screen = |rationale: &str| {
        json!({
            "action": "screen",
            "decision": {"decision": "screen_in", "allocation": {"to": "person", "investigator": "dc_smith"}},
            "factors": [{"factor": "SUSPECT_NAMED", "note": "the victim knows him"}, {"factor": "CCTV", "note": null}],
            "rationale": rationale
        })
    };
    let (status, problem) = app.post(&investigation, Some(r), &screen("  ")).await;
    assert_eq!(status, UNPROCESSABLE, "{problem}");
    assert!(problem.to_string().contains("rationale"), "{problem}");
    let crime = app
        .ok(
            r,
            &investigation,
            screen("Named suspect and CCTV outside the shop"),
        )
        .await;
    assert_eq!(crime["stage"], "under_investigation", "{crime}");
    // It is on the investigator's list by name.
    let work = app.get_ok(dc, "/api/v1/investigation/work").await;
    assert!(
        items(&work["allocated_to_me"])
            .iter()
            .any(|w| w["crime"] == id.as_str()),
        "{work}"
    );

    // CSI requested with the preservation advice given; the CSI books and attends.
    let request = "0193a6c0-0000-7000-8000-000000000001";
    app.ok(
        dc,
        &investigation,
        json!({
            "action": "request_csi", "id": request, "what": "Shop door the suspect pushed",
            "location": "Corner Shop, 3 High Street", "forensic_opportunities": ["fingerprints on the glass door"],
            "preservation_advice": "Keep the door closed and do not clean the glass", "incident": incident
        }),
    )
    .await;
    // The advice given to the caller is in the incident's log too.
    let log = app
        .get_ok(dc, &format!("/api/v1/incidents/{incident}"))
        .await;
    assert!(
        log["log"]
            .to_string()
            .contains("Preservation advice given: Keep the door closed"),
        "{log}"
    );
    // The CSI team's diary: two slots with one place each, opened by the resource desk.
    let local = (app.clock.now() + SignedDuration::from_hours(3))
        .to_zoned(jiff::tz::TimeZone::get("Europe/London").unwrap());
    let (date, hour) = (local.date().to_string(), local.hour());
    let times = [format!("{hour:02}:00"), format!("{:02}:30", hour)];
    let opened = app
        .ok(
            sgt,
            "/api/v1/diary/slots",
            json!({"area": "CSI", "date": date, "times": times, "capacity": 1}),
        )
        .await;
    let starts: Vec<String> = items(&opened)
        .iter()
        .map(|s| s["starts_at"].as_str().unwrap().to_owned())
        .collect();
    // Booking is the CSI's, on the scenes desk: sent to the wrong desk it says where to go.
    let book = json!({"action": "book_csi", "request": request, "diary_time": starts[0]});
    let (status, problem) = app.post(&investigation, Some(dc), &book).await;
    assert_eq!(status, UNPROCESSABLE, "{problem}");
    assert!(problem.to_string().contains("/scenes"), "{problem}");
    // A time the CSI diary has no slot for is refused on its field, and nothing is booked.
    let head = app.chain_head().await;
    let (status, problem) = app
        .post(
            &scenes,
            Some(&csi),
            &json!({"action": "book_csi", "request": request, "diary_time": at(5)}),
        )
        .await;
    assert_eq!(status, UNPROCESSABLE, "{problem}");
    assert_eq!(problem["field"], "diary_time", "{problem}");
    assert!(problem.to_string().contains("no slot"), "{problem}");
    assert_eq!(app.chain_head().await, head, "nothing recorded");
    // Booked into the first slot: the diary shows the crime there, and the slot is full.
    app.ok(&csi, &scenes, book).await;
    let diary = app
        .get_ok(sgt, &format!("/api/v1/diary?area=CSI&date={date}"))
        .await;
    let first = &items(&diary)[0];
    assert_eq!(first["free"], 0, "{diary}");
    assert_eq!(
        first["scenes"][0]["reference"], crime["reference"],
        "{diary}"
    );
    let queue = app.get_ok(&csi, "/api/v1/investigation/scenes").await;
    assert_eq!(items(&queue["csi_queue"]).len(), 1, "{queue}");
    // A second request cannot have the full slot; booked into the other, then cancelled by
    // the investigator, it gives its place back.
    let second = "0193a6c0-0000-7000-8000-000000000003";
    app.ok(
        dc,
        &investigation,
        json!({
            "action": "request_csi", "id": second, "what": "Blood on the pavement",
            "location": "Outside 3 High Street", "forensic_opportunities": ["blood"],
            "preservation_advice": "Cover it if it rains", "incident": null
        }),
    )
    .await;
    let (status, problem) = app
        .post(
            &scenes,
            Some(&csi),
            &json!({"action": "book_csi", "request": second, "diary_time": starts[0]}),
        )
        .await;
    assert!(status.is_client_error(), "{status} {problem}");
    assert!(problem.to_string().contains("full"), "{problem}");
    app.ok(
        &csi,
        &scenes,
        json!({"action": "book_csi", "request": second, "diary_time": starts[1]}),
    )
    .await;
    app.ok(
        dc,
        &investigation,
        json!({"action": "cancel_csi", "request": second, "reason": "Washed away by the rain"}),
    )
    .await;
    let diary = app
        .get_ok(sgt, &format!("/api/v1/diary?area=CSI&date={date}"))
        .await;
    assert_eq!(
        items(&diary)[1]["free"],
        1,
        "the cancelled booking's place is free: {diary}"
    );
    app.clock.advance(SignedDuration::from_mins(10));
    app.ok(
        &csi,
        &scenes,
        json!({
            "action": "record_csi_attendance", "request": request, "attended_at": at(-5),
            "result": {"result": "exhibits", "exhibits": [{"reference": "JJ/1", "description": "Lifts from the door"}]}
        }),
    )
    .await;

    // An enquiry on the investigator's queue, then its result.
    let enquiry = "0193a6c0-0000-7000-8000-000000000002";
    app.ok(
        dc,
        &investigation,
        json!({
            "action": "add_enquiry", "id": enquiry, "kind": "house_to_house",
            "description": "Ask the flats above the shop", "owner": "dc_smith", "due": at(24 * 60)
        }),
    )
    .await;
    let work = app.get_ok(dc, "/api/v1/investigation/work").await;
    assert_eq!(items(&work["my_enquiries"]).len(), 1, "{work}");
    app.ok(
        dc,
        &investigation,
        json!({"action": "complete_enquiry", "enquiry": enquiry, "result": "Flat 2 saw the punch; statement taken"}),
    )
    .await;

    // The arrest opens the victim's update deadline, on the supervisor's list until she is told.
    // Sent twice with one Idempotency-Key (a dropped connection), it is recorded once and the
    // retry gets the first answer, marked.
    let arrest = json!({"action": "record_key_event", "kind": "suspect_arrested", "occurred_at": at(-10), "note": "Arrested at home"});
    let send = || {
        app.client
            .post(app.url(&investigation))
            .bearer_auth(dc)
            .header("Idempotency-Key", "arrest-0001")
            .json(&arrest)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let head = app.chain_head().await;
    let retry = send().await.unwrap();
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    let (_, retried) = controlroom_testkit::read(retry).await;
    assert_eq!(
        items(&retried["investigation"]["key_events"]).len(),
        1,
        "{retried}"
    );
    assert_eq!(app.chain_head().await, head, "the retry recorded nothing");
    let work = app.get_ok(sgt, "/api/v1/investigation/work").await;
    let waiting = items(&work["victims_awaiting_update"]);
    assert_eq!(waiting.len(), 1, "{work}");
    assert!(
        waiting[0]["what"]
            .as_str()
            .unwrap()
            .contains("suspect arrested")
    );
    assert!(!waiting[0]["due"].is_null());
    // The investigator it is allocated to sees it too; a recorder with no crime of theirs
    // does not.
    let mine = app.get_ok(dc, "/api/v1/investigation/work").await;
    assert_eq!(items(&mine["victims_awaiting_update"]).len(), 1, "{mine}");
    let theirs = app.get_ok(r, "/api/v1/investigation/work").await;
    assert!(
        items(&theirs["victims_awaiting_update"]).is_empty(),
        "{theirs}"
    );
    app.ok(
        dc,
        &investigation,
        json!({
            "action": "record_victim_update", "key_event": 1, "victim": victim_id,
            "informed_at": at(-1), "method": "phone", "note": "Told her he was arrested"
        }),
    )
    .await;
    let work = app.get_ok(sgt, "/api/v1/investigation/work").await;
    assert!(items(&work["victims_awaiting_update"]).is_empty(), "{work}");
    assert_eq!(work["updates_given"], 1);
    assert_eq!(work["updates_on_time_share"], 1.0);

    // Outcome 18 (no suspect identified) is refused on a crime with a suspect: rule and field.
    let answers: Vec<Value> = flag_codes()
        .into_iter()
        .map(|f| json!({"flag": f, "yes": false}))
        .collect();
    app.ok(
        dc,
        &investigation,
        json!({"action": "answer_flags", "flags": answers}),
    )
    .await;
    let propose = |outcome: &str| {
        json!({
            "action": "propose_finalisation", "outcome": outcome,
            "rationale": "CPS authorised a charge of common assault", "admission": false,
            "cps_reference": "CPS-42", "other_agency": null
        })
    };
    let (status, problem) = app.post(&investigation, Some(dc), &propose("18")).await;
    assert_eq!(status, UNPROCESSABLE, "{problem}");
    assert!(problem.to_string().contains("outcome"), "{problem}");
    let before = app.get_ok(dc, &format!("/api/v1/crimes/{id}")).await;
    assert_eq!(before["stage"], "under_investigation", "nothing recorded");

    let crime = app.ok(dc, &investigation, propose("1")).await;
    assert_eq!(crime["stage"], "finalisation_awaiting_review", "{crime}");
    let work = app.get_ok(sgt, "/api/v1/investigation/work").await;
    assert!(
        items(&work["awaiting_review"])
            .iter()
            .any(|w| w["crime"] == id.as_str()),
        "{work}"
    );
    // Approval needs every checklist item confirmed.
    let (status, problem) = app
        .post(
            &supervision,
            Some(sgt),
            &json!({"action": "review_finalisation", "decision": "approve", "checklist": ["classification_correct"]}),
        )
        .await;
    assert_eq!(status, UNPROCESSABLE, "{problem}");
    assert!(problem.to_string().contains("checklist"), "{problem}");
    let crime = app
        .ok(
            sgt,
            &supervision,
            json!({
                "action": "review_finalisation", "decision": "approve",
                "checklist": ["classification_correct", "flags_correct", "enquiries_complete",
                              "outcome_supported_by_evidence", "victim_code_met"]
            }),
        )
        .await;
    assert_eq!(crime["stage"], "finalised", "{crime}");
    // Finalisation is itself a key event: the victim is owed word of the outcome.
    let deadlines = items(&crime["investigation"]["deadlines"]);
    assert_eq!(deadlines.len(), 2, "{crime}");
    // ... and the supervisor sees it owed, though the crime is finalised.
    let work = app.get_ok(sgt, "/api/v1/investigation/work").await;
    let waiting = items(&work["victims_awaiting_update"]);
    assert_eq!(waiting.len(), 1, "{work}");
    assert!(
        waiting[0]["what"].as_str().unwrap().contains("finalised"),
        "{work}"
    );
}
