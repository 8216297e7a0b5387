//! Safeguarding referrals (issue 17): a referral to a partner agency with a lifecycle,
//! `drafted → sent → acknowledged | refused (with the agency's reason) → outcome recorded`, or
//! `drafted → not made` (a supervisor records why), and the rules, as policy data, that say
//! which referrals an incident requires before it may close.
//!
//! Every referral records to whom (an agency of the directory, `reference/agencies.psv`, with
//! how it is reached), why, the person's consent or the lawful basis for sharing without it
//! (`reference/sharing-bases.psv`), and what was shared. The `referral.sent` event is the
//! disclosure record: who (its author), to whom (`agency`, `via`), what (`shared`), when (its
//! time) and on what basis (`sharing`), written to the audit chain as every event is
//! ([`ReferralEvent::disclosure`] reads it back for an access log).
//!
//! Module map:
//! - this file: the referral aggregate ([`ReferralState`], [`ReferralEvent`],
//!   [`ReferralCommand`], [`decide`]), the rules ([`IncidentFacts`], [`required_referrals`])
//!   and the closure check ([`closure_problems`]).
//! - [`policy`]: referral types and due times, rules, sharing bases, read from `reference/`.
//!
//! Storage: a referral is a stream of its own, `referral/{incident|crime}/{uuid}/{uuid}`
//! ([`ReferralId::stream`]), not events on the incident: a referral lives on after the
//! incident closes (the agency acknowledges it days later, the outcome weeks later) and a
//! closed incident takes no events; it may belong to a crime instead; and the incident's
//! referrals are listed by the stream prefix ([`ReferralId::prefix_of`]) for the closure
//! check without a projection.

pub mod policy;

use crate::aggregate::{Aggregate, Decide, FoldError, Folding, Stamped};
use crate::assessment::{DashRisk, VulnerabilityFlag};
use crate::closure::ClosureProblem;
use crate::incident::Incident;
use crate::investigation::{Refusal, refuse_field};
use crate::limits;
use crate::reference::ReferenceData;
use crate::roles::{Permission, Roles};
use crate::stream::{StreamId, StreamKind};
use crate::tasking::BelongsTo;
use crate::text::{Code, Invalid, optional_text, required_text};
use crate::user::Username;
use jiff::Timestamp;
use policy::{Condition, ReferralRule, SafeguardingPolicy};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// A referral: the record it belongs to and its own id (the caller's UUID, so a retried
/// command cannot draft a second one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ReferralId {
    pub belongs_to: BelongsTo,
    pub id: Uuid,
}

impl ReferralId {
    pub fn stream(&self) -> StreamId {
        <ReferralState as Aggregate>::stream(self)
    }

    /// The prefix of every referral stream of `record`: list these to check closure.
    pub fn prefix_of(record: &BelongsTo) -> String {
        StreamId::prefix(StreamKind::Referral, format!("{}/", record.key()))
    }

    /// Read a referral stream's key (`incident/<uuid>/<uuid>`) back.
    pub fn from_stream_key(key: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new("stream", format!("'{key}' is not a referral's stream key"));
        let (record, id) = key.rsplit_once('/').ok_or_else(bad)?;
        Ok(Self {
            belongs_to: BelongsTo::parse_key(record)?,
            id: id.parse().map_err(|_| bad())?,
        })
    }
}

impl fmt::Display for ReferralId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.belongs_to, self.id)
    }
}

/// The footing on which personal data goes to the agency: the person's consent, or a lawful
/// basis for sharing without it (a code of `sharing-bases.psv`) and why consent was not
/// sought or was overridden. Read from JSON as `{"kind": "consent", ...}` or
/// `{"kind": "without_consent", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Sharing {
    Consent {
        /// Who consented (the person, or who may consent for them).
        given_by: String,
        /// How and when: "verbally on the 999 call at 14:02".
        how: String,
    },
    WithoutConsent {
        basis: Code,
        /// Why consent was not sought, or was overridden (e.g. seeking it would put a child
        /// at risk).
        why: String,
    },
}

