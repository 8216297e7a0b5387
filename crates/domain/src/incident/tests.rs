use super::*;
use crate::contact::{CallerDraft, ContactDraft, ContactId, LocationDraft};

pub(crate) fn at(minute: i64) -> Timestamp {
    Timestamp::from_second(1_795_400_000 + minute * 60).unwrap()
}

pub(crate) fn handler() -> Username {
    Username::parse("handler").unwrap()
}

pub(crate) fn contact(n: u128) -> Contact {
    ContactDraft {
        channel: "999".into(),
        caller: CallerDraft::named("Jane Doe"),
        location: LocationDraft::described("12 High Street"),
        summary: "Shouting next door".into(),
        ..ContactDraft::default()
    }
    .into_contact(ContactId(Uuid::from_u128(n)), handler(), at(0))
    .unwrap()
}

/// Run commands in order, the i-th at minute i, applying the events of each, and return the
/// final state.
pub(crate) fn run(commands: Vec<IncidentCommand>) -> Result<Incident, Rejected> {
    run_at(commands.into_iter().enumerate().map(|(i, c)| (i as i64, c)))
}

/// Run each command at its minute, applying the events of each, and return the final state.
pub(crate) fn run_at(
    steps: impl IntoIterator<Item = (i64, IncidentCommand)>,
) -> Result<Incident, Rejected> {
    let mut state: Option<Incident> = None;
    for (minute, command) in steps {
        let events = decide(state.as_ref(), command)?;
        for event in events {
            let stamped = Stamped {
                at: at(minute),
                by: handler(),
                event,
            };
            state = Some(Incident::apply(state, &stamped, 0).unwrap());
        }
    }
    Ok(state.unwrap())
}

fn open() -> IncidentCommand {
    open_as(None)
}

/// Open incident 1 with this type already given (`None`: untyped, as [`open`]).
pub(crate) fn open_as(incident_type: Option<&str>) -> IncidentCommand {
    open_with(contact(1), incident_type)
}

/// Open incident 1 from `contact`, with this type already given (`None`: untyped).
pub(crate) fn open_with(contact: Contact, incident_type: Option<&str>) -> IncidentCommand {
    IncidentCommand::Open {
        id: IncidentId(Uuid::from_u128(1)),
        reference: IncidentRef::parse("20261123-0001").unwrap(),
        incident_type: incident_type.map(|t| Code::parse("type", t).unwrap()),
        contact,
    }
}

/// The national reference data, as shipped.
fn shipped_reference() -> crate::reference::ReferenceData {
    crate::reference::ReferenceData::load(&crate::reference::tests::shipped()).unwrap()
}

fn grade(g: &str) -> IncidentCommand {
    IncidentCommand::grade(g, "caller reports ongoing threat").unwrap()
}

fn close() -> IncidentCommand {
    IncidentCommand::close(Some("nfa"), &["DA".into(), "da".into()], "advice given").unwrap()
}

#[test]
fn a_contact_opens_an_incident_with_its_contact() {
    let incident = run(vec![open()]).unwrap();
    assert_eq!(incident.status, Status::Open);
    assert_eq!(incident.contacts.len(), 1);
    assert_eq!(incident.version, 2);
    assert_eq!(incident.reference.as_str(), "20261123-0001");
}

#[test]
fn the_whole_lifecycle_with_dispatch() {
    let incident = run(vec![
        open(),
        grade("emergency"),
        IncidentCommand::RecordDispatch {
            note: Some("Alpha 1-1 assigned".into()),
        },
        IncidentCommand::RecordArrival,
        IncidentCommand::resolve("arrested one male").unwrap(),
        close(),
    ])
    .unwrap();
    let path: Vec<_> = incident.history.iter().map(|h| h.to.as_str()).collect();
    assert_eq!(
        path,
        [
            "open",
            "graded",
            "dispatched",
            "at_scene",
            "resolved",
            "closed"
        ]
    );
    let closure = incident.closure.unwrap();
    assert_eq!(closure.closing_code.as_str(), "NFA");
    assert_eq!(
        closure.qualifiers.len(),
        1,
        "duplicate qualifiers are merged"
    );
}

#[test]
fn closing_needs_a_code_and_a_grade() {
    let err = IncidentCommand::close(None, &[], "done").unwrap_err();
    assert_eq!(err.field, "closing_code");
    assert!(err.message.contains("without a closing code"));
    let err = IncidentCommand::close(Some("  "), &[], "done").unwrap_err();
    assert_eq!(err.field, "closing_code");

    let err = run(vec![open(), close()]).unwrap_err();
    assert_eq!(err.code, "not_graded");
    assert!(err.reason.contains("grade it before closing"));
}

