//! The incident: what the control room manages from the first contact to closure.
//!
//! Event-sourced. [`decide`] takes the current state and a command and either rejects the
//! command with a reason or returns the events it causes; [`Incident::apply`] folds one event
//! into the state. The store keeps only the events (and projections rebuilt from them), so the
//! state after a restart is exactly the fold of what was recorded.
//!
//! Lifecycle: `open → graded → (dispatched → at_scene →) resolved → closed`, and `reopen`
//! (from resolved or closed, with a reason) back to `open`, after which the incident must be
//! graded again: a reopened incident is a fresh assessment of risk.

use crate::aggregate::{Aggregate, Decide, Event, FoldError, Folding, misfit};
use crate::assessment::{Answer, DashAssessment, Subject, ThriveAssessment, VulnerabilityFlag};
use crate::contact::{Contact, ContactId};
use crate::grading::RepeatCounts;
use crate::ncrs::NonCrimeReason;
use crate::stream::{StreamId, StreamKind};
use crate::text::{Code, Invalid, required_text};
use crate::user::Username;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

id_type!(IncidentId(Uuid));

/// The force-unique reference a handler reads out over the radio: the local (Europe/London)
/// date the incident was opened and its number that day, e.g. `20261122-0042`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IncidentRef(String);

impl IncidentRef {
    pub fn new(date: jiff::civil::Date, number: u32) -> Self {
        Self(format!("{}-{number:04}", date.strftime("%Y%m%d")))
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let bad = || {
            Invalid::new(
                "reference",
                format!("'{raw}' is not an incident reference like 20261122-0042"),
            )
        };
        let (date, number) = raw.trim().split_once('-').ok_or_else(bad)?;
        let date_ok = date.len() == 8 && jiff::civil::Date::strptime("%Y%m%d", date).is_ok();
        let number: u32 = if number.len() >= 4 && number.chars().all(|c| c.is_ascii_digit()) {
            number.parse().map_err(|_| bad())?
        } else {
            return Err(bad());
        };
        if !date_ok || number == 0 {
            return Err(bad());
        }
        Ok(Self(format!("{date}-{number:04}")))
    }
}

text_value!(IncidentRef, IncidentRef::parse);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Status {
    Open,
    Graded,
    Dispatched,
    AtScene,
    Resolved,
    Closed,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Open,
        Status::Graded,
        Status::Dispatched,
        Status::AtScene,
        Status::Resolved,
        Status::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Whether the incident is waiting for a unit: taken or graded, nobody sent yet. (Whether
    /// its grade sends a unit at all is the grade's to say.)
    pub fn awaits_unit(self) -> bool {
        matches!(self, Status::Open | Status::Graded)
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new(
                "status",
                format!("'{raw}' is not a status; use open, graded, dispatched, at_scene, resolved or closed"),
            )
        })
    }
}

/// The response decided for the incident (the national grading model used by forces).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum Grade {
    Emergency,
    Priority,
    Scheduled,
    ResolutionWithoutDeployment,
    Signposted,
}

impl Grade {
    pub const ALL: [Grade; 5] = [
        Grade::Emergency,
        Grade::Priority,
        Grade::Scheduled,
        Grade::ResolutionWithoutDeployment,
        Grade::Signposted,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        Self::ALL.into_iter().find(|g| g.as_str() == raw.trim()).ok_or_else(|| {
            Invalid::new(
                "grade",
                format!(
                    "'{raw}' is not a grade; use emergency, priority, scheduled, resolution_without_deployment or signposted"
                ),
            )
        })
    }

    /// Whether this grade sends someone: only these may be dispatched.
    pub fn deploys(self) -> bool {
        matches!(self, Grade::Emergency | Grade::Priority | Grade::Scheduled)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    /// 1, 2, 3… in the order written; never reused.
    pub number: u32,
    pub at: Timestamp,
    pub author: Username,
    pub text: String,
    /// The entry this one corrects. The original stays as written: the log is never edited.
    pub corrects: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: Timestamp,
    pub by: Username,
    pub from: Option<Status>,
    pub to: Status,
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeDecision {
    pub grade: Grade,
    pub rationale: String,
    /// The grade recommended at the time, if one was worked out.
    pub recommended: Option<Grade>,
    /// Set when the handler chose a lower grade than recommended: why.
    pub override_reason: Option<String>,
    /// The attendance target in force when graded (minutes), for grades that deploy.
    pub attendance_target_minutes: Option<u32>,
    pub at: Timestamp,
    pub by: Username,
}

/// How a resolution without deployment ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum RwdOutcome {
    AdviceGiven,
    OnlineReport,
    DeskInvestigation,
}

impl RwdOutcome {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        crate::text::parse_word(
            "outcome",
            raw,
            "an outcome; use advice_given, online_report or desk_investigation",
        )
    }

    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// What NSIR and NCRS ask for at closure besides the code, qualifiers and resolution.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosureDetails {
    /// What the incident turned out to be, if different from the opening type.
    #[serde(default)]
    pub final_incident_type: Option<Code>,
    /// The crime record this incident produced.
    #[serde(default)]
    pub crime_reference: Option<String>,
    /// Why no crime was recorded although the closing code is in the Crime category.
    #[serde(default)]
    pub non_crime_rationale: Option<String>,
    #[serde(default)]
    pub outcome: Option<RwdOutcome>,
}

