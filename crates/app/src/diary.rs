//! The diary: the resource allocation desk opens appointment slots; handlers book scheduled
//! responses into them with the caller, reschedule, cancel, and record missed appointments.
//! A booking and the incident's record of it are written in one transaction.

use crate::records::{load_incident, record_access};
use crate::{Actor, App, AppError};
use controlroom_domain::Invalid;
use controlroom_domain::crime::{CrimeEvent, CrimeRecord};
use controlroom_domain::diary::{DiaryEvent, Slot, SlotKey};
use controlroom_domain::incident::{Incident, IncidentCommand, IncidentId, Rejected, decide};
use controlroom_domain::investigation::csi::CsiStatus;
use controlroom_domain::roles::Permission;
use controlroom_domain::stream::{StreamId, StreamKind};
use controlroom_domain::text::{Code, required_text};
use controlroom_store::WriteTx;
use jiff::civil::{Date, Time};
use serde_json::json;

async fn append(
    tx: &mut dyn WriteTx,
    key: &SlotKey,
    event: &DiaryEvent,
    actor: &Actor,
    at: jiff::Timestamp,
) -> Result<(), AppError> {
    tx.append(crate::event_store::change_record::<Slot>(
        key, event, actor, at,
    )?)
    .await?;
    Ok(())
}

fn fold(
    key: &SlotKey,
    records: &[controlroom_domain::audit::AuditRecord],
) -> Result<Option<Slot>, AppError> {
    crate::event_store::fold(key, records)
}

/// Open slots for an area on a day, each with room for `capacity` appointments.
pub async fn open_slots(
    app: &App,
    actor: &Actor,
    area: &str,
    date: &str,
    times: &[String],
    capacity: u32,
) -> Result<Vec<Slot>, AppError> {
    let actor = &actor.require(Permission::ManageResources, "manage the diary")?;
    if !(1..=50).contains(&capacity) {
        return Err(Invalid::new("capacity", "must be between 1 and 50 appointments").into());
    }
    if times.is_empty() {
        return Err(Invalid::new("times", "give at least one start time").into());
    }
    controlroom_domain::limits::check_items(
        "times",
        times.len(),
        controlroom_domain::limits::SLOT_TIMES,
    )?;
    let keys: Vec<SlotKey> = times
        .iter()
        .map(|t| SlotKey::parse(area, date, t))
        .collect::<Result<_, _>>()?;
    let at = app.now();
    let mut tx = app.store.begin().await?;
    let mut slots = Vec::new();
    for key in keys {
        if !tx.stream(&key.stream()).await?.is_empty() {
            return Err(AppError::Conflict(format!(
                "the {} slot is already open",
                key.label()
            )));
        }
        append(
            tx.as_mut(),
            &key,
            &DiaryEvent::SlotOpened {
                key: key.clone(),
                capacity,
            },
            actor,
            at,
        )
        .await?;
        slots.push(Slot {
            key,
            capacity,
            bookings: Vec::new(),
            missed: Vec::new(),
            scenes: Vec::new(),
        });
    }
    tx.commit().await?;
    Ok(slots)
}

/// The day's diary for an area: every slot, its bookings and free places.
/// The day's slots for an area. The diary names incidents booked in each slot (and so the
/// callers waiting for an officer), so the look is recorded as a consultation, naming them.
pub async fn day(app: &App, actor: &Actor, area: &str, date: &str) -> Result<Vec<Slot>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "see the diary")?;
    let area = Code::parse("area", area)?;
    let date = parse_date(date)?;
    let slots = slots_on(app, &area, date).await?;
    consulted(
        app,
        actor,
        SlotKey::day_prefix(&area, date)
            .trim_end_matches('/')
            .to_owned(),
        "diary_viewed",
        &slots,
    )
    .await?;
    Ok(slots)
}

fn parse_date(date: &str) -> Result<Date, Invalid> {
    controlroom_domain::text::parse_date("date", date)
}

