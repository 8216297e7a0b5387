//! Dispatch: units, their status and position, the recommendation of which to send, and
//! assignment. Every unit change is an event on the unit's stream; every change that concerns
//! an incident is also written to that incident's log, in the same transaction.
//!
//! The nearest available units are found with an R*-tree (rstar) over their last positions,
//! then ranked by the domain: suitable first, then by estimated time to attend.

use crate::event_store;
use crate::incidents::IncidentOutcome;
use crate::records::{incident_stream, load_incident, record_access};
use crate::{Actor, App, AppError, Idempotency};
use controlroom_domain::Invalid;
use controlroom_domain::aggregate::Aggregate;
use controlroom_domain::incident::{Incident, IncidentCommand, IncidentId, Status, decide};
use controlroom_domain::limits;
use controlroom_domain::resources::{
    CallSign, Candidate, Skill, StraightLine, Unit, UnitEvent, UnitId, UnitStatus, UnitType,
    may_move, rank, requirement, unranked,
};
use controlroom_domain::roles::Permission;
use controlroom_domain::stream::{StreamId, StreamKind};
use controlroom_domain::text::{Code, optional_text, required_text};
use controlroom_store::{StoreError, WriteTx};
use jiff::Timestamp;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde_json::json;
use std::collections::HashMap;
use std::sync::RwLock;
use uuid::Uuid;

type Point = GeomWithData<[f64; 2], UnitId>;

/// Every unit known, and a spatial index of where they are. Rebuilt from the audit log at
/// start (`load`), kept in step after each committed change.
#[derive(Default)]
pub struct Units {
    inner: RwLock<(HashMap<UnitId, Unit>, RTree<Point>)>,
    /// The audit seq each unit's state is as of: a state older than the one held is never put
    /// back (the follower may read a unit just before this process's own change commits).
    as_of: RwLock<HashMap<UnitId, i64>>,
    /// The reference of each incident a unit has been sent to (`20261130-0012`), so the board
    /// names the incident a unit is on without reading its events again.
    references: RwLock<HashMap<IncidentId, String>>,
}

/// Project to a flat plane good enough for "which is nearer" at a force's scale: latitude, and
/// longitude scaled by the cosine of 54 degrees north.
fn plane(lat: f64, lon: f64) -> [f64; 2] {
    [lat, lon * 54_f64.to_radians().cos()]
}

impl Units {
    /// Add or replace a unit as of audit record `seq`, unless the registry already holds a
    /// later state of it.
    pub fn put_at(&self, unit: Unit, seq: i64) {
        if let Ok(mut as_of) = self.as_of.write() {
            let held = as_of.entry(unit.id).or_insert(seq);
            if *held > seq {
                return;
            }
            *held = seq;
        }
        self.put(unit);
    }

    /// Add or replace a unit (at start-up, or for a benchmark).
    pub fn put(&self, unit: Unit) {
        let Ok(mut guard) = self.inner.write() else {
            return;
        };
        let (units, tree) = &mut *guard;
        if let Some(old) = units.get(&unit.id)
            && let Some(p) = old.position
        {
            tree.remove(&Point::new(plane(p.lat, p.lon), old.id));
        }
        if let Some(p) = unit.position {
            tree.insert(Point::new(plane(p.lat, p.lon), unit.id));
        }
        let on =
            |u: &Unit, incident: IncidentId| u.status.committed() && u.incident == Some(incident);
        let left = units
            .get(&unit.id)
            .and_then(|old| old.incident.filter(|i| on(old, *i)))
            .filter(|i| !on(&unit, *i));
        units.insert(unit.id, unit);
        // The last unit has left an incident: its reference is no longer needed.
        if let Some(incident) = left
            && !units.values().any(|u| on(u, incident))
            && let Ok(mut references) = self.references.write()
        {
            references.remove(&incident);
        }
    }

    pub fn all(&self) -> Vec<Unit> {
        let mut list: Vec<Unit> = self
            .inner
            .read()
            .map(|g| g.0.values().cloned().collect())
            .unwrap_or_default();
        list.sort_by(|a, b| a.call_sign.cmp(&b.call_sign));
        list
    }

    pub fn get(&self, id: UnitId) -> Option<Unit> {
        self.inner.read().ok()?.0.get(&id).cloned()
    }