/// An assessment with who made it and when; earlier versions are kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Versioned<T> {
    pub value: T,
    pub at: Timestamp,
    pub by: Username,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VulnerabilityEntry {
    pub subject: Subject,
    pub flags: Vec<VulnerabilityFlag>,
    pub note: Option<String>,
    pub at: Timestamp,
    pub by: Username,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Signpost {
    pub agency: Code,
    pub advice: String,
    pub at: Timestamp,
    pub by: Username,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Closure {
    pub closing_code: Code,
    pub qualifiers: Vec<Code>,
    pub resolution: String,
    pub details: ClosureDetails,
    pub at: Timestamp,
    pub by: Username,
}

/// A crime recorded from an incident: the incident's side of the link.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CrimeLink {
    pub crime_id: Uuid,
    pub reference: String,
    pub classification: Code,
    pub at: Timestamp,
    pub by: Username,
}

/// NCRS: the decision that a reported incident is not to be recorded as a crime, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NonCrimeDecision {
    pub reason: NonCrimeReason,
    pub rationale: String,
    pub at: Timestamp,
    pub by: Username,
}

/// A supervisor's approval to close an emergency or priority incident without attendance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnattendedClosureApproval {
    pub reason: String,
    pub at: Timestamp,
    pub by: Username,
}

/// One answer to a question of the incident type's question set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactAnswer {
    /// The fact the question establishes (a qualifier code).
    pub fact: Code,
    pub answer: Answer,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Incident {
    pub id: IncidentId,
    pub reference: IncidentRef,
    pub incident_type: Option<Code>,
    pub status: Status,
    pub opened_at: Timestamp,
    pub opened_by: Username,
    /// Every grading decision, oldest first; the last is the current grade.
    pub grades: Vec<GradeDecision>,
    pub closure: Option<Closure>,
    pub contacts: Vec<Contact>,
    /// Shared entries: an incident is copied to decide on and to keep between commands, and
    /// a long log must not make that copy cost what the log does.
    pub log: Vec<std::sync::Arc<LogEntry>>,
    /// The crime-indicator phrases the log's entries hold (`ncrs::indicators`), in the order
    /// first written: gathered as each entry is folded, so an answer on a long log does not
    /// read it all again.
    pub log_phrases: Vec<&'static str>,
    pub history: Vec<StatusChange>,
    /// Qualifiers known so far (classification); the closing qualifiers are in `closure`.
    pub qualifiers: Vec<Code>,
    /// Every THRIVE assessment, oldest first; the last is current.
    pub thrive: Vec<Versioned<ThriveAssessment>>,
    pub vulnerabilities: Vec<VulnerabilityEntry>,
    pub dash: Vec<Versioned<DashAssessment>>,
    pub signposts: Vec<Signpost>,
    /// The diary appointment for a scheduled response, while one stands.
    pub appointment: Option<crate::diary::SlotKey>,
    /// NCRS: when the incident first became a report of crime (a Crime-category type or
    /// closing code). Never unset: a later reopening or retyping does not stop the clock.
    pub crime_reported_at: Option<Timestamp>,
    /// Crimes recorded from this incident (NCRS), oldest first.
    pub crimes: Vec<CrimeLink>,
    /// The recorder's decision that no crime is to be recorded. It stays on file if a crime
    /// is recorded later on new information.
    pub non_crime: Option<NonCrimeDecision>,
    /// The question set's answers by fact (a qualifier code): the latest answer to each.
    pub answers: BTreeMap<Code, Answer>,
    /// The repeat counts from the last intelligence check on this incident.
    pub repeats: Option<RepeatCounts>,
    /// Every record on which an intelligence check on this incident found warning markers
    /// (in the order first found): what the dispatch board shows the markers of.
    pub warnings_on: Vec<crate::pole::RecordRef>,
    /// A supervisor's approval to close an emergency or priority incident no unit attended.
    pub unattended_closure: Option<UnattendedClosureApproval>,
    pub last_changed_at: Timestamp,
    /// How many events have been applied: the stream's version.
    pub version: u64,
}

impl Incident {
    pub fn grade(&self) -> Option<Grade> {
        self.grades.last().map(|g| g.grade)
    }

    pub fn current_thrive(&self) -> Option<&ThriveAssessment> {
        self.thrive.last().map(|v| &v.value)
    }

    /// Every vulnerability flag recorded for anyone in the incident.
    pub fn flags(&self) -> Vec<VulnerabilityFlag> {
        let mut flags: Vec<VulnerabilityFlag> = self
            .vulnerabilities
            .iter()
            .flat_map(|v| v.flags.iter().copied())
            .collect();
        flags.sort();
        flags.dedup();
        flags
    }