/// One consultation record for a diary read: the slots shown and the incidents in them.
async fn consulted(
    app: &App,
    actor: &Actor,
    stream: String,
    kind: &str,
    slots: &[Slot],
) -> Result<(), AppError> {
    record_access(
        app,
        actor,
        stream,
        kind,
        json!({
            "slots": slots.iter().map(|s| s.key.stream()).collect::<Vec<_>>(),
            "incidents": slots
                .iter()
                .flat_map(|s| s.bookings.iter().chain(&s.missed))
                .map(|b| b.incident.to_string())
                .collect::<std::collections::BTreeSet<_>>(),
            "crimes": slots
                .iter()
                .flat_map(|s| &s.scenes)
                .map(|b| b.crime.to_string())
                .collect::<std::collections::BTreeSet<_>>(),
        }),
    )
    .await?;
    Ok(())
}

/// The slots of an area on a day, unrecorded: callers record the consultation once.
async fn slots_on(app: &App, area: &Code, date: Date) -> Result<Vec<Slot>, AppError> {
    let mut slots = Vec::new();
    for stream in app
        .store
        .streams(StreamKind::Diary, &SlotKey::day_prefix(area, date))
        .await?
    {
        let key = StreamId::parse(&stream)
            .and_then(|id| SlotKey::from_stream_key(id.key()))
            .map_err(|e| AppError::Corrupt(format!("diary stream {stream}: {e}")))?;
        if let Some(slot) = fold(&key, &app.store.stream(&stream).await?)? {
            slots.push(slot);
        }
    }
    slots.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(slots)
}

/// Record on the incident, in the same transaction, then commit.
async fn set_on_incident(
    app: &App,
    tx: Box<dyn WriteTx>,
    actor: &Actor,
    incident: Incident,
    slot: Option<SlotKey>,
    note: String,
) -> Result<Incident, AppError> {
    let mut events = decide(
        Some(&incident),
        IncidentCommand::SetAppointment {
            slot,
            note: note.clone(),
        },
    )?;
    let mut probe = incident.clone();
    for e in &events {
        probe = crate::incidents::probe(app, actor, probe, e)?;
    }
    events.extend(decide(
        Some(&probe),
        IncidentCommand::add_log_entry(&note, None)?,
    )?);
    Ok(
        crate::incidents::record(app, tx, actor, Some(incident), events, None)
            .await?
            .incident,
    )
}

/// Book (or move) the incident's appointment into a slot. Refused when the slot is full.
pub async fn book(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
    area: &str,
    date: &str,
    time: &str,
) -> Result<Incident, AppError> {
    let actor = &actor.require(Permission::GradeIncident, "book appointments")?;
    let key = SlotKey::parse(area, date, time)?;
    let at = app.now();
    let mut tx = app.store.begin().await?;
    let state = load_incident(app, tx.as_mut(), incident)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {incident}")))?;
    let slot = fold(&key, &tx.stream(&key.stream()).await?)?.ok_or_else(|| {
        Invalid::new(
            "time",
            format!("there is no {} slot in the diary", key.label()),
        )
    })?;
    let booked = slot.book(incident, &state.reference)?;
    let mut note = format!("Appointment booked: {}", key.label());
    if let Some(old) = &state.appointment {
        if old == &key {
            return Err(Rejected {
                code: "already_booked",
                reason: format!("incident {} already has this slot", state.reference),
            }
            .into());
        }
        append(
            tx.as_mut(),
            old,
            &DiaryEvent::Cancelled {
                incident,
                reason: format!("moved to {}", key.label()),
            },
            actor,
            at,
        )
        .await?;
        note = format!("Appointment moved from {} to {}", old.label(), key.label());
    }
    append(tx.as_mut(), &key, &booked, actor, at).await?;
    set_on_incident(app, tx, actor, state, Some(key), note).await
}

/// End the incident's appointment: cancelled (with the caller) or missed.
pub async fn end(
    app: &App,
    actor: &Actor,
    incident: IncidentId,
    missed: bool,
    reason: &str,
) -> Result<Incident, AppError> {
    let actor = &actor.require(Permission::GradeIncident, "change appointments")?;
    let reason = required_text("reason", reason, controlroom_domain::limits::SHORT_REASON)?;
    let at = app.now();
    let mut tx = app.store.begin().await?;
    let state = load_incident(app, tx.as_mut(), incident)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("there is no incident with id {incident}")))?;
    let Some(key) = state.appointment.clone() else {
        return Err(Rejected {
            code: "no_appointment",
            reason: format!("incident {} has no appointment", state.reference),
        }
        .into());
    };
    let (event, note) = if missed {
        (
            DiaryEvent::Missed {
                incident,
                reason: reason.clone(),
            },
            format!("Appointment missed ({}): {reason}", key.label()),
        )
    } else {
        (
            DiaryEvent::Cancelled {
                incident,
                reason: reason.clone(),
            },
            format!("Appointment cancelled ({}): {reason}", key.label()),
        )
    };
    append(tx.as_mut(), &key, &event, actor, at).await?;
    set_on_incident(app, tx, actor, state, None, note).await
}

