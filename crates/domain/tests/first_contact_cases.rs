//! Table-driven: realistic first contacts, kept as data in `data/first-contact-cases.json`.
//! For each: the grade the default force policy recommends, the vulnerability flags the facts
//! suggest, and whether closing as the handler did is accepted (or which rules it breaks).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::reference;
use controlroom_domain::assessment::{
    Answer, DashAnswers, Factor, Level, NdmRationale, Subject, ThriveAssessment,
    VulnerabilityFacts, suggest_flags,
};
use controlroom_domain::closure::{CloseRequest, check};
use controlroom_domain::contact::{CallerDraft, ContactDraft, ContactId, LocationDraft};
use controlroom_domain::grading::{GradingFacts, RepeatCounts, check_ready_to_grade, recommend};
use controlroom_domain::incident::{
    ClosureDetails, FactAnswer, Grade, Incident, IncidentCommand, IncidentId, IncidentRef,
    RwdOutcome, Stamped, decide,
};
use controlroom_domain::reference::ReferenceData;
use controlroom_domain::text::Code;
use controlroom_domain::user::Username;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;
use uuid::Uuid;

#[derive(Deserialize)]
struct Table {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: String,
    source: String,
    channel: String,
    reported: String,
    incident_type: String,
    qualifiers: Vec<String>,
    /// Six letters, or absent when the handler has not recorded THRIVE.
    thrive: Option<String>,
    /// The question set's answers: fact code to yes, no or not_known.
    #[serde(default)]
    answers: BTreeMap<String, String>,
    /// Repeat counts found by the intelligence check.
    #[serde(default)]
    repeats: Option<RepeatCounts>,
    facts: VulnerabilityFacts,
    /// Whether a unit attended (an emergency or priority is attended unless this says not).
    #[serde(default = "yes")]
    attended: bool,
    dash_yes: Option<usize>,
    /// Children present or in the household, as told on the call (the DASH form's box).
    #[serde(default)]
    children_present: bool,
    signposted_to: Option<String>,
    expect: Expect,
    close: Close,
    close_expect: CloseExpect,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
struct Expect {
    /// A grade, or `not_yet_assessed`.
    minimum_grade: String,
    flags: Vec<String>,
    /// The agency a signposting rule names, when signposted by policy.
    #[serde(default)]
    signpost_to: Option<String>,
    /// Words one of the recommendation's reasons must contain (e.g. the repeat it names).
    #[serde(default)]
    reason_contains: Option<String>,
    /// The referrals the DASH makes, when a DASH is completed.
    #[serde(default)]
    dash_referrals: Option<Vec<String>>,
    /// The handler's grade is refused by the force's assessment-before-grading switch.
    #[serde(default)]
    grade_refused: bool,
}

#[derive(Deserialize)]
struct Close {
    grade: String,
    closing_code: String,
    final_incident_type: Option<String>,
    qualifiers: Vec<String>,
    crime_reference: Option<String>,
    non_crime_rationale: Option<String>,
    outcome: Option<String>,
}

#[derive(Deserialize)]
struct CloseExpect {
    accepted: bool,
    rules: Vec<String>,
}

fn thrive(letters: &str) -> ThriveAssessment {
    let levels: Vec<Level> = letters
        .chars()
        .map(|c| match c {
            'L' => Level::Low,
            'M' => Level::Medium,
            'H' => Level::High,
            other => panic!("THRIVE letter {other}"),
        })
        .collect();
    assert_eq!(levels.len(), 6, "THRIVE needs six letters: {letters}");
    let f = |i: usize| Factor {
        level: levels[i],
        reason: format!("assessed {:?}", levels[i]),
    };
    ThriveAssessment {
        threat: f(0),
        harm: f(1),
        risk: f(2),
        investigation: f(3),
        vulnerability: f(4),
        engagement: f(5),
        ndm: NdmRationale {
            information: "caller's account".into(),
            assessment: "as graded".into(),
            powers_and_policy: "force grading policy".into(),
            options: "considered".into(),
            action: "as recorded".into(),
        },
    }
}

fn code(raw: &str) -> Code {
    Code::parse("code", raw).unwrap()
}

/// The incident as built, and whether the handler's grade was refused (and why).
struct Built {
    incident: Incident,
    grade_refused: Option<String>,
}

/// Build the incident the way the API does: open, classify, assess, flag, DASH, signpost, then
/// grade, checked first against the force's assessment-before-grading switch as the API does.
fn incident_for(
    case: &Case,
    reference: &ReferenceData,
    flags: &[controlroom_domain::assessment::VulnerabilityFlag],
) -> Built {
    let by = Username::parse("handler").unwrap();
    let at = Timestamp::from_second(1_795_400_000).unwrap();
    let contact = ContactDraft {
        channel: case.channel.clone(),
        caller: CallerDraft::named("Caller"),
        location: LocationDraft::described("Somewhere in Leeds"),
        summary: case.reported.clone(),
        ..ContactDraft::default()
    }
    .into_contact(ContactId(Uuid::nil()), by.clone(), at)
    .unwrap();
    let mut commands = vec![
        IncidentCommand::Open {
            id: IncidentId(Uuid::nil()),
            reference: IncidentRef::parse("20261123-0001").unwrap(),
            incident_type: Some(code(&case.incident_type)),
            contact,
        },
        IncidentCommand::Classify {
            incident_type: Some(code(&case.incident_type)),
            qualifiers: case.qualifiers.iter().map(|q| code(q)).collect(),
        },
    ];
    if let Some(letters) = &case.thrive {
        commands.push(IncidentCommand::AssessThrive(thrive(letters)));
    }
    if !case.answers.is_empty() {
        let answers = case
            .answers
            .iter()
            .map(|(fact, answer)| {
                assert!(
                    reference.qualifier(fact).is_some(),
                    "{}: unknown fact {fact}",
                    case.id
                );
                FactAnswer {
                    fact: code(fact),
                    answer: Answer::parse("answer", answer).unwrap().unwrap(),
                }
            })
            .collect();
        commands.push(IncidentCommand::AnswerQuestions {
            answers,
            log: String::new(),
        });
    }
    if let Some(repeats) = case.repeats {
        commands.push(IncidentCommand::RecordIntelligenceCheck {
            repeats,
            warnings_on: Vec::new(),
        });
    }
    if !flags.is_empty() {
        commands.push(IncidentCommand::RecordVulnerability {
            subject: Subject::Victim,
            flags: flags.to_vec(),
            note: None,
        });
    }
    if let Some(yes) = case.dash_yes {
        let answers = (0..reference.dash_questions.len())
            .map(|i| if i < yes { Answer::Yes } else { Answer::No })
            .collect();
        // As the API does: the case's own answer, or a qualifier or a "yes" the force's
        // dash_children_qualifiers names.
        let dash_policy = &reference.policy.dash;
        let named = |q: &String| dash_policy.children_qualifiers.contains(q);
        let children_present = case.children_present
            || case.qualifiers.iter().any(named)
            || case.answers.iter().any(|(f, a)| a == "yes" && named(f));
        let dash = DashAnswers {
            answers,
            professional_judgement: None,
            incidents_last_12_months: case.facts.previous_incidents_12_months,
            children_present,
        }
        .assess(reference.dash_questions.len(), dash_policy)
        .unwrap();
        commands.push(IncidentCommand::CompleteDash(dash));
    }
    if let Some(agency) = &case.signposted_to {
        assert!(
            reference.agency(agency).is_some(),
            "{}: unknown agency {agency}",
            case.id
        );
        commands.push(IncidentCommand::Signpost {
            agency: code(agency),
            advice: "caller given the details".into(),
        });
    }
    // The crime the close cites is recorded from the incident first, as the console does.
    if let Some(reference) = &case.close.crime_reference {
        commands.push(IncidentCommand::LinkCrime {
            crime_id: Uuid::nil(),
            reference: reference.clone(),
            classification: code("8N"),
        });
    }
    let run = |state: Option<Incident>, commands: Vec<IncidentCommand>| {
        let mut state = state;
        for command in commands {
            for event in decide(state.as_ref(), command).unwrap() {
                let by = by.clone();
                let stamped = Stamped { at, by, event };
                state = Some(Incident::apply(state, &stamped, 0).unwrap());
            }
        }
        state.unwrap()
    };
    let before_grading = run(None, commands);
    let chosen = Grade::parse(&case.close.grade).unwrap();
    let recommended = recommend(
        &GradingFacts::of(&before_grading, reference),
        &reference.policy,
    );
    if let Err(refused) = check_ready_to_grade(chosen, &recommended, &reference.policy) {
        return Built {
            incident: before_grading,
            grade_refused: Some(refused.message),
        };
    }
    let mut commands = vec![IncidentCommand::grade(&case.close.grade, "as assessed").unwrap()];
    if case.attended
        && reference
            .policy
            .attend_before_closing
            .iter()
            .any(|g| g.as_str() == case.close.grade)
    {
        commands.push(IncidentCommand::RecordDispatch { note: None });
        commands.push(IncidentCommand::RecordArrival);
    }
    Built {
        incident: run(Some(before_grading), commands),
        grade_refused: None,
    }
}

/// Publishers and published texts a case may cite: the rule each case applies must come from
/// one of them (an internal note, an issue or "force policy" alone is not a source).
const PUBLISHED: &[&str] = &[
    "College of Policing",
    "Home Office",
    "NPCC",
    "ACPO",
    "SafeLives",
    "Right Care, Right Person",
    "Action Fraud",
    "Ofcom",
    "IOPC",
    "HM Government",
    "NHS England",
    "NSIR",
    "HOCR",
    "Act 19",
    "Act 20",
];

/// Why `source` is not a published source, if it is not.
fn unpublished(source: &str) -> Option<String> {
    let lower = source.to_lowercase();
    if lower.contains("../") || lower.contains(".md") || lower.contains("shared/") {
        return Some("cites a file in this project, not a published text".into());
    }
    if lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == "issue")
    {
        return Some("cites an issue, not a published text".into());
    }
    if lower.contains("force policy") {
        return Some("cites \"force policy\": name the published guidance it applies".into());
    }
    if !PUBLISHED.iter().any(|p| source.contains(p)) {
        return Some(format!(
            "names none of the known publishers or published texts ({})",
            PUBLISHED.join(", ")
        ));
    }
    None
}

