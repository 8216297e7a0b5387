use super::*;
use crate::crime::{Party, Recording};
use crate::incident::Stamped;
use crate::pole::RecordRef;
use crate::reference::tests::shipped;
use csi::{CsiResult, Exhibit};
use enquiry::EnquiryKind;
use links::CrimeLinkKind;
use outcomes::{ChecklistItem, OutcomeFacts};
use proptest::prelude::*;
use screening::{Allocation, Recommendation};
use victims::{EnhancedRights, OnTimeShare};

const VICTIM: Uuid = Uuid::from_u128(1);
const SUSPECT: Uuid = Uuid::from_u128(2);
const WITNESS: Uuid = Uuid::from_u128(3);

fn ts(raw: &str) -> Timestamp {
    raw.parse().unwrap()
}

fn london() -> TimeZone {
    TimeZone::get("Europe/London").unwrap()
}

fn user(name: &str) -> Username {
    Username::parse(name).unwrap()
}

fn code(raw: &str) -> Code {
    Code::parse("code", raw).unwrap()
}

fn reference() -> ReferenceData {
    ReferenceData::load(&shipped()).unwrap()
}

/// A crime and the reference data it is decided against, with commands run through
/// [`decide`] and folded through [`CrimeRecord::apply`] as the application will.
struct World {
    crime: CrimeRecord,
    reference: ReferenceData,
    tz: TimeZone,
}

impl World {
    /// An assault (105A) on VICTIM, reported Monday 2 March 2026 at 09:00.
    fn new() -> Self {
        let recording = Recording {
            reference: "CR-2026-000042".into(),
            classification: code("105A"),
            incidents: vec![],
            parties: vec![Party {
                record: RecordRef {
                    kind: Kind::Person,
                    id: VICTIM,
                },
                role: LinkRole::Victim,
            }],
            offence_from: ts("2026-03-02T08:00:00Z"),
            offence_to: None,
            reported_at: ts("2026-03-02T09:00:00Z"),
            location: "14 Harehills Lane, Leeds".into(),
            modus_operandi: "Punched in the street".into(),
        };
        let crime = CrimeRecord::apply(
            None,
            &Stamped {
                at: ts("2026-03-02T09:30:00Z"),
                by: user("recorder1"),
                event: CrimeEvent::Recorded(recording),
            },
        )
        .unwrap();
        Self {
            crime,
            reference: reference(),
            tz: london(),
        }
    }

    fn run(
        &mut self,
        who: &str,
        roles: &str,
        at: &str,
        command: InvestigationCommand,
    ) -> Result<Vec<CrimeEvent>, InvestigationError> {
        let who = user(who);
        let roles = Roles::parse(&[roles]).unwrap();
        let now = ts(at);
        let events = decide(
            &self.crime,
            command,
            InvestigationContext {
                who: &who,
                roles: &roles,
                now,
                reference: &self.reference,
                time_zone: &self.tz,
            },
        )?;
        for event in &events {
            // Every event survives the audit log's JSON as it is.
            let json = serde_json::to_string(event).unwrap();
            assert_eq!(
                &serde_json::from_str::<CrimeEvent>(&json).unwrap(),
                event,
                "{json}"
            );
            self.crime = CrimeRecord::apply(
                Some(self.crime.clone()),
                &Stamped {
                    at: now,
                    by: who.clone(),
                    event: event.clone(),
                },
            )
            .unwrap();
        }
        Ok(events)
    }

    fn ok(&mut self, who: &str, roles: &str, at: &str, command: InvestigationCommand) {
        if let Err(e) = self.run(who, roles, at, command) {
            panic!("refused: {e}");
        }
    }

    /// The rule a refused command broke, and the field named; the crime unchanged.
    fn refused(
        &mut self,
        who: &str,
        roles: &str,
        at: &str,
        command: InvestigationCommand,
    ) -> (&'static str, String) {
        let before = self.crime.clone();
        let err = self.run(who, roles, at, command).unwrap_err();
        assert_eq!(self.crime, before, "nothing half-recorded");
        match err {
            InvestigationError::Refused(r) => (r.rule, r.field),
            other => panic!("expected a refusal, got {other}"),
        }
    }

    fn inv(&self) -> &Investigation {
        &self.crime.investigation
    }
}

fn finding(factor: &str) -> FactorFinding {
    FactorFinding {
        factor: code(factor),
        note: None,
    }
}

fn screen_in() -> InvestigationCommand {
    InvestigationCommand::Screen {
        decision: ScreeningDecision::ScreenIn {
            allocation: Allocation::Person {
                investigator: user("dc_smith"),
            },
        },
        factors: vec![finding("SUSPECT_NAMED"), finding("CCTV")],
        rationale: "Named suspect and CCTV on the street".into(),
    }
}

fn file_pending(factors: &[&str]) -> InvestigationCommand {
    InvestigationCommand::Screen {
        decision: ScreeningDecision::FilePending,
        factors: factors.iter().map(|f| finding(f)).collect(),
        rationale: "No lines of enquiry".into(),
    }
}

fn answer_all_flags_no() -> InvestigationCommand {
    let reference = reference();
    InvestigationCommand::AnswerFlags {
        flags: reference
            .investigation
            .flags
            .iter()
            .map(|f| FlagAnswer {
                flag: f.code.clone(),
                yes: false,
            })
            .collect(),
    }
}

fn propose(outcome: &str) -> FinalisationProposal {
    FinalisationProposal {
        outcome: code(outcome),
        rationale: "Reviewed the evidence".into(),
        admission: false,
        cps_reference: None,
        other_agency: None,
    }
}

fn link_suspect() -> InvestigationCommand {
    InvestigationCommand::LinkPerson(PersonLink {
        person: SUSPECT,
        role: CrimeRole::Suspect,
        note: Some("Named by the victim".into()),
    })
}

// ---- Reference data ----

