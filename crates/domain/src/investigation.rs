//! After the crime is recorded (issue 15): screening, the investigation plan, scenes of crime,
//! the Victims' Code and the outcome. All of it lives in the crime's own stream
//! (`crime/{uuid}`) as more [`CrimeEvent`]s, folded into [`CrimeRecord::investigation`], so
//! one record and one audit trail hold the crime from recording to finalisation.
//!
//! Module map:
//! - [`policy`]: the force policy and national lists read from `reference/` (screening
//!   factors, outcomes framework, crime flags, bank holidays, update limits).
//! - [`screening`]: factors, score, recommendation and the screening decision.
//! - [`enquiry`]: lines of enquiry, overdue, the investigator's queue and the overdue list.
//! - [`csi`]: requests for a crime scene investigator and the CSI queue.
//! - [`victims`]: the Victims' Code: needs assessment, preferences, referral, update clocks,
//!   the "awaiting update" queue and the on-time share.
//! - [`outcomes`]: outcome rules, crime flags and the supervisor's checklist.
//! - [`links`]: crime-to-crime and crime-to-person links.
//!
//! How to use it: build an [`InvestigationCommand`], call [`decide`] with the crime as folded
//! and an [`InvestigationContext`]; append the returned events to the crime's stream as any
//! crime event (they fold through [`CrimeRecord::apply`]). A refusal is an
//! [`InvestigationError`]: [`InvestigationError::Refused`] names the rule broken and the field
//! to fix; nothing is recorded unless every check passes, because [`decide`] only returns
//! events once all of them have.

pub mod csi;
pub mod enquiry;
pub mod links;
pub mod outcomes;
pub mod policy;
pub mod screening;
pub mod victims;

use crate::crime::{CrimeEvent, CrimeRecord};
use crate::limits;
use crate::pole::{Kind, LinkRole};
use crate::reference::{ReferenceData, VictimKind};
use crate::roles::{Permission, Roles};
use crate::text::{Code, Invalid, optional_text, required_text};
use crate::user::Username;
use csi::{CsiRequest, CsiResult, CsiState, CsiStatus};
use enquiry::{Enquiry, EnquiryKind, EnquiryResult, EnquiryState};
use jiff::Timestamp;
use jiff::tz::TimeZone;
use links::{CrimeLink, CrimeLinkState, CrimeRole, PersonLink, PersonLinkState};
use outcomes::{FinalisationProposal, FlagAnswer, OutcomeFacts, Review};
use screening::{Approval, FactorFinding, ScreeningDecision, ScreeningRecord};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;
use victims::{
    Assessed, ContactMethod, DeadlineState, Informed, KeyEventKind, NeedsAssessment, Referral,
    VictimCare, VictimPosition,
};

/// A decision refused: the rule it breaks (a stable name, e.g. `outcomes.suspect_required`),
/// the field to fix (as the API names it, e.g. `victims[<uuid>].position`) and why, citing
/// the source where there is one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message} [{rule}]")]
pub struct Refusal {
    pub rule: &'static str,
    pub field: String,
    pub message: String,
}

impl Refusal {
    /// As the field error the API shows next to the field.
    pub fn invalid(&self) -> Invalid {
        Invalid::new(
            self.field.clone(),
            format!("{} [{}]", self.message, self.rule),
        )
    }
}

