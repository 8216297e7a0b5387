//! First point of contact: classify, assess (THRIVE with NDM rationale), identify
//! vulnerability, complete DASH, signpost, and see the grade the policy recommends. Each
//! assessment is an event on the incident, so every version is kept and audited.

use crate::incidents::{IncidentOutcome, IncidentRequest};
use crate::{App, AppError};
use controlroom_domain::Invalid;
use controlroom_domain::assessment::{
    Answer, DashAnswers, Subject, ThriveDraft, VulnerabilityFlag,
};
use controlroom_domain::grading::{GradingFacts, Recommendation, recommend};
use controlroom_domain::incident::{FactAnswer, Incident, IncidentCommand};
use controlroom_domain::roles::Permission;
use controlroom_domain::text::{Code, optional_text, required_text};

/// The grade the force's policy recommends for the incident as recorded now.
pub fn recommendation(app: &App, incident: &Incident) -> Recommendation {
    let facts = GradingFacts::of(incident, &app.settings.reference);
    recommend(&facts, &app.settings.reference.policy)
}

/// Record answers to the incident type's questions: `(fact, answer)` with answer `yes`, `no`,
/// `not_known` or `not_asked` (skipped). Each answer is an event, written to the log too.
pub async fn answer_questions(
    request: IncidentRequest<'_>,
    answers: &[(String, String)],
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::GradeIncident, "answer the questions on a call")?;
    let app = request.app;
    controlroom_domain::limits::check_items(
        "answers",
        answers.len(),
        controlroom_domain::limits::ANSWERS,
    )?;
    let mut parsed: Vec<FactAnswer> = Vec::new();
    for (i, (fact, answer)) in answers.iter().enumerate() {
        let field = format!("answers[{i}]");
        let fact = known(
            &field,
            fact,
            |c| app.settings.reference.qualifier(c).is_some(),
            "qualifier (fact)",
        )?;
        if let Some(answer) = Answer::parse(&field, answer)? {
            parsed.retain(|a| a.fact != fact);
            parsed.push(FactAnswer { fact, answer });
        }
    }
    if parsed.is_empty() {
        return Err(Invalid::new(
            "answers",
            "choose yes, no or not known for at least one question",
        )
        .into());
    }
    allowed
        .run_with(|incident| {
            let asked = app
                .settings
                .reference
                .questions_for(incident.incident_type.as_ref().map(Code::as_str));
            if let Some(a) = parsed
                .iter()
                .find(|a| !asked.iter().any(|q| q.fact == a.fact))
            {
                return Err(Invalid::new(
                    "answers",
                    format!(
                        "{} is not one of the questions for this incident type",
                        a.fact
                    ),
                )
                .into());
            }
            // The log reads in the order the questions are asked.
            let said: Vec<String> = asked
                .iter()
                .filter_map(|q| {
                    let a = parsed.iter().find(|a| a.fact == q.fact)?;
                    (incident.answers.get(&a.fact) != Some(&a.answer)).then(|| {
                        format!(
                            "{} {}",
                            q.question,
                            a.answer.as_str().replace('_', " ").to_uppercase()
                        )
                    })
                })
                .collect();
            Ok(IncidentCommand::AnswerQuestions {
                answers: parsed.clone(),
                log: format!("Questions asked: {}", said.join("; ")),
            })
        })
        .await
}

/// A supervisor approves closing an emergency or priority incident that no unit attended.
pub async fn approve_unattended_closure(
    request: IncidentRequest<'_>,
    reason: &str,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(
        Permission::ApproveUnattendedClosure,
        "approve closing an incident no unit attended (supervisors)",
    )?;
    let command = IncidentCommand::approve_unattended_closure(reason)?;
    let attend = &request.app.settings.reference.policy.attend_before_closing;
    allowed
        .run_with(|incident| {
            if incident.grade().is_some_and(|g| !attend.contains(&g)) {
                return Err(controlroom_domain::incident::Rejected {
                    code: "approval_not_needed",
                    reason: format!(
                        "incident {} needs no approval to close: its grade does not promise a unit",
                        incident.reference
                    ),
                }
                .into());
            }
            Ok(command)
        })
        .await
}

