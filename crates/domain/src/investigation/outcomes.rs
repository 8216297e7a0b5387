//! Finalisation: the Home Office outcome (HOCR Section H, `reference/crime-outcomes.psv`)
//! with its evidential rules, the crime flags answered, and the supervisor's quality check.
//!
//! The rules, each refused with its name and the field to fix:
//! - `outcomes.framework`: the outcome is one of the framework's types.
//! - `outcomes.nfib_only`: outcome 19 is given by the National Fraud Intelligence Bureau only.
//! - `outcomes.suspect_required`: outcomes whose definition names an identified suspect
//!   (1-13, 15-17, 21, 22) need a suspect linked to the crime.
//! - `outcomes.no_suspect`: outcomes 14 and 18 say no suspect was identified; refused while
//!   one is linked.
//! - `outcomes.victim_position`: the victim-based outcomes need every victim's position
//!   recorded and matching (14: declines or unable; 15: supports; 16: does not support or
//!   has withdrawn).
//! - `outcomes.admission`, `outcomes.cps_decision`, `outcomes.other_agency`: what the outcome
//!   is given on is recorded with it.
//! - `flags.answered`, `flags.hate_strand`: the flag questions required of the crime are
//!   answered, and a hate crime names its strands.

use super::policy::{
    CrimeFlag, FlagGroup, FlagRequired, HATE_CRIME, InvestigationPolicy, OutcomeNeed, OutcomeType,
    SuspectRule, VictimRule,
};
use super::victims::VictimPosition;
use super::{Refusal, refuse_field};
use crate::text::Code;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// The outcome an investigator proposes (the event `crime.finalisation_proposed`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FinalisationProposal {
    /// An outcome type code of `crime-outcomes.psv` (`1`, `1A`, `16`).
    pub outcome: Code,
    pub rationale: String,
    /// The offender admitted the offence (for the outcomes given on an admission).
    pub admission: bool,
    /// The CPS decision's reference (outcome 9).
    pub cps_reference: Option<String>,
    /// The body or agency taking further action (outcome 20).
    pub other_agency: Option<String>,
}

/// What the outcome rules read from the crime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeFacts {
    /// A person is linked to the crime as suspect (and not withdrawn).
    pub suspect_identified: bool,
    /// Each victim and their latest recorded position, if any.
    pub victims: Vec<(Uuid, Option<VictimPosition>)>,
    /// The offence classification has a person as victim (HOCR General Rules, Section D).
    pub person_victim: bool,
}

/// Check `proposal` against the outcomes framework; the outcome type when it holds.
pub fn check_outcome<'p>(
    policy: &'p InvestigationPolicy,
    facts: &OutcomeFacts,
    proposal: &FinalisationProposal,
) -> Result<&'p OutcomeType, Refusal> {
    let outcome = policy.outcome(proposal.outcome.as_str()).ok_or_else(|| {
        refuse_field(
            "outcomes.framework",
            "outcome",
            format!(
                "'{}' is not an outcome type of the Home Office outcomes framework (HOCR Section H)",
                proposal.outcome
            ),
        )
    })?;
    let named = format!("outcome {} ({})", outcome.code, outcome.name);
    if outcome.needs.contains(&OutcomeNeed::NfibOnly) {
        return Err(refuse_field(
            "outcomes.nfib_only",
            "outcome",
            format!(
                "{named} is given only by the National Fraud Intelligence Bureau (HOCR Section H)"
            ),
        ));
    }
    match (outcome.suspect, facts.suspect_identified) {
        (SuspectRule::Required, false) => {
            return Err(refuse_field(
                "outcomes.suspect_required",
                "outcome",
                format!(
                    "{named} needs a named suspect identified (HOCR Section H); link the suspect to the crime or choose another outcome"
                ),
            ));
        }
        (SuspectRule::None, true) => {
            return Err(refuse_field(
                "outcomes.no_suspect",
                "outcome",
                format!(
                    "{named} is for a crime with no suspect identified (HOCR Section H), but a suspect is linked; choose an outcome for an identified suspect, or withdraw the suspect's link with the reason"
                ),
            ));
        }
        _ => {}
    }
    check_victims(outcome, &named, facts)?;
    for need in &outcome.needs {
        let missing = |field: &str, what: &str| {
            refuse_field(
                match need {
                    OutcomeNeed::Admission => "outcomes.admission",
                    OutcomeNeed::CpsDecision => "outcomes.cps_decision",
                    _ => "outcomes.other_agency",
                },
                field,
                format!("{named} needs {what} (HOCR Section H)"),
            )
        };
        let blank = |text: &Option<String>| text.as_deref().is_none_or(|t| t.trim().is_empty());
        match need {
            OutcomeNeed::Admission if !proposal.admission => {
                return Err(missing(
                    "admission",
                    "the offender's admission of the offence",
                ));
            }
            OutcomeNeed::CpsDecision if blank(&proposal.cps_reference) => {
                return Err(missing(
                    "cps_reference",
                    "the reference of the CPS decision that prosecution is not in the public interest",
                ));
            }
            OutcomeNeed::OtherAgency if blank(&proposal.other_agency) => {
                return Err(missing(
                    "other_agency",
                    "the body or agency taking the further action, with the victim made aware",
                ));
            }
            _ => {}
        }
    }
    Ok(outcome)
}

