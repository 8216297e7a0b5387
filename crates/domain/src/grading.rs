//! Grade recommendation: from the facts a handler establishes (the question set for the
//! incident type, qualifiers), THRIVE, vulnerability, DASH and repeats, the grade the force's
//! policy asks for, with the reasons in words. The handler may choose
//! another grade, but going below the recommendation is an override that needs a reason.
//!
//! Sources: College of Policing APP, contact management (THRIVE informs the graded response);
//! the force's minimum-grade rules come from `reference/grading-policy.psv`.

use crate::assessment::{Answer, DashRisk, Level, ThriveAssessment, VulnerabilityFlag};
use crate::incident::{Grade, Incident};
use crate::reference::{
    GradingPolicy, ReferenceData, RepeatKind, RuleEffect, SignpostRule, Trigger,
};
use crate::text::{Code, Invalid, required_text};
use serde::{Deserialize, Serialize};

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

/// Incidents found by the intelligence check in the last 12 months.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatCounts {
    pub victim: u32,
    pub caller: u32,
    pub location: u32,
}

/// What is known when grading.
#[derive(Debug, Clone, Default)]
pub struct GradingFacts<'a> {
    pub thrive: Option<&'a ThriveAssessment>,
    pub flags: Vec<VulnerabilityFlag>,
    pub incident_type: Option<&'a str>,
    /// Qualifiers chosen, and the facts answered "yes" in the question set.
    pub qualifiers: Vec<&'a str>,
    pub dash_risk: Option<DashRisk>,
    /// The questions for the incident type not answered yet, as asked.
    pub unanswered: Vec<&'a str>,
    /// The repeat counts from the last intelligence check, if one was run.
    pub repeats: Option<RepeatCounts>,
}

impl<'a> GradingFacts<'a> {
    /// The facts recorded on an incident: its assessments, its qualifiers and the facts its
    /// question set established, and which questions are still to be asked.
    pub fn of(incident: &'a Incident, reference: &'a ReferenceData) -> Self {
        let incident_type = incident.incident_type.as_ref().map(Code::as_str);
        let mut qualifiers: Vec<&str> = incident.qualifiers.iter().map(Code::as_str).collect();
        for (fact, answer) in &incident.answers {
            if *answer == Answer::Yes && !qualifiers.contains(&fact.as_str()) {
                qualifiers.push(fact.as_str());
            }
        }
        let unanswered = reference
            .questions_for(incident_type)
            .into_iter()
            .filter(|q| !incident.answers.contains_key(&q.fact))
            .map(|q| q.question.as_str())
            .collect();
        GradingFacts {
            thrive: incident.current_thrive(),
            flags: incident.flags(),
            incident_type,
            qualifiers,
            dash_risk: incident.current_dash().map(|d| d.risk),
            unanswered,
            repeats: incident.repeats,
        }
    }

    /// Assessed: THRIVE is recorded, or the incident type is known and every question for it
    /// has an answer. Until then nothing below what the facts already ask for is recommended.
    fn assessed(&self) -> bool {
        self.thrive.is_some() || (self.incident_type.is_some() && self.unanswered.is_empty())
    }