/// What happened to a referral. Stored names are never renamed (pinned in `aggregate.rs`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::IntoStaticStr)]
#[cfg_attr(test, derive(strum::VariantNames))]
#[serde(tag = "type", rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", prefix = "referral.")]
pub enum ReferralEvent {
    Drafted {
        belongs_to: BelongsTo,
        referral_type: Code,
        agency: Code,
        /// How the agency is reached, from the directory when drafted.
        reached_via: String,
        reason: String,
        /// The person the referral is about (a POLE person record), when recorded.
        about_person: Option<Uuid>,
        sharing: Option<Sharing>,
        /// What is planned to be shared.
        shared: Vec<String>,
        /// The rules that required it (none for a referral made on judgement alone).
        rules: Vec<Code>,
        /// When it must be sent by (the type's `send_within_hours`).
        due: Timestamp,
    },
    /// The disclosure: to whom, how, what, on what basis; by and when are the record's own.
    Sent {
        agency: Code,
        via: String,
        sharing: Sharing,
        shared: Vec<String>,
        /// When the agency's acknowledgement is due (the type's `acknowledge_within_hours`).
        acknowledge_by: Timestamp,
    },
    Acknowledged {
        their_reference: Option<String>,
        note: Option<String>,
    },
    /// The agency declined the referral, with its reason.
    Refused {
        reason: String,
    },
    OutcomeRecorded {
        outcome: String,
    },
    /// A supervisor's decision that the referral is not to be made, with why.
    NotMade {
        reason: String,
    },
}

/// The disclosure a `referral.sent` event records, for an access or disclosure log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disclosure<'a> {
    pub to: &'a Code,
    pub via: &'a str,
    pub what: &'a [String],
    pub sharing: &'a Sharing,
}

impl ReferralEvent {
    /// The disclosure this event makes, if it is one (only `referral.sent`).
    pub fn disclosure(&self) -> Option<Disclosure<'_>> {
        match self {
            Self::Sent {
                agency,
                via,
                sharing,
                shared,
                ..
            } => Some(Disclosure {
                to: agency,
                via,
                what: shared,
                sharing,
            }),
            _ => None,
        }
    }
}

/// Where a referral stands, with who moved it there and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReferralStatus {
    Drafted,
    Sent {
        by: Username,
        at: Timestamp,
        acknowledge_by: Timestamp,
    },
    Acknowledged {
        by: Username,
        at: Timestamp,
        their_reference: Option<String>,
    },
    Refused {
        by: Username,
        at: Timestamp,
        reason: String,
    },
    OutcomeRecorded {
        by: Username,
        at: Timestamp,
        outcome: String,
    },
    NotMade {
        by: Username,
        at: Timestamp,
        reason: String,
    },
}

impl ReferralStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Drafted => "drafted",
            Self::Sent { .. } => "sent",
            Self::Acknowledged { .. } => "acknowledged",
            Self::Refused { .. } => "refused",
            Self::OutcomeRecorded { .. } => "outcome_recorded",
            Self::NotMade { .. } => "not_made",
        }
    }

    /// Whether the referral meets a rule that requires it: it was sent (whatever the agency
    /// did with it), or a supervisor recorded why it is not made.
    pub fn settles_requirement(&self) -> bool {
        !matches!(self, Self::Drafted)
    }
}

/// A referral folded from its stream. Serialized as the referral panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReferralState {
    pub id: ReferralId,
    pub referral_type: Code,
    pub agency: Code,
    pub reached_via: String,
    pub reason: String,
    pub about_person: Option<Uuid>,
    pub sharing: Option<Sharing>,
    pub shared: Vec<String>,
    pub rules: Vec<Code>,
    pub due: Timestamp,
    pub drafted_at: Timestamp,
    pub drafted_by: Username,
    pub status: ReferralStatus,
    /// Notes given with the acknowledgement, kept when the outcome follows.
    pub acknowledgement_note: Option<String>,
}

/// Why a referral needs chasing at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "chase", rename_all = "snake_case")]
pub enum Chase {
    /// Drafted and not sent by its due time.
    SendOverdue { due: Timestamp },
    /// Sent and not acknowledged by the agency in time.
    AcknowledgementOverdue { due: Timestamp },
}

