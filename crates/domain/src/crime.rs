//! A crime record: what the recorder decided was a crime, which one, who was involved, and
//! every change since. Event-sourced like incidents, so a reclassification or a removal never
//! overwrites what went before (HOCR Section B: reclassification keeps the audit trail;
//! Section C: nothing is deleted, a removed crime stays on file, marked).

use crate::aggregate::{Aggregate, Decide, FoldError, Folding};
use crate::incident::Stamped;
use crate::investigation::csi::{CsiRequest, CsiResult};
use crate::investigation::enquiry::Enquiry;
use crate::investigation::links::{CrimeLink, CrimeRole, PersonLink};
use crate::investigation::outcomes::{ChecklistItem, FinalisationProposal, FlagAnswer};
use crate::investigation::screening::Screening;
use crate::investigation::victims::{
    ContactMethod, KeyEventKind, NeedsAssessment, Referral, UpdateDeadline, VictimPosition,
};
use crate::investigation::{self, Investigation};
use crate::ncrs::{CancellationReason, CancellationRefused, CancellationRequest};
use crate::pole::{Kind, LinkRole, RecordRef};
use crate::reference::ReferenceData;
use crate::roles::{Permission, Role};
use crate::stream::{StreamId, StreamKind};
use crate::text::Code;
use crate::user::Username;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Someone linked to the crime, by their POLE record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    pub record: RecordRef,
    pub role: LinkRole,
}

/// What the recorder enters to record a crime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    pub reference: String,
    pub classification: Code,
    /// The incidents the crime came from; empty for a crime reported directly (e.g. online).
    pub incidents: Vec<Uuid>,
    pub parties: Vec<Party>,
    pub offence_from: Timestamp,
    pub offence_to: Option<Timestamp>,
    /// When the report reached the police: the NCRS clock runs from here.
    pub reported_at: Timestamp,
    pub location: String,
    pub modus_operandi: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", prefix = "crime.")]
