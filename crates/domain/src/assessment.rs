//! Assessment at first contact: THRIVE with its National Decision Model rationale,
//! vulnerability flags, and the DASH risk checklist.
//!
//! Sources: College of Policing, Authorised Professional Practice on contact management
//! (THRIVE: Threat, Harm, Risk, Investigation, Vulnerability, Engagement) and on the National
//! Decision Model; SafeLives/ACPO DASH (2009) risk identification checklist and its quick-start
//! guidance for the scoring in [`DashAnswers::assess`].

use crate::text::{Invalid, required_text};
use serde::{Deserialize, Serialize};

/// A THRIVE judgement for one factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Level {
    Low,
    Medium,
    High,
}

impl Level {
    pub fn parse(field: &str, raw: &str) -> Result<Self, Invalid> {
        crate::text::parse_word(field, raw, "a level; use low, medium or high")
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub level: Level,
    pub reason: String,
}

/// The National Decision Model, as the rationale for the assessment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NdmRationale {
    /// Information and intelligence: what is known.
    pub information: String,
    /// Assessment of threat and risk, and the working strategy.
    pub assessment: String,
    /// Powers and policy that apply.
    pub powers_and_policy: String,
    /// Options and contingencies considered.
    pub options: String,
    /// The action taken, and when it will be reviewed.
    pub action: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThriveAssessment {
    pub threat: Factor,
    pub harm: Factor,
    pub risk: Factor,
    pub investigation: Factor,
    pub vulnerability: Factor,
    pub engagement: Factor,
    pub ndm: NdmRationale,
}

/// A THRIVE assessment as typed, before it is checked.
#[derive(Debug, Clone, Default)]
pub struct ThriveDraft {
    /// `(level, reason)` for threat, harm, risk, investigation, vulnerability, engagement.
    pub factors: [(String, String); 6],
    pub information: String,
    pub assessment: String,
    pub powers_and_policy: String,
    pub options: String,
    pub action: String,
}

pub const THRIVE_FACTORS: [&str; 6] = [
    "threat",
    "harm",
    "risk",
    "investigation",
    "vulnerability",
    "engagement",
];

impl ThriveDraft {
    /// Every factor needs a level and a reason; every NDM step needs words.
    pub fn parse(self) -> Result<ThriveAssessment, Invalid> {
        let mut parsed = Vec::with_capacity(6);
        for (name, (level, reason)) in THRIVE_FACTORS.iter().zip(self.factors.iter()) {
            parsed.push(Factor {
                level: Level::parse(&format!("{name}.level"), level)?,
                reason: required_text(&format!("{name}.reason"), reason, crate::limits::REASON)?,
            });
        }
        let mut factors = parsed.into_iter();
        let mut next = || {
            factors
                .next()
                .ok_or_else(|| Invalid::new("thrive", "six factors are needed"))
        };
        Ok(ThriveAssessment {
            threat: next()?,
            harm: next()?,
            risk: next()?,
            investigation: next()?,
            vulnerability: next()?,
            engagement: next()?,
            ndm: NdmRationale {
                information: required_text(
                    "ndm.information",
                    &self.information,
                    crate::limits::RATIONALE,
                )?,
                assessment: required_text(
                    "ndm.assessment",
                    &self.assessment,
                    crate::limits::RATIONALE,
                )?,
                powers_and_policy: required_text(
                    "ndm.powers_and_policy",
                    &self.powers_and_policy,
                    crate::limits::RATIONALE,
                )?,
                options: required_text("ndm.options", &self.options, crate::limits::RATIONALE)?,
                action: required_text("ndm.action", &self.action, crate::limits::RATIONALE)?,
            },
        })
    }
}

/// Why someone is vulnerable (the College of Policing's definition: unable to take care of or
/// protect themselves or others from harm or exploitation because of their situation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum VulnerabilityFlag {
    Child,
    OlderPerson,
    Disability,
    MentalHealth,
    DomesticAbuse,
    RepeatVictim,
    HateCrime,
    Exploitation,
    AloneIsolated,
}