    pub fn current_dash(&self) -> Option<&DashAssessment> {
        self.dash.last().map(|v| &v.value)
    }

    /// When the NCRS recording decision was made: the first crime recorded or the non-crime
    /// decision, whichever came first. Later decisions do not restart the clock.
    pub fn recording_decided_at(&self) -> Option<Timestamp> {
        let crime = self.crimes.first().map(|c| c.at);
        let non_crime = self.non_crime.as_ref().map(|n| n.at);
        match (crime, non_crime) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// An incident graded one of `attend` (the force's `attend_before_closing` setting:
    /// emergency and priority by default) that no unit attended: closing it needs a
    /// supervisor's approval with a reason (graded response: the grade promised a unit).
    pub fn needs_attendance_before_closing(&self, attend: &[Grade]) -> bool {
        self.grade().is_some_and(|g| attend.contains(&g)) && self.arrived_at().is_none()
    }

    /// When a unit last arrived at the scene.
    pub fn arrived_at(&self) -> Option<Timestamp> {
        self.history
            .iter()
            .rev()
            .find(|h| h.to == Status::AtScene)
            .map(|h| h.at)
    }
}

/// What happened to an incident. Stored as JSON in the audit log; the names are part of the
/// stored format, so they are never renamed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum IncidentEvent {
    #[strum(serialize = "incident_opened")]
    Opened {
        id: IncidentId,
        reference: IncidentRef,
        incident_type: Option<Code>,
    },
    ContactJoined {
        contact: Contact,
    },
    LogEntryAdded {
        number: u32,
        text: String,
        corrects: Option<u32>,
    },
    #[strum(serialize = "incident_graded")]
    Graded {
        grade: Grade,
        rationale: String,
        #[serde(default)]
        recommended: Option<Grade>,
        #[serde(default)]
        override_reason: Option<String>,
        #[serde(default)]
        attendance_target_minutes: Option<u32>,
    },
    #[strum(serialize = "incident_classified")]
    Classified {
        incident_type: Option<Code>,
        qualifiers: Vec<Code>,
    },
    ThriveAssessed {
        assessment: ThriveAssessment,
    },
    VulnerabilityRecorded {
        subject: Subject,
        flags: Vec<VulnerabilityFlag>,
        note: Option<String>,
    },
    DashCompleted {
        assessment: DashAssessment,
    },
    #[strum(serialize = "caller_signposted")]
    Signposted {
        agency: Code,
        advice: String,
    },
    #[strum(serialize = "incident_dispatched")]
    Dispatched {
        note: Option<String>,
    },
    ArrivedAtScene,
    #[strum(serialize = "incident_resolved")]
    Resolved {
        resolution: String,
    },
    #[strum(serialize = "incident_closed")]
    Closed {
        closing_code: Code,
        qualifiers: Vec<Code>,
        resolution: String,
        #[serde(default, flatten)]
        details: ClosureDetails,
    },
    #[strum(serialize = "incident_reopened")]
    Reopened {
        reason: String,
    },
    /// The same event as another incident, whose reference it names; its callers joined that
    /// incident in the same transaction (NSIR: one event, one incident).
    #[strum(serialize = "incident_closed_as_duplicate")]
    ClosedAsDuplicate {
        of: IncidentRef,
    },
    /// A diary appointment booked (`slot`), or ended (`slot: None`), with what happened.
    AppointmentSet {
        slot: Option<crate::diary::SlotKey>,
        note: String,
    },
    /// NCRS: the incident became a report of crime, so the 24-hour recording clock runs.
    /// Written by the application beside the change that made it one (the reference data
    /// decides which codes are crimes), so the fact stays whatever is changed later.
    CrimeReported,
    /// A crime record was made from this incident (written with the crime's own events).
    #[strum(serialize = "incident_crime_recorded")]
    CrimeRecorded {
        crime_id: Uuid,
        reference: String,
        classification: Code,
    },
    /// NCRS: the recorder decided no crime is to be recorded, with the reason and rationale.
    NonCrimeDecided {
        reason: NonCrimeReason,
        rationale: String,
    },
    /// Answers to the incident type's questions (each replaces an earlier answer to the same).
    QuestionsAnswered {
        answers: Vec<FactAnswer>,
    },
    /// An intelligence check ran on the incident: the repeat counts it found, and the records
    /// (people, vehicles, locations) on which it found warning markers still standing.
    IntelligenceChecked {
        repeats: RepeatCounts,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        warnings_on: Vec<crate::pole::RecordRef>,
    },
    /// A supervisor approved closing an emergency or priority incident no unit attended.
    UnattendedClosureApproved {
        reason: String,
    },
}

/// An event with who did it and when: what the store records and what replay folds.
#[derive(Debug, Clone, PartialEq)]
pub struct Stamped<E> {
    pub at: Timestamp,
    pub by: Username,
    pub event: E,
}