#[test]
fn the_shipped_investigation_policy_loads() {
    let policy = reference().investigation;
    assert_eq!(policy.screening_version, "CR-SCREENING-2026-1");
    assert!(policy.factor("suspect_named").is_some());
    // HOCR Section H: 1, 1A and 2 to 22.
    let codes: Vec<&str> = policy.outcomes.iter().map(|o| o.code.as_str()).collect();
    let mut expected = vec!["1".to_owned(), "1A".to_owned()];
    expected.extend((2..=22).map(|n| n.to_string()));
    assert_eq!(codes, expected);
    // GOV.UK: eight bank holidays a year in England and Wales.
    for year in [2025, 2026, 2027] {
        let n = policy
            .calendar
            .bank_holidays
            .keys()
            .filter(|d| d.year() == year)
            .count();
        assert_eq!(n, 8, "{year}");
    }
    for kind in KeyEventKind::ALL {
        let limit = policy.update_limit(kind).unwrap();
        assert!(limit.source.contains("Right 6"), "{}", limit.source);
    }
    let strands = policy
        .flags
        .iter()
        .filter(|f| f.group == policy::FlagGroup::HateStrand)
        .count();
    assert_eq!(strands, 5, "the five monitored hate crime strands");
}

#[test]
fn bad_policy_lines_name_the_file_and_line() {
    let mut files = shipped();
    files.push(crate::reference::SourceFile {
        name: "force/victim-updates.psv",
        text: "event|standard_working_days|enhanced_working_days|source\nsuspect_arrested|1|5|x\n",
    });
    let err = ReferenceData::load(&files).unwrap_err();
    assert_eq!(
        (err.file.as_str(), err.line),
        ("force/victim-updates.psv", 2)
    );
    let mut files = shipped();
    files.push(crate::reference::SourceFile {
        name: "force/crime-outcomes.psv",
        text: "code|name|group|suspect|victim|needs\n23|New|G|maybe|-|-\n",
    });
    let err = ReferenceData::load(&files).unwrap_err();
    assert!(err.message.contains("suspect"), "{err}");
}

// ---- Screening ----

/// (factors found, expected score, expected recommendation, why). Source: the force policy
/// data in reference/screening-factors.psv (weights and threshold 5 are the project's
/// defaults); risk factors recommend investigation whatever the score (issue 15).
#[test]
fn screening_scores_and_recommends_by_policy() {
    let policy = reference().investigation;
    let weight = |c: &str| policy.factor(c).unwrap().weight;
    let threshold = policy.screening_score_to_investigate;
    let rows: &[(&[&str], Recommendation, &str)] = &[
        (&[], Recommendation::File, "nothing to go on"),
        (
            &["SUSPECT_NAMED"],
            Recommendation::Investigate,
            "a named suspect alone meets the threshold",
        ),
        (
            &["WITNESSES"],
            Recommendation::File,
            "one weak factor is below the threshold",
        ),
        (
            &["WITNESSES", "CCTV"],
            Recommendation::Investigate,
            "two factors meet it",
        ),
        (
            &["TRACEABLE_PROPERTY"],
            Recommendation::File,
            "below the threshold",
        ),
        (
            &["VULNERABLE_VICTIM"],
            Recommendation::Investigate,
            "risk: vulnerability",
        ),
        (
            &["REPEAT_VICTIM"],
            Recommendation::Investigate,
            "risk: repeat victimisation",
        ),
        (
            &["SERIOUS"],
            Recommendation::Investigate,
            "risk: seriousness",
        ),
    ];
    for (factors, recommended, why) in rows {
        let findings: Vec<FactorFinding> = factors.iter().map(|f| finding(f)).collect();
        let (score, got, _) = screening::assess(&policy, &findings).unwrap();
        let expected_score: u32 = factors
            .iter()
            .filter(|f| policy.factor(f).unwrap().kind == policy::FactorKind::Solvability)
            .map(|f| weight(f))
            .sum();
        assert_eq!(score, expected_score, "{why}");
        assert_eq!(
            got, *recommended,
            "{why} (score {score}, threshold {threshold})"
        );
    }
    let err = screening::assess(&policy, &[finding("HUNCH")]).unwrap_err();
    assert_eq!(
        (err.rule, err.field.as_str()),
        ("screening.known_factor", "factors[0]")
    );
    let err = screening::assess(&policy, &[finding("CCTV"), finding("cctv")]).unwrap_err();
    assert_eq!(
        (err.rule, err.field.as_str()),
        ("screening.factor_once", "factors[1]")
    );
}

/// Issue 15: a screened-out crime with a vulnerable or repeat victim needs a supervisor.
/// (factors, whether filing waits for a supervisor).
#[test]
fn filing_a_vulnerable_or_repeat_victims_crime_waits_for_a_supervisor() {
    let rows: &[(&[&str], bool)] = &[
        (&[], false),
        (&["WITNESSES"], false),
        (&["VULNERABLE_VICTIM"], true),
        (&["REPEAT_VICTIM"], true),
        (&["SERIOUS"], false),
    ];
    for (factors, waits) in rows {
        let mut w = World::new();
        w.ok(
            "recorder1",
            "crime_recorder",
            "2026-03-02T10:00:00Z",
            file_pending(factors),
        );
        let expected = if *waits {
            Stage::FilingAwaitingApproval
        } else {
            Stage::Filed
        };
        assert_eq!(w.inv().stage(), expected, "{factors:?}");
        let screening = &w.inv().current_screening().unwrap().screening;
        assert_eq!(screening.policy_version, "CR-SCREENING-2026-1");
        assert_eq!(screening.factors.len(), factors.len());
    }
}

#[test]
fn a_filing_is_approved_by_another_supervisor_and_nothing_waits_meanwhile() {
    let mut w = World::new();
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        file_pending(&["REPEAT_VICTIM"]),
    );
    // The recorder cannot approve it.
    let err = w
        .run(
            "recorder1",
            "crime_recorder",
            "2026-03-02T11:00:00Z",
            InvestigationCommand::ApproveScreening { note: None },
        )
        .unwrap_err();
    assert_eq!(
        err,
        InvestigationError::NotPermitted(Permission::SuperviseInvestigation)
    );
    // Nor can it be finalised while it waits.
    let (rule, field) = w.refused(
        "recorder1",
        "crime_recorder",
        "2026-03-02T11:00:00Z",
        InvestigationCommand::ProposeFinalisation(propose("18")),
    );
    assert_eq!(
        (rule, field.as_str()),
        ("screening.approval_pending", "screening")
    );
    // A supervisor who made the filing cannot approve their own.
    let mut own = World::new();
    own.ok(
        "sgt_jones",
        "supervisor",
        "2026-03-02T10:00:00Z",
        file_pending(&["VULNERABLE_VICTIM"]),
    );
    let (rule, _) = own.refused(
        "sgt_jones",
        "supervisor",
        "2026-03-02T11:00:00Z",
        InvestigationCommand::ApproveScreening { note: None },
    );
    assert_eq!(rule, "screening.separation_of_duties");
    // Another supervisor returns it: it must be screened again.
    w.ok(
        "sgt_jones",
        "supervisor",
        "2026-03-02T12:00:00Z",
        InvestigationCommand::ReturnScreening {
            reason: "Repeat victim: allocate to the neighbourhood team".into(),
        },
    );
    assert_eq!(w.inv().stage(), Stage::Unscreened);
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T13:00:00Z",
        screen_in(),
    );
    assert_eq!(w.inv().stage(), Stage::UnderInvestigation);
    assert_eq!(
        w.inv().screenings.len(),
        2,
        "the first decision stays on file"
    );
}

