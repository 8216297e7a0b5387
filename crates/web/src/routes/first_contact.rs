//! First point of contact: classification, THRIVE, vulnerability, DASH, signposting, and the
//! reference lists the console offers.

use crate::dto::{
    AnswersInput, ApproveUnattendedInput, ClassifyInput, DashInput, SignpostInput, ThriveInput,
    VulnerabilityInput,
};
use crate::error::ApiError;
use crate::extract::{Caller, IncidentChange};
use axum::Json;
use axum::http::StatusCode;
use axum::response::Response;
use controlroom_app::first_contact;
use serde_json::{Value, json};

/// Set or change the incident type and qualifiers (codes from `GET /api/v1/reference`).
#[utoipa::path(post, path = "/api/v1/incidents/{id}/classify", tag = "first contact", request_body = ClassifyInput, responses(super::Changed))]
pub async fn classify(c: IncidentChange<ClassifyInput>) -> Result<Response, ApiError> {
    let b = &c.body;
    let outcome =
        first_contact::classify(c.request(), b.incident_type.as_deref(), &b.qualifiers).await?;
    c.answer(StatusCode::OK, outcome)
}

/// Record a THRIVE assessment with its National Decision Model rationale. Earlier
/// assessments are kept.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/thrive", tag = "first contact", request_body = ThriveInput, responses(super::Changed))]
pub async fn thrive(c: IncidentChange<ThriveInput>) -> Result<Response, ApiError> {
    let (c, body) = c.split();
    let outcome = first_contact::assess_thrive(c.request(), body.into_draft()).await?;
    c.answer(StatusCode::OK, outcome)
}

/// Record vulnerability flags for the caller, the victim or someone else.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/vulnerability", tag = "first contact", request_body = VulnerabilityInput, responses(super::Changed))]
pub async fn vulnerability(c: IncidentChange<VulnerabilityInput>) -> Result<Response, ApiError> {
    let b = &c.body;
    let outcome =
        first_contact::record_vulnerability(c.request(), &b.subject, &b.flags, b.note.as_deref())
            .await?;
    c.answer(StatusCode::OK, outcome)
}

/// Record the DASH risk checklist: the answers, the resulting risk and the referrals it
/// triggers.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/dash", tag = "first contact", request_body = DashInput, responses(super::Changed))]
pub async fn dash(c: IncidentChange<DashInput>) -> Result<Response, ApiError> {
    let (c, body) = c.split();
    let answers = body.into_answers()?;
    let outcome = first_contact::complete_dash(c.request(), answers).await?;
    c.answer(StatusCode::OK, outcome)
}

/// Answer the questions for the incident type (see the incident's `questions`). A "yes"
/// records the fact, which the force's grading policy turns into the recommendation.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/answers", tag = "first contact", request_body = AnswersInput, responses(super::Changed))]
pub async fn answers(c: IncidentChange<AnswersInput>) -> Result<Response, ApiError> {
    let (c, body) = c.split();
    let answers: Vec<(String, String)> = body.answers.into_iter().collect();
    let outcome = first_contact::answer_questions(c.request(), &answers).await?;
    c.answer(StatusCode::OK, outcome)
}

/// A supervisor approves closing an emergency or priority incident that no unit attended.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/unattended-closure-approval", tag = "first contact", request_body = ApproveUnattendedInput, responses(super::Changed))]
pub async fn approve_unattended(
    c: IncidentChange<ApproveUnattendedInput>,
) -> Result<Response, ApiError> {
    let outcome = first_contact::approve_unattended_closure(c.request(), &c.body.reason).await?;
    c.answer(StatusCode::OK, outcome)
}

/// Record that the caller was signposted or referred to an agency.
#[utoipa::path(post, path = "/api/v1/incidents/{id}/signpost", tag = "first contact", request_body = SignpostInput, responses(super::Changed))]
pub async fn signpost(c: IncidentChange<SignpostInput>) -> Result<Response, ApiError> {
    let b = &c.body;
    let outcome = first_contact::signpost(c.request(), &b.agency, &b.advice).await?;
    c.answer(StatusCode::OK, outcome)
}