impl VulnerabilityFlag {
    pub const ALL: [VulnerabilityFlag; 9] = [
        Self::Child,
        Self::OlderPerson,
        Self::Disability,
        Self::MentalHealth,
        Self::DomesticAbuse,
        Self::RepeatVictim,
        Self::HateCrime,
        Self::Exploitation,
        Self::AloneIsolated,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|f| f.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new(
                "flags",
                format!(
                    "'{raw}' is not a vulnerability flag; use child, older_person, disability, mental_health, domestic_abuse, repeat_victim, hate_crime, exploitation or alone_isolated"
                ),
            )
        })
    }

    /// Words for the handler ("a child").
    pub fn describe(self) -> &'static str {
        match self {
            Self::Child => "a child is involved",
            Self::OlderPerson => "an older person",
            Self::Disability => "a disabled person",
            Self::MentalHealth => "a mental health need",
            Self::DomesticAbuse => "domestic abuse",
            Self::RepeatVictim => "a repeat victim",
            Self::HateCrime => "a hate crime victim",
            Self::Exploitation => "exploitation is suspected",
            Self::AloneIsolated => "someone alone or isolated",
        }
    }
}

/// Whom the flags are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Subject {
    Caller,
    Victim,
    Other,
}

impl Subject {
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        crate::text::parse_word("subject", raw, "a subject; use caller, victim or other")
    }
}

/// Facts a handler learns that suggest vulnerability flags (they confirm or add to them).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulnerabilityFacts {
    pub age: Option<u8>,
    #[serde(default)]
    pub lives_alone: bool,
    #[serde(default)]
    pub disability: bool,
    #[serde(default)]
    pub mental_health: bool,
    /// Incidents with this person as victim in the last 12 months.
    #[serde(default)]
    pub previous_incidents_12_months: u32,
}

/// Age at which a person counts as older (the age band used in adult safeguarding guidance).
pub const OLDER_PERSON_AGE: u8 = 65;

