//! The force policy and national lists an investigation is decided against, read with the
//! rest of the reference data ([`crate::reference::ReferenceData::investigation`]) from
//! `reference/`: screening factors (`screening-factors.psv`), the Home Office outcomes
//! framework (`crime-outcomes.psv`), crime flags (`crime-flags.psv`), bank holidays for
//! working days (`bank-holidays.psv`) and the Victims' Code update limits
//! (`victim-updates.psv`). Each file's header comment cites its source.

use super::victims::KeyEventKind;
use crate::reference::{ReferenceError, Row};
use crate::text::Code;
use jiff::civil::{Date, Weekday};
use std::collections::BTreeMap;

/// Whether a screening factor speaks to solvability (it adds to the score) or to risk (it
/// recommends investigation whatever the score).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum FactorKind {
    Solvability,
    Risk,
}

/// One line of `screening-factors.psv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScreeningFactor {
    pub code: Code,
    pub kind: FactorKind,
    /// Points towards [`InvestigationPolicy::screening_score_to_investigate`].
    pub weight: u32,
    /// Filing a crime with this factor present needs a supervisor's approval.
    pub supervisor_to_file: bool,
    pub description: String,
}

/// What an outcome type says about the suspect (HOCR Section H definitions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum SuspectRule {
    /// A named suspect must be identified.
    Required,
    /// The definition says no suspect was identified.
    None,
    Any,
}

/// What an outcome type needs the victim's recorded position to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VictimRule {
    Nothing,
    /// Every victim supports police action (or the offence has no individual victim).
    Supports,
    /// Every victim declines or has withdrawn support.
    DoesNotSupport,
    /// Every victim declines, has withdrawn, or is unable to support.
    DeclinesOrUnable,
}

impl VictimRule {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "-" => Self::Nothing,
            "supports" => Self::Supports,
            "does_not_support" => Self::DoesNotSupport,
            "declines_or_unable" => Self::DeclinesOrUnable,
            _ => return None,
        })
    }
}

/// Something an outcome type needs recorded besides the suspect and the victim's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum OutcomeNeed {
    /// The offender admitted the offence (cautions, TICs, cannabis/khat warnings and community
    /// resolutions are given on an admission).
    Admission,
    /// The CPS decision's reference (outcome 9 is the CPS's decision).
    CpsDecision,
    /// The body or agency taking the further action (outcome 20).
    OtherAgency,
    /// Only the National Fraud Intelligence Bureau gives it (outcome 19): a force cannot.
    NfibOnly,
}

/// One outcome type of the Home Office outcomes framework (`crime-outcomes.psv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeType {
    pub code: Code,
    pub name: String,
    pub group: String,
    pub suspect: SuspectRule,
    pub victim: VictimRule,
    pub needs: Vec<OutcomeNeed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum FlagGroup {
    /// A question of its own.
    Flag,
    /// A monitored strand of the hate crime flag.
    HateStrand,
}

/// Which crimes must answer a flag's question before they are finalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum FlagRequired {
    Always,
    /// Crimes whose offence classification has a person as victim.
    PersonVictim,
    No,
}

/// One line of `crime-flags.psv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrimeFlag {
    pub code: Code,
    pub name: String,
    pub group: FlagGroup,
    pub required: FlagRequired,
    pub meaning: String,
}

/// The code of the hate crime question whose strands are the `hate_strand` flags.
pub const HATE_CRIME: &str = "HATE_CRIME";

/// How long the police have to tell a victim about a key event (`victim-updates.psv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateLimit {
    pub event: KeyEventKind,
    pub standard_working_days: u32,
    /// For victims eligible for enhanced rights.
    pub enhanced_working_days: u32,
    /// The Code's right (and paragraph, where verified) this limit comes from.
    pub source: String,
}

/// Working days: Monday to Friday except bank holidays, for the years the list covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkingCalendar {
    pub bank_holidays: BTreeMap<Date, String>,
}

