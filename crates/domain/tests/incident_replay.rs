//! Property: any sequence of commands either succeeds or is rejected with a reason, and
//! replaying the recorded events rebuilds exactly the state the commands produced.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use controlroom_domain::contact::{CallerDraft, ContactDraft, ContactId, LocationDraft};
use controlroom_domain::incident::{
    Grade, Incident, IncidentCommand, IncidentId, IncidentRef, Stamped, Status, decide,
};
use controlroom_domain::user::Username;
use jiff::Timestamp;
use proptest::prelude::*;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Step {
    Open,
    Join(u8),
    Log(String, Option<u32>),
    Grade(usize),
    Dispatch,
    Arrive,
    Resolve,
    Close(Option<String>),
    Reopen,
    Duplicate,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Open),
        (0u8..4).prop_map(Step::Join),
        ("[a-z ]{0,12}", proptest::option::of(0u32..6)).prop_map(|(t, c)| Step::Log(t, c)),
        (0usize..5).prop_map(Step::Grade),
        Just(Step::Dispatch),
        Just(Step::Arrive),
        Just(Step::Resolve),
        proptest::option::of("[A-Z]{0,4}").prop_map(Step::Close),
        Just(Step::Reopen),
        Just(Step::Duplicate),
    ]
}

fn contact(n: u8) -> controlroom_domain::contact::Contact {
    ContactDraft {
        channel: "101".into(),
        caller: CallerDraft::named(format!("Caller {n}")),
        location: LocationDraft::described("Market Square"),
        summary: "Noise".into(),
        ..ContactDraft::default()
    }
    .into_contact(
        ContactId(Uuid::from_u128(u128::from(n) + 10)),
        Username::parse("handler").unwrap(),
        Timestamp::UNIX_EPOCH,
    )
    .unwrap()
}

/// Turn a step into a command the way the API edge would: text checks may refuse it first.
fn command(step: Step) -> Result<IncidentCommand, controlroom_domain::Invalid> {
    Ok(match step {
        Step::Open => IncidentCommand::Open {
            id: IncidentId(Uuid::from_u128(1)),
            reference: IncidentRef::parse("20261123-0001").unwrap(),
            incident_type: None,
            contact: contact(0),
        },
        Step::Join(n) => IncidentCommand::JoinContact {
            contact: contact(n),
        },
        Step::Log(text, corrects) => IncidentCommand::add_log_entry(&text, corrects)?,
        Step::Grade(i) => IncidentCommand::grade(Grade::ALL[i].as_str(), "because")?,
        Step::Dispatch => IncidentCommand::RecordDispatch { note: None },
        Step::Arrive => IncidentCommand::RecordArrival,
        Step::Resolve => IncidentCommand::resolve("sorted")?,
        Step::Close(code) => IncidentCommand::close(code.as_deref(), &[], "done")?,
        Step::Reopen => IncidentCommand::reopen("rang back")?,
        Step::Duplicate => IncidentCommand::CloseAsDuplicate {
            of: IncidentRef::parse("20261123-0002").unwrap(),
        },
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn replay_rebuilds_exactly_the_same_state(steps in proptest::collection::vec(step(), 0..40)) {
        let by = Username::parse("handler").unwrap();
        let mut state: Option<Incident> = None;
        let mut recorded: Vec<Stamped<_>> = Vec::new();
        for (i, step) in steps.into_iter().enumerate() {
            let Ok(cmd) = command(step) else { continue };
            let before = state.clone();
            match decide(state.as_ref(), cmd) {
                Ok(events) => {
                    prop_assert!(!events.is_empty());
                    for event in events {
                        let stamped = Stamped { at: Timestamp::from_second(i as i64).unwrap(), by: by.clone(), event };
                        state = Some(Incident::apply(state, &stamped, recorded.len()).unwrap());
                        recorded.push(stamped);
                    }
                }
                Err(rejected) => {
                    prop_assert!(!rejected.reason.is_empty());
                    prop_assert_eq!(&state, &before, "a rejected command changes nothing");
                }
            }
            if let Some(incident) = &state {
                // Invariants that hold after every step.
                prop_assert_eq!(incident.closure.is_some(), incident.status == Status::Closed);
                prop_assert_eq!(incident.history.last().map(|h| h.to), Some(incident.status));
                prop_assert!(incident.log.windows(2).all(|w| w[0].number < w[1].number));
                prop_assert_eq!(incident.version as usize, recorded.len());
                if matches!(incident.status, Status::Dispatched | Status::AtScene) {
                    // Dispatched before grading (early dispatch), or with a grade that deploys.
                    prop_assert!(incident.grade().is_none_or(Grade::deploys));
                }
            }
        }
        let replayed = Incident::replay(recorded.iter()).unwrap();
        prop_assert_eq!(replayed, state);
    }
}
