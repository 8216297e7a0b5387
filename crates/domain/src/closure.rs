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

/// [`check`], and the safeguarding referral rules (issue 17): every referral the incident's
/// facts require (`referral-rules.psv`: a high-risk DASH requires MARAC, children present at
/// domestic abuse children's social care, an adult at risk adult social care) is sent, or a
/// supervisor recorded why not ([`crate::safeguarding::closure_problems`]). `referrals` are the
/// incident's referrals, folded from the streams under
/// [`crate::safeguarding::ReferralId::prefix_of`]. Empty means it may close.
pub fn check_with_referrals(
    incident: &Incident,
    request: CloseRequest<'_>,
    reference: &ReferenceData,
    referrals: &[crate::safeguarding::ReferralState],
) -> Vec<ClosureProblem> {
    let mut problems = check(incident, request, reference);
    problems.extend(crate::safeguarding::closure_problems(
        incident,
        request.qualifiers,
        referrals,
        reference,
    ));
    problems
}

/// Check a close against the incident and the reference data. Empty means it may close.
/// The referral rules are not checked here: use [`check_with_referrals`] with the
/// incident's referrals.
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
    // A crime number given at close is one recorded from this incident (NCRS: the closure
    // cites the crime record); only a crime recorded by another force has a number of its own.
    if let Some(given) = request
        .details
        .crime_reference
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        && request.closing_code.as_str() != "CRIME_TRANSFERRED"
        && !incident
            .crimes
            .iter()
            .any(|c| c.reference.eq_ignore_ascii_case(given))
    {
        let recorded: Vec<&str> = incident
            .crimes
            .iter()
            .map(|c| c.reference.as_str())
            .collect();
        problem(
            "NCRS-CRIME-REFERENCE",
            "crime_reference",
            if recorded.is_empty() {
                format!(
                    "crime {given} is not recorded from this incident: record the crime first (crime recording), or give the reason no crime was recorded"
                )
            } else {
                format!(
                    "crime {given} is not recorded from this incident; its crimes are {}",
                    recorded.join(", ")
                )
            },
        );
    }
    if incident.needs_attendance_before_closing(&reference.policy.attend_before_closing)
        && incident.unattended_closure.is_none()
    {
        problem(
            "GRADED-RESPONSE-UNATTENDED",
            "unattended",
            format!(
                "this incident was graded {} and no unit attended: a supervisor must approve closing it without attendance, with the reason",
                incident.grade().map_or("", |g| g.as_str())
            ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::{Subject, VulnerabilityFlag};
    use crate::incident::tests::{open_as, run};
    use crate::incident::{IncidentCommand, RwdOutcome, decide};
    use crate::reference::shipped_files;
    use crate::reference::tests::shipped;
    use uuid::Uuid;

    fn reference() -> ReferenceData {
        ReferenceData::load(&shipped()).unwrap()
    }

    fn code(raw: &str) -> Code {
        Code::parse("code", raw).unwrap()
    }

    /// An incident of `incident_type`, graded `grade`, after `extra` commands; an emergency or
    /// priority is attended, as it usually is.
    fn incident(incident_type: &str, grade: &str, extra: Vec<IncidentCommand>) -> Incident {
        let mut after = Vec::new();
        if matches!(grade, "emergency" | "priority") {
            after = vec![
                IncidentCommand::RecordDispatch { note: None },
                IncidentCommand::RecordArrival,
            ];
        }
        incident_then(incident_type, grade, extra, after)
    }

    fn incident_then(
        incident_type: &str,
        grade: &str,
        extra: Vec<IncidentCommand>,
        after: Vec<IncidentCommand>,
    ) -> Incident {
        let mut commands = vec![open_as(Some(incident_type))];
        commands.extend(extra);
        commands.push(IncidentCommand::grade(grade, "r").unwrap());
        commands.extend(after);
        run(commands).unwrap()
    }

    fn rules(
        incident: &Incident,
        closing_code: &str,
        qualifiers: &[&str],
        details: ClosureDetails,
    ) -> Vec<&'static str> {
        let quals: Vec<Code> = qualifiers.iter().map(|q| code(q)).collect();
        check(
            incident,
            CloseRequest {
                closing_code: &code(closing_code),
                qualifiers: &quals,
                details: &details,
            },
            &reference(),
        )
        .into_iter()
        .map(|p| p.rule)
        .collect()
    }

    /// The rules broken by closing `incident` under `closing_code`, no qualifiers, no details.
    fn broken(incident: &Incident, closing_code: &str) -> Vec<&'static str> {
        rules(incident, closing_code, &[], ClosureDetails::default())
    }

    // Graded response: an emergency or priority grade promised a unit. Closing one no unit
    // attended needs a supervisor's approval with the reason (force policy).
    #[test]
    fn an_unattended_emergency_or_priority_needs_a_supervisors_approval_to_close() {
        for grade in ["emergency", "priority"] {
            let unattended = incident_then("CONCERN_FOR_SAFETY", grade, vec![], vec![]);
            assert_eq!(
                broken(&unattended, "PSW_RESOLVED"),
                ["GRADED-RESPONSE-UNATTENDED"]
            );
            let dispatched_only = incident_then(
                "CONCERN_FOR_SAFETY",
                grade,
                vec![],
                vec![IncidentCommand::RecordDispatch { note: None }],
            );
            assert_eq!(
                broken(&dispatched_only, "PSW_RESOLVED"),
                ["GRADED-RESPONSE-UNATTENDED"],
                "sent but never arrived is not attended"
            );
            let approved = incident_then(
                "CONCERN_FOR_SAFETY",
                grade,
                vec![],
                vec![
                    IncidentCommand::approve_unattended_closure(
                        "caller rang back: the person is home safe",
                    )
                    .unwrap(),
                ],
            );
            assert!(broken(&approved, "PSW_RESOLVED").is_empty());
        }
        let scheduled = incident_then("CONCERN_FOR_SAFETY", "scheduled", vec![], vec![]);
        assert!(broken(&scheduled, "PSW_RESOLVED").is_empty());
        let attended = incident("CONCERN_FOR_SAFETY", "priority", vec![]);
        let err = decide(
            Some(&attended),
            IncidentCommand::approve_unattended_closure("no need").unwrap(),
        )
        .unwrap_err();
        assert_eq!(err.code, "approval_not_needed");
    }

    // Which grades promise attendance is force data (attend_before_closing in
    // force-settings.psv): a force that also promises a unit for scheduled gets the guard there.
    #[test]
    fn the_grades_that_need_attendance_come_from_the_force_settings() {
        let scheduled = incident_then("CONCERN_FOR_SAFETY", "scheduled", vec![], vec![]);
        let shipped = reference();
        assert_eq!(
            shipped.policy.attend_before_closing,
            [Grade::Emergency, Grade::Priority]
        );
        assert!(!scheduled.needs_attendance_before_closing(&shipped.policy.attend_before_closing));
        let mut files = shipped_files();
        files.push(crate::reference::SourceFile {
            name: "force/force-settings.psv",
            text: "setting|value|meaning\nattend_before_closing|emergency,priority,scheduled|ours\n",
        });
        let force = ReferenceData::load(&files).unwrap();
        assert!(scheduled.needs_attendance_before_closing(&force.policy.attend_before_closing));
        let request = CloseRequest {
            closing_code: &code("PSW_RESOLVED"),
            qualifiers: &[],
            details: &ClosureDetails::default(),
        };
        let broken: Vec<&str> = check(&scheduled, request, &force)
            .into_iter()
            .map(|p| p.rule)
            .collect();
        assert_eq!(broken, ["GRADED-RESPONSE-UNATTENDED"]);
    }

    // NSIR 2011: closing codes come from the national list.
    #[test]
    fn unknown_closing_codes_and_qualifiers_are_refused() {
        let i = incident("CONCERN_FOR_SAFETY", "priority", vec![]);
        assert_eq!(broken(&i, "ALL_GOOD"), ["NSIR-CODE"]);
        assert_eq!(
            rules(&i, "PSW_RESOLVED", &["BANANA"], ClosureDetails::default()),
            ["NSIR-QUALIFIER"]
        );
        assert!(broken(&i, "PSW_RESOLVED").is_empty());
    }

    // NSIR 2011: an incident closes under the category of its final incident type.
    #[test]
    fn the_closing_code_must_match_the_final_category() {
        let i = incident("CONCERN_FOR_SAFETY", "priority", vec![]);
        assert_eq!(broken(&i, "TRANSPORT_RESOLVED"), ["NSIR-CATEGORY"]);
        let changed = ClosureDetails {
            final_incident_type: Some(code("RTC_DAMAGE_ONLY")),
            ..Default::default()
        };
        assert!(
            rules(&i, "TRANSPORT_RESOLVED", &[], changed).is_empty(),
            "changing the final type puts it right"
        );
        let unknown = ClosureDetails {
            final_incident_type: Some(code("UFO")),
            ..Default::default()
        };
        assert_eq!(rules(&i, "PSW_RESOLVED", &[], unknown), ["NSIR-TYPE"]);
    }

    // HOCR General Rules, NCRS: a crime is recorded, or the reason it is not is recorded.
    #[test]
    fn a_crime_closing_code_needs_a_crime_record_or_a_rationale() {
        let i = incident("CRIME_THEFT", "scheduled", vec![]);
        assert_eq!(broken(&i, "CRIME_RECORDED"), ["NCRS-DECISION"]);
        let recorded = ClosureDetails {
            crime_reference: Some("CR-2026-000001".into()),
            ..Default::default()
        };
        assert_eq!(
            rules(&i, "CRIME_RECORDED", &[], recorded.clone()),
            ["NCRS-CRIME-REFERENCE"],
            "a number that is not this incident's crime"
        );
        let linked = incident(
            "CRIME_THEFT",
            "scheduled",
            vec![IncidentCommand::LinkCrime {
                crime_id: Uuid::nil(),
                reference: "CR-2026-000001".into(),
                classification: code("49C"),
            }],
        );
        assert!(rules(&linked, "CRIME_RECORDED", &[], recorded.clone()).is_empty());
        let other_force = ClosureDetails {
            crime_reference: Some("WYP/13/99/2026".into()),
            ..Default::default()
        };
        assert!(rules(&i, "CRIME_TRANSFERRED", &[], other_force).is_empty());
        let not = ClosureDetails {
            non_crime_rationale: Some("credible evidence the property was lost".into()),
            ..Default::default()
        };
        assert!(rules(&i, "CRIME_NOT_RECORDED", &[], not).is_empty());
    }

    // NSIR 2011: the domestic abuse and hate qualifiers apply wherever those were identified.
    #[test]
    fn domestic_abuse_and_hate_must_be_qualified() {
        let cases = [
            (
                "DOMESTIC_INCIDENT",
                VulnerabilityFlag::DomesticAbuse,
                "PSW_RESOLVED",
                "NSIR-DOMESTIC-ABUSE",
                "DOMESTIC_ABUSE",
            ),
            (
                "ASB_PERSONAL",
                VulnerabilityFlag::HateCrime,
                "ASB_PERSONAL_RESOLVED",
                "NSIR-HATE",
                "HATE_RACE",
            ),
        ];
        for (incident_type, flag, closing_code, rule, qualifier) in cases {
            let flagged = IncidentCommand::RecordVulnerability {
                subject: Subject::Victim,
                flags: vec![flag],
                note: None,
            };
            let i = incident(incident_type, "priority", vec![flagged]);
            assert_eq!(broken(&i, closing_code), [rule]);
            let qualified = rules(&i, closing_code, &[qualifier], ClosureDetails::default());
            assert!(qualified.is_empty(), "{incident_type} with {qualifier}");
        }
    }

    #[test]
    fn a_code_that_needs_a_qualifier_gets_one() {
        let i = incident("DOMESTIC_INCIDENT", "scheduled", vec![]);
        assert_eq!(
            broken(&i, "PSW_DOMESTIC_NO_CRIME"),
            ["NSIR-QUALIFIER-NEEDED"]
        );
    }

    // APP contact management: signposting and resolution without deployment are recorded.
    #[test]
    fn signposting_and_resolution_without_deployment_are_recorded() {
        let i = incident("ANIMALS", "signposted", vec![]);
        assert_eq!(broken(&i, "PSW_RESOLVED"), ["SIGNPOST-RECORDED"]);
        let signposted = incident(
            "ANIMALS",
            "signposted",
            vec![IncidentCommand::Signpost {
                agency: code("DOG_WARDEN"),
                advice: "council dog warden number".into(),
            }],
        );
        assert!(broken(&signposted, "PSW_REFERRED").is_empty());
        let i = incident(
            "LOST_FOUND_PROPERTY",
            "resolution_without_deployment",
            vec![],
        );
        assert_eq!(broken(&i, "PSW_RESOLVED"), ["RWD-OUTCOME"]);
        let resolved = ClosureDetails {
            outcome: Some(RwdOutcome::OnlineReport),
            ..Default::default()
        };
        assert!(rules(&i, "PSW_RESOLVED", &[], resolved).is_empty());
    }
}