/// The first slot with a free place from `date` on (same day first), within a week.
pub async fn next_free(
    app: &App,
    actor: &Actor,
    area: &str,
    date: &str,
    after: Option<Time>,
) -> Result<Option<Slot>, AppError> {
    let actor = &actor.require(Permission::ViewIncidents, "see the diary")?;
    let area = Code::parse("area", area)?;
    let first = parse_date(date)?;
    let mut found = None;
    for offset in 0..7 {
        let Ok(day_date) = first.checked_add(jiff::Span::new().days(offset)) else {
            break;
        };
        let slots = slots_on(app, &area, day_date).await?;
        if let Some(slot) = slots
            .into_iter()
            .find(|s| s.free() > 0 && (offset > 0 || after.is_none_or(|t| s.key.time >= t)))
        {
            found = Some(slot);
            break;
        }
    }
    consulted(
        app,
        actor,
        SlotKey::day_prefix(&area, first)
            .trim_end_matches('/')
            .to_owned(),
        "diary_next_viewed",
        found.as_slice(),
    )
    .await?;
    Ok(found)
}

/// The force diary's side of a crime's CSI events, in the crime's own transaction (issue 15:
/// CSI attendance booked into the diary): a booking takes a place in the CSI team's slot (the
/// slot must be open and have room), a re-booking gives up the old place, a cancellation
/// gives up the booked one. Nothing else in a crime touches the diary.
pub(crate) async fn follow_crime(
    app: &App,
    tx: &mut dyn WriteTx,
    actor: &Actor,
    at: jiff::Timestamp,
    crime: uuid::Uuid,
    before: &CrimeRecord,
    events: &[CrimeEvent],
) -> Result<(), AppError> {
    let booked_slot = |request: uuid::Uuid| -> Option<SlotKey> {
        match &before.investigation.csi_request(request)?.status {
            CsiStatus::Booked {
                diary_time,
                area: Some(area),
                ..
            } => Some(slot_at(app, area, *diary_time)),
            _ => None,
        }
    };
    let reference = &before.recording.reference;
    for event in events {
        match event {
            CrimeEvent::CsiBooked {
                request,
                diary_time,
                area: Some(area),
            } => {
                let key = slot_at(app, area, *diary_time);
                let slot = fold(&key, &tx.stream(&key.stream()).await?)?.ok_or_else(|| {
                    Invalid::new(
                        "diary_time",
                        format!(
                            "the {} diary has no slot at {} on {}: open one on the diary page, \
                             or choose a slot that is open",
                            key.area,
                            key.time.strftime("%H:%M"),
                            key.date
                        ),
                    )
                })?;
                let booked = slot.book_scene(crime, *request, reference)?;
                if let Some(old) = booked_slot(*request) {
                    let release = DiaryEvent::SceneReleased {
                        crime,
                        request: *request,
                        reason: format!("moved to {}", key.label()),
                    };
                    append(tx, &old, &release, actor, at).await?;
                }
                append(tx, &key, &booked, actor, at).await?;
            }
            CrimeEvent::CsiCancelled { request, reason } => {
                if let Some(old) = booked_slot(*request) {
                    let release = DiaryEvent::SceneReleased {
                        crime,
                        request: *request,
                        reason: reason.clone(),
                    };
                    append(tx, &old, &release, actor, at).await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The slot of `area`'s diary that starts at `moment`, in the force's time zone.
fn slot_at(app: &App, area: &Code, moment: jiff::Timestamp) -> SlotKey {
    let local = moment.to_zoned(app.settings.time_zone.clone());
    SlotKey {
        area: area.clone(),
        date: local.date(),
        time: local
            .time()
            .with()
            .second(0)
            .subsec_nanosecond(0)
            .build()
            .unwrap_or(local.time()),
    }
}
