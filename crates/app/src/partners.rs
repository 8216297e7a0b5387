//! Partner incidents (issue 17): our incident sent to a partner control room (ambulance, fire,
//! another force) and theirs received, in the documented JSON shape of `domain::partner`
//! (docs/PARTNER-INCIDENTS.md). The adapter here is a file drop for what we send (one JSON
//! file a message in `<outbox>/<partner>/`, which a partner's gateway collects) and HTTP for
//! what we receive (`POST /api/v1/partner-messages`, the raw body). Every message either way
//! is kept in the audit chain, on a stream of its own (`partner/{tracking id}`); a message
//! that does not fit the shape is kept byte for byte and flagged for a person to read
//! (`partner/flagged/{uuid}`): nothing a partner sends is lost. A partner's message that
//! links to one of our incidents links the two, so the same event is one incident on both
//! sides, and our incident's log says so.

use crate::event_store::{Executed, execute, fold};
use crate::records::{incident_stream, rebuild, record_access};
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::incident::IncidentId;
use controlroom_domain::partner::{
    self, MessageKind, PartnerEvent, PartnerIncident, PartnerRecord, Received,
};
use controlroom_domain::roles::Permission;
use controlroom_domain::stream::{StreamId, StreamKind};
use controlroom_domain::text::Code;
use serde_json::json;
use std::path::PathBuf;

/// Where partner messages go, and who we are to partners.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerSettings {
    /// Our agency id, in every tracking id we give (`urn:emergency:uid:incidentid:<uuid>:
    /// <agency>`): the force's domain.
    pub agency: String,
    /// The file adapter's outbox; none, and sending is refused saying how to configure it.
    pub outbox: Option<PathBuf>,
}

impl Default for PartnerSettings {
    fn default() -> Self {
        Self {
            agency: "controlroom.police.example".into(),
            outbox: None,
        }
    }
}

/// What became of a received message.
#[derive(Debug, Clone, PartialEq)]
pub enum Kept {
    /// Read and kept on the partner incident's stream; linked to ours when it says so.
    Read {
        tracking_id: String,
        linked_to: Option<IncidentId>,
    },
    /// Kept as received and flagged, with every reason.
    Flagged {
        key: String,
        reasons: Vec<partner::Misfit>,
    },
}

/// Send our incident to a partner (an agency code of the directory, e.g. `AMBULANCE`): the
/// message is written to the outbox and the sending recorded on our incident's partner stream.
pub async fn send(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
    to: &str,
    kind: MessageKind,
    idempotency: Option<&Idempotency>,
) -> Result<Executed<PartnerRecord>, AppError> {
    let actor = &actor.require(Permission::Refer, "send incidents to partner agencies")?;
    let to = Code::parse("to", to)?;
    if app.settings.reference.agency(to.as_str()).is_none() {
        return Err(controlroom_domain::Invalid::new(
            "to",
            format!("{to} is not an agency in the directory (agencies.psv)"),
        )
        .into());
    }
    let Some(outbox) = app.settings.partner.outbox.clone() else {
        return Err(AppError::Store(controlroom_store::StoreError::Unavailable(
            "no partner outbox is configured: start the server with --partner-outbox <dir>".into(),
        )));
    };
    let records = app.store.stream(&incident_stream(incident)).await?;
    let state = rebuild(&records, None)?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {incident}")))?;
    let agency = &app.settings.partner.agency;
    let message = PartnerIncident::from_incident(&state, agency, kind, app.now());
    let key = message.tracking_id.clone();
    let body = serde_json::to_vec_pretty(&message).map_err(|e| AppError::Corrupt(e.to_string()))?;
    // Written under a name the partner's gateway ignores, then renamed once the sending is in
    // the audit chain: a failed commit leaves no message out, and a crash between the two a
    // `.part` file a person can see, never a message sent without our record of it.
    let dir = outbox.join(to.as_str());
    let name = uuid::Uuid::now_v7();
    let part = dir.join(format!("{name}.json.part"));
    let file = dir.join(format!("{name}.json"));
    let io = |e: std::io::Error| {
        AppError::Store(controlroom_store::StoreError::Unavailable(format!(
            "partner outbox {}: {e}",
            dir.display()
        )))
    };
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    tokio::fs::write(&part, &body).await.map_err(io)?;
    // What goes out is a disclosure (DPA 2018 s.62): said on our incident's record as well,
    // in the same transaction, as a referral's sending is.
    let disclosed = json!({
        "partner_incident": key,
        "to": to.as_str(),
        "via": format!("partner outbox {}", dir.display()),
        "what": ["incident type, status and grade", "location", "the first caller's account", "the handler's name"],
    });
    let sent = execute::<PartnerRecord>(
        app,
        actor,
        &key,
        idempotency,
        |_, _| {
            Ok(vec![PartnerEvent::Sent {
                to: to.to_string(),
                incident,
                message: Box::new(message),
            }])
        },
        |_, _, at| {
            vec![crate::records::access_record(
                incident_stream(incident),
                "disclosed",
                actor,
                at,
                disclosed,
            )]
        },
    )
    .await;
    match &sent {
        Ok(done) if !done.replayed => tokio::fs::rename(&part, &file).await.map_err(io)?,
        _ => {
            let _ = tokio::fs::remove_file(&part).await;
        }
    }
    sent
}