    /// Remember an incident's reference once a unit is sent to it.
    pub fn note_reference(&self, incident: IncidentId, reference: String) {
        if let Ok(mut guard) = self.references.write() {
            guard.insert(incident, reference);
        }
    }

    /// The reference of an incident a unit was sent to, as a person reads it.
    pub fn incident_reference(&self, incident: IncidentId) -> Option<String> {
        self.references.read().ok()?.get(&incident).cloned()
    }

    /// The units committed (assigned, en route, at scene) to `incident`.
    pub fn on_incident(&self, incident: IncidentId) -> Vec<Unit> {
        self.all()
            .into_iter()
            .filter(|u| u.status.committed() && u.incident == Some(incident))
            .collect()
    }

    /// Available units nearest to `point`: at least `enough` that meet `need`, looking at no
    /// more than `at_most`.
    pub fn nearest(
        &self,
        point: (f64, f64),
        enough: usize,
        at_most: usize,
        need: &controlroom_domain::resources::Requirement,
    ) -> Vec<Unit> {
        let Ok(guard) = self.inner.read() else {
            return Vec::new();
        };
        let (units, tree) = &*guard;
        let mut found = Vec::new();
        let mut suitable = 0;
        for p in tree.nearest_neighbor_iter(&plane(point.0, point.1)) {
            let Some(unit) = units.get(&p.data) else {
                continue;
            };
            if unit.status != UnitStatus::Available {
                continue;
            }
            if need.met_by(unit) {
                suitable += 1;
            }
            found.push(unit.clone());
            if suitable >= enough || found.len() >= at_most {
                break;
            }
        }
        found
    }
}

pub(crate) fn unit_stream(id: UnitId) -> String {
    <Unit as Aggregate>::stream(&id).to_string()
}

/// Append `event` to the unit's stream; returns its audit seq.
async fn append(
    tx: &mut dyn WriteTx,
    id: UnitId,
    event: &UnitEvent,
    actor: &Actor,
    at: Timestamp,
) -> Result<i64, AppError> {
    Ok(tx
        .append(event_store::change_record::<Unit>(&id, event, actor, at)?)
        .await?)
}

/// The unit after `events`, written by a change that has just committed (the last at audit
/// `seq`): put in this server's registry at once, so the next dispatch here sees it. The
/// consoles hear of it from the log (`follow`), like those of every other server.
fn publish(
    app: &App,
    state: Option<Unit>,
    id: UnitId,
    events: &[&UnitEvent],
    (actor, at): (&Actor, Timestamp),
    seq: i64,
) -> Result<Unit, AppError> {
    let mut state = state;
    for event in events {
        state = Unit::apply(state, id, event, at, actor.username.as_str());
    }
    let unit =
        state.ok_or_else(|| AppError::Corrupt(format!("unit {id} cannot take the change")))?;
    app.units.put_at(unit.clone(), seq);
    Ok(unit)
}

pub(crate) fn fold(
    id: UnitId,
    records: &[controlroom_domain::audit::AuditRecord],
) -> Result<Option<Unit>, AppError> {
    event_store::fold(&id, records)
}

async fn load_unit(tx: &mut dyn WriteTx, id: UnitId) -> Result<Unit, AppError> {
    fold(id, &tx.stream(&unit_stream(id)).await?)?
        .ok_or_else(|| AppError::NotFound(format!("there is no unit with id {id}")))
}

/// Read every unit from the store into the registry (at start-up; the log follower then
/// keeps it in step, starting from the head as it was before this read).
pub async fn load(app: &App) -> Result<usize, AppError> {
    // The unit streams only, by name: loading units never reads the rest of the log.
    let ids: Vec<UnitId> = app
        .store
        .streams(StreamKind::Unit, &StreamId::prefix(StreamKind::Unit, ""))
        .await?
        .iter()
        .filter_map(|name| StreamId::parse(name).ok())
        .filter(|stream| stream.kind() == StreamKind::Unit)
        .filter_map(|stream| stream.uuid())
        .map(UnitId)
        .collect();
    for id in &ids {
        if let Some(unit) = fold(*id, &app.store.stream(&unit_stream(*id)).await?)? {
            know_reference(app, &unit).await?;
            app.units.put(unit);
        }
    }
    Ok(ids.len())
}