#[test]
fn a_victim_assessed_vulnerable_makes_filing_wait_even_without_the_factor() {
    let mut w = World::new();
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T09:45:00Z",
        InvestigationCommand::AssessVictim(assessment(vec![EnhancedRights::Vulnerable])),
    );
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        file_pending(&[]),
    );
    assert_eq!(w.inv().stage(), Stage::FilingAwaitingApproval);
}

#[test]
fn screening_needs_a_rationale_and_happens_once() {
    let mut w = World::new();
    let (rule, field) = w.refused(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        InvestigationCommand::Screen {
            decision: ScreeningDecision::FilePending,
            factors: vec![],
            rationale: "  ".into(),
        },
    );
    assert_eq!((rule, field.as_str()), ("text", "rationale"));
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        screen_in(),
    );
    let (rule, field) = w.refused(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:05:00Z",
        screen_in(),
    );
    assert_eq!((rule, field.as_str()), ("screening.once", "decision"));
    let err = w
        .run("csi1", "csi", "2026-03-02T10:05:00Z", screen_in())
        .unwrap_err();
    assert_eq!(
        err,
        InvestigationError::NotPermitted(Permission::ScreenCrime)
    );
}

// ---- Enquiries ----

fn enquiry(id: u128, kind: EnquiryKind, owner: &str, due: &str) -> Enquiry {
    Enquiry {
        id: Uuid::from_u128(100 + id),
        kind,
        description: format!("Enquiry {id}"),
        owner: user(owner),
        due: ts(due),
    }
}

fn cctv(retention: &str) -> EnquiryKind {
    EnquiryKind::CctvRequest {
        location: "Co-op, Harehills Lane".into(),
        retention_until: ts(retention),
    }
}

#[test]
fn a_cctv_request_is_due_before_the_footage_is_overwritten() {
    let mut w = World::new();
    let (rule, field) = w.refused(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        InvestigationCommand::AddEnquiry(enquiry(
            1,
            cctv("2026-03-05T00:00:00Z"),
            "dc_smith",
            "2026-03-06T00:00:00Z",
        )),
    );
    assert_eq!(
        (rule, field.as_str()),
        ("enquiry.cctv_before_retention", "due")
    );
    let (rule, field) = w.refused(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        InvestigationCommand::AddEnquiry(enquiry(
            1,
            cctv("2026-03-01T00:00:00Z"),
            "dc_smith",
            "2026-03-06T00:00:00Z",
        )),
    );
    assert_eq!(
        (rule, field.as_str()),
        ("enquiry.cctv_retention", "retention_until")
    );
    let (rule, field) = w.refused(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        InvestigationCommand::AddEnquiry(enquiry(
            1,
            EnquiryKind::BankCheck,
            "dc_smith",
            "2026-03-01T00:00:00Z",
        )),
    );
    assert_eq!((rule, field.as_str()), ("enquiry.due_future", "due"));
}

#[test]
fn overdue_enquiries_and_the_investigators_queue() {
    let mut w = World::new();
    let at = "2026-03-02T10:00:00Z";
    for e in [
        enquiry(
            1,
            EnquiryKind::HouseToHouse,
            "dc_smith",
            "2026-03-04T12:00:00Z",
        ),
        // Due later, but the footage goes first: the queue orders by retention.
        enquiry(
            2,
            cctv("2026-03-03T12:00:00Z"),
            "dc_smith",
            "2026-03-03T12:00:00Z",
        ),
        enquiry(3, EnquiryKind::PncCheck, "dc_brown", "2026-03-02T12:00:00Z"),
        enquiry(
            4,
            EnquiryKind::PhoneCheck,
            "dc_smith",
            "2026-03-02T11:00:00Z",
        ),
    ] {
        w.ok(
            "recorder1",
            "crime_recorder",
            at,
            InvestigationCommand::AddEnquiry(e),
        );
    }
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T10:30:00Z",
        InvestigationCommand::CompleteEnquiry {
            enquiry: Uuid::from_u128(104),
            result: "Phone attributed to the suspect".into(),
        },
    );
    let now = ts("2026-03-03T13:00:00Z");
    let overdue: Vec<u128> = w
        .inv()
        .overdue_enquiries(now)
        .iter()
        .map(|e| e.enquiry.id.as_u128() - 100)
        .collect();
    // 2 (CCTV, due 3 March 12:00) and 3 (PNC, due 2 March 12:00) are past; 4 has its result.
    assert_eq!(overdue, [2, 3]);
    let crimes = [(Uuid::from_u128(9), w.inv().enquiries.as_slice())];
    let queue: Vec<(u128, bool)> = enquiry::queue(crimes, &user("dc_smith"), now)
        .iter()
        .map(|i| (i.enquiry.enquiry.id.as_u128() - 100, i.overdue))
        .collect();
    assert_eq!(queue, [(2, true), (1, false)]);
    let listed: Vec<u128> = enquiry::overdue(crimes, now)
        .iter()
        .map(|i| i.enquiry.enquiry.id.as_u128() - 100)
        .collect();
    assert_eq!(listed, [3, 2], "the longest overdue first");
    let (rule, _) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-03T13:00:00Z",
        InvestigationCommand::CompleteEnquiry {
            enquiry: Uuid::from_u128(104),
            result: "again".into(),
        },
    );
    assert_eq!(rule, "enquiry.open");
}

// ---- CSI ----

fn csi_request(id: u128) -> CsiRequest {
    CsiRequest {
        id: Uuid::from_u128(200 + id),
        what: "Forced rear door".into(),
        location: "14 Harehills Lane".into(),
        forensic_opportunities: vec!["Footwear mark on the door".into()],
        preservation_advice: "Do not touch the door; keep the dog out of the kitchen".into(),
        incident: None,
    }
}

