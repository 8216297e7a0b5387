//! Replay through the real path: any sequence of incident commands (every kind of command) is
//! decided, written to a real store as audit records by the event store, read back and
//! folded, and must give exactly the state the commands produced in memory. A rejected
//! command writes nothing. This is the property that lets every projection, `audit verify`
//! and a second server rebuild an incident from the log alone.

use controlroom_app::{Actor, event_store};
use controlroom_domain::aggregate::{Aggregate, Decide};
use controlroom_domain::assessment::{
    Answer, DashAnswers, DashRisk, Factor, Level, NdmRationale, Subject, ThriveAssessment,
    VulnerabilityFlag,
};
use controlroom_domain::contact::{CallerDraft, ContactDraft, ContactId, LocationDraft};
use controlroom_domain::grading::RepeatCounts;
use controlroom_domain::incident::{
    ClosureDetails, FactAnswer, Grade, Incident, IncidentCommand, IncidentId, IncidentRef,
};
use controlroom_domain::ncrs::NonCrimeReason;
use controlroom_domain::pole::{Kind, RecordRef};
use controlroom_domain::roles::Role;
use controlroom_domain::text::Code;

/// The shipped force settings' DASH scoring, loaded once.
static DASH_POLICY: std::sync::LazyLock<controlroom_domain::assessment::DashPolicy> =
    std::sync::LazyLock::new(|| {
        controlroom_domain::reference::ReferenceData::load(
            &controlroom_domain::reference::shipped_files(),
        )
        .expect("shipped reference data")
        .policy
        .dash
    });
use controlroom_domain::user::Username;
use controlroom_testkit::{Backend, FreshDatabase, open_store};
use jiff::Timestamp;
use proptest::prelude::*;
use uuid::Uuid;

/// One of every command, with a small choice of values.
#[derive(Debug, Clone)]
enum Step {
    Open,
    Join(u8),
    Log(u8, Option<u32>),
    Grade(usize),
    Classify(bool),
    Thrive(usize),
    Vulnerability(usize),
    Dash(u8),
    Signpost,
    Dispatch,
    Arrive,
    Resolve,
    Close(bool),
    Reopen,
    Duplicate,
    Appointment(bool),
    LinkCrime(u8),
    NonCrime(usize),
    Answer(usize),
    IntelligenceCheck(u32),
    ApproveUnattended,
}

/// How many kinds of command there are; the strategy below must offer each.
const KINDS: usize = 21;

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        Just(Step::Open),
        (0u8..3).prop_map(Step::Join),
        (0u8..3, proptest::option::of(0u32..5)).prop_map(|(t, c)| Step::Log(t, c)),
        (0usize..5).prop_map(Step::Grade),
        any::<bool>().prop_map(Step::Classify),
        (0usize..3).prop_map(Step::Thrive),
        (0usize..3).prop_map(Step::Vulnerability),
        (0u8..20).prop_map(Step::Dash),
        Just(Step::Signpost),
        Just(Step::Dispatch),
        Just(Step::Arrive),
        Just(Step::Resolve),
        any::<bool>().prop_map(Step::Close),
        Just(Step::Reopen),
        Just(Step::Duplicate),
        any::<bool>().prop_map(Step::Appointment),
        (0u8..3).prop_map(Step::LinkCrime),
        (0usize..4).prop_map(Step::NonCrime),
        (0usize..3).prop_map(Step::Answer),
        (0u32..4).prop_map(Step::IntelligenceCheck),
        Just(Step::ApproveUnattended),
    ]
}

fn code(raw: &str) -> Code {
    Code::parse("code", raw).unwrap()
}

fn contact(n: u8) -> controlroom_domain::contact::Contact {
    let draft = ContactDraft {
        channel: "999".into(),
        caller: CallerDraft::named(format!("Caller {n}")),
        location: LocationDraft {
            lat: Some(53.8182),
            lon: Some(-1.5010),
            uprn: Some("72700000001".into()),
            ..LocationDraft::described("14 Harehills Lane, Leeds LS8 3AA")
        },
        summary: "Shouting next door".into(),
        ..ContactDraft::default()
    };
    let id = ContactId(Uuid::from_u128(u128::from(n) + 10));
    let handler = Username::parse("handler").unwrap();
    draft
        .into_contact(id, handler, Timestamp::UNIX_EPOCH)
        .unwrap()
}

fn factor(level: Level) -> Factor {
    Factor {
        level,
        reason: "as the caller said".into(),
    }
}

