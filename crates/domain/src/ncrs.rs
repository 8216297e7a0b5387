//! The National Crime Recording Standard's recording decision: when a report of a crime starts
//! the clock, what counts as a decision, how long the recorder has, and the rules for removing
//! a recorded crime once it is on the books.
//!
//! Rules implemented: NCRS / HOCR General Rules Section A (a crime is recorded, or a non-crime
//! decision made, within 24 hours of the report reaching the police) and Section C (a recorded
//! crime is only removed for one of the Section C reasons, decided by the force crime
//! registrar). The C1–C4 codes and labels are our summary of Section C; check them against
//! the HOCR edition in force before using the codes in Home Office returns.

pub(crate) mod indicators;

pub use indicators::crime_indicators;

use crate::incident::{Incident, IncidentEvent};
use crate::reference::{CategoryGroup, ReferenceData};
use crate::roles::{Permission, Role};
use crate::text::Invalid;
use jiff::{SignedDuration, Timestamp};

/// NCRS: the recording decision is due within 24 hours of the report.
pub const DECISION_HOURS: i64 = 24;

/// The recording-decision clock for one report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordingClock {
    /// When the report reached the police (not when someone noticed it was a crime).
    pub started_at: Timestamp,
    pub due_at: Timestamp,
    pub decided_at: Option<Timestamp>,
}

/// Where a recording decision stands, as a recorder's queue shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockState {
    Running { remaining: SignedDuration },
    Overdue { by: SignedDuration },
    DecidedOnTime,
    DecidedLate { by: SignedDuration },
}

impl RecordingClock {
    pub fn start(reported_at: Timestamp) -> Self {
        Self {
            started_at: reported_at,
            due_at: reported_at + SignedDuration::from_hours(DECISION_HOURS),
            decided_at: None,
        }
    }

    /// Stop the clock. A decision is made once; a decision dated before the report is a
    /// mistake in the input, not a very fast recorder.
    pub fn decide(self, at: Timestamp) -> Result<Self, Invalid> {
        if self.decided_at.is_some() {
            return Err(Invalid::new(
                "decided_at",
                "the recording decision has already been made; reclassify or cancel the crime instead",
            ));
        }
        if at < self.started_at {
            return Err(Invalid::new(
                "decided_at",
                format!(
                    "the decision time {at} is before the report was received at {}",
                    self.started_at
                ),
            ));
        }
        Ok(Self {
            decided_at: Some(at),
            ..self
        })
    }

    pub fn state(&self, now: Timestamp) -> ClockState {
        match self.decided_at {
            Some(at) if at <= self.due_at => ClockState::DecidedOnTime,
            Some(at) => ClockState::DecidedLate {
                by: at.duration_since(self.due_at),
            },
            None if now > self.due_at => ClockState::Overdue {
                by: now.duration_since(self.due_at),
            },
            None => ClockState::Running {
                remaining: self.due_at.duration_since(now),
            },
        }
    }

    /// Whether this report belongs in the overdue queue right now.
    pub fn overdue(&self, now: Timestamp) -> bool {
        matches!(self.state(now), ClockState::Overdue { .. })
    }
}

/// NCRS: a report of a crime starts the clock. For an incident that means an incident type
/// or a closing code in the Crime category (NSIR 2011): either is enough, because handlers
/// often open under a non-crime type and find the crime on the way.
pub fn is_crime_report(
    incident_type: Option<&str>,
    closing_code: Option<&str>,
    reference: &ReferenceData,
) -> bool {
    let crime = |category: &crate::text::Code| {
        reference
            .category(category)
            .is_some_and(|c| c.group == CategoryGroup::Crime)
    };
    incident_type
        .and_then(|code| reference.incident_type(code))
        .is_some_and(|t| crime(&t.category))
        || closing_code
            .and_then(|code| reference.closing_code(code))
            .is_some_and(|c| crime(&c.category))
}

/// The event that starts an incident's recording clock, when a change has just made it a
/// report of crime for the first time. The application appends it beside that change.
pub fn crime_report_started(
    incident: &Incident,
    reference: &ReferenceData,
) -> Option<IncidentEvent> {
    let closing = incident.closure.as_ref().map(|c| c.closing_code.as_str());
    let opening = incident.incident_type.as_ref().map(|c| c.as_str());
    (incident.crime_reported_at.is_none() && is_crime_report(opening, closing, reference))
        .then_some(IncidentEvent::CrimeReported)
}

