//! Reference data: the national code lists and the force's grading policy, read from
//! pipe-separated text files (`reference/*.psv`) so a force can extend them without a code
//! change. Every problem names the file and line, and stops start-up.
//!
//! File format: `#` starts a comment line; blank lines are ignored; the first other line is
//! the header, which must name exactly the expected columns; fields are separated by `|`.

use crate::assessment::{Area, DashPolicy, DashRisk, VulnerabilityFlag};
use crate::incident::Grade;
use crate::text::Code;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ReferenceError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// What a category is, for the rules that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CategoryGroup {
    Crime,
    Asb,
    PublicSafety,
    Transport,
    Admin,
}

impl CategoryGroup {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "crime" => Self::Crime,
            "asb" => Self::Asb,
            "public_safety" => Self::PublicSafety,
            "transport" => Self::Transport,
            "admin" => Self::Admin,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    pub code: Code,
    pub name: String,
    pub group: CategoryGroup,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentType {
    pub code: Code,
    pub name: String,
    pub category: Code,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qualifier {
    pub code: Code,
    pub name: String,
    pub description: String,
}

/// What closing with a code needs besides the code itself (NSIR, NCRS).
/// Written in `closing-codes.psv` and on the wire by its snake_case name (`crime_link`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum ClosureNeed {
    /// A crime reference or a recorded non-crime rationale.
    CrimeLink,
    Qualifier,
    Agency,
    Outcome,
}

impl ClosureNeed {
    fn parse(raw: &str) -> Option<Self> {
        raw.parse().ok()
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosingCode {
    pub code: Code,
    pub name: String,
    pub category: Code,
    pub needs: Vec<ClosureNeed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agency {
    pub code: Code,
    pub name: String,
    pub when_to_use: String,
    pub contact: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DashQuestion {
    pub number: u8,
    pub question: String,
}

/// Which repeat count from the intelligence check a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RepeatKind {
    Victim,
    Caller,
    Location,
}

/// A fact that asks for a response, with the reason the handler is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trigger {
    /// A qualifier on the incident, chosen or recorded by a "yes" in the question set.
    Qualifier(Code),
    Vulnerability(VulnerabilityFlag),
    DashRisk(DashRisk),
    IncidentType(Code),
    /// The intelligence check found at least this many incidents in 12 months.
    Repeat(RepeatKind, u32),
}

/// What a rule does to the recommendation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleEffect {
    /// The grade is at least this.
    AtLeast(Grade),
    /// One step up from what everything else recommends, never to emergency.
    Raise,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinimumGradeRule {
    pub when: Trigger,
    pub effect: RuleEffect,
    pub reason: String,
}

/// An incident type another agency leads on, whatever THRIVE says, unless a fact says
/// otherwise (`signposting.psv`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignpostRule {
    pub incident_type: Code,
    pub agency: Code,
    /// Qualifiers that stop the signpost.
    pub unless: Vec<Code>,
    /// Any vulnerability flag stops the signpost.
    pub unless_vulnerable: bool,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GradingPolicy {
    pub rules: Vec<MinimumGradeRule>,
    pub signposting: Vec<SignpostRule>,
    /// Attendance targets in minutes by grade and area.
    pub targets: BTreeMap<(u8, Area), u32>,
    /// Whether a grade below emergency needs THRIVE or the question set first.
    pub assessment_before_grading: bool,
    /// How DASH is scored and what it refers to (`dash_*` in force-settings.psv).
    pub dash: DashPolicy,
    /// Incidents with this person as victim in 12 months that make a repeat victim.
    pub repeat_victim_incidents: u32,
    /// The grades that promise attendance: closing one no unit attended needs a supervisor.
    pub attend_before_closing: Vec<Grade>,
}

/// A question a handler asks for an incident type; a "yes" records `fact` (a qualifier).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// `None`: asked for every type.
    pub incident_type: Option<Code>,
    pub fact: Code,
    pub question: String,
}

/// Every setting `force-settings.psv` must give (the shipped file gives them all; a force's own
/// file replaces any of them).
pub const REQUIRED_SETTINGS: [&str; 13] = [
    "assessment_before_grading",
    "repeat_victim_incidents",
    "dash_high_yes",
    "dash_medium_yes",
    "dash_escalation_incidents",
    "dash_children_questions",
    "dash_children_qualifiers",
    "dash_children_referral",
    "dash_high_referrals",
    "dash_other_referrals",
    "attend_before_closing",
    "screening_policy_version",
    "screening_score_to_investigate",
];

impl GradingPolicy {
    pub fn target_minutes(&self, grade: Grade, area: Area) -> Option<u32> {
        self.targets.get(&(grade_key(grade), area)).copied()
    }
}

fn grade_key(grade: Grade) -> u8 {
    Grade::ALL
        .iter()
        .position(|g| *g == grade)
        .and_then(|p| u8::try_from(p).ok())
        .unwrap_or(u8::MAX)
}

/// Who an offence has as its victim (HOCR General Rules, Section D).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum VictimKind {
    Person,
    Organisation,
    /// No individual victim (e.g. drug possession, many public order offences).
    None,
}

impl VictimKind {
    /// `person`, `organisation` or `none`, as the reference file spells it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// The maximum sentence of an offence classification (`offence-classifications.psv`), which
/// the Principal Crime Rule ranks by until Annex C is loaded (HOCR General Rules, Section F).
/// Ordered from least to most severe, so `max` finds the most serious.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MaxSentence {
    /// The class is a collection of offences with different maxima: ranks below every known
    /// maximum, so it never displaces a crime whose maximum is known.
    Unknown,
    /// No imprisonment: a fine only.
    Fine,
    Months(u32),
    Life,
}

impl MaxSentence {
    /// `life`, `14y`, `6m`, `fine` or `unknown`, as the reference file writes it.
    fn parse(raw: &str) -> Option<Self> {
        let months = |n: &str, per: u32| n.parse::<u32>().ok().and_then(|n| n.checked_mul(per));
        Some(match raw {
            "life" => Self::Life,
            "fine" => Self::Fine,
            "unknown" => Self::Unknown,
            _ => {
                if let Some(years) = raw.strip_suffix('y') {
                    Self::Months(months(years, 12)?)
                } else {
                    Self::Months(months(raw.strip_suffix('m')?, 1)?)
                }
            }
        })
    }
}

impl fmt::Display for MaxSentence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unknown => f.write_str("maximum sentence not known"),
            Self::Fine => f.write_str("a fine only"),
            Self::Life => f.write_str("life imprisonment"),
            Self::Months(m) if m % 12 == 0 => {
                let years = m / 12;
                write!(f, "{years} year{}", if years == 1 { "" } else { "s" })
            }
            Self::Months(m) => write!(f, "{m} month{}", if *m == 1 { "" } else { "s" }),
        }
    }
}

