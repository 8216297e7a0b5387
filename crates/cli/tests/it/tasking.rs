//! Tasks and teams over HTTP (issue 17): a supervisor puts an officer in a team, a handler
//! sets a task on an incident to that team (an unknown team is refused on its field), the
//! officer sees it in the team's queue and the handler does not; when it is late it reaches
//! the supervisor's view, then the duty inspector's, until the officer completes it. A retried
//! `set` records one task.

use controlroom_testkit::{Backend, PASSWORD, TestApp, both_backends, items};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::json;

both_backends!(a_task_goes_to_a_team_and_escalates_when_late);

async fn a_task_goes_to_a_team_and_escalates_when_late(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let [handler, officer, sergeant] = app
        .signed_in_as([
            ("handler", "contact_handler"),
            ("pc_ls8", "investigator"),
            ("sergeant", "supervisor"),
        ])
        .await;
    // Only a supervisor (or an administrator) changes a team.
    let add = json!({"action": "add_member", "user": "pc_ls8"});
    let (status, _) = app
        .post("/api/v1/teams/NPT_LS8/members", Some(&handler), &add)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let members = app
        .ok(&sergeant, "/api/v1/teams/NPT_LS8/members", add)
        .await;
    assert_eq!(members, json!(["pc_ls8"]));
    let directory = app.get_ok(&handler, "/api/v1/teams").await;
    let ls8 = items(&directory)
        .iter()
        .find(|t| t["code"] == "NPT_LS8")
        .unwrap();
    assert_eq!(ls8["members"], json!(["pc_ls8"]), "{directory}");

    let taken = app
        .ok(
            &handler,
            "/api/v1/contacts",
            controlroom_testkit::contact_body("Someone keeps smashing the bus shelter on my road"),
        )
        .await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();
    let task = format!("/api/v1/incidents/{incident}/tasks/0193a6c0-0000-7000-8000-000000000201");
    let set = |team: &str| {
        json!({
            "action": "set", "kind": "visit", "to": {"team": team}, "priority": "normal",
            "details": "Visit the caller about the damage and check for CCTV"
        })
    };
    // A team that is not in the directory is refused on its field, and nothing is recorded.
    let head = app.chain_head().await;
    let problem = app
        .invalid(&handler, &task, set("NPT_MARS"), "to.team")
        .await;
    assert!(problem.to_string().contains("NPT_LS8"), "{problem}");
    assert_eq!(app.chain_head().await, head);

    // Set, with a retry of the same request: one task, the retry answered as the first.
    let send = || {
        app.client
            .post(app.url(&task))
            .bearer_auth(&handler)
            .header("Idempotency-Key", "visit-0001")
            .json(&set("NPT_LS8"))
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let head = app.chain_head().await;
    let retry = send().await.unwrap();
    assert_eq!(retry.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(app.chain_head().await, head, "the retry recorded nothing");
    let on_incident = app
        .get_ok(&handler, &format!("/api/v1/incidents/{incident}/tasks"))
        .await;
    assert_eq!(items(&on_incident["tasks"]).len(), 1, "{on_incident}");

    // The officer's board has it; the handler, in no team, does not see the team's queue.
    let board = app.get_ok(&officer, "/api/v1/tasks").await;
    assert_eq!(board["teams"], json!(["NPT_LS8"]));
    assert_eq!(items(&board["queue"]).len(), 1, "{board}");
    assert_eq!(board["queue"][0]["overdue"], false);
    let theirs = app.get_ok(&handler, "/api/v1/tasks").await;
    assert!(items(&theirs["queue"]).is_empty(), "{theirs}");

    // A MARAC referral drafted and not sent: on the supervisor's board once its send time
    // (24 hours, referral-types.psv) has passed.
    app.ok(
        &handler,
        &format!("/api/v1/incidents/{incident}/referrals/0193a6c0-0000-7000-8000-000000000401"),
        json!({"action": "draft", "referral_type": "MARAC", "reason": "High risk on the DASH"}),
    )
    .await;
    // Normal work is due in 24 hours and reaches the supervisor an hour after
    // (task-escalation.psv); the duty inspector twelve hours after that.
    let sergeant_sees = |board: &serde_json::Value, list: &str| items(&board[list]).len();
    let board = app.get_ok(&sergeant, "/api/v1/tasks").await;
    assert_eq!(sergeant_sees(&board, "escalated"), 0, "{board}");
    app.clock
        .advance(SignedDuration::from_hours(25) + SignedDuration::from_mins(1));
    // (A day on, everyone signs in again.)
    let sergeant = app.sign_in("sergeant", PASSWORD).await;
    let board = app.get_ok(&sergeant, "/api/v1/tasks").await;
    assert_eq!(sergeant_sees(&board, "escalated"), 1, "{board}");
    assert_eq!(board["escalated"][0]["escalation"], "supervisor");
    let late = items(&board["late_referrals"]);
    assert_eq!(late.len(), 1, "{board}");
    assert_eq!(late[0]["chase"], "send_overdue", "{board}");
    assert_eq!(late[0]["referral_type"], "MARAC");
    assert_eq!(sergeant_sees(&board, "duty_inspector"), 0, "{board}");
    app.clock.advance(SignedDuration::from_hours(12));
    let sergeant = app.sign_in("sergeant", PASSWORD).await;
    let officer = app.sign_in("pc_ls8", PASSWORD).await;
    let board = app.get_ok(&sergeant, "/api/v1/tasks").await;
    assert_eq!(sergeant_sees(&board, "duty_inspector"), 1, "{board}");

    // The officer acknowledges and completes it: off every view.
    app.ok(
        &officer,
        &task,
        json!({"action": "acknowledge", "note": "on my way"}),
    )
    .await;
    let done = app
        .ok(
            &officer,
            &task,
            json!({"action": "complete", "result": "Visited; CCTV from the corner shop requested"}),
        )
        .await;
    assert_eq!(done["status"]["status"], "completed", "{done}");
    let board = app.get_ok(&sergeant, "/api/v1/tasks").await;
    assert_eq!(sergeant_sees(&board, "escalated"), 0, "{board}");
    assert!(items(&board["queue"]).is_empty(), "{board}");

    // A message to the team: in the officer's inbox, unread, until they read it; not in the
    // handler's (who is in no team).
    let handler = app.sign_in("handler", PASSWORD).await;
    let message = json!({
        "id": "0193a6c0-0000-7000-8000-000000000301",
        "to": {"team": "NPT_LS8"},
        "text": "Caller at the bus shelter rang again: the youths are back",
        "about": {"incident": incident}
    });
    app.invalid(
        &handler,
        "/api/v1/messages",
        json!({"id": "0193a6c0-0000-7000-8000-000000000302", "to": {"team": "NOWHERE"}, "text": "x"}),
        "to.team",
    )
    .await;
    // Well-formed JSON naming no recipient is the caller's to fix (422), not malformed.
    let (status, problem) = app
        .post(
            "/api/v1/messages",
            Some(&handler),
            &json!({"id": "0193a6c0-0000-7000-8000-000000000303", "to": {}, "text": "x"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    app.ok(&handler, "/api/v1/messages", message).await;
    let inbox = app.get_ok(&officer, "/api/v1/messages").await;
    let got = items(&inbox["messages"]);
    assert_eq!(got.len(), 1, "{inbox}");
    assert!(got[0]["reads"].as_array().unwrap().is_empty());
    let read = app
        .ok(
            &officer,
            "/api/v1/messages/read",
            json!({"id": "0193a6c0-0000-7000-8000-000000000301", "to": {"team": "NPT_LS8"}}),
        )
        .await;
    assert_eq!(read["reads"][0]["by"], "pc_ls8", "{read}");
    let theirs = app.get_ok(&handler, "/api/v1/messages").await;
    assert!(items(&theirs["messages"]).is_empty(), "{theirs}");
    app.verify_audit_trail().await;
    app.finish().await;
}