/// The closing code of an incident closed as a duplicate: its callers joined the first
/// incident, which carries the report (and its clock) from then on.
pub const DUPLICATE_CLOSING_CODE: &str = "ADMIN_DUPLICATE";

/// The recording clock an incident has started, if it has: from when the earliest of its
/// contacts reached the police (NCRS: the first report, not when someone spotted the crime),
/// stopped by the first recording decision.
pub fn recording_clock(incident: &Incident) -> Option<RecordingClock> {
    incident.crime_reported_at?;
    if incident
        .closure
        .as_ref()
        .is_some_and(|c| c.closing_code.as_str() == DUPLICATE_CLOSING_CODE)
    {
        return None;
    }
    let reported = incident
        .contacts
        .iter()
        .map(|c| c.received_at)
        .min()
        .unwrap_or(incident.opened_at);
    let clock = RecordingClock::start(reported);
    // A decision stamped before the report (a contact backdated after the decision) counts
    // as made at the report: it cannot make the clock invalid.
    Some(match incident.recording_decided_at() {
        Some(at) => clock.decide(at.max(reported)).unwrap_or(clock),
        None => clock,
    })
}

/// Decisions made within 24 hours, out of decisions made: the figure inspectors ask for.
/// Undecided reports are not in it (they show up in the overdue queue instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OnTimeShare {
    pub decided: u64,
    pub on_time: u64,
}

impl OnTimeShare {
    pub fn of<'a>(clocks: impl IntoIterator<Item = &'a RecordingClock>) -> Self {
        clocks
            .into_iter()
            .fold(Self::default(), |mut share, clock| {
                if let Some(at) = clock.decided_at {
                    share.decided += 1;
                    if at <= clock.due_at {
                        share.on_time += 1;
                    }
                }
                share
            })
    }

    /// Percentage to one decimal place; `None` while nothing has been decided.
    pub fn percent(&self) -> Option<f64> {
        (self.decided > 0)
            .then(|| (self.on_time as f64 * 1000.0 / self.decided as f64).round() / 10.0)
    }
}

/// Why a report was not recorded as a crime. Each needs a written rationale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[derive(strum::IntoStaticStr, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum NonCrimeReason {
    /// On the balance of probability no notifiable offence was committed.
    NoNotifiableOffence,
    /// Credible evidence to the contrary (NCRS): the account is contradicted by evidence.
    CredibleEvidenceToTheContrary,
    /// A third-party report the victim cannot be found to confirm, or will not confirm.
    ThirdPartyNotConfirmed,
    /// The crime belongs to another force, which records it.
    AnotherForceRecords,
}

impl NonCrimeReason {
    pub const ALL: [Self; 4] = [
        Self::NoNotifiableOffence,
        Self::CredibleEvidenceToTheContrary,
        Self::ThirdPartyNotConfirmed,
        Self::AnotherForceRecords,
    ];

    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// What a recorder reads on screen.
    pub fn label(self) -> &'static str {
        match self {
            Self::NoNotifiableOffence => "No notifiable offence was committed",
            Self::CredibleEvidenceToTheContrary => "Credible evidence to the contrary",
            Self::ThirdPartyNotConfirmed => "Third-party report the victim does not confirm",
            Self::AnotherForceRecords => "Another force records the crime",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_named(raw, "reason", &Self::ALL, Self::as_str)
    }
}

/// The HOCR Section C reasons for removing a recorded crime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CancellationReason {
    #[serde(rename = "C1")]
    /// C1: the crime was committed in another force's area and is transferred there.
    Transferred,
    #[serde(rename = "C2")]
    /// C2: additional verifiable information shows no notifiable crime was committed.
    AdditionalVerifiableInformation,
    #[serde(rename = "C3")]
    /// C3: a duplicate, or part of a crime already recorded.
    Duplicate,
    #[serde(rename = "C4")]
    /// C4: recorded in error (for example on the wrong record or for a non-notifiable matter).
    CreatedInError,
}

impl CancellationReason {
    pub const ALL: [Self; 4] = [
        Self::Transferred,
        Self::AdditionalVerifiableInformation,
        Self::Duplicate,
        Self::CreatedInError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Transferred => "C1",
            Self::AdditionalVerifiableInformation => "C2",
            Self::Duplicate => "C3",
            Self::CreatedInError => "C4",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Transferred => "Transferred to the force where the crime was committed",
            Self::AdditionalVerifiableInformation => {
                "Additional verifiable information: no notifiable crime was committed"
            }
            Self::Duplicate => "Duplicate, or part of a crime already recorded",
            Self::CreatedInError => "Recorded in error",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        parse_named(raw, "reason", &Self::ALL, Self::as_str)
    }
}