/// Something a user asks to do to an incident. Build the text-carrying ones with the
/// constructors, which check the text once.
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentCommand {
    Open {
        id: IncidentId,
        reference: IncidentRef,
        incident_type: Option<Code>,
        contact: Contact,
    },
    JoinContact {
        contact: Contact,
    },
    AddLogEntry {
        text: String,
        corrects: Option<u32>,
    },
    Grade {
        grade: Grade,
        rationale: String,
        recommended: Option<Grade>,
        override_reason: Option<String>,
        attendance_target_minutes: Option<u32>,
    },
    Classify {
        incident_type: Option<Code>,
        qualifiers: Vec<Code>,
    },
    AssessThrive(ThriveAssessment),
    RecordVulnerability {
        subject: Subject,
        flags: Vec<VulnerabilityFlag>,
        note: Option<String>,
    },
    CompleteDash(DashAssessment),
    Signpost {
        agency: Code,
        advice: String,
    },
    RecordDispatch {
        note: Option<String>,
    },
    RecordArrival,
    Resolve {
        resolution: String,
    },
    Close {
        closing_code: Code,
        qualifiers: Vec<Code>,
        resolution: String,
        details: ClosureDetails,
    },
    Reopen {
        reason: String,
    },
    CloseAsDuplicate {
        of: IncidentRef,
    },
    SetAppointment {
        slot: Option<crate::diary::SlotKey>,
        note: String,
    },
    /// Link a crime just recorded from this incident.
    LinkCrime {
        crime_id: Uuid,
        reference: String,
        classification: Code,
    },
    DecideNonCrime {
        reason: NonCrimeReason,
        rationale: String,
    },
    AnswerQuestions {
        answers: Vec<FactAnswer>,
        /// The questions and answers in words, for the incident log.
        log: String,
    },
    RecordIntelligenceCheck {
        repeats: RepeatCounts,
        /// The records on which the check found current warning markers.
        warnings_on: Vec<crate::pole::RecordRef>,
    },
    ApproveUnattendedClosure {
        reason: String,
    },
}

pub const LOG_TEXT_MAX: usize = crate::limits::NARRATIVE;
pub const RATIONALE_MAX: usize = crate::limits::RATIONALE;
pub const MAX_QUALIFIERS: usize = crate::limits::QUALIFIERS;

impl IncidentCommand {
    pub fn add_log_entry(text: &str, corrects: Option<u32>) -> Result<Self, Invalid> {
        Ok(Self::AddLogEntry {
            text: required_text("text", text, LOG_TEXT_MAX)?,
            corrects,
        })
    }

    pub fn grade(grade: &str, rationale: &str) -> Result<Self, Invalid> {
        let grade = Grade::parse(grade)?;
        let rationale = required_text("rationale", rationale, RATIONALE_MAX).map_err(|e| {
            Invalid::new(
                e.field,
                format!("{} (say why this grade was chosen)", e.message),
            )
        })?;
        Ok(Self::Grade {
            grade,
            rationale,
            recommended: None,
            override_reason: None,
            attendance_target_minutes: None,
        })
    }

    pub fn close(
        closing_code: Option<&str>,
        qualifiers: &[String],
        resolution: &str,
    ) -> Result<Self, Invalid> {
        let closing_code = match closing_code {
            Some(code) if !code.trim().is_empty() => Code::parse("closing_code", code)?,
            _ => {
                return Err(Invalid::new(
                    "closing_code",
                    "an incident cannot be closed without a closing code",
                ));
            }
        };
        if qualifiers.len() > MAX_QUALIFIERS {
            return Err(Invalid::new(
                "qualifiers",
                format!("at most {MAX_QUALIFIERS} qualifiers"),
            ));
        }
        let mut parsed: Vec<Code> = Vec::with_capacity(qualifiers.len());
        for (i, q) in qualifiers.iter().enumerate() {
            let code = Code::parse(&format!("qualifiers[{i}]"), q)?;
            if !parsed.contains(&code) {
                parsed.push(code);
            }
        }
        let resolution = required_text("resolution", resolution, LOG_TEXT_MAX)?;
        Ok(Self::Close {
            closing_code,
            qualifiers: parsed,
            resolution,
            details: ClosureDetails::default(),
        })
    }

    pub fn decide_non_crime(reason: &str, rationale: &str) -> Result<Self, Invalid> {
        Ok(Self::DecideNonCrime {
            reason: NonCrimeReason::parse(reason)?,
            rationale: required_text("rationale", rationale, RATIONALE_MAX)?,
        })
    }

    pub fn approve_unattended_closure(reason: &str) -> Result<Self, Invalid> {
        Ok(Self::ApproveUnattendedClosure {
            reason: required_text("reason", reason, RATIONALE_MAX)?,
        })
    }

    pub fn reopen(reason: &str) -> Result<Self, Invalid> {
        Ok(Self::Reopen {
            reason: required_text("reason", reason, RATIONALE_MAX)?,
        })
    }

