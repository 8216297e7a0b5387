//! The referral policy, read with the rest of the reference data
//! ([`crate::reference::ReferenceData::safeguarding`]) from `reference/`:
//! - `referral-types.psv`: each referral type, its agency and its due times;
//! - `referral-rules.psv`: the facts that require a referral (SafeLives MARAC criteria,
//!   Working Together to Safeguard Children 2023, Care Act 2014 s.42), each row citing its
//!   source;
//! - `sharing-bases.psv`: the lawful bases for sharing without consent.

use crate::assessment::{DashRisk, VulnerabilityFlag};
use crate::reference::{Agency, Qualifier, ReferenceError, Row};
use crate::text::Code;
use jiff::SignedDuration;

/// One line of `referral-types.psv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralType {
    pub code: Code,
    /// The agency (agencies.psv) a referral of this type goes to.
    pub agency: Code,
    /// From drafting to sending.
    pub send_within: SignedDuration,
    /// From sending to the agency's acknowledgement.
    pub acknowledge_within: SignedDuration,
    pub source: String,
}

/// One condition of a rule's `when`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Condition {
    /// The current DASH risk is at least this.
    DashRisk(DashRisk),
    /// The current DASH's own referrals name this agency.
    DashRefers(Code),
    /// Domestic abuse identified: the DOMESTIC_ABUSE qualifier, the domestic_abuse flag, or a
    /// DASH completed.
    Domestic,
    Qualifier(Code),
    Flag(VulnerabilityFlag),
}

/// One line of `referral-rules.psv`: when every condition holds, a referral of the type is
/// required before the incident closes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralRule {
    pub rule: Code,
    pub when: Vec<Condition>,
    pub referral_type: Code,
    /// The guidance or statute the rule comes from.
    pub source: String,
}

/// One line of `sharing-bases.psv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharingBasis {
    pub code: Code,
    pub name: String,
    pub legislation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SafeguardingPolicy {
    pub types: Vec<ReferralType>,
    pub rules: Vec<ReferralRule>,
    pub bases: Vec<SharingBasis>,
}

impl SafeguardingPolicy {
    pub fn referral_type(&self, code: &str) -> Option<&ReferralType> {
        self.types
            .iter()
            .find(|t| t.code.as_str().eq_ignore_ascii_case(code.trim()))
    }

    pub fn basis(&self, code: &str) -> Option<&SharingBasis> {
        self.bases
            .iter()
            .find(|b| b.code.as_str().eq_ignore_ascii_case(code.trim()))
    }

    /// A later row for a type already given (a force's file) replaces it.
    pub(crate) fn load_type(
        &mut self,
        row: &Row<'_>,
        agencies: &[Agency],
    ) -> Result<(), ReferenceError> {
        let code = row.code(0, "code")?;
        let agency = row.code(1, "agency")?;
        if !agencies.iter().any(|a| a.code == agency) {
            return Err(row.error(format!("agency {agency} is not defined in agencies")));
        }
        let hours = |i: usize, column: &str| -> Result<SignedDuration, ReferenceError> {
            let raw = row.text(i, column)?;
            raw.parse::<u32>()
                .ok()
                .filter(|h| *h > 0)
                .map(|h| SignedDuration::from_hours(i64::from(h)))
                .ok_or_else(|| {
                    row.error(format!(
                        "the {column} is a whole number of hours above 0, not '{raw}'"
                    ))
                })
        };
        let kind = ReferralType {
            send_within: hours(2, "send_within_hours")?,
            acknowledge_within: hours(3, "acknowledge_within_hours")?,
            source: row.text(4, "source")?,
            code,
            agency,
        };
        self.types.retain(|t| t.code != kind.code);
        self.types.push(kind);
        Ok(())
    }

    pub(crate) fn load_rule(
        &mut self,
        row: &Row<'_>,
        agencies: &[Agency],
        qualifiers: &[Qualifier],
    ) -> Result<(), ReferenceError> {
        let rule = row.code(0, "rule")?;
        if self.rules.iter().any(|r| r.rule == rule) {
            return Err(row.error(format!("a second referral rule {rule}")));
        }
        let raw = row.text(1, "when")?;
        let mut when = Vec::new();
        for part in raw.split('+').map(str::trim) {
            let (name, value) = part.split_once(':').unwrap_or((part, ""));
            let code = |column: &str| {
                Code::parse(column, value).map_err(|e| {
                    row.error(format!(
                        "'{value}' in '{part}' is not a code: {}",
                        e.message
                    ))
                })
            };
            when.push(match name {
                "dash" => Condition::DashRisk(DashRisk::parse(value).ok_or_else(|| {
                    row.error(format!(
                        "'{part}': the DASH risk is standard, medium or high"
                    ))
                })?),
                "dash_refers" => {
                    let agency = code("dash_refers")?;
                    if !agencies.iter().any(|a| a.code == agency) {
                        return Err(row.error(format!("agency {agency} is not defined in agencies")));
                    }
                    Condition::DashRefers(agency)
                }
                "domestic" if value.is_empty() => Condition::Domestic,
                "qualifier" => {
                    let q = code("qualifier")?;
                    if !qualifiers.iter().any(|known| known.code == q) {
                        return Err(row.error(format!("qualifier {q} is not defined in qualifiers")));
                    }
                    Condition::Qualifier(q)
                }
                "flag" => Condition::Flag(VulnerabilityFlag::parse(value).map_err(|e| {
                    row.error(format!("'{part}': {}", e.message))
                })?),
                _ => {
                    return Err(row.error(format!(
                        "'{part}' is not a condition; use dash:<risk>, dash_refers:<agency>, domestic, qualifier:<code> or flag:<flag>, joined by +"
                    )));
                }
            });
        }
        self.rules.push(ReferralRule {
            rule,
            when,
            referral_type: row.code(2, "referral_type")?,
            source: row.text(3, "source")?,
        });
        Ok(())
    }

    pub(crate) fn load_basis(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let code = row.code(0, "code")?;
        if self.basis(code.as_str()).is_some() {
            return Err(row.error(format!("a second sharing basis {code}")));
        }
        self.bases.push(SharingBasis {
            code,
            name: row.text(1, "name")?,
            legislation: row.text(2, "legislation")?,
        });
        Ok(())
    }

    /// Every rule names a referral type that exists (once all files are read, so a force's
    /// rule may name a force's type).
    pub(crate) fn check(&self) -> Result<(), ReferenceError> {
        for rule in &self.rules {
            if self.referral_type(rule.referral_type.as_str()).is_none() {
                return Err(ReferenceError {
                    file: "referral-rules.psv".into(),
                    line: 0,
                    message: format!(
                        "rule {} names the referral type {}, which referral-types.psv does not define",
                        rule.rule, rule.referral_type
                    ),
                });
            }
        }
        Ok(())
    }
}
