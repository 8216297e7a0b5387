//! The NCRS recording decision over HTTP, with the server's clock moved by hand: a report of
//! crime waits in the recorder's queue, goes overdue after 24 hours, leaves it when a crime or
//! a non-crime decision is recorded, and the supervisor's on-time share counts it. The crime
//! data integrity check lists incidents that suggest a crime but have no decision.

use controlroom_domain::Clock;
use controlroom_testkit::{Backend, PASSWORD, TestApp, both_backends, text};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(reports_of_crime_are_decided_within_24_hours_or_show_as_overdue);

fn queued(queue: &Value) -> Vec<(String, String)> {
    queue["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["incident"]["id"].as_str().unwrap().to_owned(),
                r["clock"]["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn reports_of_crime_are_decided_within_24_hours_or_show_as_overdue(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let recorder = app.signed_in("recorder", "crime_recorder").await;
    app.signed_in("sergeant", "supervisor").await;
    let (h, r) = (handler.as_str(), recorder.as_str());
    let started = app.clock.now();

    // Three incidents: an assault classified as crime, a theft classified as crime, and a
    // noise complaint whose account mentions a smashed window (no crime code).
    let mut ids = Vec::new();
    for (summary, incident_type) in [
        ("Partner punched her in the face", Some("CRIME_VIOLENCE")),
        ("Bike taken from the front garden", Some("CRIME_THEFT")),
        ("Loud party next door, someone smashed a window", None),
    ] {
        let id = app
            .open_incident(h, controlroom_testkit::contact_body(summary))
            .await;
        if let Some(t) = incident_type {
            app.ok(
                h,
                &format!("/api/v1/incidents/{id}/classify"),
                json!({"incident_type": t, "qualifiers": ["DOMESTIC_ABUSE"]}),
            )
            .await;
        }
        ids.push(id);
        app.clock.advance(SignedDuration::from_mins(1));
    }
    let (assault, theft, party) = (&ids[0], &ids[1], &ids[2]);

    // A contact handler neither sees the queue nor decides.
    let (status, _) = app.get("/api/v1/crime-recording/queue", Some(h)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let queue = app.get_ok(r, "/api/v1/crime-recording/queue").await;
    assert_eq!(
        queued(&queue),
        [
            (assault.clone(), "running".to_owned()),
            (theft.clone(), "running".to_owned())
        ],
        "reports of crime, oldest first; the party has no crime code"
    );
    assert!(
        queue["non_crime_reasons"]
            .to_string()
            .contains("credible_evidence_to_the_contrary")
    );

    // The assault is recorded as a crime an hour in: on time, and it leaves the queue.
    app.clock.advance(SignedDuration::from_hours(1));
    let handler = app.sign_in("handler", PASSWORD).await;
    let recorder = app.sign_in("recorder", PASSWORD).await;
    let (h, r) = (handler.as_str(), recorder.as_str());
    let victim = app
        .ok(h, "/api/v1/people", json!({"names": ["Amy Shaw"]}))
        .await;
    app.ok(
        r,
        &format!("/api/v1/incidents/{assault}/crimes"),
        json!({
            "classification": "8N",
            "parties": [{"person": victim["id"], "role": "victim"}],
            "offence_from": (started - SignedDuration::from_mins(10)).to_string(),
        }),
    )
    .await;
    let incident = app.get_ok(r, &format!("/api/v1/incidents/{assault}")).await;
    let recording = &incident["crime_recording"];
    assert_eq!(recording["crimes"][0]["classification"], "8N");
    assert!(text(&recording["crimes"][0]["reference"]).starts_with("CR-"));
    assert_eq!(recording["clock"]["state"], "decided_on_time");

    // A day later the theft is overdue. (Sessions ended meanwhile: sign in again.)
    app.clock.advance(SignedDuration::from_hours(24));
    let recorder = app.sign_in("recorder", PASSWORD).await;
    let handler = app.sign_in("handler", PASSWORD).await;
    let supervisor = app.sign_in("sergeant", PASSWORD).await;
    let (h, r, s) = (handler.as_str(), recorder.as_str(), supervisor.as_str());
    let queue = app.get_ok(r, "/api/v1/crime-recording/queue").await;
    assert_eq!(queued(&queue), [(theft.clone(), "overdue".to_owned())]);
    assert_eq!(queue["overdue"], 1);
    let compliance = app.get_ok(s, "/api/v1/crime-recording/compliance").await;
    assert_eq!(compliance["reports"], 2, "{compliance}");
    assert_eq!(compliance["decided_on_time"], 1);
    assert_eq!(compliance["overdue"], 1);
    assert_eq!(compliance["on_time_percent"], 100.0);
    assert_eq!(
        compliance["overdue_reports"][0]["incident"]["id"],
        theft.as_str()
    );
    // A period that leaves the report out still lists it as overdue: the longest overdue
    // are the ones a period would otherwise hide.
    let last_hour = (app.clock.now() - SignedDuration::from_hours(1)).to_string();
    let recent = app
        .get_ok(
            s,
            &format!("/api/v1/crime-recording/compliance?from={last_hour}"),
        )
        .await;
    assert_eq!(recent["reports"], 0, "{recent}");
    assert_eq!(
        recent["overdue_reports"][0]["incident"]["id"],
        theft.as_str()
    );

    // A non-crime decision needs a known reason and a rationale; nothing is written otherwise.
    let path = format!("/api/v1/incidents/{theft}/non-crime");
    let decision =
        |reason: &str, rationale: &str| json!({"reason": reason, "rationale": rationale});
    let contrary = "credible_evidence_to_the_contrary";
    app.invalid(r, &path, decision("not_a_crime", "x"), "reason")
        .await;
    app.invalid(r, &path, decision(contrary, " "), "rationale")
        .await;
    let forbidden = StatusCode::FORBIDDEN;
    app.post_status(h, &path, decision(contrary, "x"), forbidden)
        .await;
    let why = "The caller's son took the bike with permission; he returned it";
    let decided = app.ok(r, &path, decision(contrary, why)).await;
    let recording = &decided["incident"]["crime_recording"];
    assert_eq!(recording["non_crime"]["reason"], contrary);
    assert_eq!(recording["clock"]["state"], "decided_late");
    // A second decision is refused, and a recorded crime is not undone by one.
    let again = decision("no_notifiable_offence", "again");
    app.post_status(r, &path, again, StatusCode::CONFLICT).await;
    let undo = format!("/api/v1/incidents/{assault}/non-crime");
    let changed_mind = decision("no_notifiable_offence", "changed mind");
    let problem = app
        .post_status(r, &undo, changed_mind, StatusCode::CONFLICT)
        .await;
    assert!(problem.to_string().contains("Section C"), "{problem}");

    let queue = app.get_ok(r, "/api/v1/crime-recording/queue").await;
    assert!(queued(&queue).is_empty(), "{queue}");
    let compliance = app.get_ok(s, "/api/v1/crime-recording/compliance").await;
    assert_eq!(compliance["decided_on_time"], 1);
    assert_eq!(compliance["decided_late"], 1);
    assert_eq!(compliance["on_time_percent"], 50.0);

    // The integrity check finds the party: no crime code, but a smashed window and no decision.
    let check = app
        .get_ok(r, "/api/v1/crime-recording/integrity-check")
        .await;
    let findings = check["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{check}");
    assert_eq!(findings[0]["incident"]["id"], party.as_str());
    assert_eq!(findings[0]["reasons"][0], "the account mentions 'smashed'");
    let (status, problem) = app
        .get(
            "/api/v1/crime-recording/integrity-check?from=2026-01-01T00:00:00Z&to=2026-06-01T00:00:00Z",
            Some(r),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(problem.to_string().contains("31 days"), "{problem}");

    // The list still agrees with the events it was built from.
    let auditor = app.signed_in("auditor", "auditor").await;
    let verified = app.get_ok(&auditor, "/api/v1/audit/verify").await;
    assert_eq!(verified["ok"], true, "{verified}");
    app.finish().await;
}

both_backends!(the_integrity_check_runs_from_the_command_line);

async fn the_integrity_check_runs_from_the_command_line(backend: Backend) {
    let mut app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let taken = app
        .take_999(&handler, "Neighbour smashed the front window with a brick")
        .await;
    let reference = taken["incident"]["reference"].as_str().unwrap().to_owned();
    app.take_999(&handler, "Loud music next door").await;
    app.stop().await;
    let url = app.database.url.clone();
    let now = app.clock.now();
    let from = (now - SignedDuration::from_hours(1)).to_string();
    let to = (now + SignedDuration::from_hours(1)).to_string();
    let (code, out, err) = integrity_check(&url, &["--from", &from, "--to", &to]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("1 of 2 without a recording decision"), "{out}");
    assert!(
        out.contains(&reference) && out.contains("'smashed'"),
        "{out}"
    );
    // A period too long, or not a time, is the operator's mistake (exit 2).
    let (code, _, err) = integrity_check(
        &url,
        &[
            "--from",
            "2026-01-01T00:00:00Z",
            "--to",
            "2026-06-01T00:00:00Z",
        ],
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("31 days"), "{err}");
    let (code, _, err) = integrity_check(&url, &["--from", "yesterday"]).await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--from"), "{err}");
    app.database.drop_database().await;
}

/// `controlroom crime integrity-check` of the database at `url` over `period`.
async fn integrity_check(url: &str, period: &[&str]) -> (i32, String, String) {
    super::cli::run_on(&["crime", "integrity-check"], url, period, "").await
}