    pub fn resolve(resolution: &str) -> Result<Self, Invalid> {
        Ok(Self::Resolve {
            resolution: required_text("resolution", resolution, LOG_TEXT_MAX)?,
        })
    }
}

/// Why a command was refused although its input was well formed: the incident is not in a
/// state that allows it. `code` is stable for programs; `reason` is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Rejected {
    pub code: &'static str,
    pub reason: String,
}

fn reject<T>(code: &'static str, reason: impl Into<String>) -> Result<T, Rejected> {
    Err(Rejected {
        code,
        reason: reason.into(),
    })
}

/// Decide what a command does to an incident (`None`: the incident does not exist yet).
pub fn decide(
    state: Option<&Incident>,
    command: IncidentCommand,
) -> Result<Vec<IncidentEvent>, Rejected> {
    use IncidentCommand as C;
    use IncidentEvent as E;

    let incident = match (state, command) {
        (
            None,
            C::Open {
                id,
                reference,
                incident_type,
                contact,
            },
        ) => {
            return Ok(vec![
                E::Opened {
                    id,
                    reference,
                    incident_type,
                },
                E::ContactJoined { contact },
            ]);
        }
        (None, _) => return reject("not_found", "no such incident"),
        (Some(incident), command) => (incident, command),
    };
    let (incident, command) = incident;
    let reference = &incident.reference;
    let status = incident.status;

    match command {
        C::Open { .. } => reject(
            "already_exists",
            format!("incident {reference} already exists"),
        ),
        C::JoinContact { contact } => {
            if status == Status::Closed {
                return reject(
                    "incident_closed",
                    format!(
                        "incident {reference} is closed: reopen it with a reason, or open a new incident for this contact"
                    ),
                );
            }
            if incident.contacts.iter().any(|c| c.id == contact.id) {
                return reject(
                    "duplicate_contact",
                    "this contact is already part of the incident",
                );
            }
            Ok(vec![E::ContactJoined { contact }])
        }
        C::AddLogEntry { text, corrects } => {
            if status == Status::Closed {
                return reject(
                    "incident_closed",
                    format!(
                        "incident {reference} is closed: its log cannot be written until it is reopened with a reason"
                    ),
                );
            }
            if let Some(n) = corrects
                && !incident.log.iter().any(|e| e.number == n)
            {
                return reject(
                    "no_such_log_entry",
                    format!("there is no log entry {n} to correct"),
                );
            }
            let number = next_log_number(incident);
            Ok(vec![E::LogEntryAdded {
                number,
                text,
                corrects,
            }])
        }
        C::Classify { .. }
        | C::AssessThrive(_)
        | C::RecordVulnerability { .. }
        | C::CompleteDash(_)
        | C::Signpost { .. }
        | C::AnswerQuestions { .. }
            if status == Status::Closed =>
        {
            reject(
                "incident_closed",
                format!(
                    "incident {reference} is closed: reopen it with a reason to assess it again"
                ),
            )
        }
        C::Classify {
            incident_type,
            qualifiers,
        } => Ok(vec![E::Classified {
            incident_type,
            qualifiers,
        }]),
        C::AssessThrive(assessment) => Ok(vec![E::ThriveAssessed { assessment }]),
        C::RecordVulnerability {
            subject,
            flags,
            note,
        } => Ok(vec![E::VulnerabilityRecorded {
            subject,
            flags,
            note,
        }]),
        C::CompleteDash(assessment) => Ok(vec![E::DashCompleted { assessment }]),
        C::Signpost { agency, advice } => Ok(vec![E::Signposted { agency, advice }]),
        C::AnswerQuestions { answers, log } => {
            // Only answers that change something are recorded; the log says what was asked.
            let changed: Vec<FactAnswer> = answers
                .into_iter()
                .filter(|a| incident.answers.get(&a.fact) != Some(&a.answer))
                .collect();
            if changed.is_empty() {
                return reject("no_change", "these answers are already recorded");
            }
            let mut events = vec![E::QuestionsAnswered { answers: changed }];
            if !log.trim().is_empty() {
                events.push(E::LogEntryAdded {
                    number: next_log_number(incident),
                    text: log,
                    corrects: None,
                });
            }
            Ok(events)
        }
        // A check on a closed incident still counts: it is what was known.
        C::RecordIntelligenceCheck {
            repeats,
            warnings_on,
        } => Ok(vec![E::IntelligenceChecked {
            repeats,
            warnings_on,
        }]),
        C::ApproveUnattendedClosure { reason } => {
            if status == Status::Closed {
                return reject(
                    "incident_closed",
                    format!("incident {reference} is already closed"),
                );
            }
            // Which grades promise a unit is force data: the application checks the grade
            // against it; here, an ungraded or attended incident never needs the approval.
            if incident.grade().is_none() || incident.arrived_at().is_some() {
                return reject(
                    "approval_not_needed",
                    format!(
                        "incident {reference} needs no approval to close: it is not graded, or a unit attended"
                    ),
                );
            }
            Ok(vec![E::UnattendedClosureApproved { reason }])
        }
        C::Grade {
            grade,
            rationale,
            recommended,
            override_reason,
            attendance_target_minutes,
        } => match status {
            Status::Resolved | Status::Closed => reject(
                "incident_closed",
                format!(
                    "incident {reference} is {}: it cannot be graded unless it is reopened",
                    status.as_str()
                ),
            ),
            Status::Dispatched | Status::AtScene if !grade.deploys() => reject(
                "units_attached",
                format!(
                    "incident {reference} has units {}: it cannot be graded {} until they are released",
                    if status == Status::AtScene {
                        "at scene"
                    } else {
                        "dispatched"
                    },
                    grade.as_str()
                ),
            ),
            _ => Ok(vec![E::Graded {
                grade,
                rationale,
                recommended,
                override_reason,
                attendance_target_minutes,
            }]),
        },
        C::RecordDispatch { note } => match (status, incident.grade()) {
            (Status::Graded, Some(grade)) if grade.deploys() => Ok(vec![E::Dispatched { note }]),
            (Status::Graded, Some(grade)) => reject(
                "grade_does_not_deploy",
                format!(
                    "incident {reference} is graded {}: re-grade it before dispatching",
                    grade.as_str()
                ),
            ),
            // Early dispatch: an emergency is sent as soon as its place and type are known,
            // while the handler is still taking details (APP contact management).
            // A grade kept from before a reopen must still send someone.
            (Status::Open, grade)
                if incident.incident_type.is_some() && grade.is_none_or(Grade::deploys) =>
            {
                Ok(vec![E::Dispatched { note }])
            }
            (Status::Open, _) => reject(
                "not_graded",
                format!(
                    "grade incident {reference} before dispatching, or give it an incident type for early dispatch"
                ),
            ),
            _ => reject(
                "invalid_transition",
                format!(
                    "incident {reference} is {} and cannot be dispatched",
                    status.as_str()
                ),
            ),
        },
        C::RecordArrival => match status {
            Status::Dispatched => Ok(vec![E::ArrivedAtScene]),
            _ => reject(
                "invalid_transition",
                format!(
                    "incident {reference} is {}: a unit can only arrive once dispatched",
                    status.as_str()
                ),
            ),
        },
        C::Resolve { resolution } => match status {
            Status::Graded | Status::Dispatched | Status::AtScene => {
                Ok(vec![E::Resolved { resolution }])
            }
            Status::Open => reject(
                "not_graded",
                format!("grade incident {reference} before resolving it"),
            ),
            _ => reject(
                "invalid_transition",
                format!("incident {reference} is already {}", status.as_str()),
            ),
        },
        C::Close {
            closing_code,
            qualifiers,
            resolution,
            details,
        } => match status {
            Status::Graded | Status::Dispatched | Status::AtScene | Status::Resolved => {
                Ok(vec![E::Closed {
                    closing_code,
                    qualifiers,
                    resolution,
                    details,
                }])
            }
            Status::Open => reject(
                "not_graded",
                format!("incident {reference} has not been graded: grade it before closing it"),
            ),
            Status::Closed => reject(
                "incident_closed",
                format!("incident {reference} is already closed"),
            ),
        },
        C::SetAppointment { slot, note } => {
            if status == Status::Closed {
                return reject("incident_closed", format!("incident {reference} is closed"));
            }
            if slot.is_some() && incident.grade() != Some(Grade::Scheduled) {
                return reject(
                    "not_scheduled",
                    format!(
                        "incident {reference} is not graded scheduled: only a scheduled response is booked into the diary"
                    ),
                );
            }
            Ok(vec![E::AppointmentSet { slot, note }])
        }
        C::CloseAsDuplicate { of } => {
            if status == Status::Closed {
                return reject(
                    "incident_closed",
                    format!("incident {reference} is already closed"),
                );
            }
            if &of == reference {
                return reject(
                    "same_incident",
                    "an incident cannot be a duplicate of itself",
                );
            }
            Ok(vec![E::ClosedAsDuplicate { of }])
        }
        // Crime recording follows the incident and often its closure, so neither command
        // depends on the incident's status.
        C::LinkCrime {
            crime_id,
            reference,
            classification,
        } => {
            if incident.crimes.iter().any(|c| c.crime_id == crime_id) {
                return reject(
                    "already_linked",
                    format!(
                        "crime {reference} is already linked to incident {}",
                        incident.reference
                    ),
                );
            }
            Ok(vec![E::CrimeRecorded {
                crime_id,
                reference,
                classification,
            }])
        }
        C::DecideNonCrime { reason, rationale } => {
            if let Some(crime) = incident.crimes.first() {
                return reject(
                    "crime_recorded",
                    format!(
                        "crime {} is recorded from incident {reference}: a recorded crime is removed only by the crime registrar (HOCR Section C), not by a non-crime decision",
                        crime.reference
                    ),
                );
            }
            if incident.non_crime.is_some() {
                return reject(
                    "already_decided",
                    format!("a non-crime decision is already recorded for incident {reference}"),
                );
            }
            Ok(vec![E::NonCrimeDecided { reason, rationale }])
        }
        C::Reopen { reason } => match status {
            Status::Resolved | Status::Closed => Ok(vec![E::Reopened { reason }]),
            _ => reject(
                "not_closed",
                format!(
                    "incident {reference} is {}: only a resolved or closed incident can be reopened",
                    status.as_str()
                ),
            ),
        },
    }
}