pub enum CrimeEvent {
    Recorded(Recording),
    Reclassified {
        classification: Code,
        reason: String,
    },
    CancellationRequested {
        reason: CancellationReason,
        rationale: String,
    },
    #[strum(serialize = "cancelled")]
    CancellationApproved,
    CancellationDeclined {
        note: String,
    },
    // ---- After recording: the investigation (crate::investigation, issue 15) ----
    Screened(Screening),
    ScreeningApproved {
        note: String,
    },
    ScreeningReturned {
        reason: String,
    },
    EnquiryAdded(Enquiry),
    EnquiryReassigned {
        enquiry: Uuid,
        owner: Username,
        due: Timestamp,
        reason: String,
    },
    EnquiryCompleted {
        enquiry: Uuid,
        result: String,
    },
    CsiRequested(CsiRequest),
    CsiBooked {
        request: Uuid,
        diary_time: Timestamp,
        /// The diary area the attendance is booked in; none on bookings made before CSI
        /// attendance went into the force diary.
        #[serde(default)]
        area: Option<crate::text::Code>,
    },
    CsiAttended {
        request: Uuid,
        attended_at: Timestamp,
        result: CsiResult,
    },
    CsiCancelled {
        request: Uuid,
        reason: String,
    },
    VictimAssessed(NeedsAssessment),
    VictimReferred {
        victim: Uuid,
        referral: Referral,
    },
    VictimDetailsGiven {
        victim: Uuid,
        named_contact: String,
    },
    VpsOffered {
        victim: Uuid,
        accepted: bool,
    },
    VictimPositionRecorded {
        victim: Uuid,
        position: VictimPosition,
        note: String,
    },
    /// A key event and the deadlines to tell each victim it opened, worked out when it was
    /// recorded (Victims' Code 2020, Right 6).
    KeyEventRecorded {
        number: u32,
        kind: KeyEventKind,
        occurred_at: Timestamp,
        note: String,
        deadlines: Vec<UpdateDeadline>,
    },
    VictimUpdated {
        key_event: u32,
        victim: Uuid,
        informed_at: Timestamp,
        method: ContactMethod,
        note: String,
    },
    FlagsAnswered {
        answers: Vec<FlagAnswer>,
    },
    CrimeLinked(CrimeLink),
    CrimeUnlinked {
        crime: Uuid,
        reason: String,
    },
    PersonLinked(PersonLink),
    PersonUnlinked {
        person: Uuid,
        role: CrimeRole,
        reason: String,
    },
    FinalisationProposed(FinalisationProposal),
    #[strum(serialize = "finalised")]
    FinalisationApproved {
        checklist: Vec<ChecklistItem>,
    },
    FinalisationReturned {
        reasons: Vec<String>,
    },
    Reopened {
        new_information: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reclassification {
    pub from: Code,
    pub to: Code,
    pub reason: String,
    pub at: Timestamp,
    pub by: Username,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrimeRecord {
    pub recording: Recording,
    pub recorded_at: Timestamp,
    pub recorded_by: Username,
    /// The current classification; `reclassifications` says how it got here.
    pub classification: Code,
    pub reclassifications: Vec<Reclassification>,
    pub pending_cancellation: Option<CancellationRequest>,
    /// Set once the registrar approves a removal: the record stays, marked.
    pub cancelled: Option<(CancellationRequest, Username, Timestamp)>,
    /// Screening, enquiries, CSI, the victims, flags, links and the outcome
    /// ([`crate::investigation`]).
    pub investigation: Investigation,
    pub version: u64,
    pub last_changed_at: Timestamp,
}

impl CrimeRecord {
    /// Where the record stands: `recorded`, `removal_requested` or `removed` (HOCR Section C;
    /// a removed crime stays on file).
    pub fn status(&self) -> &'static str {
        match (&self.cancelled, &self.pending_cancellation) {
            (Some(_), _) => "removed",
            (None, Some(_)) => "removal_requested",
            (None, None) => "recorded",
        }
    }

    /// Whether the crime belongs on the investigation work lists: recorded (not removed and
    /// not awaiting removal), and either not yet finalised or with a victim still owed an
    /// update (Victims' Code Right 6: the update on the outcome comes after finalisation).
    pub fn in_work(&self) -> bool {
        use crate::investigation::Stage;
        self.status() == "recorded"
            && (self.investigation.stage() != Stage::Finalised
                || self
                    .investigation
                    .deadlines
                    .iter()
                    .any(crate::investigation::victims::DeadlineState::is_open))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CrimeError {
    #[error("{0}")]
    Invalid(String),
    #[error("your role may not do this to a crime record")]
    NotPermitted,
    #[error(transparent)]
    Refused(#[from] CancellationRefused),
    #[error("events out of order: {0}")]
    Corrupt(&'static str),
}

/// Something a user asks to do to a crime record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrimeCommand {
    Record(Recording),
    Reclassify {
        classification: Code,
        reason: String,
    },
    RequestCancellation {
        reason: CancellationReason,
        rationale: String,
    },
    ApproveCancellation,
    DeclineCancellation {
        note: String,
    },
}

impl CrimeCommand {
    /// Refuse free text over its limit ([`crate::limits`]), naming the field, before the
    /// command is decided.
    pub fn check_lengths(&self) -> Result<(), crate::text::Invalid> {
        use crate::limits::{self, check_items, check_length};
        match self {
            Self::Record(r) => {
                check_items("parties", r.parties.len(), limits::PARTIES)?;
                check_length("location", &r.location, limits::ADDRESS)?;
                check_length("modus_operandi", &r.modus_operandi, limits::NARRATIVE)
            }
            Self::Reclassify { reason, .. } => check_length("reason", reason, limits::RATIONALE),
            Self::RequestCancellation { rationale, .. } => {
                check_length("rationale", rationale, limits::RATIONALE)
            }
            Self::DeclineCancellation { note } => check_length("note", note, limits::RATIONALE),
            Self::ApproveCancellation => Ok(()),
        }
    }

    /// What the command needs: the role a user with several acts under.
    pub fn permission(&self) -> Permission {
        match self {
            CrimeCommand::Record(_)
            | CrimeCommand::Reclassify { .. }
            | CrimeCommand::RequestCancellation { .. } => Permission::RecordCrime,
            CrimeCommand::ApproveCancellation | CrimeCommand::DeclineCancellation { .. } => {
                Permission::ApproveCrimeCancellation
            }
        }
    }
}

fn invalid(message: impl Into<String>) -> CrimeError {
    CrimeError::Invalid(message.into())
}

fn notifiable(code: &Code, reference: &ReferenceData) -> Result<(), CrimeError> {
    reference.offence(code.as_str()).map(|_| ()).ok_or_else(|| {
        invalid(format!(
            "'{code}' is not a Home Office notifiable offence classification"
        ))
    })
}

/// Check a command against the record as it stands and say what happens.
pub fn decide(
    state: Option<&CrimeRecord>,
    command: CrimeCommand,
    actor: (&Username, Role),
    now: Timestamp,
    reference: &ReferenceData,
) -> Result<Vec<CrimeEvent>, CrimeError> {
    let (who, role) = actor;
    let needs = |permission| {
        role.may(permission)
            .then_some(())
            .ok_or(CrimeError::NotPermitted)
    };
    match (state, command) {
        (None, CrimeCommand::Record(recording)) => {
            needs(Permission::RecordCrime)?;
            notifiable(&recording.classification, reference)?;
            if recording
                .offence_to
                .is_some_and(|to| to < recording.offence_from)
            {
                return Err(invalid("the offence period ends before it starts"));
            }
            if recording.offence_from > recording.reported_at {
                return Err(invalid(
                    "the offence cannot start after it was reported to the police",
                ));
            }
            if recording.reported_at > now {
                return Err(invalid("the report time is in the future"));
            }
            if let Some(p) = recording
                .parties
                .iter()
                .find(|p| p.record.kind != Kind::Person)
            {
                return Err(invalid(format!(
                    "a {} must be a person record, not a {} record",
                    p.role.as_str(),
                    p.record.kind.as_str()
                )));
            }
            if recording.location.trim().is_empty() {
                return Err(invalid("say where the crime happened"));
            }
            Ok(vec![CrimeEvent::Recorded(recording)])
        }
        (Some(_), CrimeCommand::Record(_)) => Err(invalid("this crime is already recorded")),
        (None, _) => Err(invalid("there is no such crime record")),
        (Some(crime), _) if crime.cancelled.is_some() => Err(invalid(
            "this crime has been removed from the record; it cannot be changed",
        )),
        (
            Some(crime),
            CrimeCommand::Reclassify {
                classification,
                reason,
            },
        ) => {
            needs(Permission::RecordCrime)?;
            notifiable(&classification, reference)?;
            if classification == crime.classification {
                return Err(invalid(format!(
                    "the crime is already classified as {classification}"
                )));
            }
            if reason.trim().is_empty() {
                return Err(invalid(
                    "a reclassification needs a reason: what new information changed the offence",
                ));
            }
            Ok(vec![CrimeEvent::Reclassified {
                classification,
                reason,
            }])
        }
        (Some(crime), CrimeCommand::RequestCancellation { reason, rationale }) => {
            needs(Permission::RecordCrime)?;
            if crime.pending_cancellation.is_some() {
                return Err(invalid(
                    "a removal is already waiting for the crime registrar",
                ));
            }
            if rationale.trim().is_empty() {
                return Err(CancellationRefused::NoRationale.into());
            }
            Ok(vec![CrimeEvent::CancellationRequested {
                reason,
                rationale,
            }])
        }
        (Some(crime), CrimeCommand::ApproveCancellation) => {
            let request = crime
                .pending_cancellation
                .clone()
                .ok_or_else(|| invalid("nobody has asked for this crime to be removed"))?;
            crate::ncrs::approve_cancellation(request, who.as_str(), role, false, now)?;
            Ok(vec![CrimeEvent::CancellationApproved])
        }
        (Some(crime), CrimeCommand::DeclineCancellation { note }) => {
            needs(Permission::ApproveCrimeCancellation)?;
            if crime.pending_cancellation.is_none() {
                return Err(invalid("nobody has asked for this crime to be removed"));
            }
            if note.trim().is_empty() {
                return Err(invalid(
                    "say why the crime stays recorded, for the recorder who asked",
                ));
            }
            Ok(vec![CrimeEvent::CancellationDeclined { note }])
        }
    }
}

impl CrimeRecord {
    /// Fold one event into the record (replay and live use the same code).
    pub fn apply(state: Option<Self>, e: &Stamped<CrimeEvent>) -> Result<Self, CrimeError> {
        let mut crime = match (state, &e.event) {
            (None, CrimeEvent::Recorded(recording)) => {
                return Ok(Self {
                    classification: recording.classification.clone(),
                    recording: recording.clone(),
                    recorded_at: e.at,
                    recorded_by: e.by.clone(),
                    reclassifications: Vec::new(),
                    pending_cancellation: None,
                    cancelled: None,
                    investigation: Investigation::from_recording(&recording.parties),
                    version: 1,
                    last_changed_at: e.at,
                });
            }
            (None, _) => return Err(CrimeError::Corrupt("a change before the recording")),
            (Some(_), CrimeEvent::Recorded(_)) => {
                return Err(CrimeError::Corrupt("recorded twice"));
            }
            (Some(crime), _) => crime,
        };
        match &e.event {
            CrimeEvent::Recorded(_) => {}
            CrimeEvent::Reclassified {
                classification,
                reason,
            } => {
                crime.reclassifications.push(Reclassification {
                    from: crime.classification.clone(),
                    to: classification.clone(),
                    reason: reason.clone(),
                    at: e.at,
                    by: e.by.clone(),
                });
                crime.classification = classification.clone();
            }
            CrimeEvent::CancellationRequested { reason, rationale } => {
                crime.pending_cancellation = Some(CancellationRequest {
                    reason: *reason,
                    rationale: rationale.clone(),
                    requested_by: e.by.as_str().to_owned(),
                });
            }
            CrimeEvent::CancellationApproved => {
                let request = crime
                    .pending_cancellation
                    .take()
                    .ok_or(CrimeError::Corrupt("approval without a request"))?;
                crime.cancelled = Some((request, e.by.clone(), e.at));
            }
            CrimeEvent::CancellationDeclined { .. } => {
                crime.pending_cancellation = None;
            }
            investigation_event => {
                investigation::apply(&mut crime.investigation, investigation_event, e.at, &e.by)
                    .map_err(CrimeError::Corrupt)?;
            }
        }
        crime.version += 1;
        crime.last_changed_at = e.at;
        Ok(crime)
    }
}

/// What deciding a change to a crime record needs besides the record.
#[derive(Debug, Clone, Copy)]
pub struct CrimeContext<'a> {
    pub who: &'a Username,
    pub role: Role,
    pub now: Timestamp,
    pub reference: &'a ReferenceData,
}

impl Aggregate for CrimeRecord {
    type Id = Uuid;
    type Event = CrimeEvent;

    fn apply(state: Option<Self>, e: Folding<'_, Self>) -> Result<Self, FoldError> {
        CrimeRecord::apply(state, e.stamped).map_err(|problem| e.misfit(problem.to_string()))
    }

    fn stream(id: &Uuid) -> StreamId {
        StreamId::new(StreamKind::Crime, id)
    }
}

impl Decide for CrimeRecord {
    type Command = CrimeCommand;
    type Context<'a> = CrimeContext<'a>;
    type Rejection = CrimeError;

    fn decide(
        state: Option<&Self>,
        command: CrimeCommand,
        c: CrimeContext<'_>,
    ) -> Result<Vec<CrimeEvent>, CrimeError> {
        decide(state, command, (c.who, c.role), c.now, c.reference)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::tests::shipped;

    fn at(hour: i64) -> Timestamp {
        Timestamp::from_second(1_795_400_000 + hour * 3600).unwrap()
    }

    fn user(name: &str) -> Username {
        Username::parse(name).unwrap()
    }

    fn recording() -> Recording {
        Recording {
            reference: "CR-2026-000001".into(),
            classification: Code::parse("class", "105A").unwrap(),
            incidents: vec![Uuid::nil()],
            parties: vec![Party {
                record: RecordRef {
                    kind: Kind::Person,
                    id: Uuid::nil(),
                },
                role: LinkRole::Victim,
            }],
            offence_from: at(0),
            offence_to: None,
            reported_at: at(1),
            location: "14 Harehills Lane, Leeds".into(),
            modus_operandi: "Pushed the victim against a wall during an argument".into(),
        }
    }

    /// Run commands as (user, role, hour), folding each result into the record.
    fn run(steps: Vec<(&str, Role, i64, CrimeCommand)>) -> Result<CrimeRecord, CrimeError> {
        let reference = ReferenceData::load(&shipped()).unwrap();
        let mut state: Option<CrimeRecord> = None;
        for (name, role, hour, command) in steps {
            let by = user(name);
            for event in decide(state.as_ref(), command, (&by, role), at(hour), &reference)? {
                state = Some(CrimeRecord::apply(
                    state,
                    &Stamped {
                        at: at(hour),
                        by: by.clone(),
                        event,
                    },
                )?);
            }
        }
        state.ok_or(CrimeError::Corrupt("nothing recorded"))
    }

    fn record() -> (&'static str, Role, i64, CrimeCommand) {
        (
            "recorder1",
            Role::CrimeRecorder,
            2,
            CrimeCommand::Record(recording()),
        )
    }

    fn reclassify(code: &str, reason: &str) -> CrimeCommand {
        CrimeCommand::Reclassify {
            classification: Code::parse("class", code).unwrap(),
            reason: reason.into(),
        }
    }

    fn request_removal() -> (&'static str, Role, i64, CrimeCommand) {
        (
            "recorder1",
            Role::CrimeRecorder,
            5,
            CrimeCommand::RequestCancellation {
                reason: CancellationReason::Duplicate,
                rationale: "Already recorded as CR-2026-000000".into(),
            },
        )
    }

    #[test]
    fn reclassification_keeps_the_history_and_the_reason() {
        let crime = run(vec![
            record(),
            (
                "recorder1",
                Role::CrimeRecorder,
                4,
                reclassify("8N", "Medical notes show a fractured wrist"),
            ),
        ])
        .unwrap();
        assert_eq!(crime.classification.as_str(), "8N");
        assert_eq!(crime.recording.classification.as_str(), "105A");
        let change = &crime.reclassifications[0];
        assert_eq!((change.from.as_str(), change.to.as_str()), ("105A", "8N"));
        assert_eq!(change.reason, "Medical notes show a fractured wrist");
        assert_eq!(change.at, at(4));
        assert_eq!(crime.version, 2);
    }

    #[test]
    fn reclassification_needs_a_reason_and_a_real_code() {
        let err = run(vec![
            record(),
            ("recorder2", Role::CrimeRecorder, 4, reclassify("8N", " ")),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("needs a reason"), "{err}");
        let err = run(vec![
            record(),
            (
                "recorder2",
                Role::CrimeRecorder,
                4,
                reclassify("999Z", "typo"),
            ),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("'999Z'"), "{err}");
    }

    #[test]
    fn recording_is_checked_before_anything_is_kept() {
        let reference = ReferenceData::load(&shipped()).unwrap();
        let by = user("recorder1");
        let refused = |recording, role| {
            decide(
                None,
                CrimeCommand::Record(recording),
                (&by, role),
                at(4),
                &reference,
            )
            .unwrap_err()
        };
        let mut late_offence = recording();
        late_offence.offence_from = at(3);
        let err = refused(late_offence, Role::CrimeRecorder);
        assert!(err.to_string().contains("after it was reported"), "{err}");
        let mut vehicle_victim = recording();
        vehicle_victim.parties[0].record.kind = Kind::Vehicle;
        let err = refused(vehicle_victim, Role::CrimeRecorder);
        assert!(err.to_string().contains("must be a person"), "{err}");
        let err = refused(recording(), Role::ContactHandler);
        assert_eq!(err, CrimeError::NotPermitted);
    }

    // HOCR Section C: removal needs the force crime registrar's approval.
    #[test]
    fn removal_is_refused_without_the_registrar_and_kept_when_approved() {
        for role in [Role::CrimeRecorder, Role::Supervisor, Role::Admin] {
            let err = run(vec![
                record(),
                request_removal(),
                ("boss", role, 6, CrimeCommand::ApproveCancellation),
            ])
            .unwrap_err();
            assert_eq!(
                err,
                CrimeError::Refused(CancellationRefused::NotRegistrar),
                "{role:?}"
            );
        }
        let crime = run(vec![
            record(),
            request_removal(),
            (
                "fcr",
                Role::CrimeRegistrar,
                6,
                CrimeCommand::ApproveCancellation,
            ),
        ])
        .unwrap();
        let (request, by, when) = crime.cancelled.clone().unwrap();
        assert_eq!(request.reason, CancellationReason::Duplicate);
        assert_eq!((by.as_str(), when), ("fcr", at(6)));
        // Still on file, unchanged apart from the mark.
        assert_eq!(crime.recording, recording());
        let err = run(vec![
            record(),
            request_removal(),
            (
                "fcr",
                Role::CrimeRegistrar,
                6,
                CrimeCommand::ApproveCancellation,
            ),
            ("recorder2", Role::CrimeRecorder, 7, reclassify("8N", "x")),
        ])
        .unwrap_err();
        assert!(err.to_string().contains("removed"), "{err}");
    }

    #[test]
    fn the_registrar_cannot_approve_their_own_request_and_may_decline() {
        let err = run(vec![
            record(),
            (
                "fcr",
                Role::CrimeRegistrar,
                5,
                CrimeCommand::RequestCancellation {
                    reason: CancellationReason::CreatedInError,
                    rationale: "wrong record".into(),
                },
            ),
            (
                "fcr",
                Role::CrimeRegistrar,
                6,
                CrimeCommand::ApproveCancellation,
            ),
        ])
        .unwrap_err();
        assert_eq!(err, CrimeError::Refused(CancellationRefused::OwnRequest));
        let crime = run(vec![
            record(),
            request_removal(),
            (
                "fcr",
                Role::CrimeRegistrar,
                6,
                CrimeCommand::DeclineCancellation {
                    note: "The other record is a different victim".into(),
                },
            ),
        ])
        .unwrap();
        assert!(crime.pending_cancellation.is_none());
        assert!(crime.cancelled.is_none());
    }

    #[test]
    fn events_round_trip_through_json() {
        let events = vec![
            CrimeEvent::Recorded(recording()),
            CrimeEvent::CancellationRequested {
                reason: CancellationReason::AdditionalVerifiableInformation,
                rationale: "CCTV shows no offence".into(),
            },
        ];
        for event in events {
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(serde_json::from_str::<CrimeEvent>(&json).unwrap(), event);
        }
    }
}
