//! Every input is bounded (limits declared once, in `controlroom_domain::limits`): a value
//! over its limit is refused with 422 problem+json whose detail names the field and the
//! limit, and nothing is saved; a value at its limit is accepted.

use controlroom_domain::limits;
use controlroom_testkit::{Backend, TestApp, both_backends, contact_body, optional_header};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(
    over_long_input_is_refused_naming_the_limit_and_nothing_is_saved,
    a_long_log_comes_a_page_at_a_time,
);

fn long(n: usize) -> String {
    "x".repeat(n)
}

async fn over_long_input_is_refused_naming_the_limit_and_nothing_is_saved(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let recorder = app.signed_in("recorder", "crime_recorder").await;
    let h = handler.as_str();
    let taken = app.take_999(h, "Fight in the street").await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();
    let person = app
        .ok(h, "/api/v1/people", json!({"names": ["Jane Doe"]}))
        .await;
    let person_id = person["id"].as_str().unwrap().to_owned();

    let contact = |edit: &dyn Fn(&mut Value)| {
        let mut body = contact_body("Something happened");
        edit(&mut body);
        body
    };
    let crime = |modus: String| {
        json!({
            "classification": "44",
            "reported_at": "2026-01-02T09:00:00Z",
            "offence_from": "2026-01-01T20:00:00Z",
            "location": "Outside 9 Park Row, Leeds LS1 5HD",
            "modus_operandi": modus,
        })
    };
    // (what, who, path, body, the field, the words the detail must hold)
    let cases: Vec<(&str, &str, String, Value, &str, String)> = vec![
        (
            "a contact's free text",
            h,
            "/api/v1/contacts".into(),
            contact(&|b| b["summary"] = json!(long(limits::NARRATIVE + 1))),
            "summary",
            "summary: at most 4,000 characters (4,001 given)".into(),
        ),
        (
            "a caller's name",
            h,
            "/api/v1/contacts".into(),
            contact(&|b| b["caller"]["name"] = json!(long(limits::NAME + 1))),
            "caller.name",
            "caller.name: at most 200 characters".into(),
        ),
        (
            "a caller's phone",
            h,
            "/api/v1/contacts".into(),
            contact(&|b| b["caller"]["phone"] = json!("0".repeat(limits::PHONE + 1))),
            "caller.phone",
            "caller.phone: at most 32 characters".into(),
        ),
        (
            "a log entry",
            h,
            format!("/api/v1/incidents/{incident}/log"),
            json!({"text": long(limits::NARRATIVE + 1)}),
            "text",
            "text: at most 4,000 characters".into(),
        ),
        (
            "a person's name",
            h,
            "/api/v1/people".into(),
            json!({"names": [long(limits::NAME + 1)]}),
            "names[0]",
            "names[0]: at most 200 characters".into(),
        ),
        (
            "too many names",
            h,
            "/api/v1/people".into(),
            json!({"names": vec!["Jane Doe"; limits::PER_PERSON + 1]}),
            "names",
            "names: at most 20 items (21 given)".into(),
        ),
        (
            "a searched name",
            h,
            "/api/v1/search".into(),
            json!({"name": long(limits::SEARCH_NAME + 1)}),
            "name",
            "name: at most 200 characters (201 given)".into(),
        ),
        (
            "a 60,000-character searched name (issue 20)",
            h,
            "/api/v1/search".into(),
            json!({"name": long(60_000)}),
            "name",
            "name: at most 4,000 characters (60,000 given)".into(),
        ),
        (
            "a marker's reason",
            h,
            format!("/api/v1/records/person/{person_id}/markers"),
            json!({"kind": "weapons", "reason": long(limits::REASON + 1), "source": "INT-1", "review_by": "2030-01-01"}),
            "reason",
            "reason: at most 1,000 characters".into(),
        ),
        (
            "a marker's source",
            h,
            format!("/api/v1/records/person/{person_id}/markers"),
            json!({"kind": "weapons", "reason": "carried a knife", "source": long(limits::SOURCE + 1), "review_by": "2030-01-01"}),
            "source",
            "source: at most 200 characters".into(),
        ),
        (
            "a crime's modus operandi",
            recorder.as_str(),
            "/api/v1/crimes".into(),
            crime(long(limits::NARRATIVE + 1)),
            "modus_operandi",
            "modus_operandi: at most 4,000 characters".into(),
        ),
    ];
    let head = app.chain_head().await;
    for (what, token, path, body, field, words) in &cases {
        let request = app.client.post(app.url(path)).json(body);
        let response = app.send(request, Some(token)).await;
        let content_type = optional_header(&response, "content-type").map(str::to_owned);
        let (status, problem) = controlroom_testkit::read(response).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}: {problem}"
        );
        assert_eq!(
            content_type.as_deref(),
            Some("application/problem+json"),
            "{what}"
        );
        assert_eq!(problem["field"], *field, "{what}: {problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains(words.as_str()), "{what}: {detail}");
        assert!(detail.len() < 200, "{what}: the refusal is short");
    }
    assert_eq!(app.chain_head().await, head, "nothing was saved or logged");

    // An address search over its limit, in the query string.
    let (status, problem) = app
        .get(
            &format!("/api/v1/addresses?q={}", long(limits::ADDRESS_QUERY + 1)),
            Some(h),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("at most 200"),
        "{problem}"
    );
    assert_eq!(app.chain_head().await, head, "nothing was saved or logged");

    // At the limit is accepted.
    let (status, answer) = app
        .post(
            "/api/v1/contacts",
            Some(h),
            &contact(&|b| b["summary"] = json!(long(limits::NARRATIVE))),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    app.ok(h, "/api/v1/people", json!({"names": [long(limits::NAME)]}))
        .await;
    app.ok(&recorder, "/api/v1/crimes", crime(long(limits::NARRATIVE)))
        .await;
    app.finish().await;
}

