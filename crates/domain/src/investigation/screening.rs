//! Screening: whether a recorded crime is investigated, on the force's solvability and risk
//! factors (`reference/screening-factors.psv`, versioned by `screening_policy_version`).
//!
//! The score is the sum of the weights of the solvability factors found; it recommends
//! investigation at or above `screening_score_to_investigate`, and any risk factor recommends
//! it whatever the score. The decision is the person's, with a rationale: the recommendation
//! is stored beside it so a departure from it is visible. Filing a crime with a factor marked
//! `supervisor_to_file` (a vulnerable or repeat victim) waits for a supervisor (issue 15).

use super::policy::{FactorKind, InvestigationPolicy};
use super::{Refusal, refuse_field};
use crate::text::Code;
use crate::user::Username;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

/// A factor found present, with what was found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorFinding {
    pub factor: Code,
    pub note: Option<String>,
}

/// Who a screened-in crime goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Allocation {
    Team { team: Code },
    Person { investigator: Username },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ScreeningDecision {
    ScreenIn {
        allocation: Allocation,
    },
    /// Filed pending new information (screened out).
    FilePending,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recommendation {
    Investigate,
    File,
}

/// A screening decision as recorded (the event `crime.screened`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Screening {
    pub decision: ScreeningDecision,
    /// The factors that drove it.
    pub factors: Vec<FactorFinding>,
    pub rationale: String,
    /// The screening policy it was made under.
    pub policy_version: String,
    pub score: u32,
    pub recommended: Recommendation,
    /// Why filing waits for a supervisor: the factors present marked `supervisor_to_file`,
    /// or `VICTIM_NEEDS_ASSESSMENT` when none was ticked but a victim's needs assessment found
    /// them vulnerable or persistently targeted. Empty when screened in or nothing requires it.
    pub needs_supervisor: Vec<Code>,
}

/// Where a filing that needs a supervisor stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Approval {
    NotNeeded,
    Pending,
    Approved {
        by: Username,
        at: Timestamp,
        note: String,
    },
    /// The supervisor did not agree: the crime must be screened again.
    Returned {
        by: Username,
        at: Timestamp,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScreeningRecord {
    pub screening: Screening,
    pub at: Timestamp,
    pub by: Username,
    pub approval: Approval,
}

/// The score and recommendation for `factors` under `policy`, refusing a factor the policy
/// does not define or one named twice (field `factors[i]`).
pub fn assess(
    policy: &InvestigationPolicy,
    factors: &[FactorFinding],
) -> Result<(u32, Recommendation, Vec<Code>), Refusal> {
    let mut score = 0u32;
    let mut risk = false;
    let mut supervisor = Vec::new();
    for (i, finding) in factors.iter().enumerate() {
        let field = format!("factors[{i}]");
        let factor = policy.factor(finding.factor.as_str()).ok_or_else(|| {
            refuse_field(
                "screening.known_factor",
                &field,
                format!(
                    "'{}' is not a factor of screening policy {}; use one of {}",
                    finding.factor,
                    policy.screening_version,
                    policy
                        .factors
                        .iter()
                        .map(|f| f.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?;
        if factors[..i].iter().any(|f| f.factor == factor.code) {
            return Err(refuse_field(
                "screening.factor_once",
                &field,
                format!("{} is named twice", factor.code),
            ));
        }
        match factor.kind {
            FactorKind::Solvability => score = score.saturating_add(factor.weight),
            FactorKind::Risk => risk = true,
        }
        if factor.supervisor_to_file {
            supervisor.push(factor.code.clone());
        }
    }
    let recommended = if risk || score >= policy.screening_score_to_investigate {
        Recommendation::Investigate
    } else {
        Recommendation::File
    };
    Ok((score, recommended, supervisor))
}
