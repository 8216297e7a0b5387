//! Closure that meets the national standards: every inconsistency is reported before the
//! close is accepted, each with the rule it breaks.
//!
//! Sources: Home Office, National Standard for Incident Recording (NSIR) 2011: an incident is
//! closed under the category of its final incident type, with qualifiers where they apply
//! (domestic abuse, hate); Home Office Counting Rules, National Crime Recording Standard: a
//! report of crime is recorded, or the reason it is not is recorded; College of Policing APP on
//! contact management: signposting and resolution without deployment are recorded as such.

use crate::assessment::VulnerabilityFlag;
use crate::incident::{ClosureDetails, Grade, Incident};
use crate::reference::{ClosureNeed, ReferenceData};
use crate::text::Code;

/// One broken rule: its identifier, the input to fix, and what to do, in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureProblem {
    pub rule: &'static str,
    pub field: &'static str,
    pub message: String,
}

/// What the handler asks to close with.
#[derive(Debug, Clone, Copy)]
pub struct CloseRequest<'a> {
    pub closing_code: &'a Code,
    pub qualifiers: &'a [Code],
    pub details: &'a ClosureDetails,
}

/// Check a close against the incident and the reference data. Empty means it may close.
pub fn check(
    incident: &Incident,
    request: CloseRequest<'_>,
    reference: &ReferenceData,
) -> Vec<ClosureProblem> {
    let mut problems = Vec::new();
    let mut problem = |rule, field, message: String| {
        problems.push(ClosureProblem {
            rule,
            field,
            message,
        })
    };

    let code = reference.closing_code(request.closing_code.as_str());
    if code.is_none() {
        problem(
            "NSIR-CODE",
            "closing_code",
            format!(
                "{} is not a closing code in the reference list",
                request.closing_code
            ),
        );
    }
    for q in request.qualifiers {
        if reference.qualifier(q.as_str()).is_none() {
            problem(
                "NSIR-QUALIFIER",
                "qualifiers",
                format!("{q} is not a qualifier in the reference list"),
            );
        }
    }

    let final_type = request
        .details
        .final_incident_type
        .as_ref()
        .or(incident.incident_type.as_ref());
    let final_type = match final_type {
        None => {
            problem(
                "NSIR-TYPE",
                "final_incident_type",
                "give the final incident type: what the incident turned out to be".into(),
            );
            None
        }
        Some(t) => match reference.incident_type(t.as_str()) {
            None => {
                problem(
                    "NSIR-TYPE",
                    "final_incident_type",
                    format!("{t} is not an incident type in the reference list"),
                );
                None
            }
            found => found,
        },
    };
    if let (Some(code), Some(final_type)) = (code, final_type)
        && code.category != final_type.category
    {
        problem(
            "NSIR-CATEGORY",
            "closing_code",
            format!(
                "closing code {} is in the {} category but the final incident type {} is in {}: choose a closing code of the same category, or change the final type",
                code.code, code.category, final_type.code, final_type.category
            ),
        );
    }

    let needs = |need| code.is_some_and(|c| c.needs.contains(&need));
    let text = |value: &Option<String>| value.as_deref().is_some_and(|v| !v.trim().is_empty());
    if needs(ClosureNeed::CrimeLink)
        && !text(&request.details.crime_reference)
        && !text(&request.details.non_crime_rationale)
    {
        problem(
            "NCRS-DECISION",
            "crime_reference",
            "a closing code in the Crime category needs the crime reference, or the reason no crime was recorded (non-crime rationale)".into(),
        );
    }
    if needs(ClosureNeed::Qualifier) && request.qualifiers.is_empty() {
        problem(
            "NSIR-QUALIFIER-NEEDED",
            "qualifiers",
            "this closing code needs at least one qualifier".into(),
        );
    }
    let flags = incident.flags();
    let has = |prefix: &str| {
        request
            .qualifiers
            .iter()
            .any(|q| q.as_str().starts_with(prefix))
    };
    if (flags.contains(&VulnerabilityFlag::DomesticAbuse) || !incident.dash.is_empty())
        && !has("DOMESTIC_ABUSE")
    {
        problem(
            "NSIR-DOMESTIC-ABUSE",
            "qualifiers",
            "domestic abuse was identified (vulnerability flag or DASH): add the DOMESTIC_ABUSE qualifier".into(),
        );
    }
    if flags.contains(&VulnerabilityFlag::HateCrime) && !has("HATE_") {
        problem(
            "NSIR-HATE",
            "qualifiers",
            "a hate crime victim was identified: add the hate qualifier for the strand".into(),
        );
    }
    let grade = incident.grade();
    if (needs(ClosureNeed::Agency) || grade == Some(Grade::Signposted))
        && incident.signposts.is_empty()
    {
        problem(
            "SIGNPOST-RECORDED",
            "agency",
            "record which agency the caller was signposted or referred to before closing".into(),
        );
    }
    if (needs(ClosureNeed::Outcome) || grade == Some(Grade::ResolutionWithoutDeployment))
        && request.details.outcome.is_none()
    {
        problem(
            "RWD-OUTCOME",
            "outcome",
            "say how it was resolved without deployment: advice_given, online_report or desk_investigation".into(),
        );
    }
    problems
}