fn next_log_number(incident: &Incident) -> u32 {
    incident.log.last().map_or(1, |e| e.number + 1)
}

impl Incident {
    /// Fold one event into the state. Trusts that `decide` produced it; only the shape of the
    /// stream (an `Opened` first, nothing before it) is checked, for replay of stored streams.
    pub fn apply(
        state: Option<Incident>,
        stamped: &Stamped<IncidentEvent>,
        index: usize,
    ) -> Result<Incident, FoldError> {
        use IncidentEvent as E;
        let Stamped { at, by, event } = stamped;
        let fail = |problem: &str| misfit(index, event.kind(), problem);
        let mut incident = match (state, event) {
            (
                None,
                E::Opened {
                    id,
                    reference,
                    incident_type,
                },
            ) => {
                return Ok(Incident {
                    id: *id,
                    reference: reference.clone(),
                    incident_type: incident_type.clone(),
                    status: Status::Open,
                    opened_at: *at,
                    opened_by: by.clone(),
                    grades: Vec::new(),
                    closure: None,
                    contacts: Vec::new(),
                    log: Vec::new(),
                    log_phrases: Vec::new(),
                    qualifiers: Vec::new(),
                    thrive: Vec::new(),
                    vulnerabilities: Vec::new(),
                    dash: Vec::new(),
                    signposts: Vec::new(),
                    appointment: None,
                    crime_reported_at: None,
                    crimes: Vec::new(),
                    non_crime: None,
                    answers: BTreeMap::new(),
                    repeats: None,
                    warnings_on: Vec::new(),
                    unattended_closure: None,
                    history: vec![StatusChange {
                        at: *at,
                        by: by.clone(),
                        from: None,
                        to: Status::Open,
                        reason: None,
                    }],
                    last_changed_at: *at,
                    version: 1,
                });
            }
            (Some(_), E::Opened { .. }) => return Err(fail("the incident was already opened")),
            (None, _) => return Err(fail("the stream does not start with incident_opened")),
            (Some(incident), _) => incident,
        };
        let move_to = |incident: &mut Incident, to: Status, reason: Option<String>| {
            if incident.status != to {
                incident.history.push(StatusChange {
                    at: *at,
                    by: by.clone(),
                    from: Some(incident.status),
                    to,
                    reason,
                });
                incident.status = to;
            }
        };
        match event {
            E::Opened { .. } => return Err(fail("the incident was already opened")),
            E::ContactJoined { contact } => incident.contacts.push(contact.clone()),
            E::LogEntryAdded {
                number,
                text,
                corrects,
            } => {
                for phrase in crate::ncrs::indicators::phrases(text) {
                    if !incident.log_phrases.contains(&phrase) {
                        incident.log_phrases.push(phrase);
                    }
                }
                incident.log.push(std::sync::Arc::new(LogEntry {
                    number: *number,
                    at: *at,
                    author: by.clone(),
                    text: text.clone(),
                    corrects: *corrects,
                }));
            }
            E::Graded {
                grade,
                rationale,
                recommended,
                override_reason,
                attendance_target_minutes,
            } => {
                incident.grades.push(GradeDecision {
                    grade: *grade,
                    rationale: rationale.clone(),
                    recommended: *recommended,
                    override_reason: override_reason.clone(),
                    attendance_target_minutes: *attendance_target_minutes,
                    at: *at,
                    by: by.clone(),
                });
                if incident.status == Status::Open {
                    move_to(&mut incident, Status::Graded, Some(rationale.clone()));
                }
            }
            E::Classified {
                incident_type,
                qualifiers,
            } => {
                if incident_type.is_some() {
                    incident.incident_type = incident_type.clone();
                }
                incident.qualifiers = qualifiers.clone();
            }
            E::ThriveAssessed { assessment } => incident.thrive.push(Versioned {
                value: assessment.clone(),
                at: *at,
                by: by.clone(),
            }),
            E::VulnerabilityRecorded {
                subject,
                flags,
                note,
            } => incident.vulnerabilities.push(VulnerabilityEntry {
                subject: *subject,
                flags: flags.clone(),
                note: note.clone(),
                at: *at,
                by: by.clone(),
            }),
            E::DashCompleted { assessment } => incident.dash.push(Versioned {
                value: assessment.clone(),
                at: *at,
                by: by.clone(),
            }),
            E::Signposted { agency, advice } => incident.signposts.push(Signpost {
                agency: agency.clone(),
                advice: advice.clone(),
                at: *at,
                by: by.clone(),
            }),
            E::Dispatched { note } => move_to(&mut incident, Status::Dispatched, note.clone()),
            E::ArrivedAtScene => move_to(&mut incident, Status::AtScene, None),
            E::Resolved { resolution } => {
                move_to(&mut incident, Status::Resolved, Some(resolution.clone()))
            }
            E::Closed {
                closing_code,
                qualifiers,
                resolution,
                details,
            } => {
                if details.final_incident_type.is_some() {
                    incident.incident_type = details.final_incident_type.clone();
                }
                incident.closure = Some(Closure {
                    closing_code: closing_code.clone(),
                    qualifiers: qualifiers.clone(),
                    resolution: resolution.clone(),
                    details: details.clone(),
                    at: *at,
                    by: by.clone(),
                });
                move_to(
                    &mut incident,
                    Status::Closed,
                    Some(format!("closed as {closing_code}")),
                );
            }
            E::AppointmentSet { slot, .. } => incident.appointment = slot.clone(),
            E::ClosedAsDuplicate { of } => {
                let code = |c: &str| Code::parse("code", c).map_err(|_| fail("bad duplicate code"));
                incident.closure = Some(Closure {
                    closing_code: code("ADMIN_DUPLICATE")?,
                    qualifiers: Vec::new(),
                    resolution: format!(
                        "Duplicate of {of}: its callers were joined to that incident"
                    ),
                    details: ClosureDetails {
                        final_incident_type: Some(code("ADMIN_DUPLICATE")?),
                        ..ClosureDetails::default()
                    },
                    at: *at,
                    by: by.clone(),
                });
                incident.incident_type = Some(code("ADMIN_DUPLICATE")?);
                move_to(
                    &mut incident,
                    Status::Closed,
                    Some(format!("duplicate of {of}")),
                );
            }
            E::CrimeReported => {
                incident.crime_reported_at.get_or_insert(*at);
            }
            E::CrimeRecorded {
                crime_id,
                reference,
                classification,
            } => incident.crimes.push(CrimeLink {
                crime_id: *crime_id,
                reference: reference.clone(),
                classification: classification.clone(),
                at: *at,
                by: by.clone(),
            }),
            E::NonCrimeDecided { reason, rationale } => {
                incident.non_crime = Some(NonCrimeDecision {
                    reason: *reason,
                    rationale: rationale.clone(),
                    at: *at,
                    by: by.clone(),
                })
            }
            E::QuestionsAnswered { answers } => {
                for a in answers {
                    incident.answers.insert(a.fact.clone(), a.answer);
                }
            }
            E::IntelligenceChecked {
                repeats,
                warnings_on,
            } => {
                incident.repeats = Some(*repeats);
                for record in warnings_on {
                    if !incident.warnings_on.contains(record) {
                        incident.warnings_on.push(*record);
                    }
                }
            }
            E::UnattendedClosureApproved { reason } => {
                incident.unattended_closure = Some(UnattendedClosureApproval {
                    reason: reason.clone(),
                    at: *at,
                    by: by.clone(),
                })
            }
            E::Reopened { reason } => {
                // Circumstances changed: an earlier approval to close unattended lapses.
                incident.unattended_closure = None;
                incident.closure = None;
                move_to(&mut incident, Status::Open, Some(reason.clone()));
            }
        }
        incident.last_changed_at = *at;
        incident.version += 1;
        Ok(incident)
    }

