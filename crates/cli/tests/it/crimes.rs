//! Crime records over HTTP: recorded from a domestic-abuse incident with the victim and
//! suspect linked, reclassified with the history kept, and removed only when the force crime
//! registrar approves (HOCR Sections B and C).

use controlroom_testkit::{Backend, TestApp, both_backends, text};
use reqwest::StatusCode;
use serde_json::json;

const UNPROCESSABLE: StatusCode = StatusCode::UNPROCESSABLE_ENTITY;

both_backends!(crimes_are_recorded_reclassified_and_removed_only_by_the_registrar);

async fn crimes_are_recorded_reclassified_and_removed_only_by_the_registrar(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let [handler, recorder, registrar, supervisor] = app
        .signed_in_as([
            ("handler", "contact_handler"),
            ("recorder", "crime_recorder"),
            ("registrar", "crime_registrar"),
            ("sergeant", "supervisor"),
        ])
        .await;
    let (h, r) = (handler.as_str(), recorder.as_str());

    let taken = app
        .ok(
            h,
            "/api/v1/contacts",
            controlroom_testkit::contact_body("Partner pushed her into a wall, she has a cut lip"),
        )
        .await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();
    let victim = app
        .ok(h, "/api/v1/people", json!({"names": ["Sarah Lee"]}))
        .await;
    let suspect = app
        .ok(h, "/api/v1/people", json!({"names": ["Mark Lee"]}))
        .await;
    let body = json!({
        "classification": "8N",
        "parties": [
            {"person": victim["id"], "role": "victim"},
            {"person": suspect["id"], "role": "suspect"}
        ],
        "offence_from": "2026-01-01T00:00:00Z",
        "modus_operandi": "Pushed victim into a wall during an argument at home"
    });
    let path = format!("/api/v1/incidents/{incident}/crimes");

    // A contact handler does not make the recording decision.
    let (status, _) = app.post(&path, Some(h), &body).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // An unknown classification is named, and nothing is recorded.
    let mut wrong = body.clone();
    wrong["classification"] = json!("ZZ9");
    let (status, problem) = app.post(&path, Some(r), &wrong).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(problem.to_string().contains("'ZZ9'"), "{problem}");
    // A person who does not exist cannot be a victim.
    let mut ghost = body.clone();
    ghost["parties"][0]["person"] = json!("0190b2f0-0000-7000-8000-000000000000");
    let (status, _) = app.post(&path, Some(r), &ghost).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let crime = app.ok(r, &path, body.clone()).await;
    let id = crime["id"].as_str().unwrap().to_owned();
    assert!(
        crime["reference"].as_str().unwrap().ends_with("-000001"),
        "{crime}"
    );
    assert_eq!(crime["classification"], "8N");
    assert_eq!(crime["incidents"][0], incident.as_str());
    // People read the incident's reference, not its id.
    assert_eq!(
        crime["incident_references"],
        json!([taken["incident"]["reference"]])
    );
    assert_eq!(crime["parties"][1]["role"], "suspect");
    assert_eq!(crime["status"], "recorded");
    // An intelligence check on the victim shows the crime in her history, as victim. The
    // recorder checks: a search is promised its searcher's own changes at once, everyone
    // else's within the follower's gather (`search_feed`), so a check by the handler here
    // would race the index.
    let found = app
        .ok(r, "/api/v1/search", json!({"name": "Sarah Lee"}))
        .await;
    let history = found["history"].as_array().unwrap();
    let listed = history
        .iter()
        .find(|hit| hit["kind"] == "crime")
        .unwrap_or_else(|| panic!("no crime in the history: {found}"));
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["role"], "victim");
    assert!(
        text(&listed["label"]).contains("8N Assault with injury"),
        "{listed}"
    );

    let second = app.ok(r, &path, body).await;
    assert!(
        second["reference"].as_str().unwrap().ends_with("-000002"),
        "crime numbers run on: {second}"
    );

    // Reclassification keeps where it came from and why.
    app.post_status(
        r,
        &format!("/api/v1/crimes/{id}/reclassify"),
        json!({"classification": "5D", "reason": ""}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let crime = app.ok(r,
        &format!("/api/v1/crimes/{id}/reclassify"),
        json!({"classification": "5D", "reason": "She lost consciousness: intent to strangle disclosed"}),
    )
    .await;
    assert_eq!(crime["classification"], "5D");
    assert_eq!(crime["first_classification"], "8N");
    assert_eq!(crime["reclassifications"][0]["from"], "8N");
    assert_eq!(crime["reclassifications"][0]["by"], "recorder");

    // Removal: asked for by the recorder, refused to anyone but the registrar.
    let cancellation = format!("/api/v1/crimes/{id}/cancellation");
    let unknown = json!({"reason": "C9", "rationale": "x"});
    let problem = app
        .post_status(r, &cancellation, unknown, UNPROCESSABLE)
        .await;
    assert!(problem.to_string().contains("C1, C2, C3, C4"), "{problem}");
    let twice = json!({"reason": "C3", "rationale": "Same assault recorded twice"});
    let crime = app.ok(r, &cancellation, twice).await;
    assert_eq!(crime["status"], "removal_requested");
    let approve = format!("/api/v1/crimes/{id}/cancellation/approve");
    for token in [r, supervisor.as_str()] {
        let problem = app
            .post_status(token, &approve, json!({}), StatusCode::FORBIDDEN)
            .await;
        assert!(problem.to_string().contains("crime registrar"), "{problem}");
    }
    let crime = app.ok(&registrar, &approve, json!({})).await;
    assert_eq!(crime["status"], "removed");
    assert_eq!(crime["cancellation"]["approved_by"], "registrar");

    // Nothing is deleted: the removed crime is still there to read, with its history.
    let kept = app.get_ok(r, &format!("/api/v1/crimes/{id}")).await;
    assert_eq!(kept["reference"], crime["reference"]);
    assert_eq!(
        kept["incident_references"],
        json!([taken["incident"]["reference"]])
    );
    assert_eq!(kept["reclassifications"].as_array().unwrap().len(), 1);
    // ...and can no longer be changed.
    app.post_status(
        r,
        &format!("/api/v1/crimes/{id}/reclassify"),
        json!({"classification": "8N", "reason": "back again"}),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // A crime reported online is recorded directly, with no incident; where it happened is
    // required, and the report cannot come from the future.
    let online = json!({
        "classification": "44",
        "reported_at": "2026-01-02T09:00:00Z",
        "offence_from": "2026-01-01T20:00:00Z",
        "offence_to": "2026-01-02T07:30:00Z",
        "location": "Outside 9 Park Row, Leeds LS1 5HD",
        "modus_operandi": "Bicycle taken from outside the house overnight"
    });
    let mut nowhere = online.clone();
    nowhere["location"] = json!("  ");
    let (status, problem) = app.post("/api/v1/crimes", Some(r), &nowhere).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "location", "{problem}");
    let mut future = online.clone();
    future["reported_at"] = json!("2099-01-01T00:00:00Z");
    future["offence_from"] = json!("2098-12-31T00:00:00Z");
    future["offence_to"] = json!(null);
    let (status, _) = app.post("/api/v1/crimes", Some(r), &future).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = app.post("/api/v1/crimes", Some(h), &online).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let direct = app.ok(r, "/api/v1/crimes", online).await;
    assert_eq!(direct["incidents"], json!([]));
    assert_eq!(direct["incident_references"], json!([]));
    assert_eq!(direct["reported_at"], "2026-01-02T09:00:00Z");
    assert!(
        direct["reference"].as_str().unwrap().ends_with("-000003"),
        "one numbering for all crimes: {direct}"
    );

    // The crime list: the registrar's removals awaiting approval, and every crime.
    let (status, problem) = app.get("/api/v1/crimes?status=gone", Some(r)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "status", "{problem}");
    let (status, _) = app.get("/api/v1/crimes", Some(h)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, listed) = app.get("/api/v1/crimes", Some(&registrar)).await;
    assert_eq!(listed["count"], 3, "{listed}");
    let (_, removed) = app
        .get("/api/v1/crimes?status=removed", Some(&registrar))
        .await;
    assert_eq!(removed["crimes"][0]["id"], id.as_str(), "{removed}");
    assert_eq!(removed["crimes"][0]["classification"], "5D");
    let (_, awaiting) = app
        .get("/api/v1/crimes?status=removal_requested", Some(&registrar))
        .await;
    assert_eq!(awaiting["count"], 0, "{awaiting}");

    // Every change and the read are in an audit chain that still verifies.
    let verified = app.get_ok(&supervisor, "/api/v1/audit/verify").await;
    assert_eq!(verified["ok"], true, "{verified}");
}

both_backends!(hocr_count_over_http_takes_the_decision_date_and_names_the_edition);

/// Issue 16 over HTTP: `decided_at` in the body chooses the rules in force that day, the answer
/// names the edition, and a decision dated before the report is refused with what is wrong.
async fn hocr_count_over_http_takes_the_decision_date_and_names_the_edition(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let [recorder] = app.signed_in_as([("recorder", "crime_recorder")]).await;
    let case: serde_json::Value = serde_json::from_str(include_str!(
        "../../../domain/tests/data/hocr/rule-dates-stalking-and-assault-2022.json"
    ))
    .unwrap();

    let counted = app.ok(&recorder, "/api/v1/hocr/count", case.clone()).await;
    assert_eq!(counted["crimes"].as_array().unwrap().len(), 2, "{counted}");
    assert_eq!(counted["edition"]["name"], "HOCR April 2022", "{counted}");

    let mut later = case.clone();
    later["decided_at"] = json!("2024-06-03T09:00:00Z");
    let counted = app.ok(&recorder, "/api/v1/hocr/count", later).await;
    assert_eq!(counted["crimes"].as_array().unwrap().len(), 1, "{counted}");
    assert_eq!(counted["edition"]["dated_by"], "the recording decision");
    assert_eq!(counted["edition"]["rules_of"], "2024-06-03");

    let mut early = case;
    early["decided_at"] = json!("2022-09-01T09:00:00Z");
    let (status, problem) = app
        .post("/api/v1/hocr/count", Some(&recorder), &early)
        .await;
    assert_eq!(status, UNPROCESSABLE, "{problem}");
    assert!(
        problem.to_string().contains("before the latest report"),
        "{problem}"
    );
}
