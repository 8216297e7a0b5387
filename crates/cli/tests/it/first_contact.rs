//! First point of contact over the API: a domestic abuse call assessed, graded against the
//! recommendation, signposted and closed to the standards; and bad reference data refused.

use super::cli::run;
use controlroom_testkit::{Backend, TestApp, both_backends, text, texts, texts_at};
use reqwest::StatusCode;
use serde_json::{Value, json};

both_backends!(a_domestic_abuse_call_is_assessed_graded_and_closed_to_the_standards);

/// A THRIVE assessment: the level and reason of each factor (threat, harm, risk,
/// investigation, vulnerability, engagement) and the National Decision Model's five answers
/// (information, assessment, powers and policy, options, action).
fn thrive_body(factors: [(&str, &str); 6], ndm: [&str; 5]) -> Value {
    let mut body: serde_json::Map<String, Value> = controlroom_domain::assessment::THRIVE_FACTORS
        .iter()
        .zip(factors)
        .map(|(name, (level, reason))| {
            (
                (*name).to_owned(),
                json!({"level": level, "reason": reason}),
            )
        })
        .collect();
    let [information, assessment, powers_and_policy, options, action] = ndm;
    body.insert(
        "ndm".to_owned(),
        json!({
            "information": information,
            "assessment": assessment,
            "powers_and_policy": powers_and_policy,
            "options": options,
            "action": action,
        }),
    );
    Value::Object(body)
}

/// The domestic abuse call's THRIVE, with threat, harm, risk and vulnerability at `level`.
fn thrive(level: &str) -> Value {
    thrive_body(
        [
            (level, "ex-partner at the door threatening to kill her"),
            (level, "previous injuries; serious harm likely"),
            (level, "risk is immediate while he is there"),
            ("medium", "offences disclosed, body-worn video needed"),
            (level, "two children in the house"),
            ("medium", "victim wants police to attend"),
        ],
        [
            "caller's account, two previous DA incidents",
            "immediate threat to life",
            "DA policy, s.17 PACE entry to save life",
            "emergency attendance; advise caller to stay locked in",
            "emergency grade, DASH on scene",
        ],
    )
}

/// THRIVE with every factor low: on its own, resolution without deployment.
fn thrive_low() -> Value {
    thrive_body(
        [
            ("low", "no threat now"),
            ("low", "property only"),
            ("low", "no risk of it happening again tonight"),
            ("low", "no CCTV or witnesses"),
            ("low", "caller not vulnerable"),
            ("low", "happy to be dealt with by phone"),
        ],
        [
            "caller's account",
            "low threat, harm and risk",
            "graded response",
            "resolution without deployment",
            "crime recorded by phone",
        ],
    )
}