fn command(step: Step) -> Result<IncidentCommand, controlroom_domain::Invalid> {
    let levels = [Level::Low, Level::Medium, Level::High];
    Ok(match step {
        Step::Open => IncidentCommand::Open {
            id: IncidentId(Uuid::from_u128(1)),
            reference: IncidentRef::parse("20261123-0001").unwrap(),
            incident_type: Some(code("DOMESTIC_INCIDENT")),
            contact: contact(0),
        },
        Step::Join(n) => IncidentCommand::JoinContact {
            contact: contact(n + 1),
        },
        Step::Log(n, corrects) => IncidentCommand::add_log_entry(&format!("update {n}"), corrects)?,
        Step::Grade(i) => IncidentCommand::grade(Grade::ALL[i].as_str(), "because")?,
        Step::Classify(weapon) => IncidentCommand::Classify {
            incident_type: Some(code("DOMESTIC_INCIDENT")),
            qualifiers: if weapon { vec![code("KNIFE")] } else { vec![] },
        },
        Step::Thrive(i) => IncidentCommand::AssessThrive(ThriveAssessment {
            threat: factor(levels[i]),
            harm: factor(levels[i]),
            risk: factor(levels[(i + 1) % 3]),
            investigation: factor(Level::Low),
            vulnerability: factor(levels[i]),
            engagement: factor(Level::Medium),
            ndm: NdmRationale {
                information: "caller's account".into(),
                assessment: "risk as graded".into(),
                powers_and_policy: "force grading policy".into(),
                options: "attend or advise".into(),
                action: "as graded".into(),
            },
        }),
        Step::Vulnerability(i) => IncidentCommand::RecordVulnerability {
            subject: [Subject::Caller, Subject::Victim, Subject::Other][i],
            flags: vec![
                [
                    VulnerabilityFlag::DomesticAbuse,
                    VulnerabilityFlag::Child,
                    VulnerabilityFlag::MentalHealth,
                ][i],
            ],
            note: (i == 1).then(|| "two children in the house".into()),
        },
        Step::Dash(yes) => IncidentCommand::CompleteDash(
            DashAnswers {
                answers: (0..27)
                    .map(|q| if q < yes { Answer::Yes } else { Answer::No })
                    .collect(),
                professional_judgement: (yes % 5 == 0).then_some(DashRisk::High),
                incidents_last_12_months: u32::from(yes % 3),
                children_present: yes % 2 == 0,
            }
            .assess(27, &DASH_POLICY)?,
        ),
        Step::Signpost => IncidentCommand::Signpost {
            agency: code("VICTIM_SUPPORT"),
            advice: "number given".into(),
        },
        Step::Dispatch => IncidentCommand::RecordDispatch { note: None },
        Step::Arrive => IncidentCommand::RecordArrival,
        Step::Resolve => IncidentCommand::resolve("sorted")?,
        Step::Close(with_details) => IncidentCommand::Close {
            closing_code: code("DOMESTIC_INCIDENT"),
            qualifiers: vec![],
            resolution: "words of advice".into(),
            details: if with_details {
                ClosureDetails {
                    final_incident_type: Some(code("DOMESTIC_INCIDENT")),
                    ..ClosureDetails::default()
                }
            } else {
                ClosureDetails::default()
            },
        },
        Step::Reopen => IncidentCommand::reopen("rang back")?,
        Step::Duplicate => IncidentCommand::CloseAsDuplicate {
            of: IncidentRef::parse("20261123-0002").unwrap(),
        },
        Step::Appointment(book) => IncidentCommand::SetAppointment {
            slot: book.then(|| {
                controlroom_domain::diary::SlotKey::parse("LS8", "2026-11-24", "10:00").unwrap()
            }),
            note: if book { "booked" } else { "cancelled" }.into(),
        },
        Step::LinkCrime(n) => IncidentCommand::LinkCrime {
            crime_id: Uuid::from_u128(100 + u128::from(n)),
            reference: format!("CR-2026-{n}"),
            classification: code("8N"),
        },
        Step::NonCrime(i) => IncidentCommand::DecideNonCrime {
            reason: NonCrimeReason::ALL[i],
            rationale: "no offence on the account given".into(),
        },
        Step::Answer(i) => IncidentCommand::AnswerQuestions {
            answers: vec![FactAnswer {
                fact: code("WEAPON_SEEN"),
                answer: [Answer::Yes, Answer::No, Answer::NotKnown][i],
            }],
            log: "Weapon seen?".into(),
        },
        Step::IntelligenceCheck(n) => IncidentCommand::RecordIntelligenceCheck {
            repeats: RepeatCounts {
                victim: n,
                caller: n / 2,
                location: n,
            },
            warnings_on: (n > 1)
                .then(|| RecordRef {
                    kind: Kind::Person,
                    id: Uuid::from_u128(7),
                })
                .into_iter()
                .collect(),
        },
        Step::ApproveUnattended => IncidentCommand::approve_unattended_closure("no risk")?,
    })
}