/// A Home Office notifiable offence classification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffenceClass {
    pub code: Code,
    pub name: String,
    pub group: String,
    pub victim: VictimKind,
    /// The project's interim order, higher more serious: only breaks ties between classes of
    /// the same maximum sentence (see `offence-classifications.psv`).
    pub seriousness: u16,
    /// The maximum sentence of the most serious offence the class holds.
    pub max_sentence: MaxSentence,
    /// The statute and section the maximum comes from.
    pub statute: String,
    /// Whether the maximum and the statute were checked (`verified` in the file).
    pub sentence_verified: bool,
}

/// One line of a force's HOCR Annex C Principal Crime look-up table
/// (`principal-crime-table.psv`): where a classification stands, 1 the most serious. When
/// loaded it overrides the maximum-sentence order of `offence-classifications.psv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrincipalCrimeEntry {
    pub code: Code,
    pub position: u32,
    /// Which Annex C (edition, line) the position comes from.
    pub source: String,
}

/// All reference data, validated.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReferenceData {
    pub categories: Vec<Category>,
    pub incident_types: Vec<IncidentType>,
    pub qualifiers: Vec<Qualifier>,
    pub closing_codes: Vec<ClosingCode>,
    pub agencies: Vec<Agency>,
    pub dash_questions: Vec<DashQuestion>,
    pub policy: GradingPolicy,
    pub offences: Vec<OffenceClass>,
    /// The Annex C Principal Crime look-up table, when a force loads one (empty otherwise).
    pub principal_crime_table: Vec<PrincipalCrimeEntry>,
    pub questions: Vec<Question>,
    /// Screening factors, the outcomes framework, crime flags, the working-day calendar and
    /// the Victims' Code update limits ([`crate::investigation`]).
    pub investigation: crate::investigation::policy::InvestigationPolicy,
    /// Referral types and due times, referral rules and the lawful bases for sharing without
    /// consent ([`crate::safeguarding`]).
    pub safeguarding: crate::safeguarding::policy::SafeguardingPolicy,
    /// Task due times and escalation by priority ([`crate::tasking`]).
    pub tasking: crate::tasking::policy::TaskPolicy,
    /// The team and department directory tasks and messages go to (`teams.psv`).
    pub teams: Vec<Team>,
}

/// A team or department of the force's directory (`teams.psv`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Team {
    pub code: Code,
    pub name: String,
    /// `team` (officers and staff who take tasks) or `department` (a function).
    pub kind: String,
    pub description: String,
}