pub(crate) fn refuse_field(rule: &'static str, field: &str, message: impl Into<String>) -> Refusal {
    Refusal {
        rule,
        field: field.to_owned(),
        message: message.into(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvestigationError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    /// None of the user's roles has the permission the command needs.
    #[error("none of your roles may do this: it needs the permission {}", .0.as_str())]
    NotPermitted(Permission),
}

fn refuse(rule: &'static str, field: &str, message: impl Into<String>) -> InvestigationError {
    InvestigationError::Refused(refuse_field(rule, field, message))
}

/// A text field checked as everywhere else ([`crate::text`]), refused under the rule `text`.
fn text(field: &str, raw: &str, max: usize) -> Result<String, InvestigationError> {
    required_text(field, raw, max).map_err(from_invalid)
}

fn optional(
    field: &str,
    raw: Option<&str>,
    max: usize,
) -> Result<Option<String>, InvestigationError> {
    optional_text(field, raw, max).map_err(from_invalid)
}

fn from_invalid(e: Invalid) -> InvestigationError {
    refuse("text", &e.field, e.message)
}

/// Where an investigation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Stage {
    /// Recorded, not yet screened (or to be screened again after a return or reopening).
    Unscreened,
    /// Screened out, waiting for a supervisor because the victim is vulnerable or repeat.
    FilingAwaitingApproval,
    /// Filed pending new information.
    Filed,
    /// Screened in.
    UnderInvestigation,
    /// An outcome proposed, waiting for the supervisor's quality check.
    FinalisationAwaitingReview,
    Finalised,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// A key event as recorded. Numbered from 1 within the crime.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyEvent {
    pub number: u32,
    pub kind: KeyEventKind,
    pub occurred_at: Timestamp,
    pub note: String,
    pub recorded_at: Timestamp,
    pub by: Username,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum FinalisationReview {
    Pending,
    Returned {
        by: Username,
        at: Timestamp,
        reasons: Vec<String>,
    },
    Approved {
        by: Username,
        at: Timestamp,
        checklist: Vec<outcomes::ChecklistItem>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finalisation {
    pub proposal: FinalisationProposal,
    pub proposed_at: Timestamp,
    pub proposed_by: Username,
    pub review: FinalisationReview,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reopening {
    pub new_information: String,
    pub at: Timestamp,
    pub by: Username,
}

/// Everything that happened to a crime after it was recorded, folded from its events.
/// Serialized as the crime's investigation panel reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Investigation {
    /// Every screening decision, oldest first.
    pub screenings: Vec<ScreeningRecord>,
    /// The screening in force (an index into `screenings`); `None` before the first, after a
    /// supervisor returned a filing, or after a filed crime was reopened.
    pub current_screening: Option<usize>,
    pub enquiries: Vec<EnquiryState>,
    pub csi: Vec<CsiState>,
    pub victims: Vec<VictimCare>,
    pub key_events: Vec<KeyEvent>,
    pub deadlines: Vec<DeadlineState>,
    /// Flag answers: yes or no, by flag code.
    pub flags: BTreeMap<Code, bool>,
    pub people: Vec<PersonLinkState>,
    pub crimes: Vec<CrimeLinkState>,
    /// The finalisation in progress or in force.
    pub finalisation: Option<Finalisation>,
    /// Finalisations returned by the supervisor or undone by a reopening, oldest first.
    pub past_finalisations: Vec<Finalisation>,
    pub reopenings: Vec<Reopening>,
}

impl Investigation {
    pub fn stage(&self) -> Stage {
        if let Some(f) = &self.finalisation {
            return match f.review {
                FinalisationReview::Approved { .. } => Stage::Finalised,
                _ => Stage::FinalisationAwaitingReview,
            };
        }
        let Some(current) = self.current_screening.and_then(|i| self.screenings.get(i)) else {
            return Stage::Unscreened;
        };
        match (&current.screening.decision, &current.approval) {
            (ScreeningDecision::ScreenIn { .. }, _) => Stage::UnderInvestigation,
            (ScreeningDecision::FilePending, Approval::Pending) => Stage::FilingAwaitingApproval,
            (ScreeningDecision::FilePending, Approval::Returned { .. }) => Stage::Unscreened,
            (ScreeningDecision::FilePending, _) => Stage::Filed,
        }
    }

    pub fn current_screening(&self) -> Option<&ScreeningRecord> {
        self.current_screening.and_then(|i| self.screenings.get(i))
    }

    /// The people linked in `role` (and not withdrawn), each once.
    pub fn people_in(&self, role: impl Fn(CrimeRole) -> bool) -> Vec<Uuid> {
        let mut found: Vec<Uuid> = Vec::new();
        for link in self
            .people
            .iter()
            .filter(|l| l.active() && role(l.link.role))
        {
            if !found.contains(&link.link.person) {
                found.push(link.link.person);
            }
        }
        found
    }

    pub fn suspects(&self) -> Vec<Uuid> {
        self.people_in(|r| r == CrimeRole::Suspect)
    }

    /// The victims under the Victims' Code: victims and bereaved close relatives.
    pub fn victims(&self) -> Vec<Uuid> {
        self.people_in(CrimeRole::is_victim)
    }

    pub fn victim_care(&self, victim: Uuid) -> Option<&VictimCare> {
        self.victims.iter().find(|v| v.victim == victim)
    }

    fn care_mut(&mut self, victim: Uuid) -> &mut VictimCare {
        let at = match self.victims.iter().position(|v| v.victim == victim) {
            Some(at) => at,
            None => {
                self.victims.push(VictimCare::new(victim));
                self.victims.len() - 1
            }
        };
        &mut self.victims[at]
    }

    pub fn enquiry(&self, id: Uuid) -> Option<&EnquiryState> {
        self.enquiries.iter().find(|e| e.enquiry.id == id)
    }

    pub fn csi_request(&self, id: Uuid) -> Option<&CsiState> {
        self.csi.iter().find(|c| c.request.id == id)
    }

    /// Open enquiries past their deadline at `now`.
    pub fn overdue_enquiries(&self, now: Timestamp) -> Vec<&EnquiryState> {
        self.enquiries.iter().filter(|e| e.overdue(now)).collect()
    }

    /// The outcome the crime was finalised with, once approved.
    pub fn outcome(&self) -> Option<&Code> {
        self.finalisation
            .as_ref()
            .filter(|f| matches!(f.review, FinalisationReview::Approved { .. }))
            .map(|f| &f.proposal.outcome)
    }

    /// Seed the links from the parties named at recording (person records only).
    pub(crate) fn from_recording(parties: &[crate::crime::Party]) -> Self {
        let mut investigation = Self::default();
        for party in parties.iter().filter(|p| p.record.kind == Kind::Person) {
            let role = match party.role {
                LinkRole::Victim => CrimeRole::Victim,
                LinkRole::Suspect => CrimeRole::Suspect,
                LinkRole::Witness => CrimeRole::Witness,
                LinkRole::Caller => CrimeRole::ReportingPerson,
                _ => continue,
            };
            investigation.people.push(PersonLinkState {
                link: PersonLink {
                    person: party.record.id,
                    role,
                    note: None,
                },
                recorded: true,
                withdrawn: None,
            });
        }
        investigation
    }
}

/// Something a user asks to do to a crime's investigation. Ids of new tasks and requests are
/// the caller's (a UUID the application makes), so a retried command cannot add a second one.
///
/// Read from JSON as `{"action": "screen", ...}`: the action names the variant in snake case.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum InvestigationCommand {
    Screen {
        decision: ScreeningDecision,
        factors: Vec<FactorFinding>,
        rationale: String,
    },
    ApproveScreening {
        note: Option<String>,
    },
    ReturnScreening {
        reason: String,
    },
    AddEnquiry(Enquiry),
    ReassignEnquiry {
        enquiry: Uuid,
        owner: Username,
        due: Timestamp,
        reason: String,
    },
    CompleteEnquiry {
        enquiry: Uuid,
        result: String,
    },
    RequestCsi(CsiRequest),
    /// Book the attendance into the force diary: the slot of the CSI team's diary `area`
    /// ([`csi::DIARY_AREA`] when none is given) starting at `diary_time`.
    BookCsi {
        request: Uuid,
        diary_time: Timestamp,
        #[serde(default)]
        area: Option<Code>,
    },
    RecordCsiAttendance {
        request: Uuid,
        attended_at: Timestamp,
        result: CsiResult,
    },
    CancelCsi {
        request: Uuid,
        reason: String,
    },
    AssessVictim(NeedsAssessment),
    ReferVictim {
        victim: Uuid,
        referral: Referral,
    },
    /// Right 3: the crime number and a named contact given to the victim.
    GiveVictimDetails {
        victim: Uuid,
        named_contact: String,
    },
    /// Right 7: the Victim Personal Statement offered.
    OfferVps {
        victim: Uuid,
        accepted: bool,
    },
    RecordVictimPosition {
        victim: Uuid,
        position: VictimPosition,
        note: String,
    },
    RecordKeyEvent {
        kind: KeyEventKind,
        occurred_at: Timestamp,
        note: String,
    },
    RecordVictimUpdate {
        key_event: u32,
        victim: Uuid,
        informed_at: Timestamp,
        method: ContactMethod,
        note: String,
    },
    AnswerFlags {
        flags: Vec<FlagAnswer>,
    },
    LinkCrime(CrimeLink),
    UnlinkCrime {
        crime: Uuid,
        reason: String,
    },
    LinkPerson(PersonLink),
    UnlinkPerson {
        person: Uuid,
        role: CrimeRole,
        reason: String,
    },
    ProposeFinalisation(FinalisationProposal),
    ReviewFinalisation(Review),
    Reopen {
        new_information: String,
    },
}

impl InvestigationCommand {
    /// The permissions any one of which allows the command.
    pub fn permissions(&self) -> &'static [Permission] {
        use InvestigationCommand::*;
        match self {
            Screen { .. } => &[Permission::ScreenCrime],
            ApproveScreening { .. } | ReturnScreening { .. } | ReviewFinalisation(_) => {
                &[Permission::SuperviseInvestigation]
            }
            BookCsi { .. } | RecordCsiAttendance { .. } => &[Permission::AttendScenes],
            CancelCsi { .. } => &[Permission::Investigate, Permission::AttendScenes],
            // Flags are set at recording, by the recorder, and corrected by the investigator.
            AnswerFlags { .. } => &[Permission::RecordCrime, Permission::Investigate],
            _ => &[Permission::Investigate],
        }
    }
}

/// What a decision needs besides the crime: who asks, with which roles, when, the reference
/// data in force and the force's time zone (for working days).
#[derive(Debug, Clone, Copy)]
pub struct InvestigationContext<'a> {
    pub who: &'a Username,
    pub roles: &'a Roles,
    pub now: Timestamp,
    pub reference: &'a ReferenceData,
    pub time_zone: &'a TimeZone,
}

/// What the outcome rules read from `crime` ([`outcomes::check_outcome`]).
pub fn outcome_facts(crime: &CrimeRecord, reference: &ReferenceData) -> OutcomeFacts {
    let inv = &crime.investigation;
    OutcomeFacts {
        suspect_identified: !inv.suspects().is_empty(),
        victims: inv
            .victims()
            .into_iter()
            .map(|v| {
                (
                    v,
                    inv.victim_care(v)
                        .and_then(|c| c.position.as_ref().map(|p| p.0)),
                )
            })
            .collect(),
        // An unknown classification is treated as having a person victim: the stricter reading.
        person_victim: reference
            .offence(crime.classification.as_str())
            .is_none_or(|o| o.victim == VictimKind::Person),
    }
}

/// Check `command` against the crime as it stands and say what it records.
pub fn decide(
    crime: &CrimeRecord,
    command: InvestigationCommand,
    c: InvestigationContext<'_>,
) -> Result<Vec<CrimeEvent>, InvestigationError> {
    let permissions = command.permissions();
    if !permissions.iter().any(|p| c.roles.may(*p)) {
        return Err(InvestigationError::NotPermitted(permissions[0]));
    }
    if crime.cancelled.is_some() {
        return Err(refuse(
            "crime.removed",
            "crime",
            "this crime has been removed from the record (HOCR Section C); it cannot be investigated",
        ));
    }
    let inv = &crime.investigation;
    let stage = inv.stage();
    let open = |field: &str| -> Result<(), InvestigationError> {
        if stage == Stage::Finalised {
            return Err(refuse(
                "finalised.reopen_first",
                field,
                "the crime is finalised; reopen it with the new information first",
            ));
        }
        Ok(())
    };
    let policy = &c.reference.investigation;
    use InvestigationCommand as C;
    match command {
        C::Screen {
            decision,
            factors,
            rationale,
        } => {
            if stage != Stage::Unscreened {
                return Err(refuse(
                    "screening.once",
                    "decision",
                    format!(
                        "the crime is already screened ({}); reopen it with new information to screen it again",
                        stage.as_str()
                    ),
                ));
            }
            let rationale = text("rationale", &rationale, limits::RATIONALE)?;
            let mut checked = Vec::new();
            for (i, f) in factors.into_iter().enumerate() {
                checked.push(FactorFinding {
                    factor: f.factor,
                    note: optional(
                        &format!("factors[{i}].note"),
                        f.note.as_deref(),
                        limits::REASON,
                    )?,
                });
            }
            let (score, recommended, mut needs_supervisor) = screening::assess(policy, &checked)?;
            match &decision {
                ScreeningDecision::ScreenIn { .. } => needs_supervisor.clear(),
                ScreeningDecision::FilePending => {
                    // Issue 15: a screened-out crime with a vulnerable or repeat victim needs a
                    // supervisor, whether the factor was ticked or the victim's needs
                    // assessment found it (Victims' Code: vulnerable or persistently
                    // targeted victims have enhanced rights).
                    let assessed = inv.victims().into_iter().any(|v| {
                        inv.victim_care(v)
                            .and_then(|c| c.assessment.as_ref())
                            .is_some_and(|a| {
                                a.assessment.enhanced.iter().any(|r| {
                                    matches!(
                                        r,
                                        victims::EnhancedRights::Vulnerable
                                            | victims::EnhancedRights::PersistentlyTargeted
                                    )
                                })
                            })
                    });
                    if assessed && needs_supervisor.is_empty() {
                        needs_supervisor.push(
                            Code::parse("factor", "VICTIM_NEEDS_ASSESSMENT")
                                .map_err(from_invalid)?,
                        );
                    }
                }
            }
            Ok(vec![CrimeEvent::Screened(screening::Screening {
                decision,
                factors: checked,
                rationale,
                policy_version: policy.screening_version.clone(),
                score,
                recommended,
                needs_supervisor,
            })])
        }
        C::ApproveScreening { note } => {
            awaiting_approval(inv, c.who)?;
            let note = optional("note", note.as_deref(), limits::REASON)?.unwrap_or_default();
            Ok(vec![CrimeEvent::ScreeningApproved { note }])
        }
        C::ReturnScreening { reason } => {
            awaiting_approval(inv, c.who)?;
            let reason = text("reason", &reason, limits::REASON)?;
            Ok(vec![CrimeEvent::ScreeningReturned { reason }])
        }
        C::AddEnquiry(enquiry) => {
            open("enquiry")?;
            if inv.enquiry(enquiry.id).is_some() {
                return Err(refuse(
                    "enquiry.id_unique",
                    "id",
                    "this crime already has an enquiry with this id",
                ));
            }
            let enquiry = Enquiry {
                description: text("description", &enquiry.description, limits::RATIONALE)?,
                kind: check_kind(enquiry.kind, c.now)?,
                ..enquiry
            };
            check_due(&enquiry.kind, enquiry.due, c.now)?;
            Ok(vec![CrimeEvent::EnquiryAdded(enquiry)])
        }
        C::ReassignEnquiry {
            enquiry,
            owner,
            due,
            reason,
        } => {
            open("enquiry")?;
            let found = open_enquiry(inv, enquiry)?;
            check_due(&found.enquiry.kind, due, c.now)?;
            let reason = text("reason", &reason, limits::SHORT_REASON)?;
            Ok(vec![CrimeEvent::EnquiryReassigned {
                enquiry,
                owner,
                due,
                reason,
            }])
        }
        C::CompleteEnquiry { enquiry, result } => {
            open("enquiry")?;
            open_enquiry(inv, enquiry)?;
            let result = text("result", &result, limits::NARRATIVE)?;
            Ok(vec![CrimeEvent::EnquiryCompleted { enquiry, result }])
        }
        C::RequestCsi(request) => {
            open("request")?;
            if inv.csi_request(request.id).is_some() {
                return Err(refuse(
                    "csi.id_unique",
                    "id",
                    "this crime already has a CSI request with this id",
                ));
            }
            if request.forensic_opportunities.len() > limits::QUALIFIERS {
                return Err(refuse(
                    "text",
                    "forensic_opportunities",
                    format!("at most {} items", limits::QUALIFIERS),
                ));
            }
            let mut opportunities = Vec::new();
            for (i, o) in request.forensic_opportunities.iter().enumerate() {
                opportunities.push(text(
                    &format!("forensic_opportunities[{i}]"),
                    o,
                    limits::SHORT_REASON,
                )?);
            }
            Ok(vec![CrimeEvent::CsiRequested(CsiRequest {
                what: text("what", &request.what, limits::REASON)?,
                location: text("location", &request.location, limits::ADDRESS)?,
                forensic_opportunities: opportunities,
                // The caller is told how to keep the scene; what they were told is the record
                // of it (College of Policing APP, Investigation: scene preservation).
                preservation_advice: text(
                    "preservation_advice",
                    &request.preservation_advice,
                    limits::RATIONALE,
                )?,
                ..request
            })])
        }
        C::BookCsi {
            request,
            diary_time,
            area,
        } => {
            let found = csi_request(inv, request)?;
            if !found.status.is_pending() {
                return Err(refuse(
                    "csi.state",
                    "request",
                    format!(
                        "the request is {}; only a requested or booked one can be booked",
                        found.status.as_str()
                    ),
                ));
            }
            if diary_time < c.now {
                return Err(refuse(
                    "csi.booking_future",
                    "diary_time",
                    "a booking is for a time still to come",
                ));
            }
            Ok(vec![CrimeEvent::CsiBooked {
                request,
                diary_time,
                area: Some(area.unwrap_or_else(csi::diary_area)),
            }])
        }
        C::RecordCsiAttendance {
            request,
            attended_at,
            result,
        } => {
            let found = csi_request(inv, request)?;
            if !matches!(found.status, CsiStatus::Booked { .. }) {
                return Err(refuse(
                    "csi.booked_first",
                    "request",
                    format!(
                        "the request is {}; attendance is recorded against a booking",
                        found.status.as_str()
                    ),
                ));
            }
            if attended_at > c.now || attended_at < found.requested_at {
                return Err(refuse(
                    "csi.attended_when",
                    "attended_at",
                    "attendance is between the request and now",
                ));
            }
            let result = match result {
                CsiResult::Exhibits { exhibits } => {
                    if exhibits.is_empty() {
                        return Err(refuse(
                            "csi.result",
                            "result.exhibits",
                            "list the exhibits taken, or record no forensic opportunity",
                        ));
                    }
                    let mut checked = Vec::new();
                    for (i, e) in exhibits.into_iter().enumerate() {
                        checked.push(csi::Exhibit {
                            reference: text(
                                &format!("result.exhibits[{i}].reference"),
                                &e.reference,
                                limits::LABEL,
                            )?,
                            description: text(
                                &format!("result.exhibits[{i}].description"),
                                &e.description,
                                limits::SHORT_REASON,
                            )?,
                        });
                    }
                    CsiResult::Exhibits { exhibits: checked }
                }
                CsiResult::NoForensicOpportunity { note } => CsiResult::NoForensicOpportunity {
                    note: text("result.note", &note, limits::REASON)?,
                },
            };
            Ok(vec![CrimeEvent::CsiAttended {
                request,
                attended_at,
                result,
            }])
        }
        C::CancelCsi { request, reason } => {
            let found = csi_request(inv, request)?;
            if !found.status.is_pending() {
                return Err(refuse(
                    "csi.state",
                    "request",
                    format!(
                        "the request is {}; only a requested or booked one can be cancelled",
                        found.status.as_str()
                    ),
                ));
            }
            let reason = text("reason", &reason, limits::SHORT_REASON)?;
            Ok(vec![CrimeEvent::CsiCancelled { request, reason }])
        }
        C::AssessVictim(assessment) => {
            let victim = known_victim(inv, assessment.victim, "victim")?;
            let mut enhanced = assessment.enhanced.clone();
            enhanced.sort();
            enhanced.dedup();
            let bereaved = inv.people.iter().any(|l| {
                l.active()
                    && l.link.person == victim
                    && l.link.role == CrimeRole::BereavedCloseRelative
            });
            if bereaved && !enhanced.contains(&victims::EnhancedRights::BereavedCloseRelative) {
                return Err(refuse(
                    "victims_code.bereaved_enhanced",
                    "enhanced",
                    "a close relative bereaved by criminal conduct is eligible for enhanced rights (Victims' Code 2020, enhanced rights): include bereaved_close_relative",
                ));
            }
            let p = assessment.preferences;
            Ok(vec![CrimeEvent::VictimAssessed(NeedsAssessment {
                victim,
                enhanced,
                needs: text("needs", &assessment.needs, limits::RATIONALE)?,
                preferences: victims::ContactPreferences {
                    how: p.how,
                    when: optional("preferences.when", p.when.as_deref(), limits::SHORT_REASON)?,
                    who: optional("preferences.who", p.who.as_deref(), limits::NAME)?,
                    language: text("preferences.language", &p.language, limits::SHORT_DETAIL)?,
                    interpreter: p.interpreter,
                },
            })])
        }
        C::ReferVictim { victim, referral } => {
            let victim = known_victim(inv, victim, "victim")?;
            let referral = match referral {
                Referral::Consented { service } => Referral::Consented {
                    service: text("referral.service", &service, limits::LABEL)?,
                },
                Referral::Declined => Referral::Declined,
            };
            Ok(vec![CrimeEvent::VictimReferred { victim, referral }])
        }
        C::GiveVictimDetails {
            victim,
            named_contact,
        } => {
            let victim = known_victim(inv, victim, "victim")?;
            let named_contact = text("named_contact", &named_contact, limits::NAME)?;
            Ok(vec![CrimeEvent::VictimDetailsGiven {
                victim,
                named_contact,
            }])
        }
        C::OfferVps { victim, accepted } => {
            let victim = known_victim(inv, victim, "victim")?;
            Ok(vec![CrimeEvent::VpsOffered { victim, accepted }])
        }
        C::RecordVictimPosition {
            victim,
            position,
            note,
        } => {
            open("position")?;
            let victim = known_victim(inv, victim, "victim")?;
            let note = text("note", &note, limits::REASON)?;
            Ok(vec![CrimeEvent::VictimPositionRecorded {
                victim,
                position,
                note,
            }])
        }
        C::RecordKeyEvent {
            kind,
            occurred_at,
            note,
        } => {
            open("kind")?;
            if kind == KeyEventKind::Finalised {
                return Err(refuse(
                    "victims_code.finalised_by_approval",
                    "kind",
                    "finalisation is recorded by the supervisor's approval, which opens its own deadline",
                ));
            }
            if kind.concerns_suspect() && inv.suspects().is_empty() {
                return Err(refuse(
                    "key_event.suspect",
                    "kind",
                    format!(
                        "{} is about a suspect: link the suspect to the crime first",
                        kind.as_str()
                    ),
                ));
            }
            if occurred_at > c.now || occurred_at < crime.recording.offence_from {
                return Err(refuse(
                    "key_event.when",
                    "occurred_at",
                    "the event happened between the offence and now",
                ));
            }
            let note = text("note", &note, limits::REASON)?;
            key_event(crime, kind, occurred_at, note, &c).map(|e| vec![e])
        }
        C::RecordVictimUpdate {
            key_event,
            victim,
            informed_at,
            method,
            note,
        } => {
            let deadline = inv
                .deadlines
                .iter()
                .find(|d| d.deadline.key_event == key_event && d.deadline.victim == victim)
                .ok_or_else(|| {
                    refuse(
                        "victims_code.deadline_known",
                        "key_event",
                        format!("key event {key_event} opened no update for this victim"),
                    )
                })?;
            if !deadline.is_open() {
                return Err(refuse(
                    "victims_code.already_informed",
                    "key_event",
                    "the victim was already told of this event",
                ));
            }
            if informed_at > c.now || informed_at < deadline.deadline.occurred_at {
                return Err(refuse(
                    "victims_code.informed_when",
                    "informed_at",
                    "the victim is told between the event and now",
                ));
            }
            let note = text("note", &note, limits::REASON)?;
            Ok(vec![CrimeEvent::VictimUpdated {
                key_event,
                victim,
                informed_at,
                method,
                note,
            }])
        }
        C::AnswerFlags { flags: answers } => {
            open("answers")?;
            outcomes::check_answers(policy, &answers)?;
            let answers = answers
                .into_iter()
                .map(|a| FlagAnswer {
                    // Stored as the policy spells it, whatever case it was typed in.
                    flag: policy
                        .flag(a.flag.as_str())
                        .map(|f| f.code.clone())
                        .unwrap_or(a.flag),
                    yes: a.yes,
                })
                .collect();
            Ok(vec![CrimeEvent::FlagsAnswered { answers }])
        }
        C::LinkCrime(link) => {
            if link.crime == Uuid::nil() {
                return Err(refuse("links.crime", "crime", "name the crime to link"));
            }
            if inv.crimes.iter().any(|l| {
                l.withdrawn.is_none() && l.link.crime == link.crime && l.link.kind == link.kind
            }) {
                return Err(refuse(
                    "links.once",
                    "crime",
                    "the crimes are already linked this way",
                ));
            }
            let note = optional("note", link.note.as_deref(), limits::SHORT_REASON)?;
            Ok(vec![CrimeEvent::CrimeLinked(CrimeLink { note, ..link })])
        }
        C::UnlinkCrime {
            crime: other,
            reason,
        } => {
            if !inv
                .crimes
                .iter()
                .any(|l| l.withdrawn.is_none() && l.link.crime == other)
            {
                return Err(refuse("links.known", "crime", "the crimes are not linked"));
            }
            let reason = text("reason", &reason, limits::SHORT_REASON)?;
            Ok(vec![CrimeEvent::CrimeUnlinked {
                crime: other,
                reason,
            }])
        }
        C::LinkPerson(link) => {
            if inv
                .people
                .iter()
                .any(|l| l.active() && l.link.person == link.person && l.link.role == link.role)
            {
                return Err(refuse(
                    "links.once",
                    "person",
                    format!("the person is already linked as {}", link.role.as_str()),
                ));
            }
            let note = optional("note", link.note.as_deref(), limits::SHORT_REASON)?;
            Ok(vec![CrimeEvent::PersonLinked(PersonLink { note, ..link })])
        }
        C::UnlinkPerson {
            person,
            role,
            reason,
        } => {
            if !inv
                .people
                .iter()
                .any(|l| l.active() && l.link.person == person && l.link.role == role)
            {
                return Err(refuse(
                    "links.known",
                    "person",
                    format!("the person is not linked as {}", role.as_str()),
                ));
            }
            let reason = text("reason", &reason, limits::SHORT_REASON)?;
            Ok(vec![CrimeEvent::PersonUnlinked {
                person,
                role,
                reason,
            }])
        }
        C::ProposeFinalisation(proposal) => {
            match stage {
                Stage::UnderInvestigation | Stage::Filed => {}
                Stage::Unscreened => {
                    return Err(refuse(
                        "finalisation.screened_first",
                        "screening",
                        "screen the crime before finalising it",
                    ));
                }
                Stage::FilingAwaitingApproval => {
                    return Err(refuse(
                        "screening.approval_pending",
                        "screening",
                        "filing this crime waits for a supervisor's approval",
                    ));
                }
                Stage::FinalisationAwaitingReview => {
                    return Err(refuse(
                        "finalisation.pending",
                        "outcome",
                        "an outcome is already waiting for the supervisor",
                    ));
                }
                Stage::Finalised => open("outcome")?,
            }
            let proposal = FinalisationProposal {
                rationale: text("rationale", &proposal.rationale, limits::RATIONALE)?,
                cps_reference: optional(
                    "cps_reference",
                    proposal.cps_reference.as_deref(),
                    limits::CRIME_REFERENCE,
                )?,
                other_agency: optional(
                    "other_agency",
                    proposal.other_agency.as_deref(),
                    limits::LABEL,
                )?,
                ..proposal
            };
            ready_to_finalise(crime, c.reference, &proposal)?;
            let outcome = policy
                .outcome(proposal.outcome.as_str())
                .map(|o| o.code.clone())
                .unwrap_or(proposal.outcome.clone());
            Ok(vec![CrimeEvent::FinalisationProposed(
                FinalisationProposal {
                    outcome,
                    ..proposal
                },
            )])
        }
        C::ReviewFinalisation(review) => {
            let Some(pending) = inv
                .finalisation
                .as_ref()
                .filter(|f| f.review == FinalisationReview::Pending)
            else {
                return Err(refuse(
                    "finalisation.pending",
                    "review",
                    "no outcome is waiting for review",
                ));
            };
            if &pending.proposed_by == c.who {
                return Err(refuse(
                    "finalisation.separation_of_duties",
                    "review",
                    "the quality check is made by someone other than the investigator who proposed the outcome",
                ));
            }
            match review {
                Review::Approve { checklist } => {
                    outcomes::check_checklist(&checklist)?;
                    // The crime may have changed since the proposal: the rules hold at the
                    // moment it is finalised.
                    ready_to_finalise(crime, c.reference, &pending.proposal)?;
                    let opened = key_event(
                        crime,
                        KeyEventKind::Finalised,
                        c.now,
                        format!("Finalised: outcome {}", pending.proposal.outcome),
                        &c,
                    )?;
                    Ok(vec![CrimeEvent::FinalisationApproved { checklist }, opened])
                }
                Review::Return { reasons } => {
                    if reasons.is_empty() {
                        return Err(refuse(
                            "finalisation.return_reasons",
                            "reasons",
                            "say what the investigator must put right",
                        ));
                    }
                    let mut checked = Vec::new();
                    for (i, r) in reasons.iter().enumerate() {
                        checked.push(text(&format!("reasons[{i}]"), r, limits::REASON)?);
                    }
                    Ok(vec![CrimeEvent::FinalisationReturned { reasons: checked }])
                }
            }
        }
        C::Reopen { new_information } => {
            if !matches!(stage, Stage::Finalised | Stage::Filed) {
                return Err(refuse(
                    "reopen.closed_only",
                    "new_information",
                    format!(
                        "the crime is {}: only a finalised or filed crime is reopened",
                        stage.as_str()
                    ),
                ));
            }
            let new_information = text("new_information", &new_information, limits::RATIONALE)?;
            Ok(vec![CrimeEvent::Reopened { new_information }])
        }
    }
}

fn awaiting_approval<'a>(
    inv: &'a Investigation,
    who: &Username,
) -> Result<&'a ScreeningRecord, InvestigationError> {
    let current = inv
        .current_screening()
        .filter(|_| inv.stage() == Stage::FilingAwaitingApproval)
        .ok_or_else(|| {
            refuse(
                "screening.approval_pending",
                "screening",
                "no filing is waiting for a supervisor",
            )
        })?;
    if &current.by == who {
        return Err(refuse(
            "screening.separation_of_duties",
            "screening",
            "a filing is approved by a supervisor other than the one who made it",
        ));
    }
    Ok(current)
}