    /// Rebuild an incident from its recorded events, oldest first.
    pub fn replay<'a, I>(events: I) -> Result<Option<Incident>, FoldError>
    where
        I: IntoIterator<Item = &'a Stamped<IncidentEvent>>,
    {
        let mut state = None;
        for (index, event) in events.into_iter().enumerate() {
            state = Some(Incident::apply(state, event, index)?);
        }
        Ok(state)
    }

    pub fn contact(&self, id: ContactId) -> Option<&Contact> {
        self.contacts.iter().find(|c| c.id == id)
    }
}

impl Aggregate for Incident {
    type Id = IncidentId;
    type Event = IncidentEvent;

    fn apply(state: Option<Self>, e: Folding<'_, Self>) -> Result<Self, FoldError> {
        Incident::apply(state, e.stamped, e.index)
    }

    fn stream(id: &IncidentId) -> StreamId {
        StreamId::new(StreamKind::Incident, id)
    }
}

impl Decide for Incident {
    type Command = IncidentCommand;
    type Context<'a> = ();
    type Rejection = Rejected;

    fn decide(
        state: Option<&Self>,
        command: IncidentCommand,
        (): (),
    ) -> Result<Vec<IncidentEvent>, Rejected> {
        decide(state, command)
    }
}

#[cfg(test)]
pub(crate) mod tests;
