//! Grade recommendation: from THRIVE, vulnerability, the incident type, qualifiers and DASH,
//! the grade the force's policy asks for, with the reasons in words. The handler may choose
//! another grade, but going below the recommendation is an override that needs a reason.
//!
//! Sources: College of Policing APP, contact management (THRIVE informs the graded response);
//! the force's minimum-grade rules come from `reference/grading-policy.psv`.

use crate::assessment::{DashRisk, Level, ThriveAssessment, VulnerabilityFlag};
use crate::incident::Grade;
use crate::reference::{GradingPolicy, Trigger};
use crate::text::{Invalid, required_text};

/// How strong a response a grade is: emergency highest, signposted lowest.
pub fn rank(grade: Grade) -> u8 {
    match grade {
        Grade::Emergency => 4,
        Grade::Priority => 3,
        Grade::Scheduled => 2,
        Grade::ResolutionWithoutDeployment => 1,
        Grade::Signposted => 0,
    }
}

/// What is known when grading.
#[derive(Debug, Clone, Default)]
pub struct GradingFacts<'a> {
    pub thrive: Option<&'a ThriveAssessment>,
    pub flags: Vec<VulnerabilityFlag>,
    pub incident_type: Option<&'a str>,
    pub qualifiers: Vec<&'a str>,
    pub dash_risk: Option<DashRisk>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    pub grade: Grade,
    /// Why, strongest first: every reason that asks for this grade.
    pub reasons: Vec<String>,
}

impl Recommendation {
    /// "emergency because: immediate threat to life; a child is at risk"
    pub fn explain(&self) -> String {
        format!(
            "{} because: {}",
            self.grade.as_str().replace('_', " "),
            self.reasons.join("; ")
        )
    }
}

/// The grade THRIVE alone suggests, with its reason.
fn from_thrive(thrive: &ThriveAssessment) -> (Grade, String) {
    let (threat, harm, risk) = (thrive.threat.level, thrive.harm.level, thrive.risk.level);
    let vulnerable = thrive.vulnerability.level;
    if threat == Level::High && (harm == Level::High || risk == Level::High) {
        return (
            Grade::Emergency,
            format!(
                "immediate threat of serious harm ({})",
                thrive.threat.reason
            ),
        );
    }
    if let Some((name, factor)) = [
        ("threat", &thrive.threat),
        ("harm", &thrive.harm),
        ("risk", &thrive.risk),
        ("vulnerability", &thrive.vulnerability),
    ]
    .into_iter()
    .find(|(_, f)| f.level == Level::High)
    {
        return (Grade::Priority, format!("high {name} ({})", factor.reason));
    }
    if [threat, harm, risk].contains(&Level::Medium) && vulnerable >= Level::Medium {
        return (
            Grade::Priority,
            format!(
                "medium risk to a vulnerable person ({})",
                thrive.vulnerability.reason
            ),
        );
    }
    if [
        threat,
        harm,
        risk,
        thrive.investigation.level,
        thrive.engagement.level,
    ]
    .contains(&Level::Medium)
        || thrive.investigation.level == Level::High
        || thrive.engagement.level == Level::High
    {
        return (
            Grade::Scheduled,
            "an officer is needed to investigate or engage, but not urgently".to_owned(),
        );
    }
    (
        Grade::ResolutionWithoutDeployment,
        "low threat, harm and risk: can be resolved without deployment".to_owned(),
    )
}