fn check_kind(kind: EnquiryKind, now: Timestamp) -> Result<EnquiryKind, InvestigationError> {
    Ok(match kind {
        EnquiryKind::CctvRequest {
            location,
            retention_until,
        } => {
            if retention_until <= now {
                return Err(refuse(
                    "enquiry.cctv_retention",
                    "retention_until",
                    "the footage is already overwritten by then; record what was found as another enquiry",
                ));
            }
            EnquiryKind::CctvRequest {
                location: text("location", &location, limits::ADDRESS)?,
                retention_until,
            }
        }
        EnquiryKind::PartnerEnquiry { agency } => EnquiryKind::PartnerEnquiry {
            agency: text("agency", &agency, limits::LABEL)?,
        },
        other => other,
    })
}

fn check_due(kind: &EnquiryKind, due: Timestamp, now: Timestamp) -> Result<(), InvestigationError> {
    if due < now {
        return Err(refuse(
            "enquiry.due_future",
            "due",
            "an enquiry is due at a time still to come",
        ));
    }
    if let EnquiryKind::CctvRequest {
        retention_until, ..
    } = kind
        && due > *retention_until
    {
        return Err(refuse(
            "enquiry.cctv_before_retention",
            "due",
            "a CCTV request is due before the footage is overwritten (retention_until)",
        ));
    }
    Ok(())
}