/// Issue 21: an incident answers with its latest 100 log entries and how many there are in
/// all; earlier ones are asked for a page at a time. Bad page sizes are refused.
async fn a_long_log_comes_a_page_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let h = handler.as_str();
    let taken = app.take_999(h, "Ongoing disturbance, many updates").await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();
    let log = format!("/api/v1/incidents/{incident}/log");
    let mut last = Value::Null;
    for n in 1..=105 {
        last = app
            .ok(h, &log, json!({"text": format!("Update {n}")}))
            .await;
    }
    let numbers = |view: &Value| -> Vec<u64> {
        view["log"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["number"].as_u64().unwrap())
            .collect()
    };
    // The command's answer and a plain read: the latest 100, oldest first, and the total.
    for view in [
        &last["incident"],
        &app.get_ok(h, &format!("/api/v1/incidents/{incident}"))
            .await,
    ] {
        assert_eq!(numbers(view), (6..=105).collect::<Vec<_>>(), "{view}");
        assert_eq!(view["log_total"], 105);
    }
    let page = app
        .get_ok(h, &format!("/api/v1/incidents/{incident}?log_before=6"))
        .await;
    assert_eq!(numbers(&page), [1, 2, 3, 4, 5]);
    let page = app
        .get_ok(
            h,
            &format!("/api/v1/incidents/{incident}?log_before=50&log_limit=3"),
        )
        .await;
    assert_eq!(numbers(&page), [47, 48, 49]);
    // Out of range or not a number: refused (422), naming the field.
    for (query, expected) in [
        ("log_limit=0", StatusCode::UNPROCESSABLE_ENTITY),
        ("log_limit=501", StatusCode::UNPROCESSABLE_ENTITY),
        ("log_limit=many", StatusCode::UNPROCESSABLE_ENTITY),
        ("log_before=-1", StatusCode::UNPROCESSABLE_ENTITY),
        ("log_before=0", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (status, problem) = app
            .get(&format!("/api/v1/incidents/{incident}?{query}"), Some(h))
            .await;
        assert_eq!(status, expected, "{query}: {problem}");
        assert!(
            problem["detail"].as_str().unwrap().contains("log_"),
            "{problem}"
        );
    }
    app.finish().await;
}
