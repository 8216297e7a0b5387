//! Issue 20 items 5 and 9: sign-in throttling by name and by client address, kept in the
//! database so every server sees it; a name locked by guesses from elsewhere still signs in
//! from an address that proved it knows the password; failed attempts audited without
//! flooding the chain; and the session cookie's `Secure` over HTTPS.
//!
//! Every request here comes from 127.0.0.1, so the servers trust 127.0.0.1 as a proxy and
//! each "client" is the address the test puts in `X-Forwarded-For`.

use controlroom_app::{Actor, Settings, users};
use controlroom_domain::sign_in::ADDRESS_MAX_FAILURES;
use controlroom_testkit::{
    Backend, PASSWORD, TestApp, both_backends, header, optional_header, read,
};
use jiff::SignedDuration;
use reqwest::StatusCode;
use serde_json::{Value, json};

const ATTACKER: &str = "198.51.100.66";
const CONSOLE: &str = "192.0.2.10";
const ELSEWHERE: &str = "203.0.113.20";

fn behind_a_proxy() -> Settings {
    Settings {
        trusted_proxies: vec!["127.0.0.1".parse().unwrap()],
        ..Settings::default()
    }
}

async fn spawn(backend: Backend) -> TestApp {
    let app = TestApp::spawn_with(backend, behind_a_proxy())
        .await
        .unwrap();
    app.add_user("handler", "contact_handler").await;
    app
}

/// Sign in as `username` from the client `from`; returns the status, the body and the
/// `Retry-After` seconds if any.
async fn attempt(
    app: &TestApp,
    from: &str,
    username: &str,
    password: &str,
) -> (StatusCode, Value, Option<u64>) {
    let request = app
        .client
        .post(app.url("/api/v1/session"))
        .header("x-forwarded-for", from)
        .json(&json!({ "username": username, "password": password }));
    let response = app.send(request, None).await;
    let retry_after = optional_header(&response, "retry-after").and_then(|v| v.parse().ok());
    let (status, body) = read(response).await;
    (status, body, retry_after)
}

/// A sign-in attempt that must answer `expected`.
async fn answers(app: &TestApp, from: &str, username: &str, password: &str, expected: StatusCode) {
    let (status, problem, _) = attempt(app, from, username, password).await;
    assert_eq!(status, expected, "{username} from {from}: {problem}");
}

async fn throttle_records(app: &TestApp) -> Vec<(String, Value)> {
    app.audit_records()
        .await
        .into_iter()
        .filter(|r| r.record.kind.starts_with("sign_in_"))
        .map(|r| {
            (
                r.record.kind.clone(),
                serde_json::from_str(&r.record.payload).unwrap_or(Value::Null),
            )
        })
        .collect()
}

both_backends!(many_wrong_passwords_from_one_address_are_refused_for_that_address);

/// Item 5: 100 wrong passwords from one address were never slowed.
async fn many_wrong_passwords_from_one_address_are_refused_for_that_address(backend: Backend) {
    let app = spawn(backend).await;
    let mut refused = 0;
    for n in 0..100 {
        // A different name each time, so no name lock is reached: only the address's.
        let (status, problem, retry_after) =
            attempt(&app, ATTACKER, &format!("guess{n}"), "password1").await;
        if n < ADDRESS_MAX_FAILURES {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {n}: {problem}");
        } else {
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "attempt {n}");
            assert_eq!(problem["code"], "too_many_attempts");
            let detail = problem["detail"].as_str().unwrap();
            assert!(
                detail.contains("network address") && detail.contains("15 minutes"),
                "{detail}"
            );
            assert!((1..=900).contains(&retry_after.unwrap()), "{retry_after:?}");
            refused += 1;
        }
    }
    assert_eq!(refused, 100 - ADDRESS_MAX_FAILURES);
    // The handler's right password from that address is refused too (it has never signed in
    // there), but from anywhere else it works; other addresses are not held.
    answers(
        &app,
        ATTACKER,
        "handler",
        PASSWORD,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;
    answers(
        &app,
        ELSEWHERE,
        "guess1",
        "password1",
        StatusCode::UNAUTHORIZED,
    )
    .await;
    answers(&app, ELSEWHERE, "handler", PASSWORD, StatusCode::OK).await;

    // A quarter of an hour later the address may try again.
    app.clock.advance(SignedDuration::from_mins(15));
    answers(&app, ATTACKER, "handler", PASSWORD, StatusCode::OK).await;
    app.finish().await;
}