fn parse_named<T: Copy>(
    raw: &str,
    field: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, Invalid> {
    let raw = raw.trim();
    all.iter()
        .copied()
        .find(|v| name(*v).eq_ignore_ascii_case(raw))
        .ok_or_else(|| {
            let names: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            Invalid::new(
                field,
                format!("'{raw}' is not a {field}; use one of {}", names.join(", ")),
            )
        })
}

/// A request to remove a recorded crime, as the recorder makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationRequest {
    pub reason: CancellationReason,
    /// What the additional information is, which record it duplicates, or where it went.
    pub rationale: String,
    pub requested_by: String,
}

/// An approved removal: the crime stays on file, marked cancelled, with who and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancellation {
    pub request: CancellationRequest,
    pub approved_by: String,
    pub approved_at: Timestamp,
}

/// Why a cancellation was refused, in words for the person who asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CancellationRefused {
    #[error(
        "only the force crime registrar may approve removing a recorded crime (HOCR Section C)"
    )]
    NotRegistrar,
    #[error("the person who asked for the removal cannot also approve it")]
    OwnRequest,
    #[error(
        "a removal needs a rationale: say what the new information is, or which record it duplicates, or where it was transferred"
    )]
    NoRationale,
    #[error("this crime has already been removed")]
    AlreadyCancelled,
}