/// Make sure the registry knows the reference of the incident `unit` is committed to, for
/// the board.
pub(crate) async fn know_reference(app: &App, unit: &Unit) -> Result<(), AppError> {
    if let Some(incident) = unit.incident.filter(|_| unit.status.committed())
        && app.units.incident_reference(incident).is_none()
        && let Some(row) = app
            .store
            .incident_rows(&[incident.to_string()])
            .await?
            .pop()
    {
        app.units.note_reference(incident, row.reference);
    }
    Ok(())
}

/// Write `note` to the incident's log in `tx` (if the incident is not closed), then commit.
async fn log_and_commit(
    app: &App,
    tx: Box<dyn WriteTx>,
    actor: &Actor,
    incident: Option<Incident>,
    commands: Vec<IncidentCommand>,
) -> Result<Option<Incident>, AppError> {
    let Some(mut state) = incident else {
        tx.commit().await?;
        return Ok(None);
    };
    let mut events = Vec::new();
    let mut probe = state.clone();
    for command in commands {
        for event in decide(Some(&probe), command)? {
            probe = crate::incidents::probe(app, actor, probe, &event)?;
            events.push(event);
        }
    }
    state = crate::incidents::record(app, tx, actor, Some(state), events, None)
        .await?
        .incident;
    Ok(Some(state))
}

pub async fn register(
    app: &App,
    actor: &Actor,
    sign: &str,
    unit_type: &str,
    skills: &[String],
    station: &str,
    crew: &[String],
) -> Result<Unit, AppError> {
    let actor = &actor.require(Permission::ManageResources, "manage units")?;
    limits::check_items("skills", skills.len(), limits::PER_UNIT)?;
    limits::check_items("crew", crew.len(), limits::PER_UNIT)?;
    let call_sign = CallSign::parse(sign)?;
    if app.units.all().iter().any(|u| u.call_sign == call_sign) {
        return Err(taken(&call_sign));
    }
    let event = UnitEvent::Registered {
        call_sign: call_sign.clone(),
        unit_type: UnitType::parse(unit_type)?,
        skills: skills
            .iter()
            .map(|s| Skill::parse(s))
            .collect::<Result<_, _>>()?,
        station: required_text("station", station, limits::LABEL)?,
        crew: crew
            .iter()
            .filter(|c| !c.trim().is_empty())
            .map(|c| required_text("crew", c, limits::LABEL))
            .collect::<Result<_, _>>()?,
    };
    let id = UnitId(Uuid::now_v7());
    let at = app.now();
    let mut tx = app.store.begin().await?;
    // The registry above answers at once on this server; the database's claim decides
    // between servers registering the same call sign at the same moment.
    tx.claim_call_sign(call_sign.as_str(), &unit_stream(id))
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => taken(&call_sign),
            other => other.into(),
        })?;
    let seq = append(tx.as_mut(), id, &event, actor, at).await?;
    tx.commit().await?;
    publish(app, None, id, &[&event], (actor, at), seq)
}

fn taken(call_sign: &CallSign) -> AppError {
    AppError::Conflict(format!("a unit with call sign {call_sign} already exists"))
}

/// A position from the automatic vehicle location feed.
pub async fn report_position(
    app: &App,
    actor: &Actor,
    id: UnitId,
    lat: f64,
    lon: f64,
) -> Result<Unit, AppError> {
    let actor = &actor.require(Permission::ManageResources, "report unit positions")?;
    let c = controlroom_domain::contact::Coordinates::parse(lat, lon)?;
    let event = UnitEvent::PositionReported {
        lat: c.lat,
        lon: c.lon,
    };
    let at = app.now();
    let mut tx = app.store.begin().await?;
    let unit = load_unit(tx.as_mut(), id).await?;
    let seq = append(tx.as_mut(), id, &event, actor, at).await?;
    tx.commit().await?;
    publish(app, Some(unit), id, &[&event], (actor, at), seq)
}

fn incident_point(incident: &Incident) -> Option<(f64, f64)> {
    incident
        .contacts
        .first()
        .and_then(|c| c.location.coordinates)
        .map(|c| (c.lat, c.lon))
}

/// The most units offered for an incident with no position: without a distance to order
/// them by, a longer list only makes the dispatcher read further.
pub const UNRANKED_AT_MOST: usize = 20;