async fn a_domestic_abuse_call_is_assessed_graded_and_closed_to_the_standards(backend: Backend) {
    let app = TestApp::spawn(backend).await.unwrap();
    let token = app.signed_in("handler", "contact_handler").await;
    let t = Some(token.as_str());

    let (status, reference) = app.get("/api/v1/reference", t).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(reference["dash_questions"].as_array().unwrap().len(), 27);
    assert!(texts_at(&reference["agencies"], "code").contains(&"MARAC"));

    let mut body = controlroom_testkit::contact_body(
        "Ex-partner kicking the door, says he will kill me; my two children are here",
    );
    body["incident_type"] = json!("DOMESTIC_INCIDENT");
    let (status, taken) = app.post("/api/v1/contacts", t, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    let id = taken["incident"]["id"].as_str().unwrap().to_owned();
    let path = |what: &str| format!("/api/v1/incidents/{id}/{what}");
    // Nothing is assessed yet: no grade is recommended, and what is missing is said.
    let first = &taken["incident"]["recommendation"];
    assert!(first["grade"].is_null(), "{first}");
    assert_eq!(first["assessed"], false);
    assert!(
        text(&first["explanation"]).starts_with("not yet assessed"),
        "{first}"
    );
    let asked = texts_at(&taken["incident"]["questions"], "fact");
    assert!(asked.contains(&"CHILDREN_PRESENT"), "{asked:?}");

    // Unknown codes are refused with the field named.
    let (status, problem) = app
        .post(&path("classify"), t, &json!({"qualifiers": ["DOMESTIC"]}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "qualifiers[0]");
    let (status, classified) = app
        .post(
            &path("classify"),
            t,
            &json!({"qualifiers": ["DOMESTIC_ABUSE", "CHILD_AT_RISK"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{classified}");
    assert_eq!(
        classified["incident"]["recommendation"]["grade"], "priority",
        "DA and a child at risk ask for priority at least"
    );

    // THRIVE: every factor needs a level and a reason.
    let mut bad = thrive("high");
    bad["risk"]["reason"] = json!("");
    let (status, problem) = app.post(&path("thrive"), t, &bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["field"], "risk.reason");
    let (status, assessed) = app.post(&path("thrive"), t, &thrive("high")).await;
    assert_eq!(status, StatusCode::OK, "{assessed}");
    let recommendation = &assessed["incident"]["recommendation"];
    assert_eq!(recommendation["grade"], "emergency");
    assert!(
        text(&recommendation["explanation"]).starts_with("emergency because: immediate threat"),
        "{recommendation}"
    );
    let (_, reassessed) = app.post(&path("thrive"), t, &thrive("high")).await;
    assert_eq!(
        reassessed["incident"]["thrive"].as_array().unwrap().len(),
        2,
        "every version is kept"
    );

    let (status, flagged) = app
        .post(&path("vulnerability"), t, &json!({"subject": "victim", "flags": ["domestic_abuse", "repeat_victim"], "note": "third call this year"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{flagged}");
    let (status, problem) = app
        .post(
            &path("vulnerability"),
            t,
            &json!({"subject": "victim", "flags": ["sad"]}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");

    // DASH: 15 "yes" answers is high risk, referred to MARAC; children mean a safeguarding referral.
    let answers: Vec<&str> = (0..27)
        .map(|i| if i < 15 || i == 25 { "yes" } else { "no" })
        .collect();
    let (status, dash) = app
        .post(&path("dash"), t, &json!({"answers": answers}))
        .await;
    assert_eq!(status, StatusCode::OK, "{dash}");
    let last = &dash["incident"]["dash"][0];
    assert_eq!(last["risk"], "high");
    assert!(texts(&last["referrals"]).contains(&"MARAC"));
    assert!(texts(&last["referrals"]).contains(&"CHILDRENS_SOCIAL_CARE"));
    let (status, _) = app
        .post(&path("dash"), t, &json!({"answers": ["yes"]}))
        .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "every question must be answered"
    );

    // Grading below the recommendation needs its own reason, and is recorded as an override.
    let (status, problem) = app
        .post(
            &path("grade"),
            t,
            &json!({"grade": "priority", "rationale": "units busy"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["field"], "override_reason");
    assert!(
        text(&problem["detail"]).contains("recommended emergency because"),
        "{problem}"
    );
    let (status, graded) = app
        .post(&path("grade"), t, &json!({"grade": "priority", "rationale": "suspect has left", "override_reason": "caller says he drove off; she is safe with neighbour"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{graded}");
    let decision = &graded["incident"]["grades"][0];
    assert_eq!(decision["recommended"], "emergency");
    assert_eq!(
        decision["override_reason"],
        "caller says he drove off; she is safe with neighbour"
    );
    assert_eq!(decision["attendance_target_minutes"], 60);
    let attendance = &graded["incident"]["clocks"]["attendance"];
    assert_eq!(attendance["target_minutes"], 60);
    assert_eq!(attendance["overdue"], false);
    // Sixty-five minutes later, nobody has arrived: overdue, in the list too.
    // (The handler stays active meanwhile, so the session does not end.)
    for _ in 0..5 {
        app.clock.advance(jiff::SignedDuration::from_mins(13));
        app.get("/api/v1/session", t).await;
    }
    let (_, now) = app.get(&format!("/api/v1/incidents/{id}"), t).await;
    assert_eq!(now["clocks"]["attendance"]["overdue"], true);
    let (_, list) = app.get("/api/v1/incidents", t).await;
    assert!(list["incidents"][0]["attend_by"].is_string());

    // Closing: every inconsistency at once, with its rule; nothing recorded until fixed.
    let head = app.chain_head().await;
    let (status, problem) = app
        .post(&path("close"), t, &json!({"closing_code": "ASB_PERSONAL_RESOLVED", "qualifiers": [], "resolution": "words of advice"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "closure_inconsistent");
    let rules = texts_at(&problem["problems"], "rule");
    assert!(rules.contains(&"NSIR-CATEGORY"), "{rules:?}");
    assert!(rules.contains(&"NSIR-DOMESTIC-ABUSE"), "{rules:?}");
    assert!(
        rules.contains(&"GRADED-RESPONSE-UNATTENDED"),
        "a priority no unit attended: {rules:?}"
    );
    assert_eq!(app.chain_head().await, head);

    // A unit attends (late), and the recorder records the crime the close will cite.
    let dispatcher = app.signed_in("dispatcher", "dispatcher").await;
    let unit = app
        .post_status(
            &dispatcher,
            "/api/v1/units",
            json!({"call_sign": "AL21", "unit_type": "response", "station": "Chapeltown"}),
            StatusCode::CREATED,
        )
        .await;
    let unit_id = unit["id"].as_str().unwrap();
    let (status, sent) = app
        .post(
            &path("assign"),
            Some(&dispatcher),
            &json!({"unit": unit_id}),
        )
        .await;
    assert!(status.is_success(), "{sent}");
    let (status, arrived) = app
        .post(
            &format!("/api/v1/units/{unit_id}/status"),
            Some(&dispatcher),
            &json!({"status": "at_scene", "reason": "every unit was committed"}),
        )
        .await;
    assert!(status.is_success(), "{arrived}");
    let recorder = app.signed_in("recorder", "crime_recorder").await;
    let victim = app
        .post(
            "/api/v1/people",
            Some(&recorder),
            &json!({"names": ["Jane Doe"]}),
        )
        .await
        .1;
    let (status, crime) = app
        .post(
            &path("crimes"),
            Some(&recorder),
            &json!({
                "classification": "8N",
                "parties": [{"person": victim["id"], "role": "victim"}],
                "offence_from": "2026-01-01T00:00:00Z",
                "modus_operandi": "Kicked the door in and assaulted her"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{crime}");
    let crime_number = crime["reference"].as_str().unwrap().to_owned();
    let (status, problem) = app
        .post(
            &path("close"),
            t,
            &json!({"closing_code": "CRIME_ARREST", "final_incident_type": "CRIME_VIOLENCE", "qualifiers": ["DOMESTIC_ABUSE"], "resolution": "arrested"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["problems"][0]["rule"], "NCRS-DECISION");

    // The referrals the high-risk DASH and the children present require (referral-rules.psv):
    // the close is refused, naming the rule and its source, until each is sent.
    let (status, problem) = app
        .post(
            &path("close"),
            t,
            &json!({
                "closing_code": "CRIME_ARREST", "final_incident_type": "CRIME_VIOLENCE",
                "qualifiers": ["DOMESTIC_ABUSE", "CHILD_AT_RISK"], "crime_reference": crime_number,
                "resolution": "Suspect arrested nearby"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert!(
        texts_at(&problem["problems"], "rule").contains(&"SAFEGUARDING-REFERRAL"),
        "{problem}"
    );
    assert!(problem.to_string().contains("MARAC"), "{problem}");
    let (status, referrals) = app.get(&path("referrals"), t).await;
    assert_eq!(status, StatusCode::OK, "{referrals}");
    let required: Vec<String> = referrals["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["referral_type"].as_str().unwrap().to_owned())
        .collect();
    assert!(required.iter().any(|r| r == "MARAC"), "{referrals}");
    for (n, kind) in required.iter().enumerate() {
        let referral =
            format!("/api/v1/incidents/{id}/referrals/0193a6c0-0000-7000-8000-00000000010{n}");
        let (status, drafted) = app
            .post(
                &referral,
                t,
                &json!({
                    "action": "draft", "referral_type": kind,
                    "reason": "High-risk domestic abuse with children in the house",
                    "sharing": {"kind": "without_consent", "basis": "SAFEGUARDING_CHILD", "why": "seeking consent would put the children at risk"},
                    "shared": ["the DASH answers", "the children's names and ages"]
                }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{drafted}");
        let (status, sent) = app.post(&referral, t, &json!({"action": "send"})).await;
        assert_eq!(status, StatusCode::OK, "{sent}");
        assert_eq!(sent["status"]["status"], "sent", "{sent}");
    }
    let (status, signposted) = app.post(&path("signpost"), t, &json!({"agency": "IDVA", "advice": "referred to the IDVA service; MARAC referral made"})).await;
    assert_eq!(status, StatusCode::OK, "{signposted}");
    assert_eq!(signposted["incident"]["signposts"][0]["agency"], "IDVA");
    let (status, closed) = app
        .post(
            &path("close"),
            t,
            &json!({
                "closing_code": "CRIME_ARREST",
                "final_incident_type": "CRIME_VIOLENCE",
                "qualifiers": ["DOMESTIC_ABUSE", "CHILD_AT_RISK"],
                "crime_reference": crime_number,
                "resolution": "Suspect arrested nearby; victim and children safe; DASH high, MARAC referral made"
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{closed}");
    assert_eq!(closed["incident"]["status"], "closed");

    // Everything is in the audit trail and replays.
    app.assert_audited(&[
        "incident_classified",
        "thrive_assessed",
        "vulnerability_recorded",
        "dash_completed",
        "caller_signposted",
        "referral.sent",
        "disclosed",
    ])
    .await;
    app.verify_audit_trail().await;
    app.finish().await;
}

#[tokio::test]
async fn bad_reference_data_stops_start_up_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let reference = dir.path().display().to_string();
    let serve = super::cli::serve_args(&db, &["--reference-dir", &reference]);
    let types = "incident-types.psv";
    let sky = "# ours\ncode|name|category\nDRONE|Drone sighting|SKY\n";
    let again = "code|name|category\nMISSING_PERSON|Again|PUBLIC_SAFETY\n";
    let valid_types = "code|name|category\nX|x|PUBLIC_SAFETY\n";
    let nuke = "rule|value|grade|reason\nqualifier|NUKE|emergency|x\n";
    // The force's files as they are written, one change after another, and what each refusal
    // names.
    for (files, said) in [
        (
            vec![(types, sky)],
            ["incident-types.psv:3", "category SKY is not defined"],
        ),
        (
            vec![(types, again)],
            ["incident-types.psv:2", "duplicate code MISSING_PERSON"],
        ),
        (
            vec![(types, valid_types), ("grading-policy.psv", nuke)],
            ["grading-policy.psv:2", "qualifier NUKE is not defined"],
        ),
    ] {
        for (file, content) in files {
            std::fs::write(dir.path().join(file), content).unwrap();
        }
        let (code, _, err) = run(&serve, "").await;
        assert_eq!(code, 2, "{err}");
        for words in said {
            assert!(err.contains(words), "{err}");
        }
    }
}

both_backends!(repeats_found_by_the_intelligence_check_raise_the_recommendation);

/// The repeat counts the intelligence check finds (the same caller's phone, the same address
/// by UPRN) are stored on the incident and raise the recommendation by the force's repeat
/// rules, with the reason naming the repeat (College of Policing APP, contact management:
/// repeat victimisation and repeat locations are part of THRIVE's vulnerability).
async fn repeats_found_by_the_intelligence_check_raise_the_recommendation(backend: Backend) {
    use controlroom_domain::reference::{RepeatKind, Trigger};
    let app = TestApp::spawn(backend).await.unwrap();
    app.signed_in("handler", "contact_handler").await;
    // The threshold is the force's (grading-policy.psv), not a number fixed here.
    let threshold = |kind: RepeatKind| {
        app.app
            .settings
            .reference
            .policy
            .rules
            .iter()
            .find_map(|r| match r.when {
                Trigger::Repeat(k, n) if k == kind => Some(n),
                _ => None,
            })
            .expect("a repeat rule")
    };
    let earlier = threshold(RepeatKind::Caller).max(threshold(RepeatKind::Location));

    let call = || {
        let mut body = controlroom_testkit::contact_body("Shed broken into again, bikes taken");
        body["channel"] = json!("101");
        body["caller"]["phone"] = json!("07700 900777");
        body["incident_type"] = json!("CRIME_THEFT");
        body["location"] = json!({"text": "3 Roundhay Road, Leeds", "lat": 53.81, "lon": -1.53, "uprn": "72009999"});
        body
    };
    for _ in 0..earlier {
        let token = app.sign_in("handler", controlroom_testkit::PASSWORD).await;
        let (status, taken) = app.post("/api/v1/contacts", Some(&token), &call()).await;
        assert_eq!(status, StatusCode::CREATED, "{taken}");
        // A day apart (a new shift, so a new sign-in): earlier incidents, not duplicates.
        app.clock.advance(jiff::SignedDuration::from_hours(24));
    }
    let token = app.sign_in("handler", controlroom_testkit::PASSWORD).await;
    let t = Some(token.as_str());
    let (status, taken) = app.post("/api/v1/contacts", t, &call()).await;
    assert_eq!(status, StatusCode::CREATED, "{taken}");
    let id = taken["incident"]["id"].as_str().unwrap().to_owned();
    let path = |what: &str| format!("/api/v1/incidents/{id}/{what}");
    let (status, assessed) = app.post(&path("thrive"), t, &thrive_low()).await;
    assert_eq!(status, StatusCode::OK, "{assessed}");
    let (status, answered) = app
        .post(
            &path("answers"),
            t,
            &json!({"answers": {"THREAT_TO_LIFE": "no", "INJURY": "no", "WEAPON_SEEN": "no"}}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    let before = &answered["incident"];
    assert_eq!(
        before["recommendation"]["grade"], "resolution_without_deployment",
        "{before}"
    );
    assert!(before["repeats"].is_null(), "no check yet: {before}");

    let (status, check) = app.post(&path("intelligence"), t, &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{check}");

    let (status, after) = app.get(&format!("/api/v1/incidents/{id}"), t).await;
    assert_eq!(status, StatusCode::OK, "{after}");
    let repeats = &after["repeats"];
    assert_eq!(repeats["caller"], earlier, "{after}");
    assert_eq!(repeats["location"], earlier, "{after}");
    assert_eq!(repeats["victim"], 0, "{after}");
    let recommendation = &after["recommendation"];
    assert_eq!(recommendation["grade"], "scheduled", "{recommendation}");
    let reasons = texts(&recommendation["reasons"]);
    assert!(
        reasons.iter().any(|r| r.contains("repeat caller")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("repeat location")),
        "{reasons:?}"
    );
    assert!(
        text(&recommendation["explanation"]).contains("repeat"),
        "{recommendation}"
    );
    app.finish().await;
}
