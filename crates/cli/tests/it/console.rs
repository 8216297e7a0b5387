//! The console's server side: pages and who gets them, CSRF on cookie sessions, and the
//! live feed of changes.

use controlroom_testkit::{
    Backend, PASSWORD, TestApp, both_backends, contact_body, header, read, texts, texts_at,
};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::json;
use std::time::Duration;

both_backends!(pages_csrf_and_the_live_feed);

async fn pages_csrf_and_the_live_feed(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler_token = app.signed_in("handler", "contact_handler").await;
    app.signed_in("supervisor", "supervisor").await;
    let browser = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();

    // Pages: the console needs a session; assets are ours and served with a strict policy.
    let response = browser.get(app.url("/console")).send().await.unwrap();
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()["location"], "/signin");
    let response = browser.get(app.url("/signin")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = header(&response, "content-security-policy").to_owned();
    assert!(
        csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let response = browser
        .get(app.url("/assets/console.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(header(&response, "content-type").starts_with("text/javascript"));
    // Our own icon, at the path browsers ask for and the one the pages name.
    for path in ["/favicon.ico", "/assets/favicon.svg"] {
        let response = browser.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(
            response.headers()["content-type"],
            "image/svg+xml",
            "{path}"
        );
        assert!(response.text().await.unwrap().starts_with("<svg"), "{path}");
    }
    assert_eq!(
        browser
            .get(app.url("/assets/nothing.js"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // Sign in as a browser does: the cookie, and the CSRF token in the answer.
    let sign_in = |username: &'static str| {
        browser
            .post(app.url("/api/v1/session"))
            .json(&json!({"username": username, "password": PASSWORD}))
            .send()
    };
    // A GET as the browser makes it, with a session cookie.
    let page = |path: &str, cookie: &str| {
        browser
            .get(app.url(path))
            .header("cookie", cookie.to_owned())
            .send()
    };
    let response = sign_in("handler").await.unwrap();
    let cookie = session_cookie(&response);
    let (_, session) = read(response).await;
    let csrf = session["csrf_token"].as_str().unwrap().to_owned();
    let response = page("/console", &cookie).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // The supervisor page is refused to a contact handler, on the server.
    let response = page("/console/supervisor", &cookie).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let supervisor = sign_in("supervisor").await.unwrap();
    let supervisor_cookie = session_cookie(&supervisor);
    let response = page("/console/supervisor", &supervisor_cookie)
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // The crime-recording page: for recorders, registrars, supervisors and auditors only.
    for (cookie, expected) in [
        (&cookie, StatusCode::FORBIDDEN),
        (&supervisor_cookie, StatusCode::OK),
    ] {
        let response = page("/console/crimes", cookie).await.unwrap();
        assert_eq!(response.status(), expected);
    }

    // Every page is its own body inside the one layout, loading its own ES module; the
    // header links only to the pages the user may open.
    for (path, module, cookie) in [
        ("/signin", "signin", ""),
        ("/console", "console", cookie.as_str()),
        ("/console/board", "board", cookie.as_str()),
        ("/console/crimes", "crimes", supervisor_cookie.as_str()),
        (
            "/console/supervisor",
            "supervisor",
            supervisor_cookie.as_str(),
        ),
        ("/console/records/person/0", "record", cookie.as_str()),
        (
            "/console/investigations",
            "investigations",
            supervisor_cookie.as_str(),
        ),
        ("/console/reviews", "reviews", supervisor_cookie.as_str()),
        ("/console/scenes", "scenes", supervisor_cookie.as_str()),
    ] {
        let response = page(path, cookie).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.starts_with("<!doctype html>"), "{path}: {html}");
        assert!(
            html.contains(r#"<link rel="stylesheet" href="/assets/console.css">"#),
            "{path}"
        );
        assert!(
            html.contains(&format!(
                r#"<script type="module" src="/assets/{module}.js"></script>"#
            )),
            "{path}: {html}"
        );
        assert_eq!(html.matches("<script").count(), 1, "{path}");
        if path != "/signin" {
            assert!(html.contains(r#"<header class="topbar">"#), "{path}");
            assert!(html.contains(r#"id="whoami""#), "{path}");
            assert!(html.contains(r#"id="status""#), "{path}");
        }
    }
    let handler_console = page("/console", &cookie)
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        handler_console.contains(r#"id="board-link""#),
        "a handler dispatches"
    );
    assert!(!handler_console.contains(r#"id="crimes-link""#));
    assert!(!handler_console.contains(r#"id="supervisor-link""#));
    // Nor does a contact handler investigate, review investigations or attend scenes.
    for link in ["investigations-link", "reviews-link", "scenes-link"] {
        assert!(!handler_console.contains(link), "{link}");
    }
    // A role the page is not for gets the refusal, naming the roles that may use it.
    let response = page("/console/crimes", &cookie).await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let refusal = response.text().await.unwrap();
    for said in [
        "Crime recording is for crime recorders, crime registrars, supervisors and auditors.",
        "signed in as handler (contact handler)",
    ] {
        assert!(refusal.contains(said), "{refusal}");
    }
    assert!(!refusal.contains("<script"), "{refusal}");
    // The administrator reads no incidents: the console sends them to the accounts page.
    app.signed_in("admin", "admin").await;
    let admin_cookie = session_cookie(&sign_in("admin").await.unwrap());
    let response = page("/console", &admin_cookie).await.unwrap();
    assert!(response.status().is_redirection());
    assert_eq!(response.headers()["location"], "/console/admin");
    let accounts = page("/console/admin", &admin_cookie).await.unwrap();
    assert_eq!(accounts.status(), StatusCode::OK);

    // The session lists what the user may do, by permission, for the console to offer only
    // those tools; the reference lists the roles and the grades in order of urgency.
    let (_, me) = read(page("/api/v1/session", &cookie).await.unwrap()).await;
    let permissions = texts(&me["permissions"]);
    assert!(permissions.contains(&"take_contact"), "{me}");
    assert!(!permissions.contains(&"manage_users"), "{me}");
    let (_, reference) = read(page("/api/v1/reference", &admin_cookie).await.unwrap()).await;
    assert_eq!(
        reference["roles"].as_array().unwrap().len(),
        9,
        "{reference}"
    );
    assert_eq!(reference["grades"][0]["code"], "emergency");
    assert_eq!(reference["grades"][0]["deploys"], true);
    // The lists a crime is worked against come from the server too (issue 15).
    let codes = |list: &str| texts_at(&reference[list], "code").join(",");
    assert!(
        codes("screening_factors").contains("SUSPECT_NAMED"),
        "{reference}"
    );
    assert!(
        codes("crime_flags").contains("DOMESTIC_ABUSE"),
        "{reference}"
    );
    assert!(
        codes("crime_outcomes").starts_with("1,1A,2,3"),
        "{reference}"
    );
    assert_eq!(
        reference["crime_outcomes"][0]["suspect"], "required",
        "{reference}"
    );
    // Names the console shows are the server's: roles, the session's own roles, the kinds of
    // warning marker, and what a closing code needs (by name, never a debug print).
    assert_eq!(reference["roles"][0]["name"], "Contact handler");
    assert_eq!(
        texts(&me["role_names"]),
        texts(&me["roles"])
            .iter()
            .map(|_| "Contact handler")
            .collect::<Vec<_>>()
    );
    let firearms = reference["marker_kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["code"] == "firearms_access");
    assert_eq!(firearms.unwrap()["name"], "Firearms access", "{reference}");
    let needs: Vec<&str> = reference["closing_codes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| texts(&c["needs"]))
        .collect();
    assert!(
        needs.contains(&"crime_link")
            && needs
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')),
        "{needs:?}"
    );

    // A contact `summary` sent as the console sends it: the cookie, and a CSRF token if any.
    let report = |summary: &str, csrf: Option<&str>| {
        let mut request = browser
            .post(app.url("/api/v1/contacts"))
            .header("cookie", &cookie)
            .json(&contact_body(summary));
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token.to_owned());
        }
        async move { read(request.send().await.unwrap()).await }
    };
    // A change made with the cookie but without the CSRF token is refused, and records nothing.
    let head = app.chain_head().await;
    let (status, problem) = report("Forged", None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");
    assert_eq!(problem["code"], "csrf_token_missing");
    let (status, _) = report("Forged", Some(&"0".repeat(64))).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a wrong token is refused too"
    );
    assert_eq!(app.chain_head().await, head);

    // Signing out by cookie needs the CSRF token too: another site cannot end a handler's
    // session mid-call. With the token, it ends. (A second session of the same handler.)
    let response = sign_in("handler").await.unwrap();
    let second_cookie = session_cookie(&response);
    let second_csrf = read(response).await.1["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sign_out = |token: Option<&str>| {
        let mut request = browser
            .delete(app.url("/api/v1/session"))
            .header("cookie", &second_cookie);
        if let Some(token) = token {
            request = request.header("x-csrf-token", token.to_owned());
        }
        request.send()
    };
    let refused = sign_out(None).await.unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let still = page("/api/v1/session", &second_cookie).await.unwrap();
    assert_eq!(still.status(), StatusCode::OK, "the session was not ended");
    assert_eq!(
        sign_out(Some(&second_csrf)).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    let ended = page("/api/v1/session", &second_cookie).await.unwrap();
    assert_eq!(ended.status(), StatusCode::UNAUTHORIZED);

    // The live feed: open it, make a change, and see it arrive.
    let mut feed = app
        .get_response("/api/v1/events", Some(&handler_token))
        .await;
    assert_eq!(feed.status(), StatusCode::OK);
    assert!(header(&feed, "content-type").starts_with("text/event-stream"));
    let (status, taken) = report("Window smashed at the chip shop", Some(csrf.as_str())).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "with the token the change is made: {taken}"
    );
    let reference = taken["incident"]["reference"].as_str().unwrap().to_owned();
    let mut received = String::new();
    while !received.contains(&reference) {
        let chunk = tokio::time::timeout(Duration::from_secs(10), feed.chunk())
            .await
            .expect("the change arrives on the feed");
        received.push_str(&String::from_utf8_lossy(
            &chunk.unwrap().expect("the feed stays open"),
        ));
    }
    let line = received
        .lines()
        .find(|l| l.starts_with("data:") && l.contains(&reference))
        .unwrap();
    let event: serde_json::Value =
        serde_json::from_str(line.trim_start_matches("data:").trim()).unwrap();
    assert!(received.contains("event: incident"), "{received}");
    assert_eq!(event["status"], "open");
    assert_eq!(event["location"], "12 High Street, Leeds LS1 1AA");
    assert!(event["committed_at"].is_string());

    // Opening the feed is recorded as a consultation; an administrator may not open it.
    app.assert_audited(&["live_feed_opened"]).await;
    let admin = app.sign_in("admin", PASSWORD).await;
    let (status, _) = app.get("/api/v1/events", Some(&admin)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    drop(feed);
    app.finish().await;
}

/// The session cookie a sign-in set, as a browser sends it back (`name=value`).
fn session_cookie(response: &reqwest::Response) -> String {
    header(response, "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}