#[test]
fn a_csi_request_is_booked_then_attended_and_leaves_the_queue() {
    let mut w = World::new();
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        InvestigationCommand::RequestCsi(csi_request(1)),
    );
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:05:00Z",
        InvestigationCommand::RequestCsi(csi_request(2)),
    );
    let id = Uuid::from_u128(201);
    let (rule, field) = w.refused(
        "csi1",
        "csi",
        "2026-03-02T11:00:00Z",
        InvestigationCommand::RecordCsiAttendance {
            request: id,
            attended_at: ts("2026-03-02T11:00:00Z"),
            result: CsiResult::NoForensicOpportunity { note: "x".into() },
        },
    );
    assert_eq!((rule, field.as_str()), ("csi.booked_first", "request"));
    w.ok(
        "csi1",
        "csi",
        "2026-03-02T11:00:00Z",
        InvestigationCommand::BookCsi {
            request: id,
            diary_time: ts("2026-03-02T14:00:00Z"),
            area: None,
        },
    );
    let requests = [(Uuid::from_u128(9), w.inv().csi.as_slice())];
    let queue: Vec<u128> = csi::queue(requests)
        .iter()
        .map(|i| i.request.request.id.as_u128() - 200)
        .collect();
    assert_eq!(queue, [2, 1], "to book first, then booked by diary time");
    // Booked in the CSI team's diary area when the booking names none.
    assert!(matches!(
        &w.inv().csi_request(id).unwrap().status,
        CsiStatus::Booked { area: Some(area), .. } if area.as_str() == csi::DIARY_AREA
    ));
    let (rule, field) = w.refused(
        "csi1",
        "csi",
        "2026-03-02T15:00:00Z",
        InvestigationCommand::RecordCsiAttendance {
            request: id,
            attended_at: ts("2026-03-02T14:30:00Z"),
            result: CsiResult::Exhibits { exhibits: vec![] },
        },
    );
    assert_eq!((rule, field.as_str()), ("csi.result", "result.exhibits"));
    w.ok(
        "csi1",
        "csi",
        "2026-03-02T15:00:00Z",
        InvestigationCommand::RecordCsiAttendance {
            request: id,
            attended_at: ts("2026-03-02T14:30:00Z"),
            result: CsiResult::Exhibits {
                exhibits: vec![Exhibit {
                    reference: "JB/1".into(),
                    description: "Gel lift of footwear mark".into(),
                }],
            },
        },
    );
    assert_eq!(w.inv().csi_request(id).unwrap().status.as_str(), "attended");
    let requests = [(Uuid::from_u128(9), w.inv().csi.as_slice())];
    assert_eq!(csi::queue(requests).len(), 1);
    let err = w
        .run(
            "dc_smith",
            "investigator",
            "2026-03-02T15:00:00Z",
            InvestigationCommand::BookCsi {
                request: Uuid::from_u128(202),
                diary_time: ts("2026-03-03T10:00:00Z"),
                area: None,
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        InvestigationError::NotPermitted(Permission::AttendScenes)
    );
    let (rule, field) = w.refused(
        "recorder1",
        "crime_recorder",
        "2026-03-02T15:00:00Z",
        InvestigationCommand::RequestCsi(CsiRequest {
            preservation_advice: " ".into(),
            ..csi_request(3)
        }),
    );
    assert_eq!((rule, field.as_str()), ("text", "preservation_advice"));
}

// ---- Victims' Code ----

fn assessment(enhanced: Vec<EnhancedRights>) -> NeedsAssessment {
    NeedsAssessment {
        victim: VICTIM,
        enhanced,
        needs: "Wants to know when the suspect is arrested".into(),
        preferences: victims::ContactPreferences {
            how: ContactMethod::Phone,
            when: Some("after 6pm".into()),
            who: None,
            language: "Polish".into(),
            interpreter: true,
        },
    }
}

/// (event in UTC, enhanced rights, due before in UTC, source). Working days: Monday to
/// Friday except bank holidays (GOV.UK, England and Wales), counted from the day after the
/// event; the victim is told before the end of the last (Europe/London time).
#[test]
fn update_deadlines_count_working_days() {
    let policy = reference().investigation;
    let tz = london();
    let limit = policy.update_limit(KeyEventKind::SuspectArrested).unwrap();
    let rows: &[(&str, bool, &str, &str)] = &[
        // Monday arrest: Tue-Fri are 1-4, next Monday is 5; due before Tuesday 00:00 (GMT).
        (
            "2026-03-02T10:00:00Z",
            false,
            "2026-03-10T00:00:00Z",
            "Right 6: 5 working days",
        ),
        // Enhanced rights: 1 working day, Tuesday; due before Wednesday.
        (
            "2026-03-02T10:00:00Z",
            true,
            "2026-03-04T00:00:00Z",
            "Right 6: 1 working day, enhanced rights",
        ),
        // Friday arrest, enhanced: the weekend does not count; Monday is the day.
        (
            "2026-03-06T16:00:00Z",
            true,
            "2026-03-10T00:00:00Z",
            "Right 6: working days skip the weekend",
        ),
        // Saturday arrest, standard: Monday to Friday of the next week.
        (
            "2026-03-07T03:00:00Z",
            false,
            "2026-03-14T00:00:00Z",
            "Right 6: 5 working days from a Saturday",
        ),
        // Thursday 2 April 2026: Good Friday 3 and Easter Monday 6 April are bank holidays;
        // 7,8,9,10,13 April; due before 14 April 00:00 BST (13 April 23:00 UTC).
        (
            "2026-04-02T12:00:00Z",
            false,
            "2026-04-13T23:00:00Z",
            "Right 6 with GOV.UK bank holidays (Easter 2026)",
        ),
        // Christmas Eve 2026 (Thursday), enhanced: 25 Dec and the 28 Dec substitute day are
        // bank holidays, 26-27 the weekend: 29 Dec is the day.
        (
            "2026-12-24T12:00:00Z",
            true,
            "2026-12-30T00:00:00Z",
            "Right 6 with GOV.UK bank holidays (Christmas 2026)",
        ),
        // 23:30 UTC on Monday 30 March 2026 is already Tuesday in London (BST): counted from
        // the London date, so Wednesday is the first working day.
        (
            "2026-03-30T23:30:00Z",
            true,
            "2026-04-01T23:00:00Z",
            "Right 6: days in the force's time zone",
        ),
    ];
    for (event, enhanced, due, source) in rows {
        let days = if *enhanced {
            limit.enhanced_working_days
        } else {
            limit.standard_working_days
        };
        let (got, known) = victims::due_before(ts(event), days, &tz, &policy.calendar).unwrap();
        assert_eq!(got, ts(due), "{source}: event {event}");
        assert!(known, "{source}");
    }
    // Past the list: only weekends are known, and the deadline says so.
    let (_, known) =
        victims::due_before(ts("2028-06-01T10:00:00Z"), 5, &tz, &policy.calendar).unwrap();
    assert!(!known);
}