/// Flags suggested by the facts and the incident's qualifiers, sorted and without duplicates.
/// `repeat_victim_incidents` is the force's repeat-victim threshold (`force-settings.psv`).
pub fn suggest_flags(
    facts: &VulnerabilityFacts,
    qualifiers: &[&str],
    repeat_victim_incidents: u32,
) -> Vec<VulnerabilityFlag> {
    let mut flags = Vec::new();
    if let Some(age) = facts.age {
        if age < 18 {
            flags.push(VulnerabilityFlag::Child);
        }
        if age >= OLDER_PERSON_AGE {
            flags.push(VulnerabilityFlag::OlderPerson);
        }
    }
    if facts.lives_alone {
        flags.push(VulnerabilityFlag::AloneIsolated);
    }
    if facts.disability {
        flags.push(VulnerabilityFlag::Disability);
    }
    if facts.mental_health {
        flags.push(VulnerabilityFlag::MentalHealth);
    }
    if facts.previous_incidents_12_months >= repeat_victim_incidents {
        flags.push(VulnerabilityFlag::RepeatVictim);
    }
    for q in qualifiers {
        match *q {
            "DOMESTIC_ABUSE" => flags.push(VulnerabilityFlag::DomesticAbuse),
            "CHILD_AT_RISK" => flags.push(VulnerabilityFlag::Child),
            "EXPLOITATION" => flags.push(VulnerabilityFlag::Exploitation),
            "MENTAL_HEALTH" => flags.push(VulnerabilityFlag::MentalHealth),
            q if q.starts_with("HATE_") => flags.push(VulnerabilityFlag::HateCrime),
            _ => {}
        }
    }
    flags.sort();
    flags.dedup();
    flags
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum DashRisk {
    Standard,
    Medium,
    High,
}

impl DashRisk {
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    NotKnown,
}

impl Answer {
    /// `yes`, `no` or `not_known`; `not_asked` (or nothing) is `None`: the question is still
    /// to be asked. A handler chooses every answer; none is assumed.
    pub fn parse(field: &str, raw: &str) -> Result<Option<Self>, Invalid> {
        match raw.trim() {
            "yes" => Ok(Some(Self::Yes)),
            "no" => Ok(Some(Self::No)),
            "not_known" => Ok(Some(Self::NotKnown)),
            "not_asked" | "" => Ok(None),
            other => Err(Invalid::new(
                field,
                format!("'{other}' is not an answer; use yes, no, not_known or not_asked"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The DASH answers as given, every one chosen: a question left "not asked" refuses the
/// checklist and names the questions left (SafeLives: ask every question).
pub fn every_dash_question_asked(answers: &[Option<Answer>]) -> Result<Vec<Answer>, Invalid> {
    let left: Vec<String> = answers
        .iter()
        .enumerate()
        .filter(|(_, a)| a.is_none())
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    if !left.is_empty() && left.len() == answers.len() {
        return Err(Invalid::new(
            "answers",
            format!(
                "none of the {} DASH questions is answered yet: choose yes, no or not known for each before saving",
                answers.len()
            ),
        ));
    }
    if !left.is_empty() {
        return Err(Invalid::new(
            "answers",
            format!(
                "{} of the DASH questions are not asked yet (question {}): choose yes, no or not known for each before saving",
                left.len(),
                left.join(", ")
            ),
        ));
    }
    Ok(answers.iter().flatten().copied().collect())
}

/// Where an urban or rural attendance target applies.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Area {
    #[default]
    Urban,
    Rural,
}

impl Area {
    pub fn parse(raw: &str) -> Option<Self> {
        raw.trim().parse().ok()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// How a DASH checklist is scored and which referrals it makes: force data, read from
/// `reference/force-settings.psv` (the `dash_*` settings), never fixed in code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DashPolicy {
    /// "Yes" answers that make the risk high on their own (SafeLives: 14 or more ticks).
    pub high_yes: usize,
    /// "Yes" answers at which the force treats the risk as medium.
    pub medium_yes: usize,
    /// Domestic incidents in 12 months that make the risk high (potential escalation).
    pub escalation_incidents: u32,
    /// The questions (numbered from 1) about children: a "yes" to any is a child referral.
    pub children_questions: Vec<usize>,
    /// Qualifiers recorded on the call that mean children are present (so any DASH refers).
    pub children_qualifiers: Vec<String>,
    /// The agency a DASH with children present or a "yes" to a children question refers to.
    pub children_referral: String,
    /// The agencies a high-risk DASH refers to.
    pub high_referrals: Vec<String>,
    /// The agencies a standard- or medium-risk DASH refers to.
    pub other_referrals: Vec<String>,
}

/// The answers to the DASH questions, in question order, and the officer's judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashAnswers {
    pub answers: Vec<Answer>,
    /// The handler's professional judgement, which can raise (never lower) the level.
    pub professional_judgement: Option<DashRisk>,
    /// Domestic incidents involving this victim in the last 12 months (potential escalation).
    pub incidents_last_12_months: u32,
    /// Children are present or in the household (a fact established on the call): any DASH
    /// then refers to children's social care.
    #[serde(default)]
    pub children_present: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DashAssessment {
    pub answers: DashAnswers,
    pub yes_count: usize,
    pub risk: DashRisk,
    /// Why the level is what it is, in words.
    pub reasons: Vec<String>,
    /// Agency codes the risk triggers (e.g. MARAC and IDVA for high risk).
    pub referrals: Vec<String>,
}

impl DashAnswers {
    /// Score the checklist. `questions` is how many the reference data defines; `policy` the
    /// force's thresholds and referrals.
    pub fn assess(self, questions: usize, policy: &DashPolicy) -> Result<DashAssessment, Invalid> {
        if self.answers.len() != questions {
            return Err(Invalid::new(
                "answers",
                format!(
                    "the DASH checklist has {questions} questions; {} answers were given",
                    self.answers.len()
                ),
            ));
        }
        let yes_count = self.answers.iter().filter(|a| **a == Answer::Yes).count();
        let mut risk = DashRisk::Standard;
        let mut reasons = Vec::new();
        let high = policy.high_yes;
        let medium = policy.medium_yes;
        if yes_count >= high {
            risk = DashRisk::High;
            reasons.push(format!(
                "{yes_count} 'yes' answers ({high} or more is high risk)"
            ));
        } else if yes_count >= medium {
            risk = DashRisk::Medium;
            reasons.push(format!(
                "{yes_count} 'yes' answers ({medium} to {} is medium risk)",
                high.saturating_sub(1)
            ));
        }
        if self.incidents_last_12_months >= policy.escalation_incidents {
            if risk < DashRisk::High {
                reasons.push(format!(
                    "potential escalation: {} domestic incidents in 12 months",
                    self.incidents_last_12_months
                ));
            }
            risk = DashRisk::High;
        }
        if let Some(judgement) = self.professional_judgement
            && judgement > risk
        {
            risk = judgement;
            reasons.push(format!("professional judgement: {}", judgement.as_str()));
        }
        if reasons.is_empty() {
            reasons.push(format!(
                "{yes_count} 'yes' answers: no indicators of serious harm identified"
            ));
        }
        let mut referrals = match risk {
            DashRisk::High => policy.high_referrals.clone(),
            DashRisk::Medium | DashRisk::Standard => policy.other_referrals.clone(),
        };
        // The questions about children (force data): any "yes", or children present at the
        // incident, means a safeguarding referral (Working Together to Safeguard Children:
        // police refer a child living with domestic abuse to children's social care).
        let children = self.children_present
            || policy
                .children_questions
                .iter()
                .any(|n| n.checked_sub(1).and_then(|i| self.answers.get(i)) == Some(&Answer::Yes));
        if children && !referrals.contains(&policy.children_referral) {
            referrals.push(policy.children_referral.clone());
        }
        Ok(DashAssessment {
            answers: self,
            yes_count,
            risk,
            reasons,
            referrals,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped force settings' DASH policy (read from reference/force-settings.psv).
    fn policy() -> DashPolicy {
        crate::reference::ReferenceData::load(&crate::reference::shipped_files())
            .unwrap()
            .policy
            .dash
    }

    fn answers(yes: usize) -> Vec<Answer> {
        (0..27)
            .map(|i| if i < yes { Answer::Yes } else { Answer::No })
            .collect()
    }

    fn dash(yes: usize, judgement: Option<DashRisk>, incidents: u32) -> DashAssessment {
        DashAnswers {
            answers: answers(yes),
            professional_judgement: judgement,
            incidents_last_12_months: incidents,
            children_present: false,
        }
        .assess(27, &policy())
        .unwrap()
    }

    // SafeLives, "Dash risk checklist quick start guidance": 14 or more ticks is high risk and
    // a MARAC referral.
    #[test]
    fn fourteen_yes_answers_are_high_risk_and_go_to_marac() {
        let high = dash(14, None, 0);
        assert_eq!(high.risk, DashRisk::High);
        assert!(high.referrals.contains(&"MARAC".to_owned()));
        assert!(high.referrals.contains(&"IDVA".to_owned()));
        assert_eq!(dash(13, None, 0).risk, DashRisk::Medium);
    }

    #[test]
    fn force_medium_threshold_and_standard_below_it() {
        assert_eq!(dash(10, None, 0).risk, DashRisk::Medium);
        let standard = dash(9, None, 0);
        assert_eq!(standard.risk, DashRisk::Standard);
        assert_eq!(standard.referrals, ["DA_SUPPORT"]);
    }

    // SafeLives: professional judgement can refer to MARAC whatever the count.
    #[test]
    fn professional_judgement_raises_but_never_lowers() {
        let raised = dash(3, Some(DashRisk::High), 0);
        assert_eq!(raised.risk, DashRisk::High);
        assert!(
            raised
                .reasons
                .iter()
                .any(|r| r.contains("professional judgement"))
        );
        assert_eq!(dash(15, Some(DashRisk::Standard), 0).risk, DashRisk::High);
    }

    // SafeLives: potential escalation (3 or more police call-outs in 12 months) is a MARAC
    // referral criterion.
    #[test]
    fn escalation_makes_it_high() {
        let escalated = dash(2, None, 3);
        assert_eq!(escalated.risk, DashRisk::High);
        assert!(escalated.reasons[0].contains("escalation"));
    }

    #[test]
    fn children_trigger_a_safeguarding_referral() {
        let mut a = answers(0);
        a[25] = Answer::Yes; // Q26: has the abuser hurt the children?
        let assessed = DashAnswers {
            answers: a,
            professional_judgement: None,
            incidents_last_12_months: 0,
            children_present: false,
        }
        .assess(27, &policy())
        .unwrap();
        assert!(
            assessed
                .referrals
                .contains(&"CHILDRENS_SOCIAL_CARE".to_owned())
        );
    }

    #[test]
    fn a_dash_question_left_not_asked_refuses_the_checklist_and_names_it() {
        let mut given: Vec<Option<Answer>> = answers(0).into_iter().map(Some).collect();
        given[2] = None;
        given[26] = Answer::parse("answers", "not_asked").unwrap();
        let err = every_dash_question_asked(&given).unwrap_err();
        assert_eq!(err.field, "answers");
        assert!(err.message.contains("question 3, 27"), "{}", err.message);
        given[2] = Some(Answer::NotKnown);
        given[26] = Some(Answer::No);
        assert_eq!(every_dash_question_asked(&given).unwrap().len(), 27);
        assert!(
            Answer::parse("answers", "n").is_err(),
            "no guessing from a letter"
        );
    }

    #[test]
    fn children_present_at_the_incident_refer_to_childrens_social_care() {
        let assessed = DashAnswers {
            answers: answers(2),
            professional_judgement: None,
            incidents_last_12_months: 0,
            children_present: true,
        }
        .assess(27, &policy())
        .unwrap();
        assert_eq!(assessed.referrals, ["DA_SUPPORT", "CHILDRENS_SOCIAL_CARE"]);
    }

    #[test]
    fn every_question_must_be_answered() {
        let err = DashAnswers {
            answers: answers(0)[..20].to_vec(),
            professional_judgement: None,
            incidents_last_12_months: 0,
            children_present: false,
        }
        .assess(27, &policy())
        .unwrap_err();
        assert_eq!(err.field, "answers");
    }

    #[test]
    fn flags_are_suggested_from_facts_and_qualifiers() {
        let facts = VulnerabilityFacts {
            age: Some(84),
            lives_alone: true,
            ..Default::default()
        };
        assert_eq!(
            suggest_flags(&facts, &[], 3),
            [
                VulnerabilityFlag::OlderPerson,
                VulnerabilityFlag::AloneIsolated
            ]
        );
        let facts = VulnerabilityFacts {
            age: Some(15),
            previous_incidents_12_months: 3,
            ..Default::default()
        };
        assert_eq!(
            suggest_flags(&facts, &["HATE_RACE", "DOMESTIC_ABUSE"], 3),
            [
                VulnerabilityFlag::Child,
                VulnerabilityFlag::DomesticAbuse,
                VulnerabilityFlag::RepeatVictim,
                VulnerabilityFlag::HateCrime
            ]
        );
    }

    #[test]
    fn thrive_needs_every_level_and_reason() {
        let good = ThriveDraft {
            factors: std::array::from_fn(|_| ("high".into(), "because".into())),
            information: "i".into(),
            assessment: "a".into(),
            powers_and_policy: "p".into(),
            options: "o".into(),
            action: "act".into(),
        };
        assert!(good.clone().parse().is_ok());
        let mut bad = good.clone();
        bad.factors[2].0 = "severe".into();
        assert_eq!(bad.parse().unwrap_err().field, "risk.level");
        let mut bad = good.clone();
        bad.factors[5].1 = " ".into();
        assert_eq!(bad.parse().unwrap_err().field, "engagement.reason");
        let mut bad = good;
        bad.options = String::new();
        assert_eq!(bad.parse().unwrap_err().field, "ndm.options");
    }
}