/// The national files shipped in `reference/`, built in, in load order.
pub const SHIPPED: [(&str, &str); 21] = [
    (
        "reference/nsir-categories.psv",
        include_str!("../../../reference/nsir-categories.psv"),
    ),
    (
        "reference/incident-types.psv",
        include_str!("../../../reference/incident-types.psv"),
    ),
    (
        "reference/qualifiers.psv",
        include_str!("../../../reference/qualifiers.psv"),
    ),
    (
        "reference/closing-codes.psv",
        include_str!("../../../reference/closing-codes.psv"),
    ),
    (
        "reference/agencies.psv",
        include_str!("../../../reference/agencies.psv"),
    ),
    (
        "reference/dash-questions.psv",
        include_str!("../../../reference/dash-questions.psv"),
    ),
    (
        "reference/grading-policy.psv",
        include_str!("../../../reference/grading-policy.psv"),
    ),
    (
        "reference/offence-classifications.psv",
        include_str!("../../../reference/offence-classifications.psv"),
    ),
    (
        "reference/question-sets.psv",
        include_str!("../../../reference/question-sets.psv"),
    ),
    (
        "reference/signposting.psv",
        include_str!("../../../reference/signposting.psv"),
    ),
    (
        "reference/screening-factors.psv",
        include_str!("../../../reference/screening-factors.psv"),
    ),
    (
        "reference/crime-outcomes.psv",
        include_str!("../../../reference/crime-outcomes.psv"),
    ),
    (
        "reference/crime-flags.psv",
        include_str!("../../../reference/crime-flags.psv"),
    ),
    (
        "reference/bank-holidays.psv",
        include_str!("../../../reference/bank-holidays.psv"),
    ),
    (
        "reference/victim-updates.psv",
        include_str!("../../../reference/victim-updates.psv"),
    ),
    (
        "reference/referral-types.psv",
        include_str!("../../../reference/referral-types.psv"),
    ),
    (
        "reference/referral-rules.psv",
        include_str!("../../../reference/referral-rules.psv"),
    ),
    (
        "reference/sharing-bases.psv",
        include_str!("../../../reference/sharing-bases.psv"),
    ),
    (
        "reference/task-escalation.psv",
        include_str!("../../../reference/task-escalation.psv"),
    ),
    (
        "reference/teams.psv",
        include_str!("../../../reference/teams.psv"),
    ),
    (
        "reference/force-settings.psv",
        include_str!("../../../reference/force-settings.psv"),
    ),
];

/// The shipped files as [`SourceFile`]s.
pub fn shipped_files() -> Vec<SourceFile<'static>> {
    SHIPPED
        .iter()
        .map(|(name, text)| SourceFile { name, text })
        .collect()
}

/// One file's name (as shown in errors) and text.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    pub name: &'a str,
    pub text: &'a str,
}

/// The kinds of reference file, each with its file stem and its columns in order: one list,
/// so a kind cannot be added without saying where it is read from.
macro_rules! kinds {
    ($($kind:ident: $stem:literal [$($column:literal),+],)+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        enum Kind {
            $($kind,)+
        }

        impl Kind {
            const ALL: [(Kind, &'static str, &'static [&'static str]); [$($stem),+].len()] =
                [$((Kind::$kind, $stem, &[$($column),+])),+];
        }
    };
}

kinds! {
    Categories: "nsir-categories" ["code", "name", "group"],
    IncidentTypes: "incident-types" ["code", "name", "category"],
    Qualifiers: "qualifiers" ["code", "name", "description"],
    ClosingCodes: "closing-codes" ["code", "name", "category", "needs"],
    Agencies: "agencies" ["code", "name", "when_to_use", "contact"],
    DashQuestions: "dash-questions" ["number", "question"],
    Policy: "grading-policy" ["rule", "value", "grade", "reason"],
    Offences: "offence-classifications" ["code", "name", "group", "victim", "seriousness", "max_sentence", "statute", "sentence_checked"],
    PrincipalCrimeTable: "principal-crime-table" ["code", "position", "source"],
    Questions: "question-sets" ["incident_type", "fact", "question"],
    Signposting: "signposting" ["incident_type", "agency", "unless", "reason"],
    Settings: "force-settings" ["setting", "value", "meaning"],
    ScreeningFactors: "screening-factors" ["code", "kind", "weight", "supervisor_to_file", "description"],
    Outcomes: "crime-outcomes" ["code", "name", "group", "suspect", "victim", "needs"],
    Flags: "crime-flags" ["code", "name", "group", "required", "meaning"],
    BankHolidays: "bank-holidays" ["date", "name"],
    VictimUpdates: "victim-updates" ["event", "standard_working_days", "enhanced_working_days", "source"],
    ReferralTypes: "referral-types" ["code", "agency", "send_within_hours", "acknowledge_within_hours", "source"],
    ReferralRules: "referral-rules" ["rule", "when", "referral_type", "source"],
    SharingBases: "sharing-bases" ["code", "name", "legislation"],
    TaskEscalation: "task-escalation" ["priority", "due_hours", "supervisor_after_minutes", "inspector_after_minutes", "source"],
    Teams: "teams" ["code", "name", "kind", "description"],
}

impl Kind {
    fn of(file: &str) -> Option<(Kind, &'static [&'static str])> {
        let base = file.rsplit(['/', '\\']).next().unwrap_or(file);
        let stem = base.strip_suffix(".psv")?;
        Self::ALL
            .iter()
            .find(|(_, name, _)| *name == stem)
            .map(|(kind, _, columns)| (*kind, *columns))
    }
}

/// One row of a reference file, for the loaders of other modules
/// ([`crate::investigation::policy`]).
pub(crate) struct Row<'a> {
    file: &'a str,
    line: usize,
    fields: csv::StringRecord,
}

impl Row<'_> {
    pub(crate) fn error(&self, message: impl Into<String>) -> ReferenceError {
        ReferenceError {
            file: self.file.to_owned(),
            line: self.line,
            message: message.into(),
        }
    }

    pub(crate) fn text(&self, i: usize, column: &str) -> Result<String, ReferenceError> {
        let value = self.fields.get(i).map(|f| f.trim()).unwrap_or("");
        if value.is_empty() {
            return Err(self.error(format!("the {column} is empty")));
        }
        Ok(value.to_owned())
    }

    pub(crate) fn code(&self, i: usize, column: &str) -> Result<Code, ReferenceError> {
        let raw = self.text(i, column)?;
        Code::parse(column, &raw)
            .map_err(|e| self.error(format!("'{raw}' is not a valid code: {}", e.message)))
    }
}