impl ReferralState {
    /// Whether it is late at `now`, and for what.
    pub fn chase(&self, now: Timestamp) -> Option<Chase> {
        match &self.status {
            ReferralStatus::Drafted if now > self.due => Some(Chase::SendOverdue { due: self.due }),
            ReferralStatus::Sent { acknowledge_by, .. } if now > *acknowledge_by => {
                Some(Chase::AcknowledgementOverdue {
                    due: *acknowledge_by,
                })
            }
            _ => None,
        }
    }
}

/// Something a user asks to do to a referral. Read from JSON as `{"action": "draft", ...}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReferralCommand {
    Draft {
        /// A code of `referral-types.psv` (MARAC, CHILDRENS_SOCIAL_CARE, ...).
        referral_type: Code,
        /// The agency, when not the type's own (it must be in the directory).
        #[serde(default)]
        agency: Option<Code>,
        reason: String,
        #[serde(default)]
        about_person: Option<Uuid>,
        #[serde(default)]
        sharing: Option<Sharing>,
        #[serde(default)]
        shared: Vec<String>,
        /// The rules of `referral-rules.psv` this referral answers ([`required_referrals`]).
        #[serde(default)]
        rules: Vec<Code>,
    },
    /// Send it. `sharing` and `shared` replace the draft's when given; one of consent or a
    /// lawful basis, and what is shared, must be known by now.
    Send {
        #[serde(default)]
        via: Option<String>,
        #[serde(default)]
        sharing: Option<Sharing>,
        #[serde(default)]
        shared: Option<Vec<String>>,
    },
    RecordAcknowledgement {
        #[serde(default)]
        their_reference: Option<String>,
        #[serde(default)]
        note: Option<String>,
    },
    RecordRefusal {
        reason: String,
    },
    RecordOutcome {
        outcome: String,
    },
    /// A supervisor records why the referral is not made: this settles a rule that required
    /// it, so it is theirs to decide.
    RecordNotMade {
        reason: String,
    },
}

impl ReferralCommand {
    pub fn permission(&self) -> Permission {
        match self {
            Self::RecordNotMade { .. } => Permission::DecideReferralNotMade,
            _ => Permission::Refer,
        }
    }
}

/// What a decision on a referral needs besides its state.
#[derive(Debug, Clone, Copy)]
pub struct ReferralContext<'a> {
    pub referral: &'a ReferralId,
    pub who: &'a Username,
    pub roles: &'a Roles,
    pub now: Timestamp,
    pub reference: &'a ReferenceData,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReferralError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("none of your roles may do this: it needs the permission {}", .0.as_str())]
    NotPermitted(Permission),
}

fn refuse(rule: &'static str, field: &str, message: impl Into<String>) -> ReferralError {
    ReferralError::Refused(refuse_field(rule, field, message))
}

fn text(field: &str, raw: &str, max: usize) -> Result<String, ReferralError> {
    required_text(field, raw, max).map_err(|e| refuse("text", &e.field, e.message))
}

fn optional(field: &str, raw: Option<&str>, max: usize) -> Result<Option<String>, ReferralError> {
    optional_text(field, raw, max).map_err(|e| refuse("text", &e.field, e.message))
}

/// Consent with who gave it and how, or a known lawful basis with why: anything else is
/// refused under `sharing.*`.
fn check_sharing(sharing: Sharing, reference: &ReferenceData) -> Result<Sharing, ReferralError> {
    Ok(match sharing {
        Sharing::Consent { given_by, how } => Sharing::Consent {
            given_by: text("sharing.given_by", &given_by, limits::NAME)?,
            how: text("sharing.how", &how, limits::SHORT_REASON)?,
        },
        Sharing::WithoutConsent { basis, why } => {
            let known = reference.safeguarding.basis(basis.as_str()).ok_or_else(|| {
                let bases: Vec<&str> = reference
                    .safeguarding
                    .bases
                    .iter()
                    .map(|b| b.code.as_str())
                    .collect();
                refuse(
                    "sharing.basis_known",
                    "sharing.basis",
                    format!(
                        "{basis} is not a lawful basis for sharing without consent; use one of {} (sharing-bases.psv), or record the person's consent",
                        bases.join(", ")
                    ),
                )
            })?;
            Sharing::WithoutConsent {
                basis: known.code.clone(),
                why: text("sharing.why", &why, limits::REASON).map_err(|_| {
                    refuse(
                        "sharing.why_without_consent",
                        "sharing.why",
                        "say why the data is shared without consent (not sought, or overridden, and why)",
                    )
                })?,
            }
        }
    })
}