fn check_victims(outcome: &OutcomeType, named: &str, facts: &OutcomeFacts) -> Result<(), Refusal> {
    let allowed: &[VictimPosition] = match outcome.victim {
        VictimRule::Nothing => return Ok(()),
        // Outcome 15 is also the evidential-difficulties outcome of crimes with no individual
        // victim: nobody's support is needed there.
        VictimRule::Supports if facts.victims.is_empty() && !facts.person_victim => return Ok(()),
        VictimRule::Supports => &[VictimPosition::Supports],
        VictimRule::DoesNotSupport => &[VictimPosition::Declines, VictimPosition::Withdrawn],
        VictimRule::DeclinesOrUnable => &[
            VictimPosition::Declines,
            VictimPosition::Withdrawn,
            VictimPosition::Unable,
        ],
    };
    let words = allowed
        .iter()
        .map(|p| p.into())
        .collect::<Vec<&str>>()
        .join(" or ");
    if facts.victims.is_empty() {
        return Err(refuse_field(
            "outcomes.victim_position",
            "victims",
            format!(
                "{named} is decided on the victim's position (HOCR Section H), but no victim is linked to the crime"
            ),
        ));
    }
    for (victim, position) in &facts.victims {
        let field = format!("victims[{victim}].position");
        match position {
            None => {
                return Err(refuse_field(
                    "outcomes.victim_position",
                    &field,
                    format!(
                        "{named} needs the victim's position recorded first ({words}; HOCR Section H)"
                    ),
                ));
            }
            Some(p) if !allowed.contains(p) => {
                let p: &str = p.into();
                return Err(refuse_field(
                    "outcomes.victim_position",
                    &field,
                    format!(
                        "{named} needs the victim's position to be {words}, not {p} (HOCR Section H)"
                    ),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// One flag question answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagAnswer {
    pub flag: Code,
    pub yes: bool,
}

/// Refuse answers to flags the policy does not define, or a flag answered twice at once.
pub fn check_answers(policy: &InvestigationPolicy, answers: &[FlagAnswer]) -> Result<(), Refusal> {
    if answers.is_empty() {
        return Err(refuse_field(
            "flags.answered",
            "answers",
            "answer at least one flag question",
        ));
    }
    for (i, answer) in answers.iter().enumerate() {
        let field = format!("answers[{i}]");
        if policy.flag(answer.flag.as_str()).is_none() {
            return Err(refuse_field(
                "flags.known",
                &field,
                format!(
                    "'{}' is not a crime flag; use one of {}",
                    answer.flag,
                    policy
                        .flags
                        .iter()
                        .map(|f| f.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if answers[..i].iter().any(|a| a.flag == answer.flag) {
            return Err(refuse_field(
                "flags.once",
                &field,
                format!("{} is answered twice", answer.flag),
            ));
        }
    }
    Ok(())
}

/// The required flag questions not yet answered for a crime.
pub fn unanswered<'p>(
    policy: &'p InvestigationPolicy,
    answers: &BTreeMap<Code, bool>,
    person_victim: bool,
) -> Vec<&'p CrimeFlag> {
    policy
        .flags
        .iter()
        .filter(|f| match f.required {
            FlagRequired::Always => true,
            FlagRequired::PersonVictim => person_victim,
            FlagRequired::No => false,
        })
        .filter(|f| !answers.contains_key(&f.code))
        .collect()
}

/// The flags as finalisation needs them: every required question answered, and the hate
/// crime question consistent with its strands.
pub fn check_flags(
    policy: &InvestigationPolicy,
    answers: &BTreeMap<Code, bool>,
    person_victim: bool,
) -> Result<(), Refusal> {
    if let Some(flag) = unanswered(policy, answers, person_victim).first() {
        return Err(refuse_field(
            "flags.answered",
            &format!("flags.{}", flag.code),
            format!(
                "the flag question '{}' is not answered; every crime answers it before it is finalised (Home Office Annual Data Requirement)",
                flag.name
            ),
        ));
    }
    let yes = |code: &Code| answers.get(code).copied().unwrap_or(false);
    let strands: Vec<&CrimeFlag> = policy
        .flags
        .iter()
        .filter(|f| f.group == FlagGroup::HateStrand)
        .collect();
    let hate = policy.flag(HATE_CRIME).is_some_and(|f| yes(&f.code));
    let strand_yes = strands.iter().find(|f| yes(&f.code));
    match (hate, strand_yes) {
        (true, None) if !strands.is_empty() => Err(refuse_field(
            "flags.hate_strand",
            &format!("flags.{}", strands[0].code),
            format!(
                "a hate crime names the strand or strands of hostility: answer yes to at least one of {}",
                strands
                    .iter()
                    .map(|f| f.code.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        (false, Some(strand)) => Err(refuse_field(
            "flags.hate_strand",
            &format!("flags.{HATE_CRIME}"),
            format!(
                "{} is answered yes, so the crime is a hate crime: answer {HATE_CRIME} yes",
                strand.code
            ),
        )),
        _ => Ok(()),
    }
}

/// What the supervisor confirms before a crime is finalised.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::EnumString,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ChecklistItem {
    /// The classification is right for what the investigation found (HOCR).
    ClassificationCorrect,
    /// The flags are answered correctly.
    FlagsCorrect,
    /// Every proportionate line of enquiry was taken.
    EnquiriesComplete,
    /// The evidence supports the outcome chosen.
    OutcomeSupportedByEvidence,
    /// The victim's rights under the Victims' Code were met.
    VictimCodeMet,
}

impl ChecklistItem {
    pub const ALL: [ChecklistItem; 5] = [
        Self::ClassificationCorrect,
        Self::FlagsCorrect,
        Self::EnquiriesComplete,
        Self::OutcomeSupportedByEvidence,
        Self::VictimCodeMet,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The supervisor's decision on a proposed finalisation; from JSON as
/// `{"decision": "approve", "checklist": [...]}` or `{"decision": "return", "reasons": [...]}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Review {
    /// Every item of [`ChecklistItem::ALL`] confirmed.
    Approve { checklist: Vec<ChecklistItem> },
    /// Back to the investigator, with what to put right.
    Return { reasons: Vec<String> },
}

/// Approval confirms every checklist item; the first one missing, named.
pub fn check_checklist(checklist: &[ChecklistItem]) -> Result<(), Refusal> {
    match ChecklistItem::ALL
        .iter()
        .find(|item| !checklist.contains(item))
    {
        Some(item) => Err(refuse_field(
            "finalisation.checklist",
            &format!("checklist.{}", item.as_str()),
            format!(
                "'{}' is not confirmed: confirm every item, or return the crime with the reason",
                item.as_str()
            ),
        )),
        None => Ok(()),
    }
}