/// Each key event opens a deadline per victim, at the Code's limit for that victim
/// (Victims' Code 2020, Right 6; enhanced rights for the vulnerable).
#[test]
fn key_events_open_deadlines_for_each_victim_and_updates_close_them() {
    let mut w = World::new();
    let (rule, field) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-03T10:00:00Z",
        InvestigationCommand::RecordKeyEvent {
            kind: KeyEventKind::SuspectArrested,
            occurred_at: ts("2026-03-03T09:00:00Z"),
            note: "Arrested at home".into(),
        },
    );
    assert_eq!((rule, field.as_str()), ("key_event.suspect", "kind"));
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T12:00:00Z",
        link_suspect(),
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T12:00:00Z",
        InvestigationCommand::LinkPerson(PersonLink {
            person: WITNESS,
            role: CrimeRole::BereavedCloseRelative,
            note: None,
        }),
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T12:00:00Z",
        InvestigationCommand::AssessVictim(assessment(vec![EnhancedRights::Vulnerable])),
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-03T10:00:00Z",
        InvestigationCommand::RecordKeyEvent {
            kind: KeyEventKind::SuspectArrested,
            occurred_at: ts("2026-03-03T09:00:00Z"),
            note: "Arrested at home".into(),
        },
    );
    let deadlines = &w.inv().deadlines;
    assert_eq!(deadlines.len(), 2);
    let victim = deadlines
        .iter()
        .find(|d| d.deadline.victim == VICTIM)
        .unwrap();
    assert!(victim.deadline.enhanced);
    assert_eq!(victim.deadline.due_before, ts("2026-03-05T00:00:00Z"));
    // The bereaved relative has not been assessed yet: the standard limit.
    let relative = deadlines
        .iter()
        .find(|d| d.deadline.victim == WITNESS)
        .unwrap();
    assert!(!relative.deadline.enhanced);
    assert_eq!(relative.deadline.due_before, ts("2026-03-11T00:00:00Z"));
    let crimes = [(Uuid::from_u128(9), w.inv().deadlines.as_slice())];
    let waiting = victims::awaiting_update(crimes, ts("2026-03-05T08:00:00Z"));
    assert_eq!(
        waiting
            .iter()
            .map(|a| (a.deadline.victim, a.overdue))
            .collect::<Vec<_>>(),
        [(VICTIM, true), (WITNESS, false)]
    );
    let update = |victim, at: &str| InvestigationCommand::RecordVictimUpdate {
        key_event: 1,
        victim,
        informed_at: ts(at),
        method: ContactMethod::Phone,
        note: "Told of the arrest and bail conditions".into(),
    };
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-05T08:00:00Z",
        update(VICTIM, "2026-03-05T07:55:00Z"),
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-05T08:00:00Z",
        update(WITNESS, "2026-03-05T08:00:00Z"),
    );
    let (rule, _) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-05T09:00:00Z",
        update(VICTIM, "2026-03-05T09:00:00Z"),
    );
    assert_eq!(rule, "victims_code.already_informed");
    let share = victims::on_time_share(&w.inv().deadlines);
    assert_eq!(
        share,
        OnTimeShare {
            on_time: 1,
            closed: 2
        }
    );
    assert_eq!(share.share(), Some(0.5));
    // A bereaved close relative is assessed with enhanced rights (Victims' Code 2020).
    let (rule, field) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-05T09:00:00Z",
        InvestigationCommand::AssessVictim(NeedsAssessment {
            victim: WITNESS,
            ..assessment(vec![])
        }),
    );
    assert_eq!(
        (rule, field.as_str()),
        ("victims_code.bereaved_enhanced", "enhanced")
    );
    let (rule, field) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-05T09:00:00Z",
        InvestigationCommand::ReferVictim {
            victim: SUSPECT,
            referral: Referral::Declined,
        },
    );
    assert_eq!((rule, field.as_str()), ("victims.known", "victim"));
}

// ---- Outcomes ----