fn check_shared(items: Vec<String>) -> Result<Vec<String>, ReferralError> {
    if items.len() > limits::QUALIFIERS {
        return Err(refuse(
            "text",
            "shared",
            format!("at most {} items", limits::QUALIFIERS),
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, s)| text(&format!("shared[{i}]"), s, limits::SHORT_REASON))
        .collect()
}

/// Check `command` against the referral as it stands (`None` before it is drafted) and say
/// what it records. Nothing is recorded unless every check passes.
pub fn decide(
    state: Option<&ReferralState>,
    command: ReferralCommand,
    c: ReferralContext<'_>,
) -> Result<Vec<ReferralEvent>, ReferralError> {
    if !c.roles.may(command.permission()) {
        return Err(ReferralError::NotPermitted(command.permission()));
    }
    let policy = &c.reference.safeguarding;
    let Some(referral) = state else {
        let ReferralCommand::Draft {
            referral_type,
            agency,
            reason,
            about_person,
            sharing,
            shared,
            rules,
        } = command
        else {
            return Err(refuse(
                "referral.known",
                "referral",
                "there is no such referral: draft it first",
            ));
        };
        let kind = policy
            .referral_type(referral_type.as_str())
            .ok_or_else(|| {
                let known: Vec<&str> = policy.types.iter().map(|t| t.code.as_str()).collect();
                refuse(
                    "referral.type_known",
                    "referral_type",
                    format!(
                        "{referral_type} is not a referral type; use one of {} (referral-types.psv)",
                        known.join(", ")
                    ),
                )
            })?;
        let agency_code = agency.unwrap_or_else(|| kind.agency.clone());
        let agency = c.reference.agency(agency_code.as_str()).ok_or_else(|| {
            refuse(
                "referral.agency_known",
                "agency",
                format!(
                    "{agency_code} is not an agency in the directory (agencies.psv): choose one listed there, or add the agency to the force's directory first"
                ),
            )
        })?;
        for (i, rule) in rules.iter().enumerate() {
            let known = policy.rules.iter().find(|r| &r.rule == rule);
            match known {
                None => {
                    return Err(refuse(
                        "referral.rule_known",
                        &format!("rules[{i}]"),
                        format!("{rule} is not a rule of referral-rules.psv"),
                    ));
                }
                Some(r) if r.referral_type != kind.code => {
                    return Err(refuse(
                        "referral.rule_type",
                        &format!("rules[{i}]"),
                        format!(
                            "rule {rule} requires a {} referral, not {}",
                            r.referral_type, kind.code
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
        let sharing = sharing.map(|s| check_sharing(s, c.reference)).transpose()?;
        let due = c.now.checked_add(kind.send_within).map_err(|_| {
            refuse(
                "referral.due",
                "referral_type",
                "the due time is out of range",
            )
        })?;
        return Ok(vec![ReferralEvent::Drafted {
            belongs_to: c.referral.belongs_to,
            referral_type: kind.code.clone(),
            agency: agency.code.clone(),
            reached_via: agency.contact.clone(),
            reason: text("reason", &reason, limits::REASON)?,
            about_person,
            sharing,
            shared: check_shared(shared)?,
            rules,
            due,
        }]);
    };
    let state_is = |allowed: &[&str], field: &str, what: &str| -> Result<(), ReferralError> {
        if allowed.contains(&referral.status.as_str()) {
            Ok(())
        } else {
            Err(refuse(
                "referral.state",
                field,
                format!(
                    "the referral is {}; {what} only when it is {}",
                    referral.status.as_str(),
                    allowed.join(" or ")
                ),
            ))
        }
    };
    match command {
        ReferralCommand::Draft { .. } => Err(refuse(
            "referral.id_unique",
            "referral",
            "a referral with this id is already drafted",
        )),
        ReferralCommand::Send {
            via,
            sharing,
            shared,
        } => {
            state_is(&["drafted"], "referral", "it can be sent")?;
            // Data protection: personal data goes to another agency only with consent or a
            // lawful basis (DPA 2018 Part 3; Information sharing advice for practitioners).
            let sharing = match sharing.or_else(|| referral.sharing.clone()) {
                Some(s) => check_sharing(s, c.reference)?,
                None => {
                    return Err(refuse(
                        "referral.consent_or_basis",
                        "sharing",
                        "record the person's consent, or the lawful basis for sharing without it and why (sharing-bases.psv), before sending",
                    ));
                }
            };
            let shared = check_shared(shared.unwrap_or_else(|| referral.shared.clone()))?;
            if shared.is_empty() {
                return Err(refuse(
                    "referral.shared_recorded",
                    "shared",
                    "list what is shared with the agency: the disclosure is logged as such",
                ));
            }
            let via = match optional("via", via.as_deref(), limits::SHORT_REASON)? {
                Some(via) => via,
                None => referral.reached_via.clone(),
            };
            let within = policy
                .referral_type(referral.referral_type.as_str())
                .map(|t| t.acknowledge_within)
                .ok_or_else(|| {
                    refuse(
                        "referral.type_known",
                        "referral_type",
                        format!(
                            "referral-types.psv no longer defines {}",
                            referral.referral_type
                        ),
                    )
                })?;
            let acknowledge_by = c
                .now
                .checked_add(within)
                .map_err(|_| refuse("referral.due", "referral", "the due time is out of range"))?;
            Ok(vec![ReferralEvent::Sent {
                agency: referral.agency.clone(),
                via,
                sharing,
                shared,
                acknowledge_by,
            }])
        }
        ReferralCommand::RecordAcknowledgement {
            their_reference,
            note,
        } => {
            state_is(&["sent"], "referral", "an acknowledgement is recorded")?;
            Ok(vec![ReferralEvent::Acknowledged {
                their_reference: optional(
                    "their_reference",
                    their_reference.as_deref(),
                    limits::CRIME_REFERENCE,
                )?,
                note: optional("note", note.as_deref(), limits::REASON)?,
            }])
        }
        ReferralCommand::RecordRefusal { reason } => {
            state_is(
                &["sent", "acknowledged"],
                "referral",
                "the agency's refusal is recorded",
            )?;
            Ok(vec![ReferralEvent::Refused {
                reason: text("reason", &reason, limits::REASON)?,
            }])
        }
        ReferralCommand::RecordOutcome { outcome } => {
            state_is(
                &["sent", "acknowledged"],
                "referral",
                "an outcome is recorded",
            )?;
            Ok(vec![ReferralEvent::OutcomeRecorded {
                outcome: text("outcome", &outcome, limits::RATIONALE)?,
            }])
        }
        ReferralCommand::RecordNotMade { reason } => {
            state_is(&["drafted"], "referral", "it can be recorded as not made")?;
            Ok(vec![ReferralEvent::NotMade {
                reason: text("reason", &reason, limits::REASON)?,
            }])
        }
    }
}

impl ReferralState {
    /// Fold one event. Errors name a stream that cannot be folded.
    pub fn step(
        state: Option<ReferralState>,
        id: &ReferralId,
        stamped: &Stamped<ReferralEvent>,
    ) -> Result<ReferralState, &'static str> {
        let Stamped { at, by, event } = stamped;
        let Some(mut referral) = state else {
            let ReferralEvent::Drafted {
                belongs_to,
                referral_type,
                agency,
                reached_via,
                reason,
                about_person,
                sharing,
                shared,
                rules,
                due,
            } = event
            else {
                return Err("a referral's stream must start with referral.drafted");
            };
            if belongs_to != &id.belongs_to {
                return Err("a referral drafted on another record than its stream names");
            }
            return Ok(ReferralState {
                id: *id,
                referral_type: referral_type.clone(),
                agency: agency.clone(),
                reached_via: reached_via.clone(),
                reason: reason.clone(),
                about_person: *about_person,
                sharing: sharing.clone(),
                shared: shared.clone(),
                rules: rules.clone(),
                due: *due,
                drafted_at: *at,
                drafted_by: by.clone(),
                status: ReferralStatus::Drafted,
                acknowledgement_note: None,
            });
        };
        let (by, at) = (by.clone(), *at);
        referral.status = match (event, &referral.status) {
            (ReferralEvent::Drafted { .. }, _) => return Err("a referral drafted twice"),
            (
                ReferralEvent::Sent {
                    sharing,
                    shared,
                    acknowledge_by,
                    ..
                },
                ReferralStatus::Drafted,
            ) => {
                referral.sharing = Some(sharing.clone());
                referral.shared = shared.clone();
                ReferralStatus::Sent {
                    by,
                    at,
                    acknowledge_by: *acknowledge_by,
                }
            }
            (
                ReferralEvent::Acknowledged {
                    their_reference,
                    note,
                },
                ReferralStatus::Sent { .. },
            ) => {
                referral.acknowledgement_note = note.clone();
                ReferralStatus::Acknowledged {
                    by,
                    at,
                    their_reference: their_reference.clone(),
                }
            }
            (
                ReferralEvent::Refused { reason },
                ReferralStatus::Sent { .. } | ReferralStatus::Acknowledged { .. },
            ) => ReferralStatus::Refused {
                by,
                at,
                reason: reason.clone(),
            },
            (
                ReferralEvent::OutcomeRecorded { outcome },
                ReferralStatus::Sent { .. } | ReferralStatus::Acknowledged { .. },
            ) => ReferralStatus::OutcomeRecorded {
                by,
                at,
                outcome: outcome.clone(),
            },
            (ReferralEvent::NotMade { reason }, ReferralStatus::Drafted) => {
                ReferralStatus::NotMade {
                    by,
                    at,
                    reason: reason.clone(),
                }
            }
            _ => return Err("a referral event that does not follow from its status"),
        };
        Ok(referral)
    }
}

impl Aggregate for ReferralState {
    type Id = ReferralId;
    type Event = ReferralEvent;

    fn stream(id: &ReferralId) -> StreamId {
        StreamId::new(StreamKind::Referral, id)
    }

    fn apply(state: Option<Self>, f: Folding<'_, Self>) -> Result<Self, FoldError> {
        ReferralState::step(state, f.id, f.stamped).map_err(|p| f.misfit(p))
    }
}

impl Decide for ReferralState {
    type Command = ReferralCommand;
    type Context<'a> = ReferralContext<'a>;
    type Rejection = ReferralError;

    fn decide(
        state: Option<&Self>,
        command: ReferralCommand,
        c: ReferralContext<'_>,
    ) -> Result<Vec<ReferralEvent>, ReferralError> {
        decide(state, command, c)
    }
}

/// What the referral rules read from an incident.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentFacts {
    /// The current DASH's risk, if a DASH was completed.
    pub dash_risk: Option<DashRisk>,
    /// The agencies the current DASH refers to (assessment.rs: by risk, and children).
    pub dash_referrals: Vec<String>,
    pub qualifiers: Vec<Code>,
    pub flags: Vec<VulnerabilityFlag>,
}

impl IncidentFacts {
    /// The facts of `incident`, with `more_qualifiers` (those given at close) added.
    pub fn of(incident: &Incident, more_qualifiers: &[Code]) -> Self {
        let dash = incident.current_dash();
        let mut qualifiers: Vec<Code> = incident
            .qualifiers
            .iter()
            .chain(more_qualifiers)
            .cloned()
            .collect();
        qualifiers.sort();
        qualifiers.dedup();
        Self {
            dash_risk: dash.map(|d| d.risk),
            dash_referrals: dash.map(|d| d.referrals.clone()).unwrap_or_default(),
            qualifiers,
            flags: incident.flags(),
        }
    }

    fn has_qualifier(&self, code: &str) -> bool {
        self.qualifiers.iter().any(|q| q.as_str() == code)
    }

    fn holds(&self, condition: &Condition) -> bool {
        match condition {
            Condition::DashRisk(at_least) => self.dash_risk.is_some_and(|r| r >= *at_least),
            Condition::DashRefers(agency) => {
                self.dash_referrals.iter().any(|a| a == agency.as_str())
            }
            Condition::Domestic => {
                self.has_qualifier("DOMESTIC_ABUSE")
                    || self.flags.contains(&VulnerabilityFlag::DomesticAbuse)
                    || self.dash_risk.is_some()
            }
            Condition::Qualifier(q) => self.has_qualifier(q.as_str()),
            Condition::Flag(f) => self.flags.contains(f),
        }
    }
}

/// A referral the rules require, with every rule that requires it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Required<'a> {
    pub referral_type: &'a Code,
    pub agency: &'a Code,
    pub rules: Vec<&'a ReferralRule>,
}

/// The referrals `facts` require under `policy`, one per referral type, in the order of the
/// first rule requiring each.
pub fn required_referrals<'a>(
    facts: &IncidentFacts,
    policy: &'a SafeguardingPolicy,
) -> Vec<Required<'a>> {
    let mut required: Vec<Required<'a>> = Vec::new();
    for rule in policy
        .rules
        .iter()
        .filter(|r| r.when.iter().all(|c| facts.holds(c)))
    {
        match required
            .iter_mut()
            .find(|r| r.referral_type == &rule.referral_type)
        {
            Some(found) => found.rules.push(rule),
            None => {
                // A rule whose type is not defined cannot load (policy::check); skip rather
                // than panic if one ever did.
                let Some(kind) = policy.referral_type(rule.referral_type.as_str()) else {
                    continue;
                };
                required.push(Required {
                    referral_type: &kind.code,
                    agency: &kind.agency,
                    rules: vec![rule],
                });
            }
        }
    }
    required
}

/// The closure rule for referrals: every referral the incident's facts require exists and is
/// settled ([`ReferralStatus::settles_requirement`]: sent, or recorded as not made by a
/// supervisor). One [`ClosureProblem`] per missing referral, under the rule
/// `SAFEGUARDING-REFERRAL`, naming the policy rules and their sources and saying what to do.
/// `referrals` are the incident's referrals (any others are ignored).
pub fn closure_problems(
    incident: &Incident,
    closing_qualifiers: &[Code],
    referrals: &[ReferralState],
    reference: &ReferenceData,
) -> Vec<ClosureProblem> {
    let facts = IncidentFacts::of(incident, closing_qualifiers);
    let ours = BelongsTo::Incident(incident.id);
    let mut problems = Vec::new();
    for required in required_referrals(&facts, &reference.safeguarding) {
        let of_type: Vec<&ReferralState> = referrals
            .iter()
            .filter(|r| r.id.belongs_to == ours && &r.referral_type == required.referral_type)
            .collect();
        if of_type.iter().any(|r| r.status.settles_requirement()) {
            continue;
        }
        let agency = reference
            .agency(required.agency.as_str())
            .map_or(required.agency.as_str(), |a| a.name.as_str());
        let why: Vec<String> = required
            .rules
            .iter()
            .map(|r| format!("{} ({})", r.rule, r.source))
            .collect();
        let what = if of_type.is_empty() {
            "draft the referral and send it, or a supervisor records why it is not made"
        } else {
            "the referral is drafted but not sent: send it, or a supervisor records why it is not made"
        };
        problems.push(ClosureProblem {
            rule: "SAFEGUARDING-REFERRAL",
            field: "referrals",
            message: format!(
                "a {} referral to {agency} is required by {}: {what}",
                required.referral_type,
                why.join("; ")
            ),
        });
    }
    problems
}

#[cfg(test)]
mod tests;