/// The available units to send, best first, with their estimated time to attend and why.
/// An incident with no position yet still gets an answer (a dispatch is never held up for
/// want of one): the units that could go, suitable first then by call sign, with no time to
/// attend, each saying why it was not ranked by distance (`resources::NO_POSITION`).
pub async fn recommend(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
) -> Result<Vec<Candidate>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "view incidents")?;
    let records = app.store.stream(&incident_stream(incident)).await?;
    let incident = crate::records::rebuild(&records, None)?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {incident}")))?;
    let qualifiers: Vec<&str> = incident.qualifiers.iter().map(Code::as_str).collect();
    let need = requirement(
        incident.incident_type.as_ref().map(Code::as_str),
        &qualifiers,
    );
    let ranked = match incident_point(&incident) {
        Some(point) => {
            let nearest = app.units.nearest(point, 5, 200, &need);
            let refs: Vec<&Unit> = nearest.iter().collect();
            rank(&refs, point, &need, &StraightLine::default())
        }
        None => {
            let all = app.units.all();
            let refs: Vec<&Unit> = all.iter().collect();
            let mut listed = unranked(&refs, &need);
            listed.truncate(UNRANKED_AT_MOST);
            listed
        }
    };
    // A consultation (DPA 2018 s.62): the answer shows where the incident is and which units,
    // with their crews, could go. Recorded on the incident's stream, naming the units shown.
    record_access(
        app,
        actor,
        incident_stream(incident.id),
        "recommendation_viewed",
        json!({
            "reference": incident.reference.as_str(),
            "units": ranked.iter().map(|c| c.unit.to_string()).collect::<Vec<_>>(),
        }),
    )
    .await?;
    Ok(ranked)
}

/// Every unit with its status, crew and last position, for the board. Recorded as a
/// consultation naming the units and the incidents they are on (crews are people, and a
/// unit's incident says where police are and why).
pub async fn list_units(app: &App, actor: &Actor) -> Result<Vec<Unit>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "see units")?;
    let units = app.units.all();
    record_access(
        app,
        actor,
        "units".to_owned(),
        "units_listed",
        json!({
            "units": units.iter().map(|u| u.id.to_string()).collect::<Vec<_>>(),
            "incidents": units
                .iter()
                .filter_map(|u| u.incident.filter(|_| u.status.committed()))
                .map(|i| i.to_string())
                .collect::<std::collections::BTreeSet<_>>(),
        }),
    )
    .await?;
    Ok(units)
}

/// Send a unit. An emergency may be dispatched before it is graded, once it has a place and a
/// type. A unit already committed to an incident cannot be assigned to another.
pub async fn assign(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
    unit: UnitId,
) -> Result<Option<Incident>, AppError> {
    let actor = &actor.require(Permission::DispatchUnits, "dispatch units")?;
    let at = app.now();
    let mut tx = app.store.begin().await?;
    let current = load_unit(tx.as_mut(), unit).await?;
    if current.status != UnitStatus::Available {
        let busy = current
            .incident
            .map(|i| match app.units.incident_reference(i) {
                Some(reference) => format!(" (committed to incident {reference})"),
                None => " (committed to another incident)".to_owned(),
            })
            .unwrap_or_default();
        return Err(controlroom_domain::incident::Rejected {
            code: "unit_not_available",
            reason: format!(
                "{} is {}{busy}: release it first",
                current.call_sign,
                current.status.as_str().replace('_', " ")
            ),
        }
        .into());
    }
    let state = load_incident(app, tx.as_mut(), incident)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {incident}")))?;
    let note = format!("{} assigned", current.call_sign);
    let mut commands = Vec::new();
    match state.status {
        Status::Open | Status::Graded => commands.push(IncidentCommand::RecordDispatch {
            note: Some(note.clone()),
        }),
        Status::Dispatched | Status::AtScene => commands.push(IncidentCommand::add_log_entry(
            &format!("{note} (additional unit)"),
            None,
        )?),
        _ => {
            return Err(controlroom_domain::incident::Rejected {
                code: "invalid_transition",
                reason: format!(
                    "incident {} is {}: no unit can be sent",
                    state.reference,
                    state.status.as_str()
                ),
            }
            .into());
        }
    }
    let event = UnitEvent::StatusChanged {
        to: UnitStatus::Assigned,
        incident: Some(incident),
        reason: None,
    };
    let seq = append(tx.as_mut(), unit, &event, actor, at).await?;
    let reference = state.reference.to_string();
    let updated = log_and_commit(app, tx, actor, Some(state), commands).await?;
    app.units.note_reference(incident, reference);
    // Committed already: the answer is the incident; the registry and the board follow.
    publish(app, Some(current), unit, &[&event], (actor, at), seq)?;
    Ok(updated)
}