impl WorkingCalendar {
    /// Whether the list knows the bank holidays of `date`'s year (outside it only weekends
    /// are known, and a deadline worked out there is marked as such).
    pub fn covers(&self, date: Date) -> bool {
        self.bank_holidays.keys().any(|d| d.year() == date.year())
    }

    pub fn is_working_day(&self, date: Date) -> bool {
        !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday)
            && !self.bank_holidays.contains_key(&date)
    }
}

/// Everything in `reference/` an investigation is decided against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvestigationPolicy {
    /// Stored with every screening decision (setting `screening_policy_version`).
    pub screening_version: String,
    /// The solvability score at or above which screening recommends investigation (setting
    /// `screening_score_to_investigate`).
    pub screening_score_to_investigate: u32,
    pub factors: Vec<ScreeningFactor>,
    pub outcomes: Vec<OutcomeType>,
    pub flags: Vec<CrimeFlag>,
    pub calendar: WorkingCalendar,
    pub update_limits: Vec<UpdateLimit>,
}

impl InvestigationPolicy {
    pub fn factor(&self, code: &str) -> Option<&ScreeningFactor> {
        self.factors
            .iter()
            .find(|f| f.code.as_str().eq_ignore_ascii_case(code.trim()))
    }

    pub fn outcome(&self, code: &str) -> Option<&OutcomeType> {
        self.outcomes
            .iter()
            .find(|o| o.code.as_str().eq_ignore_ascii_case(code.trim()))
    }

    pub fn flag(&self, code: &str) -> Option<&CrimeFlag> {
        self.flags
            .iter()
            .find(|f| f.code.as_str().eq_ignore_ascii_case(code.trim()))
    }

    pub fn update_limit(&self, event: KeyEventKind) -> Option<&UpdateLimit> {
        self.update_limits.iter().find(|l| l.event == event)
    }

    pub(crate) fn load_factor(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let code = row.code(0, "code")?;
        if self.factor(code.as_str()).is_some() {
            return Err(row.error(format!("a second screening factor {code}")));
        }
        let kind = word(row, 1, "kind", "solvability or risk")?;
        let weight = number(row, 2, "weight", 0)?;
        let supervisor_to_file = yes_no(row, 3, "supervisor_to_file")?;
        self.factors.push(ScreeningFactor {
            code,
            kind,
            weight,
            supervisor_to_file,
            description: row.text(4, "description")?,
        });
        Ok(())
    }