/// Each row: (outcome, suspect identified, victims' positions, admission, CPS reference,
/// other agency, expected rule broken or None, source). Source: HOCR Section H outcome
/// definitions (reference/crime-outcomes.psv).
#[test]
fn outcome_rules_follow_the_framework_definitions() {
    use VictimPosition::*;
    let policy = reference().investigation;
    type Row<'a> = (
        &'a str,
        bool,
        &'a [Option<VictimPosition>],
        bool,
        bool,
        bool,
        Option<&'a str>,
        &'a str,
    );
    let rows: &[Row<'_>] = &[
        (
            "1",
            true,
            &[Some(Supports)],
            false,
            false,
            false,
            None,
            "1: charged or summonsed",
        ),
        (
            "1",
            false,
            &[Some(Supports)],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "1: a charge needs a suspect",
        ),
        (
            "1A",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "1A: alternative offence charged",
        ),
        (
            "2",
            true,
            &[],
            true,
            false,
            false,
            None,
            "2: youth caution on an admission",
        ),
        (
            "3",
            true,
            &[],
            false,
            false,
            false,
            Some("outcomes.admission"),
            "3: adult caution needs an admission",
        ),
        (
            "4",
            true,
            &[],
            false,
            false,
            false,
            Some("outcomes.admission"),
            "4: TIC is an admission",
        ),
        (
            "6",
            true,
            &[],
            false,
            false,
            false,
            None,
            "6: penalty notice for disorder",
        ),
        (
            "8",
            true,
            &[],
            true,
            false,
            false,
            None,
            "8: community resolution",
        ),
        (
            "9",
            true,
            &[],
            false,
            false,
            false,
            Some("outcomes.cps_decision"),
            "9: a CPS decision",
        ),
        (
            "9",
            true,
            &[],
            false,
            true,
            false,
            None,
            "9: with the CPS decision",
        ),
        (
            "10",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "10: police NPI names the offender",
        ),
        (
            "11",
            true,
            &[],
            false,
            false,
            false,
            None,
            "11: suspect under the age of responsibility",
        ),
        (
            "13",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "13: named suspect identified",
        ),
        (
            "14",
            false,
            &[Some(Declines)],
            false,
            false,
            false,
            None,
            "14: no suspect, the victim declines",
        ),
        (
            "14",
            false,
            &[Some(Unable)],
            false,
            false,
            false,
            None,
            "14: no suspect, the victim is unable",
        ),
        (
            "14",
            true,
            &[Some(Declines)],
            false,
            false,
            false,
            Some("outcomes.no_suspect"),
            "14: named suspect NOT identified",
        ),
        (
            "14",
            false,
            &[None],
            false,
            false,
            false,
            Some("outcomes.victim_position"),
            "14: the victim's position recorded",
        ),
        (
            "14",
            false,
            &[Some(Supports)],
            false,
            false,
            false,
            Some("outcomes.victim_position"),
            "14: the victim does not support",
        ),
        (
            "14",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.victim_position"),
            "14: victim based, needs a victim",
        ),
        (
            "15",
            true,
            &[Some(Supports)],
            false,
            false,
            false,
            None,
            "15: suspect identified, the victim supports",
        ),
        (
            "15",
            true,
            &[Some(Declines)],
            false,
            false,
            false,
            Some("outcomes.victim_position"),
            "15: the victim supports action",
        ),
        (
            "15",
            false,
            &[Some(Supports)],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "15: named suspect identified",
        ),
        (
            "16",
            true,
            &[Some(Withdrawn)],
            false,
            false,
            false,
            None,
            "16: the victim withdrew support",
        ),
        (
            "16",
            true,
            &[Some(Declines)],
            false,
            false,
            false,
            None,
            "16: the victim does not support",
        ),
        (
            "16",
            true,
            &[Some(Unable)],
            false,
            false,
            false,
            Some("outcomes.victim_position"),
            "16: does not support, not unable",
        ),
        (
            "16",
            true,
            &[None],
            false,
            false,
            false,
            Some("outcomes.victim_position"),
            "16: position recorded",
        ),
        (
            "16",
            false,
            &[Some(Declines)],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "16: named suspect identified",
        ),
        (
            "17",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "17: suspect identified, time limit expired",
        ),
        (
            "18",
            false,
            &[Some(Supports)],
            false,
            false,
            false,
            None,
            "18: complete, no suspect identified",
        ),
        (
            "18",
            true,
            &[Some(Supports)],
            false,
            false,
            false,
            Some("outcomes.no_suspect"),
            "18: no suspect identified",
        ),
        (
            "19",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.nfib_only"),
            "19: NFIB only",
        ),
        (
            "20",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.other_agency"),
            "20: another body or agency",
        ),
        (
            "20",
            false,
            &[],
            false,
            false,
            true,
            None,
            "20: with the agency named",
        ),
        (
            "21",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "21: action against the suspect",
        ),
        (
            "22",
            true,
            &[],
            false,
            false,
            false,
            None,
            "22: diversionary activity",
        ),
        (
            "22",
            false,
            &[],
            false,
            false,
            false,
            Some("outcomes.suspect_required"),
            "22: diversionary activity by a suspect",
        ),
        (
            "23",
            true,
            &[],
            false,
            false,
            false,
            Some("outcomes.framework"),
            "no outcome 23",
        ),
    ];
    for (outcome, suspect, positions, admission, cps, agency, expected, source) in rows {
        let facts = OutcomeFacts {
            suspect_identified: *suspect,
            victims: positions
                .iter()
                .enumerate()
                .map(|(i, p)| (Uuid::from_u128(i as u128 + 1), *p))
                .collect(),
            person_victim: true,
        };
        let proposal = FinalisationProposal {
            admission: *admission,
            cps_reference: cps.then(|| "CPS/12345".to_owned()),
            other_agency: agency.then(|| "British Transport Police".to_owned()),
            ..propose(outcome)
        };
        let got = outcomes::check_outcome(&policy, &facts, &proposal)
            .err()
            .map(|r| r.rule);
        assert_eq!(got, *expected, "{source}");
    }
    // Outcome 15 on a crime with no individual victim (HOCR General Rules, Section D).
    let victimless = OutcomeFacts {
        suspect_identified: true,
        victims: vec![],
        person_victim: false,
    };
    assert!(outcomes::check_outcome(&policy, &victimless, &propose("15")).is_ok());
}

#[test]
fn flags_are_answered_before_finalisation_and_hate_crime_names_its_strands() {
    let policy = reference().investigation;
    let mut answers: BTreeMap<Code, bool> = BTreeMap::new();
    let err = outcomes::check_flags(&policy, &answers, true).unwrap_err();
    assert_eq!(err.rule, "flags.answered");
    // Crimes without a person victim are not asked the person_victim questions.
    let always: Vec<&str> = outcomes::unanswered(&policy, &answers, false)
        .iter()
        .map(|f| f.code.as_str())
        .collect();
    assert!(!always.contains(&"DOMESTIC_ABUSE"), "{always:?}");
    assert!(always.contains(&"HATE_CRIME"), "{always:?}");
    for f in &policy.flags {
        answers.insert(f.code.clone(), false);
    }
    assert!(outcomes::check_flags(&policy, &answers, true).is_ok());
    answers.insert(code("HATE_CRIME"), true);
    let err = outcomes::check_flags(&policy, &answers, true).unwrap_err();
    assert_eq!(err.rule, "flags.hate_strand");
    answers.insert(code("HATE_DISABILITY"), true);
    assert!(outcomes::check_flags(&policy, &answers, true).is_ok());
    answers.insert(code("HATE_CRIME"), false);
    let err = outcomes::check_flags(&policy, &answers, true).unwrap_err();
    assert_eq!(
        (err.rule, err.field.as_str()),
        ("flags.hate_strand", "flags.HATE_CRIME")
    );
    let err = outcomes::check_answers(
        &policy,
        &[FlagAnswer {
            flag: code("GANG"),
            yes: true,
        }],
    )
    .unwrap_err();
    assert_eq!(
        (err.rule, err.field.as_str()),
        ("flags.known", "answers[0]")
    );
}

