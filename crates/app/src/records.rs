//! Between domain events and stored records: how an incident's stream is named, written,
//! read back and projected.

use crate::{Actor, App, AppError};
use controlroom_domain::audit::{AuditRecord, Category};
use controlroom_domain::incident::{Incident, IncidentId};
use controlroom_domain::user::Username;
use controlroom_store::{IncidentRow, NewRecord, WriteTx};
use jiff::Timestamp;

pub(crate) fn incident_stream(id: IncidentId) -> String {
    <Incident as controlroom_domain::aggregate::Aggregate>::stream(&id).to_string()
}

/// An account's stream: its creation, role and password changes, sign-ins and sign-outs.
pub(crate) fn user_stream(name: &impl std::fmt::Display) -> String {
    controlroom_domain::stream::StreamId::new(controlroom_domain::stream::StreamKind::User, name)
        .to_string()
}

pub(crate) fn micros(at: Timestamp) -> i64 {
    at.as_microsecond()
}

/// A record of someone looking at personal data (DPA 2018 s.62 "consultation"), with the
/// role they looked under.
pub(crate) fn access_record(
    stream: String,
    kind: &str,
    actor: &Actor,
    at: Timestamp,
    payload: serde_json::Value,
) -> NewRecord {
    NewRecord {
        role: actor.role_to_record(),
        ..signed_in_record(stream, kind, &actor.username, at, payload)
    }
}

/// Record, in a transaction of its own, that `actor` looked at personal data: an
/// [`access_record`] on `stream`, stamped now.
pub(crate) async fn record_access(
    app: &crate::App,
    actor: &Actor,
    stream: String,
    kind: &str,
    payload: serde_json::Value,
) -> Result<(), AppError> {
    let mut tx = app.store.begin().await?;
    tx.append(access_record(stream, kind, actor, app.now(), payload))
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A record about signing in and out: made before any role is in use, so it has none.
pub(crate) fn signed_in_record(
    stream: String,
    kind: &str,
    who: &Username,
    at: Timestamp,
    payload: serde_json::Value,
) -> NewRecord {
    NewRecord {
        category: Category::Access,
        stream,
        kind: kind.to_owned(),
        actor: who.as_str().to_owned(),
        at_micros: micros(at),
        payload: payload.to_string(),
        role: None,
        searchable: false,
    }
}

/// Rebuild an incident from the first `up_to` events of its stream (all when `None`).
pub(crate) fn rebuild(
    records: &[AuditRecord],
    up_to: Option<u64>,
) -> Result<Option<Incident>, AppError> {
    let events = crate::event_store::stamped::<Incident>(records)?;
    let take = up_to.map_or(events.len(), |n| {
        usize::try_from(n).unwrap_or(usize::MAX).min(events.len())
    });
    Incident::replay(events[..take].iter()).map_err(|e| AppError::Corrupt(e.to_string()))
}

/// The incident as this transaction sees it, to decide on. Its state as last committed by
/// this process is kept ([`crate::App::remember_incident`]), so only the events since are read
/// and folded: a command costs the same on an incident with three thousand events as on a
/// new one (issue 21). The tail is always read under the write lock, so another server's
/// changes are never missed.
pub(crate) async fn load_incident(
    app: &App,
    tx: &mut dyn WriteTx,
    id: IncidentId,
) -> Result<Option<Incident>, AppError> {
    let stream = incident_stream(id);
    let Some((seq, known)) = app.remembered_incident(id) else {
        let records = tx.stream(&stream).await?;
        return rebuild(&records, None);
    };
    let tail = tx.stream_after(&stream, seq).await?;
    let mut state = known;
    for stamped in crate::event_store::stamped::<Incident>(&tail)? {
        let index = usize::try_from(state.version).unwrap_or(usize::MAX);
        state = Incident::apply(Some(state), &stamped, index)
            .map_err(|e| AppError::Corrupt(e.to_string()))?;
    }
    Ok(Some(state))
}

/// When someone must be there by, while a deployed grade waits for arrival.
fn attend_by(incident: &Incident) -> Option<Timestamp> {
    use controlroom_domain::incident::Status;
    if !matches!(incident.status, Status::Graded | Status::Dispatched) {
        return None;
    }
    controlroom_domain::clocks::clocks(incident)
        .attendance
        .filter(|a| a.arrived_at.is_none())
        .map(|a| a.due_at)
}

/// The incident's row in the list: a pure fold of its events, so `audit verify` can rebuild it.
pub(crate) fn incident_row(incident: &Incident) -> IncidentRow {
    let first = incident.contacts.first();
    let clock = controlroom_domain::ncrs::recording_clock(incident);
    let decision = if !incident.crimes.is_empty() {
        Some("crime")
    } else if incident.non_crime.is_some() {
        Some("non_crime")
    } else {
        None
    };
    IncidentRow {
        id: incident.id.to_string(),
        reference: incident.reference.to_string(),
        status: incident.status.as_str().to_owned(),
        grade: incident.grade().map(|g| g.as_str().to_owned()),
        incident_type: incident.incident_type.as_ref().map(ToString::to_string),
        channel: first
            .map(|c| c.channel.as_str().to_owned())
            .unwrap_or_default(),
        location_text: first.map(|c| c.location.text.clone()).unwrap_or_default(),
        summary: first.map(|c| c.summary.clone()).unwrap_or_default(),
        contact_count: i64::try_from(incident.contacts.len()).unwrap_or(i64::MAX),
        opened_at_micros: micros(incident.opened_at),
        last_changed_at_micros: micros(incident.last_changed_at),
        version: i64::try_from(incident.version).unwrap_or(i64::MAX),
        attend_by_micros: attend_by(incident).map(micros),
        crime_report_at_micros: clock.map(|c| micros(c.started_at)),
        recording_decided_at_micros: incident.recording_decided_at().map(micros),
        recording_decision: decision.map(str::to_owned),
        lat: first.and_then(|c| c.location.coordinates).map(|c| c.lat),
        lon: first.and_then(|c| c.location.coordinates).map(|c| c.lon),
    }
}