    pub(crate) fn load_outcome(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let code = row.code(0, "code")?;
        if self.outcome(code.as_str()).is_some() {
            return Err(row.error(format!("a second outcome {code}")));
        }
        let suspect = word(row, 3, "suspect", "required, none or any")?;
        let raw = row.text(4, "victim")?;
        let victim = VictimRule::parse(&raw).ok_or_else(|| {
            row.error(format!(
                "'{raw}' is not a victim rule; use -, supports, does_not_support or declines_or_unable"
            ))
        })?;
        let mut needs = Vec::new();
        let raw_needs = row.text(5, "needs")?;
        for need in raw_needs
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty() && *n != "-")
        {
            needs.push(need.parse().map_err(|_| {
                row.error(format!(
                    "'{need}' is not a need; use admission, cps_decision, other_agency or nfib_only (or -)"
                ))
            })?);
        }
        self.outcomes.push(OutcomeType {
            code,
            name: row.text(1, "name")?,
            group: row.text(2, "group")?,
            suspect,
            victim,
            needs,
        });
        Ok(())
    }

    pub(crate) fn load_flag(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let code = row.code(0, "code")?;
        if self.flag(code.as_str()).is_some() {
            return Err(row.error(format!("a second flag {code}")));
        }
        let group = word(row, 2, "group", "flag or hate_strand")?;
        let required = word(row, 3, "required", "always, person_victim or no")?;
        self.flags.push(CrimeFlag {
            code,
            name: row.text(1, "name")?,
            group,
            required,
            meaning: row.text(4, "meaning")?,
        });
        Ok(())
    }

    pub(crate) fn load_bank_holiday(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let raw = row.text(0, "date")?;
        let date: Date = raw
            .parse()
            .map_err(|_| row.error(format!("'{raw}' is not a date; use YYYY-MM-DD")))?;
        let name = row.text(1, "name")?;
        if self.calendar.bank_holidays.insert(date, name).is_some() {
            return Err(row.error(format!("{date} is listed twice")));
        }
        Ok(())
    }

    pub(crate) fn load_update_limit(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let event: KeyEventKind = word(
            row,
            0,
            "event",
            "a key event (suspect_arrested, suspect_interviewed, suspect_charged, released_on_bail, released_under_investigation, no_further_action, out_of_court_disposal or finalised)",
        )?;
        if self.update_limit(event).is_some() {
            return Err(row.error(format!("a second limit for {}", event.as_str())));
        }
        let standard_working_days = number(row, 1, "standard_working_days", 1)?;
        let enhanced_working_days = number(row, 2, "enhanced_working_days", 1)?;
        // Enhanced rights are never slower than the standard (Victims' Code 2020, Right 6).
        if enhanced_working_days > standard_working_days {
            return Err(row.error(
                "enhanced_working_days cannot be more than standard_working_days: enhanced rights are the faster service",
            ));
        }
        self.update_limits.push(UpdateLimit {
            event,
            standard_working_days,
            enhanced_working_days,
            source: row.text(3, "source")?,
        });
        Ok(())
    }

    pub(crate) fn load_setting(
        &mut self,
        row: &Row<'_>,
        setting: &str,
        value: &str,
    ) -> Result<bool, ReferenceError> {
        match setting {
            "screening_policy_version" => self.screening_version = value.to_owned(),
            "screening_score_to_investigate" => {
                self.screening_score_to_investigate = value.parse().map_err(|_| {
                    row.error(format!(
                        "screening_score_to_investigate is a whole number, not '{value}'"
                    ))
                })?;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// Checks across the files once all are read: every key event has a limit, and the hate
    /// crime strands have their question.
    pub(crate) fn check(&self) -> Result<(), ReferenceError> {
        let whole = |file: &str, message: String| ReferenceError {
            file: file.to_owned(),
            line: 0,
            message,
        };
        if let Some(missing) = KeyEventKind::ALL
            .iter()
            .find(|k| self.update_limit(**k).is_none())
        {
            return Err(whole(
                "victim-updates.psv",
                format!("no limit is given for the key event {}", missing.as_str()),
            ));
        }
        let strands = self.flags.iter().any(|f| f.group == FlagGroup::HateStrand);
        if strands && self.flag(HATE_CRIME).is_none() {
            return Err(whole(
                "crime-flags.psv",
                format!("hate_strand flags need the {HATE_CRIME} flag they are strands of"),
            ));
        }
        Ok(())
    }
}

fn word<T: std::str::FromStr>(
    row: &Row<'_>,
    i: usize,
    column: &str,
    what: &str,
) -> Result<T, ReferenceError> {
    let raw = row.text(i, column)?;
    raw.parse()
        .map_err(|_| row.error(format!("the {column} '{raw}' is not {what}")))
}

fn number(row: &Row<'_>, i: usize, column: &str, least: u32) -> Result<u32, ReferenceError> {
    let raw = row.text(i, column)?;
    raw.parse::<u32>()
        .ok()
        .filter(|n| *n >= least)
        .ok_or_else(|| {
            row.error(format!(
                "the {column} is a whole number of at least {least}, not '{raw}'"
            ))
        })
}

fn yes_no(row: &Row<'_>, i: usize, column: &str) -> Result<bool, ReferenceError> {
    match row.text(i, column)?.as_str() {
        "yes" => Ok(true),
        "no" => Ok(false),
        other => Err(row.error(format!("the {column} is yes or no, not '{other}'"))),
    }
}
