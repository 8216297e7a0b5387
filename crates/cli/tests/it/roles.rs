//! A user holding several roles: a contact-and-crime-recorder operator takes the call and
//! records the crime. What they may do is the union of their roles; each audit record says
//! which role the change was made under; pages and endpoints refused say who may.

use controlroom_testkit::{Backend, PASSWORD, TestApp, both_backends};
use reqwest::StatusCode;
use serde_json::json;

both_backends!(an_operator_with_two_roles_takes_the_call_and_records_the_crime);

async fn an_operator_with_two_roles_takes_the_call_and_records_the_crime(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let admin = app.signed_in("sysadmin", "admin").await;

    // Roles given as `role`, `roles` or both: the user holds every one named, once.
    let added = app
        .post_status(
            &admin,
            "/api/v1/users",
            json!({
                "username": "operator",
                "role": "crime_recorder",
                "roles": ["contact_handler", "crime_recorder"],
                "password": PASSWORD,
            }),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(added["roles"], json!(["contact_handler", "crime_recorder"]));
    // No role at all, or one that does not exist, is refused with the field to fix.
    for roles in [json!([]), json!(["contact_handler", "chief_constable"])] {
        let problem = app
            .post_status(
                &admin,
                "/api/v1/users",
                json!({"username": "nobody", "roles": roles, "password": PASSWORD}),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        assert!(
            problem["field"] == "roles" || problem["field"] == "role",
            "{problem}"
        );
    }
    let users = app.get_ok(&admin, "/api/v1/users").await;
    let listed = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "operator")
        .unwrap();
    assert_eq!(
        listed["roles"],
        json!(["contact_handler", "crime_recorder"])
    );
    assert_eq!(
        users.as_array().unwrap().len(),
        2,
        "nothing kept of refused users: {users}"
    );

    let operator = app.sign_in("operator", PASSWORD).await;
    let me = app.get_ok(&operator, "/api/v1/session").await;
    assert_eq!(me["roles"], json!(["contact_handler", "crime_recorder"]));
    assert_eq!(me["role"], "contact_handler");

    // As a contact handler: takes the call.
    let taken = app
        .take_999(
            &operator,
            "Partner pushed her into a wall, she has a cut lip",
        )
        .await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();
    // As a crime recorder: records the crime from it.
    let victim = app
        .ok(&operator, "/api/v1/people", json!({"names": ["Sarah Lee"]}))
        .await;
    let crime = app
        .ok(
            &operator,
            &format!("/api/v1/incidents/{incident}/crimes"),
            json!({
                "classification": "8N",
                "parties": [{"person": victim["id"], "role": "victim"}],
                "offence_from": "2026-01-01T00:00:00Z",
                "modus_operandi": "Pushed victim into a wall during an argument at home"
            }),
        )
        .await;
    let crime_id = crime["id"].as_str().unwrap().to_owned();

    // Neither role lets them manage users: the refusal names the
    // roles they hold and who may.
    let problem = app
        .post_status(
            &operator,
            "/api/v1/users",
            json!({"username": "other", "role": "dispatcher", "password": PASSWORD}),
            StatusCode::FORBIDDEN,
        )
        .await;
    let detail = problem["detail"].as_str().unwrap();
    assert!(
        detail.contains("your roles (contact handler and crime recorder) do not allow you to manage user accounts; administrator may"),
        "{detail}"
    );

    // The audit trail says which role each change was made under.
    let store = &app.app.store;
    let roles_of = |records: Vec<controlroom_domain::audit::AuditRecord>| {
        records
            .into_iter()
            .map(|r| (r.kind, r.role))
            .collect::<Vec<_>>()
    };
    let incident_records = roles_of(store.stream(&format!("incident/{incident}")).await.unwrap());
    let role_of = |kind: &str| {
        incident_records
            .iter()
            .find(|(k, _)| k == kind)
            .unwrap_or_else(|| panic!("no {kind} in {incident_records:?}"))
            .1
            .clone()
    };
    assert_eq!(
        role_of("incident_opened").as_deref(),
        Some("contact_handler")
    );
    assert_eq!(
        role_of("incident_crime_recorded").as_deref(),
        Some("crime_recorder")
    );
    let crime_records = roles_of(store.stream(&format!("crime/{crime_id}")).await.unwrap());
    assert!(
        crime_records
            .iter()
            .all(|(_, role)| role.as_deref() == Some("crime_recorder")),
        "{crime_records:?}"
    );
    // The user's own record says who added them, as what, and with which roles.
    let added = store.stream("user/operator").await.unwrap();
    assert_eq!(added[0].role.as_deref(), Some("admin"));
    assert!(
        added[0]
            .payload
            .contains(r#""roles":["contact_handler","crime_recorder"]"#),
        "{}",
        added[0].payload
    );

    // Pages: the crime-recording page is theirs; the board is not, and says who may use it.
    let cookie = format!("controlroom_session={operator}");
    let page = |path: &str| {
        app.client
            .get(app.url(path))
            .header("cookie", cookie.clone())
            .send()
    };
    assert_eq!(
        page("/console/crimes").await.unwrap().status(),
        StatusCode::OK
    );
    let refused = page("/console/supervisor").await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let text = refused.text().await.unwrap();
    assert!(
        text.contains("The supervisor's page is for supervisors, auditors and administrators."),
        "{text}"
    );
    assert!(
        text.contains("signed in as operator (contact handler and crime recorder)"),
        "{text}"
    );

    // The chain, with records from before and after roles, verifies.
    let verified = controlroom_app::audit_trail::verify(store.as_ref())
        .await
        .unwrap();
    assert_eq!(verified.chain.head_seq, app.chain_head().await);
    app.finish().await;
}

both_backends!(each_incident_says_what_the_user_asking_may_do_to_it);

/// The console shows only the actions the server lists with the incident: the user's roles
/// and the incident's state, decided once on the server.
async fn each_incident_says_what_the_user_asking_may_do_to_it(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        return;
    };
    let handler = app.signed_in("handler", "contact_handler").await;
    let auditor = app.signed_in("auditor", "auditor").await;
    let recorder = app.signed_in("recorder", "crime_recorder").await;
    let body = controlroom_testkit::contact_body("Noise from a party");
    let (status, taken) = app.post("/api/v1/contacts", Some(&handler), &body).await;
    assert!(status.is_success(), "{taken}");
    let actions = &taken["incident"]["actions"];
    assert_eq!(actions["log"], true, "{actions}");
    assert_eq!(actions["grade"], true);
    assert_eq!(actions["contact"], true);
    assert_eq!(actions["close"], false, "not before it is graded");
    assert_eq!(actions["reopen"], false);
    assert_eq!(actions["record_crime"], false);
    let id = taken["incident"]["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/incidents/{id}");
    let (_, seen) = app.get(&path, Some(&auditor)).await;
    let actions = &seen["actions"];
    for action in [
        "log",
        "grade",
        "close",
        "reopen",
        "contact",
        "appointment",
        "record_crime",
    ] {
        assert_eq!(
            actions[action], false,
            "an auditor may not {action}: {actions}"
        );
    }
    let (_, seen) = app.get(&path, Some(&recorder)).await;
    assert_eq!(seen["actions"]["record_crime"], true, "{}", seen["actions"]);
    assert_eq!(seen["actions"]["grade"], false);
    app.finish().await;
}