fn open_enquiry(inv: &Investigation, id: Uuid) -> Result<&EnquiryState, InvestigationError> {
    let found = inv
        .enquiry(id)
        .ok_or_else(|| refuse("enquiry.known", "enquiry", "the crime has no such enquiry"))?;
    if !found.is_open() {
        return Err(refuse(
            "enquiry.open",
            "enquiry",
            "the enquiry already has its result",
        ));
    }
    Ok(found)
}

fn csi_request(inv: &Investigation, id: Uuid) -> Result<&CsiState, InvestigationError> {
    inv.csi_request(id)
        .ok_or_else(|| refuse("csi.known", "request", "the crime has no such CSI request"))
}

fn known_victim(
    inv: &Investigation,
    victim: Uuid,
    field: &str,
) -> Result<Uuid, InvestigationError> {
    if inv.victims().contains(&victim) {
        Ok(victim)
    } else {
        Err(refuse(
            "victims.known",
            field,
            "the person is not linked to the crime as a victim or bereaved close relative",
        ))
    }
}

/// A key event and the deadlines it opens for every victim, by the Code's limit for the
/// kind and each victim's eligibility for enhanced rights (Victims' Code 2020, Right 6).
fn key_event(
    crime: &CrimeRecord,
    kind: KeyEventKind,
    occurred_at: Timestamp,
    note: String,
    c: &InvestigationContext<'_>,
) -> Result<CrimeEvent, InvestigationError> {
    let inv = &crime.investigation;
    let policy = &c.reference.investigation;
    let limit = policy.update_limit(kind).ok_or_else(|| {
        refuse(
            "reference.victim_updates",
            "kind",
            format!("victim-updates.psv gives no limit for {}", kind.as_str()),
        )
    })?;
    let victims: Vec<(Uuid, bool)> = inv
        .victims()
        .into_iter()
        .map(|v| (v, inv.victim_care(v).is_some_and(VictimCare::enhanced)))
        .collect();
    let number = u32::try_from(inv.key_events.len() + 1).unwrap_or(u32::MAX);
    let deadlines = victims::deadlines_for(
        number,
        kind,
        occurred_at,
        &victims,
        limit,
        c.time_zone,
        &policy.calendar,
    )
    .ok_or_else(|| {
        refuse(
            "key_event.when",
            "occurred_at",
            "the deadline falls outside the calendar",
        )
    })?;
    Ok(CrimeEvent::KeyEventRecorded {
        number,
        kind,
        occurred_at,
        note,
        deadlines,
    })
}

