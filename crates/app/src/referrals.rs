//! Safeguarding referrals (issue 17): drafted, sent, acknowledged, refused or not made, each a
//! stream of its own under the incident (`referral/incident/{incident}/{referral}`), decided
//! by `domain::safeguarding::decide`. Sending is a disclosure of personal data: besides the
//! `referral.sent` change, an access record `disclosed` says who disclosed what, to whom and on
//! what basis (DPA 2018 s.62), on the person's record when the referral names one, else on
//! the incident. The referrals an incident's facts require (referral-rules.psv) are shown
//! with it and checked when it closes (`incidents::close`).

use crate::event_store::{Executed, execute};
use crate::records::{access_record, incident_stream, rebuild, record_access};
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::incident::{Incident, IncidentId};
use controlroom_domain::roles::Permission;
use controlroom_domain::safeguarding::{
    self, IncidentFacts, ReferralCommand, ReferralContext, ReferralError, ReferralEvent,
    ReferralId, ReferralState,
};
use controlroom_domain::stream::{StreamId, StreamKind};
use controlroom_domain::tasking::BelongsTo;
use serde_json::json;
use uuid::Uuid;

impl From<ReferralError> for AppError {
    fn from(err: ReferralError) -> Self {
        match err {
            ReferralError::Refused(refusal) => AppError::Invalid(refusal.invalid()),
            ReferralError::NotPermitted(_) => AppError::Forbidden(err.to_string()),
        }
    }
}

/// A referral the incident's facts require, and whether one of its type settles it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredReferral {
    pub referral_type: String,
    pub agency: String,
    pub agency_name: String,
    /// Each rule requiring it, with its source: "DASH-HIGH-MARAC (SafeLives…)".
    pub because: Vec<String>,
    /// A referral of this type was sent, or a supervisor recorded why not.
    pub settled: bool,
}

/// The incident's referrals and those its facts require.
#[derive(Debug, Clone, PartialEq)]
pub struct Referrals {
    pub referrals: Vec<ReferralState>,
    pub required: Vec<RequiredReferral>,
}

/// Draft, send, or record what became of a referral on an incident.
pub async fn act(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
    referral: Uuid,
    command: ReferralCommand,
    idempotency: Option<&Idempotency>,
) -> Result<Executed<ReferralState>, AppError> {
    let role = actor
        .roles
        .granting(command.permission())
        .unwrap_or(actor.roles.first());
    let actor = &actor.acting_as(role);
    read_incident(app, incident).await?;
    let id = ReferralId {
        belongs_to: BelongsTo::Incident(incident),
        id: referral,
    };
    execute::<ReferralState>(
        app,
        actor,
        &id,
        idempotency,
        |state, now| {
            safeguarding::decide(
                state,
                command,
                ReferralContext {
                    referral: &id,
                    who: &actor.username,
                    roles: &actor.roles,
                    now,
                    reference: &app.settings.reference,
                },
            )
            .map_err(AppError::from)
        },
        |state, events, at| {
            events
                .iter()
                .filter_map(ReferralEvent::disclosure)
                .map(|d| {
                    let stream = state.about_person.map_or_else(
                        || incident_stream(incident),
                        |person| StreamId::new(StreamKind::Person, person).to_string(),
                    );
                    access_record(
                        stream,
                        "disclosed",
                        actor,
                        at,
                        json!({
                            "referral": id.to_string(),
                            "to": d.to,
                            "via": d.via,
                            "what": d.what,
                            "sharing": d.sharing,
                        }),
                    )
                })
                .collect()
        },
    )
    .await
}

/// The incident's referrals and the referrals its facts require. The look is recorded.
pub async fn of_incident(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
) -> Result<Referrals, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "see referrals")?;
    let state = read_incident(app, incident).await?;
    let referrals = stored(app, &BelongsTo::Incident(incident)).await?;
    let required = required(app, &state, &referrals);
    record_access(
        app,
        actor,
        incident_stream(incident),
        "referrals_viewed",
        json!({ "referrals": referrals.iter().map(|r| r.id.to_string()).collect::<Vec<_>>() }),
    )
    .await?;
    Ok(Referrals {
        referrals,
        required,
    })
}