/// The rows of a reference file: `|`-separated, `#` starts a comment line, blank lines are
/// skipped, the first other line is the header and must be exactly `columns`. Quotes are
/// ordinary characters (reasons are prose). Read by the `csv` crate, so line numbers count
/// every line of the file.
fn rows<'a>(file: SourceFile<'a>, columns: &[&str]) -> Result<Vec<Row<'a>>, ReferenceError> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(b'|')
        .comment(Some(b'#'))
        .quoting(false)
        .has_headers(false)
        .flexible(true)
        .from_reader(file.text.as_bytes());
    let mut read = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReferenceError {
            file: file.name.to_owned(),
            line: e
                .position()
                .and_then(|p| usize::try_from(p.line()).ok())
                .unwrap_or(1),
            message: format!("cannot be read: {e}"),
        })?;
        let line = record
            .position()
            .and_then(|p| usize::try_from(p.line()).ok())
            .unwrap_or(1);
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        read.push(Row {
            file: file.name,
            line,
            fields: record,
        });
    }
    let mut read = read.into_iter();
    let Some(header) = read.next() else {
        return Err(ReferenceError {
            file: file.name.to_owned(),
            line: 1,
            message: "the file has no header line".into(),
        });
    };
    let found: Vec<&str> = header.fields.iter().map(str::trim).collect();
    if found != columns {
        return Err(header.error(format!(
            "the header must be '{}', not '{}'",
            columns.join("|"),
            found.join("|")
        )));
    }
    read.map(|row| {
        if row.fields.len() != columns.len() {
            return Err(row.error(format!(
                "expected {} fields separated by '|', found {}",
                columns.len(),
                row.fields.len()
            )));
        }
        Ok(row)
    })
    .collect()
}

/// Codes already seen, with where, to report duplicates against their first definition.
#[derive(Default)]
struct Seen(BTreeMap<Code, String>);

impl Seen {
    fn add(&mut self, code: &Code, row: &Row<'_>) -> Result<(), ReferenceError> {
        if let Some(first) = self.0.get(code) {
            return Err(row.error(format!("duplicate code {code} (first defined at {first})")));
        }
        self.0
            .insert(code.clone(), format!("{}:{}", row.file, row.line));
        Ok(())
    }
}

/// A code list's entries, one a row: each row's code (column 0) checked to be new to the list
/// before `entry` reads the rest of it.
fn code_list<'r, 'f: 'r, T>(
    rows: impl Iterator<Item = &'r Row<'f>>,
    mut entry: impl FnMut(&Row<'f>, Code) -> Result<T, ReferenceError>,
) -> Result<Vec<T>, ReferenceError> {
    let mut seen = Seen::default();
    rows.map(|row| {
        let code = row.code(0, "code")?;
        seen.add(&code, row)?;
        entry(row, code)
    })
    .collect()
}