/// A unit reports a status: en route, at scene, clear (available), refreshment, unavailable,
/// off duty. At scene records the arrival on the incident; every change tied to an incident
/// goes in its log.
pub async fn set_status(
    app: &App,
    actor: &Actor,
    unit: UnitId,
    status: &str,
    reason: Option<&str>,
) -> Result<Unit, AppError> {
    let actor = &actor.require(Permission::DispatchUnits, "change unit status")?;
    let to = UnitStatus::parse(status)?;
    let reason = optional_text("reason", reason, limits::SHORT_REASON)?;
    let at = app.now();
    let mut tx = app.store.begin().await?;
    let current = load_unit(tx.as_mut(), unit).await?;
    if !may_move(current.status, to) {
        return Err(controlroom_domain::incident::Rejected {
            code: "invalid_unit_status",
            reason: format!(
                "{} is {}: it cannot go to {}{}",
                current.call_sign,
                current.status.as_str().replace('_', " "),
                to.as_str().replace('_', " "),
                if to == UnitStatus::Assigned {
                    " (assign it to an incident instead)"
                } else {
                    ""
                }
            ),
        }
        .into());
    }
    let event = UnitEvent::StatusChanged {
        to,
        incident: current.incident,
        reason: reason.clone(),
    };
    let seq = append(tx.as_mut(), unit, &event, actor, at).await?;
    let incident = match current.incident {
        Some(id) => load_incident(app, tx.as_mut(), id).await?,
        None => None,
    };
    let mut commands = Vec::new();
    if let Some(state) = &incident
        && state.status != Status::Closed
    {
        let mut line = format!("{} {}", current.call_sign, to.as_str().replace('_', " "));
        if let Some(r) = &reason {
            line.push_str(&format!(": {r}"));
        }
        if to == UnitStatus::AtScene && state.status == Status::Dispatched {
            // Arriving after the attendance target: the reason is part of the record.
            let late = controlroom_domain::clocks::clocks(state)
                .attendance
                .filter(|a| a.overdue(at));
            if let Some(attendance) = late {
                let Some(why) = &reason else {
                    return Err(Invalid::new(
                        "reason",
                        format!(
                            "the {}-minute attendance target was missed (due {}): say why",
                            attendance.target_minutes,
                            attendance
                                .due_at
                                .to_zoned(app.settings.time_zone.clone())
                                .strftime("%H:%M")
                        ),
                    )
                    .into());
                };
                commands.push(IncidentCommand::add_log_entry(
                    &format!(
                        "Attendance target of {} minutes missed: {why}",
                        attendance.target_minutes
                    ),
                    None,
                )?);
            }
            commands.push(IncidentCommand::RecordArrival);
        }
        commands.push(IncidentCommand::add_log_entry(&line, None)?);
    }
    let incident = incident.filter(|s| s.status != Status::Closed);
    log_and_commit(app, tx, actor, incident, commands).await?;
    publish(app, Some(current), unit, &[&event], (actor, at), seq)
}