/// What the rules require of `incident`, each with whether it is settled.
fn required(app: &App, incident: &Incident, referrals: &[ReferralState]) -> Vec<RequiredReferral> {
    let reference = &app.settings.reference;
    let facts = IncidentFacts::of(incident, &[]);
    safeguarding::required_referrals(&facts, &reference.safeguarding)
        .into_iter()
        .map(|r| RequiredReferral {
            referral_type: r.referral_type.to_string(),
            agency: r.agency.to_string(),
            agency_name: reference
                .agency(r.agency.as_str())
                .map_or_else(|| r.agency.to_string(), |a| a.name.clone()),
            because: r
                .rules
                .iter()
                .map(|rule| format!("{} ({})", rule.rule, rule.source))
                .collect(),
            settled: referrals
                .iter()
                .any(|s| &s.referral_type == r.referral_type && s.status.settles_requirement()),
        })
        .collect()
}

/// Every referral of a record, folded, oldest drafted first. Not recorded: callers record
/// the look (or check a close, which is the handler's own act).
pub(crate) async fn stored(app: &App, record: &BelongsTo) -> Result<Vec<ReferralState>, AppError> {
    let mut referrals = Vec::new();
    for stream in app
        .store
        .streams(StreamKind::Referral, &ReferralId::prefix_of(record))
        .await?
    {
        let id = StreamId::parse(&stream)
            .and_then(|s| ReferralId::from_stream_key(s.key()))
            .map_err(|e| AppError::Corrupt(format!("referral stream {stream}: {e}")))?;
        if let Some(state) =
            crate::event_store::fold::<ReferralState>(&id, &app.store.stream(&stream).await?)?
        {
            referrals.push(state);
        }
    }
    referrals.sort_by_key(|r| r.drafted_at);
    Ok(referrals)
}

async fn read_incident(app: &App, id: IncidentId) -> Result<Incident, AppError> {
    let records = app.store.stream(&incident_stream(id)).await?;
    rebuild(&records, None)?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {id}")))
}

/// A referral that needs chasing: not sent by its due time, or not acknowledged by the agency
/// in time (the type's hours, `referral-types.psv`).
#[derive(Debug, Clone, PartialEq)]
pub struct LateReferral {
    pub referral: ReferralState,
    pub chase: safeguarding::Chase,
}

/// Every referral late at `now`, the longest late first. Each referral stream is folded: a
/// referral lives on after its incident closes, and there is no table of open ones yet.
pub(crate) async fn late(app: &App, now: jiff::Timestamp) -> Result<Vec<LateReferral>, AppError> {
    const PAGE: i64 = 500;
    let mut late = Vec::new();
    let mut last = String::new();
    loop {
        let page = app
            .store
            .streams_page(StreamKind::Referral, &last, PAGE)
            .await?;
        let Some(end) = page.last() else { break };
        last = end.stream.clone();
        for records in page.chunk_by(|a, b| a.stream == b.stream) {
            let id = StreamId::parse(&records[0].stream)
                .and_then(|s| ReferralId::from_stream_key(s.key()))
                .map_err(|e| AppError::Corrupt(format!("referral stream: {e}")))?;
            if let Some(referral) = crate::event_store::fold::<ReferralState>(&id, records)?
                && let Some(chase) = referral.chase(now)
            {
                late.push(LateReferral { referral, chase });
            }
        }
    }
    let due = |c: &safeguarding::Chase| match c {
        safeguarding::Chase::SendOverdue { due }
        | safeguarding::Chase::AcknowledgementOverdue { due } => *due,
    };
    late.sort_by_key(|l| due(&l.chase));
    Ok(late)
}
