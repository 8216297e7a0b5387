//! Wire types: the JSON the API reads and writes. Kept apart from domain types so the domain
//! can change without breaking clients, and converted explicitly here.

use controlroom_app::gazetteer::Chosen;
use controlroom_app::incidents::IncidentRow;
use controlroom_app::take_contact::NewContact;
use controlroom_domain::contact::{
    CallerDraft, Contact, ContactDraft, HandsetDraft, LocationDraft,
};
use controlroom_domain::gazetteer::Precision;
use controlroom_domain::incident::{Incident, IncidentId};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::ApiError;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    #[schema(max_length = 32)]
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// Send as `Authorization: Bearer <token>`. Only present when signing in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    pub username: String,
    /// The first of `roles`, for clients written before a user could hold several.
    pub role: String,
    /// Every role the user holds: they may do what any of them may.
    pub roles: Vec<String>,
    /// The same roles as the console says them (`Contact handler`), in the same order.
    pub role_names: Vec<String>,
    /// What those roles allow, by permission name (`take_contact`, `dispatch_units`, …): the
    /// console offers only these tools. The server checks every action again.
    pub permissions: Vec<String>,
    /// Send back in `X-CSRF-Token` with every change made with the session cookie.
    pub csrf_token: String,
    /// The session ends after this many seconds without a request.
    pub idle_timeout_seconds: i64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallerInput {
    #[schema(max_length = 200)]
    pub name: String,
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    /// A number to call back on, if not the one the caller rang from.
    #[schema(max_length = 32)]
    pub callback: Option<String>,
    #[serde(default)]
    pub is_victim: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationInput {
    /// The location as the caller described it.
    #[schema(max_length = 500)]
    pub text: String,
    /// WGS84 latitude.
    pub lat: Option<f64>,
    /// WGS84 longitude.
    pub lon: Option<f64>,
    #[schema(max_length = 12)]
    pub uprn: Option<String>,
    /// `urban` (default) or `rural`: which attendance target applies.
    pub area: Option<String>,
    /// The suggestion picked from `GET /api/v1/addresses`: the server places the contact from
    /// the gazetteer (no coordinates needed). With `lat`/`lon` too, a pin moved off it.
    pub gazetteer: Option<ChosenPlace>,
    /// Where the network located the caller's handset (AML). Places the contact when nothing
    /// else does; kept beside the address otherwise.
    pub handset: Option<HandsetInput>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChosenPlace {
    /// `address`, `street`, `place` or `postcode`, as the suggestion's `kind`.
    #[schema(max_length = 48)]
    pub kind: String,
    /// The suggestion's `key`: the UPRN, the street or place id, or the postcode.
    #[schema(max_length = 48)]
    pub key: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandsetInput {
    /// WGS84 latitude.
    pub lat: f64,
    /// WGS84 longitude.
    pub lon: f64,
    /// The caller is within this many metres of the point (1 to 50,000).
    pub radius_metres: f64,
    /// `AML` (the default), `cell`, or as the force's interface names it.
    #[schema(max_length = 48)]
    pub source: Option<String>,
    /// When the network located the handset (RFC 3339); defaults to when the call came in.
    pub located_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContact {
    /// One of `999`, `101`, `online`, `email`, `front_counter`, `partner_agency`.
    pub channel: String,
    /// When the contact reached the control room (RFC 3339); defaults to now.
    pub received_at: Option<String>,
    /// When a handler answered it (RFC 3339); defaults to now.
    pub answered_at: Option<String>,
    pub caller: CallerInput,
    pub location: LocationInput,
    /// What the caller says is happening.
    #[schema(max_length = 4000)]
    pub summary: String,
    /// The opening incident type, if known (free code for now).
    pub incident_type: Option<String>,
    /// Join this existing incident instead of opening a new one.
    pub incident_id: Option<Uuid>,
}

fn timestamp(field: &str, raw: Option<&str>) -> Result<Option<Timestamp>, ApiError> {
    raw.map(|r| controlroom_domain::text::parse_time(field, r).map_err(ApiError::from))
        .transpose()
}

impl CreateContact {
    pub fn into_new_contact(self) -> Result<NewContact, ApiError> {
        Ok(NewContact {
            draft: ContactDraft {
                channel: self.channel,
                received_at: timestamp("received_at", self.received_at.as_deref())?,
                answered_at: timestamp("answered_at", self.answered_at.as_deref())?,
                caller: CallerDraft {
                    name: self.caller.name,
                    phone: self.caller.phone,
                    callback: self.caller.callback,
                    is_victim: self.caller.is_victim,
                },
                location: LocationDraft {
                    text: self.location.text,
                    lat: self.location.lat,
                    lon: self.location.lon,
                    uprn: self.location.uprn,
                    area: self.location.area,
                    fix: None,
                    handset: self
                        .location
                        .handset
                        .map(|h| -> Result<HandsetDraft, ApiError> {
                            Ok(HandsetDraft {
                                lat: h.lat,
                                lon: h.lon,
                                radius_metres: h.radius_metres,
                                source: h.source,
                                located_at: timestamp(
                                    "location.handset.located_at",
                                    h.located_at.as_deref(),
                                )?,
                            })
                        })
                        .transpose()?,
                },
                summary: self.summary,
            },
            incident_type: self.incident_type,
            join: self.incident_id.map(IncidentId),
            chosen: self.location.gazetteer.map(|g| Chosen {
                kind: g.kind.trim().to_ascii_lowercase(),
                key: g.key,
            }),
        })
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddLogEntry {
    #[schema(max_length = 4000)]
    pub text: String,
    /// The number of an earlier entry this one corrects (the earlier entry stays as written).
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub corrects: Option<u32>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GradeIncident {
    /// One of `emergency`, `priority`, `scheduled`, `resolution_without_deployment`, `signposted`.
    pub grade: String,
    /// Why this grade (National Decision Model rationale).
    #[schema(max_length = 2000)]
    pub rationale: String,
    /// Required when the grade is lower than the recommendation: why you are overriding it.
    #[schema(max_length = 2000)]
    pub override_reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloseIncident {
    pub closing_code: Option<String>,
    #[serde(default)]
    pub qualifiers: Vec<String>,
    /// How the incident was resolved.
    #[schema(max_length = 4000)]
    pub resolution: String,
    /// What the incident turned out to be, if not its current type.
    pub final_incident_type: Option<String>,
    /// The crime record, for a closing code in the Crime category.
    #[schema(max_length = 64)]
    pub crime_reference: Option<String>,
    /// Why no crime was recorded, for a Crime-category closing code without a crime record.
    #[schema(max_length = 2000)]
    pub non_crime_rationale: Option<String>,
    /// For resolution without deployment: `advice_given`, `online_report` or `desk_investigation`.
    pub outcome: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReopenIncident {
    #[schema(max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddUser {
    #[schema(max_length = 32)]
    pub username: String,
    /// One of `contact_handler`, `dispatcher`, `crime_recorder`, `crime_registrar`, `supervisor`, `auditor`, `admin`.
    /// Give `role`, `roles` or both: the user holds every role named.
    #[serde(default)]
    pub role: Option<String>,
    /// Several roles, e.g. `["contact_handler", "crime_recorder"]`: the user may do what any
    /// of them may.
    #[serde(default)]
    pub roles: Vec<String>,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetRoles {
    /// The roles the user will hold, the one their console opens in first.
    pub roles: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The new password (at least 10 characters).
    pub password: String,
    /// Your current password, when changing your own.
    #[serde(default)]
    pub current_password: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UserView {
    pub username: String,
    /// The first of `roles`.
    pub role: String,
    pub roles: Vec<String>,
}

impl UserView {
    pub fn of(username: &str, roles: &controlroom_domain::roles::Roles) -> Self {
        Self {
            username: username.to_owned(),
            role: roles.first().as_str().to_owned(),
            roles: role_names(roles),
        }
    }
}

pub fn role_names(roles: &controlroom_domain::roles::Roles) -> Vec<String> {
    roles.iter().map(|r| r.as_str().to_owned()).collect()
}

/// The same roles as a person reads them in a list (`Contact handler`).
pub fn role_labels(roles: &controlroom_domain::roles::Roles) -> Vec<String> {
    roles.iter().map(|r| capitalised(r.label())).collect()
}

/// A label from the domain (written for the middle of a sentence) as the first word of a list
/// item or a heading: "contact handler" becomes "Contact handler".
pub fn capitalised(label: &str) -> String {
    let mut chars = label.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The names of every permission `roles` grant.
pub fn permission_names(roles: &controlroom_domain::roles::Roles) -> Vec<String> {
    roles
        .permissions()
        .into_iter()
        .map(|p| p.as_str().to_owned())
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IdView {
    pub id: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CallerView {
    pub name: String,
    pub phone: Option<String>,
    pub callback: Option<String>,
    pub is_victim: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    pub text: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub uprn: Option<String>,
    /// How far the position can be trusted.
    pub precision: PrecisionView,
    /// The caller's handset location from the network, if one came with the call.
    pub handset: Option<HandsetView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PrecisionView {
    /// `exact_address`, `street`, `postcode`, `named_place`, `map_pin`, `handset` or
    /// `callers_words`.
    pub kind: String,
    /// In words: "exact address", "handset location within 40 m", "caller's words only".
    pub label: String,
}

impl From<Precision> for PrecisionView {
    fn from(p: Precision) -> Self {
        Self {
            kind: p.as_str().to_owned(),
            label: p.describe(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HandsetView {
    pub lat: f64,
    pub lon: f64,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub radius_metres: u32,
    pub source: String,
    pub located_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactView {
    pub id: String,
    pub channel: String,
    pub received_at: String,
    pub answered_at: String,
    pub caller: CallerView,
    pub location: LocationView,
    pub summary: String,
    /// The contact handler who took it.
    pub handler: String,
}

impl From<&Contact> for ContactView {
    fn from(c: &Contact) -> Self {
        Self {
            id: c.id.to_string(),
            channel: c.channel.as_str().to_owned(),
            received_at: c.received_at.to_string(),
            answered_at: c.answered_at.to_string(),
            caller: CallerView {
                name: c.caller.name.to_string(),
                phone: c.caller.phone.as_ref().map(|p| p.as_str().to_owned()),
                callback: c.caller.callback.as_ref().map(|p| p.as_str().to_owned()),
                is_victim: c.caller.is_victim,
            },
            location: LocationView {
                text: c.location.text.clone(),
                lat: c.location.coordinates.map(|x| x.lat),
                lon: c.location.coordinates.map(|x| x.lon),
                uprn: c.location.uprn.as_ref().map(|u| u.as_str().to_owned()),
                precision: c.location.precision().into(),
                handset: c.location.handset.as_ref().map(|h| HandsetView {
                    lat: h.position.lat,
                    lon: h.position.lon,
                    radius_metres: h.radius_metres,
                    source: h.source.clone(),
                    located_at: h.located_at.to_string(),
                }),
            },
            summary: c.summary.clone(),
            handler: c.handler.to_string(),
        }
    }
}

/// Who did something and when: every recorded step of an incident or a crime carries it
/// (the domain's `at` and `by`), flattened into the step's view.
#[derive(Debug, Serialize, ToSchema)]
pub struct Stamp {
    pub at: String,
    pub by: String,
}

impl Stamp {
    pub fn of(at: Timestamp, by: &impl std::fmt::Display) -> Self {
        Self {
            at: at.to_string(),
            by: by.to_string(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LogEntryView {
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub number: u32,
    pub at: String,
    pub author: String,
    pub text: String,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub corrects: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GradeView {
    pub grade: String,
    pub rationale: String,
    /// The grade recommended when this one was chosen.
    pub recommended: Option<String>,
    /// Present when the handler chose a lower grade than recommended: why.
    pub override_reason: Option<String>,
    #[schema(format = Int64, maximum = 4294967295_u64)]
    pub attendance_target_minutes: Option<u32>,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClosureView {
    pub final_incident_type: Option<String>,
    pub crime_reference: Option<String>,
    pub non_crime_rationale: Option<String>,
    pub outcome: Option<String>,
    pub closing_code: String,
    pub qualifiers: Vec<String>,
    pub resolution: String,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusChangeView {
    #[serde(flatten)]
    pub stamp: Stamp,
    pub from: Option<String>,
    pub to: String,
    pub reason: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentView {
    /// What the signed-in user may do to it now (their roles and its state, decided by the
    /// server): the console shows these actions and no others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions: Option<controlroom_app::report::Actions>,
    pub id: String,
    /// Force-unique reference, e.g. `20261122-0042`.
    pub reference: String,
    pub incident_type: Option<String>,
    /// `open`, `graded`, `dispatched`, `at_scene`, `resolved` or `closed`.
    pub status: String,
    pub grade: Option<String>,
    pub opened_at: String,
    pub opened_by: String,
    pub last_changed_at: String,
    /// How many events the incident has had; rises with every change.
    pub version: u64,
    /// Every grading decision, oldest first.
    pub grades: Vec<GradeView>,
    pub closure: Option<ClosureView>,
    pub contacts: Vec<ContactView>,
    /// Log entries, oldest first: the latest 100 unless the request asked for others
    /// (`log_before`, `log_limit` on `GET /api/v1/incidents/{id}`), so an incident with
    /// thousands of entries still answers quickly.
    pub log: Vec<LogEntryView>,
    /// How many log entries the incident has in all.
    pub log_total: usize,
    pub history: Vec<StatusChangeView>,
    /// What first contact recorded (classification, assessments, answers, signposting) and the
    /// grade policy recommends from it.
    #[serde(flatten)]
    pub assessment: AssessmentView,
    /// Whether closing needs a supervisor's approval (emergency or priority, no unit attended).
    pub needs_unattended_approval: bool,
    pub unattended_closure: Option<ApprovalView>,
    pub clocks: ClocksView,
    /// The diary appointment, e.g. "LS8 2026-11-24 10:00", while one stands.
    pub appointment: Option<String>,
    /// NCRS: the crime-recording decision, its clock, and the crimes recorded from it.
    pub crime_recording: CrimeRecordingView,
}

/// What first contact recorded about an incident, and what the force's policy makes of it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AssessmentView {
    /// Qualifiers recorded so far (classification).
    pub qualifiers: Vec<String>,
    /// Every THRIVE assessment, oldest first; the last is current.
    pub thrive: Vec<ThriveView>,
    pub vulnerabilities: Vec<VulnerabilityView>,
    /// Every DASH assessment, oldest first.
    pub dash: Vec<DashView>,
    pub signposts: Vec<SignpostView>,
    /// The grade the force policy recommends now, and why.
    pub recommendation: RecommendationView,
    /// The questions to ask for the incident type, with the answers so far.
    pub questions: Vec<QuestionView>,
    /// Repeat counts from the last intelligence check on this incident.
    pub repeats: Option<RepeatsView>,
}

impl AssessmentView {
    pub fn build(report: &controlroom_app::report::IncidentReport) -> Self {
        let i = &report.incident;
        let recommendation = report.recommendation.clone();
        Self {
            qualifiers: i.qualifiers.iter().map(ToString::to_string).collect(),
            thrive: i
                .thrive
                .iter()
                .map(|v| {
                    let t = &v.value;
                    let factor = |f: &controlroom_domain::assessment::Factor| FactorView {
                        level: f.level.as_str().to_owned(),
                        reason: f.reason.clone(),
                    };
                    ThriveView {
                        threat: factor(&t.threat),
                        harm: factor(&t.harm),
                        risk: factor(&t.risk),
                        investigation: factor(&t.investigation),
                        vulnerability: factor(&t.vulnerability),
                        engagement: factor(&t.engagement),
                        ndm: NdmView {
                            information: t.ndm.information.clone(),
                            assessment: t.ndm.assessment.clone(),
                            powers_and_policy: t.ndm.powers_and_policy.clone(),
                            options: t.ndm.options.clone(),
                            action: t.ndm.action.clone(),
                        },
                        stamp: Stamp::of(v.at, &v.by),
                    }
                })
                .collect(),
            vulnerabilities: i
                .vulnerabilities
                .iter()
                .map(|v| VulnerabilityView {
                    subject: v.subject.as_str().to_owned(),
                    flags: v.flags.iter().map(|f| f.as_str().to_owned()).collect(),
                    note: v.note.clone(),
                    stamp: Stamp::of(v.at, &v.by),
                })
                .collect(),
            dash: i
                .dash
                .iter()
                .map(|v| DashView {
                    risk: v.value.risk.as_str().to_owned(),
                    yes_count: v.value.yes_count,
                    reasons: v.value.reasons.clone(),
                    referrals: v.value.referrals.clone(),
                    stamp: Stamp::of(v.at, &v.by),
                })
                .collect(),
            signposts: i
                .signposts
                .iter()
                .map(|s| SignpostView {
                    agency: s.agency.to_string(),
                    advice: s.advice.clone(),
                    stamp: Stamp::of(s.at, &s.by),
                })
                .collect(),
            recommendation: RecommendationView {
                grade: recommendation.grade.map(|g| g.as_str().to_owned()),
                explanation: recommendation.explain(),
                assessed: recommendation.missing.is_empty(),
                missing: recommendation.missing,
                reasons: recommendation.reasons,
                signpost_to: recommendation.signpost_to.map(|c| c.to_string()),
                assessment_required_before_grading: report.assessment_before_grading,
            },
            questions: report
                .questions
                .iter()
                .map(|q| QuestionView {
                    fact: q.fact.clone(),
                    question: q.question.clone(),
                    answer: q.answer.to_owned(),
                })
                .collect(),
            repeats: i.repeats.map(|r| RepeatsView {
                victim: r.victim,
                caller: r.caller,
                location: r.location,
            }),
        }
    }
}

/// Where an NCRS 24-hour recording clock stands.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RecordingClockView {
    pub reported_at: String,
    pub due_at: String,
    pub decided_at: Option<String>,
    /// `running`, `overdue`, `decided_on_time` or `decided_late`.
    pub state: String,
    /// Minutes left (`running`), past due (`overdue`) or late (`decided_late`); 0 otherwise.
    pub minutes: i64,
}

impl RecordingClockView {
    pub fn new(clock: &controlroom_domain::ncrs::RecordingClock, now: Timestamp) -> Self {
        use controlroom_domain::ncrs::ClockState;
        let (state, minutes) = match clock.state(now) {
            ClockState::Running { remaining } => ("running", remaining.as_mins()),
            ClockState::Overdue { by } => ("overdue", by.as_mins()),
            ClockState::DecidedOnTime => ("decided_on_time", 0),
            ClockState::DecidedLate { by } => ("decided_late", by.as_mins()),
        };
        Self {
            reported_at: clock.started_at.to_string(),
            due_at: clock.due_at.to_string(),
            decided_at: clock.decided_at.map(|t| t.to_string()),
            state: state.to_owned(),
            minutes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrimeLinkView {
    pub id: String,
    pub reference: String,
    pub classification: String,
    pub classification_name: Option<String>,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NonCrimeView {
    pub reason: String,
    pub reason_label: String,
    pub rationale: String,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CrimeRecordingView {
    /// The incident's codes make it a report of crime: the 24-hour clock runs.
    pub crime_report: bool,
    pub clock: Option<RecordingClockView>,
    pub crimes: Vec<CrimeLinkView>,
    pub non_crime: Option<NonCrimeView>,
    /// What in the incident suggests a crime (codes, domestic abuse with violence, words).
    pub indicators: Vec<String>,
}

impl CrimeRecordingView {
    pub fn build(report: &controlroom_app::report::IncidentReport) -> Self {
        let i = &report.incident;
        let recording = &report.crime_recording;
        Self {
            crime_report: recording.clock.is_some(),
            clock: recording
                .clock
                .as_ref()
                .map(|c| RecordingClockView::new(c, report.at)),
            crimes: i
                .crimes
                .iter()
                .zip(&recording.classification_names)
                .map(|(c, name)| CrimeLinkView {
                    id: c.crime_id.to_string(),
                    reference: c.reference.clone(),
                    classification: c.classification.to_string(),
                    classification_name: name.clone(),
                    stamp: Stamp::of(c.at, &c.by),
                })
                .collect(),
            non_crime: i.non_crime.as_ref().map(|n| NonCrimeView {
                reason: n.reason.as_str().to_owned(),
                reason_label: n.reason.label().to_owned(),
                rationale: n.rationale.clone(),
                stamp: Stamp::of(n.at, &n.by),
            }),
            indicators: recording.indicators.clone(),
        }
    }
}

/// How many of the latest log entries an incident's answer carries unless asked for others.
pub const LOG_SHOWN: usize = 100;

/// Which log entries an incident's answer carries: at most `limit`, the latest of those
/// numbered before `before` (of all, when `None`), oldest first.
#[derive(Debug, Clone, Copy)]
pub struct LogWindow {
    pub before: Option<u32>,
    pub limit: usize,
}

impl Default for LogWindow {
    fn default() -> Self {
        Self {
            before: None,
            limit: LOG_SHOWN,
        }
    }
}

/// The log entries `window` names.
pub fn log_window(i: &Incident, window: LogWindow) -> Vec<LogEntryView> {
    let upto = window.before.map_or(i.log.len(), |before| {
        i.log.partition_point(|e| e.number < before)
    });
    i.log[upto.saturating_sub(window.limit)..upto]
        .iter()
        .map(|e| LogEntryView {
            number: e.number,
            at: e.at.to_string(),
            author: e.author.to_string(),
            text: e.text.clone(),
            corrects: e.corrects,
        })
        .collect()
}

impl IncidentView {
    /// The incident as `actor` sees it now, with what the rules make of it (recommendation,
    /// clocks, the actions open to them).
    pub fn seen_by(
        app: &controlroom_app::App,
        actor: &controlroom_app::Actor,
        incident: Incident,
    ) -> Self {
        Self::build(&controlroom_app::report::report(app, actor, incident))
    }

    /// The incident as the application reports it, formatted: nothing is computed here.
    pub fn build(report: &controlroom_app::report::IncidentReport) -> Self {
        let i = &report.incident;
        let now = report.at;
        let clocks = &report.clocks;
        Self {
            assessment: AssessmentView::build(report),
            needs_unattended_approval: report.needs_unattended_approval,
            unattended_closure: i.unattended_closure.as_ref().map(|a| ApprovalView {
                reason: a.reason.clone(),
                stamp: Stamp::of(a.at, &a.by),
            }),
            clocks: ClocksView {
                answer_seconds: clocks.answer.map(|d| d.as_secs()),
                to_grade_seconds: clocks.to_grade.map(|d| d.as_secs()),
                attendance: clocks.attendance.as_ref().map(|a| AttendanceView {
                    target_minutes: a.target_minutes,
                    due_at: a.due_at.to_string(),
                    arrived_at: a.arrived_at.map(|t| t.to_string()),
                    overdue: a.overdue(now),
                    due_soon: a.due_soon(
                        now,
                        jiff::SignedDuration::from_mins(controlroom_domain::clocks::WARN_MINUTES),
                    ),
                    met: a.met(),
                }),
            },
            crime_recording: CrimeRecordingView::build(report),
            actions: Some(report.actions),
            appointment: i
                .appointment
                .as_ref()
                .map(controlroom_domain::diary::SlotKey::label),
            id: i.id.to_string(),
            reference: i.reference.to_string(),
            incident_type: i.incident_type.as_ref().map(ToString::to_string),
            status: i.status.as_str().to_owned(),
            grade: i.grade().map(|g| g.as_str().to_owned()),
            opened_at: i.opened_at.to_string(),
            opened_by: i.opened_by.to_string(),
            last_changed_at: i.last_changed_at.to_string(),
            version: i.version,
            grades: i
                .grades
                .iter()
                .map(|g| GradeView {
                    grade: g.grade.as_str().to_owned(),
                    rationale: g.rationale.clone(),
                    recommended: g.recommended.map(|r| r.as_str().to_owned()),
                    override_reason: g.override_reason.clone(),
                    attendance_target_minutes: g.attendance_target_minutes,
                    stamp: Stamp::of(g.at, &g.by),
                })
                .collect(),
            closure: i.closure.as_ref().map(|c| ClosureView {
                final_incident_type: c
                    .details
                    .final_incident_type
                    .as_ref()
                    .map(ToString::to_string),
                crime_reference: c.details.crime_reference.clone(),
                non_crime_rationale: c.details.non_crime_rationale.clone(),
                outcome: c.details.outcome.map(|o| o.as_str().to_owned()),
                closing_code: c.closing_code.to_string(),
                qualifiers: c.qualifiers.iter().map(ToString::to_string).collect(),
                resolution: c.resolution.clone(),
                stamp: Stamp::of(c.at, &c.by),
            }),
            contacts: i.contacts.iter().map(ContactView::from).collect(),
            log: log_window(i, LogWindow::default()),
            log_total: i.log.len(),
            history: i
                .history
                .iter()
                .map(|h| StatusChangeView {
                    stamp: Stamp::of(h.at, &h.by),
                    from: h.from.map(|s| s.as_str().to_owned()),
                    to: h.to.as_str().to_owned(),
                    reason: h.reason.clone(),
                })
                .collect(),
        }
    }
}

/// The answer to a change: the incident as the change left it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeResponse {
    /// Present when a contact was taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<IdView>,
    /// Present when a log entry was written: its number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_entry: Option<u32>,
    pub incident: IncidentView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentSummary {
    pub id: String,
    pub reference: String,
    pub status: String,
    /// Taken or graded and no unit sent yet (the dispatch board's "awaiting a unit").
    pub awaiting_unit: bool,
    pub grade: Option<String>,
    pub incident_type: Option<String>,
    /// The channel of the first contact.
    pub channel: String,
    pub location: String,
    pub summary: String,
    pub contact_count: i64,
    pub opened_at: String,
    pub last_changed_at: String,
    pub version: i64,
    /// While a deployed grade waits for arrival: when the attendance target runs out.
    pub attend_by: Option<String>,
    /// Where the first caller placed it (WGS84), if they gave coordinates.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// A stored time (microseconds since the epoch) as RFC 3339; `None` if out of range.
pub fn micros_time(micros: i64) -> Option<String> {
    Timestamp::from_microsecond(micros)
        .ok()
        .map(|t| t.to_string())
}

/// [`micros_time`], empty if out of range.
pub fn micros_text(micros: i64) -> String {
    micros_time(micros).unwrap_or_default()
}

impl From<IncidentRow> for IncidentSummary {
    fn from(r: IncidentRow) -> Self {
        Self {
            opened_at: micros_text(r.opened_at_micros),
            last_changed_at: micros_text(r.last_changed_at_micros),
            id: r.id,
            reference: r.reference,
            awaiting_unit: controlroom_domain::incident::Status::parse(&r.status)
                .is_ok_and(controlroom_domain::incident::Status::awaits_unit),
            status: r.status,
            grade: r.grade,
            incident_type: r.incident_type,
            channel: r.channel,
            location: r.location_text,
            summary: r.summary,
            contact_count: r.contact_count,
            version: r.version,
            attend_by: r.attend_by_micros.map(micros_text),
            lat: r.lat,
            lon: r.lon,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IncidentList {
    pub incidents: Vec<IncidentSummary>,
    pub count: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditVerification {
    pub ok: bool,
    pub records: u64,
    pub head_seq: i64,
    pub head_hash: String,
    pub incidents: usize,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorView {
    /// `low`, `medium` or `high`.
    pub level: String,
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NdmView {
    pub information: String,
    pub assessment: String,
    pub powers_and_policy: String,
    pub options: String,
    pub action: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ThriveView {
    pub threat: FactorView,
    pub harm: FactorView,
    pub risk: FactorView,
    pub investigation: FactorView,
    pub vulnerability: FactorView,
    pub engagement: FactorView,
    pub ndm: NdmView,
    #[serde(flatten)]
    pub stamp: Stamp,
}

/// A THRIVE assessment: a level and reason for each factor, and the NDM rationale.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThriveInput {
    pub threat: FactorView,
    pub harm: FactorView,
    pub risk: FactorView,
    pub investigation: FactorView,
    pub vulnerability: FactorView,
    pub engagement: FactorView,
    pub ndm: NdmView,
}

impl ThriveInput {
    pub fn into_draft(self) -> controlroom_domain::assessment::ThriveDraft {
        let pair = |f: FactorView| (f.level, f.reason);
        controlroom_domain::assessment::ThriveDraft {
            factors: [
                pair(self.threat),
                pair(self.harm),
                pair(self.risk),
                pair(self.investigation),
                pair(self.vulnerability),
                pair(self.engagement),
            ],
            information: self.ndm.information,
            assessment: self.ndm.assessment,
            powers_and_policy: self.ndm.powers_and_policy,
            options: self.ndm.options,
            action: self.ndm.action,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VulnerabilityView {
    pub subject: String,
    pub flags: Vec<String>,
    pub note: Option<String>,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VulnerabilityInput {
    /// `caller`, `victim` or `other`.
    pub subject: String,
    /// e.g. `child`, `older_person`, `domestic_abuse`.
    pub flags: Vec<String>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DashView {
    /// `standard`, `medium` or `high`.
    pub risk: String,
    pub yes_count: usize,
    pub reasons: Vec<String>,
    /// Agency codes the risk triggers, e.g. `MARAC`.
    pub referrals: Vec<String>,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DashInput {
    /// One answer per question, in order: `yes`, `no` or `not_known`. A question left
    /// `not_asked` refuses the checklist, naming the questions still to ask.
    pub answers: Vec<String>,
    /// The handler's professional judgement, which can raise the level.
    pub professional_judgement: Option<String>,
    #[serde(default)]
    pub incidents_last_12_months: u32,
}

impl DashInput {
    pub fn into_answers(self) -> Result<controlroom_domain::assessment::DashAnswers, ApiError> {
        use controlroom_domain::assessment::{Answer, DashAnswers, DashRisk};
        let given = self
            .answers
            .iter()
            .enumerate()
            .map(|(i, a)| {
                Answer::parse("answers", a).map_err(|_| {
                    ApiError::invalid(
                        "answers",
                        format!(
                            "answers: question {}: '{}' is not yes, no, not_known or not_asked",
                            i + 1,
                            a.trim()
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let answers = controlroom_domain::assessment::every_dash_question_asked(&given)
            .map_err(|e| ApiError::invalid("answers", e.message))?;
        let professional_judgement = match self
            .professional_judgement
            .as_deref()
            .map(str::trim)
            .filter(|j| !j.is_empty())
        {
            None => None,
            Some(j) => Some(DashRisk::parse(j).ok_or_else(|| {
                ApiError::invalid(
                    "professional_judgement",
                    "professional_judgement: use standard, medium or high",
                )
            })?),
        };
        Ok(DashAnswers {
            answers,
            professional_judgement,
            incidents_last_12_months: self.incidents_last_12_months,
            children_present: false,
        })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SignpostView {
    pub agency: String,
    pub advice: String,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignpostInput {
    /// An agency code from the reference data, e.g. `LA_NOISE`.
    pub agency: String,
    /// What the caller was told.
    #[schema(max_length = 2000)]
    pub advice: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyInput {
    pub incident_type: Option<String>,
    #[serde(default)]
    pub qualifiers: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RecommendationView {
    /// The recommended grade; absent until the incident is assessed and while no fact asks
    /// for a response ("not yet assessed").
    pub grade: Option<String>,
    pub reasons: Vec<String>,
    /// e.g. "emergency because: a firearm is involved", or "not yet assessed: still to do: …".
    pub explanation: String,
    /// Whether THRIVE is recorded or the question set for the type answered.
    pub assessed: bool,
    /// What is still to establish before the recommendation is complete.
    pub missing: Vec<String>,
    /// The agency a signposting rule names, when the grade is signposted by policy.
    pub signpost_to: Option<String>,
    /// Whether the force requires the assessment before any grade below emergency.
    pub assessment_required_before_grading: bool,
}

/// A question of the incident type's question set, with the answer recorded (or `not_asked`).
#[derive(Debug, Serialize, ToSchema)]
pub struct QuestionView {
    /// The fact a "yes" records (a qualifier code).
    pub fact: String,
    pub question: String,
    /// `yes`, `no`, `not_known` or `not_asked`.
    pub answer: String,
}

/// The repeat counts the last intelligence check found (12 months).
#[derive(Debug, Serialize, ToSchema)]
pub struct RepeatsView {
    pub victim: u32,
    pub caller: u32,
    pub location: u32,
}

/// A supervisor's approval to close an incident no unit attended.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalView {
    pub reason: String,
    #[serde(flatten)]
    pub stamp: Stamp,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnswersInput {
    /// Fact code (from the incident's `questions`) to `yes`, `no`, `not_known` or `not_asked`.
    pub answers: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveUnattendedInput {
    /// Why closing without attendance is right (e.g. "caller rang back, all safe").
    #[schema(max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ClocksView {
    pub answer_seconds: Option<i64>,
    pub to_grade_seconds: Option<i64>,
    pub attendance: Option<AttendanceView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttendanceView {
    pub target_minutes: u32,
    pub due_at: String,
    pub arrived_at: Option<String>,
    pub overdue: bool,
    /// The warning before the target is missed: five minutes or less to go, nobody there.
    pub due_soon: bool,
    pub met: Option<bool>,
}

/// The facts of a case for `POST /api/v1/hocr/count` (documentation of
/// `controlroom_domain::hocr::Case`, which the handler reads; the domain stays free of
/// HTTP concerns).
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrCase {
    /// The case's own reference, repeated in any error.
    pub id: String,
    /// Where the case comes from (free text).
    #[serde(default)]
    pub source: String,
    /// Reports of the crimes: each offence names the one it was reported in.
    #[serde(default)]
    pub reports: Vec<HocrReport>,
    #[serde(default)]
    pub victims: Vec<HocrVictim>,
    #[serde(default)]
    pub offenders: Vec<HocrOffender>,
    pub offences: Vec<HocrOffence>,
    /// When the recording decision is made (RFC 3339): the counting rules in force that day
    /// are applied. Without it, those of the day of the latest report.
    #[schema(format = DateTime)]
    pub decided_at: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrReport {
    pub id: String,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub at: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrVictim {
    pub id: String,
    /// `person` or `organisation`.
    #[schema(pattern = "^(person|organisation)$")]
    pub kind: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrOffender {
    pub id: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrOffence {
    pub id: String,
    /// Home Office crime class, e.g. `8N`, `34A`.
    pub class: String,
    /// The victim's id.
    pub victim: Option<String>,
    /// Offenders' ids.
    #[serde(default)]
    pub offenders: Vec<String>,
    /// When it happened (RFC 3339), or `from` and `to` for a period.
    #[schema(format = DateTime)]
    pub at: Option<String>,
    #[schema(format = DateTime)]
    pub from: Option<String>,
    #[schema(format = DateTime)]
    pub to: Option<String>,
    pub place: Option<String>,
    /// The report's id.
    pub report: String,
}

/// The crimes to record, each with the HOCR rules applied.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrCounted {
    pub crimes: Vec<HocrCrime>,
    pub not_recorded: Option<Vec<HocrNotRecorded>>,
    /// The edition of the counting rules applied, and the day whose rules they are.
    pub edition: HocrEdition,
}

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrEdition {
    /// e.g. "HOCR April 2022".
    pub name: String,
    #[schema(format = Date)]
    pub in_force_from: String,
    /// The day the next edition carried replaced it, if one has.
    #[schema(format = Date)]
    pub replaced_from: Option<String>,
    /// The day (UK time) whose rules were applied.
    #[schema(format = Date)]
    pub rules_of: String,
    /// What dated it: the recording decision, or the latest report.
    pub dated_by: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrCrime {
    pub class: String,
    pub victims: Vec<String>,
    pub offences: Vec<String>,
    pub rules: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct HocrNotRecorded {
    pub offence: String,
    pub reason: String,
}