/// A code from the reference lists, or an error that says where to look.
fn known(
    field: &str,
    raw: &str,
    exists: impl Fn(&str) -> bool,
    list: &str,
) -> Result<Code, Invalid> {
    let code = Code::parse(field, raw)?;
    if exists(code.as_str()) {
        Ok(code)
    } else {
        Err(Invalid::new(
            field,
            format!("{code} is not in the {list} list"),
        ))
    }
}

pub fn incident_type_code(app: &App, field: &str, raw: &str) -> Result<Code, Invalid> {
    known(
        field,
        raw,
        |c| app.settings.reference.incident_type(c).is_some(),
        "incident type",
    )
}

fn qualifier_codes(app: &App, raw: &[String]) -> Result<Vec<Code>, Invalid> {
    let mut codes: Vec<Code> = Vec::new();
    for (i, q) in raw.iter().enumerate() {
        let code = known(
            &format!("qualifiers[{i}]"),
            q,
            |c| app.settings.reference.qualifier(c).is_some(),
            "qualifier",
        )?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    Ok(codes)
}

/// Set (or change) what the incident is: its type and qualifiers.
pub async fn classify(
    request: IncidentRequest<'_>,
    incident_type: Option<&str>,
    qualifiers: &[String],
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::GradeIncident, "classify incidents")?;
    let incident_type = incident_type
        .filter(|t| !t.trim().is_empty())
        .map(|t| incident_type_code(request.app, "incident_type", t))
        .transpose()?;
    let qualifiers = qualifier_codes(request.app, qualifiers)?;
    allowed
        .run(IncidentCommand::Classify {
            incident_type,
            qualifiers,
        })
        .await
}

pub async fn assess_thrive(
    request: IncidentRequest<'_>,
    draft: ThriveDraft,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::GradeIncident, "record THRIVE assessments")?;
    allowed
        .run(IncidentCommand::AssessThrive(draft.parse()?))
        .await
}

pub async fn record_vulnerability(
    request: IncidentRequest<'_>,
    subject: &str,
    flags: &[String],
    note: Option<&str>,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::GradeIncident, "record vulnerability")?;
    let subject = Subject::parse(subject)?;
    let mut parsed: Vec<VulnerabilityFlag> = flags
        .iter()
        .map(|f| VulnerabilityFlag::parse(f))
        .collect::<Result<_, _>>()?;
    parsed.sort();
    parsed.dedup();
    if parsed.is_empty() {
        return Err(Invalid::new("flags", "choose at least one vulnerability flag").into());
    }
    let note = optional_text("note", note, controlroom_domain::limits::RATIONALE)?;
    allowed
        .run(IncidentCommand::RecordVulnerability {
            subject,
            flags: parsed,
            note,
        })
        .await
}

pub async fn complete_dash(
    request: IncidentRequest<'_>,
    answers: DashAnswers,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::GradeIncident, "record DASH assessments")?;
    let app = request.app;
    let questions = app.settings.reference.dash_questions.len();
    allowed
        .run_with(|incident| {
            // Children present on the call (a fact or a qualifier the force's
            // dash_children_qualifiers names) refer to children's social care.
            let facts = GradingFacts::of(incident, &app.settings.reference);
            let dash = &app.settings.reference.policy.dash;
            let mut answers = answers;
            answers.children_present |= facts
                .qualifiers
                .iter()
                .any(|q| dash.children_qualifiers.iter().any(|c| c == q));
            Ok(IncidentCommand::CompleteDash(
                answers.assess(questions, dash)?,
            ))
        })
        .await
}

/// Record that the caller was signposted or referred to an agency, and what they were told.
pub async fn signpost(
    request: IncidentRequest<'_>,
    agency: &str,
    advice: &str,
) -> Result<IncidentOutcome, AppError> {
    let allowed = request.require(Permission::GradeIncident, "record signposting")?;
    let agency = known(
        "agency",
        agency,
        |c| request.app.settings.reference.agency(c).is_some(),
        "agency",
    )?;
    let advice = required_text("advice", advice, controlroom_domain::limits::RATIONALE)?;
    allowed
        .run(IncidentCommand::Signpost { agency, advice })
        .await
}