#[test]
fn a_closed_incident_cannot_be_graded_or_written_to() {
    let err = run(vec![open(), grade("priority"), close(), grade("emergency")]).unwrap_err();
    assert_eq!(err.code, "incident_closed");

    let err = run(vec![
        open(),
        grade("priority"),
        close(),
        IncidentCommand::add_log_entry("more", None).unwrap(),
    ])
    .unwrap_err();
    assert_eq!(err.code, "incident_closed");
    assert!(err.reason.contains("reopened"), "{}", err.reason);

    let err = run(vec![
        open(),
        grade("priority"),
        close(),
        IncidentCommand::JoinContact {
            contact: contact(2),
        },
    ])
    .unwrap_err();
    assert_eq!(err.code, "incident_closed");
}

#[test]
fn reopening_needs_a_reason_and_a_fresh_grade() {
    assert_eq!(IncidentCommand::reopen(" ").unwrap_err().field, "reason");
    let incident = run(vec![
        open(),
        grade("priority"),
        close(),
        IncidentCommand::reopen("caller rang back: suspect returned").unwrap(),
        IncidentCommand::add_log_entry("caller says he is back", None).unwrap(),
    ])
    .unwrap();
    assert_eq!(incident.status, Status::Open);
    assert!(incident.closure.is_none());
    assert_eq!(
        incident.history.last().unwrap().reason.as_deref(),
        Some("caller rang back: suspect returned")
    );

    let err = run(vec![
        open(),
        grade("priority"),
        close(),
        IncidentCommand::reopen("rang back").unwrap(),
        close(),
    ])
    .unwrap_err();
    assert_eq!(err.code, "not_graded");

    let err = run(vec![open(), IncidentCommand::reopen("why not").unwrap()]).unwrap_err();
    assert_eq!(err.code, "not_closed");
}

#[test]
fn corrections_are_new_entries_pointing_at_the_old() {
    let incident = run(vec![
        open(),
        IncidentCommand::add_log_entry("suspect in red coat", None).unwrap(),
        IncidentCommand::add_log_entry("correction: blue coat", Some(1)).unwrap(),
    ])
    .unwrap();
    assert_eq!(incident.log.len(), 2);
    assert_eq!(incident.log[0].text, "suspect in red coat");
    assert_eq!(incident.log[1].corrects, Some(1));

    let err = run(vec![
        open(),
        IncidentCommand::add_log_entry("fix", Some(7)).unwrap(),
    ])
    .unwrap_err();
    assert_eq!(err.code, "no_such_log_entry");
}

#[test]
fn a_second_contact_joins_and_cannot_join_twice() {
    let incident = run(vec![
        open(),
        IncidentCommand::JoinContact {
            contact: contact(2),
        },
    ])
    .unwrap();
    assert_eq!(incident.contacts.len(), 2);
    let err = run(vec![
        open(),
        IncidentCommand::JoinContact {
            contact: contact(1),
        },
    ])
    .unwrap_err();
    assert_eq!(err.code, "duplicate_contact");
}

#[test]
fn dispatch_needs_a_deploying_grade() {
    let err = run(vec![open(), IncidentCommand::RecordDispatch { note: None }]).unwrap_err();
    assert_eq!(err.code, "not_graded");
    let err = run(vec![
        open(),
        grade("signposted"),
        IncidentCommand::RecordDispatch { note: None },
    ])
    .unwrap_err();
    assert_eq!(err.code, "grade_does_not_deploy");
    let err = run(vec![
        open(),
        grade("emergency"),
        IncidentCommand::RecordDispatch { note: None },
        grade("signposted"),
    ])
    .unwrap_err();
    assert_eq!(err.code, "units_attached");
}

#[test]
fn grading_needs_a_known_grade_and_a_rationale() {
    assert_eq!(
        IncidentCommand::grade("urgent", "x").unwrap_err().field,
        "grade"
    );
    assert_eq!(
        IncidentCommand::grade("priority", "").unwrap_err().field,
        "rationale"
    );
    let incident = run(vec![open(), grade("priority"), grade("emergency")]).unwrap();
    assert_eq!(incident.grade(), Some(Grade::Emergency));
    assert_eq!(incident.grades.len(), 2, "every grading decision is kept");
}

#[test]
fn replay_refuses_a_stream_that_does_not_start_with_opened() {
    let stray = Stamped {
        at: at(0),
        by: handler(),
        event: IncidentEvent::ArrivedAtScene,
    };
    let err = Incident::replay([&stray]).unwrap_err();
    assert_eq!(err.index, 0);
}