/// Move a unit from the incident it is committed to onto another, more urgent one: released
/// from the first and assigned to the second in one transaction, both logs saying why.
pub async fn reassign(
    app: &App,
    actor: &Actor,
    unit: UnitId,
    to: IncidentId,
    reason: &str,
) -> Result<Option<Incident>, AppError> {
    let actor = &actor.require(Permission::DispatchUnits, "dispatch units")?;
    let reason = required_text("reason", reason, limits::SHORT_REASON)?;
    let at = app.now();
    let mut tx = app.store.begin().await?;
    let current = load_unit(tx.as_mut(), unit).await?;
    let Some(from) = current.incident.filter(|_| current.status.committed()) else {
        return Err(controlroom_domain::incident::Rejected {
            code: "unit_not_committed",
            reason: format!(
                "{} is not committed to an incident: assign it instead",
                current.call_sign
            ),
        }
        .into());
    };
    if from == to {
        return Err(Invalid::new("incident", "the unit is already on that incident").into());
    }
    let target = load_incident(app, tx.as_mut(), to)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {to}")))?;
    let source = load_incident(app, tx.as_mut(), from).await?;
    let released = UnitEvent::StatusChanged {
        to: UnitStatus::Available,
        incident: None,
        reason: Some(format!("reassigned to {}: {reason}", target.reference)),
    };
    let assigned = UnitEvent::StatusChanged {
        to: UnitStatus::Assigned,
        incident: Some(to),
        reason: Some(reason.clone()),
    };
    append(tx.as_mut(), unit, &released, actor, at).await?;
    let seq = append(tx.as_mut(), unit, &assigned, actor, at).await?;
    let mut touched = Vec::new();
    if let Some(source) = source.filter(|s| s.status != Status::Closed) {
        let line = format!(
            "{} reassigned to {}: {reason}",
            current.call_sign, target.reference
        );
        let events = decide(Some(&source), IncidentCommand::add_log_entry(&line, None)?)?;
        let (state, _, _, seq) =
            crate::incidents::append_events(tx.as_mut(), app, actor, at, Some(source), events)
                .await?;
        touched.push((state, seq));
    }
    let note = format!(
        "{} assigned (reassigned from another incident: {reason})",
        current.call_sign
    );
    let command = match target.status {
        Status::Open | Status::Graded => IncidentCommand::RecordDispatch { note: Some(note) },
        Status::Dispatched | Status::AtScene => IncidentCommand::add_log_entry(&note, None)?,
        _ => {
            return Err(controlroom_domain::incident::Rejected {
                code: "invalid_transition",
                reason: format!(
                    "incident {} is {}: no unit can be sent",
                    target.reference,
                    target.status.as_str()
                ),
            }
            .into());
        }
    };
    let events = decide(Some(&target), command)?;
    let (target, _, _, target_seq) =
        crate::incidents::append_events(tx.as_mut(), app, actor, at, Some(target), events).await?;
    tx.commit().await?;
    app.units.note_reference(to, target.reference.to_string());
    for (state, seq) in touched
        .iter()
        .chain(std::iter::once(&(target.clone(), target_seq)))
    {
        crate::incidents::after_commit(app, state, *seq);
    }
    publish(
        app,
        Some(current),
        unit,
        &[&released, &assigned],
        (actor, at),
        seq,
    )?;
    Ok(Some(target))
}

/// The incident's result once its units have cleared: it moves to resolved, ready for the
/// handler's close with its codes. Refused while any unit is still committed to it, naming
/// each, since a resolved incident with an officer still at the scene would mislead the room.
pub async fn resolve(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
    resolution: &str,
    idempotency: Option<&Idempotency>,
) -> Result<IncidentOutcome, AppError> {
    let actor = &actor.require(Permission::CloseIncident, "resolve incidents")?;
    let command = IncidentCommand::resolve(resolution)?;
    let mut tx = app.store.begin().await?;
    if let Some(first) = crate::incidents::earlier_outcome(tx.as_mut(), actor, idempotency).await? {
        return Ok(first);
    }
    let state = load_incident(app, tx.as_mut(), incident)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {incident}")))?;
    // The registry says which units may be on it; each is read again under the write lock.
    let mut still = Vec::new();
    for candidate in app.units.on_incident(incident) {
        let unit = load_unit(tx.as_mut(), candidate.id).await?;
        if unit.status.committed() && unit.incident == Some(incident) {
            still.push(format!(
                "{} ({})",
                unit.call_sign,
                unit.status.as_str().replace('_', " ")
            ));
        }
    }
    if !still.is_empty() {
        return Err(controlroom_domain::incident::Rejected {
            code: "units_committed",
            reason: format!(
                "incident {} still has {} on it: clear {} before resolving the incident",
                state.reference,
                still.join(", "),
                if still.len() == 1 { "it" } else { "them" }
            ),
        }
        .into());
    }
    let events = decide(Some(&state), command)?;
    crate::incidents::record(app, tx, actor, Some(state), events, idempotency).await
}
