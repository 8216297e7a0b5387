//! Issue 20 item 1: the access table is the source of truth. Every operation in the OpenAPI
//! document has a decision in `controlroom_web::access::OPERATIONS`, every decision names a
//! real operation, and for every role each operation answers 403 exactly when the role lacks
//! the permission the table names (`Role::may` in the domain). The edge checks before it reads
//! a path or body, so any id and an empty body are enough to see the decision.

use controlroom_domain::roles::Role;
use controlroom_testkit::{Backend, TestApp, both_backends};
use controlroom_web::access::{Access, OPERATIONS};
use reqwest::StatusCode;
use std::collections::BTreeSet;

both_backends!(every_operation_answers_every_role_as_the_access_table_says);

const SOME_ID: &str = "01a22e20-0000-7000-8000-000000000001";

async fn every_operation_answers_every_role_as_the_access_table_says(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let (_, doc) = app.get("/api/v1/openapi.json", None).await;
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert((method.to_uppercase(), path.clone()));
        }
    }
    let decided: BTreeSet<(String, String)> = OPERATIONS
        .iter()
        .map(|(m, p, _)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    let undecided: Vec<_> = documented.difference(&decided).collect();
    assert!(
        undecided.is_empty(),
        "operations with no access decision: {undecided:?}"
    );
    // The document does not describe itself; every other decision names a documented one.
    let stale: Vec<_> = decided
        .difference(&documented)
        .filter(|(_, p)| p != "/api/v1/openapi.json")
        .collect();
    assert!(
        stale.is_empty(),
        "decisions for operations that do not exist: {stale:?}"
    );

    let mut wrong = Vec::new();
    for role in Role::ALL {
        let token = app
            .signed_in(&format!("who_{}", role.as_str()), role.as_str())
            .await;
        for (method, path, access) in OPERATIONS {
            // Signing out would end this role's session before its other checks.
            if *method == "DELETE" {
                continue;
            }
            let url = app.url(
                &path
                    .replace("{id}", SOME_ID)
                    .replace("{kind}", "person")
                    .replace("{number}", "1"),
            );
            let request = match *method {
                "GET" => app.client.get(&url),
                "POST" => app.client.post(&url).json(&serde_json::json!({})),
                "PUT" => app.client.put(&url).json(&serde_json::json!({})),
                other => panic!("method {other}"),
            };
            let status = request.bearer_auth(&token).send().await.unwrap().status();
            let expected_forbidden = match access {
                Access::Public | Access::SignedIn => false,
                Access::Needs(permission, _) => !role.may(*permission),
            };
            if (status == StatusCode::FORBIDDEN) != expected_forbidden {
                wrong.push(format!(
                    "{} {method} {path}: {status}, expected {}",
                    role.as_str(),
                    if expected_forbidden { "403" } else { "not 403" }
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} answers disagree with the table:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