/// Take a message a partner sent, as received. A message in our shape is kept on its
/// incident's stream (and links ours when it names ours); any other is kept byte for byte
/// and flagged.
pub async fn receive(app: &App, actor: &Actor, raw: &str) -> Result<Kept, AppError> {
    let actor = &actor.require(Permission::Refer, "receive partner messages")?;
    match partner::receive(raw, app.now()) {
        Received::Valid(message) => {
            let tracking_id = message.tracking_id.clone();
            let agency = &app.settings.partner.agency;
            // The first link to one of our incidents that exists.
            let mut ours = None;
            for link in &message.link_component {
                if let Some(id) = partner::our_incident(&link.incident_tracking_identifier, agency)
                    && message.links_to(&link.incident_tracking_identifier)
                    && rebuild(&app.store.stream(&incident_stream(id)).await?, None)?.is_some()
                {
                    ours = Some(id);
                    break;
                }
            }
            let from = message.updated_by_agency_reference.reference.clone();
            let reference = message.incident_component.internal_incident_id.clone();
            let kept = execute::<PartnerRecord>(
                app,
                actor,
                &tracking_id,
                None,
                |state, _| {
                    let mut events = vec![PartnerEvent::Received {
                        message: message.clone(),
                    }];
                    if let Some(id) = ours
                        && state.is_none_or(|s| s.linked_to != Some(id))
                    {
                        events.push(PartnerEvent::Linked { incident: id });
                    }
                    Ok(events)
                },
                |_, _, _| Vec::new(),
            )
            .await?;
            if let Some(id) = ours
                && kept.recorded > 1
            {
                let note = format!(
                    "Linked to partner incident {reference} from {from}: the same event ({tracking_id})"
                );
                crate::incidents::add_log_entry(
                    crate::incidents::IncidentRequest {
                        app,
                        actor,
                        id,
                        idempotency: None,
                    },
                    &note,
                    None,
                )
                .await?;
            }
            Ok(Kept::Read {
                tracking_id,
                linked_to: kept.state.linked_to,
            })
        }
        Received::Flagged(flagged) => {
            let key = format!("flagged/{}", uuid::Uuid::now_v7());
            let reasons = flagged.reasons.clone();
            execute::<PartnerRecord>(
                app,
                actor,
                &key,
                None,
                |_, _| Ok(vec![PartnerEvent::Flagged { flagged }]),
                |_, _, _| Vec::new(),
            )
            .await?;
            Ok(Kept::Flagged { key, reasons })
        }
    }
}

/// The partner incidents linked to ours. The look is recorded.
pub async fn of_incident(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
) -> Result<Vec<PartnerRecord>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "see partner incidents")?;
    let linked: Vec<PartnerRecord> = every(app)
        .await?
        .into_iter()
        .filter(|r| r.linked_to == Some(incident))
        .collect();
    record_access(
        app,
        actor,
        incident_stream(incident),
        "partner_incidents_viewed",
        json!({ "partner_incidents": linked.iter().map(|r| r.key.clone()).collect::<Vec<_>>() }),
    )
    .await?;
    Ok(linked)
}

/// Flagged messages no one has dealt with yet, oldest first.
pub async fn flagged(app: &App, actor: &Actor) -> Result<Vec<PartnerRecord>, AppError> {
    let actor = &actor.require(Permission::Refer, "read flagged partner messages")?;
    let waiting: Vec<PartnerRecord> = every(app)
        .await?
        .into_iter()
        .filter(|r| r.flagged.is_some() && r.resolved.is_none())
        .collect();
    record_access(
        app,
        actor,
        "partner/flagged".to_owned(),
        "partner_flagged_viewed",
        json!({ "messages": waiting.iter().map(|r| r.key.clone()).collect::<Vec<_>>() }),
    )
    .await?;
    Ok(waiting)
}

/// A person has read a flagged message and says what they did.
pub async fn resolve_flag(
    app: &App,
    actor: &Actor,
    key: &str,
    note: &str,
    idempotency: Option<&Idempotency>,
) -> Result<Executed<PartnerRecord>, AppError> {
    let actor = &actor.require(Permission::Refer, "deal with flagged partner messages")?;
    let note = controlroom_domain::text::required_text(
        "note",
        note,
        controlroom_domain::limits::SHORT_REASON,
    )?;
    let key = format!("flagged/{key}");
    execute::<PartnerRecord>(
        app,
        actor,
        &key,
        idempotency,
        |state, _| match state {
            Some(s) if s.resolved.is_none() => Ok(vec![PartnerEvent::FlagResolved { note }]),
            Some(_) => Err(AppError::Conflict(
                "this message was already dealt with".into(),
            )),
            None => Err(AppError::NotFound(format!(
                "there is no flagged message {key}"
            ))),
        },
        |_, _, _| Vec::new(),
    )
    .await
}

/// Every partner stream, folded. Partner traffic is light (a handful a day); the listing
/// keeps no table of its own.
async fn every(app: &App) -> Result<Vec<PartnerRecord>, AppError> {
    const PAGE: i64 = 500;
    let mut all = Vec::new();
    let mut last = String::new();
    loop {
        let page = app
            .store
            .streams_page(StreamKind::Partner, &last, PAGE)
            .await?;
        let Some(end) = page.last() else { break };
        last = end.stream.clone();
        for records in page.chunk_by(|a, b| a.stream == b.stream) {
            let key = StreamId::parse(&records[0].stream)
                .map(|s| s.key().to_owned())
                .map_err(|e| AppError::Corrupt(format!("partner stream: {e}")))?;
            all.extend(fold::<PartnerRecord>(&key, records)?);
        }
    }
    Ok(all)
}