#[test]
fn a_case_must_cite_a_published_source_not_an_internal_one() {
    for internal in [
        "../shared/domain/first-contact-cases.md #1",
        "Issue 12 item 3",
        "Graded response (force policy)",
        "force policy",
        "our sample list",
        "",
    ] {
        assert!(
            unpublished(internal).is_some(),
            "'{internal}' must be refused as a source"
        );
    }
    assert_eq!(
        unpublished("College of Policing APP, contact management (THRIVE)"),
        None
    );
    let table: Table = serde_json::from_str(include_str!("data/first-contact-cases.json")).unwrap();
    let bad: Vec<String> = table
        .cases
        .iter()
        .filter_map(|c| unpublished(&c.source).map(|why| format!("{}: {why}", c.id)))
        .collect();
    assert!(
        bad.is_empty(),
        "cases without a published source:\n{}",
        bad.join("\n")
    );
}

#[test]
fn first_contacts_are_graded_flagged_and_closed_by_the_rules() {
    let reference = reference();
    let table: Table = serde_json::from_str(include_str!("data/first-contact-cases.json")).unwrap();
    assert!(table.cases.len() >= 40, "at least 40 cases");
    let mut failures = Vec::new();
    for case in &table.cases {
        assert!(
            unpublished(&case.source).is_none(),
            "{}: name the published source",
            case.id
        );
        assert!(
            reference.incident_type(&case.incident_type).is_some(),
            "{}: unknown type",
            case.id
        );
        let qualifiers: Vec<&str> = case.qualifiers.iter().map(String::as_str).collect();
        let flags = suggest_flags(
            &case.facts,
            &qualifiers,
            reference.policy.repeat_victim_incidents,
        );
        let flag_names: Vec<&str> = flags.iter().map(|f| f.as_str()).collect();
        if flag_names != case.expect.flags {
            failures.push(format!(
                "{}: flags {flag_names:?}, expected {:?}",
                case.id, case.expect.flags
            ));
        }

        let Built {
            incident,
            grade_refused,
        } = incident_for(case, &reference, &flags);
        if grade_refused.is_some() != case.expect.grade_refused {
            failures.push(format!(
                "{}: grading {} refused: {grade_refused:?}, expected refused: {}",
                case.id, case.close.grade, case.expect.grade_refused
            ));
        }
        if let Some(expected) = &case.expect.dash_referrals {
            let made = incident.current_dash().map(|d| d.referrals.clone());
            if made.as_ref() != Some(expected) {
                failures.push(format!(
                    "{}: DASH referrals {made:?}, expected {expected:?}",
                    case.id
                ));
            }
        }
        let facts = GradingFacts::of(&incident, &reference);
        let recommendation = recommend(&facts, &reference.policy);
        let expected = match case.expect.minimum_grade.as_str() {
            "not_yet_assessed" => None,
            grade => Some(Grade::parse(grade).unwrap()),
        };
        if recommendation.grade != expected {
            failures.push(format!(
                "{}: recommended {}, expected {}",
                case.id,
                recommendation.explain(),
                case.expect.minimum_grade
            ));
        }
        if let Some(words) = &case.expect.reason_contains
            && !recommendation
                .reasons
                .iter()
                .any(|r| r.contains(words.as_str()))
        {
            failures.push(format!(
                "{}: no reason names '{words}': {:?}",
                case.id, recommendation.reasons
            ));
        }
        let signpost = recommendation.signpost_to.as_ref().map(Code::as_str);
        if signpost != case.expect.signpost_to.as_deref() {
            failures.push(format!(
                "{}: signposted to {signpost:?}, expected {:?}",
                case.id, case.expect.signpost_to
            ));
        }

        let details = ClosureDetails {
            final_incident_type: case.close.final_incident_type.as_deref().map(code),
            crime_reference: case.close.crime_reference.clone(),
            non_crime_rationale: case.close.non_crime_rationale.clone(),
            outcome: case
                .close
                .outcome
                .as_deref()
                .map(|o| RwdOutcome::parse(o).unwrap()),
        };
        let close_quals: Vec<Code> = case.close.qualifiers.iter().map(|q| code(q)).collect();
        let problems = check(
            &incident,
            CloseRequest {
                closing_code: &code(&case.close.closing_code),
                qualifiers: &close_quals,
                details: &details,
            },
            &reference,
        );
        let mut broken: Vec<&str> = problems.iter().map(|p| p.rule).collect();
        broken.sort_unstable();
        let mut expected_rules: Vec<&str> =
            case.close_expect.rules.iter().map(String::as_str).collect();
        expected_rules.sort_unstable();
        if broken != expected_rules || problems.is_empty() != case.close_expect.accepted {
            failures.push(format!(
                "{}: closure broke {broken:?}, expected {expected_rules:?}",
                case.id
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree:\n{}",
        failures.len(),
        table.cases.len(),
        failures.join("\n")
    );
}