/// Everything that must hold for `proposal` to finalise `crime`: enquiries resulted, CSI
/// attended or cancelled, flags answered, and the outcome's evidential rules.
fn ready_to_finalise(
    crime: &CrimeRecord,
    reference: &ReferenceData,
    proposal: &FinalisationProposal,
) -> Result<(), InvestigationError> {
    let inv = &crime.investigation;
    if let Some(open) = inv.enquiries.iter().find(|e| e.is_open()) {
        return Err(refuse(
            "finalisation.enquiries_open",
            &format!("enquiries[{}]", open.enquiry.id),
            format!(
                "the {} enquiry '{}' has no result yet",
                open.enquiry.kind.as_str(),
                open.enquiry.description
            ),
        ));
    }
    if let Some(pending) = inv.csi.iter().find(|r| r.status.is_pending()) {
        return Err(refuse(
            "finalisation.csi_pending",
            &format!("csi[{}]", pending.request.id),
            format!(
                "the CSI request for '{}' is still {}: record the attendance or cancel it",
                pending.request.what,
                pending.status.as_str()
            ),
        ));
    }
    let facts = outcome_facts(crime, reference);
    outcomes::check_flags(&reference.investigation, &inv.flags, facts.person_victim)?;
    outcomes::check_outcome(&reference.investigation, &facts, proposal)?;
    Ok(())
}