/// The reference lists: NSIR categories, incident types, qualifiers, closing codes, agencies,
/// the DASH questions, the attendance targets, the Home Office offence classifications, the
/// grades in order of urgency, the roles an account may hold, and the screening factors,
/// crime flags and Home Office outcomes a crime is worked against.
#[utoipa::path(get, path = "/api/v1/reference", tag = "first contact", responses((status = 200, description = "Reference lists")))]
pub async fn reference(c: Caller) -> Json<Value> {
    let r = &c.app().settings.reference;
    let needs = |n: &controlroom_domain::reference::ClosureNeed| n.as_str();
    Json(json!({
        "categories": r.categories.iter().map(|c| json!({"code": c.code.as_str(), "name": c.name, "group": c.group.to_string()})).collect::<Vec<_>>(),
        "incident_types": r.incident_types.iter().map(|t| json!({"code": t.code.as_str(), "name": t.name, "category": t.category.as_str()})).collect::<Vec<_>>(),
        "qualifiers": r.qualifiers.iter().map(|q| json!({"code": q.code.as_str(), "name": q.name, "description": q.description})).collect::<Vec<_>>(),
        "closing_codes": r.closing_codes.iter().map(|c| json!({"code": c.code.as_str(), "name": c.name, "category": c.category.as_str(), "needs": c.needs.iter().map(needs).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        "agencies": r.agencies.iter().map(|a| json!({"code": a.code.as_str(), "name": a.name, "when_to_use": a.when_to_use, "contact": a.contact})).collect::<Vec<_>>(),
        "dash_questions": r.dash_questions.iter().map(|q| json!({"number": q.number, "question": q.question})).collect::<Vec<_>>(),
        "offences": r.offences.iter().map(|o| json!({"code": o.code.as_str(), "name": o.name, "group": o.group, "victim": o.victim.as_str()})).collect::<Vec<_>>(),
        "crime_removal_reasons": controlroom_domain::ncrs::CancellationReason::ALL.iter().map(|r| json!({"code": r.as_str(), "name": r.label()})).collect::<Vec<_>>(),
        "question_sets": r.questions.iter().map(|q| json!({"incident_type": q.incident_type.as_ref().map(|c| c.as_str()), "fact": q.fact.as_str(), "question": q.question})).collect::<Vec<_>>(),
        "vulnerability_flags": controlroom_domain::assessment::VulnerabilityFlag::ALL.iter().map(|f| json!({"code": f.as_str(), "name": f.describe()})).collect::<Vec<_>>(),
        // Most urgent first: the order a dispatcher works in. `deploys`: the grade sends a unit.
        "grades": controlroom_domain::incident::Grade::ALL.iter().map(|g| json!({"code": g.as_str(), "deploys": g.deploys()})).collect::<Vec<_>>(),
        // The warning markers a person, vehicle or location record can carry.
        "marker_kinds": controlroom_domain::pole::MarkerKind::ALL.iter().map(|m| json!({"code": m.as_str(), "name": crate::dto::capitalised(&m.label())})).collect::<Vec<_>>(),
        // What a crime is screened, flagged and finalised against (issue 15), the force's
        // own codes included.
        "screening_factors": r.investigation.factors.iter().map(|f| json!({"code": f.code.as_str(), "kind": <&str>::from(f.kind), "weight": f.weight, "supervisor_to_file": f.supervisor_to_file, "description": f.description})).collect::<Vec<_>>(),
        "screening_policy_version": r.investigation.screening_version,
        "crime_flags": r.investigation.flags.iter().map(|f| json!({"code": f.code.as_str(), "name": f.name, "group": <&str>::from(f.group), "required": <&str>::from(f.required), "meaning": f.meaning})).collect::<Vec<_>>(),
        "crime_outcomes": r.investigation.outcomes.iter().map(|o| json!({"code": o.code.as_str(), "name": o.name, "group": o.group, "suspect": <&str>::from(o.suspect), "needs": o.needs.iter().map(|n| <&str>::from(*n)).collect::<Vec<_>>()})).collect::<Vec<_>>(),
        // The roles an administrator may give an account.
        "roles": controlroom_domain::roles::Role::ALL.iter().map(|r| json!({"code": r.as_str(), "name": crate::dto::capitalised(r.label())})).collect::<Vec<_>>(),
    }))
}