pub fn recommend(facts: &GradingFacts<'_>, policy: &GradingPolicy) -> Recommendation {
    let mut found: Vec<(Grade, String)> = Vec::new();
    match facts.thrive {
        Some(thrive) => found.push(from_thrive(thrive)),
        None => found.push((
            Grade::ResolutionWithoutDeployment,
            "no THRIVE assessment recorded yet".to_owned(),
        )),
    }
    let mut signpost = None;
    for rule in &policy.rules {
        let applies = match &rule.when {
            Trigger::Signpost(code) => {
                if facts.incident_type == Some(code.as_str()) {
                    signpost = Some(rule.reason.clone());
                }
                false
            }
            Trigger::Qualifier(code) => facts.qualifiers.contains(&code.as_str()),
            Trigger::Vulnerability(flag) => facts.flags.contains(flag),
            Trigger::DashRisk(level) => facts.dash_risk == Some(*level),
            Trigger::IncidentType(code) => facts.incident_type == Some(code.as_str()),
        };
        if applies {
            found.push((rule.grade, rule.reason.clone()));
        }
    }
    let mut grade = found
        .iter()
        .map(|(g, _)| *g)
        .max_by_key(|g| rank(*g))
        .unwrap_or(Grade::ResolutionWithoutDeployment);
    if grade == Grade::ResolutionWithoutDeployment
        && let Some(reason) = signpost
    {
        grade = Grade::Signposted;
        found.push((grade, reason));
    }
    let mut reasons: Vec<String> = Vec::new();
    for (g, reason) in found {
        if g == grade && !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    Recommendation { grade, reasons }
}

/// Whether grading `chosen` overrides the recommendation. An override needs its own reason;
/// returns it, checked, to be recorded with the grade.
pub fn check_override(
    chosen: Grade,
    recommended: &Recommendation,
    override_reason: Option<&str>,
) -> Result<Option<String>, Invalid> {
    if rank(chosen) >= rank(recommended.grade) {
        return Ok(None);
    }
    match override_reason {
        Some(reason) if !reason.trim().is_empty() => {
            required_text("override_reason", reason, 2000).map(Some)
        }
        _ => Err(Invalid::new(
            "override_reason",
            format!(
                "you chose {}, below the recommended {}; say why you are overriding it",
                chosen.as_str().replace('_', " "),
                recommended.explain()
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assessment::{Factor, NdmRationale};
    use crate::reference::{GradingPolicy, MinimumGradeRule};
    use crate::text::Code;

    fn thrive(
        threat: Level,
        harm: Level,
        risk: Level,
        investigation: Level,
        vulnerability: Level,
    ) -> ThriveAssessment {
        let f = |level| Factor {
            level,
            reason: format!("{level:?}"),
        };
        ThriveAssessment {
            threat: f(threat),
            harm: f(harm),
            risk: f(risk),
            investigation: f(investigation),
            vulnerability: f(vulnerability),
            engagement: f(Level::Low),
            ndm: NdmRationale {
                information: "i".into(),
                assessment: "a".into(),
                powers_and_policy: "p".into(),
                options: "o".into(),
                action: "x".into(),
            },
        }
    }

    fn policy() -> GradingPolicy {
        GradingPolicy {
            rules: vec![
                MinimumGradeRule {
                    when: Trigger::Qualifier(Code::parse("q", "FIREARMS").unwrap()),
                    grade: Grade::Emergency,
                    reason: "a firearm is involved".into(),
                },
                MinimumGradeRule {
                    when: Trigger::Vulnerability(VulnerabilityFlag::Child),
                    grade: Grade::Priority,
                    reason: "a child is involved".into(),
                },
                MinimumGradeRule {
                    when: Trigger::DashRisk(DashRisk::High),
                    grade: Grade::Emergency,
                    reason: "the DASH risk is high".into(),
                },
            ],
            ..GradingPolicy::default()
        }
    }

    use Level::{High, Low, Medium};

    // APP contact management: an immediate threat to life or of serious harm needs an
    // emergency response.
    #[test]
    fn high_threat_with_high_harm_is_an_emergency() {
        let t = thrive(High, High, Low, Low, Low);
        let r = recommend(
            &GradingFacts {
                thrive: Some(&t),
                ..Default::default()
            },
            &policy(),
        );
        assert_eq!(r.grade, Grade::Emergency);
        assert!(
            r.explain()
                .starts_with("emergency because: immediate threat")
        );
    }

    #[test]
    fn one_high_factor_is_priority() {
        for t in [
            thrive(High, Low, Low, Low, Low),
            thrive(Low, High, Low, Low, Low),
            thrive(Low, Low, High, Low, Low),
            thrive(Low, Low, Low, Low, High),
        ] {
            assert_eq!(
                recommend(
                    &GradingFacts {
                        thrive: Some(&t),
                        ..Default::default()
                    },
                    &policy()
                )
                .grade,
                Grade::Priority
            );
        }
    }

    #[test]
    fn medium_risk_to_a_vulnerable_person_is_priority() {
        let t = thrive(Medium, Low, Low, Low, Medium);
        let r = recommend(
            &GradingFacts {
                thrive: Some(&t),
                ..Default::default()
            },
            &policy(),
        );
        assert_eq!(r.grade, Grade::Priority);
        assert!(r.reasons[0].contains("vulnerable"));
    }

    #[test]
    fn investigation_without_urgency_is_scheduled_and_all_low_needs_no_deployment() {
        let t = thrive(Low, Low, Low, Medium, Low);
        assert_eq!(
            recommend(
                &GradingFacts {
                    thrive: Some(&t),
                    ..Default::default()
                },
                &policy()
            )
            .grade,
            Grade::Scheduled
        );
        let t = thrive(Low, Low, Low, Low, Low);
        assert_eq!(
            recommend(
                &GradingFacts {
                    thrive: Some(&t),
                    ..Default::default()
                },
                &policy()
            )
            .grade,
            Grade::ResolutionWithoutDeployment
        );
    }

    #[test]
    fn policy_rules_force_a_minimum_and_are_explained() {
        let t = thrive(Low, Low, Low, Low, Low);
        let facts = GradingFacts {
            thrive: Some(&t),
            qualifiers: vec!["FIREARMS"],
            flags: vec![VulnerabilityFlag::Child],
            ..Default::default()
        };
        let r = recommend(&facts, &policy());
        assert_eq!(r.grade, Grade::Emergency);
        assert_eq!(r.reasons, ["a firearm is involved"]);
        let facts = GradingFacts {
            thrive: Some(&t),
            dash_risk: Some(DashRisk::High),
            ..Default::default()
        };
        assert_eq!(
            recommend(&facts, &policy()).explain(),
            "emergency because: the DASH risk is high"
        );
    }

    #[test]
    fn reasons_that_agree_are_all_given() {
        let t = thrive(High, High, High, Low, Low);
        let facts = GradingFacts {
            thrive: Some(&t),
            qualifiers: vec!["FIREARMS"],
            ..Default::default()
        };
        let r = recommend(&facts, &policy());
        assert_eq!(r.reasons.len(), 2, "{:?}", r.reasons);
    }

    #[test]
    fn going_below_the_recommendation_needs_a_reason() {
        let r = Recommendation {
            grade: Grade::Emergency,
            reasons: vec!["a firearm is involved".into()],
        };
        let err = check_override(Grade::Priority, &r, None).unwrap_err();
        assert_eq!(err.field, "override_reason");
        assert!(
            err.message
                .contains("recommended emergency because: a firearm is involved")
        );
        assert_eq!(
            check_override(Grade::Priority, &r, Some("armed unit already at scene"))
                .unwrap()
                .as_deref(),
            Some("armed unit already at scene")
        );
        assert_eq!(check_override(Grade::Emergency, &r, None).unwrap(), None);
        let low = Recommendation {
            grade: Grade::Scheduled,
            reasons: vec![],
        };
        assert_eq!(
            check_override(Grade::Emergency, &low, None).unwrap(),
            None,
            "going higher is never an override"
        );
    }
}