both_backends!(a_locked_name_still_signs_in_from_an_address_that_proved_it);

/// Item 5: five wrong passwords locked the real handler out for five minutes, at 3 a.m.
async fn a_locked_name_still_signs_in_from_an_address_that_proved_it(backend: Backend) {
    let app = spawn(backend).await;
    // The handler's console has signed in before (a shift ago).
    answers(&app, CONSOLE, "handler", PASSWORD, StatusCode::OK).await;
    app.clock.advance(SignedDuration::from_hours(10));

    for _ in 0..5 {
        answers(&app, ATTACKER, "handler", "guess", StatusCode::UNAUTHORIZED).await;
    }
    // The name is locked: the attacker cannot go on guessing, even with the right password,
    // and nor can an address that has never signed in as the handler.
    let (status, problem, retry_after) = attempt(&app, ATTACKER, "handler", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{problem}");
    assert!(problem["detail"].as_str().unwrap().contains("username"));
    assert!((1..=300).contains(&retry_after.unwrap()));
    answers(
        &app,
        ELSEWHERE,
        "handler",
        PASSWORD,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;

    // The handler at their console signs in.
    let (status, session, _) = attempt(&app, CONSOLE, "handler", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["username"], "handler");

    // At the console itself guessing is still limited: five wrong passwords lock it there.
    for _ in 0..5 {
        answers(&app, CONSOLE, "handler", "guess", StatusCode::UNAUTHORIZED).await;
    }
    answers(
        &app,
        CONSOLE,
        "handler",
        PASSWORD,
        StatusCode::TOO_MANY_REQUESTS,
    )
    .await;

    // The proof lasts 14 days from the last sign-in.
    app.clock.advance(SignedDuration::from_mins(5));
    answers(&app, CONSOLE, "handler", PASSWORD, StatusCode::OK).await;
    app.clock.advance(SignedDuration::from_hours(15 * 24));
    for _ in 0..5 {
        answers(&app, ATTACKER, "handler", "guess", StatusCode::UNAUTHORIZED).await;
    }
    let (status, _, _) = attempt(&app, CONSOLE, "handler", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "after 15 days away the console must prove itself again"
    );
    app.finish().await;
}

both_backends!(the_throttle_holds_across_servers_sharing_a_database);

/// Item 5: throttling is kept in the database, so a second server behind the same balancer
/// counts the same attempts, and parallel guesses across servers cannot all be tried.
async fn the_throttle_holds_across_servers_sharing_a_database(backend: Backend) {
    let app = spawn(backend).await;
    let mut second = app.spawn_beside(behind_a_proxy()).await;
    for server in [&app, &second, &app, &second, &app] {
        let (status, _, _) = attempt(server, ATTACKER, "handler", "guess").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    for server in [&app, &second] {
        let (status, _, _) = attempt(server, ATTACKER, "handler", PASSWORD).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }

    // Twenty guesses at once, half on each server: each is counted before its password is
    // checked, so exactly five are tried.
    app.add_user("dispatcher", "dispatcher").await;
    let mut guesses = tokio::task::JoinSet::new();
    for n in 0..20 {
        let server = if n % 2 == 0 { &app } else { &second };
        let request = server
            .client
            .post(server.url("/api/v1/session"))
            .header("x-forwarded-for", ELSEWHERE)
            .json(&json!({ "username": "dispatcher", "password": "guess" }));
        guesses.spawn(async move { request.send().await.unwrap().status() });
    }
    let statuses = guesses.join_all().await;
    let tried = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((tried, refused), (5, 15), "{statuses:?}");
    second.stop().await;
    app.finish().await;
}

both_backends!(failed_sign_ins_are_audited_without_flooding_the_chain);

/// Item 5: every failure appended a record, every refusal another; now the first failure of a
/// window and the start of a lock are recorded, with the client's address.
async fn failed_sign_ins_are_audited_without_flooding_the_chain(backend: Backend) {
    let app = spawn(backend).await;
    // One guess a minute for 50 minutes: tried when the lock has lapsed, refused otherwise.
    for _ in 0..50 {
        let (status, _, _) = attempt(&app, ATTACKER, "handler", "guess").await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
        app.clock.advance(SignedDuration::from_mins(1));
    }
    let records = throttle_records(&app).await;
    let kinds: Vec<&str> = records.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        kinds,
        ["sign_in_failed", "sign_in_throttled"],
        "{records:?}"
    );
    assert_eq!(records[0].1["address"], ATTACKER);
    assert_eq!(records[1].1["lock"], "username");

    // Names sprayed from one address: one record per name tried, one for the address lock,
    // then nothing however long it goes on.
    for n in 0..100 {
        attempt(&app, ELSEWHERE, &format!("spray{n}"), "password1").await;
    }
    let sprayed = throttle_records(&app).await.len() - records.len();
    assert_eq!(sprayed, ADDRESS_MAX_FAILURES + 1);
    app.finish().await;
}

both_backends!(the_session_cookie_is_secure_over_https);

/// Item 9: the cookie lacked `Secure` when served over HTTPS.
async fn the_session_cookie_is_secure_over_https(backend: Backend) {
    let plain = TestApp::spawn(backend).await.unwrap();
    plain.add_user("handler", "contact_handler").await;
    let mut public_https = plain
        .spawn_beside(Settings {
            public_url: Some("https://controlroom.example.police.uk".into()),
            ..Settings::default()
        })
        .await;
    let mut proxied = plain.spawn_beside(behind_a_proxy()).await;

    // (server, X-Forwarded-Proto sent, Secure expected)
    let cases = [
        (&plain, None, false),
        (&plain, Some("https"), false), // not from a trusted proxy: ignored
        (&public_https, None, true),
        (&proxied, Some("https"), true),
        (&proxied, Some("http"), false),
        (&proxied, None, false),
    ];
    for (n, (server, proto, secure)) in cases.into_iter().enumerate() {
        let with_proto = |request: reqwest::RequestBuilder| match proto {
            Some(p) => request.header("x-forwarded-proto", p),
            None => request,
        };
        let response = with_proto(server.client.post(server.url("/api/v1/session")))
            .json(&json!({ "username": "handler", "password": PASSWORD }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "case {n}");
        let cookie = header(&response, "set-cookie").to_owned();
        assert_eq!(cookie.contains("; Secure"), secure, "case {n}: {cookie}");
        assert!(cookie.contains("HttpOnly; SameSite=Strict"), "{cookie}");
        let (_, session) = read(response).await;
        let token = session["token"].as_str().unwrap();

        let response = with_proto(server.client.delete(server.url("/api/v1/session")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        let cleared = header(&response, "set-cookie");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        assert_eq!(cleared.contains("; Secure"), secure, "case {n}: {cleared}");
    }
    public_https.stop().await;
    proxied.stop().await;
    plain.finish().await;
}

/// The command line wires it up: `serve --public-url https://…` marks the cookie `Secure`, and
/// `CONTROLROOM_TRUSTED_PROXY` (comma-separated) makes `X-Forwarded-For` the client address,
/// so the handler's console still signs in after guesses from another address lock the name.
#[tokio::test]
async fn serve_takes_the_trusted_proxy_and_the_public_url() {
    let database = controlroom_testkit::FreshDatabase::create(Backend::Sqlite)
        .await
        .unwrap();
    // Migrate and add the handler through the store, as `user add` would.
    let store = controlroom_testkit::open_store(&database.url).await;
    let setup = controlroom_app::App::new(
        store.clone(),
        std::sync::Arc::new(controlroom_app::SystemClock),
        Settings::default(),
    );
    users::add_user(
        &setup,
        &Actor::system(),
        "handler",
        &["contact_handler"],
        PASSWORD,
    )
    .await
    .unwrap();
    store.close().await;
    let search = tempfile::tempdir().unwrap();
    let options = [
        "--search-dir",
        search.path().to_str().unwrap(),
        "--public-url",
        "https://controlroom.example.police.uk",
    ];
    let proxies = [("CONTROLROOM_TRUSTED_PROXY", "10.9.9.9,127.0.0.1")];
    let super::cli::Served {
        mut child, base, ..
    } = super::cli::serve(&super::cli::serve_args(&database.url, &options), &proxies).await;
    let client = reqwest::Client::new();
    let sign_in = |from: &str, password: &str| {
        client
            .post(format!("{base}/api/v1/session"))
            .header("x-forwarded-for", from)
            .json(&json!({ "username": "handler", "password": password }))
            .send()
    };
    let response = sign_in(CONSOLE, PASSWORD).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = header(&response, "set-cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    for _ in 0..5 {
        let response = sign_in(ATTACKER, "guess").await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = sign_in(ELSEWHERE, PASSWORD).await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let response = sign_in(CONSOLE, PASSWORD).await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "the console is a different client only if X-Forwarded-For was believed"
    );
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}
