//! Partner incidents over HTTP (issue 17), the round trip: our incident sent to a partner
//! through the file adapter (a JSON file in the outbox that the partner's side reads back in
//! our documented shape), the partner's incident about the same event received and linked to
//! ours, then updated; a message that does not fit is kept byte for byte and flagged for a
//! person, who says what they did about it.

use controlroom_app::Settings;
use controlroom_app::partners::PartnerSettings;
use controlroom_domain::partner::{self, Received};
use controlroom_testkit::{Backend, TestApp, both_backends, items};
use reqwest::StatusCode;
use serde_json::json;

both_backends!(an_incident_goes_to_a_partner_and_theirs_comes_back_linked);

async fn an_incident_goes_to_a_partner_and_theirs_comes_back_linked(backend: Backend) {
    let outbox = tempfile::tempdir().unwrap();
    let settings = Settings {
        partner: PartnerSettings {
            agency: "police.example.uk".into(),
            outbox: Some(outbox.path().to_owned()),
        },
        ..Settings::default()
    };
    let app = TestApp::spawn_with(backend, settings).await.unwrap();
    let handler = app.signed_in("handler", "contact_handler").await;
    let taken = app
        .ok(
            &handler,
            "/api/v1/contacts",
            controlroom_testkit::contact_body("Man collapsed in the street, not breathing"),
        )
        .await;
    let incident = taken["incident"]["id"].as_str().unwrap().to_owned();
    let partners = format!("/api/v1/incidents/{incident}/partners");

    // An agency not in the directory is refused on its field.
    app.invalid(&handler, &partners, json!({"to": "NASA"}), "to")
        .await;
    // Sent to the ambulance service: one file in its outbox, in our shape.
    let sent = app
        .ok(&handler, &partners, json!({"to": "AMBULANCE"}))
        .await;
    let ours = sent["key"].as_str().unwrap().to_owned();
    assert!(ours.ends_with(":police.example.uk"), "{sent}");
    let files: Vec<_> = std::fs::read_dir(outbox.path().join("AMBULANCE"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(
        files[0].extension().unwrap(),
        "json",
        "no part file left behind"
    );
    let text = std::fs::read_to_string(&files[0]).unwrap();
    let Received::Valid(read_back) = partner::receive(&text, jiff::Timestamp::now()) else {
        panic!("what we send reads back in our own shape: {text}");
    };
    assert_eq!(read_back.tracking_id, ours);
    assert_eq!(read_back.message_kind, partner::MessageKind::New);

    // The ambulance service's own incident about the same event, linking ours.
    let theirs = "urn:emergency:uid:incidentid:AMB-77:ambulance.example.nhs.uk";
    let message = |status: &str, kind: &str| {
        json!({
            "$id": theirs,
            "formatVersion": partner::FORMAT,
            "lastUpdateTimeStamp": "2026-12-02T01:00:00Z",
            "updatedByAgencyReference": {"$ref": "ambulance.example.nhs.uk"},
            "messageKind": kind,
            "incidentComponent": {"internalIncidentId": "AMB-77", "incidentStatusInternalText": [status]},
            "linkComponent": [{"incidentTrackingIdentifier": ours, "linkDirectionCode": "RELATED"}]
        })
    };
    let (status, kept) = app
        .post(
            "/api/v1/partner-messages",
            Some(&handler),
            &message("dispatched", "new"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{kept}");
    assert_eq!(kept["kept"], "read");
    assert_eq!(kept["linked_to"], incident.as_str(), "{kept}");
    let (status, _) = app
        .post(
            "/api/v1/partner-messages",
            Some(&handler),
            &message("at_scene", "update"),
        )
        .await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let linked = app.get_ok(&handler, &partners).await;
    let found = items(&linked["partners"]);
    let amb = found
        .iter()
        .find(|p| p["key"] == theirs)
        .expect("theirs is linked to ours");
    assert_eq!(amb["messages_received"], 2, "{linked}");
    assert_eq!(
        amb["received"]["incidentComponent"]["incidentStatusInternalText"][0], "at_scene",
        "the update is the state now: {linked}"
    );
    // Our incident's log says so.
    let now = app
        .get_ok(&handler, &format!("/api/v1/incidents/{incident}"))
        .await;
    assert!(now["log"].to_string().contains("AMB-77"), "{now}");

    // An empty request carries nothing to keep: refused.
    let empty = app
        .client
        .post(app.url("/api/v1/partner-messages"))
        .bearer_auth(&handler)
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);
    // A message that does not fit: kept exactly as received, every reason listed.
    let bad = r#"{"$id": "AMB-78", "formatVersion": "eido/1.0", "colour": "red"}"#;
    let response = app
        .client
        .post(app.url("/api/v1/partner-messages"))
        .bearer_auth(&handler)
        .header("content-type", "application/json")
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let (_, kept) = controlroom_testkit::read(response).await;
    assert_eq!(kept["kept"], "flagged");
    let paths: Vec<&str> = items(&kept["reasons"])
        .iter()
        .map(|r| r["path"].as_str().unwrap())
        .collect();
    for path in ["$id", "formatVersion", "colour", "incidentComponent"] {
        assert!(paths.contains(&path), "{path} in {paths:?}");
    }
    let waiting = app
        .get_ok(&handler, "/api/v1/partner-messages/flagged")
        .await;
    let flagged = items(&waiting["partners"]);
    assert_eq!(flagged.len(), 1, "{waiting}");
    assert_eq!(flagged[0]["flagged"]["raw"], bad, "kept byte for byte");
    let id = kept["flagged"].as_str().unwrap();
    app.ok(
        &handler,
        &format!("/api/v1/partner-messages/flagged/{id}/resolve"),
        json!({"note": "Phoned the ambulance control room; they resent it correctly"}),
    )
    .await;
    let waiting = app
        .get_ok(&handler, "/api/v1/partner-messages/flagged")
        .await;
    assert!(items(&waiting["partners"]).is_empty(), "{waiting}");
    // The sending is on record as a disclosure.
    app.assert_audited(&[
        "partner.sent",
        "disclosed",
        "partner.linked",
        "partner.flagged",
    ])
    .await;
    app.verify_audit_trail().await;
    app.finish().await;
}