// ---- The whole path ----

#[test]
fn record_screen_investigate_update_finalise_and_approve() {
    let mut w = World::new();
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T09:40:00Z",
        answer_all_flags_no(),
    );
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T09:45:00Z",
        InvestigationCommand::AssessVictim(assessment(vec![])),
    );
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T09:46:00Z",
        InvestigationCommand::ReferVictim {
            victim: VICTIM,
            referral: Referral::Consented {
                service: "Victim Support".into(),
            },
        },
    );
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T09:47:00Z",
        InvestigationCommand::GiveVictimDetails {
            victim: VICTIM,
            named_contact: "PC 1234 Smith".into(),
        },
    );
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:00:00Z",
        screen_in(),
    );
    w.ok(
        "recorder1",
        "crime_recorder",
        "2026-03-02T10:05:00Z",
        InvestigationCommand::RequestCsi(csi_request(1)),
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T10:10:00Z",
        InvestigationCommand::AddEnquiry(enquiry(
            1,
            cctv("2026-03-30T00:00:00Z"),
            "dc_smith",
            "2026-03-05T00:00:00Z",
        )),
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T11:00:00Z",
        link_suspect(),
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-03T10:00:00Z",
        InvestigationCommand::RecordKeyEvent {
            kind: KeyEventKind::SuspectArrested,
            occurred_at: ts("2026-03-03T09:00:00Z"),
            note: "Arrested".into(),
        },
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-03T12:00:00Z",
        InvestigationCommand::RecordVictimUpdate {
            key_event: 1,
            victim: VICTIM,
            informed_at: ts("2026-03-03T12:00:00Z"),
            method: ContactMethod::Phone,
            note: "Told of the arrest".into(),
        },
    );
    // Not yet: the CCTV has no result and the CSI has not attended.
    let (rule, field) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-04T10:00:00Z",
        InvestigationCommand::ProposeFinalisation(propose("1")),
    );
    assert_eq!(
        (rule, field),
        (
            "finalisation.enquiries_open",
            format!("enquiries[{}]", Uuid::from_u128(101))
        )
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-04T10:00:00Z",
        InvestigationCommand::CompleteEnquiry {
            enquiry: Uuid::from_u128(101),
            result: "Footage shows the suspect".into(),
        },
    );
    let (rule, _) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-04T10:00:00Z",
        InvestigationCommand::ProposeFinalisation(propose("1")),
    );
    assert_eq!(rule, "finalisation.csi_pending");
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-04T10:00:00Z",
        InvestigationCommand::CancelCsi {
            request: Uuid::from_u128(201),
            reason: "Suspect admitted being there; no forensic need".into(),
        },
    );
    let (rule, _) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-04T10:00:00Z",
        InvestigationCommand::ProposeFinalisation(propose("18")),
    );
    assert_eq!(rule, "outcomes.no_suspect");
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-04T10:00:00Z",
        InvestigationCommand::ProposeFinalisation(propose("1")),
    );
    assert_eq!(w.inv().stage(), Stage::FinalisationAwaitingReview);
    // The proposer does not check their own work; the checklist is complete.
    let approve = |items: &[ChecklistItem]| {
        InvestigationCommand::ReviewFinalisation(Review::Approve {
            checklist: items.to_vec(),
        })
    };
    let err = w
        .run(
            "dc_smith",
            "investigator",
            "2026-03-04T11:00:00Z",
            approve(&ChecklistItem::ALL),
        )
        .unwrap_err();
    assert_eq!(
        err,
        InvestigationError::NotPermitted(Permission::SuperviseInvestigation)
    );
    let (rule, _) = w.refused(
        "dc_smith",
        "investigator,supervisor",
        "2026-03-04T11:00:00Z",
        approve(&ChecklistItem::ALL),
    );
    assert_eq!(rule, "finalisation.separation_of_duties");
    let (rule, field) = w.refused(
        "sgt_jones",
        "supervisor",
        "2026-03-04T11:00:00Z",
        approve(&ChecklistItem::ALL[..4]),
    );
    assert_eq!(
        (rule, field.as_str()),
        ("finalisation.checklist", "checklist.victim_code_met")
    );
    w.ok(
        "sgt_jones",
        "supervisor",
        "2026-03-04T11:00:00Z",
        InvestigationCommand::ReviewFinalisation(Review::Return {
            reasons: vec!["Offer the victim a VPS first".into()],
        }),
    );
    assert_eq!(w.inv().stage(), Stage::UnderInvestigation);
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-04T12:00:00Z",
        InvestigationCommand::OfferVps {
            victim: VICTIM,
            accepted: true,
        },
    );
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-04T12:05:00Z",
        InvestigationCommand::ProposeFinalisation(propose("1")),
    );
    w.ok(
        "sgt_jones",
        "supervisor",
        "2026-03-04T13:00:00Z",
        approve(&ChecklistItem::ALL),
    );
    assert_eq!(w.inv().stage(), Stage::Finalised);
    assert_eq!(w.inv().outcome().map(Code::as_str), Some("1"));
    // Finalising opened a deadline to tell the victim (standard rights: 5 working days).
    let last = w.inv().deadlines.last().unwrap();
    assert_eq!(
        (last.deadline.kind, last.deadline.key_event),
        (KeyEventKind::Finalised, 2)
    );
    assert_eq!(last.deadline.due_before, ts("2026-03-12T00:00:00Z"));
    assert_eq!(w.inv().past_finalisations.len(), 1);
    // Finalised: nothing more is added until it is reopened on new information.
    let (rule, _) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-05T10:00:00Z",
        InvestigationCommand::AddEnquiry(enquiry(
            2,
            EnquiryKind::PndCheck,
            "dc_smith",
            "2026-03-06T00:00:00Z",
        )),
    );
    assert_eq!(rule, "finalised.reopen_first");
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-05T10:00:00Z",
        InvestigationCommand::Reopen {
            new_information: "A second victim has come forward".into(),
        },
    );
    assert_eq!(w.inv().stage(), Stage::UnderInvestigation);
    assert_eq!(w.inv().outcome(), None);
    assert_eq!(w.inv().past_finalisations.len(), 2);
}