#[test]
fn references_are_parsed_strictly() {
    let date = jiff::civil::date(2026, 11, 22);
    assert_eq!(IncidentRef::new(date, 42).as_str(), "20261122-0042");
    assert_eq!(IncidentRef::new(date, 12345).as_str(), "20261122-12345");
    assert!(IncidentRef::parse("20261122-0042").is_ok());
    for bad in [
        "20261122-42",
        "20261322-0001",
        "2026112-0001",
        "20261122-0000",
        "x",
    ] {
        assert!(IncidentRef::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn events_round_trip_through_json() {
    let events = decide(None, open()).unwrap();
    for event in events {
        let json = serde_json::to_string(&event).unwrap();
        let back: IncidentEvent = serde_json::from_str(&json).unwrap();
        assert_eq!(back, event);
    }
}

#[test]
fn early_dispatch_needs_a_type_and_never_overrides_a_non_deploying_grade() {
    let typed = || open_as(Some("CRIME_VIOLENCE"));
    let sent = run(vec![
        typed(),
        IncidentCommand::RecordDispatch { note: None },
    ])
    .unwrap();
    assert_eq!(
        sent.status,
        Status::Dispatched,
        "sent while details are still being taken"
    );
    assert_eq!(sent.grade(), None);
    // Found by the property test: a reopened incident keeps its old grade; if that grade sends
    // nobody, it must be graded again before anyone is sent.
    let err = run(vec![
        typed(),
        grade("resolution_without_deployment"),
        close(),
        IncidentCommand::reopen("rang back").unwrap(),
        IncidentCommand::RecordDispatch { note: None },
    ])
    .unwrap_err();
    assert_eq!(err.code, "not_graded");
}

fn link_crime(n: u128) -> IncidentCommand {
    IncidentCommand::LinkCrime {
        crime_id: Uuid::from_u128(n),
        reference: format!("CR-2026-{n:06}"),
        classification: Code::parse("classification", "8N").unwrap(),
    }
}

#[test]
fn crimes_recorded_from_a_closed_incident_are_listed_on_it() {
    let incident = run(vec![open(), grade("priority"), close(), link_crime(7)]).unwrap();
    assert_eq!(incident.status, Status::Closed);
    assert_eq!(incident.crimes.len(), 1);
    assert_eq!(incident.crimes[0].reference, "CR-2026-000007");
    // The first decision fixes the NCRS decision time (command index 3).
    assert_eq!(incident.recording_decided_at(), Some(at(3)));
}

#[test]
fn the_same_crime_is_not_linked_twice() {
    let err = run(vec![open(), link_crime(7), link_crime(7)]).unwrap_err();
    assert_eq!(err.code, "already_linked");
}

#[test]
fn a_non_crime_decision_needs_a_reason_and_rationale_and_cannot_undo_a_crime() {
    assert_eq!(
        IncidentCommand::decide_non_crime("because", "x")
            .unwrap_err()
            .field,
        "reason"
    );
    assert_eq!(
        IncidentCommand::decide_non_crime("credible_evidence_to_the_contrary", "  ")
            .unwrap_err()
            .field,
        "rationale"
    );
    let decision = IncidentCommand::decide_non_crime(
        "credible_evidence_to_the_contrary",
        "CCTV shows the caller's bicycle was taken by her brother with permission",
    )
    .unwrap();
    let incident = run(vec![open(), decision.clone()]).unwrap();
    let non_crime = incident.non_crime.as_ref().unwrap();
    assert_eq!(
        non_crime.reason,
        NonCrimeReason::CredibleEvidenceToTheContrary
    );
    assert_eq!(incident.recording_decided_at(), Some(at(1)));

    let twice = run(vec![open(), decision.clone(), decision.clone()]).unwrap_err();
    assert_eq!(twice.code, "already_decided");
    let after_crime = run(vec![open(), link_crime(1), decision]).unwrap_err();
    assert_eq!(after_crime.code, "crime_recorded");
}

#[test]
fn a_crime_recorded_after_a_non_crime_decision_keeps_the_first_decision_time() {
    let decision =
        IncidentCommand::decide_non_crime("no_notifiable_offence", "words only, no threat")
            .unwrap();
    let incident = run(vec![open(), decision, link_crime(2)]).unwrap();
    assert!(incident.non_crime.is_some());
    assert_eq!(incident.crimes.len(), 1);
    assert_eq!(incident.recording_decided_at(), Some(at(1)));
}

/// Run commands as the application does: after each, append `crime_reported` when the
/// change made the incident a report of crime for the first time.
fn run_with_ncrs(
    commands: Vec<IncidentCommand>,
    reference: &crate::reference::ReferenceData,
) -> Incident {
    let mut state: Option<Incident> = None;
    for (i, command) in commands.into_iter().enumerate() {
        let mut events = decide(state.as_ref(), command).unwrap();
        loop {
            for event in events.drain(..) {
                let stamped = Stamped {
                    at: at(i as i64 * 60),
                    by: handler(),
                    event,
                };
                state = Some(Incident::apply(state, &stamped, 0).unwrap());
            }
            match state
                .as_ref()
                .and_then(|s| crate::ncrs::crime_report_started(s, reference))
            {
                Some(event) => events.push(event),
                None => break,
            }
        }
    }
    state.unwrap()
}

#[test]
fn the_recording_clock_of_a_crime_incident_stops_at_the_decision() {
    use crate::ncrs::{ClockState, recording_clock};
    let reference = shipped_reference();
    let crime_open = open_as(Some("CRIME_VIOLENCE"));
    let undecided = run_with_ncrs(vec![crime_open.clone()], &reference);
    let clock = recording_clock(&undecided).unwrap();
    assert_eq!(clock.started_at, at(0), "from the contact's arrival");
    assert!(clock.overdue(at(24 * 60 + 1)));

    let decided = run_with_ncrs(vec![crime_open, link_crime(3)], &reference);
    let clock = recording_clock(&decided).unwrap();
    assert_eq!(clock.state(at(48 * 60)), ClockState::DecidedOnTime);

    // Not a crime report: no clock, whatever else happens.
    assert!(recording_clock(&run_with_ncrs(vec![open()], &reference)).is_none());
}

// The clock, once started, does not stop because the codes change: a crime report by its
// closing code stays one after reopening (HMICFRS finds crimes lost exactly this way).
#[test]
fn reopening_or_retyping_does_not_stop_the_recording_clock() {
    use crate::ncrs::recording_clock;
    let reference = shipped_reference();
    let closed_as_crime = IncidentCommand::close(
        Some("CRIME_NOT_RECORDED"),
        &[],
        "assault disclosed at the scene; crime to be recorded",
    )
    .unwrap();
    let incident = run_with_ncrs(
        vec![
            open(),
            grade("priority"),
            closed_as_crime,
            IncidentCommand::reopen("caller rang back").unwrap(),
            IncidentCommand::Classify {
                incident_type: Some(Code::parse("type", "ASB_NUISANCE").unwrap()),
                qualifiers: Vec::new(),
            },
        ],
        &reference,
    );
    assert!(incident.closure.is_none());
    assert_eq!(incident.crime_reported_at, Some(at(120)));
    assert!(
        recording_clock(&incident).is_some(),
        "still awaiting a decision"
    );
}

// A duplicate's callers joined the first incident, which carries the report: the duplicate
// itself leaves the recorders' queue.
#[test]
fn a_duplicate_has_no_recording_clock_of_its_own() {
    use crate::ncrs::recording_clock;
    let reference = shipped_reference();
    let typed = open_as(Some("CRIME_VIOLENCE"));
    let duplicate = run_with_ncrs(
        vec![
            typed,
            IncidentCommand::CloseAsDuplicate {
                of: IncidentRef::parse("20261123-0002").unwrap(),
            },
        ],
        &reference,
    );
    assert!(duplicate.crime_reported_at.is_some());
    assert!(recording_clock(&duplicate).is_none());
}

#[test]
fn integrity_check_sees_crime_codes_domestic_violence_and_offence_words() {
    use crate::ncrs::crime_indicators;
    let reference = shipped_reference();
    let quiet = run(vec![open()]).unwrap();
    assert!(crime_indicators(&quiet, &reference).is_empty());

    let domestic = run(vec![
        open(),
        IncidentCommand::Classify {
            incident_type: Some(Code::parse("type", "CRIME_VIOLENCE").unwrap()),
            qualifiers: vec![Code::parse("q", "DOMESTIC_ABUSE").unwrap()],
        },
        IncidentCommand::add_log_entry("Caller says partner punched her; phone stolen", None)
            .unwrap(),
    ])
    .unwrap();
    let reasons = crime_indicators(&domestic, &reference);
    assert_eq!(
        reasons,
        [
            "incident type CRIME_VIOLENCE is in the Crime category",
            "domestic abuse qualifier with violence described ('punched')",
            "the account mentions 'stolen'",
        ]
    );

    // Violence words without the qualifier are not the domestic-abuse finding.
    let pushed = run(vec![
        open(),
        IncidentCommand::add_log_entry("pushed past the door staff", None).unwrap(),
    ])
    .unwrap();
    assert!(crime_indicators(&pushed, &reference).is_empty());

    // The log's phrases are gathered entry by entry as it is folded: each once.
    let twice = run(vec![
        open(),
        IncidentCommand::add_log_entry("Bike stolen from the yard", None).unwrap(),
        IncidentCommand::add_log_entry("Owner punched; bike stolen again", None).unwrap(),
    ])
    .unwrap();
    assert_eq!(twice.log_phrases, ["stolen", "punched"]);
    assert_eq!(
        crime_indicators(&twice, &reference),
        ["the account mentions 'stolen'"]
    );
}