impl ReferenceData {
    /// Read and check every file. Files of the same kind add to each other (a force's own
    /// files extend the national ones); a code defined twice is an error.
    pub fn load(files: &[SourceFile<'_>]) -> Result<Self, ReferenceError> {
        let mut data = ReferenceData::default();
        let mut by_kind: Vec<(Kind, Vec<Row<'_>>)> = Vec::new();
        for file in files {
            let Some((kind, columns)) = Kind::of(file.name) else {
                return Err(ReferenceError {
                    file: file.name.to_owned(),
                    line: 1,
                    message: "unknown reference file: expected one of nsir-categories, incident-types, qualifiers, closing-codes, agencies, dash-questions, grading-policy, offence-classifications, principal-crime-table, question-sets, signposting, force-settings, screening-factors, crime-outcomes, crime-flags, bank-holidays, victim-updates, referral-types, referral-rules, sharing-bases, task-escalation or teams (.psv)".into(),
                });
            };
            by_kind.push((kind, rows(*file, columns)?));
        }
        let of = |kind: Kind| {
            by_kind
                .iter()
                .filter(move |(k, _)| *k == kind)
                .flat_map(|(_, rows)| rows.iter())
        };

        data.categories = code_list(of(Kind::Categories), |row, code| {
            let group = CategoryGroup::parse(row.fields[2].trim()).ok_or_else(|| {
                row.error("the group must be crime, asb, public_safety, transport or admin")
            })?;
            Ok(Category {
                code,
                name: row.text(1, "name")?,
                group,
            })
        })?;
        let category_known = |row: &Row<'_>, code: &Code, categories: &[Category]| {
            if categories.iter().any(|c| &c.code == code) {
                Ok(())
            } else {
                Err(row.error(format!("category {code} is not defined in nsir-categories")))
            }
        };

        data.incident_types = code_list(of(Kind::IncidentTypes), |row, code| {
            let category = row.code(2, "category")?;
            category_known(row, &category, &data.categories)?;
            Ok(IncidentType {
                code,
                name: row.text(1, "name")?,
                category,
            })
        })?;

        data.qualifiers = code_list(of(Kind::Qualifiers), |row, code| {
            Ok(Qualifier {
                code,
                name: row.text(1, "name")?,
                description: row.text(2, "description")?,
            })
        })?;

        data.closing_codes = code_list(of(Kind::ClosingCodes), |row, code| {
            let category = row.code(2, "category")?;
            category_known(row, &category, &data.categories)?;
            let needs = row.fields[3]
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(|n| {
                    ClosureNeed::parse(n).ok_or_else(|| {
                        row.error(format!(
                            "'{n}' is not a need; use crime_link, qualifier, agency or outcome"
                        ))
                    })
                })
                .collect::<Result<_, _>>()?;
            Ok(ClosingCode {
                code,
                name: row.text(1, "name")?,
                category,
                needs,
            })
        })?;

        data.agencies = code_list(of(Kind::Agencies), |row, code| {
            Ok(Agency {
                code,
                name: row.text(1, "name")?,
                when_to_use: row.text(2, "when_to_use")?,
                contact: row.text(3, "contact")?,
            })
        })?;

        for row in of(Kind::DashQuestions) {
            let raw = row.text(0, "number")?;
            let number: u8 = raw
                .parse()
                .map_err(|_| row.error(format!("'{raw}' is not a question number")))?;
            let expected = data.dash_questions.len() + 1;
            if usize::from(number) != expected {
                return Err(row.error(format!(
                    "question {number} is out of order: expected {expected}"
                )));
            }
            data.dash_questions.push(DashQuestion {
                number,
                question: row.text(1, "question")?,
            });
        }

        data.offences = code_list(of(Kind::Offences), |row, code| {
            let victim = match row.fields[3].trim() {
                "person" => VictimKind::Person,
                "organisation" => VictimKind::Organisation,
                "none" => VictimKind::None,
                other => {
                    return Err(row.error(format!(
                        "'{other}' is not a victim kind; use person, organisation or none"
                    )));
                }
            };
            let raw = row.text(4, "seriousness")?;
            let seriousness = raw
                .parse()
                .map_err(|_| row.error(format!("'{raw}' is not a seriousness number")))?;
            let raw = row.text(5, "max_sentence")?;
            let max_sentence = MaxSentence::parse(&raw).ok_or_else(|| {
                row.error(format!(
                    "'{raw}' is not a maximum sentence; use life, a number of years (14y) or months (6m), fine or unknown"
                ))
            })?;
            let sentence_verified = match row.fields[7].trim() {
                "verified" => true,
                "unverified" => false,
                other => {
                    return Err(row.error(format!(
                        "'{other}' is not a sentence check; use verified or unverified"
                    )));
                }
            };
            Ok(OffenceClass {
                code,
                name: row.text(1, "name")?,
                group: row.text(2, "group")?,
                victim,
                seriousness,
                max_sentence,
                statute: row.text(6, "statute")?,
                sentence_verified,
            })
        })?;

        data.principal_crime_table = code_list(of(Kind::PrincipalCrimeTable), |row, code| {
            if !data.offences.iter().any(|o| o.code == code) {
                return Err(row.error(format!(
                    "classification {code} is not defined in offence-classifications"
                )));
            }
            let raw = row.text(1, "position")?;
            let position = raw.parse().ok().filter(|p| *p > 0).ok_or_else(|| {
                row.error(format!(
                    "'{raw}' is not a position: 1 is the most serious, then 2, 3 ..."
                ))
            })?;
            Ok(PrincipalCrimeEntry {
                code,
                position,
                source: row.text(2, "source")?,
            })
        })?;

        for row in of(Kind::Policy) {
            data.load_policy_row(row)?;
        }
        for row in of(Kind::Questions) {
            data.load_question_row(row)?;
        }
        for row in of(Kind::Signposting) {
            data.load_signpost_row(row)?;
        }
        let investigation = &mut data.investigation;
        for row in of(Kind::ScreeningFactors) {
            investigation.load_factor(row)?;
        }
        for row in of(Kind::Outcomes) {
            investigation.load_outcome(row)?;
        }
        for row in of(Kind::Flags) {
            investigation.load_flag(row)?;
        }
        for row in of(Kind::BankHolidays) {
            investigation.load_bank_holiday(row)?;
        }
        for row in of(Kind::VictimUpdates) {
            investigation.load_update_limit(row)?;
        }
        investigation.check()?;
        for row in of(Kind::ReferralTypes) {
            data.safeguarding.load_type(row, &data.agencies)?;
        }
        for row in of(Kind::ReferralRules) {
            data.safeguarding
                .load_rule(row, &data.agencies, &data.qualifiers)?;
        }
        for row in of(Kind::SharingBases) {
            data.safeguarding.load_basis(row)?;
        }
        data.safeguarding.check()?;
        for row in of(Kind::TaskEscalation) {
            data.tasking.load_row(row)?;
        }
        data.tasking.check()?;
        data.teams = code_list(of(Kind::Teams), |row, code| {
            let kind = row.text(2, "kind")?;
            if kind != "team" && kind != "department" {
                return Err(row.error("the kind must be team or department"));
            }
            Ok(Team {
                code,
                name: row.text(1, "name")?,
                kind,
                description: row.text(3, "description")?,
            })
        })?;
        // Annex C is a force's to load (HOCR General Rules, Annex C): its absence is the
        // national default, not a missing file.
        for (kind, name, _) in Kind::ALL
            .into_iter()
            .filter(|(kind, _, _)| *kind != Kind::PrincipalCrimeTable)
        {
            if !by_kind
                .iter()
                .any(|(k, rows)| *k == kind && !rows.is_empty())
            {
                return Err(ReferenceError {
                    file: format!("{name}.psv"),
                    line: 0,
                    message: "no entries were loaded: the file is missing or empty".into(),
                });
            }
        }
        // Settings: the national default first, a force's line for the same setting after it.
        data.policy.assessment_before_grading = true;
        let mut settings_seen: Vec<String> = Vec::new();
        for row in of(Kind::Settings) {
            data.load_setting_row(row)?;
            settings_seen.push(row.text(0, "setting")?);
        }
        if let Some(missing) = REQUIRED_SETTINGS
            .iter()
            .find(|s| !settings_seen.iter().any(|seen| seen == *s))
        {
            return Err(ReferenceError {
                file: "force-settings.psv".into(),
                line: 0,
                message: format!("the setting {missing} is not set"),
            });
        }

        Ok(data)
    }

    fn load_policy_row(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let rule = row.text(0, "rule")?;
        let value = row.text(1, "value")?;
        let effect = match row.fields[2].trim() {
            "raise" => RuleEffect::Raise,
            other => RuleEffect::AtLeast(
                Grade::parse(other)
                    .map_err(|e| row.error(format!("{} (or raise, for one step up)", e.message)))?,
            ),
        };
        let reason = row.text(3, "reason")?;
        let when = match rule.as_str() {
            "target" => {
                let RuleEffect::AtLeast(grade) = effect else {
                    return Err(row.error("a target needs a grade, not raise"));
                };
                let area = Area::parse(&value)
                    .ok_or_else(|| row.error("a target's value must be urban or rural"))?;
                let minutes: u32 = reason.parse().ok().filter(|m| *m > 0).ok_or_else(|| {
                    row.error(format!(
                        "a target's minutes must be a positive whole number, not '{reason}'"
                    ))
                })?;
                if self
                    .policy
                    .targets
                    .insert((grade_key(grade), area), minutes)
                    .is_some()
                {
                    return Err(row.error(format!(
                        "a second target for {} in {} areas",
                        grade.as_str(),
                        area.as_str()
                    )));
                }
                return Ok(());
            }
            "qualifier" => {
                let code = row.code(1, "value")?;
                if !self.qualifiers.iter().any(|q| q.code == code) {
                    return Err(row.error(format!("qualifier {code} is not defined in qualifiers")));
                }
                Trigger::Qualifier(code)
            }
            "incident_type" => {
                let code = row.code(1, "value")?;
                if self.incident_type(code.as_str()).is_none() {
                    return Err(row.error(format!(
                        "incident type {code} is not defined in incident-types"
                    )));
                }
                Trigger::IncidentType(code)
            }
            "signpost" => {
                return Err(row.error(
                    "signposting rules are in signposting.psv (incident_type|agency|unless|reason)",
                ));
            }
            "repeat_victim" | "repeat_caller" | "repeat_location" => {
                let kind = match rule.as_str() {
                    "repeat_victim" => RepeatKind::Victim,
                    "repeat_caller" => RepeatKind::Caller,
                    _ => RepeatKind::Location,
                };
                let count: u32 = value.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                    row.error(format!(
                        "a repeat rule's value is how many incidents (a positive whole number), not '{value}'"
                    ))
                })?;
                Trigger::Repeat(kind, count)
            }
            "vulnerability" => Trigger::Vulnerability(
                VulnerabilityFlag::parse(&value).map_err(|e| row.error(e.message))?,
            ),
            "dash_risk" => Trigger::DashRisk(
                DashRisk::parse(&value)
                    .ok_or_else(|| row.error("a DASH risk is standard, medium or high"))?,
            ),
            other => {
                return Err(row.error(format!(
                    "'{other}' is not a rule; use qualifier, vulnerability, dash_risk, incident_type, repeat_victim, repeat_caller, repeat_location or target"
                )));
            }
        };
        if effect == RuleEffect::AtLeast(Grade::Signposted) {
            return Err(row.error(
                "a minimum of signposted asks for nothing; signposting rules are in signposting.psv",
            ));
        }
        self.policy.rules.push(MinimumGradeRule {
            when,
            effect,
            reason,
        });
        Ok(())
    }

    fn load_question_row(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let raw_type = row.text(0, "incident_type")?;
        let incident_type = if raw_type == "*" {
            None
        } else {
            let code = row.code(0, "incident_type")?;
            if self.incident_type(code.as_str()).is_none() {
                return Err(row.error(format!(
                    "incident type {code} is not defined in incident-types (use * for every type)"
                )));
            }
            Some(code)
        };
        let fact = row.code(1, "fact")?;
        if self.qualifier(fact.as_str()).is_none() {
            return Err(row.error(format!(
                "fact {fact} is not defined in qualifiers: a 'yes' records that qualifier"
            )));
        }
        if self
            .questions
            .iter()
            .any(|q| q.incident_type == incident_type && q.fact == fact)
        {
            return Err(row.error(format!("a second question for {fact} on {raw_type}")));
        }
        self.questions.push(Question {
            incident_type,
            fact,
            question: row.text(2, "question")?,
        });
        Ok(())
    }

    fn load_signpost_row(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let incident_type = row.code(0, "incident_type")?;
        if self.incident_type(incident_type.as_str()).is_none() {
            return Err(row.error(format!(
                "incident type {incident_type} is not defined in incident-types"
            )));
        }
        if self
            .policy
            .signposting
            .iter()
            .any(|r| r.incident_type == incident_type)
        {
            return Err(row.error(format!("a second signposting rule for {incident_type}")));
        }
        let agency = row.code(1, "agency")?;
        if self.agency(agency.as_str()).is_none() {
            return Err(row.error(format!("agency {agency} is not defined in agencies")));
        }
        let mut unless = Vec::new();
        let mut unless_vulnerable = false;
        for word in row.fields[2]
            .split(',')
            .map(str::trim)
            .filter(|w| !w.is_empty())
        {
            if word == "vulnerable" {
                unless_vulnerable = true;
                continue;
            }
            let code = Code::parse("unless", word)
                .ok()
                .filter(|c| self.qualifier(c.as_str()).is_some())
                .ok_or_else(|| {
                    row.error(format!(
                        "'{word}' in unless is neither a qualifier in qualifiers nor the word vulnerable"
                    ))
                })?;
            unless.push(code);
        }
        self.policy.signposting.push(SignpostRule {
            incident_type,
            agency,
            unless,
            unless_vulnerable,
            reason: row.text(3, "reason")?,
        });
        Ok(())
    }

    fn load_setting_row(&mut self, row: &Row<'_>) -> Result<(), ReferenceError> {
        let setting = row.text(0, "setting")?;
        let value = row.text(1, "value")?;
        if self.investigation.load_setting(row, &setting, &value)? {
            return Ok(());
        }
        let number = |what: &str| {
            value.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(|| {
                row.error(format!("{what} is a whole number above 0, not '{value}'"))
            })
        };
        let list = || -> Vec<&str> {
            value
                .split(',')
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .collect()
        };
        let agencies = |codes: Vec<&str>| -> Result<Vec<String>, ReferenceError> {
            codes
                .into_iter()
                .map(|c| {
                    if self.agency(c).is_some() {
                        Ok(c.to_owned())
                    } else {
                        Err(row.error(format!("agency {c} is not defined in agencies")))
                    }
                })
                .collect()
        };
        match setting.as_str() {
            "assessment_before_grading" => {
                self.policy.assessment_before_grading = match value.as_str() {
                    "required" => true,
                    "optional" => false,
                    other => {
                        return Err(row.error(format!(
                            "assessment_before_grading is required or optional, not '{other}'"
                        )));
                    }
                }
            }
            "dash_high_yes" => self.policy.dash.high_yes = number(&setting)? as usize,
            "dash_medium_yes" => self.policy.dash.medium_yes = number(&setting)? as usize,
            "dash_escalation_incidents" => {
                self.policy.dash.escalation_incidents = number(&setting)?;
            }
            "repeat_victim_incidents" => self.policy.repeat_victim_incidents = number(&setting)?,
            "dash_children_questions" => {
                let mut numbers = Vec::new();
                for n in list() {
                    let known = n.parse::<usize>().ok().filter(|n| {
                        self.dash_questions
                            .iter()
                            .any(|q| usize::from(q.number) == *n)
                    });
                    numbers.push(known.ok_or_else(|| {
                        row.error(format!(
                            "'{n}' is not a DASH question number (dash-questions)"
                        ))
                    })?);
                }
                self.policy.dash.children_questions = numbers;
            }
            "dash_children_qualifiers" => {
                let mut codes = Vec::new();
                for c in list() {
                    if self.qualifier(c).is_none() {
                        return Err(
                            row.error(format!("qualifier {c} is not defined in qualifiers"))
                        );
                    }
                    codes.push(c.to_owned());
                }
                self.policy.dash.children_qualifiers = codes;
            }
            "dash_children_referral" => {
                let mut codes = agencies(list())?;
                if codes.len() != 1 {
                    return Err(row.error("dash_children_referral names one agency"));
                }
                self.policy.dash.children_referral = codes.remove(0);
            }
            "dash_high_referrals" => self.policy.dash.high_referrals = agencies(list())?,
            "dash_other_referrals" => self.policy.dash.other_referrals = agencies(list())?,
            "attend_before_closing" => {
                let mut grades = Vec::new();
                for g in list() {
                    grades.push(Grade::parse(g).map_err(|e| row.error(e.message))?);
                }
                self.policy.attend_before_closing = grades;
            }
            other => {
                return Err(row.error(format!(
                    "'{other}' is not a setting; the settings are: {}",
                    REQUIRED_SETTINGS.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// The questions for an incident type, those for every type first; one per fact.
    pub fn questions_for(&self, incident_type: Option<&str>) -> Vec<&Question> {
        let mut found: Vec<&Question> = Vec::new();
        let general = self.questions.iter().filter(|q| q.incident_type.is_none());
        let specific = self.questions.iter().filter(|q| {
            q.incident_type
                .as_ref()
                .is_some_and(|t| Some(t.as_str()) == incident_type)
        });
        for q in general.chain(specific) {
            if !found.iter().any(|f| f.fact == q.fact) {
                found.push(q);
            }
        }
        found
    }

    pub fn incident_type(&self, code: &str) -> Option<&IncidentType> {
        self.incident_types.iter().find(|t| t.code.as_str() == code)
    }

    pub fn category(&self, code: &Code) -> Option<&Category> {
        self.categories.iter().find(|c| &c.code == code)
    }

    pub fn qualifier(&self, code: &str) -> Option<&Qualifier> {
        self.qualifiers.iter().find(|q| q.code.as_str() == code)
    }

    pub fn closing_code(&self, code: &str) -> Option<&ClosingCode> {
        self.closing_codes.iter().find(|c| c.code.as_str() == code)
    }

    /// Where a classification stands in the force's Annex C table (1 the most serious), if
    /// the force loaded one and it lists the class.
    pub fn principal_crime_position(&self, code: &str) -> Option<&PrincipalCrimeEntry> {
        self.principal_crime_table
            .iter()
            .find(|e| e.code.as_str().eq_ignore_ascii_case(code.trim()))
    }

    pub fn offence(&self, code: &str) -> Option<&OffenceClass> {
        self.offences
            .iter()
            .find(|o| o.code.as_str().eq_ignore_ascii_case(code.trim()))
    }

    pub fn team(&self, code: &str) -> Option<&Team> {
        self.teams.iter().find(|t| t.code.as_str() == code)
    }

    pub fn agency(&self, code: &str) -> Option<&Agency> {
        self.agencies.iter().find(|a| a.code.as_str() == code)
    }
}

impl fmt::Display for CategoryGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Crime => "crime",
            Self::Asb => "anti-social behaviour",
            Self::PublicSafety => "public safety and welfare",
            Self::Transport => "transport",
            Self::Admin => "administrative",
        })
    }
}

#[cfg(test)]
pub(crate) mod tests;