#[test]
fn links_to_crimes_and_people_are_kept_and_withdrawn_with_reasons() {
    let mut w = World::new();
    let other = Uuid::from_u128(77);
    let link = InvestigationCommand::LinkCrime(CrimeLink {
        crime: other,
        kind: CrimeLinkKind::Series,
        note: Some("Same method, same street".into()),
    });
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T10:00:00Z",
        link.clone(),
    );
    let (rule, _) = w.refused("dc_smith", "investigator", "2026-03-02T10:00:00Z", link);
    assert_eq!(rule, "links.once");
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T10:00:00Z",
        link_suspect(),
    );
    assert_eq!(w.inv().suspects(), [SUSPECT]);
    w.ok(
        "dc_smith",
        "investigator",
        "2026-03-02T11:00:00Z",
        InvestigationCommand::UnlinkPerson {
            person: SUSPECT,
            role: CrimeRole::Suspect,
            reason: "Alibi confirmed on CCTV".into(),
        },
    );
    assert!(w.inv().suspects().is_empty());
    assert_eq!(w.inv().people.len(), 2, "the withdrawn link stays on file");
    assert_eq!(
        w.inv().victims(),
        [VICTIM],
        "the recorded victim is a link too"
    );
}

#[test]
fn a_removed_crime_is_not_investigated() {
    let mut w = World::new();
    w.crime.cancelled = Some((
        crate::ncrs::CancellationRequest {
            reason: crate::ncrs::CancellationReason::Duplicate,
            rationale: "dup".into(),
            requested_by: "recorder1".into(),
        },
        user("fcr"),
        ts("2026-03-02T10:00:00Z"),
    ));
    let (rule, _) = w.refused(
        "dc_smith",
        "investigator",
        "2026-03-02T11:00:00Z",
        screen_in(),
    );
    assert_eq!(rule, "crime.removed");
}

// ---- Invariants ----

fn deadline_state(due: i64, informed: Option<i64>) -> DeadlineState {
    DeadlineState {
        deadline: victims::UpdateDeadline {
            key_event: 1,
            victim: VICTIM,
            kind: KeyEventKind::SuspectCharged,
            occurred_at: Timestamp::from_second(0).unwrap(),
            enhanced: false,
            working_days: 5,
            due_before: Timestamp::from_second(due).unwrap(),
            calendar_known: true,
            source: "Right 6".into(),
        },
        informed: informed.map(|at| victims::Informed {
            at: Timestamp::from_second(at).unwrap(),
            by: user("dc_smith"),
            method: ContactMethod::Letter,
            note: "letter".into(),
        }),
    }
}

proptest! {
    /// A deadline is never before its event, and exactly `days` working days lie between the
    /// event's day and the deadline's last day.
    #[test]
    fn deadlines_are_after_the_event_and_count_working_days(
        second in 1_735_689_600i64..1_830_297_600, // 2025-01-01 .. 2027-12-31
        days in 1u32..=10,
    ) {
        let policy = reference().investigation;
        let tz = london();
        let occurred = Timestamp::from_second(second).unwrap();
        let (due, _) = victims::due_before(occurred, days, &tz, &policy.calendar).unwrap();
        prop_assert!(due > occurred);
        let first = occurred.to_zoned(tz.clone()).date();
        let last = due.to_zoned(tz.clone()).date().yesterday().unwrap();
        prop_assert!(policy.calendar.is_working_day(last));
        let mut counted = 0;
        let mut d = first;
        while d < last {
            d = d.tomorrow().unwrap();
            counted += u32::from(policy.calendar.is_working_day(d));
        }
        prop_assert_eq!(counted, days);
    }

    /// The on-time share is between 0 and 1, counts only closed deadlines, and a deadline met
    /// is one told before it.
    #[test]
    fn the_on_time_share_is_a_share_of_the_closed(
        rows in proptest::collection::vec((0i64..1_000, proptest::option::of(0i64..1_000)), 0..40),
    ) {
        let states: Vec<DeadlineState> = rows.iter().map(|(due, told)| deadline_state(*due, *told)).collect();
        let share = victims::on_time_share(&states);
        let closed = rows.iter().filter(|(_, told)| told.is_some()).count();
        let met = rows.iter().filter(|(due, told)| told.is_some_and(|t| t < *due)).count();
        prop_assert_eq!(share, OnTimeShare { on_time: met, closed });
        match share.share() {
            None => prop_assert_eq!(closed, 0),
            Some(s) => prop_assert!((0.0..=1.0).contains(&s)),
        }
        let crimes = [(Uuid::from_u128(9), states.as_slice())];
        let open = victims::awaiting_update(crimes, Timestamp::from_second(500).unwrap());
        prop_assert_eq!(open.len(), rows.len() - closed);
        prop_assert!(open.windows(2).all(|w| w[0].deadline.due_before <= w[1].deadline.due_before));
    }
}

/// The API reads decisions straight into [`InvestigationCommand`]: the action names the
/// variant; an unknown action or a stray field is refused, not guessed at.
#[test]
fn decisions_read_from_json_by_their_action() {
    let screen: InvestigationCommand = serde_json::from_value(serde_json::json!({
        "action": "screen",
        "decision": {"decision": "file_pending"},
        "factors": [{"factor": "CCTV", "note": null}],
        "rationale": "No lines of enquiry"
    }))
    .unwrap();
    assert!(matches!(
        screen,
        InvestigationCommand::Screen {
            decision: ScreeningDecision::FilePending,
            ..
        }
    ));
    let review: InvestigationCommand = serde_json::from_value(serde_json::json!({
        "action": "review_finalisation", "decision": "return", "reasons": ["No CPS reference"]
    }))
    .unwrap();
    assert_eq!(
        review,
        InvestigationCommand::ReviewFinalisation(outcomes::Review::Return {
            reasons: vec!["No CPS reference".into()]
        })
    );
    let flags: InvestigationCommand = serde_json::from_value(serde_json::json!({
        "action": "answer_flags", "flags": [{"flag": "KNIFE", "yes": true}]
    }))
    .unwrap();
    assert!(matches!(flags, InvestigationCommand::AnswerFlags { flags } if flags.len() == 1));
    for bad in [
        serde_json::json!({"action": "delete_everything"}),
        serde_json::json!({"action": "reopen", "new_information": "CCTV found", "extra": 1}),
        serde_json::json!({"new_information": "no action"}),
    ] {
        assert!(
            serde_json::from_value::<InvestigationCommand>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}