/// Section C: check a registrar's approval of a removal request.
pub fn approve_cancellation(
    request: CancellationRequest,
    approver: &str,
    approver_role: Role,
    already_cancelled: bool,
    at: Timestamp,
) -> Result<Cancellation, CancellationRefused> {
    if already_cancelled {
        return Err(CancellationRefused::AlreadyCancelled);
    }
    if !approver_role.may(Permission::ApproveCrimeCancellation) {
        return Err(CancellationRefused::NotRegistrar);
    }
    if approver == request.requested_by {
        return Err(CancellationRefused::OwnRequest);
    }
    if request.rationale.trim().is_empty() {
        return Err(CancellationRefused::NoRationale);
    }
    Ok(Cancellation {
        request,
        approved_by: approver.to_owned(),
        approved_at: at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, ManualClock};

    fn reported() -> Timestamp {
        "2026-11-20T03:00:00Z".parse().unwrap()
    }

    // NCRS: the decision is due 24 hours after the report.
    #[test]
    fn decision_on_time_stops_the_clock_inside_24_hours() {
        let clock = ManualClock::new(reported());
        let ncrs = RecordingClock::start(clock.now());
        assert_eq!(ncrs.due_at, "2026-11-21T03:00:00Z".parse().unwrap());
        clock.advance(SignedDuration::from_hours(23));
        assert_eq!(
            ncrs.state(clock.now()),
            ClockState::Running {
                remaining: SignedDuration::from_hours(1)
            }
        );
        assert!(!ncrs.overdue(clock.now()));
        let decided = ncrs.decide(clock.now()).unwrap();
        clock.advance(SignedDuration::from_hours(48));
        assert_eq!(decided.state(clock.now()), ClockState::DecidedOnTime);
    }

    #[test]
    fn undecided_after_24_hours_is_overdue() {
        let clock = ManualClock::new(reported());
        let ncrs = RecordingClock::start(clock.now());
        clock.advance(SignedDuration::from_hours(24));
        // Exactly on the hour is still on time.
        assert!(!ncrs.overdue(clock.now()));
        clock.advance(SignedDuration::from_mins(90));
        assert_eq!(
            ncrs.state(clock.now()),
            ClockState::Overdue {
                by: SignedDuration::from_mins(90)
            }
        );
        assert!(ncrs.overdue(clock.now()));
    }

    #[test]
    fn a_late_decision_is_recorded_as_late_and_leaves_the_queue() {
        let clock = ManualClock::new(reported());
        let ncrs = RecordingClock::start(clock.now());
        clock.advance(SignedDuration::from_hours(30));
        let decided = ncrs.decide(clock.now()).unwrap();
        assert_eq!(
            decided.state(clock.now()),
            ClockState::DecidedLate {
                by: SignedDuration::from_hours(6)
            }
        );
        assert!(!decided.overdue(clock.now()));
    }

    #[test]
    fn a_decision_is_made_once_and_never_before_the_report() {
        let ncrs = RecordingClock::start(reported());
        let err = ncrs
            .decide(reported() - SignedDuration::from_mins(1))
            .unwrap_err();
        assert!(err.message.contains("before the report"), "{err}");
        let decided = ncrs.decide(reported()).unwrap();
        assert!(decided.decide(reported()).is_err());
    }

    #[test]
    fn on_time_share_counts_only_decided_reports() {
        let start = RecordingClock::start(reported());
        let on_time = start
            .decide(reported() + SignedDuration::from_hours(2))
            .unwrap();
        let late = start
            .decide(reported() + SignedDuration::from_hours(25))
            .unwrap();
        let share = OnTimeShare::of(&[on_time, on_time, late, start]);
        assert_eq!(
            share,
            OnTimeShare {
                decided: 3,
                on_time: 2
            }
        );
        assert_eq!(share.percent(), Some(66.7));
        assert_eq!(OnTimeShare::of(&[start]).percent(), None);
    }

    #[test]
    fn crime_category_opening_or_closing_codes_start_the_clock() {
        let reference = ReferenceData::load(&crate::reference::tests::shipped()).unwrap();
        assert!(is_crime_report(Some("CRIME_VIOLENCE"), None, &reference));
        assert!(is_crime_report(
            None,
            Some("CRIME_NOT_RECORDED"),
            &reference
        ));
        assert!(is_crime_report(
            Some("ASB_NUISANCE"),
            Some("CRIME_RECORDED"),
            &reference
        ));
        assert!(!is_crime_report(
            None,
            Some("PSW_DOMESTIC_NO_CRIME"),
            &reference
        ));
        assert!(!is_crime_report(None, None, &reference));
        assert!(!is_crime_report(Some("NO_SUCH_TYPE"), None, &reference));
    }

    fn request() -> CancellationRequest {
        CancellationRequest {
            reason: CancellationReason::Duplicate,
            rationale: "Same burglary already recorded as crime 26/0001234".into(),
            requested_by: "recorder1".into(),
        }
    }

    // HOCR Section C: only the force crime registrar removes a recorded crime.
    #[test]
    fn cancellation_is_refused_without_a_registrar() {
        let at = reported();
        for role in Role::ALL {
            let result = approve_cancellation(request(), "someone", role, false, at);
            if role == Role::CrimeRegistrar {
                assert!(result.is_ok());
            } else {
                assert_eq!(
                    result.unwrap_err(),
                    CancellationRefused::NotRegistrar,
                    "{role:?}"
                );
            }
        }
    }

    #[test]
    fn cancellation_needs_a_rationale_a_second_person_and_a_live_crime() {
        let at = reported();
        let mut bare = request();
        bare.rationale = "  ".into();
        assert_eq!(
            approve_cancellation(bare, "fcr", Role::CrimeRegistrar, false, at).unwrap_err(),
            CancellationRefused::NoRationale
        );
        let mut own = request();
        own.requested_by = "fcr".into();
        assert_eq!(
            approve_cancellation(own, "fcr", Role::CrimeRegistrar, false, at).unwrap_err(),
            CancellationRefused::OwnRequest
        );
        assert_eq!(
            approve_cancellation(request(), "fcr", Role::CrimeRegistrar, true, at).unwrap_err(),
            CancellationRefused::AlreadyCancelled
        );
        let ok = approve_cancellation(request(), "fcr", Role::CrimeRegistrar, false, at).unwrap();
        assert_eq!(ok.approved_by, "fcr");
        assert_eq!(ok.request.reason.as_str(), "C3");
    }

    #[test]
    fn reasons_parse_from_their_codes_and_name_the_choices_when_wrong() {
        for reason in CancellationReason::ALL {
            assert_eq!(CancellationReason::parse(reason.as_str()).unwrap(), reason);
            assert!(!reason.label().is_empty());
        }
        assert_eq!(
            CancellationReason::parse(" c2 ").unwrap(),
            CancellationReason::AdditionalVerifiableInformation
        );
        let err = CancellationReason::parse("C9").unwrap_err();
        assert!(err.message.contains("C1, C2, C3, C4"), "{err}");
        for reason in NonCrimeReason::ALL {
            assert_eq!(NonCrimeReason::parse(reason.as_str()).unwrap(), reason);
        }
        assert!(NonCrimeReason::parse("victim_withdrew").is_err());
    }
}