/// Run the steps against `store`; the state decided in memory and the one read back.
async fn run(
    store: &dyn controlroom_store::Store,
    steps: Vec<Step>,
) -> (Option<Incident>, Option<Incident>, usize) {
    let actor = Actor::with_role(Username::parse("handler").unwrap(), Role::ContactHandler);
    let id = IncidentId(Uuid::from_u128(1));
    let mut state: Option<Incident> = None;
    let mut written = 0;
    for (i, step) in steps.into_iter().enumerate() {
        let Ok(command) = command(step) else { continue };
        let at = Timestamp::from_second(1_790_000_000 + i as i64).unwrap();
        let before = state.clone();
        match Incident::decide(state.as_ref(), command, ()) {
            Ok(events) => {
                assert!(!events.is_empty(), "an accepted command records something");
                let mut tx = store.begin().await.unwrap();
                let (next, _) =
                    event_store::append(tx.as_mut(), &id, state, written, &events, &actor, at)
                        .await
                        .unwrap();
                tx.commit().await.unwrap();
                written += events.len();
                state = Some(next);
            }
            Err(rejected) => {
                assert!(!rejected.reason.is_empty(), "a refusal says why");
                assert_eq!(state, before, "a rejected command changes nothing");
            }
        }
    }
    let read = event_store::read::<Incident>(store, &id).await.unwrap();
    (state, read, written)
}

/// The audit records of the one incident [`run`] decides for.
async fn the_incidents_records(
    store: &dyn controlroom_store::Store,
) -> Vec<controlroom_domain::audit::AuditRecord> {
    let stream = Incident::stream(&IncidentId(Uuid::from_u128(1)));
    store.stream(&stream.to_string()).await.unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn what_is_decided_is_what_the_log_replays(steps in proptest::collection::vec(step(), 1..30)) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let db = FreshDatabase::create(Backend::Sqlite).await.unwrap();
            let store = open_store(&db.url).await;
            let (decided, replayed, written) = run(store.as_ref(), steps).await;
            assert_eq!(replayed, decided, "the log replays to the state decided");
            let stream = the_incidents_records(store.as_ref()).await;
            assert_eq!(stream.len(), written, "one audit record per event, no more");
            store.close().await;
            db.drop_database().await;
        });
    }
}

/// The strategy offers every kind of command.
#[test]
fn every_kind_of_command_is_generated() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut kinds = std::collections::HashSet::new();
    for _ in 0..2_000 {
        let s = step().new_tree(&mut runner).unwrap().current();
        kinds.insert(std::mem::discriminant(&s));
    }
    assert_eq!(kinds.len(), KINDS, "every command kind is generated");
}

/// A shift-shaped run is accepted step by step (so the property is not passing on refusals
/// alone): the events written cover most of what an incident can record.
#[tokio::test]
async fn an_ordinary_run_is_accepted_and_replays() {
    let db = FreshDatabase::create(Backend::Sqlite).await.unwrap();
    let store = open_store(&db.url).await;
    let steps = vec![
        Step::Open,
        Step::Join(0),
        Step::Answer(0),
        Step::Thrive(2),
        Step::Vulnerability(1),
        Step::Dash(15),
        Step::Classify(true),
        Step::IntelligenceCheck(2),
        Step::Grade(0),
        Step::Dispatch,
        Step::Arrive,
        Step::Log(1, None),
        Step::LinkCrime(0),
        Step::Signpost,
        Step::Resolve,
        Step::Close(true),
        Step::Reopen,
        Step::NonCrime(0),
        Step::Appointment(true),
    ];
    let (decided, replayed, written) = run(store.as_ref(), steps).await;
    assert_eq!(replayed, decided);
    let records = the_incidents_records(store.as_ref()).await;
    let kinds: std::collections::BTreeSet<&str> = records.iter().map(|r| r.kind.as_str()).collect();
    assert!(
        kinds.len() >= 14,
        "{written} events of {} kinds: {kinds:?}",
        kinds.len()
    );
    store.close().await;
    db.drop_database().await;
}

/// The comparison can fail: a log with an event dropped (a broken `apply` or a lost write
/// looks the same from outside) replays to a different state, and the property says so.
#[tokio::test]
async fn a_lost_event_is_caught_by_the_comparison() {
    let db = FreshDatabase::create(Backend::Sqlite).await.unwrap();
    let store = open_store(&db.url).await;
    let steps = vec![Step::Open, Step::Log(1, None), Step::Grade(0)];
    let (decided, replayed, _) = run(store.as_ref(), steps).await;
    assert_eq!(replayed, decided);
    let records = the_incidents_records(store.as_ref()).await;
    let without_log = [records[0].clone(), records[2].clone()];
    let broken =
        event_store::fold::<Incident>(&IncidentId(Uuid::from_u128(1)), &without_log).unwrap();
    assert_ne!(
        broken, decided,
        "a missing event changes the replayed state"
    );
    store.close().await;
    db.drop_database().await;
}