    /// What is still to be established, in words, when not assessed.
    fn missing(&self) -> Vec<String> {
        if self.assessed() {
            return Vec::new();
        }
        let mut missing = Vec::new();
        if self.incident_type.is_none() {
            missing.push("the incident type (it decides the questions to ask)".to_owned());
        }
        missing.extend(self.unanswered.iter().map(|q| format!("ask: {q}")));
        missing.push("or record a THRIVE assessment".to_owned());
        missing
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recommendation {
    /// `None` until the incident is assessed and no fact yet asks for a response.
    pub grade: Option<Grade>,
    /// Why, strongest first: every reason that asks for this grade.
    pub reasons: Vec<String>,
    /// What is still to be established before the recommendation can go below what the
    /// facts already ask for. Empty once assessed.
    pub missing: Vec<String>,
    /// The agency a signposting rule names, when the grade is signposted by policy.
    pub signpost_to: Option<Code>,
}

impl Recommendation {
    /// "emergency because: immediate threat to life; a child is at risk", or
    /// "not yet assessed: still to do: ..."
    pub fn explain(&self) -> String {
        let still = if self.missing.is_empty() {
            String::new()
        } else {
            format!("still to do: {}", self.missing.join("; "))
        };
        match self.grade {
            None => format!("not yet assessed: {still}"),
            Some(grade) => {
                let mut text = format!(
                    "{} because: {}",
                    grade.as_str().replace('_', " "),
                    self.reasons.join("; ")
                );
                if !still.is_empty() {
                    text.push_str(&format!(" (at least; {still})"));
                }
                text
            }
        }
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

/// One step up, never to emergency: emergency needs a fact of its own (ACPO definitions).
fn raised(grade: Grade) -> Grade {
    match grade {
        Grade::Signposted | Grade::ResolutionWithoutDeployment => Grade::Scheduled,
        Grade::Scheduled | Grade::Priority => Grade::Priority,
        Grade::Emergency => Grade::Emergency,
    }
}

fn applies(when: &Trigger, facts: &GradingFacts<'_>) -> bool {
    match when {
        Trigger::Qualifier(code) => facts.qualifiers.contains(&code.as_str()),
        Trigger::Vulnerability(flag) => facts.flags.contains(flag),
        Trigger::DashRisk(level) => facts.dash_risk == Some(*level),
        Trigger::IncidentType(code) => facts.incident_type == Some(code.as_str()),
        Trigger::Repeat(kind, at_least) => facts.repeats.is_some_and(|r| {
            let count = match kind {
                RepeatKind::Victim => r.victim,
                RepeatKind::Caller => r.caller,
                RepeatKind::Location => r.location,
            };
            count >= *at_least
        }),
    }
}

/// The signposting rule for the incident type, if none of its "unless" facts is recorded.
fn signposting<'p>(
    facts: &GradingFacts<'_>,
    policy: &'p GradingPolicy,
) -> Option<&'p SignpostRule> {
    let rule = policy
        .signposting
        .iter()
        .find(|r| Some(r.incident_type.as_str()) == facts.incident_type)?;
    let blocked = rule
        .unless
        .iter()
        .any(|q| facts.qualifiers.contains(&q.as_str()))
        || (rule.unless_vulnerable && !facts.flags.is_empty());
    (!blocked).then_some(rule)
}

/// The grade the force's policy asks for, and why.
///
/// - Before the incident is assessed (THRIVE, or the question set for its type answered), only
///   what the facts already ask for is recommended ("emergency because: a weapon is seen",
///   at least), never a low grade; with no such fact the answer is "not yet assessed".
/// - A signposting rule (`signposting.psv`) applies whatever THRIVE says, unless one of its
///   facts, or any minimum or raise rule, says otherwise.
/// - Otherwise the higher of THRIVE's grade (scheduled when only the questions were answered)
///   and every minimum rule, then one step up for a raise rule (repeats, vulnerability).
pub fn recommend(facts: &GradingFacts<'_>, policy: &GradingPolicy) -> Recommendation {
    let mut minimums: Vec<(Grade, String)> = Vec::new();
    let mut raises: Vec<String> = Vec::new();
    for rule in &policy.rules {
        if applies(&rule.when, facts) {
            match rule.effect {
                RuleEffect::AtLeast(grade) => minimums.push((grade, rule.reason.clone())),
                RuleEffect::Raise => raises.push(rule.reason.clone()),
            }
        }
    }
    let missing = facts.missing();
    // Signposting needs the question set answered, whatever THRIVE says: its "unless" facts
    // come from the answers.
    if facts.incident_type.is_some()
        && facts.unanswered.is_empty()
        && minimums.is_empty()
        && raises.is_empty()
        && let Some(rule) = signposting(facts, policy)
    {
        return Recommendation {
            grade: Some(Grade::Signposted),
            reasons: vec![rule.reason.clone()],
            missing,
            signpost_to: Some(rule.agency.clone()),
        };
    }
    let mut found = minimums;
    if missing.is_empty() {
        found.push(match facts.thrive {
            Some(thrive) => from_thrive(thrive),
            None => (
                Grade::Scheduled,
                "the answers found nothing urgent, but no THRIVE assessment says it can be resolved without an officer".to_owned(),
            ),
        });
    }
    let Some(mut grade) = found.iter().map(|(g, _)| *g).max_by_key(|g| rank(*g)) else {
        return Recommendation {
            grade: None,
            reasons: Vec::new(),
            missing,
            signpost_to: None,
        };
    };
    let mut reasons: Vec<String> = Vec::new();
    for (g, reason) in found {
        if g == grade && !reasons.contains(&reason) {
            reasons.push(reason);
        }
    }
    if !raises.is_empty() && raised(grade) != grade {
        let from = grade.as_str().replace('_', " ");
        grade = raised(grade);
        reasons = raises
            .into_iter()
            .map(|r| format!("{r} (raised from {from})"))
            .collect();
    }
    Recommendation {
        grade: Some(grade),
        reasons,
        missing,
        signpost_to: None,
    }
}

/// Whether the incident may be graded `chosen` yet. With the force's switch on (the default),
/// a grade below emergency waits for THRIVE or the question set; an emergency never waits.
pub fn check_ready_to_grade(
    chosen: Grade,
    recommended: &Recommendation,
    policy: &GradingPolicy,
) -> Result<(), Invalid> {
    if !policy.assessment_before_grading
        || chosen == Grade::Emergency
        || recommended.missing.is_empty()
    {
        return Ok(());
    }
    Err(Invalid::new(
        "grade",
        format!(
            "this incident is not assessed yet, so it cannot be graded {}: {}. (An emergency can be graded at once.)",
            chosen.as_str().replace('_', " "),
            recommended.missing.join("; ")
        ),
    ))
}

/// Whether grading `chosen` overrides the recommendation. An override needs its own reason;
/// returns it, checked, to be recorded with the grade.
pub fn check_override(
    chosen: Grade,
    recommended: &Recommendation,
    override_reason: Option<&str>,
) -> Result<Option<String>, Invalid> {
    let Some(floor) = recommended.grade else {
        return Ok(None);
    };
    if rank(chosen) >= rank(floor) {
        return Ok(None);
    }
    match override_reason {
        Some(reason) if !reason.trim().is_empty() => {
            required_text("override_reason", reason, crate::limits::RATIONALE).map(Some)
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

    /// The recommendation from a THRIVE assessment alone, under the test policy.
    fn on_thrive(t: &ThriveAssessment) -> Recommendation {
        on_thrive_and(t, GradingFacts::default())
    }

    /// The recommendation from a THRIVE assessment and the other `facts`, under the test policy.
    fn on_thrive_and<'a>(t: &'a ThriveAssessment, facts: GradingFacts<'a>) -> Recommendation {
        let facts = GradingFacts {
            thrive: Some(t),
            ..facts
        };
        recommend(&facts, &policy())
    }

    fn policy() -> GradingPolicy {
        GradingPolicy {
            rules: vec![
                MinimumGradeRule {
                    when: Trigger::Qualifier(Code::parse("q", "FIREARMS").unwrap()),
                    effect: RuleEffect::AtLeast(Grade::Emergency),
                    reason: "a firearm is involved".into(),
                },
                MinimumGradeRule {
                    when: Trigger::Vulnerability(VulnerabilityFlag::Child),
                    effect: RuleEffect::AtLeast(Grade::Priority),
                    reason: "a child is involved".into(),
                },
                MinimumGradeRule {
                    when: Trigger::DashRisk(DashRisk::High),
                    effect: RuleEffect::AtLeast(Grade::Emergency),
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
        let r = on_thrive(&t);
        assert_eq!(r.grade, Some(Grade::Emergency));
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
            assert_eq!(on_thrive(&t).grade, Some(Grade::Priority));
        }
    }

    #[test]
    fn medium_risk_to_a_vulnerable_person_is_priority() {
        let t = thrive(Medium, Low, Low, Low, Medium);
        let r = on_thrive(&t);
        assert_eq!(r.grade, Some(Grade::Priority));
        assert!(r.reasons[0].contains("vulnerable"));
    }

    #[test]
    fn investigation_without_urgency_is_scheduled_and_all_low_needs_no_deployment() {
        let t = thrive(Low, Low, Low, Medium, Low);
        assert_eq!(on_thrive(&t).grade, Some(Grade::Scheduled));
        let t = thrive(Low, Low, Low, Low, Low);
        assert_eq!(
            on_thrive(&t).grade,
            Some(Grade::ResolutionWithoutDeployment)
        );
    }

    #[test]
    fn policy_rules_force_a_minimum_and_are_explained() {
        let t = thrive(Low, Low, Low, Low, Low);
        let armed_child = GradingFacts {
            qualifiers: vec!["FIREARMS"],
            flags: vec![VulnerabilityFlag::Child],
            ..Default::default()
        };
        let r = on_thrive_and(&t, armed_child);
        assert_eq!(r.grade, Some(Grade::Emergency));
        assert_eq!(r.reasons, ["a firearm is involved"]);
        let high_dash = GradingFacts {
            dash_risk: Some(DashRisk::High),
            ..Default::default()
        };
        assert_eq!(
            on_thrive_and(&t, high_dash).explain(),
            "emergency because: the DASH risk is high"
        );
    }

    #[test]
    fn reasons_that_agree_are_all_given() {
        let t = thrive(High, High, High, Low, Low);
        let armed = GradingFacts {
            qualifiers: vec!["FIREARMS"],
            ..Default::default()
        };
        let r = on_thrive_and(&t, armed);
        assert_eq!(r.reasons.len(), 2, "{:?}", r.reasons);
    }

    #[test]
    fn going_below_the_recommendation_needs_a_reason() {
        let r = Recommendation {
            grade: Some(Grade::Emergency),
            reasons: vec!["a firearm is involved".into()],
            missing: vec![],
            signpost_to: None,
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
            grade: Some(Grade::Scheduled),
            reasons: vec![],
            missing: vec![],
            signpost_to: None,
        };
        assert_eq!(
            check_override(Grade::Emergency, &low, None).unwrap(),
            None,
            "going higher is never an override"
        );
    }

    fn rule(when: Trigger, effect: RuleEffect, reason: &str) -> MinimumGradeRule {
        MinimumGradeRule {
            when,
            effect,
            reason: reason.into(),
        }
    }

    fn code(raw: &str) -> Code {
        Code::parse("code", raw).unwrap()
    }

    // Safety first: before anything is assessed, nothing low is ever recommended.
    #[test]
    fn nothing_is_recommended_before_an_assessment() {
        let facts = GradingFacts {
            incident_type: Some("CRIME_VIOLENCE"),
            unanswered: vec!["Is anyone's life in danger right now?"],
            ..Default::default()
        };
        let r = recommend(&facts, &policy());
        assert_eq!(r.grade, None);
        assert!(
            r.explain().starts_with("not yet assessed"),
            "{}",
            r.explain()
        );
        assert!(
            r.explain()
                .contains("ask: Is anyone's life in danger right now?")
        );
        assert!(r.explain().contains("THRIVE"));
        // No type yet: the type is what is missing first.
        let r = recommend(&GradingFacts::default(), &policy());
        assert_eq!(r.grade, None);
        assert!(r.missing[0].contains("incident type"));
    }

    // ACPO call handling standards: a fact that makes it an emergency makes it one at once,
    // while details are still being taken.
    #[test]
    fn an_emergency_fact_recommends_emergency_before_the_assessment_is_finished() {
        let facts = GradingFacts {
            incident_type: Some("CRIME_VIOLENCE"),
            qualifiers: vec!["FIREARMS"],
            unanswered: vec!["Is anyone injured?"],
            ..Default::default()
        };
        let r = recommend(&facts, &policy());
        assert_eq!(r.grade, Some(Grade::Emergency));
        assert!(!r.missing.is_empty());
        assert!(
            r.explain().contains("(at least; still to do"),
            "{}",
            r.explain()
        );
    }

    #[test]
    fn answered_questions_alone_never_recommend_less_than_scheduled() {
        let facts = GradingFacts {
            incident_type: Some("CRIME_VIOLENCE"),
            ..Default::default()
        };
        let r = recommend(&facts, &policy());
        assert_eq!(r.grade, Some(Grade::Scheduled));
        assert!(r.missing.is_empty());
    }

    fn signposting_policy() -> GradingPolicy {
        let mut p = policy();
        p.rules.push(rule(
            Trigger::Qualifier(code("THREAT_TO_LIFE")),
            RuleEffect::AtLeast(Grade::Emergency),
            "there is a threat to life",
        ));
        let signposts = [
            // (incident type, agency, unless, unless vulnerable, reason)
            (
                "MENTAL_HEALTH_CONCERN",
                "MH_CRISIS",
                "THREAT_TO_LIFE",
                false,
                "Right Care, Right Person",
            ),
            (
                "CRIME_FRAUD",
                "ACTION_FRAUD",
                "IN_PROGRESS",
                true,
                "Action Fraud",
            ),
        ];
        for (incident_type, agency, unless, unless_vulnerable, reason) in signposts {
            p.signposting.push(SignpostRule {
                incident_type: code(incident_type),
                agency: code(agency),
                unless: vec![code(unless)],
                unless_vulnerable,
                reason: reason.into(),
            });
        }
        p
    }

    // Right Care, Right Person (2023): signposted whatever harm level is typed, unless there
    // is a real and immediate risk to life.
    #[test]
    fn signposting_ignores_the_thrive_levels_but_not_the_facts() {
        let t = thrive(Medium, High, Medium, Low, Medium);
        let facts = GradingFacts {
            thrive: Some(&t),
            incident_type: Some("MENTAL_HEALTH_CONCERN"),
            ..Default::default()
        };
        let r = recommend(&facts, &signposting_policy());
        assert_eq!(r.grade, Some(Grade::Signposted));
        assert_eq!(r.signpost_to.as_ref().map(Code::as_str), Some("MH_CRISIS"));
        assert_eq!(r.reasons, ["Right Care, Right Person"]);
        let facts = GradingFacts {
            qualifiers: vec!["THREAT_TO_LIFE"],
            ..facts
        };
        let r = recommend(&facts, &signposting_policy());
        assert_eq!(r.grade, Some(Grade::Emergency));
        assert_eq!(r.signpost_to, None);
    }

    #[test]
    fn a_vulnerable_fraud_victim_or_a_fraud_in_progress_is_not_signposted() {
        let answered = GradingFacts {
            incident_type: Some("CRIME_FRAUD"),
            ..Default::default()
        };
        assert_eq!(
            recommend(&answered, &signposting_policy()).grade,
            Some(Grade::Signposted)
        );
        let vulnerable = GradingFacts {
            flags: vec![VulnerabilityFlag::OlderPerson],
            ..answered.clone()
        };
        assert_eq!(
            recommend(&vulnerable, &signposting_policy()).grade,
            Some(Grade::Scheduled)
        );
        let in_progress = GradingFacts {
            qualifiers: vec!["IN_PROGRESS"],
            ..answered
        };
        assert_ne!(
            recommend(&in_progress, &signposting_policy()).grade,
            Some(Grade::Signposted)
        );
    }

    #[test]
    fn repeats_and_vulnerability_raise_one_step_but_never_to_emergency() {
        let mut p = policy();
        p.rules.push(rule(
            Trigger::Repeat(RepeatKind::Victim, 3),
            RuleEffect::Raise,
            "a repeat victim",
        ));
        let t = thrive(Low, Low, Low, Low, Low);
        let mut facts = GradingFacts {
            thrive: Some(&t),
            incident_type: Some("CRIME_THEFT"),
            repeats: Some(RepeatCounts {
                victim: 2,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(
            recommend(&facts, &p).grade,
            Some(Grade::ResolutionWithoutDeployment)
        );
        facts.repeats = Some(RepeatCounts {
            victim: 3,
            ..Default::default()
        });
        let r = recommend(&facts, &p);
        assert_eq!(r.grade, Some(Grade::Scheduled));
        assert_eq!(
            r.reasons,
            ["a repeat victim (raised from resolution without deployment)"]
        );
        let high = thrive(High, Low, Low, Low, Low);
        facts.thrive = Some(&high);
        assert_eq!(recommend(&facts, &p).grade, Some(Grade::Priority));
        let worst = thrive(High, High, Low, Low, Low);
        facts.thrive = Some(&worst);
        assert_eq!(recommend(&facts, &p).grade, Some(Grade::Emergency));
    }

    #[test]
    fn grading_below_emergency_waits_for_the_assessment_when_the_force_says_so() {
        let mut p = policy();
        p.assessment_before_grading = true;
        let waiting = recommend(
            &GradingFacts {
                incident_type: Some("CRIME_THEFT"),
                unanswered: vec!["Is anyone injured?"],
                ..Default::default()
            },
            &p,
        );
        let err = check_ready_to_grade(Grade::Scheduled, &waiting, &p).unwrap_err();
        assert_eq!(err.field, "grade");
        assert!(
            err.message.contains("ask: Is anyone injured?"),
            "{}",
            err.message
        );
        assert!(check_ready_to_grade(Grade::Emergency, &waiting, &p).is_ok());
        p.assessment_before_grading = false;
        assert!(check_ready_to_grade(Grade::Scheduled, &waiting, &p).is_ok());
        // No recommendation yet: choosing a grade is not an override of anything.
        assert_eq!(
            check_override(Grade::Scheduled, &waiting, None).unwrap(),
            None
        );
    }
}