/// Fold one investigation event into `inv`. Events that are not the investigation's are
/// ignored (the crime record folds them). Errors name a stream that cannot be folded.
pub(crate) fn apply(
    inv: &mut Investigation,
    event: &CrimeEvent,
    at: Timestamp,
    by: &Username,
) -> Result<(), &'static str> {
    match event {
        CrimeEvent::Recorded(_)
        | CrimeEvent::Reclassified { .. }
        | CrimeEvent::CancellationRequested { .. }
        | CrimeEvent::CancellationApproved
        | CrimeEvent::CancellationDeclined { .. } => {}
        CrimeEvent::Screened(screening) => {
            let approval = match (&screening.decision, screening.needs_supervisor.is_empty()) {
                (ScreeningDecision::FilePending, false) => Approval::Pending,
                _ => Approval::NotNeeded,
            };
            inv.screenings.push(ScreeningRecord {
                screening: screening.clone(),
                at,
                by: by.clone(),
                approval,
            });
            inv.current_screening = Some(inv.screenings.len() - 1);
        }
        CrimeEvent::ScreeningApproved { note } => {
            let current = pending_screening(inv)?;
            current.approval = Approval::Approved {
                by: by.clone(),
                at,
                note: note.clone(),
            };
        }
        CrimeEvent::ScreeningReturned { reason } => {
            let current = pending_screening(inv)?;
            current.approval = Approval::Returned {
                by: by.clone(),
                at,
                reason: reason.clone(),
            };
        }
        CrimeEvent::EnquiryAdded(enquiry) => inv.enquiries.push(EnquiryState {
            enquiry: enquiry.clone(),
            added_at: at,
            added_by: by.clone(),
            result: None,
        }),
        CrimeEvent::EnquiryReassigned {
            enquiry,
            owner,
            due,
            ..
        } => {
            let found = enquiry_mut(inv, *enquiry)?;
            found.enquiry.owner = owner.clone();
            found.enquiry.due = *due;
        }
        CrimeEvent::EnquiryCompleted { enquiry, result } => {
            enquiry_mut(inv, *enquiry)?.result = Some(EnquiryResult {
                text: result.clone(),
                at,
                by: by.clone(),
            });
        }
        CrimeEvent::CsiRequested(request) => inv.csi.push(CsiState {
            request: request.clone(),
            requested_at: at,
            requested_by: by.clone(),
            status: CsiStatus::Requested,
        }),
        CrimeEvent::CsiBooked {
            request,
            diary_time,
            area,
        } => {
            csi_mut(inv, *request)?.status = CsiStatus::Booked {
                diary_time: *diary_time,
                by: by.clone(),
                area: area.clone(),
            };
        }
        CrimeEvent::CsiAttended {
            request,
            attended_at,
            result,
        } => {
            csi_mut(inv, *request)?.status = CsiStatus::Attended {
                attended_at: *attended_at,
                by: by.clone(),
                result: result.clone(),
            };
        }
        CrimeEvent::CsiCancelled { request, reason } => {
            csi_mut(inv, *request)?.status = CsiStatus::Cancelled {
                reason: reason.clone(),
                by: by.clone(),
            };
        }
        CrimeEvent::VictimAssessed(assessment) => {
            inv.care_mut(assessment.victim).assessment = Some(Assessed {
                assessment: assessment.clone(),
                at,
                by: by.clone(),
            });
        }
        CrimeEvent::VictimReferred { victim, referral } => {
            inv.care_mut(*victim).referral = Some((referral.clone(), at));
        }
        CrimeEvent::VictimDetailsGiven {
            victim,
            named_contact,
        } => {
            inv.care_mut(*victim).details_given = Some((at, named_contact.clone()));
        }
        CrimeEvent::VpsOffered { victim, accepted } => {
            inv.care_mut(*victim).vps = Some((at, *accepted));
        }
        CrimeEvent::VictimPositionRecorded {
            victim,
            position,
            note,
        } => {
            inv.care_mut(*victim).position = Some((*position, note.clone(), at));
        }
        CrimeEvent::KeyEventRecorded {
            number,
            kind,
            occurred_at,
            note,
            deadlines,
        } => {
            inv.key_events.push(KeyEvent {
                number: *number,
                kind: *kind,
                occurred_at: *occurred_at,
                note: note.clone(),
                recorded_at: at,
                by: by.clone(),
            });
            inv.deadlines
                .extend(deadlines.iter().cloned().map(|deadline| DeadlineState {
                    deadline,
                    informed: None,
                }));
        }
        CrimeEvent::VictimUpdated {
            key_event,
            victim,
            informed_at,
            method,
            note,
        } => {
            let deadline = inv
                .deadlines
                .iter_mut()
                .find(|d| d.deadline.key_event == *key_event && d.deadline.victim == *victim)
                .ok_or("a victim update for a key event that opened no deadline")?;
            deadline.informed = Some(Informed {
                at: *informed_at,
                by: by.clone(),
                method: *method,
                note: note.clone(),
            });
        }
        CrimeEvent::FlagsAnswered { answers } => {
            for a in answers {
                inv.flags.insert(a.flag.clone(), a.yes);
            }
        }
        CrimeEvent::CrimeLinked(link) => inv.crimes.push(CrimeLinkState {
            link: link.clone(),
            withdrawn: None,
        }),
        CrimeEvent::CrimeUnlinked { crime, reason } => {
            for l in inv
                .crimes
                .iter_mut()
                .filter(|l| l.link.crime == *crime && l.withdrawn.is_none())
            {
                l.withdrawn = Some(reason.clone());
            }
        }
        CrimeEvent::PersonLinked(link) => inv.people.push(PersonLinkState {
            link: link.clone(),
            recorded: false,
            withdrawn: None,
        }),
        CrimeEvent::PersonUnlinked {
            person,
            role,
            reason,
        } => {
            let link = inv
                .people
                .iter_mut()
                .find(|l| l.active() && l.link.person == *person && l.link.role == *role)
                .ok_or("an unlink of a person not linked")?;
            link.withdrawn = Some(reason.clone());
        }
        CrimeEvent::FinalisationProposed(proposal) => {
            inv.finalisation = Some(Finalisation {
                proposal: proposal.clone(),
                proposed_at: at,
                proposed_by: by.clone(),
                review: FinalisationReview::Pending,
            });
        }
        CrimeEvent::FinalisationApproved { checklist } => {
            let f = inv
                .finalisation
                .as_mut()
                .filter(|f| f.review == FinalisationReview::Pending)
                .ok_or("a finalisation approved with none pending")?;
            f.review = FinalisationReview::Approved {
                by: by.clone(),
                at,
                checklist: checklist.clone(),
            };
        }
        CrimeEvent::FinalisationReturned { reasons } => {
            let mut f = inv
                .finalisation
                .take()
                .filter(|f| f.review == FinalisationReview::Pending)
                .ok_or("a finalisation returned with none pending")?;
            f.review = FinalisationReview::Returned {
                by: by.clone(),
                at,
                reasons: reasons.clone(),
            };
            inv.past_finalisations.push(f);
        }
        CrimeEvent::Reopened { new_information } => {
            match inv.stage() {
                Stage::Finalised => {
                    if let Some(f) = inv.finalisation.take() {
                        inv.past_finalisations.push(f);
                    }
                    // A crime filed at screening goes back to be screened; one screened in
                    // goes back under investigation.
                    if inv
                        .current_screening()
                        .is_some_and(|s| s.screening.decision == ScreeningDecision::FilePending)
                    {
                        inv.current_screening = None;
                    }
                }
                Stage::Filed => inv.current_screening = None,
                _ => return Err("a reopening of a crime neither finalised nor filed"),
            }
            inv.reopenings.push(Reopening {
                new_information: new_information.clone(),
                at,
                by: by.clone(),
            });
        }
    }
    Ok(())
}

fn pending_screening(inv: &mut Investigation) -> Result<&mut ScreeningRecord, &'static str> {
    let i = inv
        .current_screening
        .ok_or("a screening approval with no screening")?;
    inv.screenings
        .get_mut(i)
        .filter(|s| s.approval == Approval::Pending)
        .ok_or("a screening approval with none pending")
}

fn enquiry_mut(inv: &mut Investigation, id: Uuid) -> Result<&mut EnquiryState, &'static str> {
    inv.enquiries
        .iter_mut()
        .find(|e| e.enquiry.id == id)
        .ok_or("a change to an enquiry never added")
}

fn csi_mut(inv: &mut Investigation, id: Uuid) -> Result<&mut CsiState, &'static str> {
    inv.csi
        .iter_mut()
        .find(|c| c.request.id == id)
        .ok_or("a change to a CSI request never made")
}

#[cfg(test)]
mod tests;
